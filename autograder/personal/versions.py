"""One instructor version per student, made cheaply and outside every kernel.

nbgrader puts the hidden tests back into a submission from the *gradebook's* copy of the instructor cells
(``OverwriteCells``), and each grading worker grades into a private copy of a template gradebook. So a
student's instructor version is that template with the personal cells' source (and nbgrader checksum)
swapped for the student's (:func:`~.cases.student_sources`): a file copy and one SQL update, a few
milliseconds, kept under ``<course>/.autograder/personal/<assignment>/<template hash>/<content hash>.db`` and
reused while the template and the student's reference values are unchanged. A local worker needs no change:
the task names the student's template; a remote worker (``grade --cluster``) gets the cell sources with the
task (``Task.personal``) and makes the same file from its own template (:func:`student_gradebook`).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from ..authoring.cases import load_cases_module
from ..grading.coursedir import GradingError, file_sha256
from ..nbcells import CASES_DIR
from .cases import PersonalTemplate, personal_template, student_cases, student_sources
from .secret import quiet_numbers, student_numbers


def cache_root(course_root) -> Path:
    return Path(course_root) / ".autograder" / "personal"


class AssignmentPersonal:
    """The personal parts of one assignment: its personal cells, and each student's numbers, reference values
    and instructor version (computed once per student and kept)."""

    def __init__(self, name: str, template: PersonalTemplate, secret: bytes | None, cases_dir=CASES_DIR):
        self.name, self.template, self.secret = name, template, secret
        self.cases_module = load_cases_module(name, cases_dir)
        if self.cases_module is None:
            raise GradingError(f"{name} has personal hidden tests but no hidden-case module {cases_dir}/{name}.py "
                               "to compute each student's reference values")
        self._numbers, self._cases, self._sources = {}, {}, {}

    @classmethod
    def of(cls, name: str, instructor_nb, secret: bytes | None, cases_dir=CASES_DIR) -> "AssignmentPersonal | None":
        """The personal parts of ``name``, or None when its instructor notebook has no personal case."""
        template = personal_template(name, instructor_nb)
        return cls(name, template, secret, cases_dir) if template else None

    @property
    def cells(self) -> list[str]:
        """Grade ids of the personal test cells."""
        return [c.grade_id for c in self.template.cells]

    def numbers(self, student: str):
        """The student's numbers (``None`` student: the example's)."""
        if student not in self._numbers:
            self._numbers[student] = (quiet_numbers(self.name) if student is None
                                      else student_numbers(self.secret, self.name, student))
        return self._numbers[student]

    def cases(self, student: str) -> dict:
        """``{case function: literal data}`` (numbers and reference values) for ``student``."""
        if student not in self._cases:
            self._cases[student] = student_cases(self.template, self.cases_module, self.numbers(student))
        return self._cases[student]

    def sources(self, student: str) -> dict:
        """``{grade_id: (source, checksum)}`` of the student's personal cells."""
        if student not in self._sources:
            self._sources[student] = student_sources(self.template, self.cases(student))
        return self._sources[student]

    def digest(self, student: str) -> str:
        """Content hash of the student's instructor version (what their grade depends on beyond the source)."""
        return hashlib.sha256(json.dumps(self.sources(student), sort_keys=True).encode()).hexdigest()

    def gradebook(self, template_db: str, student: str, folder=None) -> str:
        """The student's template gradebook (made if missing), by default in the cache of ``template_db``'s
        course folder."""
        return student_gradebook(template_db, self.sources(student), folder, self.name)


_TEMPLATE_HASHES: dict = {}


def student_gradebook(template_db: str, sources: dict, folder=None, name: str = "") -> str:
    """A copy of ``template_db`` whose cells ``sources`` (``{grade_id: (source, checksum)}``) are swapped in:
    ``folder/<content hash>.db``, reused when it exists (default ``folder``: the personal cache of the course
    folder ``template_db`` belongs to, one sub-folder per template; older templates' versions are removed)."""
    stat = os.stat(template_db)
    signature = (os.path.realpath(template_db), stat.st_mtime_ns, stat.st_size)
    if _TEMPLATE_HASHES.get(template_db, (None,))[0] != signature:
        _TEMPLATE_HASHES[template_db] = (signature, file_sha256(template_db))
    template_hash = _TEMPLATE_HASHES[template_db][1]
    if folder is None:
        base = cache_root(Path(template_db).parents[1]) / (name or Path(template_db).stem)
        folder = base / template_hash[:16]
        if not folder.is_dir():  # a new template: the versions made from older ones are stale
            shutil.rmtree(base, ignore_errors=True)
    folder = Path(folder)
    digest = hashlib.sha256((template_hash + json.dumps(sources, sort_keys=True)).encode()).hexdigest()
    path = folder / f"{digest[:32]}.db"
    if path.exists():
        return str(path)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".db.tmp", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(template_db, tmp)
        db = sqlite3.connect(tmp)
        try:
            with db:
                for gid, (source, checksum) in sources.items():
                    changed = db.execute("UPDATE source_cell SET source = ?, checksum = ? WHERE name = ?",
                                         (source, checksum, gid)).rowcount
                    if changed != 1:
                        raise GradingError(f"{name or template_db}: the gradebook template has {changed} cells "
                                           f"named {gid!r} (expected one); regrade with --force")
        finally:
            db.close()
        os.replace(tmp, path)  # complete or absent, even if interrupted
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return str(path)
