"""``python -m autograder report``: rewrite the CSV, the summary and every feedback page from the stored results
and the gradebook (hand scores and comments entered in nbgrader's formgrader, deadlines, the late policy).

Cheap (no kernel, no nbgrader converter): run it after grading by hand. ``grade`` ends with the same step, so
whichever command ran last, the reports agree with the gradebook.
"""
from __future__ import annotations

import argparse
import os
import sys

from ..nbcells import DEFAULT_COURSE_DIR
from . import database
from .coursedir import GradingError, assignment_spec
from .feedback import render
from .report import csv_text, open_gradebook, write_atomically, write_reports
from .state import State


def add_term_options(parser: argparse.ArgumentParser) -> None:
    """Deadlines and the late policy (``grade``, ``report`` and ``export`` accept them; they are remembered)."""
    parser.add_argument("--deadline", action="append", default=[], metavar="ASSIGNMENT=WHEN",
                        help="deadline of an assignment, ISO 8601 (e.g. 01_perceptron=2025-03-01T23:59+01:00; "
                             "no offset: UTC); kept in the gradebook as nbgrader's due date")
    parser.add_argument("--late-policy", default=None, metavar="POLICY",
                        help="none (default), zero, or per-day:PERCENT (PERCENT of the score per started day "
                             "late); remembered for the course folder")


def add_graded_course_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that reads a graded course (``report``, ``export``): its folder, its gradebook and
    the term's options; open it with :func:`database.graded_course`."""
    parser.add_argument("--course-dir", default=str(DEFAULT_COURSE_DIR), help="the graded course folder")
    parser.add_argument("--db-url", default=None, help="gradebook database URL (default: sqlite in the course dir)")
    add_term_options(parser)


def apply_term_options(args, state: State, db_url: str, known) -> dict:
    """Store ``--deadline`` in the gradebook and ``--late-policy`` in the course state; return the policy."""
    from . import late

    if args.late_policy is not None:
        state.put_setting("late_policy", late.parse_policy(args.late_policy))
    deadlines = [late.parse_deadline(d, known) for d in args.deadline]
    if deadlines:
        with open_gradebook(db_url) as gb:
            for name, moment in deadlines:
                gb.update_or_create_assignment(name, duedate=moment)
    return state.setting("late_policy", {"penalty_method": "none"})


def with_gradebook(db_url: str, results, policy: dict) -> list:
    """The ``results`` as the reports show them: hand scores, comments, timestamps, late penalties (saved back)."""
    from . import late
    from .gradebook_view import overlay, read_views, save_penalties

    plugin = late.plugin(policy)
    with open_gradebook(db_url) as gb:
        views = read_views(gb, results)
        out = [overlay(r, views.get((r.student, r.assignment)), plugin) for r in results]
        save_penalties(gb, out)
    return out


def write_feedback_pages(course_root: str, results, specs: dict) -> int:
    """Every student's feedback page from its result (only those whose text changed are rewritten)."""
    changed = 0
    for r in results:
        path = os.path.join(course_root, "feedback", r.student, r.assignment, f"{r.assignment}.html")
        html = render(r, specs[r.assignment])
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == html:
                    continue
        except OSError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomically(path, html)
        changed += 1
    return changed


def current_results(state: State, names=None) -> list:
    """The stored results of the class as last collected (one per student and assignment)."""
    members = state.members()
    return [r for r in state.results(names) if (r.student, r.assignment) in members]


def refresh(course_root: str, db_url: str, state: State, specs: dict, run_info: str = "", redraw=None,
            names=None) -> tuple[dict, list]:
    """Reports and feedback from stored results + gradebook; returns (paths, the results as reported).
    Histograms are redrawn when ``redraw``, or (None) when the scores changed (matplotlib is slow to import)."""
    policy = state.setting("late_policy", {"penalty_method": "none"})
    results = with_gradebook(db_url, current_results(state, names), policy)
    if redraw is None:
        try:
            with open(os.path.join(course_root, "reports", "grades.csv"), encoding="utf-8") as f:
                redraw = f.read() != csv_text(results, specs)
        except OSError:
            redraw = True
    paths = write_reports(course_root, results, specs, run_info, redraw=redraw, skipped=state.skipped())
    write_feedback_pages(course_root, results, specs)
    return paths, results


def course_specs(course_root: str, names) -> dict:
    """What each assignment grades, from the instructor notebooks copied into the course folder."""
    import nbformat
    specs = {}
    for name in names:
        path = os.path.join(course_root, "source", name, f"{name}.ipynb")
        if not os.path.exists(path):
            raise GradingError(f"{course_root} has no {name} yet: run `python -m autograder grade` first")
        specs[name] = assignment_spec(name, nbformat.read(path, as_version=4))
    return specs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graded_course_options(parser)
    args = parser.parse_args(argv)
    try:
        course, db_url = database.graded_course(args.course_dir, args.db_url)
        state = State(course, database.key(db_url))
        try:
            names = sorted({a for _, a in state.members()})
            if not names:
                raise GradingError(f"nothing was graded into the gradebook {database.describe(db_url)} from {course}")
            apply_term_options(args, state, db_url, names)
            paths, results = refresh(course, db_url, state, course_specs(course, names))
        finally:
            state.close()
    except GradingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    waiting = sum(len(r.pending) for r in results)
    print(f"{len(results)} submissions; {waiting} answers waiting for grading by hand")
    print(f"CSV:      {paths['csv']}\nsummary:  {paths['summary']}\n"
          f"feedback: {os.path.join(course, 'feedback')}/<student>/<assignment>/<assignment>.html")
    return 0
