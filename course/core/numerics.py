r"""Numerical checks of gradients, and the lectures' loss.

Central differences

.. math::  \frac{\partial f}{\partial \theta_i} \approx \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h}

(error :math:`O(h^2)`), compared with an analytic gradient by the relative error of CS231n

.. math::  \operatorname{rel}(a, b) = \frac{|a - b|}{\max(10^{-8}, |a| + |b|)}.

Rule of thumb in float64 with ``h = 1e-5``: below 1e-7 is right, above 1e-4 (:data:`DEFAULT_TOL`) is
almost surely a bug (kinks such as ReLU's at 0 can legitimately give larger errors).

The lectures' loss, the mean over the :math:`n` samples of a per-sample half squared error,

.. math::  E = \frac{1}{n}\sum_{s=1}^{n} \tfrac12 \sum_k \big(y_{sk} - \hat y_{sk}\big)^2 .
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["DEFAULT_TOL", "numerical_gradient", "numerical_gradients", "relative_error", "GradientCheck",
           "half_squared_error"]

#: relative error above which an analytic gradient entry is flagged (float64, ``h = 1e-5``)
DEFAULT_TOL = 1e-4


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


def numerical_gradients(E: Callable[[dict], float], params: dict, h: float = 1e-5) -> dict:
    """:func:`numerical_gradient` of ``E(params)`` for every array of a params dict.

    ``params`` is copied; the caller's arrays are never modified.
    """
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    return {k: numerical_gradient(lambda _: E(work), theta, h) for k, theta in work.items()}


def relative_error(a, b) -> np.ndarray:
    r"""Elementwise :math:`|a-b| / \max(10^{-8}, |a|+|b|)`."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


@dataclass
class GradientCheck:
    """Analytic and numerical gradients per parameter, their relative error, and the entries above ``tol``."""

    analytic: dict
    numerical: dict
    rel_error: dict
    tol: float

    @classmethod
    def compare(cls, analytic: dict, numerical: dict, tol: float = DEFAULT_TOL) -> "GradientCheck":
        """The check of ``analytic`` against ``numerical`` (same keys and shapes)."""
        return cls(analytic, numerical, {k: relative_error(analytic[k], numerical[k]) for k in numerical}, tol)

    @property
    def flagged(self) -> list[tuple]:
        """Entries whose relative error exceeds ``tol``: ``[(key, index tuple, rel_error), ...]``."""
        out = []
        for k, r in self.rel_error.items():
            for idx in zip(*np.nonzero(~(r <= self.tol))):  # NaN (a non-finite gradient) counts as a mismatch
                out.append((k, tuple(int(i) for i in idx), float(r[idx])))
        return out

    @property
    def ok(self) -> bool:
        return not self.flagged

    @property
    def max_rel_error(self) -> float:
        """The largest relative error (NaN if any gradient entry is not finite)."""
        return max((float(np.max(r, initial=0.0)) for r in self.rel_error.values()), default=0.0)

    def report(self, limit: int = 12) -> str:
        """The flagged entries, one line each (at most ``limit``): index, expected (numerical), got (analytic)."""
        bad = self.flagged
        lines = [f"{len(bad)} gradient entr{'y' if len(bad) == 1 else 'ies'} disagree with central differences "
                 f"(relative error above {self.tol:g}):"]
        for k, idx, r in bad[:limit]:
            where = f"{k}[{', '.join(map(str, idx))}]"
            lines.append(f"  {where}: expected (finite differences) {float(self.numerical[k][idx]):.6g}, "
                         f"got {float(np.asarray(self.analytic[k])[idx]):.6g}, relative error {r:.1e}")
        if len(bad) > limit:
            lines.append(f"  ... and {len(bad) - limit} more")
        return "\n".join(lines)


def half_squared_error(y, yhat) -> float:
    r""":math:`E = \frac1n \sum_s \tfrac12 \sum_k (y_{sk} - \hat y_{sk})^2` for arrays of one shape, ``(n,)`` or ``(n, k)``."""
    y, yhat = np.asarray(y, dtype=np.float64), np.asarray(yhat, dtype=np.float64)
    if y.shape != yhat.shape:
        raise ValueError(f"targets have shape {y.shape} but the predictions have shape {yhat.shape}")
    return float(np.sum(0.5 * (y - yhat) ** 2) / max(1, y.shape[0] if y.ndim else 1))
