"""A submitted notebook, read and repaired before grading: plain reasons for unreadable files, the
instructor's grading settings put back, and notes on what the student had changed.
"""
from __future__ import annotations

import json

import nbformat

from ..nbcells import grade_id, is_locked, nbgrader_meta


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
    by_id = {grade_id(cell): (cell.cell_type, nbgrader_meta(cell)) for cell in source_nb.cells if grade_id(cell)}
    notes = []
    # a grade_id used twice: nbgrader keeps the last copy but leaves an empty nbgrader dict on the others,
    # which later crashes it (KeyError 'grade_id'); drop the metadata of the earlier copies ourselves
    last = {}
    for index, cell in enumerate(nb.cells):
        if grade_id(cell):
            last.setdefault(grade_id(cell), []).append(index)
    for gid, indices in last.items():
        if len(indices) > 1:
            for index in indices[:-1]:
                del nb.cells[index].metadata["nbgrader"]
            notes.append(f"cell `{gid}` appeared more than once; only its last copy was graded")
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade_id") not in by_id:
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


def edited_locked_cells(nb, release_nb) -> list[str]:
    """Notes for locked cells (tests, given code) whose source differs from the released version."""
    released = {grade_id(c): c.source.strip() for c in release_nb.cells if is_locked(c)}
    notes = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in released and cell.source.strip() != released[gid]:
            notes.append(f"locked cell `{gid}` had been edited; the instructor's version was graded")
            released.pop(gid)
    return notes
