"""Result records shared by the workers and the parent (light: no nbgrader import)."""
from __future__ import annotations

from . import feedback
from .coursedir import AssignmentSpec


def blank_result(task: dict, status: str, reason: str, notes=()) -> dict:
    """Every autograded test scores zero (manual answers stay ungraded): for unreadable/missing notebooks."""
    spec = AssignmentSpec.from_json(task["spec"])
    cells = [{"grade_id": c.grade_id, "question": c.question, "auto": c.auto, "max_points": c.max_points,
              "points": 0.0 if c.auto else None, "error": None, "not_run": True, "no_response": not c.auto}
             for c in spec.cells]
    return {"student": task["student"], "assignment": task["assignment"], "key": task["key"],
            "status": status, "reason": reason, "notes": list(notes) + list(task.get("notes", [])),
            "events": [], "cells": cells, "comments": {}, "autograded": None}


def finish(task: dict, result: dict) -> dict:
    """Attach the student's HTML feedback (built here, in parallel) to a result."""
    spec = AssignmentSpec.from_json(task["spec"])
    result["feedback_html"] = feedback.render(result, spec)
    return result
