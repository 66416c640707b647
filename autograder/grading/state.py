"""What has been graded: one row per (student, assignment) with the content hash and the full result.

Kept in ``<course>/.autograder/state.sqlite`` and written by the parent process only, *after* the
gradebook for that student is committed. So after any interruption (Ctrl-C, SIGKILL) a row here always
describes grades already in the gradebook, and a student without a row is simply graded again
(``update_or_create`` in the gradebook: nothing is duplicated).
"""
from __future__ import annotations

import json
import os
import sqlite3

from .records import Result

SCHEMA = """CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, assignment TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
    result TEXT NOT NULL, PRIMARY KEY (student, assignment));
CREATE TABLE IF NOT EXISTS preflight (assignment TEXT PRIMARY KEY, key TEXT NOT NULL, report TEXT NOT NULL);"""


class State:
    """A tiny sqlite store (one writer: the parent)."""

    def __init__(self, course_root: str):
        folder = os.path.join(course_root, ".autograder")
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, "state.sqlite")
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.executescript(SCHEMA)
        self.db.commit()

    def keys(self) -> dict:
        return {(s, a): k for s, a, k in self.db.execute("SELECT student, assignment, key FROM results")}

    def put(self, result: Result) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                            (result.student, result.assignment, result.key, result.status,
                             json.dumps(result.to_json(), sort_keys=True)))

    def results(self, assignments=None) -> list[Result]:
        rows = self.db.execute("SELECT result FROM results ORDER BY assignment, student").fetchall()
        out = [Result.from_json(json.loads(r)) for (r,) in rows]
        return [r for r in out if assignments is None or r.assignment in assignments]

    def preflight_ok(self, assignment: str, key: str) -> bool:
        row = self.db.execute("SELECT key FROM preflight WHERE assignment = ?", (assignment,)).fetchone()
        return row is not None and row[0] == key

    def put_preflight(self, assignment: str, key: str, report: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO preflight VALUES (?, ?, ?)", (assignment, key, report))

    def close(self):
        self.db.close()
