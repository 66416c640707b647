"""The instructor's whole term (issue 17), on the fixture assignment's synthetic class:

* hand scores entered in the gradebook (nbgrader's API, as formgrader does) reach the CSV, the summary and the
  feedback through ``python -m autograder report``; a resubmission that changes the hand-graded answer voids the
  score (needs grading again; an emptied answer scores 0), never a stale score;
* nbgrader's own ``generate_feedback`` on the course folder writes our page (no hidden test, byte for byte);
* a real PostgreSQL server (started here, on 127.0.0.1 at a free port, in a temporary folder) gives exactly the
  SQLite results; pointing the course folder at another database grades everything into that one; passwords are
  never printed; an unreachable or missing database is one plain line.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import nbcells, synthetic

from servers import PostgresServer
from test_grading import EXPECTED, EXPECTED_CSV, FIXTURE, FIXTURE_SOURCE, HIDDEN_MARKERS, ROOT, env, grade, write_fixture_class

pytestmark = pytest.mark.timeout(600)


def report(course, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", "--course-dir", str(course), *map(str, args)],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"report failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def rows(course):
    with open(course / "reports" / "grades.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def feedback(course, student):
    return (course / "feedback" / student / FIXTURE / f"{FIXTURE}.html").read_text()


def set_answer(path, text):
    nb = nbformat.read(str(path), as_version=4)
    synthetic.answer_cells(nb)["why_commutative"].source = text
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def term_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    write_fixture_class(tmp)
    course = tmp / "course"
    grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2, "--timeout", 10)
    return tmp, course


def gradebook(course_or_url):
    from nbgrader.api import Gradebook
    url = course_or_url if isinstance(course_or_url, str) else nbcells.sqlite_url(str(course_or_url / "gradebook.db"))
    return Gradebook(url, nbcells.COURSE_ID)


def check_nbgrader_generate_feedback_writes_our_page_without_hidden_tests(course):
    ours = {s: feedback(course, s) for s in EXPECTED}
    e = env()
    e.pop("PYTHONPATH")  # as an instructor would run it: nbgrader finds everything through the course config
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "generate_feedback", FIXTURE,
                           "--force"], cwd=course, env=e, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for student in EXPECTED:
        page = feedback(course, student)
        for marker in HIDDEN_MARKERS:
            assert marker not in page, (student, marker)
        assert page == ours[student], student
    # nbgrader's stock exporter on the same notebook would have published them (what the config prevents)
    graded = (course / "autograded" / "minus" / FIXTURE / f"{FIXTURE}.ipynb").read_text()
    assert "SECRET_CASES" in graded


def test_hand_score_reaches_csv_summary_and_feedback_then_a_changed_answer_voids_it(term_class):
    """(One test on one graded class: under xdist, tests sharing a module fixture may each grade it.)"""
    tmp, course = term_class
    check_nbgrader_generate_feedback_writes_our_page_without_hidden_tests(course)
    with gradebook(course) as gb:  # what formgrader's "grade" form does
        g = gb.find_grade("why_commutative", FIXTURE, FIXTURE, "correct")
        assert g.needs_manual_grade and g.manual_score is None
        g.manual_score, g.needs_manual_grade = 0.5, False
        gb.find_comment("why_commutative", FIXTURE, FIXTURE, "correct").manual_comment = "Say why it commutes."
        gb.db.commit()
    before = rows(course)["correct"]
    assert (before["score"], before["why_commutative"]) == ("6", "")
    out = report(course).stdout
    assert "3 answers waiting for grading by hand" in out  # correct's is graded; minus, wrong_* still wait
    after = rows(course)
    assert (after["correct"]["score"], after["correct"]["why_commutative"]) == ("6.5", "0.5")
    assert all(after[s]["score"] == before_s for s, before_s in [("blank", "0"), ("minus", "3")])
    page = feedback(course, "correct")
    assert "Score: <b>6.5 / 7</b>" in page and "graded by hand" in page and "Say why it commutes." in page
    summary = (course / "reports" / "summary.md").read_text()
    assert "| why_commutative | 1 | 0.50 | 0/6 |" in summary
    assert "Waiting for grading by hand (nbgrader's formgrader): 3 answers, 3 students" in summary

    # the student resubmits with another answer: the 0.5 is voided, never silently kept
    path = tmp / "in" / "submitted" / "correct" / FIXTURE / f"{FIXTURE}.ipynb"
    original = path.read_bytes()
    try:
        set_answer(path, "Because a + b and b + a are the same number.")
        again = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                      "--timeout", 10)
        assert "1 to grade, 5 unchanged" in again.stdout and "1 submissions with problems" in again.stdout
        r = rows(course)["correct"]
        assert (r["score"], r["why_commutative"]) == ("6", "")
        assert "changed after it was graded by hand (0.5 points, no longer counted): grade it again" in r["problems"]
        assert "it will be graded again" in feedback(course, "correct")
        with gradebook(course) as gb:
            g = gb.find_grade("why_commutative", FIXTURE, FIXTURE, "correct")
            assert g.manual_score is None and g.needs_manual_grade
            assert gb.find_comment("why_commutative", FIXTURE, FIXTURE, "correct").manual_comment is None
            g.manual_score, g.needs_manual_grade = 1.0, False  # graded again
            gb.db.commit()
        report(course)
        r = rows(course)["correct"]
        assert (r["score"], r["why_commutative"], r["problems"]) == ("7", "1", "")

        # ... and resubmits once more with the answer emptied: 0 points, nothing left to grade, no stale 1.0
        set_answer(path, "YOUR ANSWER HERE")
        grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2, "--timeout", 10)
        r = rows(course)["correct"]
        assert (r["score"], r["why_commutative"]) == ("6", "")  # unanswered: no hand score (0 in the gradebook)
        assert "it is now empty and scores 0" in r["problems"]
        assert "no answer given" in feedback(course, "correct")
    finally:
        path.write_bytes(original)


# --------------------------------------------------------------------------- PostgreSQL
@pytest.fixture(scope="module")
def postgres():
    why = PostgresServer.missing()
    if why is not None:
        print(f"SKIPPED PostgreSQL tests: {why}")
        pytest.skip(why)
    with PostgresServer() as server:
        yield server


def test_postgresql_gives_the_sqlite_results_and_a_new_database_is_graded_into(postgres, tmp_path):
    write_fixture_class(tmp_path / "all")
    few = ("blank", "minus", "partial")  # lean: a third of the class is enough to compare
    for student in few:
        shutil.copytree(tmp_path / "all" / "in" / "submitted" / student, tmp_path / "in" / "submitted" / student)
    first_url = postgres.create_database("term_first")
    course = tmp_path / "course"
    run = grade(tmp_path / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                "--timeout", 10, "--db-url", first_url, "--skip-preflight")
    assert postgres.password not in run.stdout + run.stderr
    assert f"gradebook: postgresql+psycopg://{postgres.user}:***@127.0.0.1:{postgres.port}/term_first" in run.stdout
    assert postgres.password not in (course / "nbgrader_config.py").read_text()
    holding = [p.relative_to(course).as_posix() for p in course.rglob("*")   # the resume state included
               if p.is_file() and postgres.password.encode() in p.read_bytes()]
    assert holding == [".autograder/gradebook-url"], holding   # (mode 600: the course config reads it)
    expected = [ln for ln in EXPECTED_CSV.splitlines(keepends=True) if ln.split(",")[0] in few + ("student",)]
    assert (course / "reports" / "grades.csv").read_text() == "".join(expected)  # as SQLite gives (test_grading)

    def scores(url):
        with gradebook(url) as gb:
            return {(s.student_id, g.name): (g.auto_score, g.needs_manual_grade)
                    for s in gb.assignment_submissions(FIXTURE) for nb in s.notebooks for g in nb.grades}
    by_question = {}
    for (student, cell), (points, _) in scores(first_url).items():  # the gradebook's scores, as SQLite's
        question = "add" if "_add" in cell else "mul" if "_mul" in cell else cell
        by_question[(student, question)] = by_question.get((student, question), 0) + (points or 0)
    assert {s: (by_question[(s, "add")], by_question[(s, "mul")]) for s in few} == \
        {s: EXPECTED[s][1:3] for s in few}

    # the same course folder pointed at another database: everything is graded into the new one
    second_url = postgres.create_database("term_second")
    switched = grade(tmp_path / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                     "--timeout", 10, "--db-url", second_url, "--skip-preflight")
    assert "3 to grade, 0 unchanged" in switched.stdout  # (not "0 to grade": what is graded is kept per gradebook)
    assert scores(second_url) == scores(first_url)
    with gradebook(second_url) as gb:
        assert sorted(s.id for s in gb.students) == sorted(few)


@pytest.mark.parametrize("case, message", [
    ("unreachable", "cannot use the gradebook postgresql+psycopg://grader:***@127.0.0.1:{port}/nowhere: "),
    ("missing", 'database "missing_db" does not exist'),
    ("password", "password authentication failed"),
])
def test_unusable_database_is_one_plain_line(postgres, tmp_path, case, message):
    from test_grading import fixture_notebooks
    release, _ = fixture_notebooks(tmp_path)
    synthetic.write_class(str(tmp_path / "in"), FIXTURE, {"alice": release})
    port = postgres.port
    if case == "unreachable":
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens there once closed
        url = postgres.url("nowhere").replace(f":{postgres.port}/", f":{port}/")
    elif case == "missing":
        url = postgres.url("missing_db")
    else:
        url = postgres.url("postgres", password="wrong-pw")
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "in"), "--course-dir",
                           str(tmp_path / "course"), "--source-dir", FIXTURE_SOURCE, "--db-url", url],
                          cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert message.format(port=port) in lines[0]
    assert postgres.password not in proc.stderr and "wrong-pw" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "course" / "gradebook.db").exists()


# --------------------------------------------------------------------------- LMS exports in
ROSTER = """student_id,name,email,lms_user_id
asmith,Alice Smith,alice.smith@uni.example,12345
bjones,Bob Jones,bjones@uni.example,12346
cchen,"Chen, Chloé",c.chen@uni.example,12347
dlee,Dana Lee,dlee@uni.example,12348
"""
T0, T1 = (2025, 3, 1, 10, 0, 0), (2025, 3, 3, 12, 30, 0)   # before / 36.5 h after a deadline of 2025-03-02 00:00 UTC


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    from test_grading import fixture_notebooks, wrong_add
    tmp = tmp_path_factory.mktemp("nbs")
    release, source = fixture_notebooks(tmp)
    every = synthetic.variants(release, source)
    return {k: nbformat.writes(v) for k, v in
            {"correct": every["correct"], "blank": every["blank"], "minus": wrong_add(release, source),
             "partial": every["partial"]}.items()}


def write_zip(path, members):
    """``members``: [(name, text, date_time)] -> a zip as an LMS writes it (entry times kept)."""
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        for name, text, when in members:
            z.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def canvas_export(nbs):
    return [("smithalice_12345_67890_00_fixture.ipynb", nbs["correct"], T0),
            ("jonesbob_12346_67891_00_fixture.ipynb", nbs["blank"], T0),
            ("jonesbob_LATE_12346_67950_00_fixture-1.ipynb", nbs["minus"], T1),   # resubmitted, late
            ("chenchloe_12347_67892_my_perceptron.ipynb", nbs["partial"], T0),    # renamed by the student
            ("leedana_98765_67893_00_fixture.ipynb", nbs["partial"], T0),         # unknown user id, known name
            ("doejohn_55555_67894_00_fixture.ipynb", nbs["correct"], T0),         # not on the roster
            ("smithalice_12345_67890_notes.txt", "notes", T0)]


def skipped_reasons(intake):
    return {os.path.basename(path): why for _, path, why in intake.skipped}


def discover(source, course, roster_path, only=None):
    from autograder.grading import intake
    from autograder.grading.roster import load_roster
    return intake.discover(str(source), [FIXTURE, "01_other"], only, str(course),
                           load_roster(str(roster_path)) if roster_path else None)


def taken(found, course):
    """{student: (the notebook's text, timestamp)} as copied into the course folder."""
    out = {}
    for s in found.submissions:
        assert s.notebook == str(course / "submitted" / s.student / FIXTURE / f"{FIXTURE}.ipynb")
        out[s.student] = (open(s.notebook).read(), s.timestamp and s.timestamp.strftime("%Y-%m-%d %H:%M"))
    return out


def test_canvas_zip_with_roster_late_resubmission_and_every_skipped_file(tmp_path, notebooks):
    (tmp_path / "roster.csv").write_text(ROSTER)
    zip_path = write_zip(tmp_path / "submissions.zip", canvas_export(notebooks))
    found = discover(zip_path, tmp_path / "course", tmp_path / "roster.csv")
    assert found.layout == "canvas"
    assert taken(found, tmp_path / "course") == {
        "asmith": (notebooks["correct"], "2025-03-01 10:00"),
        "bjones": (notebooks["minus"], "2025-03-03 12:30"),      # the latest wins, its time kept
        "dlee": (notebooks["partial"], "2025-03-01 10:00")}
    bob = next(s for s in found.submissions if s.student == "bjones")
    assert "Canvas marked this submission late" in bob.notes
    assert (tmp_path / "course" / "submitted" / "bjones" / FIXTURE / "timestamp.txt").read_text() == \
        "2025-03-03 12:30:00"  # nbgrader's own record, written by its ZipCollectApp
    why = skipped_reasons(found)
    assert set(why) == {"jonesbob_12346_67891_00_fixture.ipynb", "chenchloe_12347_67892_my_perceptron.ipynb",
                        "doejohn_55555_67894_00_fixture.ipynb", "smithalice_12345_67890_notes.txt"}
    assert why["jonesbob_12346_67891_00_fixture.ipynb"].startswith("an earlier submission (2025-03-01 10:00:00) "
                                                                   "by bjones")
    assert "cannot tell which assignment 'my_perceptron.ipynb' is" in why["chenchloe_12347_67892_my_perceptron.ipynb"]
    assert why["doejohn_55555_67894_00_fixture.ipynb"] == "not on the roster (LMS user id '55555', name 'doejohn')"
    assert why["smithalice_12345_67890_notes.txt"] == "not a notebook"
    # graded for one assignment only, the renamed notebook is taken for it (with a note)
    again = discover(zip_path, tmp_path / "course2", tmp_path / "roster.csv", only=FIXTURE)
    chloe = next(s for s in again.submissions if s.student == "cchen")
    assert "it was graded as 00_fixture.ipynb because only 00_fixture was being graded" in chloe.notes[0]


def test_canvas_names_without_a_roster_are_stable_ids(tmp_path, notebooks):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text, when in canvas_export(notebooks)[:3]:
        (folder / name).write_text(text)
        os.utime(folder / name, (1.7e9, 1.7e9))
    found = discover(folder, tmp_path / "course", None)
    assert sorted(s.student for s in found.submissions) == ["jonesbob", "smithalice"]
    assert found.people == [("jonesbob", "", "", "12346"), ("smithalice", "", "", "12345")]


def test_moodle_flat_and_in_folders_mixed(tmp_path, notebooks):
    (tmp_path / "roster.csv").write_text(ROSTER)
    zip_path = write_zip(tmp_path / "moodle.zip", [
        ("Alice Smith_501_assignsubmission_file_00_fixture.ipynb", notebooks["correct"], T0),
        ("Bob Jones_502_assignsubmission_file_/00_fixture.ipynb", notebooks["minus"], T1),      # in folders
        ("Chloé Chen_503_assignsubmission_file/00_fixture (1).ipynb", notebooks["partial"], T0),
        ("Eve Unknown_504_assignsubmission_file_00_fixture.ipynb", notebooks["blank"], T0),
        ("Bob Jones_502_assignsubmission_onlinetext_/onlinetext.html", "<p>hi</p>", T0),
        ("../Mallory_505_assignsubmission_file_00_fixture.ipynb", notebooks["correct"], T0)])  # outside: refused
    found = discover(zip_path, tmp_path / "course", tmp_path / "roster.csv")
    assert found.layout == "moodle"
    assert taken(found, tmp_path / "course") == {
        "asmith": (notebooks["correct"], "2025-03-01 10:00"), "bjones": (notebooks["minus"], "2025-03-03 12:30"),
        "cchen": (notebooks["partial"], "2025-03-01 10:00")}
    why = skipped_reasons(found)
    assert why == {"Eve Unknown_504_assignsubmission_file_00_fixture.ipynb": "not on the roster (name 'Eve Unknown')",
                   "onlinetext.html": "not a notebook",
                   "Mallory_505_assignsubmission_file_00_fixture.ipynb":
                       "a path outside the archive's folder (not extracted)"}
    assert ("", "moodle.zip:../Mallory_505_assignsubmission_file_00_fixture.ipynb",
            "a path outside the archive's folder (not extracted)") in found.skipped
    assert not list(tmp_path.glob("**/Mallory*"))
    # without a roster: one id per person from the full name
    bare = discover(zip_path, tmp_path / "bare", None)
    assert sorted(s.student for s in bare.submissions) == ["alice_smith", "bob_jones", "chloe_chen", "eve_unknown"]


def test_blackboard_latest_attempt_and_plain_names(tmp_path, notebooks):
    (tmp_path / "roster.csv").write_text(ROSTER)
    folder = tmp_path / "bb"
    folder.mkdir()
    files = {"00_fixture_bjones_attempt_2025-03-01-10-00-00_00_fixture.ipynb": notebooks["blank"],
             "00_fixture_bjones_attempt_2025-03-02-09-15-00_00_fixture.ipynb": notebooks["minus"],
             "00_fixture_bjones_attempt_2025-03-02-09-15-00.txt": "Name: Bob Jones",
             "00_fixture_dlee_attempt_2025-03-01-08-00-00_00_fixture.ipynb": notebooks["partial"],
             "asmith_00_fixture.ipynb": notebooks["correct"],       # plain, in the same folder
             "c.chen_00-Fixture (2).ipynb": notebooks["partial"],   # plain: e-mail user name, case and copy suffix
             "random.ipynb": notebooks["blank"]}
    for name, text in files.items():
        (folder / name).write_text(text)
    found = discover(folder, tmp_path / "course", tmp_path / "roster.csv")
    assert found.layout == "blackboard + flat"
    assert taken(found, tmp_path / "course") == {
        "asmith": (notebooks["correct"], None), "bjones": (notebooks["minus"], "2025-03-02 09:15"),
        "cchen": (notebooks["partial"], None), "dlee": (notebooks["partial"], "2025-03-01 08:00")}
    chloe = next(s for s in found.submissions if s.student == "cchen")
    assert "it was graded as 00_fixture.ipynb" in chloe.notes[0]
    why = skipped_reasons(found)
    assert set(why) == {"00_fixture_bjones_attempt_2025-03-01-10-00-00_00_fixture.ipynb",
                        "00_fixture_bjones_attempt_2025-03-02-09-15-00.txt", "random.ipynb"}
    assert why["00_fixture_bjones_attempt_2025-03-02-09-15-00.txt"] == "Blackboard's submission details (not graded)"
    assert "neither <student>_<assignment>.ipynb" in why["random.ipynb"]


# --------------------------------------------------------------------------- the term end to end
class Formgrader:
    """nbgrader's formgrader (a Jupyter server started in the course folder, as the README says), on 127.0.0.1 at
    a free port; stopped by the test."""

    def __init__(self, course, tmp):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        e = env()
        e.pop("PYTHONPATH")
        e.update(JUPYTER_CONFIG_DIR=str(tmp / "jcfg"), JUPYTER_DATA_DIR=str(tmp / "jdata"),
                 JUPYTER_RUNTIME_DIR=str(tmp / "jrt"))
        self.proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "jupyter"), "server", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=t0k",
             "--ServerApp.open_browser=False", "--allow-root"],
            cwd=course, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def call(self, method, path, body=None, timeout=60):
        import json
        import urllib.request
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "token t0k"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode()
        return json.loads(text) if text.strip().startswith(("[", "{")) else text

    def wait(self, seconds=90):
        import time
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read()
            try:
                return self.call("GET", "/formgrader/api/status")
            except OSError:
                time.sleep(0.5)
        raise AssertionError("formgrader did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_canvas_term_formgrader_late_policy_report_and_exports(tmp_path, notebooks):
    (tmp_path / "roster.csv").write_text(ROSTER)
    zip_path = write_zip(tmp_path / "submissions.zip", canvas_export(notebooks))
    course = tmp_path / "course"
    run = grade(zip_path, "--roster", tmp_path / "roster.csv", "--course-dir", course, "--source-dir", FIXTURE_SOURCE,
                "--workers", 2, "--timeout", 10, "--skip-preflight", "--deadline", f"{FIXTURE}=2025-03-02T01:00+01:00",
                "--late-policy", "per-day:10")
    assert "3 submissions (canvas layout) for 00_fixture; 3 to grade" in run.stdout
    assert "4 files not taken (the summary says why)" in run.stdout
    summary = (course / "reports" / "summary.md").read_text()
    listed = summary.split("## Files not taken (4)\n\n")[1].strip().splitlines()
    assert len(listed) == 4 and all(line.startswith("- `") for line in listed)
    assert "- bjones: submitted 2025-03-03 12:30:00, 36.5 h late, penalty 0.6 points" in summary
    r = rows(course)
    assert (r["bjones"]["score"], r["bjones"]["submitted"], r["bjones"]["late_by_hours"], r["bjones"]["late_penalty"]) \
        == ("2.4", "2025-03-03 12:30:00", "36.50", "0.6")  # 3 points, 2 started days late x 10 %
    assert (r["asmith"]["score"], r["asmith"]["late_by_hours"], r["asmith"]["late_penalty"]) == ("6", "", "")
    assert "Late:" in feedback(course, "bjones") and "(before the late penalty: 3)" in feedback(course, "bjones")

    server = Formgrader(course, tmp_path)
    try:
        server.wait()
        (assignment,) = server.call("GET", "/formgrader/api/assignments")
        assert (assignment["name"], assignment["num_submissions"]) == (FIXTURE, 3)
        page = server.call("GET", "/formgrader/manage_assignments")
        assert "warning-exchange" not in page and "does not exist" not in page
        assert "gradebook.db" not in page  # its debug panel (the loaded config, URL included) is off
        subs = server.call("GET", f"/formgrader/api/submitted_notebooks/{FIXTURE}/{FIXTURE}")
        alice = next(s for s in subs if s["student"] == "asmith")
        assert (alice["first_name"], alice["last_name"]) == ("Alice", "Smith")
        grades = server.call("GET", f"/formgrader/api/grades?submission_id={alice['id']}")
        why = next(g for g in grades if g["name"] == "why_commutative")
        assert why["needs_manual_grade"]
        server.call("PUT", f"/formgrader/api/grade/{why['id']}", {"manual_score": 1})
        server.call("POST", f"/formgrader/api/assignment/{FIXTURE}/asmith/generate_feedback", {})
        page = feedback(course, "asmith")  # formgrader's feedback button: our page, hand score in, no test source
        assert "Score: <b>7 / 7</b>" in page and "graded by hand" in page
        assert not any(marker in page for marker in HIDDEN_MARKERS)
    finally:
        server.stop()

    out = report(course).stdout
    assert "3 submissions; 1 answers waiting for grading by hand" in out  # bjones's answer (dlee left it empty)
    assert (rows(course)["asmith"]["score"], rows(course)["asmith"]["why_commutative"]) == ("7", "1")

    canvas = subprocess.run([sys.executable, "-m", "autograder", "export", "--to", "canvas", "--course-dir", str(course),
                             "--canvas-id", f"{FIXTURE}=777"], cwd=ROOT, env=env(), capture_output=True, text=True)
    assert canvas.returncode == 0, canvas.stderr
    assert "warning: 1 submissions still have answers waiting for grading by hand (counted 0): bjones" in canvas.stdout
    text = (course / "reports" / "export_canvas.csv").read_text(encoding="utf-8")
    assert text == ("Student,ID,SIS User ID,SIS Login ID,Section,00_fixture (777)\n"
                    "    Points Possible,,,,,7\n"
                    '"Smith, Alice",12345,,,,7\n'
                    '"Jones, Bob",12346,,,,2.4\n'
                    '"Chen, Chloé",12347,,,,0\n'
                    '"Lee, Dana",12348,,,,3\n')
    # the shape Canvas's gradebook importer reads: identity columns, "Name (id)" columns, a Points Possible row
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[1][0].strip() == "Points Possible" and all(len(row) == len(table[0]) for row in table)

    moodle = subprocess.run([sys.executable, "-m", "autograder", "export", "--to", "moodle", "--course-dir",
                             str(course)], cwd=ROOT, env=env(), capture_output=True, text=True)
    assert moodle.returncode == 0, moodle.stderr
    assert (course / "reports" / "export_moodle.csv").read_text(encoding="utf-8") == (
        "First name,Last name,ID number,Email address,User ID,00_fixture\n"
        "Alice,Smith,asmith,alice.smith@uni.example,12345,7\n"
        "Bob,Jones,bjones,bjones@uni.example,12346,2.4\n"
        "Chloé,Chen,cchen,c.chen@uni.example,12347,0\n"
        "Dana,Lee,dlee,dlee@uni.example,12348,3\n")
    with gradebook(course) as gb:  # nbgrader's own records agree: penalty, lms ids
        assert gb.find_submission(FIXTURE, "bjones").late_submission_penalty == pytest.approx(0.6)
        assert gb.find_student("cchen").lms_user_id == "12347"
