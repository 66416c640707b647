"""Hidden cases for 04_backprop (reference: :func:`solutions.mlp.backward`, deck 004's wiring from
:data:`solutions.worked_examples.LECTURE_221_LAYOUT`)."""
import numpy as np

from autograder.hidden_cases import random_params, rounded_normal
from solutions import mlp
from solutions.training import gradient_step
from solutions.worked_examples import LECTURE_221_LAYOUT
from solutions.xor import lecture_params_from_vector

__all__ = ["chain_rule_random", "backward_random", "backward_edge", "backward_depths", "step_random",
           "personal_chain_rule", "personal_step"]


def _lecture_grads(w, b, x, y):
    params = lecture_params_from_vector(w, b)
    X, Y = np.array([x], dtype=float), np.array([[y]], dtype=float)
    grads = mlp.backward(params, mlp.forward(params, X, "sigmoid"), Y, "sigmoid", "half_squared_error")
    return {name: float(grads[key][idx]) for name, (key, idx) in LECTURE_221_LAYOUT.items()}


def chain_rule_random():
    """15 seeded 2-2-1 sigmoid networks in the deck's numbering: w1..w6, b1..b3, one (x, y)."""
    rng = np.random.default_rng(1212)
    cases = []
    for _ in range(15):
        w, b = rounded_normal(rng, 6), rounded_normal(rng, 3)
        x, y = rounded_normal(rng, 2), float(rng.integers(0, 2))
        cases.append({"w": w, "b": b, "x": x, "y": y, "expected": _lecture_grads(w, b, x, y)})
    return cases


def _backward_case(params, X, Y, activations):
    cache = mlp.forward(params, X, activations)
    grads = mlp.backward(params, cache, Y, activations, "half_squared_error")
    return {"params": params, "X": X, "Y": Y, "activations": activations, "cache": cache, "grads": grads}


HIDDEN_ACTS = ("sigmoid", "tanh", "relu", "identity")


def backward_random():
    """15 seeded 2-layer networks: 1-8 samples, 1-5 inputs, 1-5 hidden units, 1-3 outputs, hidden units
    sigmoid/tanh/relu/identity, output sigmoid or identity."""
    rng = np.random.default_rng(1313)
    cases = []
    for k in range(15):
        n, d0, d1, d2 = (int(v) for v in rng.integers(1, [9, 6, 6, 4]))
        params = random_params(rng, [d0, d1, d2])
        X, Y = rounded_normal(rng, (n, d0)), np.round(rng.uniform(0, 1, size=(n, d2)), 3)
        acts = [HIDDEN_ACTS[k % 4], "sigmoid" if k % 2 else "identity"]
        cases.append(_backward_case(params, X, Y, acts))
    return cases


def backward_edge():
    """A batch of one, one output, saturated sigmoids (|z| ~ 50: tiny but finite gradients), a wide layer."""
    rng = np.random.default_rng(1414)
    cases = []
    params = random_params(rng, [3, 4, 1])
    cases.append(_backward_case(params, rounded_normal(rng, (1, 3)), np.array([[1.0]]), ["sigmoid", "sigmoid"]))
    params = random_params(rng, [2, 3, 1], scale=25.0)
    cases.append(_backward_case(params, rounded_normal(rng, (4, 2)), np.array([[0.0], [1.0], [1.0], [0.0]]),
                                ["sigmoid", "sigmoid"]))
    params = random_params(rng, [2, 40, 2])
    cases.append(_backward_case(params, rounded_normal(rng, (6, 2)), np.round(rng.uniform(size=(6, 2)), 3),
                                ["tanh", "identity"]))
    return cases


def backward_depths():
    """One layer (logistic regression) and three layers: backward must loop over any number of layers."""
    rng = np.random.default_rng(1515)
    cases = []
    for sizes, acts in (([3, 1], ["sigmoid"]), ([2, 4, 3, 1], ["tanh", "relu", "sigmoid"]),
                        ([2, 3, 3, 3, 2], ["sigmoid", "tanh", "sigmoid", "identity"])):
        params = random_params(rng, sizes)
        n = 5
        X, Y = rounded_normal(rng, (n, sizes[0])), np.round(rng.uniform(size=(n, sizes[-1])), 3)
        cases.append(_backward_case(params, X, Y, acts))
    return cases


def step_random():
    """10 gradient-descent steps on random params/grads with learning rates 0.5, 0.1, 0.01."""
    rng = np.random.default_rng(1616)
    cases = []
    for k in range(10):
        params = random_params(rng, [int(v) for v in rng.integers(1, 5, size=3)])
        grads = {key: rounded_normal(rng, np.shape(v)) for key, v in params.items()}
        lr = (0.5, 0.1, 0.01)[k % 3]
        cases.append({"params": params, "grads": grads, "lr": lr,
                      "expected": gradient_step(params, grads, lr)})
    return cases


# --------------------------------------------------------------------------- personal (one student's numbers)
def personal_chain_rule(numbers):
    """The nine gradients of a student's own 2-2-1 network (``course.personal.numbers("04_backprop", ...)``)."""
    return {"expected": _lecture_grads(np.asarray(numbers["w"], float), np.asarray(numbers["b"], float),
                                       numbers["x"], numbers["y"])}


def personal_step(numbers):
    """One gradient-descent step on a student's own network with their learning rate: the parameters in the
    matrix layout, the reference gradients, and the new parameters."""
    params = lecture_params_from_vector(numbers["w"], numbers["b"])
    X, Y = np.array([numbers["x"]], dtype=float), np.array([[numbers["y"]]], dtype=float)
    grads = mlp.backward(params, mlp.forward(params, X, "sigmoid"), Y, "sigmoid", "half_squared_error")
    return {"params": params, "grads": grads, "lr": float(numbers["eta"]),
            "expected": gradient_step(params, grads, float(numbers["eta"]))}
