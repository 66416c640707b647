"""nbgrader's ``generate_feedback`` made safe on our course folder.

nbgrader renders the *autograded* notebook to HTML, and that notebook holds the hidden tests (their source and the
reference values embedded in them). The course folder's ``nbgrader_config.py`` (:mod:`.courseconfig`) replaces its
exporter with :class:`SafeFeedbackExporter`, which writes the very page ``grade``/``report`` write (:func:`.feedback
.render`): scores (hand scores included: nbgrader's ``GetGrades`` has just read them from the gradebook), failure
messages and notes, never a line of test source. So ``nbgrader generate_feedback`` and formgrader's feedback button
overwrite our page with the same page, and no command publishes a hidden test.
"""
from __future__ import annotations

import os

from nbconvert.exporters import Exporter
from nbconvert.exporters.exporter import FilenameExtension


class SafeFeedbackExporter(Exporter):
    """An nbconvert exporter for nbgrader's ``GenerateFeedback``: our feedback page, from result + gradebook."""

    output_mimetype = "text/html"
    file_extension = FilenameExtension(".html").tag(config=True)

    def from_notebook_node(self, nb, resources=None, **kw):
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)  # runs GetGrades (gradebook scores)
        info = resources["nbgrader"]
        coursedir = getattr(self.parent, "coursedir", None)
        root = coursedir.root if coursedir is not None else os.getcwd()
        return page(root, info["db_url"], info["student"], info["assignment"], nb_copy), resources


def page(course_root: str, db_url: str, student: str, assignment: str, graded_nb) -> str:
    """The feedback page of ``student``: the stored result (or, if ``grade`` never graded it, one read from the
    graded notebook) with the gradebook's hand scores and comments."""
    import nbformat

    from . import database
    from .coursedir import assignment_spec
    from .feedback import render
    from .refresh import with_gradebook
    from .state import State
    from .worker import answer_hashes, cell_outcome

    source = os.path.join(course_root, "source", assignment, f"{assignment}.ipynb")
    spec = assignment_spec(assignment, nbformat.read(source, as_version=4) if os.path.exists(source) else graded_nb)
    state = State(course_root, database.key(db_url))
    try:
        result = state.get(student, assignment)
        policy = state.setting("late_policy", {"penalty_method": "none"})
    finally:
        state.close()
    if result is None:
        result = result_from_notebook(student, spec, graded_nb, cell_outcome, answer_hashes)
    return render(with_gradebook(db_url, [result], policy)[0], spec)


def result_from_notebook(student, spec, graded_nb, cell_outcome, answer_hashes):
    """A result read from a notebook nbgrader graded itself (``nbgrader autograde``): its scores and messages."""
    from ..nbcells import grade_id, nbgrader_meta
    from .records import CellResult, Result

    by_id = {grade_id(c): c for c in graded_nb.cells if grade_id(c)}
    answers = answer_hashes(graded_nb)
    cells = []
    for gc in spec.cells:
        cell = by_id.get(gc.grade_id)
        meta = nbgrader_meta(cell) if cell is not None else {}
        points = meta.get("score") if gc.auto else None
        outcome = cell_outcome(cell) if cell is not None and gc.auto else None
        cells.append(CellResult(gc.grade_id, gc.question, gc.auto, gc.max_points, points=points, error=outcome,
                                answer_hash=answers.get(gc.question, "")))
    return Result(student, spec.name, "", "graded", cells=cells)
