"""One long-lived grading worker: imports nbgrader once, keeps a kernel started ahead of need, and grades
submissions one after another with nbgrader's own ``Autograde`` converter, each in a scratch copy.

A worker never touches the instructor's course folder: it grades into a private copy of the assignment's
template gradebook under a pseudonymous student id, then returns a plain ``dict`` (scores per test,
messages, reasons, the feedback HTML, the autograded notebook) that the parent writes.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
import traceback

import warnings

import nbformat

from .coursedir import COURSE_ID, REPO_ROOT, STUDENT_IN_SANDBOX, AssignmentSpec, nbgrader_config, sqlite_url
from .kernel_launcher import user_namespaces_work
from .limits import Limits
from .pool import _force_rmtree
from .results import blank_result, finish
from .sandbox import (PROTECTED_PIDS, GuardedExecute, LimitedKernelManager, _shutdown, become_subreaper,
                      kernel_env, sandbox_uid)

KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]
#: repository folders a grading kernel never sees (the course kit ``course/`` and ``.venv`` stay visible)
HIDDEN_REPO_DIRS = ("solutions", "autograder", "tests", "benchmarks", "book", ".git", "class", "_build")


# --------------------------------------------------------------------------- reading the submission
class InvalidNotebook(Exception):
    """The submitted file cannot be graded; the message says why in plain words."""


def read_submission(path: str) -> tuple[nbformat.NotebookNode, list[str]]:
    """Parse a submitted notebook; raise :class:`InvalidNotebook` with a plain reason, else (nb, notes)."""
    notes = []
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise InvalidNotebook("the notebook file is empty")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidNotebook(f"the notebook is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook (it has no cells)")
    major = data.get("nbformat")
    if major not in (3, 4):
        raise InvalidNotebook(f"the notebook is in format version {major!r}, which cannot be read "
                              "(expected version 4; re-save it with Jupyter)")
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises many kinds
        raise InvalidNotebook(f"the notebook could not be read as format version 4 ({exc})") from None
    if major == 3:
        notes.append("the notebook was in the old format version 3; it was converted to version 4")
    try:
        nbformat.validate(nb)
    except Exception:
        try:  # missing/duplicate cell ids and similar slips are repairable
            nbformat.validator.normalize(nb)
            nbformat.validate(nb, repair_duplicate_cell_ids=True)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidNotebook(f"the notebook does not follow the Jupyter notebook format ({first})") from None
    return nb, notes


def restore_grading_metadata(nb, source_nb) -> list[str]:
    """Put back the instructor's nbgrader metadata on every cell whose ``grade_id`` the instructor uses.

    nbgrader restores the *source* of locked cells but trusts the student's metadata (flags, points);
    a flipped flag can even make it stop with "Inconsistent checksums". Returns notes for the feedback.
    """
    by_id = {}
    for cell in source_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade_id"):
            by_id[meta["grade_id"]] = (cell.cell_type, meta)
    notes = []
    # a grade_id used twice: nbgrader keeps the last copy but leaves an empty nbgrader dict on the others,
    # which later crashes it (KeyError 'grade_id'); drop the metadata of the earlier copies ourselves
    last = {}
    for index, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid:
            last.setdefault(gid, []).append(index)
    for gid, indices in last.items():
        if len(indices) > 1:
            for index in indices[:-1]:
                del nb.cells[index].metadata["nbgrader"]
            notes.append(f"cell `{gid}` appeared more than once; only its last copy was graded")
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not meta or meta.get("grade_id") not in by_id:
            continue
        cell_type, source_meta = by_id[meta["grade_id"]]
        fields = ("grade", "solution", "locked", "points", "task")
        if any(meta.get(k) != source_meta.get(k) for k in fields) or cell.cell_type != cell_type:
            notes.append(f"the grading settings of cell `{meta['grade_id']}` had been changed; "
                         "the instructor's settings were used")
        new = dict(source_meta)
        new.pop("checksum", None)
        if "checksum" in meta:
            new["checksum"] = meta["checksum"]
        cell.metadata["nbgrader"] = new
    return notes


# --------------------------------------------------------------------------- kernels started ahead
class KernelSupply:
    """Keeps one kernel booted ahead of need, each in a fresh scratch folder of its own.

    The kernel starts in the very folder nbgrader will write the graded notebook to
    (``kNNNNN/course/autograded/student/<assignment>``), so the spare kernel is started for the
    assignment of the previous task (a different assignment gets a fresh kernel).
    """

    def __init__(self, base: str, slot: int, limits: Limits, on_start=None):
        self.base, self.slot, self.limits = base, slot, limits
        self.uid = sandbox_uid(limits, slot)
        self.count = 0
        self.on_start = on_start
        self.pending = None  # (km, folder, assignment)

    def hidden_paths(self, folder: str) -> list[str]:
        """What a kernel must not see: the reference package, sources, class data, other scratch folders."""
        paths = [os.path.join(REPO_ROOT, d) for d in HIDDEN_REPO_DIRS] + list(self.limits.hide)
        pool_base = os.path.dirname(self.base)
        for parent, mine in ((pool_base, self.base), (self.base, folder)):
            for entry in sorted(os.listdir(parent)):
                path = os.path.join(parent, entry)
                if path != mine and os.path.isdir(path):
                    paths.append(path)
        return [p for p in paths if os.path.isdir(p)]

    def _start(self, assignment: str):
        from jupyter_core.utils import run_sync

        self.count += 1
        folder = os.path.join(self.base, f"k{self.count:05d}")
        work = os.path.join(folder, "course", "autograded", STUDENT_IN_SANDBOX, assignment)
        home = os.path.join(folder, "home")
        for d in (work, home):
            os.makedirs(d, exist_ok=True)
        for d in (folder, os.path.join(folder, "course"), os.path.dirname(work), os.path.dirname(os.path.dirname(work))):
            os.chmod(d, 0o711)
        for d in (work, home):
            os.chmod(d, 0o700)
            if self.uid >= 0:
                os.chown(d, self.uid, self.uid)
        args = self.limits.launcher_args(self.uid)
        transport = {}
        if self.limits.isolate:
            args += ["--writable", work, "--writable", home]
            for path in self.hidden_paths(folder):
                args += ["--hide", path]
            namespaces = os.geteuid() == 0 or user_namespaces_work()
            if os.geteuid() != 0 and namespaces:
                args += ["--user-namespace", "1"]
            if not self.limits.network and namespaces:  # no network: talk over Unix sockets
                sockets = _socket_folder(folder, self.uid)
                args += ["--writable", sockets, "--no-network", "1"]
                transport = {"transport": "ipc", "ip": os.path.join(sockets, "k")}
        km = LimitedKernelManager(kernel_name="python3", limit_args=args, **transport)
        run_sync(km.start_kernel)(cwd=work, env=kernel_env(home), extra_arguments=list(KERNEL_ARGS),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.on_start:
            self.on_start(km.kernel_pid)
        return km, folder, assignment

    def _protect(self):
        PROTECTED_PIDS.clear()
        if self.pending:
            PROTECTED_PIDS.add(self.pending[0].kernel_pid)

    def take(self, assignment: str):
        """A started kernel for ``assignment`` and its folder; the next one starts booting right away."""
        if self.pending and self.pending[2] != assignment:
            self.close()
        km, folder, _ = self.pending if self.pending else self._start(assignment)
        self.pending = None
        self.pending = self._start(assignment)
        self._protect()
        return km, folder

    def close(self):
        if self.pending:
            _shutdown(self.pending[0])
            _rmtree(self.pending[1])
            self.pending = None
            self._protect()


def _socket_folder(folder: str, uid: int) -> str:
    """A folder for the kernel's Unix sockets: inside its scratch folder, or under the temp folder when
    that path is too long for a socket address (108 bytes on Linux); owned by the kernel's uid."""
    path = os.path.join(folder, "s")
    if len(os.fsencode(path)) > 80:
        path = tempfile.mkdtemp(prefix="agk-")
        with open(os.path.join(folder, "socket-folder"), "w") as f:  # removed with the scratch folder
            f.write(path)
    else:
        os.makedirs(path)
    os.chmod(path, 0o700)
    if uid >= 0:
        os.chown(path, uid, uid)
    return path


# --------------------------------------------------------------------------- grading one submission
class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        try:
            self.records.append((record.levelno, record.getMessage()))
        except Exception:
            pass


def edited_locked_cells(nb, release_nb) -> list[str]:
    """Notes for locked cells (tests, given code) whose source differs from the released version."""
    released = {c.metadata["nbgrader"]["grade_id"]: c.source.strip() for c in release_nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("locked")}
    notes = []
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in released and cell.source.strip() != released[gid]:
            notes.append(f"locked cell `{gid}` had been edited; the instructor's version was graded")
            released.pop(gid)
    return notes


def _notes_from_log(records) -> list[str]:
    notes = []
    for level, msg in records:
        if msg.startswith("Missing grade cell"):
            cell = msg.split("Missing grade cell ")[1].split(" encountered")[0]
            notes.append(f"graded cell `{cell}` was missing; the instructor's version was put back and graded")
        elif "exists multiple times" in msg:
            cell = msg.split("id '")[1].split("'")[0]
            notes.append(f"cell `{cell}` appeared more than once; only its last copy was graded")
    return notes


def _failure_from_log(records) -> str | None:
    """The exception line of the traceback nbgrader logged (its other error lines are generic)."""
    for level, msg in records:
        if level >= logging.ERROR and "Traceback (most recent call last)" in msg:
            lines = [ln for ln in msg.strip().splitlines() if ln.strip()]
            return lines[-1].strip() if lines else None
    return None


def _cell_outcome(cell) -> dict | None:
    """The first failure shown by an executed graded cell: error name and message (never its source)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return {"ename": out.get("ename", "Error"), "evalue": out.get("evalue", "")}
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "").strip().splitlines()
            return {"ename": "stderr", "evalue": (text[-1] if text else "")[:500]}
    return None


def grade_submission(task: dict, kernels: KernelSupply, limits: Limits) -> dict:
    """Grade one submission with nbgrader's ``Autograde`` in a scratch copy; return the result dict.

    A kernel that dies before it ever answered (so before any student code ran: a start-up failure
    of the machine, e.g. under heavy load) is replaced and the submission graded once more.
    """
    result = _grade_once(task, kernels, limits)
    if result["status"] == "error" and "before replying to kernel_info" in result.get("reason", ""):
        kernels.close()  # the spare kernel may share the trouble
        result = _grade_once(task, kernels, limits)
        result["notes"].append("the first grading kernel failed to start; graded with a fresh one")
    return result


def _grade_once(task: dict, kernels: KernelSupply, limits: Limits) -> dict:
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute

    name, t0 = task["assignment"], time.monotonic()
    if task.get("notebook") is None:
        return blank_result(task, "missing", task.get("problem") or f"no notebook {name}.ipynb was submitted")
    try:
        nb, read_notes = read_submission(task["notebook"])
    except InvalidNotebook as exc:
        return blank_result(task, "invalid", str(exc))
    source_nb = nbformat.read(os.path.join(task["source_dir"], f"{name}.ipynb"), as_version=4)
    notes = list(task.get("notes", [])) + read_notes + restore_grading_metadata(nb, source_nb)
    if task.get("release_path"):
        notes += edited_locked_cells(nb, nbformat.read(task["release_path"], as_version=4))

    km, folder = kernels.take(name)
    private = folder + "-private"  # the private gradebook: outside every folder the kernel may write
    try:
        root = os.path.join(folder, "course")
        sub_dir = os.path.join(root, "submitted", STUDENT_IN_SANDBOX, name)
        os.makedirs(sub_dir)
        os.chmod(os.path.join(root, "submitted"), 0o700)
        os.makedirs(private, mode=0o700)
        work = os.path.join(root, "autograded", STUDENT_IN_SANDBOX, name)  # the kernel's cwd
        for rel, path in task.get("extra_files", {}).items():
            dest = os.path.join(sub_dir, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(path, dest)
        nbformat.write(nb, os.path.join(sub_dir, f"{name}.ipynb"))
        shutil.copytree(task["source_dir"], os.path.join(root, "source", name),
                        ignore=shutil.ignore_patterns("*.ipynb"))
        db = os.path.join(private, "gradebook.db")
        shutil.copyfile(task["template_db"], db)
        os.chmod(db, 0o600)

        c = nbgrader_config(root, sqlite_url(db), assignment=name, student=STUDENT_IN_SANDBOX)
        c.CourseDirectory.notebook_id = name  # so nbgrader keeps the pre-made output folder
        c.Autograde.autograde_preprocessors = [GuardedExecute if p is Execute else p
                                               for p in Autograde.class_traits()["autograde_preprocessors"].default()]
        c.OverwriteCells.add_missing_cells = True
        c.Execute.timeout = max(1, int(round(limits.cell_timeout)))
        c.Execute.interrupt_on_timeout = True
        c.GuardedExecute.notebook_budget = float(limits.notebook_budget)
        GuardedExecute.prestarted_km = km
        GuardedExecute.last_events = []
        app = Autograde(coursedir=CourseDirectory(config=c), config=c)
        app.force = True
        app.create_student = True
        capture = _Capture()
        logger = logging.getLogger(f"autograder.nbgrader.{os.getpid()}")
        logger.handlers[:] = [capture]
        logger.propagate = False
        logger.setLevel(logging.INFO)
        app.log = logger
        failure = None
        try:
            app.start()
        except Exception as exc:
            failure = _failure_from_log(capture.records) or f"{type(exc).__name__}: {exc}"
        notes += _notes_from_log(capture.records)
        events = list(getattr(GuardedExecute, "last_events", []))

        graded_path = os.path.join(work, f"{name}.ipynb")
        if failure is not None or not os.path.exists(graded_path):
            reasons = "; ".join(e["message"] for e in events) or failure or "unknown error"
            return blank_result(task, "error", f"the grader could not process this notebook: {reasons}", notes)
        graded = nbformat.read(graded_path, as_version=4)
        by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in graded.cells
                 if cell.metadata.get("nbgrader", {}).get("grade_id")}
        spec = AssignmentSpec.from_json(task["spec"])
        with Gradebook(sqlite_url(db), COURSE_ID) as gb:
            submission = gb.find_submission_notebook(name, name, STUDENT_IN_SANDBOX)
            scores = {g.name: g.auto_score for g in submission.grades}
            comments = {cm.name: cm.auto_comment for cm in submission.comments}
        cells = []
        for gc in spec.cells:
            cell = by_id.get(gc.grade_id)
            outcome = _cell_outcome(cell) if cell is not None and gc.auto else None
            cells.append({
                "grade_id": gc.grade_id, "question": gc.question, "auto": gc.auto, "max_points": gc.max_points,
                "points": scores.get(gc.grade_id) if gc.auto else None, "error": outcome,
                "not_run": bool(outcome and outcome["ename"] in ("NotRun",)),
                "no_response": comments.get(gc.grade_id) == "No response.",
            })
        cell_errors = []  # errors outside graded cells (preflight reports them for the reference)
        for index, cell in enumerate(graded.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and not meta.get("grade"):
                outcome = _cell_outcome(cell)
                if outcome and outcome["ename"] != "stderr":
                    cell_errors.append({"cell": meta.get("grade_id") or f"number {index + 1}", **outcome})
        reason = "; ".join(dict.fromkeys(e["message"] for e in events))
        return {"student": task["student"], "assignment": name, "key": task["key"], "status": "graded",
                "reason": reason, "notes": list(dict.fromkeys(notes)), "events": events, "cells": cells,
                "comments": comments, "cell_errors": cell_errors, "autograded": nbformat.writes(graded),
                "seconds": round(time.monotonic() - t0, 3)}
    finally:
        if GuardedExecute.prestarted_km is not None:  # nbgrader stopped before executing
            _shutdown(GuardedExecute.prestarted_km)
            GuardedExecute.prestarted_km = None
        _shutdown(km)
        _rmtree(folder)
        _rmtree(private)


def _rmtree(path):
    """Remove a scratch folder (whatever modes student code left) and its outside socket folder."""
    pointer = os.path.join(path, "socket-folder")  # see _socket_folder
    if os.path.isfile(pointer):
        with open(pointer) as f:
            sockets = f.read().strip()
        if os.path.basename(sockets).startswith("agk-"):
            shutil.rmtree(sockets, ignore_errors=True)
    _force_rmtree(path)


# --------------------------------------------------------------------------- the process
def worker_main(conn, slot: int, base: str, limits_json: dict) -> None:
    """Entry point of a worker process: ``("grade", task)`` in, ``("done", task_id, result)`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides about interrupts
    warnings.filterwarnings("ignore")  # nbgrader's SQLAlchemy chatter is not the instructor's business
    become_subreaper()
    limits = Limits(**limits_json)
    os.makedirs(base, exist_ok=True)
    os.chmod(base, 0o711)
    runtime = tempfile.mkdtemp(prefix="runtime-", dir=base)
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    os.chdir(base)
    import nbgrader.converters  # noqa: F401  (import once, here, not per submission)

    kernels = KernelSupply(base, slot, limits, on_start=lambda pid: conn.send(("kernel", slot, pid)))
    try:
        kernels.pending = None  # started on the first task, for its assignment
        conn.send(("ready", slot, None))
        while True:
            msg = conn.recv()
            if msg is None:
                break
            task_id, task = msg
            try:
                result = grade_submission(task, kernels, limits)
            except Exception as exc:  # a bug or an environment problem: report it for this student
                result = blank_result(task, "error", f"internal grader error: {type(exc).__name__}: {exc}")
                result["traceback"] = traceback.format_exc()
            conn.send(("done", task_id, finish(task, result)))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        kernels.close()
