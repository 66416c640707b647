"""The release: committed student versions are a fresh, leak-free generation of validated sources.

* the committed instructor and student notebooks equal a fresh generation, byte for byte;
* no released file holds solution code, hidden tests or the embedded hidden cases;
* nothing under ``course/`` imports ``solutions``;
* the reference answers pass every visible and hidden test, a blank submission passes none
  (nbgrader's Validator, kernels without ``PYTHONPATH``);
* broken sources give clear errors, and the validation really fails a wrong reference.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder import nbcells
from autograder.authoring import release, stamp
from autograder.authoring.cases import CASES_CALL, CASES_LITERAL, cases_in, wrap_literal
from edition_leaks import instructor_public_text

ROOT = nbcells.REPO_ROOT
NAMES = [n for n in release.ASSIGNMENTS if (release.SOURCE_DIR / n / f"{n}.md").exists()]


@pytest.fixture(scope="module")
def fresh():
    """Every generated file, regenerated in memory (no kernels)."""
    return release.render(NAMES)


def _released_files():
    return [p for p in release.RELEASE_DIR.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


def _released_text():
    return {p: p.read_text(encoding="utf-8") for p in _released_files()}


def _instructor(name):
    return nbformat.read(release.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)


def _regions(source: str, begin: str, end: str) -> list[str]:
    return re.findall(re.escape(begin) + r"(.*?)" + re.escape(end), source, flags=re.S)


def _public_text() -> str:
    return instructor_public_text(tuple(NAMES))


def _distinctive(lines, public: str = "") -> list[str]:
    """Lines long and specific enough that finding one in a student file means a leak."""
    out = []
    for line in lines:
        s = line.strip()
        if len(s) >= 16 and not s.startswith("#") and s not in public:
            out.append(s)
    return out


def test_all_five_assignments_have_sources():
    assert NAMES == list(release.ASSIGNMENTS), f"missing sources: {set(release.ASSIGNMENTS) - set(NAMES)}"


def test_committed_files_equal_a_fresh_generation(fresh):
    assert set(fresh) >= {release.RELEASE_DIR / n / f"{n}.ipynb" for n in NAMES}
    assert release.drift(fresh) == []


def test_generation_is_deterministic(fresh):
    name = NAMES[0]
    again = release.render([name])
    for path, text in again.items():
        assert text == fresh[path], f"{path} differs between two generations"


def test_check_mode_reports_drift(tmp_path, fresh):
    name = NAMES[0]
    student = fresh[release.RELEASE_DIR / name / f"{name}.ipynb"]
    where = {"root": tmp_path, "release_dir": tmp_path / "assignments"}
    copy = tmp_path / "assignments" / name / f"{name}.ipynb"
    copy.parent.mkdir(parents=True)
    files = {copy: student}
    assert release.drift(files, **where) == [f"assignments/{name}/{name}.ipynb (missing)"]
    copy.write_text(student.replace("YOUR CODE HERE", "YOUR CODE HERE!", 1), encoding="utf-8")
    (copy.parent / "stray.txt").write_text("x")
    assert release.drift(files, **where) == [f"assignments/{name}/{name}.ipynb (differs from a fresh generation)",
                                             f"assignments/{name}/stray.txt (not produced by the release)"]
    copy.write_text(student, encoding="utf-8")
    (copy.parent / "stray.txt").unlink()
    assert release.drift(files, **where) == []


def test_check_command_passes_on_the_committed_tree():
    assert release.main(["--check", NAMES[0]]) == 0


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_code_or_hidden_tests_in_released_files(name):
    nb = _instructor(name)
    released = _released_text()
    assert released, "no released files"
    public = _public_text()
    n_solution_lines = n_hidden_lines = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            solution_lines = _distinctive(cell.source.splitlines(), public)
        else:
            solution_lines = _distinctive("\n".join(_regions(cell.source, nbcells.SOLUTION_BEGIN,
                                                             nbcells.SOLUTION_END)).splitlines(), public)
        hidden_lines = _distinctive("\n".join(_regions(cell.source, nbcells.HIDDEN_BEGIN,
                                                       nbcells.HIDDEN_END)).splitlines(), public)
        n_solution_lines += len(solution_lines)
        n_hidden_lines += len(hidden_lines)
        for path, text in released.items():
            for line in solution_lines:
                assert line not in text, f"{path.relative_to(ROOT)} contains solution line {line!r}"
            for line in hidden_lines:
                assert line not in text, f"{path.relative_to(ROOT)} contains hidden-test line {line!r}"
    assert n_solution_lines > 0 and n_hidden_lines > 0  # the scan looked at something
    if name == "01_perceptron":  # ... and at the lines that matter
        lines = _distinctive(_instructor(name).cells[3].source.splitlines(), public)
        assert "scores = w[0] + X @ w[1:]" in lines, lines


@pytest.mark.parametrize("name", NAMES)
def test_no_embedded_cases_in_released_files(name):
    blobs = []
    for cell in _instructor(name).cells:
        if nbcells.HIDDEN_BEGIN not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "decode_cases":
                blobs.append(node.args[0].value)
    arrays = [a for blob in blobs for a in re.findall(r'"__ndarray__":"([A-Za-z0-9+/=]+)"', blob) if len(a) >= 24]
    assert blobs and arrays, "the instructor notebook embeds no hidden cases"
    for path, released in _released_text().items():
        markers = [nbcells.HIDDEN_BEGIN, nbcells.SOLUTION_BEGIN, "hidden_cases(", "BEGIN MARK SCHEME"]
        if path.suffix == ".ipynb":  # checks.py defines the decoder, notebooks must not call it
            markers += ["__ndarray__", CASES_CALL]
        for marker in markers:
            assert marker not in released, f"{path.relative_to(ROOT)} contains {marker!r}"
        for array in arrays:
            assert array[:24] not in released, f"{path.relative_to(ROOT)} contains embedded case data"


def _solutions_imports(source: str) -> list[str]:
    """Import statements (or __import__/import_module calls) of ``solutions`` in Python ``source``
    (docstrings that merely show an example import do not count)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: fall back to a line scan
        return re.findall(r"^\s*(?:from|import)\s+solutions\b.*$", source, flags=re.M)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "solutions"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "solutions":
            found.append(f"from {node.module}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).split(".")[0] == "solutions":
            found.append(f"{ast.unparse(node)}")
    return found


def test_import_scan_finds_real_imports_only():
    assert _solutions_imports("import solutions.mlp as m") == ["solutions.mlp"]
    assert _solutions_imports("def f():\n    from solutions import mlp") == ["from solutions"]
    assert _solutions_imports("importlib.import_module('solutions.xor')") == ["importlib.import_module('solutions.xor')"]
    assert _solutions_imports('"""Example::\n\n    from solutions import mlp\n"""') == []


def test_course_never_imports_solutions():
    scanned = 0
    for path in sorted((ROOT / "course").rglob("*")):
        if path.suffix == ".py":
            sources = [path.read_text(encoding="utf-8")]
        elif path.suffix == ".ipynb":
            sources = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        else:
            continue
        scanned += 1
        for src in sources:
            assert _solutions_imports(src) == [], f"{path.relative_to(ROOT)} imports solutions"
    assert scanned >= len(NAMES) + 2


def test_test_cells_say_what_they_check_and_carry_points():
    for name in NAMES:
        for cell in _instructor(name).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                assert meta["points"] > 0
            if meta.get("grade") and not meta.get("solution"):
                assert re.match(r'\s*(r?"""|#)', cell.source), f"{name}/{meta['grade_id']} lacks a docstring"
                assert meta["locked"] is True


#: what only the instructor knows: the reference package, the lecture decks by number, the hidden cases
INSTRUCTOR_SIDE = re.compile(r"\bsolutions\.\w|`solutions`|\bimport solutions\b|\b[Dd]eck \d|hidden_cases\b")


@pytest.mark.parametrize("name", NAMES)
def test_released_text_names_nothing_instructor_side_and_explains_the_placeholders(name):
    """A student reads the prose, the given code and each test's description (a hidden test's first, released line):
    none names the reference package, a lecture deck or the hidden cases; the empty "Hidden:" cells are explained."""
    nb = nbformat.read(release.RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        found = INSTRUCTOR_SIDE.findall(cell.source)
        assert not found, f"{name}: a student reads {found} in:\n{cell.source[:400]}"
    prose = " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    assert any(c.source.lstrip().startswith('"""Hidden:') for c in nb.cells)
    assert 'A test cell that shows only its description ("Hidden: ...") is a placeholder: the grader puts its hidden ' \
           "test there when it grades, so here it runs and checks nothing." in prose


def test_the_instructor_side_pattern_finds_what_it_should():
    for text in ("the reference (solutions.mlp.backward)", "see `solutions`", "import solutions", "Deck 004 prints",
                 "hidden_cases('x')"):
        assert INSTRUCTOR_SIDE.search(text), text
    for text in ("other correct solutions get full marks", "the reference implementation", "decks"):
        assert not INSTRUCTOR_SIDE.search(text), text


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", NAMES)
def test_reference_passes_every_test_and_a_blank_scores_zero(name, fresh):
    report = release.validate(name, fresh[release.SOURCE_DIR / name / f"{name}.ipynb"],
                              fresh[release.RELEASE_DIR / name / f"{name}.ipynb"], timeout=120)
    assert len(report.graded_cells) >= 5
    assert report.reference_failures == []
    assert report.blank_passes == []


# --------------------------------------------------------------------------- broken sources
HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation: {extension: .md, format_name: myst, format_version: 0.13}
    kernelspec: {display_name: Python 3, language: python, name: python3}
    ---
    """)


def _toy_source(tmp_path, body: str, cases: str = "__all__ = []\n") -> dict:
    """A toy assignment source outside the repository; the folders to pass to the release functions."""
    src, cases_dir = tmp_path / "source", tmp_path / "cases"
    (src / "toy").mkdir(parents=True)
    cases_dir.mkdir()
    (src / "toy" / "toy.md").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    (cases_dir / "toy.py").write_text(textwrap.dedent(cases), encoding="utf-8")
    return {"source_dir": src, "cases_dir": cases_dir}


SOLUTION = textwrap.dedent('''
    ```{code-cell} ipython3
    :nbgrader: {grade: false, grade_id: double, solution: true}

    def double(x):
        ### BEGIN SOLUTION
        return %s
        ### END SOLUTION
    ```
    ''')

CASES = '''
    import numpy as np
    __all__ = ["doubles"]
    def doubles():
        x = np.arange(3.0)
        return {"x": x, "expected": 2 * x}
    '''


def _test_cell(grade_id, body, points=1):
    return ("\n```{code-cell} ipython3\n:nbgrader: {grade: true, grade_id: %s, points: %d}\n\n%s\n```\n"
            % (grade_id, points, textwrap.dedent(body).strip()))


@pytest.mark.parametrize("body, cases, message", [
    (SOLUTION % "2 * x" + _test_cell("t", '"""checks"""\nc = hidden_cases("doubles")'), CASES,
     "outside a '### BEGIN HIDDEN TESTS' region"),
    (SOLUTION % "2 * x" + _test_cell("t", '"""checks"""\n### BEGIN HIDDEN TESTS\nc = hidden_cases("nope")\n'
                                          '### END HIDDEN TESTS'), CASES, "no function 'nope'"),
    (SOLUTION % "2 * x" + _test_cell("t", "assert double(1) == 2"), "__all__ = []\n", "must start with a docstring"),
    (SOLUTION % "2 * x" + _test_cell("t", '"""a"""\nassert double(1) == 2', 0), "__all__ = []\n", "points > 0"),
    (SOLUTION % "2 * x" + _test_cell("double", '"""a"""\nassert double(1) == 2'), "__all__ = []\n",
     "duplicate grade_id 'double'"),
    (SOLUTION % "2 * x" + _test_cell("t", '"""a"""\nassert double(1) == 2'), CASES,
     "case functions never used by toy.md: doubles"),
])
def test_broken_sources_give_clear_errors(tmp_path, body, cases, message):
    folders = _toy_source(tmp_path, body, cases)
    with pytest.raises(release.ReleaseError, match=re.escape(message)):
        release.build_instructor_notebook("toy", **folders)


def test_unknown_assignment_is_named(capsys):
    with pytest.raises(SystemExit):
        release.main(["06_nope"])
    assert "unknown assignment(s) 06_nope" in capsys.readouterr().err


@pytest.mark.timeout(180)
def test_validation_fails_a_wrong_reference_and_a_test_a_blank_passes(tmp_path):
    """The validator is not vacuous: a wrong answer fails the hidden test, a test that cannot fail is named."""
    body = (SOLUTION % "3 * x"
            + _test_cell("t_hidden", '''
                """Hidden: double matches the reference on 3 inputs."""
                from course.assignments import checks as _checks
                ### BEGIN HIDDEN TESTS
                _c = hidden_cases("doubles")
                _checks.assert_close(double(_c["x"]), _c["expected"], "double(x)", inputs={"x": _c["x"]})
                ### END HIDDEN TESTS''')
            + _test_cell("t_vacuous", '"""Passes for anyone."""\nassert True'))
    folders = _toy_source(tmp_path, body, CASES)
    instructor = release.notebook_text(release.build_instructor_notebook("toy", **folders))
    student = release.generate_student_text("toy", instructor)
    assert "hidden_cases" not in student and "__ndarray__" not in student
    report = release.validate("toy", instructor, student, timeout=60)
    assert not report.ok
    assert len(report.reference_failures) == 1
    error = report.reference_failures[0]["error"]
    assert "double(x)" in error and "expected" in error and "got" in error
    assert report.blank_passes == ['"""Passes for anyone."""']


def test_release_stamp_notices_every_input_and_every_output_change(tmp_path):
    """``release`` skips an assignment only while its inputs hash the same and its generated files are as written."""
    folders = _toy_source(tmp_path, SOLUTION % "2 * x" + _test_cell("t", '"""a"""\nassert double(1) == 2'), CASES)
    md, cases_py = folders["source_dir"] / "toy" / "toy.md", folders["cases_dir"] / "toy.py"
    shared = stamp.shared_digest()
    digest = stamp.inputs_digest("toy", shared, **folders)
    (folders["source_dir"] / "toy" / "toy.ipynb").write_text("generated")  # an output, not an input
    assert stamp.inputs_digest("toy", shared, **folders) == digest
    for path in (md, cases_py):
        original = path.read_text()
        path.write_text(original + "\n")
        assert stamp.inputs_digest("toy", shared, **folders) != digest, path.name
        path.write_text(original)
    (folders["source_dir"] / "toy" / "data.csv").write_text("x\n1\n")  # a data file shipped with it
    assert stamp.inputs_digest("toy", shared, **folders) != digest
    assert stamp.inputs_digest("toy", shared + "changed", **folders) != stamp.inputs_digest("toy", shared, **folders)
    code = tmp_path / "code"
    (code / "pkg").mkdir(parents=True)
    (code / "pkg" / "formula.py").write_text("def f(x):\n    return 2 * x\n")
    before = stamp.shared_digest((code,))
    (code / "pkg" / "formula.py").write_text("def f(x):\n    return 3 * x\n")
    assert stamp.shared_digest((code,)) != before

    out = tmp_path / "out" / "toy.ipynb"
    out.parent.mkdir()
    out.write_text("student version")
    record = stamp.Stamp(tmp_path / "stamp.json", root=tmp_path)
    record.record("toy", "inputs-1", [out], validated=False)
    record.save()
    again = stamp.Stamp(tmp_path / "stamp.json", root=tmp_path)
    assert again.current("toy", "inputs-1", validated=False)
    assert not again.current("toy", "inputs-1", validated=True)   # never validated: validate now
    assert not again.current("toy", "inputs-2", validated=False)  # an input changed
    out.write_text("edited by hand")
    assert not again.current("toy", "inputs-1", validated=False)  # an output changed
    out.unlink()
    assert not again.current("toy", "inputs-1", validated=False)
    assert not again.current("other", "inputs-1", validated=False)


# --------------------------------------------------------------------------- the release command in a fresh copy
def _repository_copy(tmp_path):
    """What a fresh clone has for the release: the packages and the committed notebooks, no ``_build/`` (no stamp)."""
    copy = tmp_path / "repo"
    for folder in ("autograder", "course", "solutions"):
        shutil.copytree(ROOT / folder, copy / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    return copy


def _kernel_spy(tmp_path):
    """A ``python3`` kernelspec, found first through ``JUPYTER_PATH``, that notes every kernel start in a log."""
    log, spec = tmp_path / "kernel-starts.log", tmp_path / "jupyter-path" / "kernels" / "python3"
    spec.mkdir(parents=True)
    code = (f"open({str(log)!r}, 'a').write('start\\n'); "
            "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", code, "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    return log


def _generated(copy):
    return {p: p.read_bytes() for p in sorted((copy / "autograder" / "source").rglob("*.ipynb"))
            + sorted((copy / "course" / "assignments").rglob("*.ipynb"))}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_fresh_copy_releases_without_kernels_and_validates_what_it_regenerates(tmp_path):
    """``make book`` in a fresh clone: the committed notebooks equal a fresh generation, so the release writes
    nothing and starts no kernel; ``--validate`` validates all the same; a changed source is regenerated and
    validated, and only that assignment."""
    copy, log = _repository_copy(tmp_path), _kernel_spy(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(copy), "JUPYTER_PATH": str(tmp_path / "jupyter-path"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}

    def run(*args):
        proc = subprocess.run([sys.executable, "-m", "autograder", "release", *args], cwd=copy, env=env,
                              capture_output=True, text=True, timeout=400)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "WARNING" not in proc.stderr, proc.stderr      # e.g. ipykernel's "running over TCP without encryption"
        return proc.stdout

    def kernels_started():
        return log.read_text().count("start") if log.exists() else 0

    committed = _generated(copy)
    out = run()
    assert "the committed notebooks equal a fresh generation, nothing to write" in out and "validated" not in out
    assert kernels_started() == 0 and _generated(copy) == committed
    assert "nothing changed since the last release" in run()

    name = NAMES[1]
    out = run(name, "--validate")
    assert re.search(rf"^{name}: \d+ autograded cells, validated in", out, re.M), out
    assert kernels_started() == 2                     # the reference and the blank version
    assert "nothing changed since the last release" in run(name, "--validate")

    md = copy / "autograder" / "source" / name / f"{name}.md"
    text = md.read_text(encoding="utf-8")
    heading = re.search(r"^# .*$", text, re.M).group(0)           # the title, in the first (prose) cell
    md.write_text(text.replace(heading, heading + "\n\nA sentence added after the release.", 1), encoding="utf-8")
    out = run()
    assert f"regenerated {name}\n" in out and re.search(rf"^{name}: \d+ autograded cells, validated in", out, re.M)
    assert kernels_started() == 4
    changed = {p for p, data in _generated(copy).items() if committed[p] != data}
    assert changed == {copy / "autograder" / "source" / name / f"{name}.ipynb",
                       copy / "course" / "assignments" / name / f"{name}.ipynb"}
    assert all("A sentence added after the release." in p.read_text(encoding="utf-8") for p in changed)


# --------------------------------------------------------------------------- secrecy while grading
def test_nbgrader_copies_no_instructor_file_into_a_grading_folder():
    """nbgrader's autograde copies every non-ignored, non-notebook file of source/NAME next to the student's
    notebook; with autograder/nbgrader_config.py that is nothing (the MyST source holds the solutions)."""
    from nbgrader import utils

    cfg = nbcells.nbgrader_config(ROOT / "class-unused")
    ignore = list(cfg.CourseDirectory.ignore)
    assert "*.md" in ignore
    for name in NAMES:
        folder = release.SOURCE_DIR / name
        assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [f"{name}.ipynb", f"{name}.md"]
        assert utils.find_all_files(str(folder), ignore + ["*.ipynb"]) == []


def test_solutions_is_not_importable_without_the_repository_on_the_path(tmp_path):
    """What a grading kernel sees: the venv's interpreter, no PYTHONPATH, a scratch working folder."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import importlib.util, course.assignments.checks; "
            "print(importlib.util.find_spec('solutions'), importlib.util.find_spec('autograder'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["None", "None"]


def _perturb_first_case(text: str, change) -> str:
    """The instructor notebook ``text`` with ``change(array)`` applied to the first array of its first hidden case."""
    import numpy as np

    from course.assignments.checks import encode_cases

    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        _, found = cases_in(cell.source)
        if found:
            first = found[0][0] if isinstance(found[0], list) else found[0]
            key = next(k for k, v in first.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size)
            first[key] = change(first[key])
            cell.source = CASES_LITERAL.sub(lambda m: wrap_literal(encode_cases(found[0]), ""), cell.source, count=1)
            return release.notebook_text(nb)
    raise AssertionError("no hidden cases found")


@pytest.mark.parametrize("name", NAMES)
def test_instructor_drift_tolerates_last_bit_rounding_only(name):
    """Another CPU may round numpy's exp/tanh/matmul differently in the last bit: that is no drift, a real change is."""
    import numpy as np

    text = (release.SOURCE_DIR / name / f"{name}.ipynb").read_text(encoding="utf-8")
    assert release.same_up_to_rounding(text, text)
    last_bit = _perturb_first_case(text, lambda a: np.nextafter(a, np.inf))
    assert last_bit != text and release.same_up_to_rounding(text, last_bit)
    real = _perturb_first_case(text, lambda a: a * 1.001 + 1e-3)
    assert not release.same_up_to_rounding(text, real)
    assert not release.same_up_to_rounding(text, text.replace("Hidden", "Hiden", 1))


@pytest.mark.parametrize("name", NAMES)
def test_points_announced_in_each_heading_are_the_points_its_cells_carry(name):
    """"## Question 2 -- ... (4 points)" must equal the sum of the points of the graded cells under it."""
    announced, carried, current = {}, {}, None
    for cell in _instructor(name).cells:
        heading = re.match(r"##\s+(Question \d+)\b.*?\((\d+) points?", cell.source) if cell.cell_type == "markdown" else None
        if heading:
            current = heading.group(1)
            announced[current] = int(heading.group(2))
            carried[current] = 0
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert current is not None, f"{name}: graded cell {meta['grade_id']} before the first question"
            carried[current] += meta["points"]
    assert announced and announced == carried


@pytest.mark.timeout(180)
def test_student_version_equals_what_nbgrader_generate_assignment_makes(tmp_path, monkeypatch):
    """The release applies nbgrader's generate_assignment preprocessors in-process (no gradebook); the full
    command, with its gradebook, gives the same student notebook."""
    import os
    import sys

    from nbgrader.apps import NbGraderAPI

    import nbgrader
    import nbgrader.api
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    # nbgrader asks the `alembic` command for the schema head on every gradebook it opens (seconds each):
    # the same answer from alembic's API, once.
    alembic_cfg = AlembicConfig()
    alembic_cfg.set_main_option("script_location", os.path.join(os.path.dirname(nbgrader.__file__), "alembic"))
    head = ScriptDirectory.from_config(alembic_cfg).get_current_head()
    monkeypatch.setattr(nbgrader.api, "get_alembic_version", lambda: head)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    name = NAMES[0]
    (tmp_path / "source" / name).mkdir(parents=True)
    shutil.copy(release.SOURCE_DIR / name / f"{name}.ipynb", tmp_path / "source" / name / f"{name}.ipynb")
    api = NbGraderAPI(config=nbcells.nbgrader_config(tmp_path))
    result = api.generate_assignment(name, force=True, create=True)
    assert result["success"], result.get("log")
    theirs = nbformat.read(tmp_path / "release" / name / f"{name}.ipynb", as_version=4)
    ours = nbformat.read(release.RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.id, c.source, c.metadata) for c in theirs.cells] == \
           [(c.cell_type, c.id, c.source, c.metadata) for c in ours.cells]
