"""Cost of the grading kernel's integrity guard (``autograder/grading/sandbox/guard.py``), in one kernel.

The guard runs as a silent request with a user expression: once before the first cell (``snapshot``)
and before and after every graded test cell (``restore``). Figures, best of the repeats:

* ratio = one empty silent request / one ``restore`` request: the guard's work on top of the round
  trip it needs anyway (1 would mean free);
* ratio = one empty silent request / the ``snapshot`` request (it imports numpy and the course
  package's checks, which every assignment imports anyway).
"""
from __future__ import annotations

import os
import time

from benchmarks import Figure


def _request(kc, expressions):
    t0 = time.perf_counter()
    reply = kc.execute_interactive("", silent=True, store_history=False, user_expressions=expressions, timeout=60)
    seconds = time.perf_counter() - t0
    for key, value in reply["content"]["user_expressions"].items():
        if value.get("status") != "ok":
            raise RuntimeError(f"guard request {key!r} failed: {value.get('ename')}: {value.get('evalue')}")
    return seconds


def run(quick: bool = False) -> list[Figure]:
    from autograder.grading.sandbox.executor import guard_expression
    from autograder.kernels import start_ipc_kernel

    repeat = 5 if quick else 30
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as in grading: no solutions
    km, kc = start_ipc_kernel(kernel_name="python3", env=env)
    try:
        empty = min(_request(kc, {}) for _ in range(repeat))
        snapshot = _request(kc, {"g": guard_expression("snapshot", "bench")})
        restore = min(_request(kc, {"g": guard_expression("restore", "bench")}) for _ in range(repeat))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return [
        Figure("guard: empty request / restore request", empty / restore,
               f"restore {restore * 1e3:.1f} ms vs {empty * 1e3:.1f} ms for an empty round trip "
               "(twice per graded test cell)", goal="context: the guard's cost per test cell"),
        Figure("guard: empty request / snapshot request", empty / snapshot,
               f"snapshot {snapshot * 1e3:.0f} ms, once per notebook (imports numpy and course.assignments.checks)",
               goal="context"),
    ]
