"""Grading on several machines through Celery (``grade --cluster URL`` and ``python -m autograder worker``).

What the coordinator (:mod:`.coordinator`) and the workers (:mod:`.remote`) share: the Celery application
(its settings, in :func:`make_app`), the description of a grading run that a worker must match before it
grades anything (:func:`run_info`, :func:`mismatch`), and the JSON payloads that carry a submission out and
a result back (:func:`pack_task`, :func:`unpack_result`).

A grading *run* is identified by everything that decides a score: the autograder's own code, the Python
environment (interpreter and every installed package), the instructor sources of the assignments being
graded and the kernel limits. Its hash names the Celery queue the run's tasks go to; a worker consumes
that queue only after checking that its own clone and environment give the same description.

Light on purpose: Celery is imported inside :func:`make_app` only, so that ``grade`` without
``--cluster`` never imports it (nor needs it installed).
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
from urllib.parse import urlsplit, urlunsplit

from ..nbcells import AUTOGRADER_DIR, REPO_ROOT
from .records import CellResult, Result, Task

TASK_NAME = "autograder.grade"
JOIN_COMMAND = "autograder_join"
IDLE_QUEUE = "autograder.idle"   #: what a worker listens to before a coordinator asks it to join a run
QUEUE_PREFIX = "autograder.run."
#: the Redis transport puts a task that was taken but never acknowledged (its worker died) back in the
#: queue after this many seconds; must exceed the longest task (the notebook budget + the pool's margin)
DEFAULT_VISIBILITY_TIMEOUT = 3600.0
RESULT_EXPIRES = 24 * 3600       #: results wait this long in the broker for a coordinator to collect them


# --------------------------------------------------------------------------- the Celery application
def make_app(url: str, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT, name: str = "autograder"):
    """The Celery app of both sides: ``url`` is the broker and the result store (``redis://`` or ``rediss://``).

    JSON only (a worker never unpickles what the coordinator sends, nor the coordinator what a worker
    returns); a task is acknowledged after it finished (``acks_late``), so a worker that dies leaves it in
    the broker for another; one task at a time per grading slot (``prefetch_multiplier=1``).
    """
    from celery import Celery

    if urlsplit(url).scheme not in ("redis", "rediss"):
        raise ValueError(f"--cluster needs a Redis URL (redis://HOST:PORT/0 or rediss://...), not {redact(url)!r}")
    app = Celery(name, broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_accept_content=["json"], event_serializer="json",
        task_acks_late=True, task_reject_on_worker_lost=True, task_track_started=True,
        worker_prefetch_multiplier=1, worker_deduplicate_successful_tasks=True,
        worker_hijack_root_logger=False, worker_send_task_events=False, task_send_sent_event=False,
        broker_connection_retry_on_startup=True, broker_connection_max_retries=None,
        result_expires=RESULT_EXPIRES, result_extended=False,
        broker_transport_options={"visibility_timeout": float(visibility_timeout),
                                  "unacked_restore_interval": 5, "unacked_restore_throttle": 1},
        result_backend_transport_options={"visibility_timeout": float(visibility_timeout)},
        task_default_queue=IDLE_QUEUE, worker_direct=False,
    )
    return app


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def refuse_sqlite(db_url: str) -> str | None:
    """Why a cluster run cannot use this gradebook (None: it can)."""
    if db_url.startswith("sqlite"):
        return ("--cluster needs a PostgreSQL gradebook (--db-url postgresql+psycopg://USER@HOST/DATABASE): "
                "an SQLite gradebook is a file on one machine, which the instructor's other tools (formgrader, "
                "exports) cannot share safely once grading spans machines")
    return None


# --------------------------------------------------------------------------- what a run is
@functools.lru_cache(maxsize=1)
def _environment() -> str:
    packages = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name:
            packages[name] = dist.version
    return json.dumps({"python": f"{platform.python_implementation()} {platform.python_version()}",
                       "packages": dict(sorted(packages.items()))})


def environment() -> dict:
    """The interpreter and every installed distribution with its version (a worker must have the same;
    read once per process: restart a worker after changing its environment)."""
    return json.loads(_environment())


def code_files(root=REPO_ROOT) -> list[str]:
    """The autograder's Python files (relative paths): what grades, prepares and transports a submission."""
    base = os.path.join(root, os.path.relpath(AUTOGRADER_DIR, REPO_ROOT))
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        out += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames if f.endswith(".py")]
    return sorted(out)


@functools.lru_cache(maxsize=4)
def code_hash(root=REPO_ROOT) -> str:
    h = hashlib.sha256()
    for rel in code_files(root):
        with open(os.path.join(root, rel), "rb") as f:
            h.update(f"{rel}\0{hashlib.sha256(f.read()).hexdigest()}\n".encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def commit(root=REPO_ROOT) -> str:
    """The clone's commit (for messages only: the hashes decide), or "unknown"."""
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def source_rel(source_dir) -> str:
    """``source_dir`` relative to the repository (workers read the sources from their own clone)."""
    rel = os.path.relpath(os.path.realpath(source_dir), os.path.realpath(REPO_ROOT))
    if rel == ".." or rel.startswith(".." + os.sep) or os.path.isabs(rel):
        raise ValueError(f"with --cluster the assignment sources must be inside the repository (workers read "
                         f"them from their own clone); {source_dir} is not under {REPO_ROOT}")
    return rel


def limits_json(limits) -> dict:
    data = dataclasses.asdict(limits)
    data.pop("hide", None)  # machine-local folders: each worker hides its own
    return data


def run_info(source_dir, sources: dict, limits) -> dict:
    """What a worker must match: code, environment, sources (``{assignment: content hash}``), limits."""
    info = {"code": code_hash(), "commit": commit(), "environment": environment(),
            "source_dir": source_rel(source_dir), "sources": dict(sorted(sources.items())),
            "limits": limits_json(limits)}
    info["queue"] = QUEUE_PREFIX + hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()[:24]
    return info


def mismatch(run: dict, source_hash) -> str | None:
    """Why *this* clone and environment must not grade ``run`` (a plain sentence), or None when they match.

    ``source_hash(name, source_dir)`` hashes an assignment's instructor source here.
    """
    here, there = environment(), run["environment"]
    if here["python"] != there["python"]:
        return (f"this worker runs {here['python']} and the coordinator {there['python']}: use the same Python "
                f"version on every machine")
    if here["packages"] != there["packages"]:
        diffs = []
        for name in sorted(set(here["packages"]) | set(there["packages"])):
            mine, theirs = here["packages"].get(name), there["packages"].get(name)
            if mine != theirs:
                diffs.append(f"{name} {mine or 'missing'} here, {theirs or 'missing'} on the coordinator")
        shown = "; ".join(diffs[:5]) + (f"; and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        return (f"the installed Python packages differ from the coordinator's ({shown}): run `make venv` in a "
                f"clone at the coordinator's commit {run['commit']}")
    if code_hash() != run["code"]:
        return (f"this clone's autograder code (commit {commit()}) differs from the coordinator's (commit "
                f"{run['commit']}): check out the coordinator's commit and restart the worker")
    source_dir = os.path.realpath(os.path.join(REPO_ROOT, run["source_dir"]))
    if not source_dir.startswith(os.path.realpath(REPO_ROOT) + os.sep):
        return f"the coordinator's source folder {run['source_dir']!r} is not inside this clone"
    for name, wanted in run["sources"].items():
        if not name or os.sep in name or name.startswith("."):
            return f"the coordinator named an assignment {name!r}, which is not a folder name"
        try:
            have = source_hash(name, source_dir)
        except Exception as exc:  # missing folder, unreadable notebook: the sentence says which
            return f"this clone cannot read assignment {name!r} in {run['source_dir']}: {exc}"
        if have != wanted:
            return (f"this clone's source of assignment {name!r} ({run['source_dir']}/{name}) differs from the "
                    f"coordinator's (commit {run['commit']} there, {commit()} here): check out the same commit, "
                    f"and run `python -m autograder release` if the sources were edited")
    return None


# --------------------------------------------------------------------------- payloads
def stripped_notebook(path: str) -> str:
    """The submitted file as text, code-cell outputs removed (they can be megabytes, and nbgrader clears
    them before grading anyway). A file that is not a valid notebook travels unchanged, so the worker
    reports exactly what local grading would."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = json.loads(raw)
        import nbformat
        nbformat.validate(nbformat.from_dict(data))
        if not isinstance(data.get("cells"), list):
            raise ValueError("no cells")
    except Exception:
        return base64.b64encode(raw).decode()
    for cell in data["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return base64.b64encode(json.dumps(data, ensure_ascii=False).encode()).decode()


def pack_task(task: Task) -> dict:
    """A task as JSON: the submission's bytes travel (notebook outputs stripped), never paths."""
    extra = {}
    for rel, path in task.extra_files.items():
        with open(path, "rb") as f:
            extra[rel] = base64.b64encode(f.read()).decode()
    return {"student": task.student, "assignment": task.assignment, "key": task.key,
            "notebook": stripped_notebook(task.notebook) if task.notebook else None,
            "extra_files": extra, "notes": list(task.notes), "problem": task.problem,
            "personal": task.personal}  # the submitter's hidden tests (personalised assignments; autograder.personal)


def result_json(result: Result) -> dict:
    """Everything a result holds, the large parts too (the feedback page and the graded notebook)."""
    return dataclasses.asdict(result)


def unpack_result(data: dict) -> Result:
    known = {f.name for f in dataclasses.fields(Result)}
    data = {k: v for k, v in data.items() if k in known}
    data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
    return Result(**data)


def task_id(queue: str, task: Task, salt: str = "") -> str:
    """The Celery task id of ``task`` in a run: the same work has the same id, so a re-run collects what
    workers finished after its coordinator died, and a result delivered twice is the same result."""
    text = "\0".join([queue, task.student, task.assignment, task.key, salt])
    return "autograder-" + hashlib.sha256(text.encode()).hexdigest()[:32]
