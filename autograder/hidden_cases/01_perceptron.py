"""Hidden cases for 01_perceptron (reference: :mod:`solutions.perceptron`)."""
import numpy as np

from autograder.hidden_cases import rounded_normal
from course.data import truth_table
from solutions import perceptron

__all__ = ["predict_random", "predict_edge", "update_random", "train_separable", "train_boolean",
           "cycle_cases"]


def predict_random():
    """20 problems: 1-12 samples, 1-5 features, weights and inputs ~ N(0, 1) to 3 decimals."""
    rng = np.random.default_rng(101)
    cases = []
    for _ in range(20):
        n, d = int(rng.integers(1, 13)), int(rng.integers(1, 6))
        w, X = rounded_normal(rng, d + 1), rounded_normal(rng, (n, d))
        cases.append({"w": w, "X": X, "expected": perceptron.predict(w, X)})
    return cases


def predict_edge():
    """Points exactly on the boundary (step(0) = 1), huge scores, one sample, zero weights."""
    cases = []
    for w, X in [
        (np.array([-1.0, 1.0, 0.0]), np.array([[1.0, 5.0], [0.999, 5.0], [1.001, -5.0]])),  # z = 0, <0, >0
        (np.zeros(3), np.array([[0.0, 0.0], [1.0, -1.0], [-3.0, 2.0]])),                      # all z = 0
        (np.array([0.0, 1e300, -1e300]), np.array([[1.0, 0.5], [0.5, 1.0]])),                 # |z| huge
        (np.array([0.5, -2.0]), np.array([[0.3]])),                                           # batch of one
        (np.array([-1.5, 1.0, 1.0]), truth_table("and")[0]),                                  # deck's AND
    ]:
        cases.append({"w": w, "X": X, "expected": perceptron.predict(w, X)})
    return cases


def update_random():
    """30 single updates: random w, x, label t, learning rate; about half are mistakes."""
    rng = np.random.default_rng(202)
    cases = []
    for _ in range(30):
        d = int(rng.integers(1, 5))
        w, x = rounded_normal(rng, d + 1), rounded_normal(rng, d)
        t = int(rng.integers(0, 2))
        lr = float(rng.choice([1.0, 0.5, 0.1]))
        cases.append({"w": w, "x": x, "t": t, "lr": lr,
                      "expected": perceptron.rosenblatt_update(w, x, t, lr)})
    return cases


def _train_case(X, t, w0, lr, max_epochs):
    res = perceptron.train(X, t, w0=w0, lr=lr, max_epochs=max_epochs)
    return {"X": X, "t": t, "w0": w0, "lr": lr, "max_epochs": max_epochs,
            "w": res.w, "converged": bool(res.converged),
            "mistakes_per_epoch": np.array(res.mistakes_per_epoch, dtype=np.int64)}


def train_separable():
    """10 linearly separable sets (labels from a random hyperplane), 4-15 points in 1-3 dimensions."""
    rng = np.random.default_rng(303)
    cases = []
    for k in range(10):
        n, d = int(rng.integers(4, 16)), int(rng.integers(1, 4))
        X = rounded_normal(rng, (n, d))
        t = perceptron.predict(rounded_normal(rng, d + 1), X)
        w0 = None if k % 2 == 0 else rounded_normal(rng, d + 1)
        lr = 1.0 if k % 3 else 0.5
        cases.append(_train_case(X, t, w0, lr, 500))
    return cases


def train_boolean():
    """AND, OR, NAND, NOR (converge) and XOR, XNOR (do not), from zero weights, lr = 1, 100 epochs."""
    cases = []
    for name in ("and", "or", "nand", "nor", "xor", "xnor"):
        X, t = truth_table(name)
        case = _train_case(X, t, None, 1.0, 100)
        case["name"] = name
        cases.append(case)
    return cases


def cycle_cases():
    """XOR, XNOR, random non-separable sets (cycle length in epochs) and separable ones (None)."""
    rng = np.random.default_rng(404)
    problems = [truth_table("xor"), truth_table("xnor"), truth_table("and")]
    for _ in range(5):
        X = np.round(rng.integers(-2, 3, size=(int(rng.integers(3, 7)), 2)).astype(float), 0)
        problems.append((X, rng.integers(0, 2, size=len(X)).astype(float)))
    cases = []
    for X, t in problems:
        res = perceptron.train(X, t, max_epochs=200, stop_on_cycle=True)
        if not res.converged and not res.cycled:
            continue  # undecided within the budget: not a fair question
        cases.append({"X": X, "t": t, "expected": None if res.converged else int(res.cycle_length)})
    return cases
