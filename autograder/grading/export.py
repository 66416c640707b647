"""``python -m autograder export --to canvas|moodle|csv``: grades back to the learning-management system.

Built on nbgrader's :class:`~nbgrader.plugins.ExportPlugin` (so ``PYTHONPATH=REPO nbgrader export --exporter
autograder.grading.export.CanvasExport`` in the course folder works too): everything comes from the gradebook — scores with the hand
scores a grader entered, less nbgrader's ``late_submission_penalty`` (kept equal to our late policy), and each
student's ``lms_user_id``, names and email (from ``--roster`` at grading time). A student on the roster who
submitted nothing scores 0, as in nbgrader's own CSV export.

* **Canvas** gradebook import (Grades > Import): header ``Student,ID,SIS User ID,SIS Login ID,Section`` then one
  column per assignment named ``NAME (CANVAS_ASSIGNMENT_ID)`` (``--canvas-id NAME=ID``; without an id Canvas
  matches the column by title, or offers to create the assignment); second row ``    Points Possible`` with each
  assignment's maximum; one row per student: ``"Last, First"``, Canvas user id (``lms_user_id``), the SIS columns
  when the roster gives them, the score.
* **Moodle** grade import (Grades > Import > CSV file): header ``First name,Last name,ID number,Email address,
  User ID`` then one column per assignment; in Moodle choose "Map from" ``User ID`` to "id" (or ``Email address``
  to "Email address") and map each assignment column to its grade item.
* **csv**: one row per student (``student_id, first_name, last_name, email, lms_user_id``), one column per
  assignment and a total: for spreadsheets.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import sys

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Dict

from .coursedir import GradingError
from .feedback import fmt_points


def _score(gb, assignment: str, student: str) -> float:
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return 0.0
    return max(0.0, (sub.score or 0.0) - (sub.late_submission_penalty or 0.0))


class LmsExport(ExportPlugin):
    """Wide table: one row per student, one score per assignment (``self.assignment`` / ``self.student`` filter)."""

    def table(self, gradebook):
        names = [a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment]
        students = [s for s in gradebook.students if not self.student or s.id in self.student]
        maxima = {a.name: a.max_score for a in gradebook.assignments if a.name in names}
        rows = [(s, {n: _score(gradebook, n, s.id) for n in names}) for s in sorted(students, key=lambda s: s.id)]
        return names, maxima, rows

    def write(self, text: str) -> None:
        dest = self.to or "grades.csv"
        with open(dest, "w", encoding="utf-8", newline="") as f:
            f.write(text)


class CanvasExport(LmsExport):
    """Canvas's gradebook import format (see the module docstring)."""

    canvas_ids = Dict({}, help="Canvas assignment id per assignment name (column 'NAME (ID)')").tag(config=True)
    sis = Dict({}, help="student id -> {sis_user_id, sis_login_id, section} (from the roster)").tag(config=True)

    def export(self, gradebook) -> None:
        names, maxima, rows = self.table(gradebook)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
                   + [f"{n} ({self.canvas_ids[n]})" if n in self.canvas_ids else n for n in names])
        w.writerow(["    Points Possible", "", "", "", ""] + [fmt_points(maxima[n]) for n in names])
        for s, scores in rows:
            name = ", ".join(p for p in (s.last_name, s.first_name) if p) or s.id
            extra = self.sis.get(s.id, {})
            w.writerow([name, s.lms_user_id or "", extra.get("sis_user_id", ""), extra.get("sis_login_id", ""),
                        extra.get("section", "")] + [fmt_points(scores[n]) for n in names])
        self.write(buf.getvalue())


class MoodleExport(LmsExport):
    """Moodle's CSV grade import format (see the module docstring)."""

    def export(self, gradebook) -> None:
        names, _, rows = self.table(gradebook)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["First name", "Last name", "ID number", "Email address", "User ID"] + names)
        for s, scores in rows:
            w.writerow([s.first_name or "", s.last_name or "", s.id, s.email or "", s.lms_user_id or ""]
                       + [fmt_points(scores[n]) for n in names])
        self.write(buf.getvalue())


class WideCsvExport(LmsExport):
    """One row per student, one column per assignment, a total."""

    def export(self, gradebook) -> None:
        names, _, rows = self.table(gradebook)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["student_id", "first_name", "last_name", "email", "lms_user_id"] + names + ["total"])
        for s, scores in rows:
            w.writerow([s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or ""]
                       + [fmt_points(scores[n]) for n in names] + [fmt_points(sum(scores.values()))])
        self.write(buf.getvalue())


EXPORTERS = {"canvas": CanvasExport, "moodle": MoodleExport, "csv": WideCsvExport}


def main(argv=None) -> int:
    from . import database
    from .refresh import add_graded_course_options, apply_term_options, current_results, with_gradebook
    from .report import open_gradebook
    from .roster import load_roster
    from .state import State

    parser = argparse.ArgumentParser(prog="python -m autograder export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--to", required=True, choices=sorted(EXPORTERS), help="the LMS import format")
    parser.add_argument("--output", default=None, help="file to write (default: <course>/reports/export_<to>.csv)")
    parser.add_argument("--assignment", action="append", default=[], help="only this assignment (repeatable)")
    parser.add_argument("--canvas-id", action="append", default=[], metavar="NAME=ID",
                        help="Canvas assignment id of an assignment (its URL ends in /assignments/ID)")
    parser.add_argument("--roster", default=None, help="roster CSV, for Canvas's SIS User ID / SIS Login ID / Section")
    add_graded_course_options(parser)
    args = parser.parse_args(argv)
    try:
        course, db_url = database.graded_course(args.course_dir, args.db_url)
        canvas_ids = {}
        for item in args.canvas_id:
            name, sep, cid = item.partition("=")
            if not sep or not cid.strip().isdigit():
                raise GradingError(f"--canvas-id {item!r}: expected NAME=NUMBER, e.g. 01_perceptron=123456")
            canvas_ids[name] = cid.strip()
        sis = {}
        if args.roster:
            sis = {p.student_id: p.extra for p in load_roster(args.roster).people if p.extra}
        state = State(course, database.key(db_url))
        try:
            names = sorted({a for _, a in state.members()})
            unknown = [a for a in args.assignment + list(canvas_ids) if a not in names]
            if unknown:
                raise GradingError(f"not graded here: {', '.join(unknown)}; graded: {', '.join(names) or 'nothing'}")
            policy = apply_term_options(args, state, db_url, names)
            results = with_gradebook(db_url, current_results(state), policy)  # late penalties up to date
        finally:
            state.close()
        out = args.output or os.path.join(course, "reports", f"export_{args.to}.csv")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        kwargs = {"to": out, "assignment": args.assignment}
        if args.to == "canvas":
            kwargs.update(canvas_ids=canvas_ids, sis=sis)
        with open_gradebook(db_url) as gb:
            EXPORTERS[args.to](**kwargs).export(gb)
            students = list(gb.students)
    except GradingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    waiting = [(r.student, r.assignment) for r in results if r.pending
               and (not args.assignment or r.assignment in args.assignment)]
    no_id = [s.id for s in students if not s.lms_user_id]
    print(f"{args.to} import file: {out} ({len(students)} students)")
    if waiting:
        print(f"warning: {len(waiting)} submissions still have answers waiting for grading by hand (counted 0): "
              f"{', '.join(f'{s} ({a})' for s, a in waiting[:10])}")
    if no_id and args.to in ("canvas", "moodle"):
        print(f"warning: {len(no_id)} students have no lms_user_id (give a --roster when grading): "
              f"{', '.join(no_id[:10])}")
    return 0
