"""The instructor's nbgrader course folder: assignment sources, gradebook, and what each assignment grades.

Layout of a course folder (default ``class/`` at the repository root, git-ignored)::

    class/
      source/<assignment>/<assignment>.ipynb    instructor version (copied from autograder/source)
      release/<assignment>/<assignment>.ipynb   student version made by nbgrader generate_assignment
      gradebook.db                              nbgrader's gradebook (or --db-url)
      autograded/<student>/<assignment>/        the graded notebooks (contain hidden tests: instructor only)
      feedback/<student>/<assignment>/<assignment>.html
      reports/grades.csv, reports/summary.md, reports/histogram_<assignment>.png
      .autograder/                              grading state (content hashes, results), worker templates
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..nbcells import (REPO_ROOT, SOURCE_DIR, is_answer, is_graded, nbgrader_config, nbgrader_meta, sqlite_url,
                       strip_hidden_tests)
from .errors import GradingError  # noqa: F401  (re-exported: many modules import it from here)
from .records import AssignmentSpec, GradeCell, Task

if TYPE_CHECKING:  # imported where used: ``python -m autograder grade`` starts (and takes Ctrl-C) fast
    import nbformat

STUDENT_IN_SANDBOX = "student"  # workers grade under this pseudonym; the parent maps it back


def ensure_tools_on_path() -> None:
    """nbgrader calls the ``alembic`` command when it creates a gradebook: find it next to our Python."""
    bindir = os.path.dirname(os.path.abspath(os.sys.executable))
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


ensure_tools_on_path()


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """nbgrader's ``get_alembic_version`` runs ``alembic heads`` in a subprocess (seconds) every time it
    creates a gradebook; the same answer from alembic's Python API, computed once."""
    import nbgrader
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", os.path.join(os.path.dirname(nbgrader.__file__), "alembic"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def fast_gradebook_creation() -> None:
    import nbgrader.api
    nbgrader.api.get_alembic_version = alembic_head


# --------------------------------------------------------------------------- sources
def list_assignments(source_dir=SOURCE_DIR) -> list[str]:
    """Assignment names: the sub-folders of ``source_dir`` holding a notebook (or notebook text) named like them."""
    if not os.path.isdir(source_dir):
        return []
    names = []
    for name in sorted(os.listdir(source_dir)):
        folder = os.path.join(source_dir, name)
        if os.path.isdir(folder) and any(f.split(".")[0] == name for f in os.listdir(folder)):
            names.append(name)
    return names


def load_source_notebook(name: str, source_dir=SOURCE_DIR) -> nbformat.NotebookNode:
    """The instructor notebook ``<source_dir>/<name>/<name>.ipynb`` (solutions and hidden tests included)."""
    import nbformat
    folder = os.path.join(source_dir, name)
    ipynb = os.path.join(folder, f"{name}.ipynb")
    if os.path.exists(ipynb):
        return nbformat.read(ipynb, as_version=4)
    if os.path.exists(os.path.join(folder, f"{name}.md")):
        raise GradingError(f"assignment {name!r} has no instructor notebook {ipynb} yet: run "
                           "`python -m autograder release` to generate it from the text source")
    raise GradingError(f"assignment {name!r} has no source notebook in {folder}")


def source_files(name: str, source_dir) -> list[str]:
    """Extra files shipped with the assignment (data files ...): everything except the notebook itself."""
    folder = os.path.join(source_dir, name)
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "__pycache__"))]
        for f in filenames:
            if f.split(".")[0] == name or f.startswith(".") or f.endswith(".pyc"):
                continue
            out.append(os.path.relpath(os.path.join(dirpath, f), folder))
    return sorted(out)


# --------------------------------------------------------------------------- what an assignment grades
def _docstring_line(source: str) -> str:
    import ast
    try:
        doc = ast.get_docstring(ast.parse(source))
    except SyntaxError:
        return ""
    return (doc or "").strip().splitlines()[0] if doc else ""


def assignment_spec(name: str, nb: nbformat.NotebookNode) -> AssignmentSpec:
    """Which cells are graded, for how many points, and which question (answer cell) each one checks."""
    spec, question = AssignmentSpec(name), None
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if is_answer(cell) and not is_graded(cell):
            question = gid
        if is_graded(cell):
            manual = is_answer(cell) or cell.cell_type != "code"
            spec.cells.append(GradeCell(
                grade_id=gid, max_points=float(meta.get("points", 0)),
                question=gid if manual or question is None else question, auto=not manual,
                description=_docstring_line(strip_hidden_tests(cell.source)) if cell.cell_type == "code" else ""))
    return spec


# --------------------------------------------------------------------------- gradebooks
def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def generate_assignment(root: str, name: str, db_url: str) -> None:
    """Run nbgrader's ``GenerateAssignment`` in-process: release version + gradebook source cells."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    fast_gradebook_creation()

    c = nbgrader_config(root, db_url, assignment=name)
    coursedir = CourseDirectory(config=c)
    app = GenerateAssignment(coursedir=coursedir, config=c)
    app.force = True
    app.create_assignment = True
    stream = io.StringIO()
    logger = logging.getLogger(f"autograder.generate.{name}")
    logger.handlers[:] = [logging.StreamHandler(stream)]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    app.log = logger
    try:
        app.start()
    except Exception as exc:
        raise GradingError(f"nbgrader could not generate the student version of {name!r}:\n"
                           f"{stream.getvalue().strip() or exc}") from None


def source_state(name: str, source_dir):
    import nbformat
    nb = load_source_notebook(name, source_dir)
    for i, cell in enumerate(nb.cells):  # nbformat 4.5 wants ids; keep any that exist
        cell.setdefault("id", f"cell-{i}")
    text = nbformat.writes(nb)
    extras = source_files(name, source_dir)
    h = hashlib.sha256(text.encode())
    for rel in extras:
        h.update(rel.encode())
        h.update(file_sha256(os.path.join(source_dir, name, rel)).encode())
    return nb, text, extras, h.hexdigest()


def source_hash(name: str, source_dir=SOURCE_DIR) -> str:
    """Content hash of an assignment's instructor notebook and extra files (cheap: no nbgrader)."""
    return source_state(name, source_dir)[3]


@dataclass
class PreparedAssignment:
    """An assignment ready for grading: its instructor notebook, template gradebook and spec."""

    name: str
    source_hash: str           # content hash of the instructor notebook + extra files
    source_dir: str            # course_root/source/<name>
    release_path: str          # course_root/release/<name>/<name>.ipynb (the blank student version)
    template_db: str           # sqlite gradebook holding only this assignment (copied by each worker)
    spec: AssignmentSpec

    def task(self, student: str, notebook: str | None, key: str, **submission) -> Task:
        """A grading task for ``student``'s ``notebook`` (``submission``: extra_files, notes, problem)."""
        return Task(student, self.name, key, notebook, self.source_dir, self.template_db, self.release_path,
                    self.spec, **submission)


def prepare_assignment(course_root: str, name: str, db_url: str, source_dir=SOURCE_DIR) -> PreparedAssignment:
    """Copy the instructor source into the course folder and (re)generate the release and gradebooks.

    Only redone when the source changed (its hash is remembered in ``.autograder/``).
    """
    nb, text, extras, source_hash = source_state(name, source_dir)

    state_dir = os.path.join(course_root, ".autograder")
    os.makedirs(state_dir, exist_ok=True)
    dest_dir = os.path.join(course_root, "source", name)
    template_db = os.path.join(state_dir, f"template-{name}.db")
    stamp = os.path.join(state_dir, f"source-{name}.sha256")
    release_path = os.path.join(course_root, "release", name, f"{name}.ipynb")
    fresh = (os.path.exists(stamp) and open(stamp).read().strip() == source_hash
             and os.path.exists(template_db) and os.path.exists(release_path))
    if not fresh:
        if os.path.exists(stamp):  # interrupted below (Ctrl-C): the next run starts again from here
            os.remove(stamp)
        if os.path.isdir(dest_dir):
            shutil.rmtree(dest_dir)
        os.makedirs(dest_dir)
        with open(os.path.join(dest_dir, f"{name}.ipynb"), "w", encoding="utf-8") as f:
            f.write(text)
        for rel in extras:
            os.makedirs(os.path.dirname(os.path.join(dest_dir, rel)), exist_ok=True)
            shutil.copy(os.path.join(source_dir, name, rel), os.path.join(dest_dir, rel))
        # the template gradebook: built in a private folder so it holds nothing but this assignment
        tmp_root = os.path.join(state_dir, f"template-{name}")
        if os.path.isdir(tmp_root):
            shutil.rmtree(tmp_root)
        shutil.copytree(dest_dir, os.path.join(tmp_root, "source", name))
        if os.path.exists(template_db):
            os.remove(template_db)
        generate_assignment(tmp_root, name, sqlite_url(template_db))
        shutil.rmtree(tmp_root)
        generate_assignment(course_root, name, db_url)  # the instructor's gradebook and release/
        with open(stamp, "w") as f:
            f.write(source_hash + "\n")
    else:
        from .database import gradebook_has_assignment
        if not gradebook_has_assignment(db_url, name):  # another gradebook (--db-url changed): put it there too
            generate_assignment(course_root, name, db_url)
    return PreparedAssignment(name, source_hash, dest_dir, release_path, template_db, assignment_spec(name, nb))


# --------------------------------------------------------------------------- privacy
def check_private(course_root: str) -> None:
    """Refuse a course folder inside the repository that git would track (grades must never be committed)."""
    root = os.path.realpath(course_root)
    repo = os.path.realpath(REPO_ROOT)
    if not (root == repo or root.startswith(repo + os.sep)):
        return
    probe = os.path.join(root, "reports", "grades.csv")  # (not a name .gitignore lists on its own)
    try:
        ignored = subprocess.run(["git", "-C", repo, "check-ignore", "-q", probe],
                                 capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return  # no git: nothing can be committed by accident
    if not ignored:
        raise GradingError(
            f"the course folder {course_root} is inside the repository and not git-ignored, so grades "
            f"could be committed; use the default class/ folder or a path outside {repo}")
