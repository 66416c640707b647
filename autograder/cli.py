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
                        help="let grading kernels use the network (by default they have none wherever namespaces work)")


def limits_from(args) -> Limits:
    budget = args.notebook_budget if args.notebook_budget else 30 * args.timeout
    return Limits(cell_timeout=args.timeout, memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
                  notebook_budget=budget, network=args.allow_network, hide=(os.path.abspath(args.course_dir),))
