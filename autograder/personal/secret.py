"""The course secret, the students' personal codes, and where student ids come from.

* The **secret** is 32 random bytes, kept as 64 hex digits in ``<course dir>/secret`` (``class/secret`` by
  default, git-ignored with the rest of the class data) or at ``--secret PATH``. It is created on first need,
  readable by its owner only, and never copied anywhere: no released notebook, no instructor notebook in the
  repository, no report holds it. Lose it and the codes you handed out no longer match: back it up with
  the gradebook.
* A student's **personal code** is ``HMAC-SHA256(secret, "backprop-personal-code" | id)`` (the id in lower
  case: learning-management systems do not agree on the case of a login), 45 bits in 9
  symbols of Crockford's base 32, plus the check symbol of :func:`course.personal.check_symbol`. The
  student's numbers come from the code (:func:`course.personal.numbers`), so the instructor reproduces them
  at any time from the secret and the id alone (:func:`student_numbers`).
* **Student ids**: :func:`read_roster` (the class list, read by the grader's roster) and, when grading, the
  submitter's id that the intake found (nbgrader's folder, the LMS file name mapped through the roster) --
  never an id typed into a notebook (:func:`submitter_id`).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import hmac
import os
import secrets
import sys
from pathlib import Path

from course import personal as kit

from ..grading.coursedir import GradingError, check_private

SECRET_FILE = "secret"
SECRET_BYTES = 32


def secret_path(course_dir, override=None) -> Path:
    """``override`` if given, else ``<course_dir>/secret``."""
    return Path(override) if override else Path(course_dir) / SECRET_FILE


def load_secret(path, create: bool = True, err=sys.stderr) -> bytes:
    """The course secret at ``path``; created (mode 0600) if missing and ``create``.

    Refuses (:class:`GradingError`) a malformed file -- it is never overwritten -- and a new secret inside the
    repository where git would track it.
    """
    path = Path(path)
    if path.exists():
        text = path.read_text(encoding="ascii", errors="replace").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        if len(secret) != SECRET_BYTES:
            raise GradingError(f"the course secret {path} is not {2 * SECRET_BYTES} hexadecimal digits; restore it "
                               "from your backup (the students' personal codes were made from it)")
        return secret
    if not create:
        raise GradingError(f"no course secret at {path}: the personal codes and numbers are made from it")
    check_private(str(path.parent))
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(SECRET_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never clobber one made meanwhile
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
    err.write(f"created the course secret {path}: every personal code is made from it, so keep it (and back "
              "it up with the gradebook); it must never be committed or released\n")
    return secret


def fingerprint(secret: bytes) -> str:
    """A hash that tells secrets apart (for content hashes) without revealing them."""
    return hashlib.sha256(b"backprop-personal-fingerprint\0" + secret).hexdigest()[:16]


def student_code(secret: bytes, student_id: str) -> str:
    """The personal code of ``student_id``, formatted ``XXXXX-XXXXX``."""
    if not kit.valid_student_id(student_id):
        raise GradingError(f"{student_id!r} cannot be a student id for personal numbers "
                           "(letters, digits and . _ @ + -, starting with a letter or digit)")
    digest = hmac.new(secret, b"backprop-personal-code\0" + student_id.lower().encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:6], "big") >> 3  # 45 bits
    body = "".join(kit.ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(kit.CODE_BODY)))
    code = body + kit.check_symbol(student_id, body)
    return f"{code[:5]}-{code[5:]}"


def quiet_numbers(assignment: str, student_id: str = "", code: str = "") -> kit.Numbers:
    """``course.personal.numbers`` without its note to the student (both empty: the example numbers)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return kit.numbers(assignment, student_id, code)


def student_numbers(secret: bytes, assignment: str, student_id: str) -> kit.Numbers:
    """What ``course.personal.numbers`` gives ``student_id`` (with their code) for ``assignment``."""
    return quiet_numbers(assignment, student_id, student_code(secret, student_id))


# --------------------------------------------------------------------------- where ids come from
def read_roster(path) -> list[str]:
    """The student ids of a roster CSV, read by the grader's roster (:func:`autograder.grading.roster.load_roster`:
    a ``student_id`` column, clear errors naming the line); ids that differ only in case are refused here, since
    they would share a personal code."""
    from ..grading.roster import load_roster

    ids = [person.student_id for person in load_roster(str(path)).people]
    seen = {}
    for student in ids:
        if student.lower() in seen:
            raise GradingError(f"roster {path}: {seen[student.lower()]!r} and {student!r} differ only in case; "
                               "they would share one personal code")
        seen[student.lower()] = student
    return ids


def submitter_id(submission) -> str:
    """The id a submission is graded under: the one the intake read from the nbgrader folder or the LMS file
    name (``submission.student``), never one typed into the notebook."""
    return submission.student
