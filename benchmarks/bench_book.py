"""Book build: a cold build (every chapter executes) against rebuilds that reuse the execution cache.

Three builds of the same sources into one temporary ``--path-output``, measured in one run:

1. **cold**: empty output folder; every chapter is executed, then Sphinx renders everything.
2. **re-render**: the HTML and doctrees are deleted but the execution cache (``.jupyter_cache``) is
   kept, as after a change to the theme or the configuration: Sphinx renders every page again,
   but no notebook executes (``execute_notebooks: cache``).
3. **no change**: the same command again with nothing deleted; Sphinx finds nothing outdated.

Figures are ratios ``cold / rebuild`` (> 1: the cache saves time). ``--quick`` builds only
chapter 5 (through a temporary table of contents) instead of the whole book.
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
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def _env(tmp: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["MPLBACKEND"] = "Agg"
    for var, sub in (("JUPYTER_CONFIG_DIR", "jcfg"), ("JUPYTER_RUNTIME_DIR", "jrt"), ("IPYTHONDIR", "ipy"),
                     ("MPLCONFIGDIR", "mpl")):
        env[var] = str(tmp / sub)
    return env


def _build(out: Path, toc: Path | None, env: dict) -> float:
    """One ``jupyter-book build -W -n --keep-going`` into ``out``; wall time in seconds."""
    cmd = [str(JUPYTER_BOOK), "build", "-W", "-n", "--keep-going", "--path-output", str(out)]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    t0 = time.perf_counter()
    result = subprocess.run(cmd + [str(ROOT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise RuntimeError(f"book build failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def run(quick: bool = False) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench_book_") as tmp:
        tmp = Path(tmp)
        env = _env(tmp)
        toc = None
        if quick:
            toc = tmp / "_toc.yml"
            toc.write_text("format: jb-book\nroot: book/05_worked_example\nchapters:\n  - file: book/references\n")
        out = tmp / "out"
        cold = _build(out, toc, env)
        build_dir = out / "_build"
        for sub in ("html", ".doctrees", "jupyter_execute"):
            shutil.rmtree(build_dir / sub, ignore_errors=True)
        rerender = _build(out, toc, env)
        unchanged = _build(out, toc, env)
    scope = "chapter 5 only" if quick else "whole book"
    return [
        Figure("book build: cold / re-render from execution cache", cold / rerender,
               f"{scope}: cold {cold:.1f} s, re-render {rerender:.1f} s", goal="> 1"),
        Figure("book build: cold / rebuild with no change", cold / unchanged,
               f"{scope}: cold {cold:.1f} s, no-change rebuild {unchanged:.1f} s", goal="> 1"),
    ]
