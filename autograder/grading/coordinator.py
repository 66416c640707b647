"""The coordinator of ``grade --cluster URL``: the same grading tasks as local grading, graded by remote workers.

:class:`ClusterPool` stands in for :class:`~.pool.WorkerPool` in :mod:`.grade` (``run`` yields
``(task_id, Result)`` as results arrive; ``close``), so everything around it — preflight, the gradebook,
feedback, the resume state, the reports — is local grading's own code, run here, by the only writer.

Nothing lost, nothing twice:

* every task is a Celery message acknowledged only after its result is stored (``acks_late``): a worker
  that dies leaves it in the broker, where the Redis transport makes it visible again after the
  visibility timeout; sooner than that, a worker that stops answering the coordinator's calls (every
  few seconds) has the tasks it had started sent again to the others;
* a task's id is a hash of the run and the submission's content, so the same work always has the same
  id: a result delivered twice is one result, collected once (:class:`Collector`); a re-run after the
  coordinator died collects what the workers finished meanwhile instead of grading it again;
* the gradebook and the resume state are written here, after each result, exactly as in local grading.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid

from . import cluster
from .coursedir import GradingError, source_hash
from .feedback import with_feedback
from .records import Result, Task, blank_result

JOIN_EVERY = 3.0      #: seconds between calls to the workers (join the run; who is alive)
REPLY_WITHIN = 3.0    #: how long a call waits for the workers' answers (a loaded machine answers late)
LOST_AFTER = 30.0     #: a worker silent this long has its started tasks sent again
POLL_EVERY = 0.1      #: seconds between looks at the result store


class Collector:
    """Takes each task's result once: a second delivery, or a result that is not the expected one, is ignored."""

    def __init__(self):
        self.expected: dict = {}   # celery id -> (local task id, Task)
        self.collected: set = set()
        self.ignored = 0

    def expect(self, cid: str, local_id, task: Task) -> None:
        self.expected[cid] = (local_id, task)

    @property
    def pending(self) -> list:
        return [cid for cid in self.expected if cid not in self.collected]

    def accept(self, cid: str, result: Result):
        """``(local task id, result)`` the first time a matching result for ``cid`` arrives, else None."""
        if cid not in self.expected or cid in self.collected:
            self.ignored += 1
            return None
        local_id, task = self.expected[cid]
        if (result.student, result.assignment, result.key) != (task.student, task.assignment, task.key):
            self.ignored += 1
            return None
        self.collected.add(cid)
        return local_id, result


class ClusterPool:
    """Grade tasks on the workers of a Celery cluster; the interface of :class:`~.pool.WorkerPool`."""

    def __init__(self, url: str, limits, source_dir, assignments, force: bool = False, err=None):
        self.url, self.err = url, err or sys.stderr
        try:
            self.run_info = cluster.run_info(source_dir, {n: source_hash(n, source_dir) for n in assignments}, limits)
            self.app = cluster.make_app(url)
        except ValueError as exc:
            raise GradingError(str(exc)) from None
        self.queue = self.run_info["queue"]
        self.salt = uuid.uuid4().hex if force else ""  # --force: never collect an earlier run's results
        self.backend = self.app.backend
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=2, interval_start=0.2, interval_step=0.5)
            self.backend.client.ping()
        except Exception as exc:
            raise GradingError(f"cannot reach the broker at {cluster.redact(url)}: {exc}") from None
        self.workers: dict = {}    # hostname -> {"seen": monotonic, "slots": n, "graded": n}
        self.refused: dict = {}    # hostname -> why
        self.counts: dict = {}     # hostname -> results collected from it in this run
        self.started: dict = {}    # celery id -> hostname that started it
        self.resent: set = set()
        self.notices: list = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.caller = None
        self.t0 = time.monotonic()
        self.said_waiting = False

    # ----------------------------------------------------------------- calls to the workers
    def _call_workers(self) -> None:
        """Every few seconds: ask every worker to join this run; note who answers, who refuses and why."""
        while not self.stop.is_set():
            try:
                replies = self.app.control.broadcast(cluster.JOIN_COMMAND, arguments={"run": self.run_info},
                                                     reply=True, timeout=REPLY_WITHIN)
            except Exception as exc:  # the broker went away for a moment: say so, keep trying
                with self.lock:
                    self.notices.append(f"warning: cannot reach the workers through the broker: {exc}")
                replies = []
            now = time.monotonic()
            with self.lock:
                for reply in replies or []:
                    for host, answer in reply.items():
                        if answer.get("refused"):
                            if host not in self.refused:
                                self.notices.append(f"worker {host} refused this run: {answer['refused']}")
                            self.refused[host] = answer["refused"]
                        elif answer.get("ok"):
                            self.workers[host] = {"seen": now, "slots": answer.get("slots", 1)}
            self.stop.wait(JOIN_EVERY)

    def _lost_workers(self) -> list:
        now = time.monotonic()
        return [h for h, w in self.workers.items() if now - w["seen"] > LOST_AFTER]

    def status(self) -> str:
        """``workers: grader-1@a 12, grader-2@b 9 (lost) | 1 refused`` for the progress line."""
        with self.lock:
            lost = set(self._lost_workers())
            names = sorted(set(self.workers) | set(self.counts))
            parts = [f"{h} {self.counts.get(h, 0)}" + (" (lost)" if h in lost else "") for h in names]
            text = "workers: " + (", ".join(parts) if parts else "none yet")
            if self.refused:
                text += f" | {len(self.refused)} refused"
        return text

    # ----------------------------------------------------------------- the run
    def _send(self, cid: str, payload: dict, producer=None) -> None:
        self.app.send_task(cluster.TASK_NAME, args=[payload], task_id=cid, queue=self.queue, producer=producer)

    def _flush_notices(self) -> None:
        with self.lock:
            notices, self.notices = self.notices, []
        for line in notices:
            self.err.write(("\n" if getattr(self.err, "isatty", lambda: False)() else "") + line + "\n")
        self.err.flush()

    def run(self, tasks, progress=None):
        """Grade ``tasks`` (list of (task_id, Task)) on the workers; yield (task_id, Result) as each arrives."""
        collector = Collector()
        payloads = {}
        for local_id, task in tasks:
            cid = cluster.task_id(self.queue, task, self.salt)
            collector.expect(cid, local_id, task)
            payloads[cid] = {"run": self.run_info, "task": cluster.pack_task(task)}
        if progress is not None:
            progress.extra = self.status
        with self.lock:
            self.counts = {}
        done = 0
        ready = self._fetch(list(payloads))  # finished by workers while no coordinator was running
        early = [cid for cid, meta in ready.items() if meta.get("status") == "SUCCESS"]
        with self.app.producer_or_acquire() as producer:
            for cid in payloads:
                if cid not in early:
                    self._send(cid, payloads[cid], producer)
        if self.caller is None:
            self.caller = threading.Thread(target=self._call_workers, name="cluster-calls", daemon=True)
            self.caller.start()
        if early:
            self.err.write(f"{len(early)} results were graded by the workers while no coordinator was "
                           "running: collected, not graded again\n")
        while collector.pending:
            pending = collector.pending
            metas = self._fetch(pending)
            for cid in pending:
                meta = metas.get(cid)
                if meta is None:
                    continue
                status = meta.get("status")
                if status == "STARTED":
                    host = (meta.get("result") or {}).get("hostname")
                    if host:
                        self.started[cid] = host
                    continue
                got = self._result(cid, meta, collector)
                if got is None:
                    continue
                local_id, result, host = got
                with self.lock:
                    self.counts[host] = self.counts.get(host, 0) + 1
                done += 1
                yield local_id, result
                if progress is not None:
                    progress.update(done)
            self._resend_lost(collector, payloads)
            self._flush_notices()
            self._say_waiting(done)
            if progress is not None:
                progress.update()
            if collector.pending:
                time.sleep(POLL_EVERY)
        self._flush_notices()
        if collector.expected:
            self.err.write(f"graded on the cluster: {self.status()}\n")

    def _fetch(self, cids: list) -> dict:
        """``{celery id: meta}`` for the ids with anything stored (one round trip)."""
        out = {}
        for start in range(0, len(cids), 500):
            chunk = cids[start:start + 500]
            values = self.backend.mget([self.backend.get_key_for_task(c) for c in chunk])
            for cid, value in zip(chunk, values):
                if value is not None:
                    out[cid] = self.backend.decode_result(value)
        return out

    def _result(self, cid: str, meta: dict, collector: Collector):
        local_id, task = collector.expected[cid]
        status = meta.get("status")
        if status == "SUCCESS":
            payload = meta.get("result") or {}
            host = payload.get("worker", "?")
            try:
                result = cluster.unpack_result(payload["result"])
            except Exception as exc:
                result = with_feedback(task, blank_result(task, "error", f"the result from worker {host} could "
                                                                         f"not be read: {exc}"))
                result.student, result.assignment, result.key = task.student, task.assignment, task.key
        elif status == "FAILURE":
            host = self.started.get(cid, "?")
            why = meta.get("result") or {}
            text = why.get("exc_message") if isinstance(why, dict) else why
            if isinstance(text, (list, tuple)):
                text = "; ".join(map(str, text))
            result = with_feedback(task, blank_result(
                task, "error", f"internal grader error on worker {host}: "
                               f"{(why or {}).get('exc_type', 'Error') if isinstance(why, dict) else 'Error'}: {text}"))
        else:
            return None
        got = collector.accept(cid, result)
        if got is None:
            return None
        return got[0], got[1], host

    def _resend_lost(self, collector: Collector, payloads: dict) -> None:
        """Send again the tasks a silent worker had started (its own copy comes back after the visibility
        timeout too; whichever result arrives first is taken, the other ignored)."""
        with self.lock:
            lost = set(self._lost_workers())
        if not lost:
            return
        pending = set(collector.pending)
        again = [cid for cid, host in self.started.items() if host in lost and cid in pending and cid not in self.resent]
        for cid in again:
            self._send(cid, payloads[cid])
            self.resent.add(cid)
            self.started.pop(cid, None)
        if again:
            with self.lock:
                hosts = ", ".join(sorted({h for h in lost}))
                self.notices.append(f"worker {hosts} stopped answering: its {len(again)} unfinished "
                                    f"task(s) were sent to the other workers")

    def _say_waiting(self, done: int) -> None:
        if self.said_waiting or done or time.monotonic() - self.t0 < 30:
            return
        with self.lock:
            if self.workers:
                return
        self.said_waiting = True
        self.err.write(f"waiting for workers: none has joined this run yet; start one on each grading machine, "
                       f"from a clone at commit {self.run_info['commit']}, with\n"
                       f"  python -m autograder worker --cluster {cluster.redact(self.url)}\n")
        self.err.flush()

    def close(self, kill: bool = False) -> None:
        """Stop calling the workers. Interrupted (``kill``): tasks already sent stay in the broker and the
        workers finish them; a re-run collects those results instead of grading again."""
        self.stop.set()
        if self.caller is not None:
            self.caller.join(3)
        if not kill:
            try:  # the run is complete: workers stop listening to its queue
                self.app.control.cancel_consumer(self.queue)
            except Exception:
                pass
