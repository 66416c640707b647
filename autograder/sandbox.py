"""The grading kernel's cage: limits, a clean environment, and an executor that survives hostile cells.

Three pieces, all plugged into nbgrader's own ``Autograde`` converter through configuration:

* :class:`Limits` and :class:`LimitedKernelManager` start the kernel through ``kernel_launcher.py``
  (``resource.setrlimit`` on address space, CPU seconds, file size; an unprivileged uid when we run as
  root), with ``PYTHONPATH`` stripped so ``solutions`` cannot be imported, in a scratch folder.
* :class:`GuardedExecute` is nbgrader's ``Execute`` preprocessor plus what nbgrader lacks: when the
  kernel dies (``os._exit``, segfault, ``SIGKILL``, ``SIGXCPU``) or stops answering after a timeout,
  every cell that did not run gets an error output, so its test scores **zero** (nbgrader gives an
  unexecuted test cell full marks), and a plain-language reason is recorded in the notebook metadata.
* Before the first cell, and before and after every graded test cell, :class:`GuardedExecute` runs
  the kernel-side guard of :mod:`autograder.kernel_guard` (as a silent user expression): it undoes a
  submission's tampering with how cells run and how tests check (a transformer that blanks later
  cells, ``math.isclose = lambda *a: True``, a replaced ``run_cell``) and reports it; a change made
  while a test ran scores that test zero. If the guard does not answer as expected, grading fails
  closed: the remaining cells score zero.
* :func:`kernel_env` builds the kernel's environment.
"""
from __future__ import annotations

import ast
import asyncio
import json
import os
import secrets
import signal
import sys
import time

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Dict as TDict, Float, Integer

from .limits import Limits  # noqa: F401  (re-exported)

KERNEL_LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_launcher.py")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_guard.py")) as _f:
    KERNEL_GUARD_SOURCE = _f.read()
#: environment variables never passed to a grading kernel
STRIPPED_ENV = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "JPY_PARENT_PID",
                "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "COVERAGE_PROCESS_START", "VIRTUAL_ENV_PROMPT", "OLDPWD", "PWD")


SANDBOX_UID_BASE = 61000  # worker slot k runs its kernels as uid 61000 + k (no passwd entry needed)


def sandbox_uid(limits: Limits, slot: int) -> int:
    """The uid kernels of worker ``slot`` run as, or -1 to keep ours (not root, or disabled)."""
    if limits.drop_uid and hasattr(os, "geteuid") and os.geteuid() == 0:
        return SANDBOX_UID_BASE + slot
    return -1


def kernel_env(home: str, base: dict | None = None) -> dict:
    """The grading kernel's environment: ours minus ``PYTHONPATH`` & co., single-threaded BLAS,
    ``HOME``/IPython/matplotlib state inside the scratch folder ``home``."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in STRIPPED_ENV}
    env.update({
        "HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


class LimitedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel command goes through ``kernel_launcher.py``."""

    launcher_args = TDict({}, help="unused; see limit_args").tag(config=False)

    def __init__(self, *args, limit_args: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_args = list(limit_args or [])

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, KERNEL_LAUNCHER, *self.limit_args, "--", *cmd]

    @property
    def kernel_pid(self) -> int | None:
        process = getattr(getattr(self, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def exit_description(self) -> str:
        """``"killed by signal SIGSEGV"``, ``"exit code 1"`` or ``""`` for the dead kernel process."""
        process = getattr(getattr(self, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return ""
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = {"SIGXCPU": " (CPU-time limit reached)", "SIGKILL": "", "SIGSEGV": " (segmentation fault)"}
            return f"killed by signal {name}{hint.get(name, '')}"
        return f"exit code {code}"


def cell_label(cell: NotebookNode, index: int) -> str:
    """How a cell is named in reasons: its nbgrader id, else its position."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"`{grade_id}`" if grade_id else f"number {index + 1}"


def guard_expression(call: str, nonce: str) -> str:
    """The user expression that runs :mod:`autograder.kernel_guard` in the kernel: ``"snapshot"`` loads
    it as module ``_autograder_guard`` (with a private copy of the builtins) and records the pristine
    state; ``"restore"`` undoes changes. Nothing is added to the student's namespace."""
    if call == "snapshot":
        return ("(lambda m: (m.__dict__.update(__builtins__=dict(vars(__import__('builtins')))), "
                f"exec({KERNEL_GUARD_SOURCE!r}, m.__dict__), "
                "__import__('sys').modules.__setitem__('_autograder_guard', m), "
                f"m.snapshot({nonce!r}, get_ipython()))[-1])(__import__('types').ModuleType('_autograder_guard'))")
    return f"__import__('sys').modules['_autograder_guard'].restore({nonce!r})"


def _shown(items: list, at_most: int = 6) -> str:
    return ", ".join(items[:at_most]) + (f" and {len(items) - at_most} more" if len(items) > at_most else "")


def is_graded_test(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` with a pre-started kernel, kernel-death handling and a notebook budget.

    Events (timeouts, kernel death, cells not run) are left in ``GuardedExecute.last_events`` as
    ``{"cell": label, "kind": ..., "message": ...}`` (nbgrader clears the notebook metadata).
    """

    notebook_budget = Float(900.0, help="wall-clock seconds for the whole notebook").tag(config=True)
    unresponsive_grace = Float(5.0, help="seconds an interrupted kernel has to answer").tag(config=True)
    slot = Integer(0).tag(config=True)

    #: set by the worker before each notebook: a started LimitedKernelManager to use (then shut down)
    prestarted_km = None
    #: the events of the last notebook run (nbgrader clears notebook metadata after execution)
    last_events: list = []

    def preprocess(self, nb, resources=None, km=None):
        self._stop_reason = None
        self._timed_out = False
        self._events = []
        self._t0 = time.monotonic()
        self._guarded = False
        self._reset_reported = set()
        km = km or GuardedExecute.prestarted_km
        GuardedExecute.prestarted_km = None
        cwd = (resources or {}).get("metadata", {}).get("path")
        try:
            if km is not None:
                km.sandbox_ns = _mount_ns(km.kernel_pid)
            nb, resources = super().preprocess(nb, resources, km=km)
        except DeadKernelError as exc:  # died before or between cells (e.g. while starting)
            self._record(None, "kernel_died", f"the kernel died before the notebook ran ({exc})")
        finally:
            GuardedExecute.last_events = self._events
            if getattr(self, "kc", None) is not None and km is not None:
                try:
                    self.kc.stop_channels()
                except Exception:
                    pass
            if km is not None:
                _shutdown(km)
            if cwd:
                _remove_links(cwd)  # nbgrader writes the graded notebook here next: never through a link
        return nb, resources

    def _record(self, label, kind, message):
        self._events.append({"cell": label, "kind": kind, "message": message})

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True
        reply = await super()._async_handle_timeout(timeout, cell)
        if reply is not None:
            reply["content"]["ename"] = "CellTimeoutError"
            reply["content"]["evalue"] = f"the cell did not finish within {timeout:g} s and was interrupted"
            reply["content"]["traceback"] = [f"CellTimeoutError: {reply['content']['evalue']}"]
        return reply

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        label = cell_label(cell, cell_index)
        if self._stop_reason is None and time.monotonic() - self._t0 > self.notebook_budget:
            self._stop_reason = f"the notebook exceeded its time budget of {self.notebook_budget:g} s"
            self._record(label, "budget", f"{self._stop_reason}; cell {label} and later cells did not run")
        if self._stop_reason is not None:
            cell.outputs = [_error_output("NotRun", f"not run: {self._stop_reason}")]
            return cell
        self._timed_out = False
        try:
            test = is_graded_test(cell)
            if not self._guarded or test:
                problem, changed = await self._run_guard("restore" if self._guarded else "snapshot")
                self._guarded = True
                if problem:
                    return self._fail_closed(cell, label, f"before cell {label} ({problem}); this and later cells "
                                                          "were not run", replace=True)
                new = [item for item in changed if item not in self._reset_reported]
                if new:
                    self._reset_reported.update(new)
                    self._record(label, "reset", f"the notebook had changed how the kernel runs or checks code "
                                 f"({_shown(new)}); the grader undid this before cell {label}")
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if test and not self._timed_out:  # did the student's code change the checking while the test ran?
                problem, changed = await self._run_guard("restore")
                if problem:
                    return self._fail_closed(cell, label, f"after cell {label} ({problem}); this cell scores zero "
                                                          "and later cells were not run")
                if changed:
                    self._reset_reported.update(changed)
                    message = (f"the notebook changed how the kernel runs or checks code while test cell {label} "
                               f"ran ({_shown(changed)}); the test scores zero")
                    self._record(label, "tampered", message)
                    cell.outputs = list(cell.get("outputs", [])) + [_error_output("TamperedDuringTest", message)]
        except DeadKernelError:
            how = self.km.exit_description() if hasattr(self.km, "exit_description") else ""
            self._stop_reason = f"the kernel died in cell {label}" + (f" ({how})" if how else "")
            self._record(label, "kernel_died", self._stop_reason)
            cell.outputs = list(cell.get("outputs", [])) + [_error_output("KernelDied", self._stop_reason)]
            return cell
        except CellTimeoutError:  # interrupted but never went idle: the kernel is stuck
            self._stop_reason = (f"the kernel stopped responding after cell {label} timed out "
                                 f"({self.timeout:g} s)")
            self._record(label, "unresponsive", self._stop_reason)
            cell.outputs = list(cell.get("outputs", [])) + [_error_output("CellTimeoutError", self._stop_reason)]
            _kill(self.km)
            return cell
        if self._timed_out:  # say "timed out", not the KeyboardInterrupt our interrupt caused
            outputs = [o for o in cell.get("outputs", [])
                       if not (o.get("output_type") == "error" and o.get("ename") in ("KeyboardInterrupt",
                                                                                     "CellTimeoutError"))]
            cell.outputs = [_error_output("CellTimeoutError", f"the cell did not finish within {self.timeout:g} s "
                                          "and was interrupted")] + outputs
            self._record(label, "timeout", f"timed out in cell {label} after {self.timeout:g} s")
            if not await self._responds():
                self._stop_reason = (f"the kernel stopped responding after cell {label} timed out "
                                     f"({self.timeout:g} s)")
                self._record(label, "unresponsive", self._stop_reason)
                _kill(self.km)
        return cell

    def _fail_closed(self, cell, label, where: str, replace: bool = False):
        """The guard did not answer as it should: nothing the kernel says can be trusted any more."""
        self._stop_reason = f"the notebook interfered with the grader's integrity check {where}"
        self._record(label, "tampered", self._stop_reason)
        error = _error_output("NotRun" if replace else "IntegrityCheckFailed", self._stop_reason)
        cell.outputs = [error] if replace else list(cell.get("outputs", [])) + [error]
        return cell

    async def _run_guard(self, call: str) -> tuple[str | None, list]:
        """Run the kernel guard; return (why it failed, or None; what it had to undo)."""
        nonce = secrets.token_hex(8)
        msg_id = await ensure_async(self.kc.execute("", silent=True, store_history=False,
                                                    user_expressions={"guard": guard_expression(call, nonce)}))
        reply = await self.async_wait_for_reply(msg_id)
        self._timed_out = False
        if reply is None:
            return f"no answer within {self.timeout:g} s", []
        try:
            value = reply["content"]["user_expressions"]["guard"]
        except (KeyError, TypeError):
            return f"the kernel replied {reply.get('content', {}).get('status', 'nothing')} without the guard's result", []
        if value.get("status") != "ok":
            return f"{value.get('ename', 'error')}: {value.get('evalue', '')}".strip(), []
        try:
            data = json.loads(ast.literal_eval(value["data"]["text/plain"]))
            if data["nonce"] != nonce:
                return "the guard's answer was forged", []
            if data.get("threads"):
                return ("a background thread started by the notebook is still running its code: "
                        f"{_shown([str(t) for t in data['threads']])}"), []
            return None, [str(item) for item in data.get("changed", [])]
        except Exception as exc:  # noqa: BLE001 - anything unexpected means tampering
            return f"the guard's answer was unreadable ({type(exc).__name__})", []

    # nbclient binds ``execute_cell = run_sync(NotebookClient.async_execute_cell)`` at class level:
    # rebind it so the synchronous ExecutePreprocessor path goes through the guard above.
    execute_cell = run_sync(async_execute_cell)

    async def _responds(self) -> bool:
        """After an interrupt: does the kernel answer a ``kernel_info`` request within the grace period?"""
        try:
            msg_id = self.kc.kernel_info()
            deadline = time.monotonic() + self.unresponsive_grace
            while time.monotonic() < deadline:
                try:
                    msg = await asyncio.wait_for(self.kc.shell_channel.get_msg(timeout=None),
                                                 timeout=max(0.05, deadline - time.monotonic()))
                except (asyncio.TimeoutError, Exception):
                    return False
                if msg["parent_header"].get("msg_id") == msg_id:
                    return True
            return False
        except Exception:
            return False


def _mount_ns(pid) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt") if pid else None
    except OSError:
        return None


def _kill(km) -> None:
    """SIGKILL a kernel's process group (jupyter_client starts kernels in their own session) and, when
    it ran in a mount namespace of its own, every process left in that namespace (children that
    called ``setsid`` to escape the group)."""
    pid = getattr(km, "kernel_pid", None)
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if pid and process is not None and process.poll() is None:  # never a reaped (maybe reused) pid
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    ns = getattr(km, "sandbox_ns", None)
    if ns and ns != _mount_ns(os.getpid()):
        # Only our own children: the worker is a child subreaper, so processes a student started and
        # detached (setsid, double fork) are re-parented to it, never to init. Namespace ids are
        # recycled, hence both tests, and never the spare kernel booting for the next submission.
        for entry in os.listdir("/proc"):
            if (entry.isdigit() and int(entry) not in PROTECTED_PIDS and _parent_pid(entry) == os.getpid()
                    and _mount_ns(entry) == ns):
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass


#: pids a namespace sweep must never touch (the spare kernel of the worker)
PROTECTED_PIDS: set = set()


def become_subreaper() -> None:
    """Orphans of our kernels get re-parented to this process (Linux ``PR_SET_CHILD_SUBREAPER``)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except Exception:
        pass


def _parent_pid(pid) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _remove_links(folder: str) -> None:
    try:
        for entry in os.scandir(folder):
            if entry.is_symlink():
                os.unlink(entry.path)
    except OSError:
        pass


def _shutdown(km) -> None:
    """Kill a kernel now and release its ports (call outside an event loop); never raises."""
    _kill(km)
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
