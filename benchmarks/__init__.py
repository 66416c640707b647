"""Performance figures, each printed as a ratio measured side by side in one run.

Every module ``benchmarks/bench_*.py`` defines ``run(quick: bool) -> list[Figure]``;
``python -m benchmarks`` runs them all (``--only NAME`` for one, ``--quick`` for a smoke run).
"""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Figure:
    """One performance figure: ``ratio = baseline / ours`` (so > 1 means we are faster), or a plain value."""

    name: str
    ratio: float
    detail: str = ""
    goal: str = ""
    unit: str = "x"  # what ``ratio`` is counted in ("x" for a ratio; e.g. "ms" for a plain value)

    def line(self) -> str:
        goal = f"  [goal: {self.goal}]" if self.goal else ""
        return f"{self.name:<58s} {self.ratio:8.2f}{self.unit:<2s} {self.detail}{goal}"


def best_of(fn, repeat: int = 5) -> float:
    """Minimum wall time of ``fn()`` over ``repeat`` calls, in seconds (least disturbed by noise)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
