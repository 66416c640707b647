"""``make book`` as a new reader and as an author meet it, measured in a fresh clone of this repository.

One clone of the committed ``HEAD`` into a temporary folder, then, in one run:

1. **fresh clone**: ``make book`` with nothing there -- it creates the environment (uv and npm with empty
   caches, as on a new machine: every package is downloaded), releases the assignments, executes every
   chapter and renders the book. Goal: 4 minutes on a 2-core machine.
2. **nothing changed**: ``make book`` again. Goal: 15 s.
3. **re-render**: the HTML and doctrees deleted, ``make book`` again: every page is rendered anew from the
   execution cache, no chapter runs (as after a change to the theme or the configuration).

Figures: ``goal / measured`` for 1 and 2 (at least 1 meets the goal) and ``fresh / re-render``. The
machine's load average is printed with them: other processes slow a build down. ``--quick`` reuses this
checkout's environment (``make book VENV=...``), so step 1 measures the release and the cold build only.
"""
from __future__ import annotations

import os
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


def _make_book(clone: Path, env: dict, extra: list[str]) -> float:
    """``make book`` in ``clone``; wall time in seconds (fails loudly with the log's tail)."""
    t0 = time.perf_counter()
    result = subprocess.run(["make", "book", *extra], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=3600)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"make book failed (exit {result.returncode}) in {clone}:\n"
                           f"{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def run(quick: bool = False) -> list[Figure]:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench_book_") as tmp:
        tmp = Path(tmp)
        clone = tmp / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER", "IPYTHON"))}
        # a new machine: nothing cached by uv or npm
        env.update(UV_CACHE_DIR=str(tmp / "uv-cache"), npm_config_cache=str(tmp / "npm-cache"))
        extra = [f"VENV={Path(sys.prefix)}"] if quick else []
        fresh = _make_book(clone, env, extra)
        load_fresh = _load()
        unchanged = _make_book(clone, env, extra)
        for sub in ("html", ".doctrees"):
            shutil.rmtree(clone / "_build" / sub, ignore_errors=True)
        rerender = _make_book(clone, env, extra)
    scope = "environment reused (--quick)" if quick else "environment included"
    return [
        Figure("make book, fresh clone: 240 s goal / measured", FRESH_GOAL_S / fresh,
               f"{fresh:.0f} s, {scope}, clone of {head}; {load_fresh}", goal=">= 1"),
        Figure("make book, nothing changed: 15 s goal / measured", NO_CHANGE_GOAL_S / unchanged,
               f"{unchanged:.1f} s; {_load()}", goal=">= 1"),
        Figure("make book: fresh clone / re-render from execution cache", fresh / rerender,
               f"fresh {fresh:.0f} s, re-render {rerender:.1f} s", goal="> 1"),
    ]
