"""``python -m autograder answers --student ID --assignment NAME``: one student's personal code, numbers and
reference values, for an instructor answering that student's question.

The values are those the grader embeds in that student's hidden tests (the same functions of
``autograder/hidden_cases/NAME.py`` on the same numbers), printed in full and rounded to four decimals.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from ..grading.coursedir import GradingError, load_source_notebook
from ..nbcells import DEFAULT_COURSE_DIR, SOURCE_DIR
from .secret import load_secret, secret_path, student_code
from .versions import AssignmentPersonal


def show(value, indent: str = "  ") -> list[str]:
    """Readable lines of nested data: dicts by key, arrays in full precision, scalars also to 4 decimals."""
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{indent}{key}:")
            lines += show(item, indent + "  ")
        elif isinstance(item, np.ndarray) or (isinstance(item, (list, tuple)) and item
                                              and not isinstance(item[0], str)):
            arr = np.asarray(item, dtype=float)
            full = np.array2string(arr, separator=", ", precision=17, floatmode="unique").replace("\n", "")
            short = np.array2string(np.round(arr, 4), separator=", ").replace("\n", "")
            lines.append(f"{indent}{key} = {full}" + ("" if np.all(arr == np.round(arr, 4)) else
                                                      f"   (4 decimals: {short})"))
        elif isinstance(item, float):
            lines.append(f"{indent}{key} = {item!r}" + ("" if item == round(item, 4) else
                                                        f"   (4 decimals: {round(item, 4)})"))
        else:
            lines.append(f"{indent}{key} = {item!r}")
    return lines


def answers_text(assignment: str, student: str, secret: bytes, source_dir=SOURCE_DIR) -> str:
    versions = AssignmentPersonal.of(assignment, load_source_notebook(assignment, source_dir), secret)
    if versions is None:
        raise GradingError(f"{assignment} has no personalised questions: every student has the same reference values")
    cells = {f: [c.grade_id for c in versions.template.cells if any(lit[2] == f for lit in c.literals)]
             for f in versions.template.functions}
    lines = [f"{assignment}, student {student} (personal code {student_code(secret, student)})", "",
             "numbers (what course.personal.numbers gives this student):"]
    lines += show(dict(versions.numbers(student)))
    for function, data in versions.cases(student).items():
        lines += ["", f"{function} (hidden test {', '.join(cells[function])}):"]
        lines += show({k: v for k, v in data.items() if k not in ("personal", "student_id", "numbers")})
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder answers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", required=True, help="the student's id (as in the roster / the submissions)")
    parser.add_argument("--assignment", required=True, help="a personalised assignment, e.g. 04_backprop")
    parser.add_argument("--course-dir", default=str(DEFAULT_COURSE_DIR), help="the class data folder (default class/)")
    parser.add_argument("--secret", default=None, help="the course secret (default: <course dir>/secret)")
    parser.add_argument("--source-dir", default=str(SOURCE_DIR), help="instructor sources (default autograder/source)")
    args = parser.parse_args(argv)
    try:
        secret = load_secret(secret_path(args.course_dir, args.secret))
        sys.stdout.write(answers_text(args.assignment, args.student, secret, args.source_dir))
    except GradingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0
