"""After a personalised notebook is graded: whose numbers did it compute, and are they the submitter's?

Runs in the grading parent, outside every kernel, on the graded notebook. Each personal hidden test reports
(:func:`course.personal.report`) what the notebook's own code computed on the notebook's own numbers ``MY``
and the student id and code typed into it. From that:

* a typed id that is not the submitter's, a code that is not the submitter's, the example numbers (nothing
  typed) or no ``MY`` at all are flagged -- the tests graded the submitter's numbers anyway;
* a result that reproduces **another student's** reference values (every classmate in the submissions
  folder, and whoever's id is typed in) marks a copy: the summary and the CSV say "answers match student X's
  numbers" and every personalised question scores 0;
* the student's feedback shows their own numbers, and says what happened without naming anyone else.
"""
from __future__ import annotations

import json

import numpy as np

from course import personal as kit
from course.assignments.checks import decode_cases

from .secret import student_code


def reported(autograded: str, cells) -> dict:
    """``{case: payload}`` reported by the personal test ``cells`` of a graded notebook (the last one per case)."""
    try:
        nb = json.loads(autograded)
    except (TypeError, ValueError):
        return {}
    found = {}
    for cell in nb.get("cells", []):
        if (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id") not in cells:
            continue
        for out in cell.get("outputs", []):
            payload = (out.get("data") or {}).get(kit.REPORT_MIME) if out.get("output_type") == "display_data" else None
            if isinstance(payload, dict) and isinstance(payload.get("case"), str):
                found[payload["case"]] = payload
    return found


def flat(value, like) -> np.ndarray | None:
    """``value`` as one float vector in the layout of ``like`` (its keys, in order); None if it does not fit."""
    try:
        if isinstance(like, dict):
            if not isinstance(value, dict) or any(k not in value for k in like):
                return None
            parts = [flat(value[k], like[k]) for k in like]
            return None if any(p is None for p in parts) else np.concatenate(parts) if parts else np.zeros(0)
        a, b = np.asarray(value, dtype=float), np.asarray(like, dtype=float)
        return a.ravel() if a.shape == b.shape else None
    except (TypeError, ValueError):
        return None


class CopyFinder:
    """Whose reference values a reported result reproduces, among many students, with one comparison."""

    def __init__(self, versions, candidates):
        self.versions = versions
        self.ids = [c for c in dict.fromkeys(candidates) if kit.valid_student_id(c)]
        self.tables = {}

    def _table(self, case):
        if case not in self.tables:
            like = self.versions.cases(self.ids[0])[case]["expected"] if self.ids else None
            rows = [flat(self.versions.cases(s)[case]["expected"], like) for s in self.ids]
            self.tables[case] = (like, np.array(rows) if rows else np.zeros((0, 0)))
        return self.tables[case]

    def match(self, case: str, values, exclude: str, extra=()) -> str | None:
        """The first student (other than ``exclude``) whose reference for ``case`` equals ``values``."""
        for student in extra:  # an id typed into the notebook, even if not in this folder
            if student.lower() != exclude.lower() and kit.valid_student_id(student):
                ref = self.versions.cases(student)[case]["expected"]
                got = flat(values, ref)
                if got is not None and np.allclose(got, flat(ref, ref), rtol=1e-6, atol=1e-9):
                    return student
        like, table = self._table(case)
        got = flat(values, like) if like is not None else None
        if got is None or table.size == 0 or table.shape[1] != got.size:
            return None
        hits = np.isclose(table, got, rtol=1e-6, atol=1e-9).all(axis=1)
        return next((s for s, hit in zip(self.ids, hits) if hit and s.lower() != exclude.lower()), None)


def numbers_lines(numbers) -> list[str]:
    """``name = value`` lines of a student's numbers, for the feedback (``params`` only when it is the network)."""
    def show(v):
        if isinstance(v, np.ndarray):
            return np.array2string(v, separator=", ").replace("\n", "")
        return repr(v)

    lines = []
    for key, value in numbers.items():
        if key == "params" and "w" in numbers:
            continue  # the same weights as w and b, in the matrix layout
        if isinstance(value, dict):
            lines += [f"{k} = {show(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key} = {show(value)}")
    return lines


def review(result, spec, versions, finder: CopyFinder) -> dict:
    """What the personal tests of ``result`` reported, judged for submitter ``result.student``: the dict stored
    in ``result.personal`` (``numbers`` lines, instructor ``flags``, student ``notes``, ``copy_of``); the points
    of the personalised questions are set to 0 for a copy."""
    student = result.student
    info = {"student": student, "numbers": numbers_lines(versions.numbers(student)), "flags": [], "notes": []}
    if result.status != "graded" or not result.autograded:
        return info
    payloads = reported(result.autograded, set(versions.cells))
    if not payloads:
        return info
    first = next(iter(payloads.values()))
    typed_id, typed_code = str(first.get("student_id", "")), str(first.get("code", ""))
    info["typed_id"] = typed_id
    if first.get("missing"):
        info["flags"].append("the notebook does not load its personal numbers (MY): graded with its submitter's")
        info["notes"].append("your notebook did not load its personal numbers (the cell that sets MY under “Your "
                             "own network” did not run); the tests used your own numbers")
    elif first.get("example"):
        info["flags"].append("no student id and code typed in the notebook (it worked on the example numbers): "
                             "graded with its submitter's numbers")
        info["notes"].append("your notebook worked on the example numbers: type your student id and personal code "
                             "under “Your own network”; the tests used your own numbers")
    elif typed_id.lower() != student.lower():
        info["flags"].append(f"the notebook's student id is {typed_id!r}, but {student} submitted it: graded with "
                             f"{student}'s numbers")
        info["notes"].append("the student id typed in your notebook is not yours; the tests used your own numbers")
    elif typed_code.replace("-", "") != student_code(versions.secret, student).replace("-", ""):
        info["flags"].append(f"the personal code typed in the notebook is not {student}'s: graded with "
                             f"{student}'s numbers")
        info["notes"].append("the personal code typed in your notebook is not yours; the tests used your own numbers")
    extra = [typed_id] if typed_id and not first.get("example") else []
    for case, payload in payloads.items():
        if "values" not in payload:
            continue
        try:
            values = decode_cases(payload["values"])
        except (TypeError, ValueError, KeyError):
            continue
        source = finder.match(case, values, exclude=student, extra=extra)
        if source is not None:
            info["copy_of"] = source
            break
    if info.get("copy_of"):
        questions = list(dict.fromkeys(c.question for c in spec.cells if c.grade_id in versions.cells))
        for cell in result.cells:
            if cell.question in questions and cell.auto:
                if cell.points and not cell.error:
                    cell.error = {"ename": "PersonalNumbers", "evalue": "scored 0: the personalised answers reproduce "
                                                                        "another student's numbers"}
                cell.points = 0.0
        info["flags"].append(f"answers match student {info['copy_of']}'s numbers: 0 on the personalised questions "
                             f"({', '.join(questions)})")
        info["notes"].append(f"your personalised answers reproduce another student's numbers, not yours, so the "
                             f"personalised questions ({', '.join(questions)}) score 0; talk to your instructor if "
                             "you think this is wrong")
    return info
