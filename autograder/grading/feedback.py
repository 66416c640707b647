"""Per-student HTML feedback: which tests passed, which failed and their messages — never test source.

nbgrader's own feedback renders the autograded notebook, hidden tests included. Here the page is built
from the result only: the test's id, its points, the first line of its docstring taken from the
*released* (hidden-test-free) cell, and the failure's exception name and message. Tracebacks are left
out on purpose (they quote the lines of the hidden test that failed).
"""
from __future__ import annotations

from html import escape

from .records import AssignmentSpec, CellResult, Result, Task

STATUS_TEXT = {
    "graded": "graded",
    "missing": "no notebook submitted",
    "invalid": "notebook could not be read",
    "error": "could not be graded",
}

CSS = """body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;
vertical-align:top}.pass{color:#176317}.fail{color:#a11}.manual{color:#555}.box{background:#fff6d6;
border:1px solid #e6cf7a;padding:.6em 1em;margin:1em 0}code{background:#f3f3f3;padding:0 .2em}
.msg{font-family:ui-monospace,monospace;white-space:pre-wrap;font-size:.9em}"""


def fmt_points(x) -> str:
    if x is None:
        return "–"
    return f"{x:g}"


def failure_text(cell: CellResult) -> str:
    """The failure a graded cell showed, in one line (exception name and message; never source)."""
    err = cell.error
    if not err:
        return ""
    ename, evalue = err.get("ename", "Error"), (err.get("evalue") or "").strip()
    if ename == "NotRun":
        return evalue
    if ename == "stderr":
        return f"the test wrote to the error stream: {evalue}"
    if ename == "AssertionError" and not evalue:
        return "AssertionError (the check failed without a message)"
    return f"{ename}: {evalue}" if evalue else ename


def render(result: Result, spec: AssignmentSpec) -> str:
    """The feedback page of one student for one assignment (a complete HTML document)."""
    top = result.max_total
    desc = {c.grade_id: c.description for c in spec.cells}
    rows = []
    for question in spec.questions:
        cells = [c for c in result.cells if c.question == question]
        q_got = sum(c.points or 0.0 for c in cells)
        q_max = sum(c.max_points for c in cells)
        rows.append(f'<tr><th colspan="3">Question <code>{escape(question)}</code></th>'
                    f"<th>{fmt_points(q_got)} / {fmt_points(q_max)}</th></tr>")
        rows += grader_comment_rows(result, question)
        for c in cells:
            if c.by_hand or not c.auto:
                state = hand_graded_state(result, c)
            elif c.points is not None and c.points >= c.max_points:
                state = '<span class="pass">passed</span>'
            elif c.points:
                state = '<span class="fail">partly passed</span>'
            else:
                state = '<span class="fail">failed</span>'
            message = failure_text(c)
            what = escape(desc.get(c.grade_id, ""))
            rows.append(
                f"<tr><td><code>{escape(c.grade_id)}</code><br><small>{what}</small></td><td>{state}</td>"
                f'<td class="msg">{escape(message)}</td><td>{fmt_points(c.points)} / '
                f"{fmt_points(c.max_points)}</td></tr>")
    boxes = []
    status = result.status
    if status != "graded":
        boxes.append(f"<p><b>{escape(STATUS_TEXT.get(status, status).capitalize())}:</b> "
                     f"{escape(result.reason)}. Every automatically graded test scores zero.</p>")
    elif result.reason:
        boxes.append(f"<p><b>What happened:</b> {escape(result.reason)}.</p>")
    for note in result.notes:
        boxes.append(f"<p>Note: {escape(note)}.</p>")
    personal = result.personal or {}
    if personal.get("numbers"):  # personalised assignments: the numbers this student was graded on
        boxes.append(f"<p><b>Your own numbers</b> (student {escape(personal.get('student', ''))}), on which the "
                     f"personalised tests were graded: <code>{'</code>, <code>'.join(map(escape, personal['numbers']))}"
                     "</code>.</p>")
    for note in personal.get("notes", []):
        boxes.append(f"<p>Note: {escape(note)}.</p>")
    boxes += late_boxes(result)
    box = f'<div class="box">{"".join(boxes)}</div>' if boxes else ""
    title = f"{escape(result.assignment)} — feedback for {escape(result.student)}"
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title><style>{CSS}</style>"
            f"</head><body><h1>{title}</h1><p>Score: <b>{fmt_points(result.final_score)} / {fmt_points(top)}</b>"
            f"{late_score_note(result)}</p>{box}"
            f"<table><tr><th>test</th><th>result</th><th>message</th><th>points</th></tr>{''.join(rows)}"
            f"</table><p><small>Tests marked hidden are run by the grader but their code is not shown."
            f"</small></p></body></html>\n")


def hand_graded_state(result: Result, c: CellResult) -> str:
    """A hand-graded cell (or a test score a grader set): graded, waiting, changed since graded, or unanswered."""
    if c.no_response and not c.by_hand:
        return '<span class="manual">no answer given</span>'
    if c.by_hand:
        return '<span class="manual">graded by hand</span>'
    if c.grade_id in (result.regrade or {}):
        return '<span class="manual">your answer changed after it was graded; it will be graded again</span>'
    return '<span class="manual">graded by hand later</span>'


def grader_comment_rows(result: Result, question: str) -> list[str]:
    text = (result.grader_comments or {}).get(question)
    return [f'<tr><td colspan="4" class="msg">Grader\'s comment: {escape(text)}</td></tr>'] if text else []


def late_boxes(result: Result) -> list[str]:
    if result.late_seconds <= 0:
        return []
    hours = result.late_seconds / 3600
    penalty = (f"; the late policy deducts {fmt_points(result.late_penalty)} points" if result.late_penalty
               else "")
    return [f"<p><b>Late:</b> submitted {escape(result.submitted)} UTC, {hours:.1f} hours after the "
            f"deadline{penalty}.</p>"]


def late_score_note(result: Result) -> str:
    if not result.late_penalty:
        return ""
    return f" (before the late penalty: {fmt_points(result.total)})"


def with_feedback(task: Task, result: Result) -> Result:
    """Attach the student's HTML feedback (built where the result is made: in the workers, in parallel)."""
    result.feedback_html = render(result, task.spec)
    return result
