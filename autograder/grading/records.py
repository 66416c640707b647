"""The records that cross the process boundary between the grading parent and its workers.

* :class:`AssignmentSpec` (its :class:`GradeCell` s): what an assignment grades, read from the instructor notebook;
* :class:`Task`: one submission to grade, sent to a worker;
* :class:`Result` (its :class:`CellResult` s): what the worker found, sent back; the parent stores it
  (:mod:`~autograder.grading.state`, as JSON) and writes the gradebook, feedback and reports from it.

Plain dataclasses (pickled through the worker pipes; ``to_json``/``from_json`` for the state file).
Light: no nbgrader import.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class GradeCell:
    """One graded cell of the instructor notebook."""

    grade_id: str
    max_points: float
    question: str          # the solution cell it grades (the preceding answer cell), or itself
    auto: bool             # False for manually graded answers (free text)
    description: str = ""  # first docstring line of its *released* (hidden-tests-free) source


@dataclass
class AssignmentSpec:
    """The graded cells of one assignment, in notebook order, and their questions."""

    name: str
    cells: list[GradeCell] = field(default_factory=list)

    @property
    def questions(self) -> list[str]:
        return list(dict.fromkeys(c.question for c in self.cells))

    def question_max(self, question: str) -> float:
        return sum(c.max_points for c in self.cells if c.question == question)

    @property
    def max_total(self) -> float:
        return sum(c.max_points for c in self.cells)


@dataclass
class Task:
    """One submission for a worker: the student's files and the prepared assignment they meet."""

    student: str
    assignment: str
    key: str                      # content hash (submission + instructor source); "preflight" for checks
    notebook: str | None          # the file to grade as <assignment>.ipynb, or None (nothing submitted)
    source_dir: str               # course_root/source/<assignment>
    template_db: str              # gradebook holding only this assignment (each worker copies it)
    release_path: str             # the blank student version
    spec: AssignmentSpec
    extra_files: dict = field(default_factory=dict)  # relative path -> absolute path
    notes: list = field(default_factory=list)
    problem: str | None = None    # why there is nothing to grade (missing, ambiguous)
    personal: dict = field(default_factory=dict)  # grade_id -> [source, checksum]: the submitter's hidden tests


@dataclass
class CellResult:
    """How one graded cell scored, and the first failure it showed (never its source)."""

    grade_id: str
    question: str
    auto: bool
    max_points: float
    points: float | None          # None: graded by hand later
    error: dict | None = None     # {"ename": ..., "evalue": ...}
    not_run: bool = False
    no_response: bool = False
    answer_hash: str = ""         # the answer this cell grades (sha256 of its source): a changed one voids hand scores
    by_hand: bool = False         # points set by a grader in the gradebook (formgrader), not by the tests


@dataclass
class Result:
    """One graded submission. ``status``: graded, missing, invalid or error; ``reason``: what went wrong
    while grading (plain words, for the instructor and the student); ``notes``: what was repaired."""

    student: str
    assignment: str
    key: str
    status: str
    reason: str = ""
    notes: list = field(default_factory=list)
    events: list = field(default_factory=list)     # {"cell", "kind", "message"} from the executor
    cells: list[CellResult] = field(default_factory=list)
    comments: dict = field(default_factory=dict)
    cell_errors: list = field(default_factory=list)  # errors outside graded cells (preflight reports them)
    autograded: str | None = None    # the graded notebook (hidden tests included: instructor only)
    seconds: float = 0.0
    feedback_html: str = ""
    traceback: str = ""
    personal: dict = field(default_factory=dict)   # personal numbers: shown, flags, notes (autograder.personal)
    regrade: dict = field(default_factory=dict)   # grade_id -> hand score voided because the answer changed
    # filled from the gradebook for the reports (:mod:`.gradebook_view`; the stored result leaves them empty):
    grader_comments: dict = field(default_factory=dict)   # answer cell -> what a grader wrote in formgrader
    submitted: str = ""              # the submission's timestamp (UTC, ISO format), when known
    late_seconds: float = 0.0
    late_penalty: float = 0.0
    isolated: bool = True            # graded in the sandbox (False only with --no-isolation)

    #: left out of the stored JSON (large, or for this run's eyes only)
    TRANSIENT = ("autograded", "feedback_html", "traceback")

    @property
    def total(self) -> float:
        return sum(c.points or 0.0 for c in self.cells)

    @property
    def final_score(self) -> float:
        """The total less any late penalty (never below zero)."""
        return max(0.0, self.total - (self.late_penalty or 0.0))

    @property
    def pending(self) -> list[str]:
        """Hand-graded cells still waiting for a grader."""
        return [c.grade_id for c in self.cells if c.points is None and not c.no_response]

    @property
    def max_total(self) -> float:
        return sum(c.max_points for c in self.cells)

    def question_points(self, question: str) -> float | None:
        """Points on ``question``; None when it is graded by hand only."""
        cells = [c for c in self.cells if c.question == question]
        if cells and all(c.points is None for c in cells):
            return None
        return sum(c.points or 0.0 for c in cells)

    def problems_text(self) -> str:
        """Everything the instructor should read about this submission (reason, then notes); "" if none."""
        parts = [self.reason] if (self.status != "graded" or self.reason) else []
        empty = {c.grade_id for c in self.cells if c.no_response}
        regrade = [f"the answer graded by `{gid}` changed after it was graded by hand ({old:g} points, no longer "
                   + ("counted): it is now empty and scores 0" if gid in empty else "counted): grade it again")
                   for gid, old in sorted((self.regrade or {}).items())]
        return "; ".join(p for p in parts + list(self.notes) + list(self.personal.get("flags", [])) + regrade if p)

    def to_json(self) -> dict:
        data = asdict(self)
        for key in self.TRANSIENT:
            data.pop(key)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Result":
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**data)


def blank_result(task: Task, status: str, reason: str, notes=()) -> Result:
    """Every autograded test scores zero (manual answers stay ungraded): for unreadable/missing notebooks."""
    cells = [CellResult(c.grade_id, c.question, c.auto, c.max_points, points=0.0 if c.auto else None,
                        not_run=True, no_response=not c.auto) for c in task.spec.cells]
    return Result(task.student, task.assignment, task.key, status, reason,
                  notes=list(notes) + list(task.notes), cells=cells)
