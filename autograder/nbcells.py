"""The nbgrader vocabulary that authoring and grading share: where things are, what a cell is, one config.

* Paths: the repository's folders (:data:`SOURCE_DIR`, :data:`CASES_DIR`, :data:`RELEASE_DIR`, ...).
* Cell predicates: every question "is this cell a graded test? an answer? locked?" is answered here,
  from the cell's ``metadata.nbgrader`` (nbgrader's own meaning of ``grade`` / ``solution`` / ``locked``).
* Regions: the ``### BEGIN/END SOLUTION`` and ``### BEGIN/END HIDDEN TESTS`` markers.
* :func:`nbgrader_config`: the one nbgrader configuration, ``autograder/nbgrader_config.py`` plus a
  course root (nbgrader's ``NbGraderAPI()`` without a config would ignore that file).

Light on purpose (no nbgrader import at module level): the grading parent imports it.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER_DIR = REPO_ROOT / "autograder"
SOURCE_DIR = AUTOGRADER_DIR / "source"          #: instructor sources: NAME/NAME.md (+ generated NAME.ipynb)
CASES_DIR = AUTOGRADER_DIR / "hidden_cases"     #: hidden-case modules: NAME.py
RELEASE_DIR = REPO_ROOT / "course" / "assignments"  #: the student versions
CONFIG_FILE = AUTOGRADER_DIR / "nbgrader_config.py"
DEFAULT_COURSE_DIR = REPO_ROOT / "class"        #: grading output (git-ignored)
COURSE_ID = "backprop-from-the-ground-up"

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


# --------------------------------------------------------------------------- cell predicates
def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` (empty for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader") or {}


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_graded(cell) -> bool:
    """Scored: an autograded test, or an answer graded by hand."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_answer(cell) -> bool:
    """Where the student writes (nbgrader's "solution" cell)."""
    return bool(nbgrader_meta(cell).get("solution"))


def is_graded_test(cell) -> bool:
    """An autograded test cell: graded, and not an answer (an answer that is graded is graded by hand)."""
    return is_graded(cell) and not is_answer(cell)


def is_locked(cell) -> bool:
    return bool(nbgrader_meta(cell).get("locked"))


# --------------------------------------------------------------------------- regions
def hidden_spans(source: str) -> list[tuple[int, int]]:
    """``(start, end)`` character spans of the hidden-test regions of ``source`` (markers included)."""
    spans, start = [], None
    for m in re.finditer(re.escape(HIDDEN_BEGIN) + "|" + re.escape(HIDDEN_END), source):
        if m.group() == HIDDEN_BEGIN:
            start = m.start()
        elif start is not None:
            spans.append((start, m.end()))
            start = None
    return spans


def strip_hidden_tests(source: str) -> str:
    """``source`` without its hidden-test regions (what a student sees of a test cell)."""
    out, hidden = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def without_solution_markers(source: str) -> str:
    """The reference answer of a solution region, marker lines removed."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END))


# --------------------------------------------------------------------------- the one configuration
def sqlite_url(path) -> str:
    return "sqlite:///" + os.path.abspath(path)


def nbgrader_config(root, db_url: str | None = None, *, assignment: str | None = None,
                    student: str | None = None, timeout: int | None = None):
    """A traitlets ``Config``: ``autograder/nbgrader_config.py`` (ignore patterns, stubs, timeouts) for a course
    folder ``root`` with gradebook ``db_url`` (default: ``root/gradebook.db``)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    root = os.path.abspath(root)
    extra = Config()
    extra.CourseDirectory.root = root
    extra.CourseDirectory.db_url = db_url or sqlite_url(os.path.join(root, "gradebook.db"))
    extra.CourseDirectory.course_id = COURSE_ID
    extra.CourseDirectory.notebook_id = "*"
    extra.Exchange.root = os.path.join(root, ".exchange")
    if assignment:
        extra.CourseDirectory.assignment_id = assignment
    if student:
        extra.CourseDirectory.student_id = student
    if timeout is not None:
        extra.Execute.timeout = timeout
    cfg.merge(extra)
    return cfg


@contextlib.contextmanager
def quiet_nbgrader_logs():
    """Only errors from nbgrader's and traitlets' loggers while the block runs."""
    import logging

    loggers = [logging.getLogger(n) for n in ("traitlets", "nbgrader", "NbGraderAPI", "")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def notebook_text(nb) -> str:
    """Deterministic JSON text of a notebook (nbformat's layout, trailing newline)."""
    import nbformat

    return nbformat.writes(nb) + "\n"
