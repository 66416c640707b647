"""``python -m autograder preflight``: does *this* environment grade correctly before a class is graded?

For every assignment the instructor's reference notebook must score full marks on every autograded
test, and the blank student version zero, when graded exactly as students are (same workers, same
kernel, same limits). Otherwise grading would silently give a whole class zero — e.g. a package the
tests import is missing from the grading environment, or the cell timeout is too short for the
reference. ``grade`` runs this first (and remembers a pass until the source or environment changes).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import sys
from dataclasses import asdict

from ..cli import add_common_options, isolation_problem, limits_from
from ..nbcells import sqlite_url
from .coursedir import GradingError, check_private, list_assignments, prepare_assignment
from .feedback import failure_text, fmt_points
from .pool import WorkerPool, ctrl_c_stops_cleanly
from .records import Result


def environment_fingerprint() -> str:
    """Python version + every installed distribution and version (a changed package invalidates a pass)."""
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    return hashlib.sha256("\n".join([sys.version] + dists).encode()).hexdigest()


def preflight_key(source_hash: str, limits) -> str:
    text = f"{source_hash}|{environment_fingerprint()}|{sorted(asdict(limits).items())}"
    return hashlib.sha256(text.encode()).hexdigest()


def tasks_for(prepared) -> list:
    """Two pseudo-students per assignment: the reference (instructor source) and the blank release; for a
    personalised assignment also the reference for 20 random ids and the blank for one more
    (:func:`autograder.personal.grading.preflight_tasks`)."""
    from ..personal.grading import preflight_tasks

    return [((prepared.name, kind), prepared.task(f"preflight-{kind}", path, "preflight"))
            for kind, path in (("reference", os.path.join(prepared.source_dir, f"{prepared.name}.ipynb")),
                               ("blank", prepared.release_path))] + preflight_tasks(prepared)


def check(kind: str, result: Result) -> list[str]:
    """Problems with one preflight result: which test did not score what it should, and why."""
    if result.status != "graded":
        return [f"the {kind} notebook could not be graded: {result.reason}"]
    problems = []
    who = kind.split(" ", 1)[1] if " " in kind else ""  # e.g. "reference for random id preflight-1f2e3d4c"
    who = f" {who}" if who else ""
    for cell in result.cells:
        if not cell.auto:
            continue
        points = cell.points or 0.0
        if kind.startswith("reference") and points < cell.max_points:
            why = failure_text(cell) or "no error shown"
            problems.append(f"reference answer{who} scores {fmt_points(points)}/{fmt_points(cell.max_points)} "
                            f"on `{cell.grade_id}`: {why}")
        if kind.startswith("blank") and points > 0:
            problems.append(f"blank notebook{who} scores {fmt_points(points)}/{fmt_points(cell.max_points)} on "
                            f"`{cell.grade_id}` (the test passes without an answer)")
    if kind.startswith("reference"):
        for err in result.cell_errors:
            problems.append(f"the reference notebook raises in cell `{err['cell']}`: {err['ename']}: {err['evalue']}")
    if result.reason:
        problems.append(f"{kind}: {result.reason}")
    return problems


def run_on_pool(pool, prepared_list) -> dict:
    """Grade reference and blank for each assignment on ``pool``; return {assignment: [problem, ...]}."""
    tasks = [t for p in prepared_list for t in tasks_for(p)]
    problems: dict = {}
    for (name, kind), result in pool.run(tasks):
        found = check(kind, result)
        if found:
            problems.setdefault(name, []).extend(found)
    return problems


def failure_message(problems: dict) -> str:
    lines = ["error: preflight failed — nothing was graded, because in this environment:"]
    for name in sorted(problems):
        lines.append(f"  {name}:")
        lines += [f"    - {p}" for p in problems[name]]
    text = "\n".join(problems_text for ps in problems.values() for problems_text in ps)
    if "ModuleNotFoundError" in text or "ImportError" in text:
        lines.append("A package the tests import is missing from the grading environment: install it "
                     "(pip install -r requirements.txt) and run again.")
    if "CellTimeoutError" in text or "timed out" in text:
        lines.append("The reference answers time out: raise --timeout.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder preflight", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default=None, help="check only this assignment")
    add_common_options(parser)
    args = parser.parse_args(argv)
    with ctrl_c_stops_cleanly():
        try:
            known = list_assignments(args.source_dir)
            if args.assignment and args.assignment not in known:
                raise GradingError(f"unknown assignment {args.assignment!r}; known assignments: "
                                   f"{', '.join(known)}")
            names = [args.assignment] if args.assignment else known
            if not names:
                raise GradingError(f"no assignment sources found in {args.source_dir}")
            course = os.path.abspath(args.course_dir)
            check_private(course)
            db_url = args.db_url or sqlite_url(os.path.join(course, "gradebook.db"))
            limits = limits_from(args)
            problem = isolation_problem(limits)
            if problem:
                raise GradingError(problem)
            prepared = [prepare_assignment(course, n, db_url, args.source_dir) for n in names]
            with WorkerPool(min(args.workers, 2 * len(prepared)), limits) as pool:
                problems = run_on_pool(pool, prepared)
        except GradingError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted: the preflight did not finish; run it again\n")
            return 130
    if problems:
        sys.stderr.write(failure_message(problems))
        return 3
    print(f"preflight ok: {', '.join(names)} — reference answers score full marks, blank notebooks zero")
    return 0
