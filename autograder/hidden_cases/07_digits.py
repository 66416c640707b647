"""Hidden cases for 07_digits (reference: :func:`solutions.activations.softmax`,
:func:`solutions.losses.cross_entropy_with_logits`, :func:`solutions.mlp.forward` / :func:`~solutions.mlp.backward`
with ReLU hidden layers and a softmax output, :class:`solutions.optimizers.Adam`)."""
import numpy as np

from autograder.hidden_cases import rounded_normal
from solutions import activations, losses, mlp
from solutions.optimizers import Adam

__all__ = ["softmax_cases", "network_cases", "adam_cases"]


def softmax_cases():
    """12 seeded score matrices (n = 1..6, K = 2..10): moderate scores, scores of size 1e3 to 1e4, and rows where
    one class's probability underflows to 0."""
    rng = np.random.default_rng(707)
    cases = []
    for k in range(12):
        n, K = int(rng.integers(1, 7)), int(rng.integers(2, 11))
        scale = (1.0, 1e3, 1e4)[k % 3]
        Z = rounded_normal(rng, (n, K), scale=scale)
        if k % 4 == 3:
            Z[:, 0] = -800.0                            # exp(-800 - max) underflows to 0
        T = losses.one_hot(rng.integers(0, K, size=n), K)
        cases.append({"Z": Z, "T": T, "softmax": activations.softmax(Z, axis=1),
                      "cross_entropy": losses.cross_entropy_with_logits(T, Z)})
    return cases


def network_cases():
    """8 seeded networks: 1-3 layers, 1-9 samples, 2-10 classes; biases shifted so some ReLUs are off."""
    rng = np.random.default_rng(708)
    cases = []
    for sizes in ([3, 2], [4, 5, 3], [2, 6, 10], [5, 4, 4, 2], [1, 3, 2], [6, 8, 5], [3, 3, 3, 3], [64, 12, 10]):
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rounded_normal(rng, (sizes[l - 1], sizes[l]))
            params[f"b{l}"] = rounded_normal(rng, sizes[l]) - 0.3
        n = int(rng.integers(1, 10))
        X = rounded_normal(rng, (n, sizes[0]))
        T = losses.one_hot(rng.integers(0, sizes[-1], size=n), sizes[-1])
        acts = ["relu"] * (len(sizes) - 2) + ["softmax"]
        cache = mlp.forward(params, X, acts)
        cases.append({"params": params, "X": X, "T": T, "cache": cache,
                      "grads": mlp.backward(params, cache, T, acts, "cross_entropy_with_logits")})
    return cases


def adam_cases():
    """4 seeded problems: two arrays, 5 gradients each, lr / beta1 / beta2 / eps varied; the parameters after every
    step from solutions.optimizers.Adam."""
    rng = np.random.default_rng(709)
    cases = []
    for lr, beta1, beta2, eps in ((0.001, 0.9, 0.999, 1e-8), (0.05, 0.8, 0.99, 1e-6), (0.3, 0.5, 0.9, 1e-3),
                                  (0.01, 0.0, 0.5, 1e-8)):
        params = {"W": rounded_normal(rng, (3, 2)), "b": rounded_normal(rng, 2)}
        grads = [{"W": rounded_normal(rng, (3, 2)), "b": rounded_normal(rng, 2)} for _ in range(5)]
        opt, current, expected = Adam(lr, beta1, beta2, eps), {k: v.copy() for k, v in params.items()}, []
        for g in grads:
            opt.step(current, g)
            expected.append({k: v.copy() for k, v in current.items()})
        cases.append({"params": params, "grads": grads, "expected": expected, "lr": lr, "beta1": beta1,
                      "beta2": beta2, "eps": eps})
    return cases
