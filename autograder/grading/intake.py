"""Find the submissions: nbgrader's layout, or an export from a learning-management system (:mod:`.lms`).

* nbgrader layout: ``[submitted/]<student>/<assignment>/<assignment>.ipynb`` (+ any extra files);
* LMS exports — Canvas (its ``submissions.zip`` too), Moodle (flat or in folders), Blackboard, plain
  ``<student>_<assignment>.ipynb`` — through nbgrader's ``zip_collect`` machinery (:mod:`.lms`).

Either way the submissions are copied into the course folder's ``submitted/`` (where nbgrader's formgrader
finds them) and graded from there. A roster (:mod:`.roster`) maps every name to one student. A misnamed
notebook (the only notebook in a student's folder) is graded under the right name with a note; a folder
without any notebook is reported as missing; every file not taken is listed with the reason; the batch
always goes on.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .coursedir import GradingError, file_sha256

IGNORED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", ".DS_Store"}


@dataclass
class Submission:
    """One student's work on one assignment, as found on disk."""

    student: str
    assignment: str
    notebook: str | None                  # path of the file to grade as <assignment>.ipynb, or None
    extra_files: dict = field(default_factory=dict)   # relative path -> absolute path
    notes: list = field(default_factory=list)
    problem: str | None = None            # why there is nothing to grade (missing, ambiguous)
    timestamp: datetime | None = None     # when it was submitted (UTC; nbgrader's timestamp.txt), if known

    def content_hash(self, source_hash: str) -> str:
        """Identity of what would be graded: the files' bytes and the instructor source they meet."""
        h = hashlib.sha256(source_hash.encode())
        h.update((self.notebook and file_sha256(self.notebook) or "no-notebook").encode())
        for rel in sorted(self.extra_files):
            h.update(rel.encode())
            h.update(file_sha256(self.extra_files[rel]).encode())
        return h.hexdigest()


@dataclass
class Intake:
    submissions: list
    layout: str
    warnings: list = field(default_factory=list)
    skipped: list = field(default_factory=list)   # (assignment or "", file as given, why it was not taken)
    people: list = field(default_factory=list)    # (student id, first name, last name, LMS user id) from names


def _files(folder: str):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            yield os.path.relpath(os.path.join(dirpath, f), folder), os.path.join(dirpath, f)


def read_timestamp(folder: str) -> datetime | None:
    """nbgrader's ``timestamp.txt`` (as its ZipCollectApp writes it: UTC, ``YYYY-MM-DD HH:MM:SS``), or None."""
    try:
        with open(os.path.join(folder, "timestamp.txt")) as f:
            moment = datetime.fromisoformat(f.read().strip())
    except (OSError, ValueError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _looks_nbgrader(folder: str, known: list[str]) -> bool:
    """Some ``<student>/<assignment>/`` folder (a Moodle "in folders" export has none)."""
    for student in os.listdir(folder):
        sdir = os.path.join(folder, student)
        if os.path.isdir(sdir) and any(os.path.isdir(os.path.join(sdir, a)) for a in known):
            return True
    return False


def discover(folder: str, known: list[str], only: str | None = None, course_root: str | None = None,
             roster=None) -> Intake:
    """All submissions under ``folder`` (a folder, or an LMS archive) for the ``known`` assignments (or ``only``),
    copied into ``course_root/submitted/`` (default: a ``.collected`` folder beside ``folder``'s parent).

    Raises :class:`GradingError` for a missing folder, an unknown ``only`` or a folder with no submission.
    """
    if not os.path.exists(folder):
        raise GradingError(f"the submissions folder {folder} does not exist")
    is_archive = os.path.isfile(folder) and os.path.splitext(folder)[1].lower() in (".zip", ".gz")
    if not os.path.isdir(folder) and not is_archive:
        raise GradingError(f"{folder} is a file; give the folder that holds the submissions, or the LMS's .zip")
    if only is not None and only not in known:
        raise GradingError(f"unknown assignment {only!r}; known assignments: {', '.join(known) or '(none)'}")
    wanted = [only] if only else list(known)
    if course_root is None:
        import tempfile
        course_root = tempfile.mkdtemp(prefix="intake-")
    submitted = os.path.join(course_root, "submitted")
    if not is_archive and os.path.isdir(os.path.join(folder, "submitted")):
        folder = os.path.join(folder, "submitted")
    if not is_archive and _looks_nbgrader(folder, known):
        intake = _mirror_nbgrader(folder, submitted, wanted, roster)
    else:
        intake = _collect_lms(folder, course_root, wanted, only, roster)
    if not intake.submissions:
        expected = " or ".join([f"{folder}/<student>/<assignment>/<assignment>.ipynb",
                                f"{folder}/<student>_<assignment>.ipynb", "a Canvas, Moodle or Blackboard export"])
        extra = "; ".join(intake.warnings + [f"{p}: {why}" for _, p, why in intake.skipped[:5]])
        raise GradingError(f"no submissions for {', '.join(wanted) or 'any assignment'} in {folder}: "
                           f"the class is empty; expected {expected}" + (f" ({extra})" if extra else ""))
    return intake


def _mirror_nbgrader(folder: str, submitted: str, wanted: list[str], roster) -> Intake:
    """Copy ``<student>/<assignment>/`` folders (students mapped through the roster) into ``submitted``."""
    skipped, present = [], {}
    same = os.path.realpath(folder) == os.path.realpath(submitted)
    for student in sorted(os.listdir(folder)):
        sdir = os.path.join(folder, student)
        if not os.path.isdir(sdir) or student in IGNORED_DIRS or student.startswith("."):
            if not student.startswith("."):
                skipped.append(("", student, "not a student folder (nbgrader layout: <student>/<assignment>/)"))
            continue
        sid = student
        if roster is not None:
            person, why = roster.find(lms_user_id=student if student.isdigit() else "", login=student, name=student)
            if person is None:
                skipped.append(("", student + "/", why))
                continue
            sid = person.student_id
        for other in sorted(os.listdir(sdir)):
            if other not in wanted and other not in IGNORED_DIRS and not other.startswith("."):
                skipped.append(("", f"{student}/{other}", "not an assignment being graded"))
        for name in wanted:
            if os.path.isdir(os.path.join(sdir, name)):
                present.setdefault(name, {})[sid] = os.path.join(sdir, name)
    if not same:
        for name in wanted:
            keep = present.get(name, {})
            for student in sorted(os.listdir(submitted)) if os.path.isdir(submitted) else []:
                dest = os.path.join(submitted, student, name)
                if os.path.isdir(dest) and student not in keep:
                    shutil.rmtree(dest)
            for sid, src in keep.items():
                dest = os.path.join(submitted, sid, name)
                if os.path.isdir(dest):
                    shutil.rmtree(dest)
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED_DIRS))
    names = [n for n in wanted if n in present]
    intake = _nbgrader_layout(submitted if not same else folder, names) if names else Intake([], "nbgrader")
    intake.skipped = skipped + intake.skipped
    return intake


def _collect_lms(folder: str, course_root: str, wanted: list[str], only, roster) -> Intake:
    from . import lms
    staging = os.path.join(course_root, ".autograder", "intake", "extracted")
    files, refused = lms.extract(folder, staging)
    collected = lms.choose(files, wanted, only, roster)
    collected.skipped = [("", shown, why) for shown, why in refused] + collected.skipped
    names = sorted({c.assignment for c in collected.taken})
    lms.transfer(course_root, collected, names)
    intake = _nbgrader_layout(os.path.join(course_root, "submitted"), names) if names else Intake([], "")
    intake.layout = lms.describe_layout(collected.layouts)
    notes = {(c.student, c.assignment): c.notes for c in collected.taken}
    for sub in intake.submissions:
        sub.notes = notes.get((sub.student, sub.assignment), []) + sub.notes
    intake.skipped = collected.skipped + intake.skipped
    intake.people = sorted({(c.student, c.first_name, c.last_name, c.lms_user_id) for c in collected.taken})
    return intake


def _nbgrader_layout(folder: str, wanted: list[str]) -> Intake:
    intake = Intake([], "nbgrader")
    students = sorted(s for s in os.listdir(folder)
                      if os.path.isdir(os.path.join(folder, s)) and s not in IGNORED_DIRS and not s.startswith("."))
    present = {a for s in students for a in wanted if os.path.isdir(os.path.join(folder, s, a))}
    for student in students:
        sdir = os.path.join(folder, student)
        for name in wanted:
            if name not in present:
                continue
            adir = os.path.join(sdir, name)
            if not os.path.isdir(adir):
                intake.submissions.append(Submission(student, name, None,
                                                     problem=f"no folder {name}/ was submitted"))
                continue
            files = dict(_files(adir))
            expected = f"{name}.ipynb"
            notebooks = [rel for rel in files if rel.endswith(".ipynb")]
            extras = {rel: p for rel, p in files.items() if not rel.endswith(".ipynb")}
            extras.pop("timestamp.txt", None)  # nbgrader's record of when it was submitted, not the student's file
            sub = Submission(student, name, None, extras, timestamp=read_timestamp(adir))
            if expected in files:
                sub.notebook = files[expected]
                others = [n for n in notebooks if n != expected]
                if others:
                    sub.notes.append(f"other notebooks were ignored: {', '.join(others)}")
            elif len(notebooks) == 1:
                sub.notebook = files[notebooks[0]]
                sub.notes.append(f"the notebook was named {notebooks[0]!r}; it was graded as {expected!r}")
            elif notebooks:
                sub.problem = (f"no notebook named {expected!r}, and several others ({', '.join(notebooks)}); "
                               f"rename the one to grade to {expected!r}")
            else:
                sub.problem = f"no notebook was submitted (expected {expected!r})"
            intake.submissions.append(sub)
    return intake
