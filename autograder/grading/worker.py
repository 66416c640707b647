"""One long-lived grading worker: imports nbgrader once, keeps a kernel started ahead of need, and grades
submissions one after another with nbgrader's own ``Autograde`` converter, each in a scratch copy.

A worker never touches the instructor's course folder: it grades into a private copy of the assignment's
template gradebook under a pseudonymous student id, then returns a :class:`~.records.Result` (scores per
test, messages, reasons, the feedback HTML, the autograded notebook) that the parent writes.

Grading one submission, job by job: :func:`read` (the notebook and the notes on it) -> :func:`stage`
(nbgrader's folder tree and a private gradebook in the kernel's scratch folder) -> :func:`autograde`
(nbgrader's converter with :class:`~.sandbox.executor.GuardedExecute` on the pre-started kernel) ->
:func:`collect` (scores, failures and events into a result).
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import tempfile
import time
import traceback
import warnings

import nbformat

from ..nbcells import COURSE_ID, grade_id, is_answer, is_graded, nbgrader_config, nbgrader_meta, sqlite_url
from .coursedir import STUDENT_IN_SANDBOX
from .feedback import with_feedback
from .records import CellResult, Result, Task, blank_result
from .sandbox.executor import GuardedExecute
from .sandbox.kernels import KernelSupply
from .sandbox.limits import Limits
from .sandbox.processes import force_rmtree
from .submission import InvalidNotebook, edited_locked_cells, read_submission, restore_grading_metadata


def autograded_folder(root: str, assignment: str) -> str:
    """Where nbgrader writes the graded notebook (the kernel never sees it)."""
    return os.path.join(root, "course", "autograded", STUDENT_IN_SANDBOX, assignment)


# --------------------------------------------------------------------------- nbgrader's log
class LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records = []

    def emit(self, record):
        try:
            self.records.append((record.levelno, record.getMessage()))
        except Exception:
            pass

    def notes(self) -> list[str]:
        """What nbgrader repaired, in plain words (cells it put back or dropped)."""
        notes = []
        for level, msg in self.records:
            if msg.startswith("Missing grade cell"):
                cell = msg.split("Missing grade cell ")[1].split(" encountered")[0]
                notes.append(f"graded cell `{cell}` was missing; the instructor's version was put back and graded")
            elif "exists multiple times" in msg:
                cell = msg.split("id '")[1].split("'")[0]
                notes.append(f"cell `{cell}` appeared more than once; only its last copy was graded")
        return notes

    def failure(self) -> str | None:
        """The exception line of the traceback nbgrader logged (its other error lines are generic)."""
        for level, msg in self.records:
            if level >= logging.ERROR and "Traceback (most recent call last)" in msg:
                lines = [ln for ln in msg.strip().splitlines() if ln.strip()]
                return lines[-1].strip() if lines else None
        return None


def cell_outcome(cell) -> dict | None:
    """The first failure shown by an executed cell: error name and message (never its source)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return {"ename": out.get("ename", "Error"), "evalue": out.get("evalue", "")}
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out.get("text", "").strip().splitlines()
            return {"ename": "stderr", "evalue": (text[-1] if text else "")[:500]}
    return None


# --------------------------------------------------------------------------- grading one submission, job by job
def read(task: Task) -> tuple[nbformat.NotebookNode | None, list[str], Result | None]:
    """The submitted notebook with the instructor's grading settings, and notes on what was repaired;
    or a zero result when there is nothing to grade (missing or unreadable)."""
    if task.notebook is None:
        return None, [], blank_result(task, "missing", task.problem or f"no notebook {task.assignment}.ipynb "
                                                                         "was submitted")
    try:
        nb, notes = read_submission(task.notebook)
    except InvalidNotebook as exc:
        return None, [], blank_result(task, "invalid", str(exc))
    source_nb = nbformat.read(os.path.join(task.source_dir, f"{task.assignment}.ipynb"), as_version=4)
    notes = list(task.notes) + notes + restore_grading_metadata(nb, source_nb)
    if task.release_path:
        notes += edited_locked_cells(nb, nbformat.read(task.release_path, as_version=4))
    return nb, notes, None


def stage(task: Task, nb, folder: str, private: str) -> str:
    """nbgrader's tree in the kernel's scratch ``folder`` (submission, source without notebooks) and a
    private copy of the template gradebook in ``private``; returns the course root. The kernel sees none
    of it (its extra files reach it through the executor)."""
    root = os.path.join(folder, "course")
    sub_dir = os.path.join(root, "submitted", STUDENT_IN_SANDBOX, task.assignment)
    os.makedirs(sub_dir)
    os.chmod(os.path.join(root, "submitted"), 0o700)
    os.makedirs(private, mode=0o700)
    for rel, path in task.extra_files.items():
        dest = os.path.join(sub_dir, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(path, dest)
    nbformat.write(nb, os.path.join(sub_dir, f"{task.assignment}.ipynb"))
    shutil.copytree(task.source_dir, os.path.join(root, "source", task.assignment),
                    ignore=shutil.ignore_patterns("*.ipynb"))
    db = os.path.join(private, "gradebook.db")
    shutil.copyfile(task.template_db, db)
    os.chmod(db, 0o600)
    return root


def autograde(root: str, db: str, assignment: str, executor: GuardedExecute) -> tuple:
    """Run nbgrader's ``Autograde`` with ``executor`` in place of its ``Execute``; return
    (failure message or None, nbgrader's notes)."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute

    c = nbgrader_config(root, sqlite_url(db), assignment=assignment, student=STUDENT_IN_SANDBOX)
    c.CourseDirectory.notebook_id = assignment  # so nbgrader keeps the pre-made output folder
    c.OverwriteCells.add_missing_cells = True
    app = Autograde(coursedir=CourseDirectory(config=c), config=c)
    # set on the instance (a config value would be deep-copied): nbconvert runs a registered instance as is
    app.autograde_preprocessors = [executor if p is Execute else p for p in app.autograde_preprocessors]
    app.force = True
    app.create_student = True
    capture = LogCapture()
    logger = logging.getLogger(f"autograder.nbgrader.{os.getpid()}")
    logger.handlers[:] = [capture]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    app.log = logger
    failure = None
    try:
        app.start()
    except Exception as exc:
        failure = capture.failure() or f"{type(exc).__name__}: {exc}"
    return failure, capture.notes()


def answer_hashes(nb) -> dict:
    """``{question: sha256 of the student's answer}``: a grader's score stands only for the answer it was given to."""
    return {grade_id(cell): hashlib.sha256(cell.source.strip().encode()).hexdigest()
            for cell in nb.cells if is_answer(cell) and grade_id(cell)}


def collect(task: Task, graded: nbformat.NotebookNode, db: str, events: list, notes: list) -> Result:
    """The result of a graded notebook: nbgrader's scores and comments, each graded cell's first failure,
    errors outside graded cells, and the executor's events as the reason."""
    from nbgrader.api import Gradebook

    name = task.assignment
    by_id = {grade_id(cell): cell for cell in graded.cells if grade_id(cell)}
    with Gradebook(sqlite_url(db), COURSE_ID) as gb:
        submission = gb.find_submission_notebook(name, name, STUDENT_IN_SANDBOX)
        scores = {g.name: g.auto_score for g in submission.grades}
        comments = {cm.name: cm.auto_comment for cm in submission.comments}
    answers = answer_hashes(graded)
    cells = []
    for gc in task.spec.cells:
        cell = by_id.get(gc.grade_id)
        outcome = cell_outcome(cell) if cell is not None and gc.auto else None
        cells.append(CellResult(gc.grade_id, gc.question, gc.auto, gc.max_points,
                                points=scores.get(gc.grade_id) if gc.auto else None, error=outcome,
                                not_run=bool(outcome and outcome["ename"] == "NotRun"),
                                no_response=comments.get(gc.grade_id) == "No response.",
                                answer_hash=answers.get(gc.question, "")))
    cell_errors = []  # errors outside graded cells (preflight reports them for the reference)
    for index, cell in enumerate(graded.cells):
        if cell.cell_type == "code" and not is_graded(cell):
            outcome = cell_outcome(cell)
            if outcome and outcome["ename"] != "stderr":
                cell_errors.append({"cell": nbgrader_meta(cell).get("grade_id") or f"number {index + 1}", **outcome})
    reason = "; ".join(dict.fromkeys(e["message"] for e in events))
    return Result(task.student, name, task.key, "graded", reason, notes=list(dict.fromkeys(notes)), events=events,
                  cells=cells, comments=comments, cell_errors=cell_errors, autograded=nbformat.writes(graded))


def grade_once(task: Task, kernels: KernelSupply, limits: Limits) -> Result:
    t0 = time.monotonic()
    nb, notes, nothing_to_grade = read(task)
    if nothing_to_grade is not None:
        return nothing_to_grade
    km, folder = kernels.take()
    private = folder + "-private"
    executor = GuardedExecute(km=km, limits=limits, files=task.extra_files, interrupt_on_timeout=True,
                              timeout=max(1, int(round(limits.cell_timeout))),
                              notebook_budget=float(limits.notebook_budget))
    try:
        root = stage(task, nb, folder, private)
        db = os.path.join(private, "gradebook.db")
        failure, nbgrader_notes = autograde(root, db, task.assignment, executor)
        notes += nbgrader_notes
        graded_path = os.path.join(autograded_folder(folder, task.assignment), f"{task.assignment}.ipynb")
        if failure is not None or not os.path.exists(graded_path):
            reasons = "; ".join(e["message"] for e in executor.events) or failure or "unknown error"
            return blank_result(task, "error", f"the grader could not process this notebook: {reasons}", notes)
        result = collect(task, nbformat.read(graded_path, as_version=4), db, executor.events, notes)
        result.seconds = round(time.monotonic() - t0, 3)
        return result
    finally:
        executor.close()
        force_rmtree(folder)
        force_rmtree(private)


def grade_submission(task: Task, kernels: KernelSupply, limits: Limits) -> Result:
    """Grade one submission with nbgrader's ``Autograde`` in a scratch copy.

    A kernel that dies before it ever answered (so before any student code ran: a start-up failure
    of the machine, e.g. under heavy load) is replaced and the submission graded once more.
    """
    result = grade_once(task, kernels, limits)
    if result.status == "error" and "before replying to kernel_info" in result.reason:
        kernels.close()  # the spare kernel may share the trouble
        result = grade_once(task, kernels, limits)
        result.notes.append("the first grading kernel failed to start; graded with a fresh one")
    return result


# --------------------------------------------------------------------------- the process
def worker_main(conn, slot: int, base: str, limits: Limits) -> None:
    """Entry point of a worker process: ``(task_id, Task)`` in, ``("done", task_id, Result)`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides about interrupts; it held SIGINT back
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # while spawning us (pool._sigint_held): a
    # Ctrl-C that came since is discarded now (ignored), and the kernels we start get SIGINT when interrupted
    warnings.filterwarnings("ignore")  # nbgrader's SQLAlchemy chatter is not the instructor's business
    os.makedirs(base, mode=0o700, exist_ok=True)
    runtime = tempfile.mkdtemp(prefix="runtime-", dir=base)
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    os.chdir(base)
    import nbgrader.converters  # noqa: F401  (import once, here, not per submission)

    kernels = KernelSupply(base, slot, limits, on_start=lambda pid: conn.send(("kernel", slot, pid)))
    try:
        kernels.prestart()  # booting while the parent prepares the assignments
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
                result.traceback = traceback.format_exc()
            result.isolated = limits.isolate
            conn.send(("done", task_id, with_feedback(task, result)))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        kernels.close()
