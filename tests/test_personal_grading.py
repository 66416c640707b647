"""Grading personalised assignments end to end (issue 16): ``python -m autograder grade`` and ``preflight``.

A class of 04_backprop and 02_xor_forward, graded in one run with a course secret made for it:

* alice and bob typed their own ids and codes: full marks, no flag;
* carol submitted alice's notebook: 0 on the personalised questions, flagged "answers match student alice's
  numbers" in the CSV and the summary (both assignments); her feedback shows her own numbers and names nobody;
* dave typed alice's id but did his own (wrong) chain rule: flagged for the id, not as a copy, graded on his
  own numbers (his gradient step scores);
* gina typed her own id but hard-codes alice's gradients: flagged as a copy by value alone;
* frank typed nothing (the example numbers) but answered right: full marks, flagged; erin is blank: zero;
* each graded notebook holds its submitter's reference values only; the secret is in no output; a second
  run grades nothing.

The preflight grades the reference for 20 random ids (full marks) and the blank (zero), and fails -- naming
the ids -- when a personal test passes for the example numbers only.
"""
from __future__ import annotations

import base64
import csv
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import nbcells, synthetic
from autograder.authoring.cases import cases_in
from autograder.grading import coursedir
from autograder.personal.cases import fill_identity
from autograder.personal.secret import load_secret, student_code, student_numbers

ROOT = str(nbcells.REPO_ROOT)
pytestmark = [pytest.mark.timeout(900), pytest.mark.grading]

#: student -> (chain_rule_221, backward, gradient_step) points in 04_backprop, and what the problems say
EXPECTED_04 = {
    "alice": ((4, 6, 3), []),
    "bob": ((4, 6, 3), []),
    "carol": ((0, 6, 0), ["the notebook's student id is 'alice', but carol submitted it",
                          "answers match student alice's numbers: 0 on the personalised questions "
                          "(chain_rule_221, gradient_step)"]),
    "dave": ((0, 6, 3), ["the notebook's student id is 'alice', but dave submitted it"]),
    "gina": ((0, 6, 0), ["answers match student alice's numbers"]),
    "frank": ((4, 6, 3), ["no student id and code typed in the notebook"]),
    "erin": ((0, 0, 0), ["no student id and code typed in the notebook"]),
}
EXPECTED_02 = {"alice": ((3, 4, 2, 2), []), "carol": ((3, 0, 2, 2), ["answers match student alice's numbers"])}


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = ROOT
    e.setdefault("MPLBACKEND", "Agg")
    return e


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=850)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def notebooks(tmp, name):
    prep = coursedir.prepare_assignment(str(tmp / "prep"), name, nbcells.sqlite_url(str(tmp / f"prep-{name}.db")))
    release = nbformat.read(prep.release_path, as_version=4)
    source = nbformat.read(os.path.join(prep.source_dir, f"{name}.ipynb"), as_version=4)
    every = synthetic.variants(release, source)
    return every["correct"], every["blank"]


def with_answer(nb, grade_id, source):
    nb = nbformat.from_dict(nb)
    synthetic.answer_cells(nb)[grade_id].source = source
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("personal")
    course = tmp / "course"
    secret = load_secret(course / "secret")
    typed = lambda nb, student: fill_identity(nb, student, student_code(secret, student))  # noqa: E731
    correct, blank = notebooks(tmp, "04_backprop")
    alice_numbers = student_numbers(secret, "04_backprop", "alice")
    from autograder.authoring.cases import load_cases_module
    alice_expected = load_cases_module("04_backprop").personal_chain_rule(alice_numbers)["expected"]
    zeros = ("def chain_rule_221(x, y, w, b):\n"
             "    return {k: 0.0 for k in ('w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'b1', 'b2', 'b3')}")
    hard_coded = f"def chain_rule_221(x, y, w, b):\n    return {dict(alice_expected)!r}"
    students = {"alice": typed(correct, "alice"), "bob": typed(correct, "bob"), "carol": typed(correct, "alice"),
                "dave": typed(with_answer(correct, "chain_rule_221", zeros), "alice"),
                "gina": typed(with_answer(correct, "chain_rule_221", hard_coded), "gina"),
                "frank": correct, "erin": blank}
    synthetic.write_class(str(tmp / "in"), "04_backprop", students)
    correct02, _ = notebooks(tmp, "02_xor_forward")
    synthetic.write_class(str(tmp / "in"), "02_xor_forward", {"alice": typed(correct02, "alice"),
                                                              "carol": typed(correct02, "alice")})
    first = run("grade", tmp / "in", "--course-dir", course, "--workers", 2, "--skip-preflight")
    return tmp, course, secret, first


def rows(course):
    with open(course / "reports" / "grades.csv", newline="") as f:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(f)}


def test_each_student_scores_on_their_own_numbers_and_copies_are_flagged(graded):
    _, course, _, first = graded
    table = rows(course)
    for (expected, name, questions) in ((EXPECTED_04, "04_backprop", ("chain_rule_221", "backward", "gradient_step")),
                                        (EXPECTED_02, "02_xor_forward", ("dense_layer", "forward", "step_xor",
                                                                         "sigmoid_xor"))):
        for student, (points, problems) in expected.items():
            row = table[(student, name)]
            assert tuple(float(row[f"{name}/{q}"]) for q in questions) == points, (student, name, row)
            for text in problems:
                assert text in row["problems"], (student, name, row["problems"])
            if not problems:
                assert row["problems"] == "", (student, name, row["problems"])
            if "answers match" not in " ".join(problems):
                assert "answers match" not in row["problems"], (student, name)
    summary = (course / "reports" / "summary.md").read_text()
    assert "- carol (graded): " in summary and summary.count("answers match student alice's numbers") == 3


def test_feedback_shows_the_students_own_numbers_and_names_nobody_else(graded):
    _, course, secret, _ = graded
    for student in ("alice", "carol", "dave"):
        html = (course / "feedback" / student / "04_backprop" / "04_backprop.html").read_text()
        w = student_numbers(secret, "04_backprop", student)["w"]
        assert "Your own numbers</b> (student " + student in html and f"w = {w!r}" in html, student
        if student != "alice":
            assert "alice" not in html, student
    carol = (course / "feedback" / "carol" / "04_backprop" / "04_backprop.html").read_text()
    assert "reproduce another student&#x27;s numbers" in carol and "PersonalNumbers: scored 0" in carol


def test_every_graded_notebook_holds_its_submitters_values_only(graded):
    _, course, _, _ = graded
    for student in EXPECTED_04:
        nb = nbformat.read(course / "autograded" / student / "04_backprop" / "04_backprop.ipynb", as_version=4)
        owners = {d["student_id"] for c in nb.cells for d in cases_in(c.source)[1]
                  if isinstance(d, dict) and "personal" in d}
        assert owners == {student}, (student, owners)


def test_the_secret_is_in_no_output_and_a_second_run_grades_nothing(graded):
    tmp, course, secret, _ = graded
    forms = [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode()]
    for path in course.rglob("*"):
        if path.is_file() and path != course / "secret":
            data = path.read_bytes().decode("utf-8", "replace")
            assert not any(f in data for f in forms), f"{path} holds the course secret"
    again = run("grade", tmp / "in", "--course-dir", course, "--workers", 2, "--skip-preflight")
    assert "0 to grade, 14 unchanged" in again.stdout  # 7 students x 2 assignments (5 have no 02: missing)


def test_preflight_grades_the_reference_for_random_ids_and_the_blank(tmp_path):
    proc = run("preflight", "--assignment", "04_backprop", "--course-dir", tmp_path / "course", "--workers", 2)
    assert "preflight ok" in proc.stdout
    made = sorted((tmp_path / "course" / ".autograder" / "personal" / "preflight" / "04_backprop").glob("*.ipynb"))
    assert len(made) == 20 and len({p.stem for p in made}) == 20
    cell = next(c for c in nbformat.read(made[0], as_version=4).cells if "personal" in c.metadata.get("tags", []))
    assert f'student_id="{made[0].stem}"' in cell.source
    assert not (tmp_path / "course" / "secret").exists()  # a throw-away secret: the class's is not needed


def test_preflight_fails_a_personal_test_that_passes_for_the_example_only(tmp_path):
    """The random ids are really checked: a test that holds for the example's numbers only is caught, for every
    random id (three here, in-process, to keep the test short; the command above uses 20)."""
    from autograder.grading.pool import WorkerPool
    from autograder.grading.preflight import check, tasks_for
    from autograder.grading.sandbox.limits import Limits
    from autograder.personal import grading as personal_grading

    source = tmp_path / "source"
    shutil.copytree(os.path.join(nbcells.SOURCE_DIR, "04_backprop"), source / "04_backprop")
    path = source / "04_backprop" / "04_backprop.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if nbcells.grade_id(c) == "step_personal")
    only_example = 'assert _mine["student_id"] == "example", "only the example"\n'
    cell.source = cell.source.replace("### END HIDDEN TESTS", only_example + "### END HIDDEN TESTS")
    nbformat.write(nb, str(path))
    course = tmp_path / "course"
    prepared = coursedir.prepare_assignment(str(course), "04_backprop", nbcells.sqlite_url(str(course / "gb.db")),
                                            str(source))
    tasks = tasks_for(prepared)
    assert [kind.split(" for ")[0] for (_, kind), _ in tasks] == ["reference", "blank"] + ["reference"] * 20 + ["blank"]
    tasks = tasks[:2] + personal_grading.preflight_tasks(prepared, n_ids=3)
    with WorkerPool(2, Limits(cell_timeout=60, notebook_budget=600)) as pool:
        problems = {kind: check(kind, result) for (_, kind), result in pool.run(tasks)}
    assert problems.pop("reference") == [] and problems.pop("blank") == []
    for kind, found in problems.items():
        if kind.startswith("blank"):
            assert found == [], kind
        else:
            assert found == [f"reference answer {kind[len('reference '):]} scores 0/1 on `step_personal`: "
                             "AssertionError: only the example"], kind
    assert len(problems) == 4


def test_one_release_through_nbgraders_exchange(tmp_path):
    """One notebook for the whole class through nbgrader's own exchange (``release_assignment``,
    ``fetch_assignment``, ``submit``, ``collect``): each student types their id and code into the common
    notebook, and the grader grades under the ids the exchange recorded -- alice on her numbers, carol (who
    submitted alice's notebook) flagged and zero on the personalised questions."""
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    db = nbcells.sqlite_url(str(course / "gradebook.db"))
    prepared = coursedir.prepare_assignment(str(course), "04_backprop", db)  # nbgrader generate_assignment
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.db_url = {db!r}\n"
        f"c.CourseDirectory.course_id = {nbcells.COURSE_ID!r}\nc.Exchange.root = {str(exchange)!r}\n")
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    e = {k: v for k, v in env().items() if k != "PYTHONPATH"}
    e["PATH"] = os.path.dirname(sys.executable) + os.pathsep + e.get("PATH", "")

    def call(*args, cwd):
        proc = subprocess.run([nbgrader, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    call("release_assignment", "04_backprop", cwd=course)
    secret = load_secret(course / "secret")
    source = nbformat.read(os.path.join(prepared.source_dir, "04_backprop.ipynb"), as_version=4)
    for student, typed in (("alice", "alice"), ("carol", "alice")):
        home = tmp_path / student
        home.mkdir()
        (home / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
        call("fetch_assignment", "04_backprop", "--course", nbcells.COURSE_ID, cwd=home)
        path = home / "04_backprop" / "04_backprop.ipynb"
        common = nbformat.read(path, as_version=4)
        assert common.cells == nbformat.read(prepared.release_path, as_version=4).cells  # the one release
        answered = synthetic.make_student(common, source, set(synthetic.answer_cells(source)))
        nbformat.write(fill_identity(answered, typed, student_code(secret, typed)), str(path))
        call("submit", "04_backprop", "--course", nbcells.COURSE_ID, "--student", student, cwd=home)
    call("collect", "04_backprop", cwd=course)
    run("grade", course / "submitted", "--course-dir", course, "--workers", 2, "--skip-preflight")
    table = rows(course)
    assert [table[(s, "04_backprop")]["score"] for s in ("alice", "carol")] == ["13", "6"]
    assert table[("alice", "04_backprop")]["problems"] == ""
    assert "answers match student alice's numbers" in table[("carol", "04_backprop")]["problems"]


def test_per_student_notebooks_through_a_learning_management_system(tmp_path):
    """``release --roster``: each student downloads their own notebook (id and code typed in), answers, uploads;
    the LMS export names the files ``<id>_<assignment>.ipynb``. Bob uploads alice's notebook as his own."""
    from autograder.personal.roster import release_per_student

    course = tmp_path / "course"
    (tmp_path / "roster.csv").write_text("student_id,name\nalice,Alice Liddell\nbob,Bob Dylan\n")
    assert release_per_student(["04_backprop"], tmp_path / "roster.csv", course, out=open(os.devnull, "w")) == 0
    prepared = coursedir.prepare_assignment(str(tmp_path / "prep"), "04_backprop",
                                            nbcells.sqlite_url(str(tmp_path / "prep.db")))
    source = nbformat.read(os.path.join(prepared.source_dir, "04_backprop.ipynb"), as_version=4)
    mine = nbformat.read(course / "personal" / "04_backprop" / "alice_04_backprop.ipynb", as_version=4)
    answered = synthetic.make_student(mine, source, set(synthetic.answer_cells(source)))
    export = tmp_path / "export"
    export.mkdir()
    nbformat.write(answered, str(export / "alice_04_backprop.ipynb"))
    nbformat.write(answered, str(export / "bob_04_backprop.ipynb"))
    run("grade", export, "--course-dir", course, "--workers", 2, "--skip-preflight")
    table = rows(course)
    assert (table[("alice", "04_backprop")]["score"], table[("alice", "04_backprop")]["problems"]) == ("13", "")
    assert table[("bob", "04_backprop")]["score"] == "6"
    assert "answers match student alice's numbers" in table[("bob", "04_backprop")]["problems"]
