"""The new assignments' time budgets, measured side by side in one run.

* ``07_digits``: the time budget the hidden test allows ``train_digits`` (read from the assignment's text) / the
  reference ``train_digits``'s time, best of 3, in this process (goal: >= 5, the budget the reference meets 5 times
  over);
* ``05_training``, ``06_autograd``, ``07_digits``: 30 s / the time to run the instructor notebook (reference answers
  and hidden tests) top to bottom in a fresh kernel without ``PYTHONPATH``, as a grading kernel does (goal: >= 1,
  i.e. each reference runs in at most 30 s).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat

from benchmarks import Figure, best_of

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "autograder" / "source"
NEW_ASSIGNMENTS = ("05_training", "06_autograd", "07_digits")
REFERENCE_LIMIT = 30.0  # seconds a reference notebook may take in a grading kernel


def _solution_code(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION",
                                                                                   "### END SOLUTION"))


def digits_budget() -> float:
    """The training budget the assignment states (and its hidden test enforces), in seconds."""
    text = (SOURCE / "07_digits" / "07_digits.md").read_text(encoding="utf-8")
    stated = re.search(r"time budget of\s+(\d+) seconds", text)
    enforced = re.search(r"_seconds <= (\d+(?:\.\d+)?)", text)
    if not stated or not enforced or float(stated.group(1)) != float(enforced.group(1)):
        raise RuntimeError("07_digits: the stated and the enforced time budgets differ or are missing")
    return float(stated.group(1))


def _digits_reference_seconds(repeat: int) -> float:
    """Best-of time of the reference ``train_digits`` (its code taken from the instructor notebook)."""
    nb = nbformat.read(SOURCE / "07_digits" / "07_digits.ipynb", as_version=4)
    namespace: dict = {}
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    with contextlib.redirect_stdout(io.StringIO()):  # the given cell prints the data shapes
        for gid in ("given_data", "softmax_ce", "forward_backward", "adam"):
            exec(compile(_solution_code(cells[gid]), f"07_digits:{gid}", "exec"), namespace)
    train = _solution_code(cells["train_digits"]).split("\n\nstart = time.perf_counter()")[0]
    exec(compile(train, "07_digits:train_digits", "exec"), namespace)
    X, T = namespace["X_train"], namespace["T_train"]
    return best_of(lambda: namespace["train_digits"](X, T, seed=0), repeat)


def _notebook_seconds(name: str) -> float:
    """Run the instructor notebook (answers and hidden tests) in a fresh kernel without PYTHONPATH; wall seconds."""
    from nbclient import NotebookClient

    from autograder.kernels import IpcKernelManager

    nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    saved = os.environ.pop("PYTHONPATH", None)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-assignment-") as folder:
            km = IpcKernelManager(kernel_name="python3")
            t0 = time.perf_counter()
            NotebookClient(nb, km=km, timeout=300).execute(cwd=folder)
            return time.perf_counter() - t0
    finally:
        if saved is not None:
            os.environ["PYTHONPATH"] = saved


def run(quick: bool = False) -> list[Figure]:
    budget = digits_budget()
    reference = _digits_reference_seconds(1 if quick else 3)
    figures = [Figure("07_digits: training time budget / reference train_digits", budget / reference,
                      f"budget {budget:.0f} s, reference {reference:.2f} s", goal=">= 5")]
    for name in NEW_ASSIGNMENTS:
        seconds = _notebook_seconds(name)
        figures.append(Figure(f"{name}: {REFERENCE_LIMIT:.0f} s / reference notebook in a kernel",
                              REFERENCE_LIMIT / seconds, f"{seconds:.1f} s (answers and hidden tests, fresh kernel)",
                              goal=">= 1"))
    return figures
