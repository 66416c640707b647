"""The executor: nbgrader's ``Execute`` preprocessor, made to survive hostile cells and to say what happened.

:class:`GuardedExecute` replaces ``Execute`` in nbgrader's own ``Autograde`` pipeline (the worker puts an
instance, built for one notebook with its pre-started kernel, in ``Autograde.autograde_preprocessors``):

* when the kernel dies (``os._exit``, segfault, ``SIGKILL``, ``SIGXCPU``) or stops answering after a
  timeout, every cell that did not run gets an error output, so its test scores **zero** (nbgrader gives an
  unexecuted test cell full marks), and a plain-language event is recorded in :attr:`GuardedExecute.events`;
* a wall-clock budget for the whole notebook; every limit a cell hits (memory, file size, disk, processes,
  CPU time, output size, time) becomes an event naming the cell;
* the kernel's home is made its own, and the submission's extra files are put in it, just before its first
  cell;
* before the first cell, and before and after every graded test cell, it runs the kernel-side guard of
  :mod:`autograder.grading.sandbox.guard` (as a silent user expression): it undoes a submission's tampering
  with how cells run and how tests check (a transformer that blanks later cells, ``math.isclose = lambda
  *a: True``, a replaced ``run_cell``) and reports it; a change made while a test ran scores that test
  zero. If the guard does not answer as expected, grading fails closed: the remaining cells score zero.
"""
from __future__ import annotations

import ast
import asyncio
import json
import os
import secrets
import time

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float

from ...nbcells import grade_id, is_graded_test
from .limits import Limits
from .processes import kill_kernel, shutdown_kernel

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard.py")) as _f:
    KERNEL_GUARD_SOURCE = _f.read()


def cell_label(cell: NotebookNode, index: int) -> str:
    """How a cell is named in reasons: its nbgrader id, else its position."""
    gid = grade_id(cell)
    return f"`{gid}`" if gid else f"number {index + 1}"


def guard_expression(call: str, nonce: str) -> str:
    """The user expression that runs :mod:`autograder.grading.sandbox.guard` in the kernel: ``"snapshot"`` loads
    it as module ``_autograder_guard`` (with a private copy of the builtins) and records the pristine
    state; ``"restore"`` undoes changes. Nothing is added to the student's namespace."""
    if call == "snapshot":
        return ("(lambda m: (m.__dict__.update(__builtins__=dict(vars(__import__('builtins')))), "
                f"exec({KERNEL_GUARD_SOURCE!r}, m.__dict__), "
                "__import__('sys').modules.__setitem__('_autograder_guard', m), "
                f"m.snapshot({nonce!r}, get_ipython()))[-1])(__import__('types').ModuleType('_autograder_guard'))")
    return f"__import__('sys').modules['_autograder_guard'].restore({nonce!r})"


def listed(items: list, at_most: int = 6) -> str:
    return ", ".join(items[:at_most]) + (f" and {len(items) - at_most} more" if len(items) > at_most else "")


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's ``Execute`` for one notebook: a pre-started kernel, kernel-death handling, a notebook
    budget and the guard.

    Build one per notebook with its started kernel manager ``km`` (shut down when the notebook is done),
    the kernel's ``limits`` and the submission's extra ``files`` ({relative path: host file}). Afterwards
    :attr:`events` holds ``{"cell": label, "kind": ..., "message": ...}`` for timeouts, limits hit, kernel
    death, cells not run and tampering (nbgrader clears the notebook metadata, so they are kept here).
    """

    notebook_budget = Float(900.0, help="wall-clock seconds for the whole notebook").tag(config=True)
    unresponsive_grace = Float(5.0, help="seconds an interrupted kernel has to answer").tag(config=True)

    def __init__(self, km=None, limits: Limits | None = None, files: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        self.prestarted_km = km
        self.limits = limits or Limits()
        self.files = dict(files or {})
        self.events: list = []

    def preprocess(self, nb, resources=None, km=None):
        self._stop_reason = None
        self._timed_out = False
        self.events = []
        self._t0 = time.monotonic()
        self._guarded = False
        self._reset_reported = set()
        self._output_bytes, self._output_full = 0, False
        km, self.prestarted_km = km or self.prestarted_km, None
        try:
            nb, resources = super().preprocess(nb, resources, km=km)
        except DeadKernelError as exc:  # died before or between cells (e.g. while starting)
            self._record(None, "kernel_died", f"the kernel died before the notebook ran ({exc})")
        finally:
            if getattr(self, "kc", None) is not None and km is not None:
                try:
                    self.kc.stop_channels()
                except Exception:
                    pass
            if km is not None:
                shutdown_kernel(km)
        return nb, resources

    def close(self) -> None:
        """Shut down the kernel if nbgrader stopped before executing (then :meth:`preprocess` never ran)."""
        if self.prestarted_km is not None:
            shutdown_kernel(self.prestarted_km)
            self.prestarted_km = None

    def _record(self, label, kind, message):
        self.events.append({"cell": label, "kind": kind, "message": message})

    def _prepare_home(self, label) -> None:
        """The kernel's home made its own, and the submission's extra files put in it (no notebook code has run
        yet)."""
        try:
            if hasattr(self.km, "own_home"):
                self.km.own_home()
        except OSError as exc:  # (it still works in a home of mode 0777)
            self._record(label, "files", f"the kernel's home could not be given to its uid ({exc.strerror or exc})")
        if not self.files:
            return
        try:
            self.km.place_files(self.files)
        except OSError as exc:
            self._record(label, "files", f"the submission's files could not be put in the kernel's scratch space "
                                         f"({exc.strerror or exc}); the notebook ran without them")

    def _limits_hit(self, cell, label) -> None:
        """An event for each limit the cell's errors show it hit."""
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                limit = self.limits.named_in(out.get("ename", ""), out.get("evalue", ""))
                if limit:
                    self._record(label, "limit", f"the notebook hit {limit} in cell {label}")
                    return

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most ``Limits.output_mb`` of printed output per notebook; drop (and report) the rest."""
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in (content.get("data") or {}).values())
        self._output_bytes += size
        if self.limits.output_mb <= 0 or self._output_bytes <= self.limits.output_mb * 1024 * 1024:
            return super().output(outs, msg, display_id, cell_index)
        if not self._output_full:
            self._output_full = True
            label = cell_label(self.nb.cells[cell_index], cell_index)
            message = (f"the notebook hit the output limit ({self.limits.output_mb} MB) in cell {label}; "
                       "the rest of its output was dropped")
            self._record(label, "limit", message)
            outs.append(NotebookNode(output_type="stream", name="stdout", text=f"\n[{message}]\n"))
        return None

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
            cell.outputs = [error_output("NotRun", f"not run: {self._stop_reason}")]
            return cell
        self._timed_out = False
        try:
            test = is_graded_test(cell)
            if not self._guarded:
                self._prepare_home(label)
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
                                 f"({listed(new)}); the grader undid this before cell {label}")
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if test and not self._timed_out:  # did the student's code change the checking while the test ran?
                problem, changed = await self._run_guard("restore")
                if problem:
                    return self._fail_closed(cell, label, f"after cell {label} ({problem}); this cell scores zero "
                                                          "and later cells were not run")
                if changed:
                    self._reset_reported.update(changed)
                    message = (f"the notebook changed how the kernel runs or checks code while test cell {label} "
                               f"ran ({listed(changed)}); the test scores zero")
                    self._record(label, "tampered", message)
                    cell.outputs = list(cell.get("outputs", [])) + [error_output("TamperedDuringTest", message)]
        except DeadKernelError:
            how = self.km.exit_description() if hasattr(self.km, "exit_description") else ""
            if "SIGXCPU" in how:
                how = f"killed by signal SIGXCPU: it hit the CPU-time limit ({self.limits.cpu_seconds} s)"
            self._stop_reason = f"the kernel died in cell {label}" + (f" ({how})" if how else "")
            self._record(label, "limit" if "limit" in how else "kernel_died", self._stop_reason)
            cell.outputs = list(cell.get("outputs", [])) + [error_output("KernelDied", self._stop_reason)]
            return cell
        except CellTimeoutError:  # interrupted but never went idle: the kernel is stuck
            self._stop_reason = (f"the kernel stopped responding after cell {label} timed out "
                                 f"({self.timeout:g} s)")
            self._record(label, "unresponsive", self._stop_reason)
            cell.outputs = list(cell.get("outputs", [])) + [error_output("CellTimeoutError", self._stop_reason)]
            kill_kernel(self.km)
            return cell
        self._limits_hit(cell, label)
        if self._timed_out:  # say "timed out", not the KeyboardInterrupt our interrupt caused
            outputs = [o for o in cell.get("outputs", [])
                       if not (o.get("output_type") == "error" and o.get("ename") in ("KeyboardInterrupt",
                                                                                     "CellTimeoutError"))]
            cell.outputs = [error_output("CellTimeoutError", f"the cell did not finish within {self.timeout:g} s "
                                          "and was interrupted")] + outputs
            self._record(label, "timeout", f"timed out in cell {label} after {self.timeout:g} s")
            if not await self._responds():
                self._stop_reason = (f"the kernel stopped responding after cell {label} timed out "
                                     f"({self.timeout:g} s)")
                self._record(label, "unresponsive", self._stop_reason)
                kill_kernel(self.km)
        return cell

    def _fail_closed(self, cell, label, where: str, replace: bool = False):
        """The guard did not answer as it should: nothing the kernel says can be trusted any more."""
        self._stop_reason = f"the notebook interfered with the grader's integrity check {where}"
        self._record(label, "tampered", self._stop_reason)
        error = error_output("NotRun" if replace else "IntegrityCheckFailed", self._stop_reason)
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
                        f"{listed([str(t) for t in data['threads']])}"), []
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
