"""N long-lived grading workers, a watchdog, and a progress line (students done, rate, ETA).

Each worker (see :mod:`autograder.grading.worker`) is a spawned process that imports nbgrader once and keeps a
kernel booted ahead of need. The parent hands out one task at a time, so a slow submission never holds
up a queue behind it. A worker that dies, or a submission that overruns its wall-clock budget, is
reported for that student only; the worker is replaced and the batch goes on.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from multiprocessing import resource_tracker
from multiprocessing.connection import wait

from .feedback import with_feedback
from .records import blank_result
from .sandbox.limits import Limits
from .sandbox.processes import command_line_and_folder, force_rmtree, start_time


#: in each scratch folder: "<pid> <start time>" of the grading run that owns it
PID_FILE = "owner.pid"
SCRATCH_PREFIX = "autograder-"


def owner_alive(folder: str) -> bool:
    """Is the run named in ``folder``'s pid file still running? (start time guards against pid reuse)"""
    with open(os.path.join(folder, PID_FILE)) as f:
        words = f.read().split()
    pid = int(words[0])
    start = start_time(pid)
    return start is not None and (len(words) < 2 or words[1] == start)


def remove_stale_scratch(tmpdir: str | None = None) -> list[str]:
    """Remove scratch folders (``<tmp>/autograder-*``) left by runs that were killed (SIGKILL, power loss).

    Only folders we own, holding a pid file whose process is gone; folders of live runs and folders
    without a pid file (being created, or not ours) are left alone. Returns the folders removed.
    """
    tmpdir = tmpdir or tempfile.gettempdir()
    removed = []
    try:
        entries = list(os.scandir(tmpdir))
    except OSError:
        return removed
    for entry in entries:
        try:
            if (not entry.name.startswith(SCRATCH_PREFIX) or not entry.is_dir(follow_symlinks=False)
                    or entry.stat(follow_symlinks=False).st_uid != os.geteuid() or owner_alive(entry.path)):
                continue
        except (OSError, ValueError, IndexError):  # no or unreadable pid file: not ours to judge
            continue
        force_rmtree(entry.path)
        removed.append(entry.path)
    return removed


def worker_entry(*args):
    """Runs in the spawned process: only there is nbgrader imported."""
    from .worker import worker_main
    worker_main(*args)


class Progress:
    """``grading 12/40 students | 1.9 students/s | ETA 0:15`` on stderr (redrawn in place on a terminal)."""

    def __init__(self, total: int, label: str = "grading", stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_line = -1
        self.extra = None  # a callable whose text ends the line (a cluster run: its workers' counts)

    def line(self) -> str:
        elapsed = time.monotonic() - self.t0
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_s = "--:--" if eta != eta else f"{int(eta // 60)}:{int(eta % 60):02d}"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        return (f"{self.label} [{bar}] {self.done}/{self.total} students | {rate:.2f} students/s | "
                f"ETA {eta_s} | {elapsed:.0f} s" + (f" | {self.extra()}" if self.extra else ""))

    def update(self, done: int | None = None, force: bool = False) -> None:
        if done is not None:
            self.done = done
        if self.tty:
            self.stream.write("\r" + self.line())
            self.stream.flush()
        else:
            step = max(1, self.total // 10)
            if force or (self.done != self.last_line and (self.done % step == 0 or self.done == self.total)):
                self.last_line = self.done
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()


def _first_ctrl_c(signum, frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    raise KeyboardInterrupt


_for_good = False  # set in the command-line process by stop_cleanly_on_ctrl_c


def stop_cleanly_on_ctrl_c() -> None:
    """Make the first Ctrl-C raise ``KeyboardInterrupt`` and ignore later ones, so that stopping the
    workers and their kernels (a few seconds at most) always completes: nothing is left running.

    For the command-line process only (``python -m autograder grade|preflight``, which exits afterwards): never
    undone, so a second Ctrl-C while the interpreter exits is ignored too. Code that calls a command's
    ``main`` from Python gets :func:`ctrl_c_stops_cleanly` instead."""
    global _for_good
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _first_ctrl_c)
        _for_good = True


@contextlib.contextmanager
def ctrl_c_stops_cleanly():
    """:func:`stop_cleanly_on_ctrl_c` while the block runs, and the caller's SIGINT handler back afterwards: a
    test or a notebook calling ``grade.main`` keeps its own Ctrl-C (the handler once leaked into pytest).
    Nothing to do in the command-line process, where it is installed for good."""
    if _for_good or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _first_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _sigint_held():
    """Hold a Ctrl-C back while a worker is spawned: SIGINT blocked in this thread, not ignored, so it is
    delivered (and stops the run) as soon as the worker has started. The child inherits the blocked mask and
    ignores SIGINT before unblocking it (:func:`.worker.worker_main`): a Ctrl-C never prints a worker
    traceback. (Ignoring SIGINT for that moment instead lost a Ctrl-C that came just then, and the run went on
    to the end.) CPython spawns its resource tracker the same way."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # The first spawn also starts multiprocessing's resource tracker, and CPython *unblocks* SIGINT after
    # starting it (resource_tracker.ensure_running): the worker would then boot with SIGINT unblocked, and a
    # Ctrl-C during its start-up printed "Fatal Python error: init_import_site ... KeyboardInterrupt".
    # Started before the block, the tracker is found running and the block holds.
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class WorkerProcess:
    """One worker process, its pipe, its kernels' pids and the task it is grading."""

    def __init__(self, ctx, slot: int, base: str, limits: Limits):
        self.slot = slot
        self.base = os.path.join(base, f"w{slot}-{time.monotonic_ns()}")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_entry, args=(child, slot, self.base, limits),
                                   name=f"grader-{slot}", daemon=True)
        self.kernel_pids = deque(maxlen=4)
        self.ready = False
        self.task = None  # (task_id, task, deadline)
        try:
            with _sigint_held():  # a Ctrl-C while the worker boots is the parent's alone
                self.process.start()
            child.close()
        except BaseException:  # Ctrl-C (raised as soon as it is no longer held): this worker goes too
            child.close()
            self.kill()
            raise

    def kill(self) -> None:
        for pid in list(self.kernel_pids):
            try:  # only if that pid is still one of our kernels (pids are reused)
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"ipykernel_launcher" not in f.read() or self.base.encode() not in command_line_and_folder(pid):
                        continue
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
        if self.process.is_alive():
            self.process.kill()
        if self.process.pid is not None:  # (started)
            self.process.join(5)
        self.conn.close()
        shutil.rmtree(self.base, ignore_errors=True)

    def ask_to_stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass

    def stop(self) -> None:
        self.ask_to_stop()
        self.process.join(10)
        if self.process.is_alive():
            self.kill()
        shutil.rmtree(self.base, ignore_errors=True)


class WorkerPool:
    """Run grading tasks on ``n`` workers; ``run`` yields results as they finish (any order)."""

    def __init__(self, n: int, limits: Limits, task_timeout: float | None = None):
        self.n = max(1, int(n))
        self.limits = limits
        self.task_timeout = task_timeout or (limits.notebook_budget + 120.0)
        self.ctx = mp.get_context("spawn")
        remove_stale_scratch()
        self.base = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        with open(os.path.join(self.base, PID_FILE), "w") as f:
            f.write(f"{os.getpid()} {start_time(os.getpid())}\n")
        os.chmod(self.base, 0o700)
        self.workers = []
        try:
            for k in range(self.n):
                self.workers.append(WorkerProcess(self.ctx, k, self.base, limits))
        except BaseException:  # Ctrl-C while the workers start: none is left behind
            self.close(kill=True)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(kill=exc[0] is not None)

    def close(self, kill: bool = False) -> None:
        if not kill:
            for w in self.workers:  # all at once: each shuts its spare kernel down in parallel
                w.ask_to_stop()
            deadline = time.monotonic() + 3.0
            for w in self.workers:
                w.process.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            w.kill()  # no-op for a worker that already left; else it and its kernels
        shutil.rmtree(self.base, ignore_errors=True)

    def _lost(self, task, reason: str):
        """The result of a task whose worker had to be replaced: every test zero, and why."""
        result = blank_result(task, "error", reason)
        result.isolated = self.limits.isolate
        return with_feedback(task, result)

    def _replace(self, w: WorkerProcess) -> None:
        w.kill()
        self.workers[self.workers.index(w)] = WorkerProcess(self.ctx, w.slot, self.base, self.limits)

    def run(self, tasks, progress: Progress | None = None):
        """Grade ``tasks`` (list of (task_id, Task)); yield (task_id, Result) as each one finishes."""
        queue = deque(tasks)
        done = 0
        while queue or any(w.task for w in self.workers):
            now = time.monotonic()
            for w in self.workers:
                if w.ready and w.task is None and queue:
                    task_id, task = queue.popleft()
                    w.task = (task_id, task, now + self.task_timeout)
                    w.conn.send((task_id, task))
            handles = {}
            for w in self.workers:
                handles[w.conn] = w
                handles[w.process.sentinel] = w
            for h in wait(list(handles), timeout=0.5):
                w = handles[h]
                if w not in self.workers:
                    continue
                if h is w.conn:
                    try:
                        kind, a, b = w.conn.recv()
                    except (EOFError, OSError):
                        kind = "dead"
                    if kind == "ready":
                        w.ready = True
                    elif kind == "kernel":
                        w.kernel_pids.append(b)
                    elif kind == "done":
                        w.task = None
                        done += 1
                        yield a, b
                        if progress:
                            progress.update(done)
                        continue
                    if kind != "dead":
                        continue
                if not w.process.is_alive() or h is not w.conn:
                    failed = w.task
                    self._replace(w)
                    if failed:
                        task_id, task, _ = failed
                        done += 1
                        yield task_id, self._lost(task, "the grader crashed while grading this notebook")
                        if progress:
                            progress.update(done)
            now = time.monotonic()
            for w in list(self.workers):
                if w.task and now > w.task[2]:
                    task_id, task, _ = w.task
                    self._replace(w)
                    done += 1
                    yield task_id, self._lost(task, f"grading this notebook took longer than {self.task_timeout:g} s "
                                                    "and was stopped")
                    if progress:
                        progress.update(done)
            if progress:
                progress.update()
