"""The assignment notebooks: nbval over the instructor notebooks, and the test helpers' messages.

nbval (``--nbval-lax``: every cell must run without error; outputs are not compared) runs the
instructor notebooks, solutions and hidden tests included, in a kernel whose environment has no
``PYTHONPATH`` -- as when grading, so a notebook that needed ``solutions`` would fail here.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from autograder.authoring import release
from course.assignments import checks

NOTEBOOKS = [release.SOURCE_DIR / n / f"{n}.ipynb" for n in release.ASSIGNMENTS
             if (release.SOURCE_DIR / n / f"{n}.ipynb").exists()]


@pytest.mark.timeout(300)
def test_nbval_lax_over_the_instructor_notebooks(tmp_path):
    assert NOTEBOOKS, "no instructor notebooks: run `python -m autograder release`"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env.setdefault(key, str(tmp_path / key.lower()))
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
           "-p", "no:randomly", "--nbval-cell-timeout=120", "-o", "addopts=", "-o", "filterwarnings=",
           "--rootdir", str(tmp_path), *map(str, NOTEBOOKS)]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280)
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "failed" not in proc.stdout, tail


# --------------------------------------------------------------------------- course.assignments.checks
def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_assert_close_names_the_call_the_input_and_both_values():
    msg = _message(checks.assert_close, np.array([1.0, 2.0, 3.0]), [1.0, 2.0, 4.0], "f(x) on case 2",
                   inputs={"x": np.arange(3.0)})
    assert msg.startswith("f(x) on case 2: wrong value at index (2,)")
    assert "expected 4.0, got 3.0" in msg and "inputs: x = [0. 1. 2.]" in msg


def test_assert_close_rejects_wrong_shapes_none_and_nan():
    assert "wrong shape: expected (3, 2), got (2, 3)" in _message(checks.assert_close, np.ones((2, 3)),
                                                                   np.ones((3, 2)), "h")
    assert "returned None" in _message(checks.assert_close, None, [1.0], "g")
    assert "wrong value" in _message(checks.assert_close, [np.nan], [1.0], "g")
    checks.assert_close([1.0 + 1e-12, np.inf], [1.0, np.inf], "within tolerance")


def test_assert_equal_is_exact_and_typed():
    checks.assert_equal(np.array([0.0, 1.0]), np.array([0.0, 1.0]), "labels")
    assert "expected 1.0, got 0.0" in _message(checks.assert_equal, [0.0, 0.0], np.array([0.0, 1.0]), "labels")
    assert "expected True, got 1" in _message(checks.assert_equal, 1, True, "flag")
    assert "expected None, got 3" in _message(checks.assert_equal, 3, None, "cycle")
    assert "count: expected 3, got" in _message(checks.assert_equal, np.True_, 3, "count")
    checks.assert_equal(np.int64(3), 3, "count")
    checks.assert_equal(3.0, 3, "count")
    checks.assert_equal("relu", "relu", "name")


class _ClaimsToEqualEverything(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class _StrClaimingEquality(str):
    __eq__ = _ClaimsToEqualEverything.__eq__
    __ne__ = _ClaimsToEqualEverything.__ne__
    __hash__ = str.__hash__


def test_assert_equal_is_not_fooled_by_an_object_that_claims_equality():
    liar = _ClaimsToEqualEverything(0)
    assert liar == 3 and not (liar != 3)  # the trick works on a plain comparison...
    for expected in (3, None, np.array([1, 2])):
        assert "expected" in _message(checks.assert_equal, liar, expected, "count")  # ...not on the check
    assert "expected 'relu'" in _message(checks.assert_equal, _StrClaimingEquality("tanh"), "relu", "name")
    assert "wrong value" in _message(checks.assert_close, liar, 3.0, "value")


def test_call_without_warnings_names_the_warning():
    naive_sigmoid = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    msg = _message(checks.call_without_warnings, naive_sigmoid, np.array([-1000.0]), what="sigmoid(z)",
                   inputs={"z": np.array([-1000.0])})
    assert msg.startswith("sigmoid(z): emitted RuntimeWarning: overflow encountered in exp")
    assert checks.call_without_warnings(np.tanh, 0.0) == 0.0


def test_encoded_cases_round_trip_exactly():
    rng = np.random.default_rng(0)
    cases = [{"X": rng.normal(size=(3, 2)), "t": np.array([0, 1, 1]), "ok": True, "k": None, "name": "xor",
              "nested": [np.zeros((0, 4)), 1.5], "zero_d": np.array(2.5)}]
    text = checks.encode_cases(cases)
    back = checks.decode_cases(text)
    assert np.array_equal(back[0]["X"], cases[0]["X"]) and back[0]["X"].dtype == np.float64
    assert back[0]["t"].tolist() == [0, 1, 1] and back[0]["nested"][0].shape == (0, 4)
    assert (back[0]["ok"], back[0]["k"], back[0]["name"], back[0]["nested"][1]) == (True, None, "xor", 1.5)
    assert back[0]["zero_d"].shape == () and back[0]["zero_d"] == 2.5
    assert checks.encode_cases(cases) == text  # deterministic
    with pytest.raises(TypeError, match="cannot encode"):
        checks.encode_cases({"f": print})


@pytest.mark.timeout(300)
def test_a_student_who_completes_the_released_notebooks_passes_every_visible_test(tmp_path):
    """The issue's "done when": take each released student notebook, put the model answers into its solution
    cells (as a student would), and run it top to bottom (no hidden tests, no PYTHONPATH): no cell fails.
    One kernel for all five notebooks (``%reset -f`` between them) keeps this fast."""
    import nbformat
    from nbclient import NotebookClient

    combined = nbformat.v4.new_notebook(metadata={"kernelspec": release.KERNELSPEC})
    for name in release.ASSIGNMENTS:
        student = nbformat.read(release.RELEASE_DIR / name / f"{name}.ipynb", as_version=4)
        instructor = nbformat.read(release.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in instructor.cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        combined.cells.append(nbformat.v4.new_code_cell(f"%reset -f\nprint({name!r})"))
        for cell in student.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            assert "### BEGIN HIDDEN TESTS" not in cell.source
            if cell.cell_type == "code":
                combined.cells.append(nbformat.v4.new_code_cell(answers.get(gid, cell.source),
                                                                metadata={"name": name, "grade_id": gid}))
    saved = {k: os.environ.pop(k) for k in ("PYTHONPATH",) if k in os.environ}
    try:
        client = NotebookClient(combined, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()  # raises CellExecutionError naming the failing cell
    finally:
        os.environ.update(saved)
    visible = [c for c in combined.cells if str(c.metadata.get("grade_id", "")).endswith("_visible")]
    assert len(visible) >= 2 * len(release.ASSIGNMENTS)
    printed = "".join(o.get("text", "") for c in visible for o in c.outputs if o.output_type == "stream")
    assert "predict: the AND unit works" in printed and "test accuracy" in printed
