"""Personal numbers (issue 16), without kernels: codes, numbers, ranges, the secret, the release.

* a code is HMAC-SHA256 of the secret and the id (checked against Python's ``hmac`` directly), fits its id,
  and every single mistyped symbol is caught; two ids differ, the same id gives the same numbers in a fresh
  process, two secrets give different codes;
* the ranges keep the arithmetic meaningful on thousands of ids, checked with ``solutions`` (independent of
  the kit's draws): no saturated sigmoid, no gradient of the worked example that rounds to zero at four
  decimals, one step changes every weight, the output and the loss visibly (and lowers the loss);
* the secret: created once (0600), never overwritten, refused when malformed or where git would track it;
  the default place is git-ignored; no committed or released file holds it or depends on it;
* the release: the committed instructor notebooks carry the example numbers' literal (no secret needed), a
  misplaced placeholder is a clear error; each student's instructor version differs only in the personal
  literals, which decode to that student's numbers and the reference's values for them;
* ``release --roster``: one notebook per student differing from the common one only in the id and code,
  byte-identical when made again, with no hidden test or solution; ``answers`` prints the values the grader
  embeds.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import re
import stat
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder import nbcells
from autograder.authoring import ReleaseError, release
from autograder.authoring.cases import cases_in, load_cases_module
from autograder.grading.coursedir import GradingError
from autograder.personal import answers, cases as pcases, secret as psecret
from autograder.personal.roster import release_per_student
from autograder.personal.versions import AssignmentPersonal
from course import personal as kit
from solutions import mlp
from solutions.training import gradient_step
from solutions.xor import lecture_params_from_vector

ROOT = nbcells.REPO_ROOT
SECRET = bytes(range(32))
IDS = [f"s{n:07d}" for n in range(3000)]
PERSONALISED = ("02_xor_forward", "04_backprop")


def numbers(assignment, student, secret=SECRET):
    return psecret.student_numbers(secret, assignment, student)


# --------------------------------------------------------------------------- codes
def test_a_code_is_the_hmac_of_the_secret_and_the_id_and_fits_only_that_id():
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    for student in ("alice", "s1234567", "b.smith@uni.example"):
        digest = hmac.new(SECRET, b"backprop-personal-code\0" + student.encode(), hashlib.sha256).digest()
        bits = bin(int.from_bytes(digest, "big"))[2:].zfill(256)[:45]
        body = "".join(alphabet[int(bits[i:i + 5], 2)] for i in range(0, 45, 5))
        code = psecret.student_code(SECRET, student)
        assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code) and code.replace("-", "")[:9] == body
        assert kit.normalise_code(student, code.lower().replace("-", " ")) == code.replace("-", "")
    assert psecret.student_code(SECRET, "alice") != psecret.student_code(bytes(32), "alice")
    # the case of an id does not matter (LMS exports and rosters disagree about it)
    assert psecret.student_code(SECRET, "ALICE") == psecret.student_code(SECRET, "alice")
    assert kit_data(numbers("04_backprop", "Alice")) == kit_data(numbers("04_backprop", "alice"))


def test_every_mistyped_symbol_is_caught_and_a_code_rarely_fits_another_id():
    alphabet = kit.ALPHABET
    for student in IDS[:40]:
        code = psecret.student_code(SECRET, student).replace("-", "")
        for i in range(len(code)):
            for wrong in alphabet:
                if wrong != code[i]:
                    with pytest.raises(ValueError, match="does not fit the student id"):
                        kit.normalise_code(student, code[:i] + wrong + code[i + 1:])
    fits = sum(kit.check_symbol(IDS[k + 1], psecret.student_code(SECRET, IDS[k]).replace("-", "")[:9])
               == psecret.student_code(SECRET, IDS[k])[-1] for k in range(2000))
    assert fits < 2000 / 32 * 1.5  # about one in 32 by chance


def test_messages_name_what_is_wrong():
    code = psecret.student_code(SECRET, "alice")
    for args, message in ((("04_backprop", "alice", ""), "personal code is missing"),
                          (("04_backprop", "", code), "student id is missing"),
                          (("04_backprop", "alice", "12345"), "it has 5 symbols"),
                          (("04_backprop", "alice", code[:-1] + "U"), "cannot occur in it"),
                          (("04_backprop", "bob", code), "does not fit the student id 'bob'"),
                          (("04_backprop", "al ice", code), "does not look like a student id"),
                          (("01_perceptron", "alice", code), "personalised assignments: 02_xor_forward, 04_backprop")):
        with pytest.raises(ValueError, match=re.escape(message)):
            kit.numbers(*args)


def test_two_ids_differ_and_the_same_id_gives_the_same_numbers_anywhere():
    for assignment in PERSONALISED:
        seen = {json.dumps(kit_data(numbers(assignment, s))) for s in IDS[:500]}
        assert len(seen) == 500, f"{assignment}: two of 500 ids share their numbers"
    again = numbers("04_backprop", "alice")
    assert kit_data(again) == kit_data(numbers("04_backprop", "alice"))
    code = psecret.student_code(SECRET, "alice")
    script = (f"import json; from course import personal; n = personal.numbers('04_backprop', 'alice', {code!r}); "
              "print(json.dumps({k: n[k] for k in ('x', 'y', 'w', 'b', 'eta')}))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the kit alone, as in a student's kernel
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd="/", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {k: list(v) if isinstance(v, tuple) else v
                                                               for k, v in kit_data(again).items() if k != "params"}


def kit_data(n):
    return {k: (v.tolist() if isinstance(v, np.ndarray) else {a: b.tolist() for a, b in v.items()}
                if isinstance(v, dict) else v) for k, v in n.items()}


def test_blank_cell_gives_the_example_numbers_and_says_so(capsys):
    example = kit.numbers("04_backprop")
    assert "example numbers" in capsys.readouterr().out
    assert example.example and example.student_id == kit.EXAMPLE_ID
    assert kit_data(example) == kit_data(kit.numbers("04_backprop", kit.EXAMPLE_ID, kit.EXAMPLE_CODE))
    assert "the example numbers" in repr(example) and "w = (" in repr(example)


# --------------------------------------------------------------------------- ranges
def lecture_run(n):
    """Forward pass, the nine gradients and one step of a student's 2-2-1 network, by solutions.mlp."""
    params = lecture_params_from_vector(n["w"], n["b"])
    X, Y = np.array([n["x"]]), np.array([[n["y"]]])
    cache = mlp.forward(params, X, "sigmoid")
    grads = mlp.backward(params, cache, Y, "sigmoid", "half_squared_error")
    new = gradient_step(params, grads, n["eta"])
    return params, cache, grads, new, mlp.forward(new, X, "sigmoid")


def test_the_worked_example_numbers_keep_the_arithmetic_meaningful():
    smallest = np.inf
    for student in IDS:
        n = numbers("04_backprop", student)
        params, cache, grads, new, after = lecture_run(n)
        for key in ("a1", "a2"):  # no saturated sigmoid
            assert np.all((cache[key] > 0.15) & (cache[key] < 0.85)), (student, key, cache[key])
        for key in grads:  # every gradient visible at four decimals, and every weight moves visibly
            assert np.all(np.round(grads[key], 4) != 0), (student, key, grads[key])
            assert np.all(np.round(new[key], 4) != np.round(params[key], 4)), (student, key)
            smallest = min(smallest, float(np.min(np.abs(grads[key]))))
        assert round(after["a2"].item(), 4) != round(cache["a2"].item(), 4), student
        loss = lambda c: 0.5 * (n["y"] - c["a2"].item()) ** 2  # noqa: E731
        assert loss(after) < loss(cache) - 1e-4, (student, loss(cache), loss(after))
    assert smallest < 2e-3  # the bound is near what happens (the ranges are not needlessly narrow)


def test_the_forward_pass_numbers_keep_the_sigmoids_unsaturated():
    activations = set()
    for student in IDS:
        n = numbers("02_xor_forward", student)
        cache = mlp.forward(n["params"], n["X"], n["activations"])
        activations.add(n["activations"][0])
        assert np.all(np.abs(cache["z1"]) <= 1.7) and np.all(np.abs(cache["z2"]) <= 1.7)
        assert np.all((cache["a2"] > 0.15) & (cache["a2"] < 0.85)), (student, cache["a2"])
    assert activations == {"sigmoid", "tanh"}


# --------------------------------------------------------------------------- the secret
def test_the_secret_is_made_once_private_and_never_overwritten(tmp_path):
    path = tmp_path / "course" / "secret"
    err = io.StringIO()
    first = psecret.load_secret(path, err=err)
    assert len(first) == 32 and "created the course secret" in err.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert psecret.load_secret(path, err=io.StringIO()) == first
    path.write_text("not hex\n")
    with pytest.raises(GradingError, match="not 64 hexadecimal digits"):
        psecret.load_secret(path)
    assert path.read_text() == "not hex\n"  # left for the instructor to restore
    with pytest.raises(GradingError, match="no course secret"):
        psecret.load_secret(tmp_path / "elsewhere" / "secret", create=False)


def test_the_secret_is_never_where_git_could_track_it():
    probe = ROOT / "class" / "secret"
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(probe)], timeout=30).returncode
    assert ignored == 0, "class/secret (the default) must be git-ignored"
    with pytest.raises(GradingError, match="could be committed"):
        psecret.load_secret(ROOT / "tests" / "not_ignored_course" / "secret")
    assert not (ROOT / "tests" / "not_ignored_course").exists()


def secret_forms(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(), secret.hex()[:24]]


def test_no_committed_or_released_file_holds_the_secret_or_depends_on_it(tmp_path):
    """The release needs no secret: regenerated in memory it equals the committed files, and no committed file
    (``git ls-files``) holds any class's secret -- here, one made the way the grader makes it."""
    secret = psecret.load_secret(tmp_path / "secret", err=io.StringIO())
    assert release.drift(release.render(PERSONALISED)) == []
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, timeout=60).stdout
    paths = [ROOT / p for p in tracked.decode().split("\0") if p]
    assert not [p for p in paths if p.name == psecret.SECRET_FILE], "a file named like the secret is committed"
    local = ROOT / "class" / "secret"
    forms = secret_forms(secret) + (secret_forms(psecret.load_secret(local, create=False)) if local.exists() else [])
    for path in paths:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            assert not any(form in text for form in forms), f"{path.relative_to(ROOT)} holds a course secret"


# --------------------------------------------------------------------------- release and versions
def instructor(name):
    return nbformat.read(release.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", PERSONALISED)
def test_the_committed_instructor_notebook_carries_the_example_numbers(name):
    template = pcases.personal_template(name, instructor(name))
    module = load_cases_module(name)
    assert template and set(template.functions) == {f for f in module.__all__ if f.startswith("personal_")}
    example = psecret.quiet_numbers(name)
    for cell in template.cells:
        source = next(c.source for c in instructor(name).cells if nbcells.grade_id(c) == cell.grade_id)
        _, found = cases_in(source)
        data = [d for d in found if isinstance(d, dict) and "personal" in d]
        assert data and all(d["student_id"] == kit.EXAMPLE_ID for d in data)
        for d in data:
            want = getattr(module, d["personal"])(example)
            assert release.close_values(d["expected"], want["expected"])
    released = nbformat.read(release.RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
    cell = pcases.identity_cell(released)
    assert cell is not None and f'personal.numbers("{name}", student_id="", code="")' in cell.source


def test_a_misplaced_personal_placeholder_is_a_clear_error():
    with pytest.raises(ReleaseError, match="outside a '### BEGIN HIDDEN TESTS' region"):
        pcases.fill_personal('x = personal_cases("personal_step")', "toy cell 3", "04_backprop",
                             load_cases_module("04_backprop"), {})
    with pytest.raises(ReleaseError, match="has no personal numbers"):
        pcases.fill_personal('### BEGIN HIDDEN TESTS\nx = personal_cases("f")\n### END HIDDEN TESTS', "toy cell 3",
                             "01_perceptron", None, {})


@pytest.mark.parametrize("name", PERSONALISED)
def test_each_student_gets_an_instructor_version_with_their_own_values_only(name):
    nb = instructor(name)
    versions = AssignmentPersonal.of(name, nb, SECRET)
    module = load_cases_module(name)
    by_id = {nbcells.grade_id(c): c.source for c in nb.cells}
    for student in ("alice", "bob"):
        sources = versions.sources(student)
        assert set(sources) == set(versions.cells)
        for gid, (source, checksum) in sources.items():
            rest, found = cases_in(source)
            assert rest == cases_in(by_id[gid])[0]  # only the literal differs from the committed cell
            for data in found:
                assert data["student_id"] == student
                want = getattr(module, data["personal"])(numbers(name, student))
                assert release.close_values(data["expected"], want["expected"], rtol=0, atol=0)
    assert versions.sources("alice") != versions.sources("bob")


def test_a_student_version_costs_milliseconds(tmp_path):
    """Cheap enough to make for a whole class in the grading parent (the benchmark measures the whole run)."""
    import time

    from autograder.grading import coursedir

    prepared = coursedir.prepare_assignment(str(tmp_path / "course"), "04_backprop",
                                            nbcells.sqlite_url(str(tmp_path / "course" / "gradebook.db")))
    versions = AssignmentPersonal.of("04_backprop", instructor("04_backprop"), SECRET)
    versions.gradebook(prepared.template_db, "warm-up")
    t0 = time.perf_counter()
    paths = {versions.gradebook(prepared.template_db, s) for s in IDS[:50]}
    per_student = (time.perf_counter() - t0) / 50
    assert len(paths) == 50 and per_student < 0.25  # generous: a shared machine; typically a few ms
    again = AssignmentPersonal.of("04_backprop", instructor("04_backprop"), SECRET)
    assert again.gradebook(prepared.template_db, IDS[0]) in paths  # cached by content hash


def test_a_remote_worker_makes_the_same_version_from_the_task_alone(tmp_path):
    """``grade --cluster``: the task carries the submitter's cell sources (as JSON); a worker's own template
    gives the same student version, in its own course folder."""
    import shutil

    from autograder.grading import cluster, coursedir
    from autograder.personal.grading import Personaliser
    from autograder.personal.versions import student_gradebook

    course = tmp_path / "course"
    prepared = coursedir.prepare_assignment(str(course), "04_backprop", nbcells.sqlite_url(str(course / "gb.db")))
    (course / "secret").write_text(SECRET.hex() + "\n")
    submission = type("Submission", (), {"student": "alice", "assignment": "04_backprop", "notebook": "x.ipynb"})
    personal = Personaliser(str(course), release.SOURCE_DIR, ["04_backprop"], [submission])
    task = personal.task(prepared.task("alice", str(prepared.release_path), "key"))
    packed = json.loads(json.dumps(cluster.pack_task(task)))
    remote = tmp_path / "remote" / ".autograder"
    remote.mkdir(parents=True)
    shutil.copy(prepared.template_db, remote / "template-04_backprop.db")
    theirs = student_gradebook(str(remote / "template-04_backprop.db"), packed["personal"], name="04_backprop")
    assert os.path.basename(theirs) == os.path.basename(task.template_db)
    assert theirs.startswith(str(tmp_path / "remote"))
    with open(theirs, "rb") as a, open(task.template_db, "rb") as b:
        assert a.read() == b.read()


def test_release_roster_writes_one_notebook_per_student_reproducibly(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student_ID,name\nalice,Alice A\nbob.smith,Bob S\n\n")
    course = tmp_path / "course"
    out = io.StringIO()
    args = (PERSONALISED + ("01_perceptron",), roster, course)
    assert release_per_student(*args, out=out, err=io.StringIO()) == 0
    assert "01_perceptron has no personal numbers" in out.getvalue()
    secret = psecret.load_secret(course / "secret", create=False)
    files = sorted((course / "personal").rglob("*.ipynb"))
    assert [p.name for p in files] == ["alice_02_xor_forward.ipynb", "bob.smith_02_xor_forward.ipynb",
                                       "alice_04_backprop.ipynb", "bob.smith_04_backprop.ipynb"]
    first = {p: p.read_bytes() for p in files}
    assert release_per_student(*args, out=io.StringIO(), err=io.StringIO()) == 0
    assert {p: p.read_bytes() for p in files} == first
    for path in files:
        student, name = path.stem.split("_", 1)
        common = nbformat.read(release.RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
        mine = nbformat.read(path, as_version=4)
        changed = [(a.source, b.source) for a, b in zip(common.cells, mine.cells) if a != b]
        code = psecret.student_code(secret, student)
        assert len(mine.cells) == len(common.cells) and len(changed) == 1
        typed = f'student_id="{student}", code="{code}"'
        assert changed[0][1] == changed[0][0].replace('student_id="", code=""', typed)
        text = path.read_text()
        for marker in (nbcells.HIDDEN_BEGIN, nbcells.SOLUTION_BEGIN, "__ndarray__", "decode_cases", "personal_cases"):
            assert marker not in text
        assert not any(form in text for form in secret_forms(secret))
    codes = (course / "personal" / "codes.csv").read_text()
    assert codes == (f"student_id,personal_code\nalice,{psecret.student_code(secret, 'alice')}\n"
                     f"bob.smith,{psecret.student_code(secret, 'bob.smith')}\n")
    roster.write_text("student_id\nalice\n")  # bob left the class: his notebooks go
    assert release_per_student(*args, out=io.StringIO(), err=io.StringIO()) == 0
    assert sorted(p.name for p in (course / "personal").rglob("*.ipynb")) == ["alice_02_xor_forward.ipynb",
                                                                             "alice_04_backprop.ipynb"]


@pytest.mark.parametrize("text, message", [
    ("student_id\nalice\nalice\n", "line 3: student_id 'alice' is also on line 2"),
    ("student_id\nalice\nbob smith\n", "line 3: student_id 'bob smith' may only hold letters"),
    ("student_id\nalice\nALICE\n", "'alice' and 'ALICE' differ only in case"),
    ("id\nalice\n", "no student_id column"),
])
def test_a_bad_roster_is_named_and_nothing_is_written(tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    err = io.StringIO()
    assert release_per_student(PERSONALISED, roster, tmp_path / "course", out=io.StringIO(), err=err) == 2
    assert message in err.getvalue()
    assert not (tmp_path / "course").exists()


def test_answers_prints_the_values_the_grader_embeds(tmp_path, capsys):
    course = tmp_path / "course"
    assert answers.main(["--student", "alice", "--assignment", "04_backprop", "--course-dir", str(course)]) == 0
    out = capsys.readouterr().out
    secret = psecret.load_secret(course / "secret", create=False)
    n = numbers("04_backprop", "alice", secret)
    _, _, grads, new, _ = lecture_run(n)
    assert f"personal code {psecret.student_code(secret, 'alice')}" in out
    assert f"w1 = {float(grads['W1'][0, 0])!r}" in out and f"b3 = {float(grads['b2'][0])!r}" in out
    assert f"w = [{', '.join(f'{v:g}' for v in n['w'])}]".replace(" ", "") in out.replace(" ", "")
    assert f"{float(new['b2'][0])!r}" in out
    assert answers.main(["--student", "alice", "--assignment", "01_perceptron", "--course-dir", str(course)]) == 2
    assert "has no personalised questions" in capsys.readouterr().err
