"""One build of the book per test session, shared by every test that reads it (test_book, test_browser).

``jupyter-book build -W -n --keep-going --path-output DIR`` runs once into a temporary folder (never
``_build/``), whichever pytest-xdist worker asks first; the other worker blocks on a file lock until the
build is done and then reads the same result. A failed build is recorded, not retried: every test that
needs the book fails with its log.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent

BUILD_TIMEOUT = 720      # seconds for a cold build of the whole book (every chapter executes)


def subprocess_env(tmp: Path) -> dict:
    """Environment for subprocesses: repo root importable, headless matplotlib, Jupyter state in ``tmp``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    for var, sub in (("JUPYTER_CONFIG_DIR", "jcfg"), ("JUPYTER_RUNTIME_DIR", "jrt"), ("IPYTHONDIR", "ipy"),
                     ("MPLCONFIGDIR", "mpl")):
        env[var] = str(tmp / sub)
    env["MPLBACKEND"] = "Agg"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


@dataclass
class BookBuild:
    returncode: int
    log: str
    html: Path

    def require_html(self) -> Path:
        """The built HTML folder; fails the calling test with the build's log if the build failed."""
        if self.returncode != 0 or not (self.html / "index.html").exists():
            pytest.fail(f"the book did not build (exit {self.returncode}); log tail:\n{self.log[-4000:]}", pytrace=False)
        return self.html


def _session_folder(tmp_path_factory) -> Path:
    """A folder shared by all xdist workers of this session (the parent of each worker's base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory) -> BookBuild:
    if os.environ.get("BOOK_TEST_HTML"):      # a maintainer's shortcut: check an existing build, e.g. _build/html
        html = Path(os.environ["BOOK_TEST_HTML"]).resolve()
        return BookBuild(0 if (html / "index.html").exists() else 1, f"BOOK_TEST_HTML={html}", html)
    folder = _session_folder(tmp_path_factory) / "book-build"
    folder.mkdir(exist_ok=True)
    record = folder / "result.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # released when the file closes
        if not record.exists():
            out = folder / "out"
            try:
                result = subprocess.run(
                    [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", "--path-output", str(out),
                     str(ROOT)],
                    cwd=ROOT, env=subprocess_env(folder), capture_output=True, text=True, timeout=BUILD_TIMEOUT)
                returncode, log = result.returncode, result.stdout + result.stderr
            except subprocess.TimeoutExpired as exc:
                partial = [x.decode(errors="replace") if isinstance(x, bytes) else (x or "") for x in (exc.stdout, exc.stderr)]
                returncode, log = -1, f"timed out after {BUILD_TIMEOUT} s\n" + "".join(partial)
            record.write_text(json.dumps({"returncode": returncode, "log": log, "html": str(out / "_build" / "html")}))
    data = json.loads(record.read_text())
    return BookBuild(data["returncode"], data["log"], Path(data["html"]))


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BookBuild:
    """The book built once for the whole session (see the module docstring)."""
    return build_once(tmp_path_factory)
