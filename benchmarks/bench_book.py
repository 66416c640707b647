"""``make book`` as a new reader and as an author meet it, measured in a fresh clone of this repository.

One clone of the committed ``HEAD`` into a temporary folder, then, in one run:

1. **fresh clone**: ``make book`` with nothing there -- it creates the environment (uv and npm with empty
   caches, as on a new machine: every package is downloaded), releases the assignments, executes every
   chapter and renders the book. Goal: 4 minutes on a 2-core machine.
2. **nothing changed**: ``make book`` again. Goal: 15 s.
3. **re-render**: the HTML and doctrees deleted, ``make book`` again: every page is rendered anew from the
   execution cache, no chapter runs (as after a change to the theme or the configuration).

Figures: ``goal / measured`` for 1 and 2 (at least 1 meets the goal) and ``fresh / re-render``. The
machine's load average is printed with them, and the CPU time the build's processes used (user + system, of
every process ``make`` waited for): other processes slow a build down, its CPU time much less. ``--quick``
reuses this checkout's environment (``make book VENV=...``), so step 1 measures the release and the cold build
only.

A/B: with ``BENCH_BOOK_BASELINE=REV`` (a commit, e.g. ``main`` or ``HEAD~3``) a second clone, checked out at
``REV``, goes through steps 1 and 2 in the same run, each step right after ours (same load, as far as it can be),
and two more figures compare them: ``baseline / ours`` for a fresh clone and for nothing changed.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Figure

ROOT = Path(__file__).resolve().parent.parent
FRESH_GOAL_S = 240.0
NO_CHANGE_GOAL_S = 15.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _make_book(clone: Path, env: dict, extra: list[str]) -> tuple[float, float]:
    """``make book`` in ``clone``: wall and CPU seconds (fails loudly with the log's tail)."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    result = subprocess.run(["make", "book", *extra], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=3600)
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if result.returncode != 0:
        raise RuntimeError(f"make book failed (exit {result.returncode}) in {clone}:\n"
                           f"{(result.stdout + result.stderr)[-3000:]}")
    return elapsed, cpu


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _clone(tmp: Path, name: str, revision: str | None = None) -> tuple[Path, dict]:
    """A clone of this repository (at ``revision``, default HEAD) and the environment of a new machine for it."""
    clone = tmp / name
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    if revision:
        sha = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        subprocess.run(["git", "checkout", "--quiet", sha], cwd=clone, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "IPYTHON"))}
    # a new machine: nothing cached by uv or npm
    env.update(UV_CACHE_DIR=str(tmp / f"{name}-uv-cache"), npm_config_cache=str(tmp / f"{name}-npm-cache"))
    return clone, env


def _short(clone: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()


def run(quick: bool = False) -> list[Figure]:
    baseline = os.environ.get("BENCH_BOOK_BASELINE")
    extra = [f"VENV={Path(sys.prefix)}"] if quick else []
    with tempfile.TemporaryDirectory(prefix="bench_book_") as tmp:
        tmp = Path(tmp)
        clone, env = _clone(tmp, "clone")
        other = _clone(tmp, "baseline", baseline) if baseline else None
        fresh, fresh_cpu = _make_book(clone, env, extra)
        load_fresh = _load()
        if other:
            base_fresh, base_fresh_cpu = _make_book(*other, extra)
            load_base_fresh = _load()
        unchanged, unchanged_cpu = _make_book(clone, env, extra)
        load_unchanged = _load()
        if other:
            base_unchanged, base_unchanged_cpu = _make_book(*other, extra)
            load_base_unchanged = _load()
        for sub in ("html", ".doctrees"):
            shutil.rmtree(clone / "_build" / sub, ignore_errors=True)
        rerender, _ = _make_book(clone, env, extra)
        head = _short(clone)
        base_head = _short(other[0]) if other else ""
    scope = "environment reused (--quick)" if quick else "environment included"
    figures = [
        Figure("make book, fresh clone: 240 s goal / measured", FRESH_GOAL_S / fresh,
               f"{fresh:.0f} s ({fresh_cpu:.0f} s CPU), {scope}, clone of {head}; {load_fresh}", goal=">= 1"),
        Figure("make book, nothing changed: 15 s goal / measured", NO_CHANGE_GOAL_S / unchanged,
               f"{unchanged:.1f} s ({unchanged_cpu:.1f} s CPU); {load_unchanged}", goal=">= 1"),
        Figure("make book: fresh clone / re-render from execution cache", fresh / rerender,
               f"fresh {fresh:.0f} s, re-render {rerender:.1f} s", goal="> 1"),
    ]
    if other:
        figures += [
            Figure(f"make book, fresh clone: baseline {base_head} / ours", base_fresh / fresh,
                   f"{base_fresh:.0f} s ({base_fresh_cpu:.0f} s CPU; {load_base_fresh}) vs {fresh:.0f} s "
                   f"({fresh_cpu:.0f} s CPU)", goal="context: A/B"),
            Figure(f"make book, nothing changed: baseline {base_head} / ours", base_unchanged / unchanged,
                   f"{base_unchanged:.1f} s ({base_unchanged_cpu:.1f} s CPU; {load_base_unchanged}) vs "
                   f"{unchanged:.1f} s ({unchanged_cpu:.1f} s CPU)", goal="context: A/B"),
        ]
    return figures
