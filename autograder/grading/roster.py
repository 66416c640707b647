"""The class list: ``--roster roster.csv`` maps every name a learning-management system uses to one student.

CSV with a header row (names case-insensitive; spaces or dashes count as underscores):

* ``student_id`` (required): the id used in nbgrader's gradebook, folders and reports;
* ``name`` ("Alice Smith" or "Smith, Alice") or ``first_name`` + ``last_name``;
* ``email``; ``lms_user_id`` (Canvas: the numeric user id in its file names and gradebook ``ID`` column; Moodle:
  the user id); ``username`` (Blackboard's user name, when it is neither the student id nor the part of the email
  before ``@``);
* optional, copied into the Canvas export: ``sis_user_id``, ``sis_login_id``, ``section``.

Each row becomes nbgrader's ``Student`` (id, first and last name, email, ``lms_user_id``).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field

from .coursedir import GradingError

ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


def name_key(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: "Smith, Álice" and "smithalice" meet here."""
    text = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in text.lower() if ch.isalnum() and not unicodedata.combining(ch))


def safe_id(text: str) -> str:
    """A student id from an LMS name (no roster): ``Alice Smith`` -> ``alice_smith``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()


@dataclass
class Person:
    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    username: str = ""
    extra: dict = field(default_factory=dict)   # sis_user_id, sis_login_id, section

    @property
    def name_keys(self) -> set:
        keys = {name_key(self.first_name + self.last_name), name_key(self.last_name + self.first_name)}
        return {k for k in keys if k}

    @property
    def login_keys(self) -> set:
        keys = {self.student_id, self.username, self.email.split("@")[0] if self.email else ""}
        return {k.lower() for k in keys if k}


class Roster:
    def __init__(self, people: list[Person]):
        self.people = people

    def by_lms_user_id(self, value: str) -> Person | None:
        return next((p for p in self.people if p.lms_user_id and p.lms_user_id == value), None)

    def by_login(self, value: str) -> list[Person]:
        return [p for p in self.people if value.lower() in p.login_keys]

    def by_name(self, value: str) -> list[Person]:
        key = name_key(value)
        return [p for p in self.people if key and key in p.name_keys]

    def find(self, *, lms_user_id: str = "", login: str = "", name: str = "") -> tuple[Person | None, str]:
        """The one student these LMS identifiers name (tried in this order), or (None, why not)."""
        if lms_user_id:
            hit = self.by_lms_user_id(lms_user_id)
            if hit:
                return hit, ""
        for value, finder, what in ((login, self.by_login, "user name"), (name, self.by_name, "name")):
            if not value:
                continue
            hits = finder(value)
            if len(hits) == 1:
                return hits[0], ""
            if len(hits) > 1:
                return None, (f"the {what} {value!r} matches several students on the roster "
                              f"({', '.join(p.student_id for p in hits)}); give them lms_user_id")
        shown = ", ".join(f"{k} {v!r}" for k, v in (("LMS user id", lms_user_id), ("user name", login),
                                                   ("name", name)) if v)
        return None, f"not on the roster ({shown})"


def split_name(name: str) -> tuple[str, str]:
    name = " ".join(name.split())
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


def load_roster(path: str) -> Roster:
    """Read ``path``; a clear error names the file, row and problem."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = {re.sub(r"[\s-]+", "_", (h or "").strip().lower()): h for h in reader.fieldnames or []}
            if "student_id" not in header:
                raise GradingError(f"roster {path}: no student_id column (found: {', '.join(header) or 'nothing'})")
            people, seen = [], {}
            for line, row in enumerate(reader, start=2):
                get = {k: (row.get(h) or "").strip() for k, h in header.items()}
                sid = get["student_id"]
                if not sid:
                    if any(get.values()):
                        raise GradingError(f"roster {path}, line {line}: empty student_id")
                    continue
                if not ID_OK.match(sid):
                    raise GradingError(f"roster {path}, line {line}: student_id {sid!r} may only hold letters, "
                                       "digits and . _ @ + - (it names folders)")
                if sid in seen:
                    raise GradingError(f"roster {path}, line {line}: student_id {sid!r} is also on line {seen[sid]}")
                seen[sid] = line
                first, last = get.get("first_name", ""), get.get("last_name", "")
                if not (first or last) and get.get("name"):
                    first, last = split_name(get["name"])
                people.append(Person(sid, first, last, get.get("email", ""), get.get("lms_user_id", ""),
                                     get.get("username", ""),
                                     {k: get[k] for k in ("sis_user_id", "sis_login_id", "section") if get.get(k)}))
    except OSError as exc:
        raise GradingError(f"cannot read the roster {path}: {exc.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise GradingError(f"roster {path} is not a UTF-8 CSV file ({exc})") from None
    if not people:
        raise GradingError(f"roster {path} lists no student")
    lms_ids = {}
    for p in people:
        if p.lms_user_id and lms_ids.setdefault(p.lms_user_id, p.student_id) != p.student_id:
            raise GradingError(f"roster {path}: lms_user_id {p.lms_user_id} is given to both "
                               f"{lms_ids[p.lms_user_id]} and {p.student_id}")
    return Roster(people)


def save_students(gb, roster: Roster) -> None:
    """Every roster row as nbgrader's ``Student`` (names, email, ``lms_user_id``) in the open gradebook ``gb``."""
    for p in roster.people:
        gb.update_or_create_student(p.student_id, first_name=p.first_name or None, last_name=p.last_name or None,
                                    email=p.email or None, lms_user_id=p.lms_user_id or None)
