"""Hidden cases for 05_training.

The loop is checked by properties on a quadratic objective (no backpropagation involved, no particular random-number
protocol), with the reference path of batch gradient descent from :mod:`solutions.optimizers`; the backward pass of a
sigmoid output with the binary cross-entropy against :func:`solutions.mlp.backward`.
"""
import numpy as np

from autograder.hidden_cases import rounded_normal
from solutions import mlp
from solutions.optimizers import GradientDescent, Quadratic, minimise

__all__ = ["loop_cases", "quadratic_cases", "backward_cases"]


def loop_cases():
    """(n, batch_size, epochs): (23, 5, 3), (12, 8, 4), (10, 1, 2), (9, 3, 5), (7, 7, 2), (1, 4, 3); seeded 2-D points,
    start w0 and lr."""
    rng = np.random.default_rng(505)
    cases = []
    for n, batch_size, epochs in ((23, 5, 3), (12, 8, 4), (10, 1, 2), (9, 3, 5), (7, 7, 2), (1, 4, 3)):
        cases.append({"X": rounded_normal(rng, (n, 2)), "w0": rounded_normal(rng, 2), "batch_size": batch_size,
                      "epochs": epochs, "lr": float(np.round(rng.uniform(0.1, 0.9), 3)), "seed": int(rng.integers(100))})
    return cases


def quadratic_cases():
    """Batch GD (batch_size = n and > n) with its reference path; SGD and mini-batches that must lower the loss to 5%;
    epochs = 0."""
    rng = np.random.default_rng(506)
    cases = []
    for n, batch_size, epochs, lr in ((15, 15, 6, 0.3), (8, 50, 4, 0.7), (20, 1, 3, 0.2), (30, 7, 8, 0.25),
                                      (11, 11, 0, 0.5)):
        X = rounded_normal(rng, (n, 3), scale=0.5)
        w0 = rounded_normal(rng, 3) + 10.0                        # far from the minimiser, the mean of X
        case = {"X": X, "w0": w0, "batch_size": batch_size, "epochs": epochs, "lr": lr, "seed": int(rng.integers(100))}
        if batch_size >= n:
            case["expected_path"] = minimise(Quadratic(np.eye(3), X.mean(axis=0)).grad, w0, GradientDescent(lr), epochs)
        else:  # the 5% bound holds for every order of the batches: w ends within max |x_i - m| (plus what is left of
            m = X.mean(axis=0)  # the start) of m, a convex combination of batch means
            steps = epochs * -(-n // batch_size)
            worst = np.max(np.linalg.norm(X - m, axis=1)) + (1 - lr) ** steps * np.linalg.norm(w0 - m)
            floor = 0.5 * np.mean(np.sum((X - m) ** 2, axis=1))
            assert floor + 0.5 * worst ** 2 < 0.05 * (floor + 0.5 * np.sum((w0 - m) ** 2)), case
        cases.append(case)
    return cases


def backward_cases():
    """10 seeded networks with a sigmoid output: 1-3 layers, sigmoid/tanh/relu/identity hidden units, 1-8 samples,
    labels 0/1; the last two with saturated outputs (|z| ~ 30)."""
    rng = np.random.default_rng(507)
    hidden = ("tanh", "relu", "sigmoid", "identity")
    specs = [[2, 1], [3, 4, 1], [2, 5, 1], [1, 3, 1], [4, 2, 1], [2, 3, 3, 1], [3, 2, 4, 1], [2, 6, 1], [2, 3, 1],
             [3, 3, 1]]
    cases = []
    for k, sizes in enumerate(specs):
        scale = 10.0 if k >= 8 else 1.0
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rounded_normal(rng, (sizes[l - 1], sizes[l]), scale=scale)
            params[f"b{l}"] = rounded_normal(rng, sizes[l], scale=scale)
        acts = [hidden[(k + l) % 4] for l in range(len(sizes) - 2)] + ["sigmoid"]
        n = int(rng.integers(1, 9))
        X = rounded_normal(rng, (n, sizes[0]))
        Y = rng.integers(0, 2, size=(n, 1)).astype(float)
        cache = mlp.forward(params, X, acts)
        cases.append({"params": params, "X": X, "Y": Y, "activations": acts, "cache": cache,
                      "grads": mlp.backward(params, cache, Y, acts, "bce_with_logits")})
    return cases
