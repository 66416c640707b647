"""The student edition (``python -m autograder publish``): what it holds, what it never holds, and that it works.

* it holds the built book, the course kit, the released notebooks and the edition's own files, nothing else,
  and its zip holds the same bytes; regenerating it gives the same bytes (folder and zip);
* no file of it (the zip's members included) holds solution code, a hidden test, a hidden case's value, or an
  import of ``solutions`` / ``autograder`` in code the student runs;
* ``--through NAME`` leaves the later assignments out, the book's links to them included;
* the book opens offline: every local link and asset of every page resolves inside the book;
* from a fresh copy (the zip, unpacked), the README's two commands set up an environment from the student
  requirements alone and start JupyterLab on the assignments, without nbgrader's instructor extensions; in that
  environment every blank assignment's visible tests fail plainly, a completed one passes, and the widgets run.

What counts as secret, and why ten significant digits for the hidden values, is in ``tests/edition_leaks.py``.
The book is the session's one build (``book_build.built_book``, shared with test_book and test_browser); the
editions and the student environment (uv, from its cache) are made once per session too, shared by the
pytest-xdist workers through a lock file.
"""
from __future__ import annotations

import ast
import base64
import fcntl
import hashlib
import html
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from autograder import nbcells, publish
from autograder.authoring import release
from book_build import BUILD_TIMEOUT, build_once
from edition_leaks import hidden_values, instructor, leaks, secret_lines

ROOT = nbcells.REPO_ROOT
PYTHON = sys.executable
BIN = Path(PYTHON).parent
NAMES = release.ASSIGNMENTS
THROUGH = NAMES[min(1, len(NAMES) - 2)] if len(NAMES) > 1 else NAMES[0]   # leaves at least one out
UNRELEASED = NAMES[NAMES.index(THROUGH) + 1:]

BOOK_TIMEOUT = BUILD_TIMEOUT
SETUP_TIMEOUT = 900
LAB_START_TIMEOUT = 120

#: packages only the instructor, the book build or the tests need: never in the student requirements
INSTRUCTOR_ONLY = {"nbgrader", "jupyter-book", "sphinx", "myst-nb", "myst-parser", "pytest", "pytest-xdist",
                   "pytest-timeout", "nbval", "jupytext", "sympy", "hypothesis", "coverage",
                   "sqlalchemy", "alembic", "jupyter-cache", "pydata-sphinx-theme", "sphinx-book-theme"}



# --------------------------------------------------------------------------- shared, built once per session
def _shared_root(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _once(root: Path, name: str, build) -> Path:
    """``root/name``, filled by ``build(folder)`` once per session for every pytest-xdist worker (a lock file
    serialises them; a failed build is retried by the next worker that needs it)."""
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            build(folder)
            done.write_text("")
    return folder


def _student_env(state: Path) -> dict:
    """A student's shell: nothing of the instructor repository importable (no PYTHONPATH), no active virtual
    environment, Jupyter's and matplotlib's state in ``state`` (pip's and uv's settings and caches are kept)."""
    venv_bin = str(BIN)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "JUPYTER", "IPYTHON", "MPL", "VIRTUAL_ENV", "MAKE"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[var] = str(state / var.lower())
    env["MPLBACKEND"] = "Agg"
    return env


def _publish(book: Path, out: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "autograder", "publish", "--book", str(book), "--out", str(out), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def editions(tmp_path_factory):
    """The full edition, a second generation of it, and one ``--through THROUGH``, from one book build."""
    root = _shared_root(tmp_path_factory)
    book = build_once(tmp_path_factory).require_html()

    def build(folder):
        for sub, options in (("full", ()), ("again", ()), ("partial", ("--through", THROUGH))):
            result = _publish(book, folder / sub / "student-edition", *options)
            assert result.returncode == 0, result.stdout + result.stderr

    folder = _once(root, "editions", build)
    return SimpleNamespace(book=book, **{sub: folder / sub / "student-edition" for sub in ("full", "again", "partial")})


def _readme_commands(readme: Path) -> list[str]:
    """The commands of the README's "Two commands" block (comments dropped)."""
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", readme.read_text(encoding="utf-8"), flags=re.S)
    assert block, f"{readme} has no bash block under '## Two commands'"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]


@pytest.fixture(scope="session")
def student(editions, tmp_path_factory):
    """The edition unpacked from its zip into a new folder, set up with the README's first command."""
    def build(folder):
        with zipfile.ZipFile(editions.full.with_name("student-edition.zip")) as zf:
            zf.extractall(folder)
        edition = folder / "student-edition"
        setup = shlex.split(_readme_commands(edition / "README.md")[0])
        base_python = getattr(sys, "_base_executable", None) or PYTHON   # the interpreter of this environment
        start = time.perf_counter()
        result = subprocess.run([*setup, f"PYTHON={base_python}"], cwd=edition, env=_student_env(folder / "state"),
                                capture_output=True, text=True, timeout=SETUP_TIMEOUT)
        assert result.returncode == 0, f"`{' '.join(setup)}` failed:\n{(result.stdout + result.stderr)[-4000:]}"
        (folder / "setup-seconds").write_text(f"{time.perf_counter() - start:.1f}")

    folder = _once(_shared_root(tmp_path_factory), "student", build)
    return SimpleNamespace(edition=folder / "student-edition", python=folder / "student-edition" / ".venv/bin/python",
                           setup_seconds=float((folder / "setup-seconds").read_text()))


# --------------------------------------------------------------------------- reading an edition
def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _zip_members(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _everything(folder: Path) -> dict[str, bytes]:
    """Every file of the edition and every member of its zip (each distinct content once)."""
    out, seen = {}, set()
    contents = {**_files(folder),
                **{f"{folder.name}.zip:{k}": v for k, v in _zip_members(folder.with_name(folder.name + ".zip")).items()}}
    for name, data in contents.items():
        digest = hashlib.sha256(data).digest()
        if digest not in seen:
            seen.add(digest)
            out[name] = data
    return out


# --------------------------------------------------------------------------- quick tests (no book)
def test_released_names_follow_the_course_order():
    assert publish.released(None) == NAMES
    assert publish.released(NAMES[0]) == (NAMES[0],)
    assert publish.released(THROUGH) + UNRELEASED == NAMES
    with pytest.raises(publish.PublishError, match=f"known: {NAMES[0]}"):
        publish.released("99_nothing")


def test_publish_command_reports_bad_input_clearly(tmp_path):
    result = subprocess.run([PYTHON, "-m", "autograder", "publish", "--through", "99_nothing", "--out", str(tmp_path / "e")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "--through '99_nothing' is not an assignment" in result.stderr
    result = subprocess.run([PYTHON, "-m", "autograder", "publish", "--book", str(tmp_path), "--out", str(tmp_path / "e")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "no built book" in result.stderr and "make book" in result.stderr
    assert not (tmp_path / "e").exists()


SPHINX_DOWNLOADS = """<p>Assignment: <a class="reference download internal" download="" href="../_downloads/\
4f1c/{a}.ipynb"><code class="xref download docutils literal notranslate"><span class="pre">{a}.ipynb</span></code></a>
and <a class="reference download internal" download="" href="../_downloads/9e2d/{b}.ipynb"><code class="xref download \
docutils literal notranslate"><span class="pre">{b}.ipynb</span></code></a>; <a class="reference internal" \
href="02_xor.html">chapter 2</a>.</p>"""


def test_links_to_unreleased_assignments_become_a_note():
    """The book's download links (Sphinx's {download} role) to an unreleased notebook become plain text."""
    page = SPHINX_DOWNLOADS.format(a="01_first", b="02_second")
    out = publish.unlink_unreleased(page, ["02_second"])
    assert 'href="../_downloads/4f1c/01_first.ipynb"' in out and 'href="02_xor.html"' in out
    assert "02_second.ipynb" in out and "/02_second.ipynb" not in out
    assert '<span class="not-released"><code class="xref download docutils literal notranslate"><span class="pre">' \
           '02_second.ipynb</span></code> (not released yet)</span>' in out
    assert publish.unlink_unreleased(page, []) == page
    # a command that opens an unreleased notebook (the Assignments page's "Start it in JupyterLab") becomes a note
    block = ('<div class="highlight-bash notranslate"><div class="highlight"><pre><span></span>.venv/bin/jupyter'
             '<span class="w"> </span>lab<span class="w"> </span>course/assignments/{a}/{a}.ipynb\n</pre></div>\n</div>')
    both = block.format(a="01_first") + "\n" + block.format(a="02_second")
    out_blocks = publish.unlink_unreleased(both, ["02_second"])
    assert out_blocks == block.format(a="01_first") + "\n" + ('<p class="not-released">(not released yet: '
                                                              '<code>course/assignments/02_second/</code> comes with '
                                                              'a later edition)</p>')
    # the offline search's page texts (its snippets) get the same treatment
    script = f"// pages\n{publish.SEARCH_PAGES_PREFIX}{json.dumps({'book/x': page})};\n"
    out_script = publish.unlink_unreleased_in_search(script, ["02_second"])
    assert out_script.startswith(f"// pages\n{publish.SEARCH_PAGES_PREFIX}") and out_script.endswith("};\n")
    assert json.loads(out_script.split(publish.SEARCH_PAGES_PREFIX)[1][:-2]) == {"book/x": out}
    with pytest.raises(publish.PublishError, match="rebuild the book"):
        publish.unlink_unreleased_in_search("var other = {};\n", ["02_second"])


def test_an_output_folder_that_is_not_an_edition_is_left_alone(tmp_path):
    files = {"README.md": (publish.MARKER + " -->\n").encode(), "course/x.py": b"x = 1\n"}
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    with pytest.raises(publish.PublishError, match="not a student edition"):
        publish.write_folder(files, mine)
    assert (mine / "notes.txt").read_text() == "my notes"
    # a previous edition (with the public repository's .git) is replaced, .git kept
    edition = tmp_path / "edition"
    publish.write_folder(files, edition)
    (edition / ".git").mkdir()
    (edition / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (edition / "stale.txt").write_text("from last week")
    publish.write_folder({**files, "course/y.py": b"y = 2\n"}, edition)
    assert sorted(_files(edition)) == [".git/HEAD", "README.md", "course/x.py", "course/y.py"]


def test_student_requirements_are_main_pins_without_instructor_tools():
    course = publish.course_files(NAMES)
    kit = publish.imported_packages({k: v for k, v in course.items() if k.endswith(".py")})
    lines = publish.template_files(NAMES, kit, publish.imported_packages(course))["requirements.txt"].decode().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    main = set((ROOT / "requirements.txt").read_text().splitlines())
    assert set(pins) <= main, f"not pinned as in requirements.txt: {sorted(set(pins) - main)}"
    names = {re.split(r"==", p)[0].lower().replace("_", "-") for p in pins}
    assert not names & INSTRUCTOR_ONLY, f"instructor-only packages for students: {sorted(names & INSTRUCTOR_ONLY)}"
    assert {"jupyterlab", "ipykernel", "ipywidgets", "numpy", "matplotlib", "pillow"} <= names


def test_what_the_notebooks_import_is_what_students_install():
    files = {"a.py": b"import numpy as np\nfrom . import x\nimport os, json\n",
             "b.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n",
                                                                             "from sklearn.datasets import load_digits"]},
                                              {"cell_type": "markdown", "source": "import nothing"}]}).encode(),
             "c.py": b"def f():\n    import PIL.Image\n    from course import data\n"}
    assert publish.imported_packages(files) == ["numpy", "pillow", "scikit-learn"]
    with pytest.raises(publish.PublishError, match="x.py imports 'solutions'"):
        publish.imported_packages({"course/x.py": b"from solutions import mlp\n"})


def test_book_and_edition_readme_give_the_same_two_commands():
    """The book (read by students in the edition) tells the edition's two commands, which its Makefile has."""
    commands = _readme_commands(publish.TEMPLATES / "README.md")
    block = re.search(r"## How to use the book with the assignments.*?```bash\n(.*?)```",
                      (ROOT / "book" / "intro.md").read_text(encoding="utf-8"), flags=re.S)
    assert block and [line.split("#")[0].strip() for line in block.group(1).splitlines()] == commands
    makefile = (publish.TEMPLATES / "Makefile").read_text(encoding="utf-8")
    for command in commands:
        target = command.split()[1]
        assert command.split()[0] == "make" and re.search(rf"^{target}:", makefile, flags=re.M), command


def test_readmes_split_the_instructor_and_the_student():
    """The project README is the instructor's: keep the repository private, publish the student edition; no
    section for students (no `git clone` of the answer key). The students' instructions live in the edition's README."""
    project = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = [h.strip().lower() for h in re.findall(r"^#+ (.*)$", project, flags=re.M)]
    assert not [h for h in headings if h.startswith("for students")], headings
    assert "keep this repository private" in headings[headings.index("two editions: keep this repository private")]
    section = project.split("## Two editions: keep this repository private", 1)[1].split("\n## ", 1)[0]
    for words in ("Keep it private", "make student-edition", "python -m autograder publish", "--through"):
        assert words in section, words
    student = (publish.TEMPLATES / "README.md").read_text(encoding="utf-8")
    assert student.startswith(publish.MARKER)
    for words in ("## Two commands", "make venv", "make lab", "book/index.html", "# YOUR CODE HERE",
                  "visible tests", "personal code", "Submit the notebook"):
        assert words in student, words
    assert "solutions" not in student and "autograder grade" not in student


def _pages_workflow(text: str) -> tuple[dict, str]:
    """The GitHub Pages workflow parsed as YAML, and the folder it uploads; its shape checked against what
    GitHub Actions requires (a trigger, jobs with runs-on and steps, each step `uses` or `run`)."""
    import yaml

    flow = yaml.safe_load(text)
    triggers = flow.get("on", flow.get(True))      # YAML 1.1 reads the bare key `on` as true
    assert triggers and triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    uploads = []
    for job in flow["jobs"].values():
        assert job["runs-on"] and job["steps"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            if step.get("uses", "").startswith("actions/upload-pages-artifact@"):
                uploads.append(step["with"]["path"])
    assert [s["uses"].split("@")[0] for j in flow["jobs"].values() for s in j["steps"] if "uses" in s][-1] == \
        "actions/deploy-pages"
    assert len(uploads) == 1, uploads
    return flow, uploads[0]


def test_pages_workflow_is_valid_yaml_and_publishes_the_book():
    source, (target, fill) = "pages.yml", publish.TEMPLATE_FILES["pages.yml"]
    assert target == ".github/workflows/pages.yml" and not fill
    _, folder = _pages_workflow((publish.TEMPLATES / source).read_text(encoding="utf-8"))
    assert folder == "book"
    text = (publish.TEMPLATES / source).read_text(encoding="utf-8")
    assert _pages_workflow(text.replace("path: book", "path: _build/html"))[1] == "_build/html"   # read, not assumed
    with pytest.raises(AssertionError):    # a step that neither uses an action nor runs a command is refused
        _pages_workflow(text.replace("- uses: actions/checkout@v4", "- name: checkout"))


def test_book_chapters_do_not_show_measured_times():
    """A time measured while the book builds would differ in every build and every published edition (timings are
    performance figures: ``python -m benchmarks``)."""
    for chapter in sorted((ROOT / "book").glob("*.md")):
        text = chapter.read_text(encoding="utf-8")
        for call in ("perf_counter", "time.time(", "timeit", "process_time", "datetime.now", "date.today"):
            assert call not in text, f"{chapter.name} calls {call}: the book must be the same in every build"


def test_leak_scan_finds_planted_answers_and_values(tmp_path):
    """The scan used below is not blind: an instructor notebook, a hidden value in full precision, as float64
    bytes and in base64, a hidden-case generator and an import of the reference are all reported."""
    name = NAMES[0]
    secrets, hidden = secret_lines(), hidden_values()
    assert len(hidden) > 100 and all(secrets.values()), {k: len(v) for k, v in secrets.items()}
    value = float(hidden[len(hidden) // 2])
    planted = {
        "course/assignments/x/copy.ipynb": (nbcells.SOURCE_DIR / name / f"{name}.ipynb").read_bytes(),
        "notes.txt": f"expected {value!r}\n".encode(),
        "numbers.bin": b"\x00\x01\x02" + np.array([value]).tobytes(),
        "blob.txt": base64.b64encode(b"\x07" + np.array([1.5, value, 2.5]).tobytes()),
        "gen.txt": sorted(secrets["hidden-case generator"])[0].encode(),
        "course/helper.py": b"from solutions.mlp import forward\n",
    }
    found = leaks(planted, secrets, hidden)
    for key in planted:
        assert any(f.startswith(key) for f in found), (key, found)
    assert any("solution region line" in f for f in found) and any("hidden test line" in f for f in found)
    assert leaks({"fine.txt": f"rounded {value:.6f}, {value:.8f}\n".encode()}, secrets, hidden) == []


# --------------------------------------------------------------------------- the edition
@pytest.mark.parametrize("which", ["full", "partial"])
@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + 300)
def test_edition_holds_the_student_files_and_nothing_else(editions, which):
    folder = getattr(editions, which)
    names = NAMES if which == "full" else publish.released(THROUGH)
    files = _files(folder)
    tops = {rel.split("/")[0] for rel in files}
    assert tops == {".github", ".gitignore", "LICENSE", "Makefile", "README.md", "book", "course", "pyproject.toml",
                    "requirements.txt"}
    tracked = subprocess.run(["git", "ls-files", "course"], cwd=ROOT, capture_output=True, text=True, check=True)
    kit = {rel for rel in tracked.stdout.split() if not any(f"/assignments/{n}/" in rel for n in NAMES if n not in names)}
    assert {rel for rel in files if rel.startswith("course/")} == kit
    for name in names:
        rel = f"course/assignments/{name}/{name}.ipynb"
        assert files[rel] == (ROOT / rel).read_bytes()
    # the book offers every released notebook, as a copy of the edition's own, and nothing else
    offered = set()
    for rel, data in files.items():
        if rel.startswith("book/") and rel.endswith(".ipynb"):
            stem = rel.rsplit("/", 1)[1][:-len(".ipynb")]
            assert stem in names and data == files[f"course/assignments/{stem}/{stem}.ipynb"], rel
            offered.add(stem)
    assert offered == set(names)
    readme = files["README.md"].decode()
    assert readme.startswith(publish.MARKER) and "For students" not in readme
    for name in NAMES:
        assert (f"course/assignments/{name}/{name}.ipynb" in readme) == (name in names)
    assert "MIT License" in files["LICENSE"].decode()
    _, pages_folder = _pages_workflow(files[".github/workflows/pages.yml"].decode())
    assert f"{pages_folder}/index.html" in files and f"{pages_folder}/.nojekyll" in files
    pyproject = tomllib.loads(files["pyproject.toml"].decode())
    assert pyproject["tool"]["setuptools"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "solutions" not in files["pyproject.toml"].decode()
    # the zip holds the same files, under one folder
    members = _zip_members(folder.with_name(folder.name + ".zip"))
    assert members == {f"{folder.name}/{rel}": data for rel, data in files.items()}


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + 300)
def test_regenerating_is_byte_identical(editions, tmp_path):
    assert _files(editions.again) == _files(editions.full)
    zip_a, zip_b = (e.with_name("student-edition.zip").read_bytes() for e in (editions.full, editions.again))
    assert zip_a == zip_b
    # regenerating into the public repository's checkout: .git kept, the rest replaced, same bytes
    checkout = tmp_path / "student-edition"
    shutil.copytree(editions.full, checkout)
    (checkout / ".git").mkdir()
    (checkout / ".git" / "config").write_text("[core]\n")
    (checkout / "course" / "stale.py").write_text("")
    result = _publish(editions.book, checkout)
    assert result.returncode == 0, result.stderr
    assert _files(checkout) == {**_files(editions.full), ".git/config": b"[core]\n"}
    assert (tmp_path / "student-edition.zip").read_bytes() == zip_a


@pytest.mark.parametrize("which", ["full", "partial"])
@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + 300)
def test_no_answer_hidden_test_hidden_value_or_instructor_import(editions, which):
    assert leaks(_everything(getattr(editions, which))) == []


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + 300)
def test_through_leaves_later_assignments_out(editions):
    full, partial = _files(editions.full), _files(editions.partial)
    later = {name: (ROOT / f"course/assignments/{name}/{name}.ipynb").read_bytes() for name in UNRELEASED}
    assert UNRELEASED
    for rel, data in partial.items():
        for name, notebook in later.items():
            assert f"{name}.ipynb" not in rel and f"/{name}/" not in rel, rel
            assert data != notebook, f"{rel} is the notebook of {name}"
    link = re.compile(r'href="([^"]*)"')
    replaced = 0
    for rel, data in full.items():
        if not rel.endswith(".html"):
            continue
        page = partial[rel].decode()
        targets = [html.unescape(h) for h in link.findall(data.decode())]
        for name in UNRELEASED:
            offered = [t for t in targets if t.split("#")[0].endswith(f"/{name}.ipynb")]
            assert not [t for t in link.findall(page) if html.unescape(t).split("#")[0].endswith(f"/{name}.ipynb")]
            assert page.count("(not released yet)") >= len(offered), f"{rel}: a link to {name} vanished without a note"
            replaced += len(offered)
        for name in publish.released(THROUGH):   # the released downloads stay
            assert [t for t in targets if t.endswith(f"/{name}.ipynb")] == \
                   [html.unescape(t) for t in link.findall(page) if html.unescape(t).endswith(f"/{name}.ipynb")]
    assert replaced >= len(UNRELEASED), "the full book links each assignment's notebook (its Assignments page)"
    for rel, data in partial.items():   # no command or text of a page names an unreleased notebook's folder
        if rel.endswith(".html"):
            for name in UNRELEASED:
                page = data.decode().replace(f"<code>course/assignments/{name}/</code> comes with a later edition", "")
                assert f"course/assignments/{name}/" not in page, (rel, name)
    search = partial[f"book/{publish.SEARCH_PAGES}"].decode()   # the search snippets' page texts too
    texts = json.loads(search.split(publish.SEARCH_PAGES_PREFIX, 1)[1].rstrip().removesuffix(";"))
    assert texts.keys() == json.loads(full[f"book/{publish.SEARCH_PAGES}"].decode().split(
        publish.SEARCH_PAGES_PREFIX, 1)[1].rstrip().removesuffix(";")).keys()
    for name in UNRELEASED:
        assert not [doc for doc, text in texts.items() if re.search(rf'href="[^"]*/{name}\.ipynb"', text)], name
    assert not [rel for rel in full if rel.endswith(".book-search-pages.json")]   # the build's store, not the book's


def _references(page: Path) -> list[tuple[str, str]]:
    """(tag, URL) of everything a page links or loads, plus URLs written in its inline scripts and styles."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    refs = []
    for tag in soup.find_all(["a", "link", "script", "img", "iframe", "source", "video", "audio", "embed", "object"]):
        for attr in ("href", "src", "data"):
            if tag.get(attr):
                refs.append((tag.name, tag[attr]))
        if tag.name in ("script",) and tag.string:   # a URL a script may load (not an XML namespace name)
            refs += [("script", u) for u in re.findall(r"https?://[^\s\"'`)]+", tag.string)
                     if not u.startswith("http://www.w3.org/")]
    for style in soup.find_all("style"):
        refs += [("style", u) for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", style.get_text())]
    return refs


@pytest.mark.parametrize("which", ["full", "partial"])
@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + 300)
def test_book_opens_offline(editions, which):
    """Every page's links and assets (and the stylesheets' url()s) resolve inside the edition's book, and nothing
    is loaded from the network (MathJax is vendored); links *to* other sites (the cited web pages) stay."""
    book = getattr(editions, which) / "book"
    pages = sorted(p for p in book.rglob("*.html") if "_static" not in p.relative_to(book).parts)  # not the theme's macros
    assert (book / "index.html").is_file() and len(pages) >= len(publish.released(None))
    missing, remote = [], set()
    sheets = [(css, "css", u) for css in book.rglob("*.css")
              for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8", errors="ignore"))]
    for source, tag, url in [(p, t, u) for p in pages for t, u in _references(p)] + sheets:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme in ("http", "https") or url.startswith("//"):
            if tag != "a":
                remote.add(url)
            continue
        if parsed.scheme in ("mailto", "data", "javascript") or not parsed.path:
            continue
        target = (source.parent / urllib.parse.unquote(parsed.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(book.resolve()) or not target.exists():
            missing.append(f"{source.relative_to(book)} -> {url}")
    assert not missing, f"{len(missing)} broken local references, e.g. {missing[:10]}"
    assert not remote, f"the book loads from the network: {sorted(remote)}"


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + SETUP_TIMEOUT + 300)
def test_readme_commands_set_up_and_start_jupyterlab(student, tmp_path):
    """`make setup` installs the student requirements and nothing else; `make lab` serves the assignments on
    127.0.0.1 (an ephemeral port here) with nbgrader's instructor extensions off -- even where a user-level
    nbgrader labextension exists (planted here, as `pip install --user nbgrader` leaves one)."""
    edition = student.edition
    commands = _readme_commands(edition / "README.md")
    assert len(commands) == 2, commands
    print(f"student environment set up in {student.setup_seconds:.0f} s")
    listing = subprocess.run([str(student.python), "-m", "pip", "list", "--format=json"], capture_output=True,
                             text=True, check=True, env=_student_env(tmp_path)).stdout
    installed = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listing)}
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (edition / "requirements.txt").read_text().splitlines() if "==" in line}
    extra = {n: v for n, v in installed.items() if pins.get(n) != v and n not in ("pip", "setuptools", "wheel")}
    assert extra == {"backprop-from-the-ground-up-student": installed.get("backprop-from-the-ground-up-student")}, extra
    assert not set(installed) & INSTRUCTOR_ONLY
    for package in ("solutions", "autograder"):   # nothing installed provides the instructor's packages
        probe = subprocess.run([str(student.python), "-c", f"import {package}"], cwd=tmp_path, capture_output=True,
                               text=True, env=_student_env(tmp_path))
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, probe.stderr

    state = tmp_path / "state"
    nbgrader_ext = Path(sys.prefix) / "share/jupyter/labextensions/@jupyter/nbgrader"
    if nbgrader_ext.is_dir():
        shutil.copytree(nbgrader_ext, state / "jupyter_data_dir/labextensions/@jupyter/nbgrader")
    env = dict(_student_env(state), JUPYTER_PORT="0", JUPYTER_TOKEN=hashlib.sha256(os.urandom(16)).hexdigest())
    args = "--no-browser" + (" --allow-root" if os.geteuid() == 0 else "")
    log = tmp_path / "lab.log"
    with open(log, "w") as out:
        lab = subprocess.Popen([*shlex.split(commands[1]), f"ARGS={args}"], cwd=edition, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        server = _wait_for_server(state / "jupyter_runtime_dir", lab, log, env["JUPYTER_TOKEN"])
        assert server["hostname"] == "127.0.0.1" and server["root_dir"] == str(edition / "course" / "assignments")

        def get(path):
            request = urllib.request.Request(f"http://127.0.0.1:{server['port']}{path}",
                                             headers={"Authorization": f"token {env['JUPYTER_TOKEN']}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode()

        folders = {c["name"] for c in json.loads(get("/api/contents"))["content"] if c["type"] == "directory"}
        assert folders == set(NAMES)
        for name in NAMES:
            assert f"{name}.ipynb" in {c["name"] for c in json.loads(get(f"/api/contents/{name}"))["content"]}
        assert "python3" in json.loads(get("/api/kernelspecs"))["kernelspecs"]
        page = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', get("/lab"), re.S)
        config = json.loads(page.group(1))
        seen = [e["name"] for e in config["federated_extensions"] if "nbgrader" in e["name"]]
        assert not nbgrader_ext.is_dir() or seen == ["@jupyter/nbgrader"], "the planted nbgrader labextension is unseen"
        disabled = set(config["disabledExtensions"])
        for plugin in ("create-assignment", "formgrader", "course-list", "assignment-list"):   # instructor tools
            assert {"@jupyter/nbgrader", f"@jupyter/nbgrader:{plugin}"} & disabled, (plugin, disabled)
        with pytest.raises(urllib.error.HTTPError) as err:
            get("/formgrader")
        assert err.value.code == 404
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            lab.wait()


def _wait_for_server(runtime: Path, lab: subprocess.Popen, log: Path, token: str) -> dict:
    """The running server's info, once it answers. jupyter_server writes its info file (port included) before its
    event loop starts listening on that port, so the file alone does not mean it is serving yet."""
    deadline = time.monotonic() + LAB_START_TIMEOUT
    server = None
    while time.monotonic() < deadline and lab.poll() is None:
        if server is None:
            for info in runtime.glob("jpserver-*.json"):
                try:
                    server = json.loads(info.read_text()) or None
                except ValueError:   # being written
                    pass
        if server is not None:
            request = urllib.request.Request(f"http://127.0.0.1:{server['port']}/api/status",
                                             headers={"Authorization": f"token {token}"})
            try:
                with urllib.request.urlopen(request, timeout=10):
                    return server
            except (urllib.error.URLError, ConnectionError):   # not listening yet
                pass
        time.sleep(0.2)
    pytest.fail(f"JupyterLab did not start serving (exit {lab.poll()}):\n{log.read_text()[-3000:]}")


def _completed(name: str) -> nbformat.NotebookNode:
    """The released notebook with each answer cell replaced by the instructor's (markers dropped)."""
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in instructor(name).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(ROOT / f"course/assignments/{name}/{name}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = "\n".join(line for line in answers[gid].splitlines()
                                    if line.strip() not in (nbcells.SOLUTION_BEGIN, nbcells.SOLUTION_END))
    return nb


#: how a visible test fails on a blank answer: the stub's NotImplementedError, the kit's StudentCodeError naming the
#: function not written yet, a failed check, or an answer variable not defined yet
PLAIN_ERRORS = ("NotImplementedError", "StudentCodeError", "AssertionError", "NameError")


def _has_code(source: str) -> bool:
    """A test cell whose released version still checks something (a hidden test keeps its docstring and imports)."""
    return any(not (isinstance(s, (ast.Import, ast.ImportFrom)) or isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in ast.parse(source).body)


@pytest.mark.slow
@pytest.mark.book
@pytest.mark.timeout(BOOK_TIMEOUT + SETUP_TIMEOUT + 600)
def test_assignments_run_in_the_student_environment(student, tmp_path):
    """In the edition's own environment (its kernel, no PYTHONPATH): every visible test of a blank assignment fails
    with a plain error (the stub's NotImplementedError, an assertion, an undefined answer), every cell of a
    completed one runs -- tests and widgets included. Completed copies live in this test's scratch folder only."""
    notebooks = []
    for name in NAMES:
        notebooks.append(student.edition / f"course/assignments/{name}/{name}.ipynb")
        done = tmp_path / name / f"{name}.ipynb"
        done.parent.mkdir()
        nbformat.write(_completed(name), done)
        notebooks.append(done)
    runner = shutil.copy(ROOT / "tests" / "edition_runner.py", tmp_path / "edition_runner.py")
    shutil.copy(ROOT / "autograder" / "kernels.py", tmp_path / "kernels.py")   # the runner's kernels: Unix sockets
    result = subprocess.run([str(student.python), str(runner), *map(str, notebooks)], cwd=tmp_path,
                            env=_student_env(tmp_path / "state"), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    widget_cells = 0
    for name in NAMES:
        blank, done = report[str(notebooks[2 * NAMES.index(name)])], report[str(notebooks[2 * NAMES.index(name) + 1])]
        visible = [c for c in blank if c["test"] and _has_code(c["source"])]
        assert visible, f"{name}: no visible test"
        for cell in visible:
            assert cell["error"] and cell["error"].split(":")[0] in PLAIN_ERRORS, \
                f"{name}/{cell['grade_id']}: a blank answer gives {cell['error']!r}"
        failing = [(c["grade_id"], c["error"]) for c in done if c["error"]]
        assert not failing, f"{name} completed: {failing}"
        for cell in done:
            if "course.widgets" in cell["source"]:
                widget_cells += 1
                assert cell["mime"], f"{name}: the widget cell displayed nothing"
    assert widget_cells >= 1, "no assignment uses a widget"
