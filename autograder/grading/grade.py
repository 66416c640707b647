"""``python -m autograder grade SUBMISSIONS``: grade a class with nbgrader, in parallel, resumably.

Steps: find the submissions (nbgrader layout or a flat LMS export) -> prepare each assignment
(instructor source -> nbgrader ``generate_assignment`` -> gradebook) -> preflight (reference answers
full marks, blank notebook zero, in this environment) -> grade what is new or changed on N long-lived
workers (nbgrader's ``Autograde`` in a scratch copy, limited kernel) -> gradebook, feedback, CSV,
summary, histograms. Re-running grades only what is missing or changed; ``--force`` regrades all.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from ..cli import add_common_options, isolation_problem, limits_from
from . import database
from . import preflight as preflight_mod
from .coursedir import GradingError, check_private, list_assignments, prepare_assignment, source_hash
from .courseconfig import write_course_config
from .intake import discover
from .pool import Progress, WorkerPool, ctrl_c_stops_cleanly
from .refresh import add_term_options, apply_term_options, refresh
from .report import UNISOLATED_WARNING, has_problem, open_gradebook, write_gradebook, write_student_files
from .roster import load_roster
from .state import State
from ..personal.grading import Personaliser, add_options as add_personal_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", help="folder of submissions: submitted/<student>/<assignment>/"
                                            "<assignment>.ipynb, flat <student>_<assignment>.ipynb files, or a "
                                            "Canvas/Moodle/Blackboard export (folder or .zip)")
    parser.add_argument("--roster", default=None, metavar="CSV",
                        help="class list mapping LMS names to students: student_id, name, email, lms_user_id "
                             "(see README)")
    parser.add_argument("--assignment", default=None, help="grade only this assignment")
    parser.add_argument("--force", action="store_true", help="regrade everything, even unchanged submissions")
    parser.add_argument("--skip-preflight", action="store_true", help="do not check reference/blank first")
    parser.add_argument("--cluster", default=None, metavar="URL",
                        help="grade on worker machines through this Celery broker (redis://[:PASSWORD@]HOST:PORT/DB), "
                             "each started with `python -m autograder worker --cluster URL`; needs a PostgreSQL "
                             "--db-url (README: Grading on several machines)")
    add_common_options(parser)
    add_personal_options(parser)
    add_term_options(parser)
    return parser


class Phases:
    """``AUTOGRADER_TIMING=1``: print how long each phase took (for profiling the fixed costs)."""

    def __init__(self, err):
        self.err, self.t = err, time.monotonic()
        self.on = bool(os.environ.get("AUTOGRADER_TIMING"))

    def __call__(self, label):
        if self.on:
            now = time.monotonic()
            self.err.write(f"[timing] {label}: {now - self.t:.2f} s\n")
            self.t = now


def cluster_pool(args, limits, names, err):
    """``--cluster``: remote workers through Celery in place of local ones (only then is Celery imported)."""
    from .coordinator import ClusterPool
    return ClusterPool(args.cluster, limits, args.source_dir, names, force=args.force, err=err)


def run(args, out=sys.stdout, err=sys.stderr) -> int:
    phase = Phases(err)
    course = os.path.abspath(args.course_dir)
    submissions = os.path.abspath(args.submissions)
    known = list_assignments(args.source_dir)
    if not known:
        raise GradingError(f"no assignment sources found in {args.source_dir}")
    check_private(course)
    db_url = args.db_url or database.default_url(course)
    if args.cluster:
        from .cluster import refuse_sqlite
        if refuse_sqlite(db_url):
            raise GradingError(refuse_sqlite(db_url))
    roster = load_roster(args.roster) if args.roster else None
    if not os.path.exists(submissions):
        raise GradingError(f"the submissions folder {submissions} does not exist")
    os.makedirs(course, exist_ok=True)
    database.check(db_url)  # one plain line if the driver is missing or the server cannot be reached
    intake = discover(submissions, known, args.assignment, course, roster)  # into course/submitted/
    for w in intake.warnings:
        err.write(f"warning: {w}\n")

    names = sorted({s.assignment for s in intake.submissions})
    phase("intake")
    limits = limits_from(args)
    hashes = {n: source_hash(n, args.source_dir) for n in names}
    personal = Personaliser(course, args.source_dir, names, intake.submissions, args.secret, not args.no_personal, err,
                            roster)
    state = State(course, database.key(db_url))  # resume state of *this* gradebook
    pool = None
    try:
        policy = apply_term_options(args, state, db_url, known)
        write_course_config(course, db_url, policy)
        state.set_skipped(intake.skipped)
        stamps = {(s.student, s.assignment): s.timestamp for s in intake.submissions}
        for name in names:
            state.set_members(name, {s.student: s.timestamp and s.timestamp.isoformat(" ")
                                     for s in intake.submissions if s.assignment == name})
        in_gradebook = database.graded_submissions(db_url, names)  # a state row without its submission: regrade
        stored = {k: v for k, v in state.keys().items() if k in in_gradebook}
        todo_subs = [(sub, key) for sub in intake.submissions
                     for key in [sub.content_hash(personal.key_source(hashes[sub.assignment], sub.assignment,
                                                                      sub.student))]
                     if args.force or stored.get((sub.student, sub.assignment)) != key]
        pre_key = {n: preflight_mod.preflight_key(personal.preflight_source(hashes[n], n), limits) for n in names}
        pre_names = [] if args.skip_preflight else [n for n in names if not state.preflight_ok(n, pre_key[n])]
        phase("hashes and state")
        if todo_subs or pre_names:  # workers boot (import nbgrader, start kernels) while we prepare
            if not args.cluster:  # (a cluster's workers check their own machines)
                problem = isolation_problem(limits)
                if problem:
                    raise GradingError(problem)
            if not limits.isolate:
                err.write(UNISOLATED_WARNING + "\n")
            pool = (cluster_pool(args, limits, names, err) if args.cluster else
                    WorkerPool(min(args.workers, max(1, len(todo_subs) + 2 * len(pre_names))), limits))
        prepared = {n: prepare_assignment(course, n, db_url, args.source_dir) for n in names}
        specs = {n: p.spec for n, p in prepared.items()}
        todo = [personal.task(prepared[sub.assignment].task(sub.student, sub.notebook, key,
                                                            extra_files=dict(sub.extra_files), notes=list(sub.notes),
                                                            problem=sub.problem))
                for sub, key in todo_subs]
        phase("prepare assignments")
        save_people(db_url, roster, intake)
        out.write(f"{len(intake.submissions)} submissions ({intake.layout} layout) for {', '.join(names)}; "
                  f"{len(todo)} to grade, {len(intake.submissions) - len(todo)} unchanged since the last run\n")
        if intake.skipped:
            out.write(f"{len(intake.skipped)} files not taken (the summary says why)\n")
        t0 = time.monotonic()
        graded = 0
        if pool is not None:
            if pre_names:
                problems = preflight_mod.run_on_pool(pool, [prepared[n] for n in pre_names])
                if problems:
                    err.write(preflight_mod.failure_message(problems))
                    return 3
                for n in pre_names:
                    state.put_preflight(n, pre_key[n], "ok")
                out.write(f"preflight ok: reference answers score full marks and blank notebooks zero "
                          f"({', '.join(pre_names)})\n")
                phase("preflight")
            progress = Progress(len(todo), stream=err)
            with open_gradebook(db_url) as gb:
                for _, result in pool.run(list(enumerate(todo)), progress):
                    result = personal.review(result, specs[result.assignment])  # flags, copies, own numbers
                    previous = state.get(result.student, result.assignment)
                    write_gradebook(gb, result, previous,  # 1. gradebook (committed)
                                    stamps.get((result.student, result.assignment)))
                    write_student_files(course, result)  # 2. feedback + autograded notebook
                    state.put(result)                    # 3. only now: "done" (resumable)
                    graded += 1
            progress.close()
            phase("grading")
            pool.close()
            pool = None
            phase("pool stop")
        seconds = time.monotonic() - t0
        info = (f"{len(intake.submissions)} submissions; graded {graded} in this run "
                f"({seconds:.1f} s, {'cluster' if args.cluster else args.workers} workers, cell timeout {args.timeout:g} s)")
        paths, results = refresh(course, db_url, state, specs, redraw=True if graded else None, names=set(names))
        phase("reports")
        problems = sum(map(has_problem, results))  # the summary lists exactly these
        out.write(f"{info}\n")
        out.write(f"{problems} submissions with problems (see the summary)\n" if problems else "")
        out.write(f"CSV:      {paths['csv']}\nsummary:  {paths['summary']}\n"
                  f"feedback: {os.path.join(course, 'feedback')}/<student>/<assignment>/<assignment>.html\n"
                  f"gradebook: {database.describe(db_url)}\n"
                  f"grade by hand: cd {course} && {os.path.join(os.path.dirname(sys.executable), 'jupyter')} lab "
                  f"(Nbgrader > Formgrader), then python -m autograder report\n")
        return 0
    finally:
        if pool is not None:  # interrupted or failed: no waiting for anyone
            pool.close(kill=True)
        state.close()


def save_people(db_url: str, roster, intake) -> None:
    """The roster (or the names the LMS files gave) as nbgrader ``Student`` rows: names, email, ``lms_user_id``."""
    from .roster import save_students
    if roster is None and not intake.people:
        return
    with open_gradebook(db_url) as gb:
        if roster is not None:
            save_students(gb, roster)
        else:
            for sid, first, last, lms_user_id in intake.people:
                gb.update_or_create_student(sid, first_name=first or None, last_name=last or None,
                                            lms_user_id=lms_user_id or None)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with ctrl_c_stops_cleanly():
        try:
            return run(args)
        except GradingError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 2
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted: every finished student is saved; run the same command again to "
                             "grade the rest\n")
            return 130
