# Two commands for everything (see README):
#   make book   - set up the environment, regenerate the student releases, build the HTML book
#   make test   - set up the environment, run every test (pytest, nbval, book build check)
# Both create/reuse the virtual environment in .venv from requirements.txt.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
ROOT   := $(CURDIR)
NPM_DIR := $(VENV)/npm

# Keep Jupyter's state inside the build folder, never in the user's home.
export JUPYTER_CONFIG_DIR  := $(ROOT)/_build/jupyter/config
export JUPYTER_DATA_DIR    := $(ROOT)/_build/jupyter/data
export JUPYTER_RUNTIME_DIR := $(ROOT)/_build/jupyter/runtime
export IPYTHONDIR          := $(ROOT)/_build/jupyter/ipython
export MPLCONFIGDIR        := $(ROOT)/_build/jupyter/matplotlib
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# `solutions` is importable from the repository root only (it is not installed).
export PYTHONPATH := $(ROOT)

.PHONY: book test venv benchmarks release clean system-deps lab student-edition

# System programs (Debian package names) the grader and the tests need. `make venv` installs the
# missing ones with apt-get when run as root on Debian/Ubuntu; otherwise it names them and how to get them.
SYSTEM_PACKAGES := bubblewrap chromium redis-server postgresql

venv: system-deps $(VENV)/.installed $(NPM_DIR)/.installed

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing system packages:$$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null \
			|| { echo "error: apt-get could not install$$missing" >&2; exit 1; }; \
		else \
			echo "warning: missing system packages:$$missing (Debian names). Install them, e.g. 'sudo apt-get install$$missing'; the tests that need them say so." >&2; \
		fi; fi

# The environment is exactly requirements.txt. uv (pinned there too) installs it several times faster than
# pip, which only bootstraps uv itself (from PyPI, as uv does: a machine-wide pip configuration is not read).
UV_PIN = $(shell grep -i '^uv==' requirements.txt)

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(None if sys.version_info >= (3, 11, 5) else "error: $(PYTHON) is Python " + sys.version.split()[0] + "; the pinned requirements need 3.11.5 or newer (make ... PYTHON=/path/to/python3.11)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || PIP_CONFIG_FILE=/dev/null $(PY) -m pip install --quiet --disable-pip-version-check "$(UV_PIN)"
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $@

# JavaScript the book ships (MathJax, rendered offline) and its browser tests use (axe-core), pinned in
# book/package.json + book/package-lock.json (integrity hashes), installed from the npm registry into the
# environment; the book build copies what a page needs into _build/html/_static.
$(NPM_DIR)/.installed: book/package.json book/package-lock.json | $(VENV)/.installed
	@command -v npm >/dev/null || { echo "error: npm (Node.js) is needed to install MathJax for the book; install Node.js 18 or newer with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@mkdir -p $(NPM_DIR) && cp book/package.json book/package-lock.json $(NPM_DIR)/
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# The execution cache notices changes to a chapter's own cells only; when the packages the chapters
# import have changed since the last successful build, every chapter is executed afresh.
BOOK_STAMP := _build/.book-built

book: venv
	@mkdir -p $(IPYTHONDIR) $(MPLCONFIGDIR) $(JUPYTER_RUNTIME_DIR)
	$(PY) -m autograder release
	@if [ -f $(BOOK_STAMP) ] && [ -n "$$(find solutions course -name '*.py' -newer $(BOOK_STAMP) -print -quit)" ]; then \
		echo "solutions/ or course/ changed since the last build: re-executing every chapter"; \
		rm -rf _build/.jupyter_cache; fi
	$(VENV)/bin/jupyter-book build -W -n --keep-going .
	@touch $(BOOK_STAMP)
	@echo "Book built: open $(ROOT)/_build/html/index.html in a browser"

# The student edition (README "Two editions"): _build/student-edition/ and its zip; THROUGH=NAME releases up to NAME.
student-edition: book
	$(PY) -m autograder publish $(if $(THROUGH),--through $(THROUGH))

test: venv
	@mkdir -p $(IPYTHONDIR) $(MPLCONFIGDIR) $(JUPYTER_RUNTIME_DIR)
	$(PY) -m pytest -n 2 --dist loadgroup tests

benchmarks: venv
	$(PY) -m benchmarks

# JupyterLab as a student sees it: nbgrader's instructor tools off (course/jupyter), opened on the assignments.
lab: venv
	@mkdir -p $(IPYTHONDIR) $(MPLCONFIGDIR) $(JUPYTER_RUNTIME_DIR)
	JUPYTER_CONFIG_PATH=$(ROOT)/course/jupyter $(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 \
		--ServerApp.root_dir=$(ROOT)/course/assignments

clean:
	rm -rf _build .pytest_cache .jupyter_cache
