"""The grading command end to end: ``python -m autograder grade`` on synthetic classes.

* the fixture assignment (tests/fixtures/grading, two questions + a manual answer): every student's
  score per question against hand-written expectations, the CSV text, the gradebook, the feedback
  (messages shown, hidden-test source never), a second run that grades nothing and changes nothing,
  a changed submission regraded alone, ``--force`` giving byte-identical CSV scores, a run killed with
  SIGKILL and resumed, preflight stopping on a missing package, clear errors;
* a real assignment (the first released one): correct / blank / first question wrong, every test's
  score equal to nbgrader's own ``nbgrader autograde`` on the same submissions (the oracle).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import nbformat
import pytest

from autograder import nbcells, synthetic
from autograder.grading import coursedir, intake

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_SOURCE = os.path.join(ROOT, "tests", "fixtures", "grading", "source")
FIXTURE = "00_fixture"
HIDDEN_MARKERS = ("SECRET_CASES", "HIDDEN_MUL_CASE", "for a, b, want in", "BEGIN HIDDEN TESTS")

pytestmark = pytest.mark.timeout(420)  # generous: the machine may be shared


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = ROOT  # as the Makefile exports it: the grader must strip it from kernels
    e.setdefault("MPLBACKEND", "Agg")
    return e


def grade(*args, check=True, timeout=400):
    cmd = [sys.executable, "-m", "autograder", "grade", *map(str, args)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def fixture_notebooks(tmp):
    """(release, source) notebooks of the fixture assignment, release made by nbgrader."""
    prepared = coursedir.prepare_assignment(str(tmp / "prep"), FIXTURE, nbcells.sqlite_url(str(tmp / "prep.db")),
                                            FIXTURE_SOURCE)
    release = nbformat.read(prepared.release_path, as_version=4)
    source = nbformat.read(os.path.join(prepared.source_dir, f"{FIXTURE}.ipynb"), as_version=4)
    return release, source


def wrong_add(release, source):
    """add returns a - b: every add test fails with its own message."""
    nb = synthetic.make_student(release, source, set(synthetic.answer_cells(source)))
    synthetic.answer_cells(nb)["add"].source = "def add(a, b):\n    return a - b"
    return nb


#: hand-written expectations: student -> (status, add, mul, total)
EXPECTED = {
    "correct": ("graded", 3, 3, 6),
    "blank": ("graded", 0, 0, 0),
    "partial": ("graded", 3, 0, 3),
    "wrong_add": ("graded", 0, 3, 3),
    "wrong_mul": ("graded", 3, 0, 3),
    "minus": ("graded", 0, 3, 3),
}

EXPECTED_CSV = """student,assignment,status,score,max_score,submitted,late_by_hours,late_penalty,add,mul,why_commutative,problems
blank,00_fixture,graded,0,7,,,,0,0,,
correct,00_fixture,graded,6,7,,,,3,3,,
minus,00_fixture,graded,3,7,,,,0,3,,
partial,00_fixture,graded,3,7,,,,3,0,,
wrong_add,00_fixture,graded,3,7,,,,0,3,,
wrong_mul,00_fixture,graded,3,7,,,,3,0,,
"""


def write_fixture_class(tmp):
    """The synthetic class of the fixture assignment (the students of ``EXPECTED``) in ``tmp/in``."""
    release, source = fixture_notebooks(tmp)
    students = synthetic.variants(release, source)
    students["minus"] = wrong_add(release, source)
    synthetic.write_class(str(tmp / "in"), FIXTURE, students)
    return students


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grading")
    write_fixture_class(tmp)
    course = tmp / "course"
    first = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                  "--timeout", 10)
    return tmp, course, first


def read_csv(course):
    with open(course / "reports" / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_student_scores_as_expected(graded_class):
    tmp, course, first = graded_class
    assert "preflight ok" in first.stdout
    assert "6 to grade" in first.stdout
    rows = {r["student"]: r for r in read_csv(course)}
    assert set(rows) == set(EXPECTED)
    for student, (status, add, mul, total) in EXPECTED.items():
        r = rows[student]
        assert (r["status"], float(r["add"]), float(r["mul"]), float(r["score"])) == (status, add, mul, total), student
        assert r["why_commutative"] == ""  # manually graded: never auto-scored
        assert r["max_score"] == "7"
    assert (course / "reports" / "grades.csv").read_text() == EXPECTED_CSV


def test_gradebook_holds_each_student_once_with_the_same_scores(graded_class):
    tmp, course, _ = graded_class
    from nbgrader.api import Gradebook
    with Gradebook(nbcells.sqlite_url(str(course / "gradebook.db")), nbcells.COURSE_ID) as gb:
        subs = gb.assignment_submissions(FIXTURE)
        assert sorted(s.student_id for s in subs) == sorted(EXPECTED)
        for s in subs:
            assert s.score == EXPECTED[s.student_id][3], s.student_id
            assert s.max_score == 7
        why = gb.find_grade("why_commutative", FIXTURE, FIXTURE, "correct")
        assert why.needs_manual_grade and why.auto_score is None


def test_feedback_shows_messages_but_never_hidden_test_source(graded_class):
    tmp, course, _ = graded_class
    for student in EXPECTED:
        html = (course / "feedback" / student / FIXTURE / f"{FIXTURE}.html").read_text()
        for marker in HIDDEN_MARKERS:
            assert marker not in html, (student, marker)
        assert "Traceback" not in html
    minus = (course / "feedback" / "minus" / FIXTURE / f"{FIXTURE}.html").read_text()
    assert "add(1, 2) should be 3, got -1" in minus          # visible test message
    assert "add(2, 2) should be 4" in minus                   # message of the cell holding hidden tests
    assert "Score: <b>3 / 7</b>" in minus
    assert "Checks add on negative and float inputs." in minus  # the test's docstring (visible part)
    blank = (course / "feedback" / "blank" / FIXTURE / f"{FIXTURE}.html").read_text()
    assert "NotImplementedError" in blank and "no answer given" in blank
    # the autograded notebooks (instructor only) do hold the hidden tests
    graded = (course / "autograded" / "minus" / FIXTURE / f"{FIXTURE}.ipynb").read_text()
    assert "SECRET_CASES" in graded


def test_second_run_grades_nothing_and_changes_nothing(graded_class):
    tmp, course, _ = graded_class
    csv_before = (course / "reports" / "grades.csv").read_bytes()
    db = sqlite3.connect(course / "gradebook.db")
    rows_before = db.execute("SELECT COUNT(*) FROM grade").fetchone()[0]
    db.close()
    again = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2)
    assert "0 to grade, 6 unchanged" in again.stdout
    assert "graded 0 in this run" in again.stdout
    assert (course / "reports" / "grades.csv").read_bytes() == csv_before
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("SELECT COUNT(*) FROM grade").fetchone()[0] == rows_before
    db.close()


def test_changed_submission_is_regraded_alone_and_force_gives_identical_csv(graded_class):
    tmp, course, _ = graded_class
    release, source = fixture_notebooks(tmp / "again")
    path = tmp / "in" / "submitted" / "blank" / FIXTURE / f"{FIXTURE}.ipynb"
    original = path.read_bytes()
    nbformat.write(synthetic.make_student(release, source, {"mul"}), str(path))
    try:
        changed = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2)
        assert "1 to grade, 5 unchanged" in changed.stdout
        rows = {r["student"]: r for r in read_csv(course)}
        assert (float(rows["blank"]["add"]), float(rows["blank"]["mul"])) == (0, 3)
    finally:
        path.write_bytes(original)
    forced = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2, "--force")
    assert "6 to grade" in forced.stdout
    assert (course / "reports" / "grades.csv").read_text() == EXPECTED_CSV


def test_killed_run_resumes_without_loss_or_duplicates(graded_class, tmp_path):
    tmp, _, _ = graded_class
    course = tmp_path / "course"
    cmd = [sys.executable, "-m", "autograder", "grade", str(tmp / "in"), "--course-dir", str(course),
           "--source-dir", FIXTURE_SOURCE, "--workers", "1", "--skip-preflight"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    state = course / ".autograder" / "state.sqlite"
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            try:
                with sqlite3.connect(state) as db:
                    done = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= 2:
                break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # parent, workers and kernels: no clean-up allowed
    proc.wait()
    assert 2 <= done < 6, "the run should be killed part-way"
    resumed = grade(tmp / "in", "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                    "--skip-preflight")
    left = int(resumed.stdout.split(" to grade")[0].split("; ")[-1])
    assert left <= 6 - done
    assert (course / "reports" / "grades.csv").read_text() == EXPECTED_CSV
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 6
    db.close()


def test_preflight_stops_when_a_package_is_missing(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(FIXTURE_SOURCE, source)
    path = source / FIXTURE / f"{FIXTURE}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = "import package_that_is_not_installed\nimport math"
    nbformat.write(nb, str(path))
    release, src = fixture_notebooks(tmp_path)
    synthetic.write_class(str(tmp_path / "in"), FIXTURE, {"alice": synthetic.variants(release, src)["correct"]})
    proc = grade(tmp_path / "in", "--course-dir", tmp_path / "course", "--source-dir", source, "--workers", 2,
                 check=False)
    assert proc.returncode == 3
    assert "preflight failed" in proc.stderr
    assert "No module named 'package_that_is_not_installed'" in proc.stderr
    assert "missing from the grading environment" in proc.stderr
    assert not (tmp_path / "course" / "reports" / "grades.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["does/not/exist"], "does not exist"),
    (["EMPTY"], "the class is empty"),
    (["EMPTY", "--assignment", "99_nope"], "unknown assignment '99_nope'; known assignments: 00_fixture"),
])
def test_clear_errors(tmp_path, capsys, args, message):
    from autograder.grading import grade as grade_command
    (tmp_path / "empty").mkdir()
    args = [str(tmp_path / "empty") if a == "EMPTY" else a for a in args]
    rc = grade_command.main([*args, "--course-dir", str(tmp_path / "course"), "--source-dir", FIXTURE_SOURCE])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert "Traceback" not in err


def test_course_folder_inside_the_repository_must_be_ignored(tmp_path, capsys):
    from autograder.grading import grade as grade_command
    (tmp_path / "x_00_fixture.ipynb").write_text("{}")
    rc = grade_command.main([str(tmp_path), "--course-dir", os.path.join(ROOT, "tests", "not_ignored_course"),
                             "--source-dir", FIXTURE_SOURCE])
    try:
        assert rc == 2 and "could be committed" in capsys.readouterr().err
        assert not os.path.exists(os.path.join(ROOT, "tests", "not_ignored_course"))
    finally:
        shutil.rmtree(os.path.join(ROOT, "tests", "not_ignored_course"), ignore_errors=True)


def test_flat_lms_export_names(tmp_path):
    for name in ["alice_00_fixture.ipynb", "bob_smith_00_fixture.ipynb", "carol_00_fixture (1).ipynb",
                 "dave_LATE_00_fixture.ipynb", "erin_00-Fixture.ipynb", "notes.txt", "random.ipynb"]:
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text("{}")
    found = intake.discover(str(tmp_path / "in"), [FIXTURE], course_root=str(tmp_path / "course"))
    assert found.layout == "flat"
    assert [(s.student, s.assignment) for s in found.submissions] == [
        ("alice", FIXTURE), ("bob_smith", FIXTURE), ("carol", FIXTURE), ("dave", FIXTURE), ("erin", FIXTURE)]
    carol = next(s for s in found.submissions if s.student == "carol")
    assert "the file was named 'carol_00_fixture (1).ipynb'" in carol.notes[0]
    assert carol.notebook == str(tmp_path / "course" / "submitted" / "carol" / FIXTURE / f"{FIXTURE}.ipynb")
    assert sorted(path for _, path, _ in found.skipped) == ["notes.txt", "random.ipynb"]


# --------------------------------------------------------------------------- a real assignment
REAL = next((n for n in ("01_perceptron", "02_xor_forward", "03_activations", "04_backprop", "05_training")
             if os.path.exists(os.path.join(nbcells.SOURCE_DIR, n))), None)


def nbgrader_autograde_scores(tmp, name, students):
    """The oracle: nbgrader's own ``nbgrader autograde`` CLI on the same submissions -> {student: {cell: score}}."""
    root = tmp / "oracle"
    prepared = coursedir.prepare_assignment(str(root), name, nbcells.sqlite_url(str(root / "gradebook.db")))
    for student, nb in students.items():
        path = root / "submitted" / student / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    cfg = root / "nbgrader_config.py"
    cfg.write_text(f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\n"
                   f"c.CourseDirectory.db_url = {nbcells.sqlite_url(str(root / 'gradebook.db'))!r}\n"
                   f"c.CourseDirectory.course_id = {nbcells.COURSE_ID!r}\nc.Execute.timeout = 60\n")
    e = env()
    e.pop("PYTHONPATH")
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", name, "--force"],
                   cwd=root, env=e, check=True, capture_output=True, timeout=300)
    from nbgrader.api import Gradebook
    out = {}
    with Gradebook(nbcells.sqlite_url(str(root / "gradebook.db")), nbcells.COURSE_ID) as gb:
        for student in students:
            sub = gb.find_submission_notebook(name, name, student)
            out[student] = {g.name: g.auto_score for g in sub.grades if g.auto_score is not None}
    return prepared.spec, out


@pytest.mark.slow
@pytest.mark.skipif(REAL is None, reason="no real assignment source yet")
def test_real_assignment_matches_nbgrader_autograde(tmp_path):
    prep = coursedir.prepare_assignment(str(tmp_path / "prep"), REAL, nbcells.sqlite_url(str(tmp_path / "p.db")))
    release = nbformat.read(prep.release_path, as_version=4)
    source = nbformat.read(os.path.join(prep.source_dir, f"{REAL}.ipynb"), as_version=4)
    every = synthetic.variants(release, source)
    first_q = synthetic.questions(source)[0]
    students = {k: every[k] for k in ("correct", "blank", f"wrong_{first_q}")}
    synthetic.write_class(str(tmp_path / "in"), REAL, students)
    grade(tmp_path / "in", "--course-dir", tmp_path / "course", "--workers", 2, "--timeout", 60)
    ours = {}
    for student in students:
        state = sqlite3.connect(tmp_path / "course" / ".autograder" / "state.sqlite")
        (text,) = state.execute("SELECT result FROM results WHERE student = ?", (student,)).fetchone()
        state.close()
        ours[student] = {c["grade_id"]: c["points"] for c in json.loads(text)["cells"] if c["auto"]}
    spec, oracle = nbgrader_autograde_scores(tmp_path, REAL, students)
    auto = [c for c in spec.cells if c.auto]
    oracle = {s: {c.grade_id: scores[c.grade_id] for c in auto} for s, scores in oracle.items()}
    assert ours == oracle
    assert all(ours["correct"][c.grade_id] == c.max_points for c in auto)
    assert all(ours["blank"][c.grade_id] == 0 for c in auto)
    assert all(ours[f"wrong_{first_q}"][c.grade_id] == 0 for c in auto if c.question == first_q)
