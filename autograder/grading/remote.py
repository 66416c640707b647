"""``python -m autograder worker --cluster URL``: grade for a coordinator (``grade --cluster URL``) on this machine.

Run it from a clone of the repository at the coordinator's commit, with the same environment (``make venv``)::

    .venv/bin/python -m autograder worker --cluster redis://:PASSWORD@broker.example.org:6379/0

It is a Celery worker (threads pool, one thread per grading slot) that listens to nothing until a
coordinator broadcasts a run (``autograder_join``): it then checks the run against its own clone — the
autograder's code, the Python environment, the instructor sources of the assignments, by content hash —
and either starts taking that run's tasks or refuses with a plain sentence (printed here, and shown by
the coordinator). Each task is graded by the very same code as local grading: the assignment is prepared
from this clone's sources (:func:`~.coursedir.prepare_assignment`), and the submission goes through a
long-lived, kernel-warm :class:`~.pool.WorkerPool` (its worker processes, sandbox, watchdog and crash
handling), one per slot. The result goes back as JSON through the broker; this machine keeps nothing.
"""
from __future__ import annotations

import argparse
import base64
import logging
import os
import queue
import socket
import sys
import tempfile
import threading
import time
from dataclasses import fields

from ..cli import isolation_problem
from ..nbcells import DEFAULT_COURSE_DIR, REPO_ROOT, sqlite_url
from . import cluster
from .coursedir import GradingError, prepare_assignment, source_hash
from .sandbox.limits import Limits
from .sandbox.processes import force_rmtree

log = logging.getLogger("autograder.worker")


class Grader:
    """This machine's side of a cluster run: checks, prepared assignments, and ``slots`` kernel-warm pools."""

    def __init__(self, slots: int, work_dir: str):
        self.slots = max(1, int(slots))
        self.work = os.path.abspath(work_dir)
        os.makedirs(self.work, mode=0o700, exist_ok=True)
        self.incoming = os.path.join(self.work, "incoming")  # submissions in flight (hidden from kernels)
        force_rmtree(self.incoming)
        os.makedirs(self.incoming, mode=0o700)
        self.lock = threading.Lock()
        self.prepare_lock = threading.Lock()
        self.checked: dict = {}    # run queue -> None (matches) or why not
        self.warming: set = set()  # runs whose pools and assignments are being readied
        self.prepared: dict = {}   # (source dir, assignment, source hash) -> PreparedAssignment
        self.pools: dict = {}      # limits -> queue of idle WorkerPool(1)
        self.graded = 0

    # ----------------------------------------------------------------- joining a run
    def check(self, run: dict) -> str | None:
        """None when this clone and environment match ``run``; else why not (logged once per run)."""
        with self.lock:
            if run["queue"] not in self.checked:
                why = cluster.mismatch(run, source_hash) or isolation_problem(self.limits(run))  # (sandbox here?)
                self.checked[run["queue"]] = why
                if why:
                    log.error("refused the coordinator's run (commit %s): %s", run["commit"], why)
                else:
                    log.info("joined the run %s (commit %s, assignments %s)", run["queue"], run["commit"],
                             ", ".join(run["sources"]))
            return self.checked[run["queue"]]

    def join(self, run: dict) -> dict:
        why = self.check(run)
        if why:
            return {"refused": why}
        if run["queue"] not in self.warming:  # before the first task: workers boot, assignments are prepared
            self.warming.add(run["queue"])
            self._pools(self.limits(run))
            threading.Thread(target=self._prepare_all, args=(run,), name="prepare", daemon=True).start()
        return {"ok": True, "slots": self.slots}

    def _prepare_all(self, run: dict) -> None:
        for name in run["sources"]:
            try:
                self.prepare(run, name)
            except Exception as exc:  # the first task of that assignment meets it again and reports it
                log.error("could not prepare %s: %s", name, exc)

    def limits(self, run: dict) -> Limits:
        known = {f.name for f in fields(Limits)}
        values = {k: v for k, v in run["limits"].items() if k in known}
        return Limits(**values, hide=(self.work,))

    def _pools(self, limits: Limits) -> queue.Queue:
        from .pool import WorkerPool
        with self.lock:
            if limits not in self.pools:
                idle = queue.Queue()
                for _ in range(self.slots):
                    idle.put(WorkerPool(1, limits))
                self.pools[limits] = idle
            return self.pools[limits]

    def prepare(self, run: dict, name: str):
        source_dir = os.path.join(REPO_ROOT, run["source_dir"])
        key = (source_dir, name, run["sources"][name])
        with self.prepare_lock:  # not self.lock: joining must answer at once while nbgrader prepares
            if key not in self.prepared:
                course = os.path.join(self.work, "course")
                prepared = prepare_assignment(course, name, sqlite_url(os.path.join(course, "gradebook.db")),
                                              source_dir)
                if prepared.source_hash != run["sources"][name]:
                    raise GradingError(f"assignment {name!r} changed in this clone while grading")
                self.prepared[key] = prepared
            return self.prepared[key]

    # ----------------------------------------------------------------- one task
    def grade(self, run: dict, data: dict, hostname: str) -> dict:
        """Grade one packed task (:func:`.cluster.pack_task`) exactly as local grading would."""
        t0 = time.monotonic()
        who = f"{data['student']}/{data['assignment']}"
        if data["assignment"] not in run["sources"]:
            raise GradingError(f"{who}: the assignment is not one of the run's ({', '.join(run['sources'])})")
        log.info("grading %s", who)
        prepared = self.prepare(run, data["assignment"])
        folder = tempfile.mkdtemp(prefix="task-", dir=self.incoming)
        try:
            notebook = None
            if data["notebook"] is not None:
                notebook = os.path.join(folder, f"{data['assignment']}.ipynb")
                with open(notebook, "wb") as f:
                    f.write(base64.b64decode(data["notebook"]))
            extra = {}
            for rel, content in data["extra_files"].items():
                parts = rel.replace("\\", "/").split("/")
                if os.path.isabs(rel) or ".." in parts:
                    raise GradingError(f"refusing the submitted file name {rel!r}")
                path = os.path.join(folder, "files", *parts)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(base64.b64decode(content))
                extra[rel] = path
            task = prepared.task(data["student"], notebook, data["key"], extra_files=extra,
                                 notes=list(data["notes"]), problem=data["problem"])
            if data.get("personal"):  # the submitter's instructor version, made from this clone's template
                from ..personal.versions import student_gradebook
                task.personal = data["personal"]
                task.template_db = student_gradebook(prepared.template_db, data["personal"], name=data["assignment"])
            idle = self._pools(self.limits(run))
            pool = idle.get()
            try:
                [(_, result)] = list(pool.run([(0, task)]))
            finally:
                idle.put(pool)
        finally:
            force_rmtree(folder)
        with self.lock:
            self.graded += 1
        log.info("graded %s: %s, %g/%g in %.1f s", who, result.status, result.total, result.max_total,
                 time.monotonic() - t0)
        return {"result": cluster.result_json(result), "worker": hostname}

    def close(self) -> None:
        with self.lock:
            for idle in self.pools.values():
                while not idle.empty():
                    idle.get().close()
            self.pools.clear()
        force_rmtree(self.incoming)


GRADER: Grader | None = None  # the one of this process (the control command below reaches it)


def register(app, grader: Grader) -> None:
    """The task and the ``autograder_join`` control command of this worker."""
    from celery.exceptions import Reject
    from celery.worker.control import control_command

    global GRADER
    GRADER = grader

    @app.task(name=cluster.TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def grade(self, payload):
        run = payload["run"]
        why = grader.check(run)
        if why:  # stop taking this run's tasks, and give this one back for a worker that matches
            self.app.control.cancel_consumer(run["queue"], destination=[self.request.hostname])
            raise Reject(why, requeue=True)
        return grader.grade(run, payload["task"], self.request.hostname)

    @control_command(args=[("run", dict)], signature="<run>")
    def autograder_join(state, run, **_):
        """Join a coordinator's run if this clone and environment match it (else say why not)."""
        reply = GRADER.join(run) if GRADER else {"refused": "this worker is starting"}
        if reply.get("ok"):
            state.consumer.call_soon(state.consumer.add_task_queue, run["queue"])
        reply["graded"] = GRADER.graded if GRADER else 0
        return reply


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cluster", required=True, metavar="URL",
                        help="the broker the coordinator uses: redis://[:PASSWORD@]HOST:PORT/DB (or rediss:// for TLS)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once on this machine (default: the number of cores)")
    parser.add_argument("--name", default=None,
                        help="this worker's name in the coordinator's progress (default: grader-<pid>@<host>)")
    parser.add_argument("--work-dir", default=None,
                        help="where assignments are prepared and submissions staged (default: class/worker-<name> "
                             "in this clone, git-ignored)")
    parser.add_argument("--visibility-timeout", type=float, default=cluster.DEFAULT_VISIBILITY_TIMEOUT,
                        help="seconds after which a task taken by a worker that vanished goes back to the queue "
                             "(Redis); must exceed the longest notebook budget (default: %(default)g)")
    parser.add_argument("--log-level", default="INFO", help="INFO (default), WARNING or DEBUG")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    name = args.name or f"grader-{os.getpid()}@{socket.gethostname()}"
    logging.basicConfig(level=getattr(logging, args.log_level.upper(), logging.INFO), stream=sys.stderr,
                        format=f"%(asctime)s {name} %(levelname)s %(message)s")
    for chatty in ("celery.app.trace", "celery.worker.strategy", "alembic"):  # one line per task is ours (no results)
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        app = cluster.make_app(args.cluster, args.visibility_timeout)
        folder = args.work_dir or os.path.join(DEFAULT_COURSE_DIR, "worker-" + name.replace("@", "-"))
        grader = Grader(args.workers, folder)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    register(app, grader)
    cluster.environment(), cluster.code_hash()  # read once now: a coordinator's call is answered at once
    log.info("worker at commit %s, %d slots, broker %s; waiting for a coordinator", cluster.commit(),
             grader.slots, cluster.redact(args.cluster))
    worker = app.Worker(hostname=name, pool_cls="threads", concurrency=grader.slots, queues=[cluster.IDLE_QUEUE],
                        loglevel=args.log_level.upper(), without_mingle=True, without_gossip=True,
                        without_heartbeat=True, optimization="fair", quiet=True, redirect_stdouts=False)
    try:
        worker.start()
    finally:
        grader.close()
    return worker.exitcode or 0
