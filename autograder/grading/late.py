"""Late submissions: a deadline per assignment (nbgrader's ``Assignment.duedate`` in the gradebook) and one
documented penalty policy, applied from the submission's kept timestamp through nbgrader's own plugin interface
(:class:`nbgrader.plugins.LateSubmissionPlugin`), so ``nbgrader autograde`` would apply the same rule.

Policies (``--late-policy``):

* ``none`` (default): late submissions are marked late (CSV ``late_by_hours``), nothing is deducted;
* ``zero``: a late submission scores zero (nbgrader's own ``zero`` method);
* ``per-day:P``: P percent of the score obtained is deducted for every started 24 hours after the deadline,
  at most the whole score (``per-day:10``: 1 minute to 24 h late loses 10 %, 24 h to 48 h 20 %, ...).

Deadlines (``--deadline NAME=WHEN``): ISO 8601, e.g. ``2025-03-01T23:59:00+01:00``; without an offset the time is
UTC. Timestamps are those nbgrader keeps with a submission (``timestamp.txt``, UTC).
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

from .coursedir import GradingError

POLICY = re.compile(r"^(none|zero|per-day:(\d+(?:\.\d+)?))$")


class LatePenalty(LateSubmissionPlugin):
    """nbgrader's late-submission plugin with one more method, ``per_day`` (see the module docstring)."""

    penalty_method = Enum(("none", "zero", "per_day"), default_value="none",
                          help="none, zero (nbgrader's), or per_day: percent_per_day of the score per started day"
                          ).tag(config=True)
    percent_per_day = Float(10.0, help="percent of the score deducted per started day late (per_day)").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        if total_seconds_late <= 0 or self.penalty_method == "none":
            return None
        if self.penalty_method == "zero":
            return score
        days = math.ceil(total_seconds_late / 86400.0)
        return round(min(score, score * self.percent_per_day / 100.0 * days), 4)


def parse_policy(text: str) -> dict:
    """``none`` | ``zero`` | ``per-day:P`` -> the plugin's settings."""
    m = POLICY.match(text.strip())
    if not m:
        raise GradingError(f"--late-policy {text!r}: expected none, zero or per-day:PERCENT (e.g. per-day:10)")
    if m.group(2):
        return {"penalty_method": "per_day", "percent_per_day": float(m.group(2))}
    return {"penalty_method": m.group(1)}


def describe_policy(settings: dict) -> str:
    method = settings.get("penalty_method", "none")
    if method == "per_day":
        return f"per-day:{settings.get('percent_per_day', 10.0):g}"
    return method


def plugin(settings: dict) -> LatePenalty:
    return LatePenalty(**settings)


def parse_deadline(text: str, known) -> tuple[str, datetime]:
    """``NAME=WHEN`` -> (assignment, naive UTC datetime, as nbgrader stores due dates)."""
    name, sep, when = text.partition("=")
    if not sep or not when.strip():
        raise GradingError(f"--deadline {text!r}: expected ASSIGNMENT=WHEN, e.g. 01_perceptron=2025-03-01T23:59+01:00")
    if name not in known:
        raise GradingError(f"--deadline {text!r}: unknown assignment {name!r}; known: {', '.join(known)}")
    try:
        moment = datetime.fromisoformat(when.strip())
    except ValueError:
        raise GradingError(f"--deadline {text!r}: {when!r} is not an ISO 8601 time "
                           "(e.g. 2025-03-01T23:59:00+01:00)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return name, moment


def seconds_late(timestamp: datetime | None, duedate: datetime | None) -> float:
    if timestamp is None or duedate is None:
        return 0.0
    return max(0.0, (timestamp - duedate).total_seconds())
