"""Personal numbers in ``python -m autograder grade`` and ``preflight``: the hooks they call.

* :class:`Personaliser` -- one grading run: the course secret (``--secret``, default ``<course dir>/secret``;
  ``--no-personal`` grades everyone on the example numbers), each submission's content hash extended with
  its submitter's instructor version (:meth:`~Personaliser.key_source`), the task pointed at that version's
  gradebook (:meth:`~Personaliser.task`), and the graded result reviewed for flags and copies
  (:meth:`~Personaliser.review`);
* :func:`preflight_tasks` -- the reference answers graded for 20 random ids and the blank for one, with a
  throw-away secret (the preflight checks the machinery, not the class's secret).

Assignments without personal cases pass through untouched (same keys, same tasks, same results).
"""
from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

from course import personal as kit

from ..grading.coursedir import load_source_notebook
from .cases import fill_identity
from .review import CopyFinder, review
from .secret import load_secret, secret_path, student_code, submitter_id
from .versions import AssignmentPersonal, cache_root

PREFLIGHT_IDS = 20


def add_options(parser) -> None:
    parser.add_argument("--secret", default=None,
                        help="the course secret the personal codes and numbers come from (default: <course dir>/"
                             "secret, created on first need; never commit or release it)")
    parser.add_argument("--no-personal", action="store_true",
                        help="grade the personalised questions on the example numbers, as for a class that was "
                             "given no personal codes (no copy detection)")


class Personaliser:
    """Personal numbers for one grading run of ``names`` with these ``submissions`` (intake records); a copy is
    sought among every submitter and, with a ``roster``, every enrolled student."""

    def __init__(self, course: str, source_dir, names, submissions, secret_file=None, enabled: bool = True,
                 err=sys.stderr, roster=None):
        self.enabled = enabled
        self.assignments: dict[str, AssignmentPersonal] = {}
        self.finders: dict[str, CopyFinder] = {}
        self.unusable: set = set()  # submitter ids that cannot have personal numbers
        for name in names:
            nb = load_source_notebook(name, source_dir)
            found = AssignmentPersonal.of(name, nb, secret=None)
            if found is not None:
                self.assignments[name] = found
        wanted = {s.assignment for s in submissions if s.notebook is not None}
        if enabled and wanted & set(self.assignments):
            secret = load_secret(secret_path(course, secret_file), err=err)
            for name, versions in self.assignments.items():
                versions.secret = secret
                ids = sorted({submitter_id(s) for s in submissions if s.assignment == name})
                self.unusable |= {i for i in ids if not kit.valid_student_id(i)}
                enrolled = [p.student_id for p in roster.people] if roster is not None else []
                self.finders[name] = CopyFinder(versions, [i for i in ids + enrolled if kit.valid_student_id(i)])

    def active(self, assignment: str, student: str | None = None) -> bool:
        return (self.enabled and assignment in self.finders
                and (student is None or student not in self.unusable))

    def key_source(self, source_hash: str, assignment: str, student: str) -> str:
        """The hash a submission's content hash is made with: the source's, plus its instructor version's."""
        if assignment not in self.assignments:
            return source_hash
        if not self.active(assignment, student):
            return f"{source_hash}|personal:example"
        return f"{source_hash}|personal:{self.assignments[assignment].digest(student)}"

    def preflight_source(self, source_hash: str, assignment: str) -> str:
        """The hash a preflight pass is remembered under: for a personalised assignment it also covers the code
        its per-student references come from (hidden cases, solutions, the kit's draws, this package)."""
        if assignment not in self.assignments:
            return source_hash
        from ..authoring.stamp import shared_digest
        from ..nbcells import CASES_DIR, REPO_ROOT

        code = (CASES_DIR / f"{assignment}.py", REPO_ROOT / "solutions", REPO_ROOT / "course" / "personal.py",
                Path(__file__).parent)
        return f"{source_hash}|personal:{shared_digest(code)}"

    def task(self, task):
        """``task`` pointed at its submitter's instructor version (made now if missing)."""
        if self.active(task.assignment, task.student) and task.notebook is not None:
            versions = self.assignments[task.assignment]
            task.personal = {gid: list(pair) for gid, pair in versions.sources(task.student).items()}
            task.template_db = versions.gradebook(task.template_db, task.student)
        return task

    def review(self, result, spec):
        """Flags, copies and the student's own numbers (in the feedback) for a graded result."""
        if not self.active(result.assignment):
            return result
        if result.student in self.unusable:
            result.personal = {"flags": [f"{result.student!r} cannot have personal numbers (student ids are letters, "
                                         "digits and . _ @ + -): graded on the example numbers"]}
        else:
            result.personal = review(result, spec, self.assignments[result.assignment],
                                     self.finders[result.assignment])
        from ..grading.feedback import render

        result.feedback_html = render(result, spec)
        return result


def preflight_tasks(prepared, n_ids: int = PREFLIGHT_IDS) -> list:
    """For a personalised assignment: its reference answers graded for ``n_ids`` random ids, each with the id
    and code typed in and the id's own instructor version (full marks expected), and the blank notebook for one
    more random id (zero expected); ``[]`` for any other assignment."""
    import nbformat

    source_nb = nbformat.read(os.path.join(prepared.source_dir, f"{prepared.name}.ipynb"), as_version=4)
    secret = secrets.token_bytes(32)
    versions = AssignmentPersonal.of(prepared.name, source_nb, secret)
    if versions is None:
        return []
    folder = cache_root(Path(prepared.source_dir).parents[1]) / "preflight" / prepared.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    tasks = []
    for index in range(n_ids + 1):
        student = f"preflight-{secrets.token_hex(4)}"
        if index < n_ids:
            path = folder / f"{student}.ipynb"
            nbformat.write(fill_identity(source_nb, student, student_code(secret, student)), str(path))
            kind = f"reference for random id {student}"
        else:
            path, kind = Path(prepared.release_path), f"blank for random id {student}"
        task = prepared.task(student, str(path), "preflight")
        task.personal = {gid: list(pair) for gid, pair in versions.sources(student).items()}
        task.template_db = versions.gradebook(prepared.template_db, student, folder)
        tasks.append(((prepared.name, kind), task))
    return tasks
