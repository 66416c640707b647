"""Find the submissions in a folder: nbgrader's layout or a flat export from a learning-management system.

* nbgrader layout: ``[submitted/]<student>/<assignment>/<assignment>.ipynb`` (+ any extra files);
* flat export: ``<student>_<assignment>.ipynb`` (case, ``-``/space separators, ``_LATE`` markers and
  copy suffixes such as ``(1)`` or ``-2`` are tolerated and noted).

A misnamed notebook (the only notebook in a student's folder) is graded under the right name with a
note; a folder without any notebook is reported as missing; the batch always goes on.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

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


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|-\d+|_copy\d*|\s+copy\d*)$", re.IGNORECASE)


def _files(folder: str):
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith("."):
                continue
            yield os.path.relpath(os.path.join(dirpath, f), folder), os.path.join(dirpath, f)


def _looks_nbgrader(folder: str, known: list[str]) -> bool:
    for student in os.listdir(folder):
        sdir = os.path.join(folder, student)
        if os.path.isdir(sdir) and any(os.path.isdir(os.path.join(sdir, a)) for a in os.listdir(sdir)):
            return True
    return False


def discover(folder: str, known: list[str], only: str | None = None) -> Intake:
    """All submissions under ``folder`` for the ``known`` assignments (or just ``only``).

    Raises :class:`GradingError` for a missing folder, an unknown ``only`` or a folder with no submission.
    """
    if not os.path.exists(folder):
        raise GradingError(f"the submissions folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise GradingError(f"{folder} is a file; give the folder that holds the submissions")
    if only is not None and only not in known:
        raise GradingError(f"unknown assignment {only!r}; known assignments: {', '.join(known) or '(none)'}")
    wanted = [only] if only else list(known)
    if os.path.isdir(os.path.join(folder, "submitted")):
        folder = os.path.join(folder, "submitted")
    if _looks_nbgrader(folder, known):
        intake = _nbgrader_layout(folder, wanted)
    else:
        intake = _flat_layout(folder, wanted)
    if not intake.submissions:
        expected = " or ".join([f"{folder}/<student>/<assignment>/<assignment>.ipynb",
                                f"{folder}/<student>_<assignment>.ipynb"])
        extra = f" ({'; '.join(intake.warnings)})" if intake.warnings else ""
        raise GradingError(f"no submissions for {', '.join(wanted) or 'any assignment'} in {folder}: "
                           f"the class is empty; expected {expected}{extra}")
    return intake


def _nbgrader_layout(folder: str, wanted: list[str]) -> Intake:
    intake = Intake([], "nbgrader")
    students = sorted(s for s in os.listdir(folder)
                      if os.path.isdir(os.path.join(folder, s)) and s not in IGNORED_DIRS and not s.startswith("."))
    present = {a for s in students for a in wanted if os.path.isdir(os.path.join(folder, s, a))}
    for student in students:
        sdir = os.path.join(folder, student)
        for other in sorted(os.listdir(sdir)):
            if os.path.isdir(os.path.join(sdir, other)) and other not in wanted and other not in IGNORED_DIRS:
                intake.warnings.append(f"{student}: folder {other!r} is not an assignment being graded")
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
            sub = Submission(student, name, None, extras)
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


def _flat_layout(folder: str, wanted: list[str]) -> Intake:
    intake = Intake([], "flat")
    by_key: dict = {}
    names = sorted(wanted, key=len, reverse=True)
    for fname in sorted(os.listdir(folder)):
        path = os.path.join(folder, fname)
        if not os.path.isfile(path) or fname.startswith("."):
            continue
        stem, ext = os.path.splitext(fname)
        if ext.lower() != ".ipynb":
            intake.warnings.append(f"ignored {fname}: not a notebook")
            continue
        norm, notes = _normalise(stem), []
        stripped = COPY_SUFFIX.sub("", stem)
        if stripped != stem:
            notes.append(f"the file was named {fname!r} (a copy suffix was ignored)")
            norm = _normalise(stripped)
        match = next((a for a in names if norm.endswith("_" + _normalise(a)) and len(norm) > len(a) + 1), None)
        if match is None:
            intake.warnings.append(f"ignored {fname}: the name is not <student>_<assignment>.ipynb "
                                   f"for {', '.join(wanted)}")
            continue
        student = stripped[: len(stripped) - len(match) - 1]
        student = re.sub(r"_LATE$|_late$", "", student)
        if stripped[len(student):] and stripped[-len(match):] != match and not notes:
            notes.append(f"the file was named {fname!r}; it was graded as {match}.ipynb")
        if not student or "/" in student:
            intake.warnings.append(f"ignored {fname}: no student name before _{match}")
            continue
        key = (student, match)
        if key in by_key and by_key[key].notes and not notes:  # prefer the exactly named file
            intake.warnings.append(f"{student}: several files for {match}; graded {fname}, ignored "
                                   f"{os.path.basename(by_key[key].notebook)}")
        elif key in by_key:
            intake.warnings.append(f"{student}: several files for {match}; graded {os.path.basename(by_key[key].notebook)}"
                                   f", ignored {fname}")
        if key in by_key and not (by_key[key].notes and not notes):
            continue
        by_key[key] = Submission(student, match, path, {}, notes)
    intake.submissions = [by_key[k] for k in sorted(by_key)]
    return intake
