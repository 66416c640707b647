r"""Gradient checking with central finite differences.

.. math::  \frac{\partial f}{\partial \theta_i} \approx \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

(error :math:`O(h^2)`), compared with an analytic gradient by the relative error of CS231n

.. math::  \operatorname{rel}(a, b) = \frac{|a - b|}{\max(10^{-8}, |a| + |b|)}.

Rule of thumb in float64 with ``h = 1e-5``: below 1e-7 is right, above 1e-4 is almost surely a bug
(kinks such as ReLU's at 0 can legitimately give larger errors).

:func:`numerical_gradient` and :func:`relative_error` are the course's (:mod:`course.core.numerics`, shared
with the widgets' check); this module adds the checks of whole networks.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from course.core.numerics import numerical_gradient, relative_error

from . import mlp as _mlp

__all__ = ["numerical_gradient", "relative_error", "grad_check", "check_mlp_gradients"]


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
