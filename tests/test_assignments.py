"""The assignment notebooks: nbval over the instructor notebooks, and the test helpers' messages.

nbval (``--nbval-lax``: every cell must run without error; outputs are not compared) runs the
instructor notebooks, solutions and hidden tests included, in a kernel whose environment has no
``PYTHONPATH`` -- as when grading, so a notebook that needed ``solutions`` would fail here.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def test_assert_close_lists_every_wrong_entry_up_to_the_limit():
    msg = _message(checks.assert_close, np.zeros(3), [1.0, 0.0, 2.0], "f(x)")
    assert "(2 of 3 entries differ)" in msg
    assert "at index (0,): expected 1.0, got 0.0" in msg and "at index (2,): expected 2.0, got 0.0" in msg
    msg = _message(checks.assert_close, np.zeros(15), np.ones(15), "g(x)")
    assert msg.count("at index") == checks.LIMIT + 1 and "... and 5 more" in msg  # the first, then the list


def test_assert_close_dict_names_every_wrong_key_with_expected_and_got():
    expected = {f"w{k}": float(k) for k in range(1, 10)}
    msg = _message(checks.assert_close_dict, {k: -1.0 for k in expected}, expected, "chain_rule_221(x, y, w, b)",
                   inputs={"x": (0.05, 0.1)}, label=lambda k: f"dE/d{k}")
    assert msg.startswith("chain_rule_221(x, y, w, b): 9 of 9 values are wrong:")
    for k, v in expected.items():
        assert f"dE/d{k}: expected {v!r}, got -1.0" in msg
    assert "inputs: x = (0.05, 0.1)" in msg


@pytest.mark.parametrize("got, words", [
    (None, "returned None (is a `return` statement missing?); it must return a dict with the keys W1, b1"),
    ([0.0], "returned a list; it must return a dict with the keys W1, b1"),
    ({"W1": np.zeros((2, 2))}, "the result has no key 'b1' (it must have the keys W1, b1; it has W1)"),
    ({"W1": np.zeros((2, 2)), "b1": None}, "['b1']: expected [0. 0.], got None (a number or array is needed)"),
    ({"W1": np.zeros((2, 3)), "b1": np.zeros(2)}, "['W1']: wrong shape, expected (2, 2), got (2, 3)"),
])
def test_assert_close_dict_gives_plain_word_hints(got, words):
    expected = {"W1": np.zeros((2, 2)), "b1": np.zeros(2)}
    assert words in _message(checks.assert_close_dict, got, expected, "backward(params, cache, Y, activations)")


def test_gradient_check_report_names_each_entry_with_expected_and_got():
    from course.core.numerics import GradientCheck

    gc = GradientCheck.compare({"W1": np.array([[1.0, 2.0]])}, {"W1": np.array([[1.0, 3.0]])}, tol=1e-4)
    report = gc.report()
    assert report.startswith("1 gradient entry disagree") and "W1[0, 1]: expected (finite differences) 3" in report
    assert "got 2" in report and "W1[0, 0]" not in report


# --------------------------------------------------------------------------- visible tests are independent
_CELL = re.compile(r"^(```\{code-cell\}[^\n]*\n(?::nbgrader: \{([^}]*)\}\n)?(.*?)^```)|^(## .*)$", re.S | re.M)


def _questions(md: Path):
    """``[(heading, [(meta, source), ...]), ...]``: the code cells of an assignment source, by question."""
    out = [("given", [])]
    for m in _CELL.finditer(md.read_text(encoding="utf-8")):
        if m.group(4):
            out.append((m.group(4), []))
        else:
            out[-1][1].append((m.group(2) or "", m.group(3)))
    return out


def _blank(source: str) -> str:
    return re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()", source, flags=re.S)


@pytest.mark.parametrize("name", ["01_perceptron", "02_xor_forward", "03_activations", "04_backprop"])
def test_each_visible_test_passes_with_only_its_own_question_answered(name):
    """A blank or wrong answer to one question never fails another question's visible test."""
    md = release.SOURCE_DIR / name / f"{name}.md"
    questions = _questions(md)
    failures = []
    for k, (heading, cells) in enumerate(questions):
        visible = [src for meta, src in cells if "grade: true" in meta and "BEGIN HIDDEN TESTS" not in src]
        if not visible:
            continue
        ns = {"__name__": "__main__"}
        for j, (_, others) in enumerate(questions):
            for meta, src in others:
                if "locked: true" in meta:
                    exec(compile(src, f"{name}:given", "exec"), ns)  # noqa: S102
                elif "solution: true" in meta:
                    exec(compile(src if j == k else _blank(src), f"{name}:{heading}", "exec"), ns)  # noqa: S102
        for src in visible:
            try:
                exec(compile(src, f"{name}:{heading}:visible", "exec"), ns)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 -- collected and reported below
                failures.append(f"{heading}: {type(exc).__name__}: {str(exc)[:200]}")
    assert not failures, "\n".join(failures)
