"""Learning-management-system exports in, through nbgrader's own ``zip_collect`` machinery.

An export (a folder, a ``.zip`` such as Canvas's ``submissions.zip``, or a folder holding zips) is extracted by
nbgrader's :class:`~nbgrader.plugins.ExtractorPlugin` (:class:`TimedExtractor` also keeps the time the LMS stored
with each file); every file name is read by a :class:`~nbgrader.plugins.FileNameCollectorPlugin` with one named
regular expression per LMS; a roster (:mod:`.roster`) maps the LMS's names to one student; the latest submission
of each student wins; nbgrader's :class:`~nbgrader.apps.ZipCollectApp` copies the winners into the course folder as
``submitted/<student>/<assignment>/<assignment>.ipynb`` with their ``timestamp.txt``. Every other file is kept in
:attr:`Collected.skipped` with the reason (the summary lists them all).

Names understood (``NAME`` = an assignment, e.g. ``01_perceptron``; ``-1``, `` (1)`` copy suffixes tolerated):

=========== ======================================================================== =====================
LMS         file name                                                                time from
=========== ======================================================================== =====================
Canvas      ``smithalice[_LATE]_<user id>_<submission id>_NAME[-1].ipynb``            the zip / the file
Moodle      ``Alice Smith_<participant>_assignsubmission_file_NAME.ipynb``, or the      the zip / the file
            same prefix as a folder holding ``NAME.ipynb`` ("download in folders")
Blackboard  ``<title>_<user name>_attempt_YYYY-MM-DD-HH-MM-SS_NAME.ipynb``            the name
plain       ``<student>_NAME.ipynb``                                                 none
=========== ======================================================================== =====================
"""
from __future__ import annotations

import io
import logging
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from .coursedir import GradingError
from .roster import Roster, safe_id

COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|-\d+|_copy\d*|\s+copy\d*)$", re.IGNORECASE)
BB_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")


def _norm(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


# --------------------------------------------------------------------------- nbgrader plugins
class TimedExtractor(ExtractorPlugin):
    """nbgrader's extractor, keeping each file's time: a zip entry's stored time (read as UTC), a loose file's
    modification time (``unzip`` by hand keeps the zip's time there too)."""

    unsafe: list = []  # (member as named in its archive, why it was not extracted)

    def extract(self, archive_path: str, extracted_path: str) -> None:
        self.unsafe = []
        super().extract(archive_path, extracted_path)
        for root, _, files in os.walk(archive_path):
            dest_dir = os.path.normpath(os.path.join(extracted_path, os.path.relpath(root, archive_path)))
            for name in files:
                src = os.path.join(root, name)
                stem, ext = os.path.splitext(name)
                if ext not in self.zip_ext:
                    if os.path.exists(os.path.join(dest_dir, name)):
                        st = os.stat(src)
                        os.utime(os.path.join(dest_dir, name), (st.st_mtime, st.st_mtime))
                    continue
                try:
                    with zipfile.ZipFile(src) as z:
                        for info in z.infolist():
                            parts = info.filename.split("/")
                            if info.filename.startswith("/") or ".." in parts:  # nbgrader's unzip skips them
                                self.unsafe.append((f"{name}:{info.filename}", "a path outside the archive's "
                                                    "folder (not extracted)"))
                                continue
                            target = os.path.join(dest_dir, stem, *parts)
                            if info.is_dir() or not os.path.isfile(target):
                                continue
                            t = datetime(*info.date_time, tzinfo=timezone.utc).timestamp()
                            os.utime(target, (t, t))
                except (zipfile.BadZipFile, OSError):
                    continue


class LmsCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector for one LMS: ``named_regexp`` must give ``student_id`` and ``file_id``; our
    groups ``lms_user_id`` and ``order`` (the LMS's own upload counter) help the roster and the choice of latest."""

    lms = ""
    valid_ext = [".ipynb"]

    def collect(self, submitted_file: str):
        info = super().collect(submitted_file)
        if info is None:
            return None
        info = {k: v for k, v in info.items() if v is not None}
        info.setdefault("timestamp", None)
        return self.fix(info)

    def fix(self, info: dict) -> dict:
        return info


class CanvasCollector(LmsCollector):
    lms = "canvas"
    named_regexp = Unicode(r".*/(?P<student_id>[^/_]+?)(?P<late>_LATE)?_(?P<lms_user_id>\d+)_(?P<order>\d+)_"
                           r"(?P<file_id>[^/]+)$").tag(config=True)


class MoodleCollector(LmsCollector):
    lms = "moodle"
    named_regexp = Unicode(r".*/(?P<student_id>[^/_]+)_(?P<participant>\d+)_assignsubmission_file"
                           r"(?:_/|/|_)(?P<file_id>[^/]+)$").tag(config=True)


class BlackboardCollector(LmsCollector):
    lms = "blackboard"
    named_regexp = Unicode(r".*/(?P<title>[^/]+)_(?P<student_id>[^/_]+)_attempt_(?P<timestamp>\d{4}-\d{2}-\d{2}"
                           r"-\d{2}-\d{2}-\d{2})_(?P<file_id>[^/]+)$").tag(config=True)

    def fix(self, info: dict) -> dict:
        # as nbgrader's docs show, dateutil misreads 2016-01-30-15-00-00: give it an unambiguous form
        m = BB_TIME.match(info.get("timestamp") or "")
        if m:
            info["timestamp"] = "{}-{}-{} {}:{}:{}".format(*m.groups())
        return info


class PlainCollector(LmsCollector):
    """``<student>_<assignment>.ipynb``: the assignment names are part of the expression."""

    lms = "plain"
    named_regexp = Unicode(r".*/(?P<student_id>[^/]+)_(?P<file_id>[^/_]+_[^/]+\.ipynb)$").tag(config=True)


COLLECTORS = (BlackboardCollector, MoodleCollector, CanvasCollector, PlainCollector)


# --------------------------------------------------------------------------- choosing the submissions
@dataclass
class Candidate:
    path: str            # the extracted file
    shown: str           # its name as the instructor gave it (relative to the export)
    lms: str
    student: str
    assignment: str
    timestamp: datetime | None
    order: int
    notes: list = field(default_factory=list)
    lms_user_id: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass
class Collected:
    taken: list = field(default_factory=list)      # Candidate, one per (student, assignment)
    skipped: list = field(default_factory=list)    # (assignment or "", shown path, reason)
    layouts: set = field(default_factory=set)


def match_assignment(file_id: str, wanted: list[str], only: str | None, lms: str = "") -> tuple[str | None, list]:
    """Which assignment a submitted file name means (copy suffixes tolerated), and notes on what was tolerated
    (none for the ``-1``, ``-2`` ... Canvas itself appends to a resubmitted file)."""
    stem, ext = os.path.splitext(os.path.basename(file_id))
    notes = []
    stripped = COPY_SUFFIX.sub("", stem)
    for name in sorted(wanted, key=len, reverse=True):
        if _norm(stripped) == _norm(name) or _norm(stem) == _norm(name):
            if stem != name and not (lms == "canvas" and re.fullmatch(re.escape(name) + r"-\d+", stem)):
                notes.append(f"the notebook was named {os.path.basename(file_id)!r}; it was graded as {name}.ipynb")
            return name, notes
    if only is not None:
        return only, [f"the notebook was named {os.path.basename(file_id)!r} (not {only}.ipynb); "
                      f"it was graded as {only}.ipynb because only {only} was being graded"]
    return None, notes


def plain_match(path: str, wanted: list[str]):
    """``<student>_<assignment>.ipynb`` against the assignment names (case, separators, copy suffixes, ``_LATE``)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    stripped = COPY_SUFFIX.sub("", stem)
    norm = _norm(stripped)
    for name in sorted(wanted, key=len, reverse=True):
        if norm.endswith("_" + _norm(name)) and len(norm) > len(name) + 1:
            student = re.sub(r"_LATE$", "", stripped[: len(stripped) - len(name) - 1], flags=re.IGNORECASE)
            if student:
                notes = [] if stem == f"{student}_{name}" else [
                    f"the file was named {os.path.basename(path)!r}; it was graded as {name}.ipynb"]
                return {"student_id": student, "file_id": f"{name}.ipynb", "timestamp": None}, name, notes
    return None, None, []


def identify(lms: str, info: dict, roster: Roster | None):
    """(student id, first, last, lms user id) for a parsed name, or (None, reason)."""
    raw = info["student_id"]
    if roster is None:
        sid = safe_id(raw) if lms in ("moodle", "canvas") else raw
        if not sid:
            return None, f"no student name in the file name ({raw!r})"
        first, last = (raw.rsplit(" ", 1) + [""])[:2] if lms == "moodle" else ("", "")
        return (sid, first, last, info.get("lms_user_id", "")), ""
    if lms == "canvas":
        person, why = roster.find(lms_user_id=info.get("lms_user_id", ""), name=raw)
    elif lms == "moodle":
        person, why = roster.find(name=raw)
    else:
        person, why = roster.find(lms_user_id=raw if raw.isdigit() else "", login=raw)
    if person is None:
        return None, why
    return (person.student_id, person.first_name, person.last_name, person.lms_user_id), ""


def parse_time(value) -> datetime | None:
    from nbgrader.utils import parse_utc
    if value is None or value == "":
        return None
    return parse_utc(value)


def choose(files: list[tuple[str, str]], wanted: list[str], only: str | None, roster: Roster | None,
           use_file_times: bool = True) -> Collected:
    """Read every ``(path, shown)`` file name, map it to a student, keep the latest submission per student and
    assignment, and give a reason for every file not taken."""
    out = Collected()
    collectors = [cls(log=logging.getLogger("autograder.lms.quiet")) for cls in COLLECTORS]
    logging.getLogger("autograder.lms.quiet").setLevel(logging.CRITICAL)
    by_key: dict = {}
    for path, shown in files:
        base = os.path.basename(path)
        if base.startswith(".") or "__MACOSX" in shown.split("/"):
            out.skipped.append(("", shown, "hidden or system file (not a submission)"))
            continue
        if not base.lower().endswith(".ipynb"):
            why = ("Blackboard's submission details (not graded)" if "_attempt_" in base and base.endswith(".txt")
                   else "not a notebook")
            out.skipped.append(("", shown, why))
            continue
        info, lms, notes, assignment = None, "", [], None
        for collector in collectors[:-1]:
            info = collector.collect(path)
            if info is not None:
                lms = collector.lms
                assignment, notes = match_assignment(info["file_id"], wanted, only, lms)
                break
        if info is None:
            info, assignment, notes = plain_match(path, wanted)
            lms = "plain"
        if info is None:
            out.skipped.append(("", shown, "the name is neither <student>_<assignment>.ipynb (for "
                                f"{', '.join(wanted)}) nor a Canvas, Moodle or Blackboard export name"))
            continue
        if assignment is None:
            out.skipped.append(("", shown, f"{lms} file of {info['student_id']!r}: cannot tell which assignment "
                                f"{os.path.basename(info['file_id'])!r} is (expected one of "
                                f"{', '.join(n + '.ipynb' for n in wanted)}; or grade with --assignment)"))
            continue
        who, why = identify(lms, info, roster)
        if who is None:
            out.skipped.append((assignment, shown, why))
            continue
        sid, first, last, lms_user_id = who
        ts = parse_time(info.get("timestamp"))
        if ts is None and use_file_times and lms in ("canvas", "moodle"):
            ts = datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc).replace(tzinfo=None)
        if info.get("late"):
            notes.append("Canvas marked this submission late")
        out.layouts.add(lms)
        cand = Candidate(path, shown, lms, sid, assignment, ts, int(info.get("order") or 0), notes, lms_user_id,
                         first, last)
        by_key.setdefault((sid, assignment), []).append(cand)
    for (sid, assignment), cands in sorted(by_key.items()):
        # the latest wins: by time, then the LMS's upload counter, then an exactly named file, then the name
        cands.sort(key=lambda c: (c.timestamp or datetime.min, c.order, not c.notes, c.shown))
        winner = cands[-1]
        out.taken.append(winner)
        for c in cands[:-1]:
            when = f" ({c.timestamp:%Y-%m-%d %H:%M:%S})" if c.timestamp else ""
            out.skipped.append((assignment, c.shown, f"an earlier submission{when} by {sid}: the latest, "
                                f"{winner.shown}, was graded"))
    return out


# --------------------------------------------------------------------------- into the course folder
def extract(source: str, staging: str) -> tuple[list, list]:
    """Extract/copy the export ``source`` (folder or archive) into ``staging``: ``[(path, shown name)]`` and the
    archive members refused (``[(name, why)]``)."""
    if os.path.isdir(staging):
        shutil.rmtree(staging)
    os.makedirs(staging)
    archive = source
    if os.path.isfile(source):  # one archive: nbgrader's extractor walks a folder, so give it one
        archive = os.path.join(os.path.dirname(staging), "archive")
        if os.path.isdir(archive):
            shutil.rmtree(archive)
        os.makedirs(archive)
        os.symlink(os.path.abspath(source), os.path.join(archive, os.path.basename(source)))
    extractor = TimedExtractor(log=logging.getLogger("autograder.lms.quiet"))
    try:
        extractor.extract(archive, staging)
    except Exception as exc:
        raise GradingError(f"could not extract {source}: {exc}") from None
    files = []
    for root, dirs, names in os.walk(staging):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            files.append((path, os.path.relpath(path, staging)))
    return files, list(extractor.unsafe)


def transfer(course_root: str, collected: Collected, wanted: list[str]) -> None:
    """Copy the chosen files to ``submitted/<student>/<assignment>/<assignment>.ipynb`` + ``timestamp.txt`` with
    nbgrader's ``ZipCollectApp``; students no longer in the export lose their copy of that assignment."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    from ..nbcells import nbgrader_config

    for name in wanted:
        chosen = [c for c in collected.taken if c.assignment == name]
        cfg = nbgrader_config(course_root, assignment=name)
        cfg.ZipCollectApp.force = True
        app = ZipCollectApp(config=cfg)
        app.coursedir = CourseDirectory(config=cfg)
        app.log = logging.getLogger("autograder.lms.quiet")
        data = {}
        for c in chosen:
            dest = app.coursedir.format_path(app.coursedir.submitted_directory, c.student, name)
            data[c.student] = dict(src_files=[c.path], dest_files=[os.path.join(dest, f"{name}.ipynb")],
                                   file_ids=[f"{name}.ipynb"], timestamp=c.timestamp)
        keep = set(data)
        submitted = os.path.join(course_root, "submitted")
        for student in sorted(os.listdir(submitted)) if os.path.isdir(submitted) else []:
            old = os.path.join(submitted, student, name)
            if student not in keep and os.path.isdir(old):
                shutil.rmtree(old)
        try:
            app._transfer_files(data)  # nbgrader's own copy: clears the folder, copies, writes timestamp.txt
        except SystemExit:
            raise GradingError(f"nbgrader could not collect the submissions of {name} into {submitted}") from None


def describe_layout(layouts: set) -> str:
    return " + ".join(sorted("flat" if x == "plain" else x for x in layouts)) or "flat"


del io
