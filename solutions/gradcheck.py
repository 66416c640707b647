r"""Gradient checking with central finite differences.

.. math::  \frac{\partial f}{\partial \theta_i} \approx \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

(error :math:`O(h^2)`), compared with an analytic gradient by the relative error of CS231n

.. math::  \operatorname{rel}(a, b) = \frac{|a - b|}{\max(10^{-8}, |a| + |b|)}.

Rule of thumb in float64 with ``h = 1e-5``: below 1e-7 is right, above 1e-4 is almost surely a bug
(kinks such as ReLU's at 0 can legitimately give larger errors).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import mlp as _mlp

__all__ = ["numerical_gradient", "relative_error", "grad_check", "check_mlp_gradients"]


def numerical_gradient(f: Callable[[np.ndarray], float], theta, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``theta`` (any shape).

    ``theta`` is perturbed in place one entry at a time and restored afterwards, so ``f`` may
    either use its argument or read the same array through a closure (a float64 array is
    perturbed in place; anything else is first copied into a new float64 array, which is what
    ``f`` then receives). Views (e.g. ``W.T``) are perturbed in place too.

    Raises ``ValueError`` if ``f`` returns NaN or inf at a perturbed point (naming the entry).
    """
    theta = np.asarray(theta, dtype=np.float64)
    if not h > 0:
        raise ValueError(f"step h must be positive, got {h}")
    grad = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        old = theta[idx]
        theta[idx] = old + h
        fp = float(f(theta))
        theta[idx] = old - h
        fm = float(f(theta))
        theta[idx] = old
        if not (np.isfinite(fp) and np.isfinite(fm)):
            raise ValueError(f"numerical_gradient: f is not finite next to entry {idx} "
                             f"(f(theta + h e) = {fp}, f(theta - h e) = {fm})")
        grad[idx] = (fp - fm) / (2.0 * h)
    return grad


def relative_error(a, b) -> np.ndarray:
    r"""Elementwise :math:`|a-b| / \max(10^{-8}, |a|+|b|)`."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def grad_check(f: Callable[[np.ndarray], float], theta, analytic, h: float = 1e-5) -> float:
    """Largest relative error between ``analytic`` and the central-difference gradient of ``f`` at ``theta``."""
    return float(np.max(relative_error(analytic, numerical_gradient(f, theta, h)), initial=0.0))


def check_mlp_gradients(params: dict, X, Y, activations="sigmoid", loss="half_squared_error",
                        h: float = 1e-5) -> dict:
    """Relative error of :func:`solutions.mlp.backward` against finite differences, per parameter.

    Returns ``{"W1": max_rel_err, "b1": ..., ...}``. ``params`` is copied, never modified.
    """
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    cache = _mlp.forward(params, X, activations)
    grads = _mlp.backward(params, cache, Y, activations, loss)

    def objective(_):
        return _mlp.loss(params, X, Y, activations, loss)

    return {k: grad_check(objective, params[k], grads[k], h) for k in params}
