"""The gradebook database: which one (a key for the resume state), how it is shown (never its password) and
whether it can be reached (one plain line when not).

Any SQLAlchemy URL nbgrader accepts works. SQLite (the default, ``<course>/gradebook.db``) needs nothing; PostgreSQL
needs the driver ``psycopg`` (version 3, pinned in requirements.txt and in the ``postgresql`` extra of
pyproject.toml): ``postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE`` (a plain ``postgresql://`` means the
same with SQLAlchemy 2.1). Light: SQLAlchemy only, imported where used.
"""
from __future__ import annotations

import os

from ..nbcells import sqlite_url
from .errors import GradingError


def default_url(course_root: str) -> str:
    return sqlite_url(os.path.join(course_root, "gradebook.db"))


#: query parameters that carry a secret (libpq and psycopg accept ``?password=...``)
SECRET_QUERY = ("password", "sslpassword")


def graded_course(course_dir: str, url: str | None = None) -> tuple[str, str]:
    """(absolute course folder, its gradebook URL, checked) for a command that reads what ``grade`` wrote there
    (``report``, ``export``); a plain :class:`GradingError` when nothing was graded there or the database fails."""
    course = os.path.abspath(course_dir)
    if not os.path.isdir(os.path.join(course, ".autograder")):
        raise GradingError(f"{course} is not a graded course folder: run `python -m autograder grade` first")
    url = url or default_url(course)
    check(url)
    return course, url


def _secrets(u) -> list[str]:
    """The secrets written in the parsed URL ``u``: its password and any secret query parameter."""
    found = [u.password] if u.password else []
    for name in SECRET_QUERY:
        value = u.query.get(name)
        found += [value] if isinstance(value, str) else list(value or ())
    return [s for s in found if s]


def describe(url: str) -> str:
    """The URL as it may be printed: the password (and a ``?password=`` parameter) replaced by ``***``."""
    from sqlalchemy.engine import make_url
    try:
        u = make_url(url)
        hidden = {name: "***" for name in SECRET_QUERY if name in u.query}
        return u.update_query_dict(hidden).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
    except Exception:  # not a URL at all: show no more than its scheme
        return url.split(":", 1)[0] + ":…" if ":" in url else "(not a database URL)"


def key(url: str) -> str:
    """Which gradebook this is, for the resume state: the URL without its password or secret parameters (SQLite:
    the absolute path). It is stored in the course folder, and a new password is still the same gradebook."""
    from sqlalchemy.engine import URL, make_url
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database:
        return "sqlite:///" + os.path.realpath(u.database)
    # not u.set(password=None): None means "unchanged" there, and the password would be kept
    bare = URL.create(u.drivername, u.username, None, u.host, u.port, u.database, u.query)
    return bare.difference_update_query(SECRET_QUERY).render_as_string(hide_password=False)


def check(url: str) -> None:
    """Connect once; raise :class:`GradingError` with one plain line if the gradebook cannot be used."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    shown = describe(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradingError(f"--db-url {shown!r} is not a database URL; expected e.g. "
                           "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:////path/gradebook.db") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        folder = os.path.dirname(os.path.abspath(parsed.database or ""))
        if parsed.database and not os.path.isdir(folder):
            raise GradingError(f"the gradebook {shown}: folder {folder} does not exist")
        return
    try:
        engine = create_engine(url)
    except (ModuleNotFoundError, NoSuchModuleError) as exc:
        driver = "psycopg" if backend == "postgresql" else str(getattr(exc, "name", "") or exc)
        raise GradingError(f"the gradebook {shown} needs the database driver {driver!r}, which is not installed "
                           f"(pip install -r requirements.txt, or pip install 'psycopg[binary]')") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # DBAPI errors differ per driver: keep the driver's first line, minus any password
        first = next((ln.strip() for ln in str(getattr(exc, "orig", exc)).splitlines() if ln.strip()), type(exc).__name__)
        for secret in _secrets(parsed):
            first = first.replace(secret, "***")
        raise GradingError(f"cannot use the gradebook {shown}: {first}") from None
    finally:
        engine.dispose()


def gradebook_has_assignment(url: str, name: str) -> bool:
    """Does the gradebook already hold ``name`` with its notebook (so nbgrader need not generate it again)?"""
    from nbgrader.api import Gradebook, MissingEntry

    from ..nbcells import COURSE_ID
    with Gradebook(url, COURSE_ID) as gb:
        try:
            assignment = gb.find_assignment(name)
        except MissingEntry:
            return False
        return any(nb.name == name and nb.grade_cells for nb in assignment.notebooks)


def graded_submissions(url: str, names) -> set:
    """``{(student, assignment)}`` with a submission in the gradebook (a state row without one is graded again)."""
    from nbgrader.api import Gradebook, MissingEntry

    from ..nbcells import COURSE_ID
    out = set()
    with Gradebook(url, COURSE_ID) as gb:
        for name in names:
            try:
                out |= {(s.student_id, name) for s in gb.assignment_submissions(name)}
            except MissingEntry:
                continue
    return out
