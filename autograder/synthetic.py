"""Synthetic classes built from an assignment's own sources (for the tests, the benchmark and dry runs).

A synthetic student starts from the released (blank) notebook and fills answer cells with the
reference solution (the instructor source with ``### BEGIN/END SOLUTION`` marker lines removed):

* ``correct``   every answer filled in;
* ``wrong:<q>`` every answer filled in except question ``q`` (left as released);
* ``blank``     the released notebook untouched;
* ``partial``   only the first question answered.
"""
from __future__ import annotations

import copy
import os

import nbformat

from .nbcells import grade_id, is_answer, is_graded, without_solution_markers


def answer_cells(nb) -> dict:
    """``{grade_id: cell}`` for the answer (solution) cells of a notebook."""
    return {grade_id(c): c for c in nb.cells if is_answer(c)}


def questions(source_nb) -> list[str]:
    """The autograded questions: answer cells that are code and not themselves graded."""
    return [gid for gid, c in answer_cells(source_nb).items() if c.cell_type == "code" and not is_graded(c)]


def make_student(release_nb, source_nb, answered) -> nbformat.NotebookNode:
    """The released notebook with the answer cells in ``answered`` filled from the reference."""
    nb = copy.deepcopy(release_nb)
    reference = answer_cells(source_nb)
    for gid, cell in answer_cells(nb).items():
        if gid in answered and gid in reference:
            if cell.cell_type == "code":
                cell.source = without_solution_markers(reference[gid].source)
            else:
                cell.source = "Because the order of the operands does not change the sum."
    return nb


def variants(release_nb, source_nb) -> dict:
    """``{variant name: notebook}`` for correct, blank, partial and each question wrong in turn."""
    qs = questions(source_nb)
    every = set(answer_cells(source_nb))
    out = {"correct": make_student(release_nb, source_nb, every),
           "blank": copy.deepcopy(release_nb),
           "partial": make_student(release_nb, source_nb, set(qs[:1]))}
    for q in qs:
        out[f"wrong_{q}"] = make_student(release_nb, source_nb, every - {q})
    return out


def write_class(folder: str, assignment: str, notebooks: dict, layout: str = "nbgrader") -> list[str]:
    """Write ``{student: notebook}`` as submitted/<student>/<assignment>/<assignment>.ipynb (or flat)."""
    paths = []
    for student, nb in notebooks.items():
        if layout == "nbgrader":
            path = os.path.join(folder, "submitted", student, assignment, f"{assignment}.ipynb")
        else:
            path = os.path.join(folder, f"{student}_{assignment}.ipynb")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        nbformat.write(nb, path)
        paths.append(path)
    return paths
