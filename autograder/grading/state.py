"""What has been graded: one row per (gradebook, student, assignment) with the content hash and the full result.

Kept in ``<course>/.autograder/state.sqlite`` and written by the parent process only, *after* the
gradebook for that student is committed. So after any interruption (Ctrl-C, SIGKILL) a row here always
describes grades already in the gradebook, and a student without a row is simply graded again
(``update_or_create`` in the gradebook: nothing is duplicated). Rows are keyed by the gradebook too
(:func:`.database.key`: its URL without password): the same course folder pointed at another database
grades everything into that one.
"""
from __future__ import annotations

import json
import os
import sqlite3

from .records import Result

SCHEMA = """CREATE TABLE IF NOT EXISTS results (
    gradebook TEXT NOT NULL, student TEXT NOT NULL, assignment TEXT NOT NULL, key TEXT NOT NULL,
    status TEXT NOT NULL, result TEXT NOT NULL, PRIMARY KEY (gradebook, student, assignment));
CREATE TABLE IF NOT EXISTS preflight (assignment TEXT PRIMARY KEY, key TEXT NOT NULL, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    gradebook TEXT NOT NULL, assignment TEXT NOT NULL, student TEXT NOT NULL, timestamp TEXT,
    PRIMARY KEY (gradebook, assignment, student));
CREATE TABLE IF NOT EXISTS skipped (assignment TEXT NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);"""


class State:
    """A tiny sqlite store (one writer: the parent)."""

    def __init__(self, course_root: str, gradebook: str = ""):
        folder = os.path.join(course_root, ".autograder")
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, "state.sqlite")
        self.gradebook = gradebook
        self.db = sqlite3.connect(self.path, timeout=60)
        columns = [r[1] for r in self.db.execute("PRAGMA table_info(results)")]
        if columns and "gradebook" not in columns:  # a state file from before rows named their gradebook:
            self.db.execute("DROP TABLE results")     # forget it (everything is graded once more, nothing lost)
        self.db.executescript(SCHEMA)
        self.db.commit()
        self._rekey_old_gradebooks()

    def _rekey_old_gradebooks(self) -> None:
        """Rows written while the gradebook's key still held its password (before :func:`.database.key` dropped
        it) are moved to the key without it, and the password is wiped from the file (``secure_delete``)."""
        from .database import key
        old = {k for table in ("results", "members") for (k,) in self.db.execute(f"SELECT DISTINCT gradebook FROM {table}")}
        moves = {}
        for k in old:
            try:
                if k and key(k) != k:
                    moves[k] = key(k)
            except Exception:  # not a URL (an old or hand-made key): leave it
                continue
        if not moves:
            return
        self.db.execute("PRAGMA secure_delete = ON")
        with self.db:
            for was, now in moves.items():
                for table in ("results", "members"):   # a row graded under the new key already is the newer one
                    self.db.execute(f"UPDATE OR IGNORE {table} SET gradebook = ? WHERE gradebook = ?", (now, was))
                    self.db.execute(f"DELETE FROM {table} WHERE gradebook = ?", (was,))
        self.db.execute("VACUUM")

    def keys(self) -> dict:
        """{(student, assignment): content hash} of the results that stand (a grader error is tried again)."""
        return {(s, a): k for s, a, k in self.db.execute(
            "SELECT student, assignment, key FROM results WHERE gradebook = ? AND status != 'error'",
            (self.gradebook,))}

    def put(self, result: Result) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?)",
                            (self.gradebook, result.student, result.assignment, result.key, result.status,
                             json.dumps(result.to_json(), sort_keys=True)))

    def get(self, student: str, assignment: str) -> Result | None:
        row = self.db.execute("SELECT result FROM results WHERE gradebook = ? AND student = ? AND assignment = ?",
                              (self.gradebook, student, assignment)).fetchone()
        return Result.from_json(json.loads(row[0])) if row else None

    def results(self, assignments=None) -> list[Result]:
        rows = self.db.execute("SELECT result FROM results WHERE gradebook = ? ORDER BY assignment, student",
                               (self.gradebook,)).fetchall()
        out = [Result.from_json(json.loads(r)) for (r,) in rows]
        return [r for r in out if assignments is None or r.assignment in assignments]

    def preflight_ok(self, assignment: str, key: str) -> bool:
        row = self.db.execute("SELECT key FROM preflight WHERE assignment = ?", (assignment,)).fetchone()
        return row is not None and row[0] == key

    def put_preflight(self, assignment: str, key: str, report: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO preflight VALUES (?, ?, ?)", (assignment, key, report))

    # ------------------------------------------------------------------ the class as last collected
    def set_members(self, assignment: str, students: dict) -> None:
        """The submissions of ``assignment`` in the last intake: ``{student: timestamp or None}``."""
        with self.db:
            self.db.execute("DELETE FROM members WHERE gradebook = ? AND assignment = ?", (self.gradebook, assignment))
            self.db.executemany("INSERT INTO members VALUES (?, ?, ?, ?)",
                                [(self.gradebook, assignment, s, ts) for s, ts in sorted(students.items())])

    def members(self) -> dict:
        """``{(student, assignment): timestamp or None}`` of the last intake of each assignment."""
        return {(s, a): ts for a, s, ts in self.db.execute(
            "SELECT assignment, student, timestamp FROM members WHERE gradebook = ?", (self.gradebook,))}

    def set_skipped(self, entries) -> None:
        """Files of the last intake that were not taken: ``[(assignment or "", path, reason)]``."""
        with self.db:
            self.db.execute("DELETE FROM skipped")
            self.db.executemany("INSERT INTO skipped VALUES (?, ?, ?)", list(entries))

    def skipped(self) -> list:
        return self.db.execute("SELECT assignment, path, reason FROM skipped ORDER BY rowid").fetchall()

    def setting(self, name: str, default=None):
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def put_setting(self, name: str, value) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (name, json.dumps(value, sort_keys=True)))

    def close(self):
        self.db.close()
