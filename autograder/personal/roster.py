"""``python -m autograder release --roster roster.csv``: one notebook per student, and everyone's personal code.

For each personalised assignment, the released notebook (``course/assignments/NAME/NAME.ipynb``, the same for
everyone) with the student's id and personal code typed into its ``personal`` cell, written as
``<course dir>/personal/NAME/<id>_NAME.ipynb`` -- ready to upload to each student in a learning-management
system, and named as the grader reads an LMS export. ``<course dir>/personal/codes.csv`` lists every
student's code, for a class that fetches the common notebook (nbgrader's exchange, a clone of the student
edition) and types the code in. Both are class data (git-ignored); the same roster and secret give the same
bytes.
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import nbformat

from ..nbcells import RELEASE_DIR, notebook_text
from ..grading.coursedir import GradingError, check_private
from .cases import fill_identity, identity_cell
from .secret import load_secret, read_roster, secret_path, student_code


def release_per_student(names, roster, course_dir, secret_file=None, release_dir=RELEASE_DIR, out=sys.stdout,
                        err=sys.stderr) -> int:
    """Write the per-student notebooks of the personalised ``names`` and ``codes.csv``; 0 on success, 2 with a
    plain message on bad input."""
    try:
        ids = read_roster(roster)
        check_private(str(course_dir))
        secret = load_secret(secret_path(course_dir, secret_file), err=err)
        codes = {student: student_code(secret, student) for student in ids}
        folder = Path(course_dir) / "personal"
        written = 0
        for name in names:
            released = nbformat.read(Path(release_dir) / name / f"{name}.ipynb", as_version=4)
            if identity_cell(released) is None:
                out.write(f"release --roster: {name} has no personal numbers (one notebook for everyone)\n")
                continue
            target = folder / name
            target.mkdir(parents=True, exist_ok=True)
            wanted = {f"{student}_{name}.ipynb" for student in ids}
            for stale in target.glob(f"*_{name}.ipynb"):
                if stale.name not in wanted:  # a student no longer on the roster
                    stale.unlink()
            for student in ids:
                text = notebook_text(fill_identity(released, student, codes[student]))
                path = target / f"{student}_{name}.ipynb"
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    path.write_text(text, encoding="utf-8")
                written += 1
            out.write(f"release --roster: {len(ids)} notebooks of {name} in {target} (upload each to its student)\n")
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["student_id", "personal_code"])
        writer.writerows([student, codes[student]] for student in ids)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "codes.csv").write_text(buf.getvalue(), encoding="utf-8")
        out.write(f"release --roster: every student's personal code in {folder / 'codes.csv'} (for students who "
                  f"type it into the common notebook); {written} notebooks written\n")
        return 0
    except (GradingError, ValueError, OSError) as exc:  # nothing is written before the roster is read
        err.write(f"release --roster: error: {exc}\n")
        return 2
