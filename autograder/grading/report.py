"""The instructor's outputs: gradebook rows, feedback files, the CSV, the summary and the histograms.

Everything here runs in the parent process (the only writer of the gradebook and the course folder).
The CSV is a pure function of the stored results, so re-grading the same submissions rewrites it
byte for byte.
"""
from __future__ import annotations

import csv
import io
import os
import statistics

from ..nbcells import COURSE_ID
from .feedback import fmt_points
from .records import AssignmentSpec, Result

UNISOLATED_WARNING = ("WARNING: graded WITHOUT isolation (--no-isolation): student code ran as the grader, with "
                      "access to the grader's files, the other submissions and the gradebook")


# --------------------------------------------------------------------------- gradebook
def write_gradebook(gb, result: Result, previous: Result | None = None, timestamp=None) -> None:
    """Store one result in nbgrader's gradebook through its API (create or update, never duplicate).

    ``gb`` is an open ``nbgrader.api.Gradebook``. Auto scores are set like nbgrader's
    ``SaveAutoGrades`` does; manual scores a grader entered are kept while the answer they were given
    to is unchanged since ``previous`` (else cleared: :func:`.gradebook_view.void_changed_answers`,
    recorded in ``result.regrade``). One transaction: a failure leaves the gradebook as it was.
    """
    import warnings

    from .gradebook_view import void_changed_answers
    with warnings.catch_warnings():  # nbgrader's own SQLAlchemy usage warns (SAWarning, a RuntimeWarning)
        warnings.simplefilter("ignore")
        try:
            _write_gradebook(gb, result, previous, timestamp, void_changed_answers)
        except Exception:
            gb.db.rollback()
            raise


def _write_gradebook(gb, result, previous, timestamp, void_changed_answers) -> None:
    name, student = result.assignment, result.student
    gb.update_or_create_student(student)
    gb.update_or_create_submission(name, student, **({"timestamp": timestamp} if timestamp else {}))
    result.regrade = void_changed_answers(gb, previous, result)
    for cell in result.cells:
        grade = gb.find_grade(cell.grade_id, name, name, student)
        if cell.auto:
            grade.auto_score = cell.points if cell.points is not None else 0.0
        elif result.status != "graded" or cell.no_response:
            grade.auto_score = 0.0  # nothing to read: nothing to grade by hand either
        else:
            grade.auto_score = None
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
    for comment_name, text in (result.comments or {}).items():
        try:
            gb.find_comment(comment_name, name, name, student).auto_comment = text
        except Exception:
            pass
    gb.db.commit()


def open_gradebook(db_url: str):
    from nbgrader.api import Gradebook
    return Gradebook(db_url, COURSE_ID)


# --------------------------------------------------------------------------- files per student
def write_student_files(course_root: str, result: Result) -> str:
    """Write feedback HTML (and the autograded notebook, for the instructor); return the feedback path."""
    student, name = result.student, result.assignment
    fb_dir = os.path.join(course_root, "feedback", student, name)
    os.makedirs(fb_dir, exist_ok=True)
    path = os.path.join(fb_dir, f"{name}.html")
    write_atomically(path, result.feedback_html)
    if result.autograded:
        ag_dir = os.path.join(course_root, "autograded", student, name)
        os.makedirs(ag_dir, exist_ok=True)
        write_atomically(os.path.join(ag_dir, f"{name}.ipynb"), result.autograded)
    return path


def write_atomically(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)  # a crash never leaves half a file


# --------------------------------------------------------------------------- CSV and summary
def has_problem(result: Result) -> bool:
    """Listed under "Problems" in the summary (and counted in the command's output)."""
    return bool(result.problems_text())


LATE_COLUMNS = ["submitted", "late_by_hours", "late_penalty"]


def late_cells(r: Result) -> list[str]:
    """When it was submitted (UTC), how late, and the points the late policy deducted (``score`` is after it)."""
    late = f"{r.late_seconds / 3600:.2f}" if r.late_seconds > 0 else ""
    return [r.submitted, late, fmt_points(r.late_penalty) if r.late_penalty else ""]


def csv_text(results: list[Result], specs: dict) -> str:
    """One row per student and assignment: status, score (after any late penalty), when submitted and how late,
    one column per question (hand-graded ones once graded in formgrader), problems."""
    names = sorted({r.assignment for r in results})
    columns = []
    for name in names:
        prefix = f"{name}/" if len(names) > 1 else ""
        columns += [(name, q, prefix + q) for q in specs[name].questions]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "assignment", "status", "score", "max_score"] + LATE_COLUMNS + [c[2] for c in columns]
               + ["problems"])
    for r in sorted(results, key=lambda r: (r.assignment, r.student)):
        spec = specs[r.assignment]
        row = [r.student, r.assignment, r.status, fmt_points(r.final_score), fmt_points(spec.max_total)]
        row += late_cells(r)
        for name, q, _ in columns:
            row.append(fmt_points(r.question_points(q)) if name == r.assignment else "")
            if row[-1] == "–":
                row[-1] = ""
        row.append(r.problems_text())
        w.writerow(row)
    return buf.getvalue()


def skipped_lines(skipped) -> list[str]:
    """Every file of the submissions that was not taken, and why (the printed count is ``len(skipped)``)."""
    if not skipped:
        return []
    lines = [f"## Files not taken ({len(skipped)})", ""]
    lines += [f"- `{path}`: {reason}" for _, path, reason in skipped]
    return lines + [""]


def summary_text(results: list[Result], specs: dict, run_info: str = "", skipped=()) -> str:
    """A plain-text (Markdown) summary: a score table per assignment and every student with a problem."""
    unisolated = sum(not r.isolated for r in results)
    lines = [f"**{UNISOLATED_WARNING}** ({unisolated} of {len(results)} submissions).", ""] if unisolated else []
    lines += ["# Grading summary", ""]
    if run_info:
        lines += [run_info, ""]
    for name in sorted({r.assignment for r in results}):
        rs = [r for r in results if r.assignment == name]
        spec: AssignmentSpec = specs[name]
        totals = [r.final_score for r in rs]
        counts = {s: sum(r.status == s for r in rs) for s in ("graded", "missing", "invalid", "error")}
        lines += [f"## {name}", "",
                  f"{len(rs)} students: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n), "",
                  "| question | max | mean | full marks |", "|---|---|---|---|"]
        for q in spec.questions:
            pts = [r.question_points(q) for r in rs]
            auto = [p for p in pts if p is not None]
            qmax = spec.question_max(q)
            mean = f"{statistics.fmean(auto):.2f}" if auto else "manual"
            full = f"{sum(p >= qmax for p in auto)}/{len(rs)}" if auto else "–"
            lines.append(f"| {q} | {fmt_points(qmax)} | {mean} | {full} |")
        lines += ["", f"Total (max {fmt_points(spec.max_total)}): mean {statistics.fmean(totals):.2f}, "
                  f"median {statistics.median(totals):g}, min {min(totals):g}, max {max(totals):g}", ""]
        lines += manual_and_late_lines(rs)
        trouble = [r for r in rs if has_problem(r)]
        if trouble:
            lines += ["Problems:", ""]
            lines += [f"- {r.student} ({r.status}): {r.problems_text()}" for r in trouble]
            lines.append("")
    lines += skipped_lines(skipped)
    return "\n".join(lines)


def manual_and_late_lines(rs: list[Result]) -> list[str]:
    """Summary lines: answers waiting for a grader (formgrader), late submissions and their penalties."""
    lines = []
    waiting = [(r.student, gid) for r in rs for gid in r.pending]
    if waiting:
        lines += [f"Waiting for grading by hand (nbgrader's formgrader): {len(waiting)} answers, "
                  f"{len({s for s, _ in waiting})} students; then run `python -m autograder report`.", ""]
    late = [r for r in rs if r.late_seconds > 0]
    if late:
        lines += ["Late:", ""]
        lines += [f"- {r.student}: submitted {r.submitted}, {r.late_seconds / 3600:.1f} h late"
                  + (f", penalty {fmt_points(r.late_penalty)} points" if r.late_penalty else "") for r in late]
        lines.append("")
    return lines


def histogram(results: list[Result], spec: AssignmentSpec, path: str) -> None:
    """Histogram of total scores for one assignment, saved as PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [r.final_score for r in results]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = spec.max_total or 1.0
    ax.hist(totals, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#4477aa", edgecolor="white")
    ax.set_xlabel(f"score (max {top:g})")
    ax.set_ylabel("students")
    ax.set_title(f"{spec.name}: {len(totals)} students")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_reports(course_root: str, results: list[Result], specs: dict, run_info: str = "",
                  redraw: bool = True, skipped=()) -> dict:
    """Write reports/grades.csv, reports/summary.md and reports/histogram_<assignment>.png
    (histograms only when ``redraw`` or missing: matplotlib is slow to import)."""
    out = os.path.join(course_root, "reports")
    os.makedirs(out, exist_ok=True)
    paths = {"csv": os.path.join(out, "grades.csv"), "summary": os.path.join(out, "summary.md")}
    write_atomically(paths["csv"], csv_text(results, specs))
    write_atomically(paths["summary"], summary_text(results, specs, run_info, skipped))
    for name in sorted({r.assignment for r in results}):
        p = os.path.join(out, f"histogram_{name}.png")
        if not redraw and os.path.exists(p):
            paths[f"histogram_{name}"] = p
            continue
        histogram([r for r in results if r.assignment == name], specs[name], p)
        paths[f"histogram_{name}"] = p
    return paths
