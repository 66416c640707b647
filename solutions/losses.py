r"""Loss functions, each with its gradient beside it.

Shapes: targets ``y`` and predictions ``yhat`` (or scores/logits ``z``) are arrays of
the same shape ``(n,)`` or ``(n, k)``: ``n`` samples, ``k`` outputs. Every loss
returns the **mean over samples** of the per-sample loss (a float); every
``*_grad`` returns the gradient of that mean with respect to the prediction, an
array of the prediction's shape. For one sample the mean is the sample's loss,
so the lectures' single-example formulas are reproduced exactly.

Sum over outputs, mean over samples: for ``(n, k)`` arrays the per-sample loss
sums its ``k`` terms (as in :math:`E = \tfrac12 \sum_k (y_k - \hat y_k)^2`).

Use :func:`get` / :data:`LOSSES` to look a loss up by name; ``get("huber", delta=0.5)``
fixes a parameter, and the returned :class:`Loss` is called as ``loss(y, yhat)`` /
``loss.grad(y, yhat)``.

Bad input: targets and predictions must have the same shape (the error names both);
targets must be finite (and in the range the loss expects: 0/1 labels or
probabilities for cross-entropies, -1/+1 for the perceptron and hinge losses).
Predictions are not checked for finiteness except where a loss needs probabilities,
so a diverging network shows up as a NaN/inf loss rather than an exception.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from course.core.numerics import half_squared_error as _core_half_squared_error

from ._registry import lookup

from .activations import log_sigmoid, sigmoid, softmax, log_softmax

__all__ = [
    "Loss", "LOSSES", "get",
    "squared_error", "squared_error_grad", "half_squared_error", "half_squared_error_grad",
    "mse", "mse_grad", "binary_cross_entropy", "binary_cross_entropy_grad",
    "bce_with_logits", "bce_with_logits_grad", "cross_entropy_with_logits",
    "cross_entropy_with_logits_grad", "huber", "huber_grad", "perceptron_loss",
    "perceptron_loss_grad", "hinge", "hinge_grad", "one_hot",
    "cross_entropy", "cross_entropy_grad", "ALIASES", "names",
]


def _pair(y, yhat, fname):
    """Validate and convert a (target, prediction) pair; shapes must match exactly."""
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    if y.shape != yhat.shape:
        hint = " (reshape one of them: (n,) and (n, 1) are different shapes)" if y.size == yhat.size else ""
        raise ValueError(f"{fname}: targets have shape {y.shape} but predictions have shape {yhat.shape}{hint}")
    if y.size == 0:
        raise ValueError(f"{fname}: got empty arrays of shape {y.shape}; need at least one sample")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{fname}: targets contain NaN or infinite values")
    if y.ndim == 0:
        y, yhat = y.reshape(1), yhat.reshape(1)
    return y, yhat


def _n(y):
    return y.shape[0]


def _sum_per_sample_mean(terms):
    """Sum over outputs, mean over samples (axis 0)."""
    return float(np.sum(terms) / terms.shape[0])


# --------------------------------------------------------------------------- regression
def squared_error(y, yhat):
    r"""Squared error :math:`E = \sum_k (y_k - \hat y_k)^2` (mean over samples)."""
    y, yhat = _pair(y, yhat, "squared_error")
    return _sum_per_sample_mean((y - yhat) ** 2)


def squared_error_grad(y, yhat):
    r""":math:`\partial E/\partial \hat y = -2 (y - \hat y) / n`."""
    y, yhat = _pair(y, yhat, "squared_error_grad")
    return -2.0 * (y - yhat) / _n(y)


def half_squared_error(y, yhat):
    r"""The lectures' error :math:`E = \tfrac12 \sum_k (y_k - \hat y_k)^2` (mean over samples)."""
    return _core_half_squared_error(*_pair(y, yhat, "half_squared_error"))


def half_squared_error_grad(y, yhat):
    r""":math:`\partial E/\partial \hat y = -(y - \hat y) / n = (\hat y - y)/n`."""
    y, yhat = _pair(y, yhat, "half_squared_error_grad")
    return (yhat - y) / _n(y)


def mse(y, yhat):
    r"""Mean squared error over *all* entries :math:`\frac{1}{nk}\sum (y - \hat y)^2` (the Keras/sklearn metric)."""
    y, yhat = _pair(y, yhat, "mse")
    return float(np.mean((y - yhat) ** 2))


def mse_grad(y, yhat):
    r""":math:`\partial/\partial\hat y = -2(y - \hat y)/(nk)`."""
    y, yhat = _pair(y, yhat, "mse_grad")
    return -2.0 * (y - yhat) / y.size


def huber(y, yhat, delta: float = 1.0):
    r"""Huber loss: :math:`\tfrac12 r^2` for :math:`|r| \le \delta`, :math:`\delta(|r| - \tfrac12\delta)` beyond,
    with residual :math:`r = y - \hat y`."""
    if delta <= 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    y, yhat = _pair(y, yhat, "huber")
    r = np.abs(y - yhat)
    return _sum_per_sample_mean(np.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta)))


def huber_grad(y, yhat, delta: float = 1.0):
    r""":math:`\partial/\partial\hat y = -r` inside, :math:`-\delta\,\operatorname{sign}(r)` outside (over n)."""
    if delta <= 0:
        raise ValueError(f"huber_grad: delta must be positive, got {delta}")
    y, yhat = _pair(y, yhat, "huber_grad")
    r = y - yhat
    return -np.clip(r, -delta, delta) / _n(y)


# --------------------------------------------------------------------------- classification
def _check_unit_interval_targets(y, fname):
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"{fname}: targets must lie in [0, 1] (0/1 labels or probabilities), got values in "
                         f"[{y.min()}, {y.max()}]; for -1/+1 labels t use (t + 1) / 2")


def _check_probabilities(p, fname):
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError(f"{fname}: predictions must be probabilities in [0, 1]; "
                         f"got values in [{np.nanmin(p)}, {np.nanmax(p)}] (use the *_with_logits loss for scores)")


def binary_cross_entropy(y, p, eps: float = 1e-12):
    r"""Binary cross-entropy on probabilities :math:`-[y\log p + (1-y)\log(1-p)]`.

    ``p`` is clipped to ``[eps, 1 - eps]`` so a confident mistake costs a large
    finite amount instead of ``inf``; prefer :func:`bce_with_logits`.
    """
    y, p = _pair(y, p, "binary_cross_entropy")
    _check_unit_interval_targets(y, "binary_cross_entropy")
    _check_probabilities(p, "binary_cross_entropy")
    p = np.clip(p, eps, 1 - eps)
    return _sum_per_sample_mean(-(y * np.log(p) + (1 - y) * np.log1p(-p)))


def binary_cross_entropy_grad(y, p, eps: float = 1e-12):
    r""":math:`\partial/\partial p = (p - y) / (p(1-p))` (over n), with ``p`` clipped as in the loss.

    (Strictly, the clipped loss is flat for ``p`` outside ``[eps, 1 - eps]``; we return the
    slope at the clip edge instead of 0, so a confident mistake still gets a push.)
    """
    y, p = _pair(y, p, "binary_cross_entropy_grad")
    _check_unit_interval_targets(y, "binary_cross_entropy_grad")
    _check_probabilities(p, "binary_cross_entropy_grad")
    p = np.clip(p, eps, 1 - eps)
    return (p - y) / (p * (1 - p)) / _n(y)


def bce_with_logits(y, z):
    r"""Binary cross-entropy on a logit :math:`z` (``p = sigmoid(z)``), stable for any :math:`|z|`:

    :math:`-[y \log\sigma(z) + (1-y)\log\sigma(-z)]`.
    """
    y, z = _pair(y, z, "bce_with_logits")
    _check_unit_interval_targets(y, "bce_with_logits")
    return _sum_per_sample_mean(-(y * log_sigmoid(z) + (1 - y) * log_sigmoid(-z)))


def bce_with_logits_grad(y, z):
    r""":math:`\partial/\partial z = (\sigma(z) - y)/n` -- the error signal of a sigmoid output."""
    y, z = _pair(y, z, "bce_with_logits_grad")
    _check_unit_interval_targets(y, "bce_with_logits_grad")
    return (sigmoid(z) - y) / _n(y)


def one_hot(labels, num_classes: int | None = None):
    """One-hot encode integer class labels: ``(n,) -> (n, K)``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"one_hot: labels must be a 1-D integer array, got dtype {labels.dtype}, shape {labels.shape}")
    if num_classes is None and labels.size == 0:
        raise ValueError("one_hot: cannot infer num_classes from an empty label array; pass num_classes")
    k = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"one_hot: labels must lie in [0, {k - 1}], got [{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.size, k))
    out[np.arange(labels.size), labels] = 1.0
    return out


def _check_class_targets(y, pred, fname):
    if pred.ndim != 2:
        raise ValueError(f"{fname}: predictions must have shape (n, K), got {pred.shape} "
                         f"(one-hot encode class labels with solutions.losses.one_hot)")
    _check_unit_interval_targets(y, fname)


def cross_entropy(y, p, eps: float = 1e-12):
    r"""Categorical cross-entropy on probabilities :math:`-\sum_k t_k \log p_k` (mean over samples).

    The lectures' negative log-likelihood :math:`-\ln \hat y_{y}` of the true class for one-hot
    targets. ``p`` (e.g. a softmax output) is clipped to ``[eps, 1]``; prefer
    :func:`cross_entropy_with_logits`. Shapes: ``(n, K)``.
    """
    y, p = _pair(y, p, "cross_entropy")
    _check_class_targets(y, p, "cross_entropy")
    _check_probabilities(p, "cross_entropy")
    return _sum_per_sample_mean(-y * np.log(np.maximum(p, eps)))


def cross_entropy_grad(y, p, eps: float = 1e-12):
    r""":math:`\partial/\partial p_k = -t_k / p_k` (over n), with ``p`` clipped as in the loss."""
    y, p = _pair(y, p, "cross_entropy_grad")
    _check_class_targets(y, p, "cross_entropy_grad")
    _check_probabilities(p, "cross_entropy_grad")
    return -y / np.maximum(p, eps) / _n(y)


def cross_entropy_with_logits(y, z):
    r"""Categorical cross-entropy from logits :math:`-\sum_k t_k \log\operatorname{softmax}(z)_k`.

    ``y`` is one-hot (or a probability vector) of shape ``(n, K)`` like ``z``.
    """
    y, z = _pair(y, z, "cross_entropy_with_logits")
    _check_class_targets(y, z, "cross_entropy_with_logits")
    return _sum_per_sample_mean(-y * log_softmax(z, axis=1))


def cross_entropy_with_logits_grad(y, z):
    r""":math:`\partial/\partial z = (\operatorname{softmax}(z) - t)/n` -- why softmax + cross-entropy gives the error ``y - t``."""
    y, z = _pair(y, z, "cross_entropy_with_logits_grad")
    _check_class_targets(y, z, "cross_entropy_with_logits_grad")
    return (softmax(z, axis=1) * y.sum(axis=1, keepdims=True) - y) / _n(y)


def _check_pm1(t, fname):
    if not np.all(np.isin(t, (-1.0, 1.0))):
        raise ValueError(f"{fname}: targets must be -1 or +1, got values {np.unique(t)[:6]}")


def perceptron_loss(t, z):
    r"""Perceptron (error-margin) criterion :math:`\max(0, -t z)` for targets :math:`t \in \{-1, +1\}`.

    Only misclassified points (:math:`t z < 0`) contribute; its subgradient step is
    exactly the Rosenblatt update.
    """
    t, z = _pair(t, z, "perceptron_loss")
    _check_pm1(t, "perceptron_loss")
    return _sum_per_sample_mean(np.maximum(0.0, -t * z))


def perceptron_loss_grad(t, z):
    r""":math:`\partial/\partial z = -t` where :math:`t z < 0`, else 0 (over n)."""
    t, z = _pair(t, z, "perceptron_loss_grad")
    _check_pm1(t, "perceptron_loss_grad")
    return np.where(t * z < 0, -t, 0.0) / _n(t)


def hinge(t, z, margin: float = 1.0):
    r"""Hinge loss :math:`\max(0, m - t z)` for :math:`t \in \{-1,+1\}` (SVM; ``margin`` :math:`m`)."""
    t, z = _pair(t, z, "hinge")
    _check_pm1(t, "hinge")
    return _sum_per_sample_mean(np.maximum(0.0, margin - t * z))


def hinge_grad(t, z, margin: float = 1.0):
    r""":math:`\partial/\partial z = -t` where :math:`t z < m`, else 0 (over n; 0 at the kink)."""
    t, z = _pair(t, z, "hinge_grad")
    _check_pm1(t, "hinge_grad")
    return np.where(t * z < margin, -t, 0.0) / _n(t)


# --------------------------------------------------------------------------- registry
class Loss(NamedTuple):
    """A loss: name, value ``f(y, yhat)``, gradient ``df(y, yhat)`` w.r.t. the prediction, what it expects
    (``prediction``: ``"output"`` = the network output :math:`a^L`, ``"logits"`` = the pre-activation
    :math:`z^L`), and keyword parameters passed to ``f`` and ``df`` by ``loss(y, yhat)`` / ``loss.grad(y, yhat)``."""

    name: str
    f: Callable
    df: Callable
    prediction: str  # "output" (after the activation) or "logits" (before it)
    params: dict = {}  # never mutated: get(name, **params) makes a new Loss

    def __call__(self, y, yhat) -> float:
        return self.f(y, yhat, **self.params)

    def grad(self, y, yhat):
        return self.df(y, yhat, **self.params)


LOSSES: dict[str, Loss] = {
    "squared_error": Loss("squared_error", squared_error, squared_error_grad, "output"),
    "half_squared_error": Loss("half_squared_error", half_squared_error, half_squared_error_grad, "output"),
    "mse": Loss("mse", mse, mse_grad, "output"),
    "huber": Loss("huber", huber, huber_grad, "output", {"delta": 1.0}),
    "binary_cross_entropy": Loss("binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_grad, "output"),
    "cross_entropy": Loss("cross_entropy", cross_entropy, cross_entropy_grad, "output"),
    "bce_with_logits": Loss("bce_with_logits", bce_with_logits, bce_with_logits_grad, "logits"),
    "cross_entropy_with_logits": Loss("cross_entropy_with_logits", cross_entropy_with_logits,
                                      cross_entropy_with_logits_grad, "logits"),
    "perceptron": Loss("perceptron", perceptron_loss, perceptron_loss_grad, "logits"),
    "hinge": Loss("hinge", hinge, hinge_grad, "logits", {"margin": 1.0}),
}

#: other names accepted by :func:`get`
ALIASES = {"squared_loss": "half_squared_error", "error_margin": "perceptron", "perceptron_loss": "perceptron",
           "log_loss": "binary_cross_entropy", "nll": "cross_entropy",
           "binary_cross_entropy_with_logits": "bce_with_logits", "softmax_cross_entropy": "cross_entropy_with_logits"}


def names() -> list[str]:
    """The registered loss names, in registry order."""
    return list(LOSSES)


def get(name, **params) -> Loss:
    """Look a loss up by name (or alias), optionally fixing its parameters (``get("huber", delta=0.5)``).

    Raises
    ------
    ValueError
        for an unknown name (the message lists the known names) or an unknown parameter.
    TypeError
        if ``name`` is neither a str nor a :class:`Loss`.
    """
    return lookup(name, LOSSES, ALIASES, Loss, "loss", **params)
