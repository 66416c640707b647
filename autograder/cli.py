"""Options shared by ``python -m autograder grade`` and ``python -m autograder preflight``, and the limits they make.

Light on purpose: the grading parent imports it before anything heavy (a Ctrl-C during start-up is answered fast).
"""
from __future__ import annotations

import argparse
import os

from .grading.sandbox.limits import Limits
from .nbcells import DEFAULT_COURSE_DIR, SOURCE_DIR


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course-dir", default=str(DEFAULT_COURSE_DIR),
                        help="where the gradebook, feedback and reports go (default: class/ at the repository "
                             "root, git-ignored)")
    parser.add_argument("--source-dir", default=str(SOURCE_DIR),
                        help="instructor assignment sources (default: autograder/source)")
    parser.add_argument("--db-url", default=None, help="gradebook database URL (default: sqlite in the course dir)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="parallel grading workers (default: the number of cores)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds per cell before it is interrupted (default 60, as autograder/nbgrader_config.py)")
    parser.add_argument("--memory-mb", type=int, default=Limits.memory_mb,
                        help="address-space limit of each grading kernel in MB (0: none)")
    parser.add_argument("--cpu-seconds", type=int, default=Limits.cpu_seconds,
                        help="CPU-time limit of each grading kernel (0: none)")
    parser.add_argument("--notebook-budget", type=float, default=None,
                        help="wall-clock seconds for a whole notebook (default: 30 x the cell timeout)")
    parser.add_argument("--allow-network", action="store_true",
                        help="let grading kernels use the network (by default they have none)")
    parser.add_argument("--no-isolation", action="store_true",
                        help="UNSAFE: grade even where the sandbox cannot be set up; kernels then run as you, with "
                             "access to everything you can read and write (the summary says so on its first line)")


def limits_from(args) -> Limits:
    budget = args.notebook_budget if args.notebook_budget else 30 * args.timeout
    hide = [args.course_dir] + ([args.submissions] if getattr(args, "submissions", None) else [])
    return Limits(cell_timeout=args.timeout, memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
                  notebook_budget=budget, network=args.allow_network, isolate=not args.no_isolation,
                  hide=tuple(os.path.abspath(p) for p in hide))


def isolation_problem(limits: Limits) -> str | None:
    """Why kernels cannot be isolated here, with how to fix it and the override (None: they can, or unasked)."""
    if not limits.isolate:
        return None
    import tempfile

    from .grading.sandbox.launcher import problem
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as folder:
        why = problem(limits, folder, limits.hide)
    if why:
        return (f"{why}.\nNothing was graded. To grade anyway, without isolation (kernels would run as you and could "
                "read and change your files, other students' work and the gradebook), add --no-isolation.")
    return None

