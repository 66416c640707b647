"""The gradebook URL as shown and as remembered (``autograder.grading.database``): a password never printed and never
kept in the resume state, whether in the URL's user part or as a ``?password=`` parameter; an unreachable server is
one plain line without it. No server needed (test_term runs the same against a real PostgreSQL)."""
from __future__ import annotations

import socket

import pytest

from autograder.grading import database
from autograder.grading.coursedir import GradingError

SECRET = "s3cr@t pw"   # '@' and ' ' are percent-encoded in a URL: the secret must be hidden in either spelling
ENCODED = "s3cr%40t%20pw"
URLS = [f"postgresql+psycopg://grader:{ENCODED}@127.0.0.1:5432/course",
        f"postgresql+psycopg://grader@127.0.0.1:5432/course?sslmode=disable&password={ENCODED}"]


def _hides_the_secret(text: str) -> bool:
    return SECRET not in text and ENCODED not in text and "s3cr" not in text


@pytest.mark.parametrize("url", URLS)
def test_the_shown_url_hides_the_password(url):
    shown = database.describe(url)
    assert _hides_the_secret(shown) and "***" in shown, shown
    assert shown.startswith("postgresql+psycopg://grader") and "127.0.0.1:5432/course" in shown


@pytest.mark.parametrize("url", URLS)
def test_the_remembered_key_has_no_password_and_a_new_password_is_the_same_gradebook(url):
    key = database.key(url)
    assert _hides_the_secret(key), key
    assert key == database.key(url.replace(ENCODED, "another"))
    assert key != database.key(url.replace("/course", "/other_course"))
    assert "sslmode=disable" in database.key(URLS[1])   # other parameters still name the gradebook


def test_sqlite_key_is_the_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert database.key("sqlite:///gradebook.db") == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"


@pytest.mark.parametrize("url", URLS)
def test_an_unreachable_server_is_one_line_without_the_password(url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # nothing listens there once closed
    with pytest.raises(GradingError) as caught:
        database.check(url.replace(":5432/", f":{port}/"))
    message = str(caught.value)
    assert message.startswith("cannot use the gradebook postgresql+psycopg://grader") and "\n" not in message
    assert f"127.0.0.1:{port}" in message and _hides_the_secret(message), message


def test_a_resume_state_written_with_the_password_in_its_key_is_moved_and_wiped(tmp_path):
    """Course folders graded before the key dropped the password: their rows move to the key without it (nothing
    is graded again) and the password is gone from the state file."""
    import sqlite3

    from autograder.grading.state import State
    url = URLS[0]
    old_key = url   # what key() returned then: the URL with its password
    State(str(tmp_path), old_key).close()   # an empty state file with the schema
    path = tmp_path / ".autograder" / "state.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO results VALUES (?, 'alice', '00_fixture', 'hash', 'graded', '{}')", (old_key,))
        db.execute("INSERT INTO members VALUES (?, '00_fixture', 'alice', NULL)", (old_key,))
        db.execute("INSERT INTO results VALUES ('sqlite:////elsewhere/gradebook.db', 'bob', '00_fixture', 'h', "
                   "'graded', '{}')")
    db.close()
    assert ENCODED.encode() in path.read_bytes()
    state = State(str(tmp_path), database.key(url))
    assert state.keys() == {("alice", "00_fixture"): "hash"}   # still known: not graded again
    assert state.members() == {("alice", "00_fixture"): None}
    state.close()
    data = path.read_bytes()
    assert ENCODED.encode() not in data and SECRET.encode() not in data and b"s3cr" not in data
    assert b"sqlite:////elsewhere/gradebook.db" in data   # other gradebooks' rows untouched


def test_report_and_export_on_a_folder_never_graded_say_so_plainly(tmp_path, capsys):
    from autograder.grading import export, refresh
    with pytest.raises(GradingError, match="is not a graded course folder: run `python -m autograder grade` first"):
        database.graded_course(str(tmp_path))
    for command, extra in ((refresh.main, []), (export.main, ["--to", "csv"])):
        assert command(["--course-dir", str(tmp_path), *extra]) == 2
        err = capsys.readouterr().err
        assert err == f"error: {tmp_path} is not a graded course folder: run `python -m autograder grade` first\n"
    (tmp_path / ".autograder").mkdir()
    course, url = database.graded_course(str(tmp_path))
    assert (course, url) == (str(tmp_path), database.default_url(str(tmp_path)))
