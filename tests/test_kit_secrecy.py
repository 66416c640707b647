"""The student kit holds no graded answer: no public name of ``course`` is a graded function's name, and
no public function of ``course`` reproduces a graded function's hidden-case outputs."""
import importlib
import inspect
import pkgutil
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import course

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "autograder" / "source").glob("0*/0*.md"))


def graded_names() -> dict:
    """Every name a solution cell of an assignment source defines at top level -> its assignment."""
    names = {}
    for md in SOURCES:
        text = md.read_text(encoding="utf-8")
        for meta, body in re.findall(r"```\{code-cell\}[^\n]*\n:nbgrader: \{([^}]*)\}\n(.*?)```", text, re.S):
            if "solution: true" not in meta:
                continue
            for fn, var in re.findall(r"^def (\w+)|^(\w+)\s*=", body, re.M):
                names[fn or var] = md.stem
    return names


def public_functions() -> dict:
    """``{qualified name: function}`` for every public module-level function of every ``course`` module."""
    found = {}
    for info in pkgutil.walk_packages(course.__path__, "course."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not callable(obj):
                continue
            found[f"{info.name}.{name}"] = obj
    return found


def test_the_assignment_sources_are_read():
    names = graded_names()
    assert {"predict", "rosenblatt_update", "dense_layer", "forward", "sigmoid_grad", "softmax", "chain_rule_221",
            "backward", "gradient_step", "train_minibatch"} <= set(names)


def test_no_public_name_in_the_kit_is_a_graded_function():
    graded = graded_names()
    clashes = sorted(f"{q} (graded in {graded[q.rsplit('.', 1)[1]]})" for q in public_functions()
                     if q.rsplit(".", 1)[1] in graded)
    assert not clashes, f"the kit gives these graded answers away: {clashes}"


def _hidden(assignment, case_fn):
    return getattr(importlib.import_module(f"autograder.hidden_cases.{assignment}"), case_fn)()[:3]


# graded function -> (its hidden cases, the call's arguments, the expected output), per case
GRADED_CALLS = {
    "predict": ("01_perceptron", "predict_random", lambda c: (c["w"], c["X"]), lambda c: c["expected"]),
    "rosenblatt_update": ("01_perceptron", "update_random", lambda c: (c["w"], c["x"], c["t"], c["lr"]),
                          lambda c: c["expected"]),
    "dense_layer": ("02_xor_forward", "dense_random", lambda c: (c["X"], c["W"], c["b"], c["activation"]),
                    lambda c: (c["z"], c["a"])),
    "forward": ("02_xor_forward", "forward_random", lambda c: (c["params"], c["X"], c["activations"]),
                lambda c: c["cache"]),
    "sigmoid": ("03_activations", "sigmoid_random", lambda c: (c["z"],), lambda c: c["sigmoid"]),
    "sigmoid_grad": ("03_activations", "sigmoid_random", lambda c: (c["z"],), lambda c: c["sigmoid_grad"]),
    "relu_grad": ("03_activations", "rectifier_random", lambda c: (c["z"],), lambda c: c["relu_grad"]),
    "softmax": ("03_activations", "softmax_random", lambda c: (c["z"],), lambda c: c["softmax"]),
    "chain_rule_221": ("04_backprop", "chain_rule_random", lambda c: (tuple(c["x"]), c["y"], tuple(c["w"]),
                                                                      tuple(c["b"])), lambda c: c["expected"]),
    "backward": ("04_backprop", "backward_random", lambda c: (c["params"], c["cache"], c["Y"], c["activations"]),
                 lambda c: c["grads"]),
    "gradient_step": ("04_backprop", "step_random", lambda c: (c["params"], c["grads"], c["lr"]),
                      lambda c: c["expected"]),
}


def _same(got, expected) -> bool:
    try:
        if isinstance(expected, dict):
            return isinstance(got, dict) and all(k in got and _same(got[k], v) for k, v in expected.items())
        if isinstance(expected, tuple):
            return isinstance(got, tuple) and len(got) == len(expected) and all(map(_same, got, expected))
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=1e-6, atol=1e-9))
    except Exception:  # noqa: BLE001 -- anything that is not the expected output is not a match
        return False


def _copy(args):
    return tuple({k: np.array(v) for k, v in a.items()} if isinstance(a, dict) else np.array(a)
                 if isinstance(a, np.ndarray) else a for a in args)


def test_the_oracle_recognises_a_graded_answer():
    """The check below is not vacuous: the reference step itself is recognised as assignment 04's question 3."""
    from solutions.training import gradient_step

    _, case_fn, args, expected = GRADED_CALLS["gradient_step"][0], *GRADED_CALLS["gradient_step"][1:]
    cases = _hidden("04_backprop", case_fn)
    assert all(_same(gradient_step(*_copy(args(c))), expected(c)) for c in cases)


@pytest.mark.parametrize("graded", sorted(GRADED_CALLS))
def test_no_public_function_of_the_kit_reproduces_hidden_outputs(graded):
    assignment, case_fn, args, expected = GRADED_CALLS[graded]
    cases = _hidden(assignment, case_fn)
    reproduces = []
    for qualified, fn in public_functions().items():
        if inspect.isclass(fn):
            continue
        hits = 0
        for c in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    got = fn(*_copy(args(c)))
                except Exception:  # noqa: BLE001 -- a function that cannot take these inputs gives nothing away
                    break
            hits += _same(got, expected(c))
        if hits == len(cases):
            reproduces.append(qualified)
    assert not reproduces, f"these kit functions reproduce the graded {graded}: {reproduces}"
