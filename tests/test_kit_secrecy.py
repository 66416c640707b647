"""The student kit holds no graded answer: no public name of ``course`` is a graded function's name, and
no public function of ``course`` reproduces a graded function's hidden-case outputs."""
import ast
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


def _solution_cells(md: Path) -> list[str]:
    text = md.read_text(encoding="utf-8")
    return [body for meta, body in re.findall(r"```\{code-cell\}[^\n]*\n:nbgrader: \{([^}]*)\}\n(.*?)```", text, re.S)
            if "solution: true" in meta]


def graded_names() -> dict:
    """Every name a solution cell of an assignment source defines at top level -> its assignment."""
    names = {}
    for md in SOURCES:
        for body in _solution_cells(md):
            for fn, var in re.findall(r"^(?:def|class) (\w+)|^(\w+)\s*=", body, re.M):
                names[fn or var] = md.stem
    return names


def graded_callables() -> set:
    """``"assignment.name"`` for every function and class a solution cell defines at top level."""
    return {f"{md.stem}.{node.name}" for md in SOURCES for body in _solution_cells(md)
            for node in ast.parse(body).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


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
            "backward", "gradient_step", "train_minibatch", "Value", "engine_gradients", "cross_entropy", "adam_step",
            "train_digits"} <= set(names)
    assert {f"0{k}_" for k in range(1, 8)} <= {a[:3] for a in set(names.values())}


def test_no_public_name_in_the_kit_is_a_graded_function():
    graded = graded_names()
    clashes = sorted(f"{q} (graded in {graded[q.rsplit('.', 1)[1]]})" for q in public_functions()
                     if q.rsplit(".", 1)[1] in graded)
    assert not clashes, f"the kit gives these graded answers away: {clashes}"


def _hidden(assignment, case_fn):
    """The first three hidden cases ``case_fn`` of ``assignment`` (``"name:key"``: those that have ``key``)."""
    case_fn, _, key = case_fn.partition(":")
    cases = getattr(importlib.import_module(f"autograder.hidden_cases.{assignment}"), case_fn)()
    return [c for c in cases if not key or key in c][:3]


def _quadratic_run(c):
    """05's loop on the quadratic E(w) = mean |w - x_i|^2 / 2 (the hidden cases with a reference path)."""
    X = c["X"]
    grad = lambda p, Xb, Yb: {"w": p["w"] - np.asarray(Xb, float).mean(axis=0)}             # noqa: E731
    loss = lambda p, X_, Y_: float(0.5 * np.mean(np.sum((np.asarray(X_) - p["w"]) ** 2, axis=1)))  # noqa: E731
    return ({"w": c["w0"].copy()}, X, np.zeros((len(X), 1)), grad, loss, c["lr"], int(c["epochs"]),
            int(c["batch_size"]), int(c["seed"]))


def _quadratic_path(c):
    loss = lambda w: float(0.5 * np.mean(np.sum((c["X"] - w) ** 2, axis=1)))  # noqa: E731
    return {"w": c["expected_path"][-1]}, np.array([loss(w) for w in c["expected_path"]])


def _graph(c):
    """06's random expression graph ``c``, built with the reference engine's nodes (all grads 0): the root."""
    module = importlib.import_module("autograder.hidden_cases.06_autograd")
    nodes = module._run([tuple(step) for step in c["program"]], c["inputs"])
    c["_inputs"] = nodes[:3]
    return (nodes[-1],)


def _adam_first_step(c):
    return ({k: v.copy() for k, v in c["params"].items()}, c["grads"][0], {}, c["lr"], c["beta1"], c["beta2"], c["eps"])


# "assignment.function" -> (its hidden cases, the call's arguments, the expected output, [what to compare: a function
# of the case and the call's result; default: the result]), per case
GRADED_CALLS = {
    "01_perceptron.predict": ("predict_random", lambda c: (c["w"], c["X"]), lambda c: c["expected"]),
    "01_perceptron.rosenblatt_update": ("update_random", lambda c: (c["w"], c["x"], c["t"], c["lr"]),
                                        lambda c: c["expected"]),
    "01_perceptron.train": ("train_separable", lambda c: (c["X"], c["t"], c["w0"], c["lr"], c["max_epochs"]),
                            lambda c: (c["w"], float(c["converged"]), c["mistakes_per_epoch"]),
                            lambda c, got: (got[0], float(got[1]), got[2]) if isinstance(got, tuple) else got),
    "01_perceptron.detect_cycle": ("cycle_cases", lambda c: (c["X"], c["t"]), lambda c: c["expected"]),
    "02_xor_forward.dense_layer": ("dense_random", lambda c: (c["X"], c["W"], c["b"], c["activation"]),
                                   lambda c: (c["z"], c["a"])),
    "02_xor_forward.forward": ("forward_random", lambda c: (c["params"], c["X"], c["activations"]), lambda c: c["cache"]),
    **{f"03_activations.{f}": (cases, lambda c: (c["z"],), lambda c, f=f: c[f])
       for cases, names in (("sigmoid_random", ("sigmoid", "sigmoid_grad")),
                            ("rectifier_random", ("tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu",
                                                  "leaky_relu_grad", "elu", "elu_grad", "softplus", "softplus_grad")),
                            ("softmax_random", ("softmax", "log_softmax")))
       for f in names},
    "04_backprop.chain_rule_221": ("chain_rule_random", lambda c: (tuple(c["x"]), c["y"], tuple(c["w"]), tuple(c["b"])),
                                   lambda c: c["expected"]),
    "04_backprop.backward": ("backward_random", lambda c: (c["params"], c["cache"], c["Y"], c["activations"]),
                             lambda c: c["grads"]),
    "04_backprop.gradient_step": ("step_random", lambda c: (c["params"], c["grads"], c["lr"]), lambda c: c["expected"]),
    "05_training.train_minibatch": ("quadratic_cases:expected_path", _quadratic_run, _quadratic_path),
    "05_training.backward": ("backward_cases", lambda c: (c["params"], c["cache"], c["Y"], c["activations"]),
                             lambda c: c["grads"]),
    "06_autograd.backward": ("random_graphs", _graph, lambda c: c["grads"],
                             lambda c, got: [node.grad for node in c["_inputs"]]),
    "06_autograd.engine_gradients": ("mlp_cases", lambda c: (c["params"], c["X"], c["Y"], c["activations"]),
                                     lambda c: (c["loss"], c["grads"])),
    "07_digits.softmax": ("softmax_cases", lambda c: (c["Z"],), lambda c: c["softmax"]),
    "07_digits.cross_entropy": ("softmax_cases", lambda c: (c["Z"], c["T"]), lambda c: c["cross_entropy"]),
    "07_digits.forward": ("network_cases", lambda c: (c["params"], c["X"]), lambda c: c["cache"]),
    "07_digits.backward": ("network_cases", lambda c: (c["params"], c["cache"], c["T"]), lambda c: c["grads"]),
    "07_digits.adam_step": ("adam_cases", _adam_first_step, lambda c: c["expected"][0]),
}

#: graded functions and classes no kit function could be called in place of, and why
NOT_REPLAYED = {
    "05_training.grad_fn": "a helper of the student's own training run in question 3 (graded by accuracy)",
    "05_training.loss_fn": "a helper of the student's own training run in question 3 (graded by accuracy)",
    "06_autograd.Value": "a class (the name check covers it; its operations are methods, graded through it)",
    "07_digits.train_digits": "graded by the accuracy of a network it trains, not by outputs a kit function could give",
}


def test_every_graded_function_of_the_sources_is_replayed_against_the_kit():
    """The table above is complete: a new graded function in an assignment source must be added to it."""
    graded = graded_callables()
    assert "07_digits.adam_step" in graded and "06_autograd.Value" in graded
    assert graded - set(NOT_REPLAYED) == set(GRADED_CALLS), (
        f"missing from GRADED_CALLS: {sorted(graded - set(NOT_REPLAYED) - set(GRADED_CALLS))}; "
        f"not graded any more: {sorted(set(GRADED_CALLS) - graded)}")


def _same(got, expected) -> bool:
    try:
        if expected is None:
            return got is None
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


def _call(graded, c, fn):
    entry = GRADED_CALLS[graded]
    args, observe = entry[1], entry[3] if len(entry) > 3 else (lambda c, got: got)
    return observe(c, fn(*_copy(args(c))))


def _references() -> dict:
    """``"assignment.function"`` -> the reference implementation of that graded function, called as a student's is."""
    from solutions import activations as act
    from solutions import losses, mlp, perceptron
    from solutions.autograd import Value
    from solutions.optimizers import Adam
    from solutions.training import gradient_step

    def train(X, t, w0, lr, max_epochs):
        result = perceptron.train(X, t, w0, lr, max_epochs)
        return result.w, result.converged, result.mistakes_per_epoch

    def detect_cycle(X, t):
        result = perceptron.train(X, t, max_epochs=200, stop_on_cycle=True)
        return None if result.converged else int(result.cycle_length)

    def dense_layer(X, W, b, name):
        cache = mlp.forward({"W1": W, "b1": b}, X, name)
        return cache["z1"], cache["a1"]

    def chain_rule_221(x, y, w, b):
        return importlib.import_module("autograder.hidden_cases.04_backprop")._lecture_grads(
            np.asarray(w, float), np.asarray(b, float), x, y)

    def train_minibatch(params, X, Y, grad_fn, loss_fn, lr, epochs, batch_size, seed):
        rng, params, losses_ = np.random.default_rng(seed), {k: v.copy() for k, v in params.items()}, []
        losses_.append(loss_fn(params, X, Y))
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                grads = grad_fn(params, X[order[start:start + batch_size]], Y[order[start:start + batch_size]])
                params = {k: v - lr * grads[k] for k, v in params.items()}
            losses_.append(loss_fn(params, X, Y))
        return params, np.array(losses_)

    def digits_activations(params):
        return ["relu"] * (len(params) // 2 - 1) + ["softmax"]

    def adam_step(params, grads, state, lr, beta1, beta2, eps):
        new = {k: v.copy() for k, v in params.items()}
        Adam(lr, beta1, beta2, eps).step(new, grads)
        return new

    return {
        "01_perceptron.predict": perceptron.predict, "01_perceptron.rosenblatt_update": perceptron.rosenblatt_update,
        "01_perceptron.train": train, "01_perceptron.detect_cycle": detect_cycle,
        "02_xor_forward.dense_layer": dense_layer, "02_xor_forward.forward": mlp.forward,
        **{key: getattr(act, key.split(".")[1]) for key in GRADED_CALLS if key.startswith("03_")},
        "04_backprop.chain_rule_221": chain_rule_221, "04_backprop.backward": mlp.backward,
        "04_backprop.gradient_step": gradient_step,
        "05_training.train_minibatch": train_minibatch,
        "05_training.backward": lambda params, cache, Y, acts: mlp.backward(params, cache, Y, acts, "bce_with_logits"),
        "06_autograd.backward": Value.backward,
        "06_autograd.engine_gradients": lambda params, X, Y, acts: (
            mlp.loss(params, X, Y, acts), mlp.backward(params, mlp.forward(params, X, acts), Y, acts)),
        "07_digits.softmax": lambda Z: act.softmax(Z, axis=1),
        "07_digits.cross_entropy": lambda Z, T: losses.cross_entropy_with_logits(T, Z),
        "07_digits.forward": lambda params, X: mlp.forward(params, X, digits_activations(params)),
        "07_digits.backward": lambda params, cache, T: mlp.backward(params, cache, T, digits_activations(params),
                                                                    "cross_entropy_with_logits"),
        "07_digits.adam_step": adam_step,
    }


@pytest.mark.parametrize("graded", sorted(GRADED_CALLS))
def test_the_oracle_recognises_the_graded_answer(graded):
    """The check below is not vacuous: for every graded function, its reference implementation, called with the
    arguments the table gives, is recognised as reproducing the hidden outputs."""
    reference = _references()[graded]
    cases = _hidden(graded.split(".")[0], GRADED_CALLS[graded][0])
    assert all(_same(_call(graded, c, reference), GRADED_CALLS[graded][2](c)) for c in cases)


def test_every_graded_function_has_a_reference_for_the_oracle():
    assert set(_references()) == set(GRADED_CALLS)


@pytest.mark.parametrize("graded", sorted(GRADED_CALLS))
def test_no_public_function_of_the_kit_reproduces_hidden_outputs(graded):
    cases = _hidden(graded.split(".")[0], GRADED_CALLS[graded][0])
    expected = GRADED_CALLS[graded][2]
    assert len(cases) == 3 and any(expected(c) is not None for c in cases)  # a function returning None is no match
    reproduces = []
    for qualified, fn in public_functions().items():
        if inspect.isclass(fn):
            continue
        hits = 0
        for c in cases:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    got = _call(graded, c, fn)
                except Exception:  # noqa: BLE001 -- a function that cannot take these inputs gives nothing away
                    break
            hits += _same(got, expected(c))
        if hits == len(cases):
            reproduces.append(qualified)
    assert not reproduces, f"these kit functions reproduce the graded {graded}: {reproduces}"
