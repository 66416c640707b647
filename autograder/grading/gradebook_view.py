"""What the gradebook adds to a graded result: scores and comments a grader entered in nbgrader's formgrader, the
submission's timestamp, the assignment's deadline and the late penalty.

The stored result (:mod:`.state`) holds what the tests found; the gradebook holds what people decided. Every report
(CSV, summary, feedback) is made from both, by :func:`overlay`, whichever command writes it: ``grade``, ``report``,
or nbgrader's own ``generate_feedback`` (:mod:`.nbfeedback`). A hand score stands only for the answer it was given
to: :func:`void_changed_answers` clears it when a resubmission changes that answer (the cell then needs grading
again; the old score is named in the reports, never counted).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

from .records import Result


@dataclass
class SubmissionView:
    """One submission as the gradebook has it."""

    manual: dict = field(default_factory=dict)     # grade_id -> manual score (only those a grader set)
    comments: dict = field(default_factory=dict)   # grade_id (answer cell) -> grader's comment
    timestamp: datetime | None = None
    duedate: datetime | None = None


def read_views(gb, results) -> dict:
    """``{(student, assignment): SubmissionView}`` for the ``results`` found in the open gradebook ``gb``."""
    from nbgrader.api import MissingEntry

    views = {}
    duedates = {}
    for r in results:
        name = r.assignment
        if name not in duedates:
            try:
                duedates[name] = gb.find_assignment(name).duedate
            except MissingEntry:
                duedates[name] = None
        try:
            sub = gb.find_submission(name, r.student)
        except MissingEntry:
            continue
        view = SubmissionView(timestamp=sub.timestamp, duedate=duedates[name])
        for nb in sub.notebooks:
            for g in nb.grades:
                if g.manual_score is not None:
                    view.manual[g.name] = g.manual_score
            for c in nb.comments:
                if c.manual_comment:
                    view.comments[c.name] = c.manual_comment
        views[(r.student, name)] = view
    return views


def overlay(result: Result, view: SubmissionView | None, late_plugin=None) -> Result:
    """A copy of ``result`` with the gradebook's hand scores, comments, timestamp and late penalty."""
    from . import late

    out = copy.deepcopy(result)
    if view is None:
        return out
    for cell in out.cells:
        if cell.grade_id in view.manual:
            cell.points = float(view.manual[cell.grade_id])
            cell.by_hand = True
    out.regrade = {gid: old for gid, old in (result.regrade or {}).items() if gid not in view.manual}
    out.grader_comments = {gid: text for gid, text in view.comments.items()}
    if view.timestamp is not None:
        out.submitted = view.timestamp.strftime("%Y-%m-%d %H:%M:%S")
    out.late_seconds = late.seconds_late(view.timestamp, view.duedate)
    penalty = None
    if late_plugin is not None and out.late_seconds > 0:
        penalty = late_plugin.late_submission_penalty(out.student, out.total, out.late_seconds)
    out.late_penalty = float(penalty or 0.0)
    return out


def save_penalties(gb, results) -> None:
    """Keep nbgrader's ``late_submission_penalty`` equal to ours (formgrader and ``nbgrader export`` show it)."""
    from nbgrader.api import MissingEntry

    for r in results:
        try:
            nb = gb.find_submission_notebook(r.assignment, r.assignment, r.student)
        except MissingEntry:
            continue
        penalty = r.late_penalty if r.late_seconds > 0 else None
        if nb.late_submission_penalty != penalty:
            nb.late_submission_penalty = penalty
    gb.db.commit()


def void_changed_answers(gb, previous: Result | None, result: Result) -> dict:
    """Clear the hand scores (and comments) of cells whose answer differs from the one that was graded by hand.

    Returns ``{grade_id: old score}``; the cells then need grading again (``needs_manual_grade``), unless the new
    answer is empty (then nothing is left to grade and it scores zero).
    """
    from nbgrader.api import MissingEntry

    if previous is None:
        return {}
    before = {c.grade_id: c.answer_hash for c in previous.cells}
    voided = {}
    name = result.assignment
    for cell in result.cells:
        old_hash = before.get(cell.grade_id, "")
        if not old_hash or old_hash == cell.answer_hash:
            continue
        try:
            grade = gb.find_grade(cell.grade_id, name, name, result.student)
        except MissingEntry:
            continue
        if grade.manual_score is not None:
            voided[cell.grade_id] = grade.manual_score
            grade.manual_score = None
            try:
                gb.find_comment(cell.question, name, name, result.student).manual_comment = None
            except MissingEntry:
                pass
    return voided
