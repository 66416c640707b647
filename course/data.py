r"""Small data sets used in the book and the assignments (numpy only, seeded, float64).

Every generator returns ``(X, y)`` with ``X`` of shape ``(n, 2)`` (or ``(n, 1)``) and ``y`` of
shape ``(n,)``; the same seed always gives the same data.
"""
from __future__ import annotations

import numpy as np

__all__ = ["BOOLEAN_FUNCTIONS", "truth_table", "two_circles", "two_moons", "sine_1d", "train_test_split"]

_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])

#: name -> outputs on the inputs (0,0), (0,1), (1,0), (1,1)
BOOLEAN_FUNCTIONS = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
}


def truth_table(name: str):
    """Inputs ``X`` (4, 2) and targets ``y`` (4,) in {0, 1} of a two-input Boolean function.

    >>> X, y = truth_table("xor"); y
    array([0., 1., 1., 0.])
    """
    key = str(name).lower()
    if key not in BOOLEAN_FUNCTIONS:
        raise ValueError(f"unknown Boolean function {name!r}; known: {', '.join(BOOLEAN_FUNCTIONS)}")
    return _INPUTS.copy(), np.array(BOOLEAN_FUNCTIONS[key], dtype=np.float64)


def _check_n(n):
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    return int(n)


def two_circles(n: int = 1000, noise: float = 0.1, factor: float = 0.5, seed: int = 0):
    """Two concentric circles (outer: class 0, radius 1; inner: class 1, radius ``factor``) plus Gaussian noise.

    The same recipe as scikit-learn's ``make_circles``: not linearly separable.
    """
    n = _check_n(n)
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie strictly between 0 and 1, got {factor}")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    y = np.r_[np.zeros(n_out), np.ones(n_in)]
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def two_moons(n: int = 400, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (scikit-learn's ``make_moons`` recipe)."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    n_a = n // 2
    n_b = n - n_a
    ta, tb = np.linspace(0, np.pi, n_a), np.linspace(0, np.pi, n_b)
    X = np.vstack([np.c_[np.cos(ta), np.sin(ta)], np.c_[1 - np.cos(tb), 0.5 - np.sin(tb)]])
    y = np.r_[np.zeros(n_a), np.ones(n_b)]
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def sine_1d(n: int = 200, noise: float = 0.0, seed: int = 0, low: float = -np.pi, high: float = np.pi):
    """Samples of :math:`y = \\sin(x)` on ``[low, high]``, sorted by ``x``; ``X`` has shape ``(n, 1)``."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(low, high, size=n))
    y = np.sin(x) + rng.normal(scale=noise, size=n) if noise else np.sin(x)
    return x.reshape(-1, 1), y


def train_test_split(X, y, test_fraction: float = 0.25, seed: int = 0):
    """Shuffle and split into ``X_train, X_test, y_train, y_test``."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = max(1, int(round(test_fraction * len(X))))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
