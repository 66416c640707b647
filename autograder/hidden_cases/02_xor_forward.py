"""Hidden cases for 02_xor_forward (reference: :func:`solutions.mlp.forward`)."""
import numpy as np

from autograder.hidden_cases import random_params, rounded_normal
from solutions import mlp

__all__ = ["dense_random", "dense_edge", "forward_random", "forward_edge", "personal_forward"]

NAMES = ("identity", "sigmoid", "tanh", "relu", "step")


def _dense(X, W, b, name):
    cache = mlp.forward({"W1": W, "b1": b}, X, name)
    return {"X": X, "W": W, "b": b, "activation": name, "z": cache["z1"], "a": cache["a1"]}


def dense_random():
    """20 layers: 1-10 samples, 1-5 inputs, 1-4 units, each of the five activations."""
    rng = np.random.default_rng(505)
    cases = []
    for k in range(20):
        n, d_in, d_out = (int(v) for v in rng.integers(1, [11, 6, 5]))
        cases.append(_dense(rounded_normal(rng, (n, d_in)), rounded_normal(rng, (d_in, d_out)),
                            rounded_normal(rng, d_out), NAMES[k % len(NAMES)]))
    return cases


def dense_edge():
    """A batch of one, one unit, huge scores through a sigmoid (no overflow), z exactly 0 for the step."""
    return [
        _dense(np.array([[0.5, -1.0, 2.0]]), np.array([[1.0], [2.0], [0.5]]), np.array([0.5]), "sigmoid"),
        _dense(np.array([[1.0, 1.0], [-1.0, 2.0]]), np.array([[800.0, -800.0], [-900.0, 900.0]]),
               np.array([0.0, 0.0]), "sigmoid"),
        _dense(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([[1.0], [1.0]]), np.array([-1.0]), "step"),
        _dense(np.array([[2.0]]), np.array([[3.0, -1.0, 0.0]]), np.array([0.0, 0.0, 0.0]), "relu"),
    ]


def _network(rng, sizes, names, n, scale=1.0):
    return random_params(rng, sizes, scale), rounded_normal(rng, (n, sizes[0]))


def _forward_case(params, X, activations):
    cache = mlp.forward(params, X, activations)
    return {"params": params, "X": X, "activations": activations, "cache": cache}


def forward_random():
    """15 networks: 1-3 layers of 1-5 units, 1-8 samples, a list of activation names (one per layer)."""
    rng = np.random.default_rng(606)
    cases = []
    for _ in range(15):
        depth = int(rng.integers(1, 4))
        sizes = [int(s) for s in rng.integers(1, 6, size=depth + 1)]
        names = [str(rng.choice(NAMES)) for _ in range(depth)]
        params, X = _network(rng, sizes, names, int(rng.integers(1, 9)))
        cases.append(_forward_case(params, X, names))
    return cases


def forward_edge():
    """One sample given as a 1-D array, one name for every layer, huge weights through sigmoids, 4 layers."""
    rng = np.random.default_rng(707)
    cases = []
    params, X = _network(rng, [3, 4, 2], None, 1)
    cases.append(_forward_case(params, X[0], ["tanh", "sigmoid"]))     # X of shape (3,)
    params, X = _network(rng, [2, 3, 1], None, 5)
    cases.append(_forward_case(params, X, "sigmoid"))                  # one name for all layers
    params, X = _network(rng, [2, 3, 1], None, 6, scale=500.0)
    cases.append(_forward_case(params, X, ["sigmoid", "sigmoid"]))     # |z| in the hundreds
    params, X = _network(rng, [2, 3, 3, 2, 1], None, 4)
    cases.append(_forward_case(params, X, ["relu", "tanh", "identity", "step"]))
    return cases


def personal_forward(numbers):
    """The cache of a student's own 2-3-1 network on their three inputs (``course.personal.numbers("02_xor_forward",
    ...)``)."""
    return {"expected": mlp.forward(numbers["params"], numbers["X"], list(numbers["activations"]))}
