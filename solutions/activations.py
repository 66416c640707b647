r"""Activation functions and their derivatives, gathered in one registry.

Every activation is a pair of small vectorised functions: the forward rule
``f(z)`` and, right beside it, its derivative ``f'(z)`` (``*_grad``). Both take a
float array of any shape and return an array of the same shape (float64).

Conventions at kinks (where the lectures disagree, we pick the one used by
scikit-learn and PyTorch and say so):

* ``relu'(0) = 0``, ``leaky_relu'(0) = slope``, ``prelu'(0) = a``,
  ``elu'(0) = alpha`` (the left-hand derivative at the kink).
* ``step'(z) = sign'(z) = 0`` everywhere. Mathematically the derivative is 0 for
  ``z != 0`` and does not exist at 0 (it is a Dirac delta there); gradient
  descent can therefore learn nothing through a step unit, which is why the
  perceptron uses its own learning rule rather than a gradient.
* ``clip'(z) = 1`` on the open interval ``(low, high)`` and 0 outside it and at
  the two kinks.

Numerical stability: every function is finite for ``|z| <= 1e4`` (and beyond)
without a numpy warning; ``sigmoid(1000) == 1.0`` and ``sigmoid(-1000) == 0.0``.

Use :func:`get` to look an activation up by name (a clear ``ValueError`` lists
the known names) and :data:`ACTIVATIONS` to iterate over all of them.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import erf as _erf

__all__ = [
    "Activation", "ACTIVATIONS", "get", "names",
    "identity", "identity_grad", "step", "step_grad", "sign", "sign_grad",
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "prelu", "prelu_grad", "elu", "elu_grad",
    "softplus", "softplus_grad", "softsign", "softsign_grad",
    "log_sigmoid", "log_sigmoid_grad", "swish", "swish_grad",
    "gelu", "gelu_grad", "gelu_tanh", "gelu_tanh_grad", "mish", "mish_grad",
    "sinc", "sinc_grad", "clip", "clip_grad",
    "softmax", "log_softmax", "softmax_jacobian", "softmax_vjp", "log_softmax_vjp",
    "maxout", "maxout_grad",
]


def _as_float(z) -> np.ndarray:
    """Return ``z`` as a float64 array, rejecting non-numeric input by name."""
    try:
        arr = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"activation input must be numeric, got {type(z).__name__}: {exc}") from None
    return arr


# --------------------------------------------------------------------------- linear / threshold
def identity(z):
    r"""Identity (linear) unit :math:`f(z) = z`."""
    return _as_float(z).copy()


def identity_grad(z):
    r""":math:`f'(z) = 1`."""
    return np.ones_like(_as_float(z))


def step(z):
    r"""Binary step (Heaviside) :math:`f(z) = 1` if :math:`z \ge 0` else 0.

    The perceptron's threshold unit with outputs in {0, 1}; ``step(0) = 1``.
    """
    return (_as_float(z) >= 0).astype(np.float64)


def step_grad(z):
    r""":math:`f'(z) = 0` for :math:`z \ne 0`; undefined at 0, where we return 0."""
    return np.zeros_like(_as_float(z))


def sign(z):
    r"""Sign unit with outputs in {-1, +1}: :math:`f(z) = +1` if :math:`z \ge 0` else -1."""
    return np.where(_as_float(z) >= 0, 1.0, -1.0)


def sign_grad(z):
    r""":math:`f'(z) = 0` for :math:`z \ne 0`; undefined at 0, where we return 0."""
    return np.zeros_like(_as_float(z))


# --------------------------------------------------------------------------- sigmoid family
def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Evaluated as :math:`1/(1+e^{-z})` for :math:`z \ge 0` and
    :math:`e^{z}/(1+e^{z})` for :math:`z < 0`, so ``exp`` never overflows.
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z):
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`."""
    return np.tanh(_as_float(z))


def tanh_grad(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`."""
    t = np.tanh(_as_float(z))
    return 1.0 - t * t


def log_sigmoid(z):
    r"""Log-sigmoid :math:`f(z) = \log \sigma(z) = -\operatorname{softplus}(-z)`."""
    return -softplus(-_as_float(z))


def log_sigmoid_grad(z):
    r""":math:`f'(z) = 1 - \sigma(z) = \sigma(-z)`."""
    return sigmoid(-_as_float(z))


def softplus(z):
    r"""Softplus :math:`f(z) = \log(1 + e^{z})`, computed as :math:`\max(z,0) + \log(1+e^{-|z|})`."""
    z = _as_float(z)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus_grad(z):
    r""":math:`f'(z) = \sigma(z)`."""
    return sigmoid(z)


def swish(z, beta: float = 1.0):
    r"""Swish :math:`f(z) = z\,\sigma(\beta z)` (``beta = 1`` is SiLU)."""
    z = _as_float(z)
    return z * sigmoid(beta * z)


def swish_grad(z, beta: float = 1.0):
    r""":math:`f'(z) = \sigma(\beta z) + \beta z\,\sigma(\beta z)(1 - \sigma(\beta z))`."""
    z = _as_float(z)
    s = sigmoid(beta * z)
    return s + beta * z * s * (1.0 - s)


def mish(z):
    r"""Mish :math:`f(z) = z \tanh(\operatorname{softplus}(z))`."""
    z = _as_float(z)
    return z * np.tanh(softplus(z))


def mish_grad(z):
    r""":math:`f'(z) = \tanh(\operatorname{sp}(z)) + z\,\sigma(z)\,(1 - \tanh^2(\operatorname{sp}(z)))`."""
    z = _as_float(z)
    t = np.tanh(softplus(z))
    return t + z * sigmoid(z) * (1.0 - t * t)


# --------------------------------------------------------------------------- rectifiers
def relu(z):
    r"""Rectified linear unit :math:`f(z) = \max(0, z)`."""
    return np.maximum(_as_float(z), 0.0)


def relu_grad(z):
    r""":math:`f'(z) = 1` for :math:`z > 0`, else 0 (convention: ``relu'(0) = 0``)."""
    return (_as_float(z) > 0).astype(np.float64)


def leaky_relu(z, slope: float = 0.1):
    r"""Leaky ReLU :math:`f(z) = z` for :math:`z > 0`, ``slope * z`` otherwise (lectures: 0.1)."""
    z = _as_float(z)
    return np.where(z > 0, z, slope * z)


def leaky_relu_grad(z, slope: float = 0.1):
    r""":math:`f'(z) = 1` for :math:`z > 0`, ``slope`` otherwise."""
    return np.where(_as_float(z) > 0, 1.0, float(slope))


def prelu(z, a: float = 0.25):
    r"""Parametric ReLU: a leaky ReLU whose negative slope ``a`` is learned.

    :math:`f(z) = z` for :math:`z > 0`, :math:`a z` otherwise; ``a`` may be an
    array broadcasting against ``z`` (one slope per unit).
    """
    z = _as_float(z)
    return np.where(z > 0, z, np.asarray(a, dtype=np.float64) * z)


def prelu_grad(z, a: float = 0.25):
    r""":math:`\partial f/\partial z = 1` for :math:`z > 0`, ``a`` otherwise.

    (The derivative with respect to the parameter is :func:`prelu_grad_a`.)
    """
    z = _as_float(z)
    return np.where(z > 0, 1.0, np.broadcast_to(np.asarray(a, dtype=np.float64), z.shape))


def prelu_grad_a(z, a: float = 0.25):
    r""":math:`\partial f/\partial a = z` for :math:`z \le 0`, 0 otherwise."""
    z = _as_float(z)
    return np.where(z > 0, 0.0, z)


def elu(z, alpha: float = 1.0):
    r"""Exponential linear unit :math:`f(z) = z` for :math:`z > 0`, :math:`\alpha(e^{z} - 1)` otherwise."""
    z = _as_float(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_grad(z, alpha: float = 1.0):
    r""":math:`f'(z) = 1` for :math:`z > 0`, :math:`\alpha e^{z}` otherwise."""
    z = _as_float(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def softsign(z):
    r"""Softsign :math:`f(z) = z / (1 + |z|)`."""
    z = _as_float(z)
    return z / (1.0 + np.abs(z))


def softsign_grad(z):
    r""":math:`f'(z) = 1 / (1 + |z|)^2`."""
    z = _as_float(z)
    return 1.0 / (1.0 + np.abs(z)) ** 2


def clip(z, low: float = -1.0, high: float = 1.0):
    r"""Piecewise-linear unit :math:`f(z) = |z|_{a}^{b} = \min(\max(z, a), b)` (``low=a``, ``high=b``)."""
    if not low < high:
        raise ValueError(f"clip needs low < high, got low={low}, high={high}")
    return np.clip(_as_float(z), low, high)


def clip_grad(z, low: float = -1.0, high: float = 1.0):
    r""":math:`f'(z) = 1` for :math:`a < z < b`, 0 otherwise (0 at the kinks)."""
    z = _as_float(z)
    return ((z > low) & (z < high)).astype(np.float64)


# --------------------------------------------------------------------------- GELU, sinc
_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _phi_cdf(z):
    r"""Standard normal CDF :math:`\Phi(z) = \tfrac12 (1 + \operatorname{erf}(z/\sqrt2))`."""
    return 0.5 * (1.0 + _erf(z / _SQRT2))


def gelu(z):
    r"""Gaussian error linear unit, exact form :math:`f(z) = z\,\Phi(z) = \tfrac12 z (1 + \operatorname{erf}(z/\sqrt2))`."""
    z = _as_float(z)
    return z * _phi_cdf(z)


def gelu_grad(z):
    r""":math:`f'(z) = \Phi(z) + z\,\varphi(z)` with :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}`."""
    z = _as_float(z)
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return _phi_cdf(z) + z * pdf


def gelu_tanh(z):
    r"""GELU, tanh approximation :math:`\tfrac12 z\,(1 + \tanh(\sqrt{2/\pi}\,(z + 0.044715 z^3)))`."""
    z = _as_float(z)
    zc = np.clip(z, -1e3, 1e3)  # tanh saturates long before; avoids z**3 overflow
    u = _SQRT_2_OVER_PI * (zc + 0.044715 * zc ** 3)
    return 0.5 * z * (1.0 + np.tanh(u))


def gelu_tanh_grad(z):
    r""":math:`f'(z) = \tfrac12(1 + \tanh u) + \tfrac12 z (1 - \tanh^2 u)\,\sqrt{2/\pi}(1 + 3 \cdot 0.044715 z^2)`,
    :math:`u = \sqrt{2/\pi}(z + 0.044715 z^3)`."""
    z = _as_float(z)
    zc = np.clip(z, -1e3, 1e3)
    u = _SQRT_2_OVER_PI * (zc + 0.044715 * zc ** 3)
    t = np.tanh(u)
    du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * zc * zc)
    return 0.5 * (1.0 + t) + 0.5 * zc * (1.0 - t * t) * du


def sinc(z):
    r"""Unnormalised sinc :math:`f(z) = \sin(z)/z`, with its limit :math:`f(0) = 1`."""
    z = _as_float(z)
    safe = np.where(z == 0, 1.0, z)
    return np.where(z == 0, 1.0, np.sin(safe) / safe)


def sinc_grad(z):
    r""":math:`f'(z) = \cos(z)/z - \sin(z)/z^2`, with its limit :math:`f'(0) = 0`.

    Near 0 the Taylor series :math:`-z/3 + z^3/30` is used to avoid cancellation.
    """
    z = _as_float(z)
    small = np.abs(z) < 1e-3
    safe = np.where(small, 1.0, z)
    far = np.cos(safe) / safe - np.sin(safe) / (safe * safe)
    near = -z / 3.0 + z ** 3 / 30.0
    return np.where(small, near, far)


# --------------------------------------------------------------------------- output layers
def _check_axis_input(z, fname):
    z = _as_float(z)
    if z.ndim == 0:
        raise ValueError(f"{fname} needs at least a 1-D array of scores, got a scalar")
    return z


def softmax(z, axis: int = -1):
    r"""Softmax along ``axis``: :math:`\operatorname{softmax}(z)_i = e^{z_i} / \sum_j e^{z_j}`.

    The maximum is subtracted first, so any finite input is safe.
    Shapes: ``(..., K) -> (..., K)``; each slice along ``axis`` sums to 1.
    """
    z = _check_axis_input(z, "softmax")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    r"""Log-softmax :math:`z_i - \log\sum_j e^{z_j}` (log-sum-exp with the max subtracted)."""
    z = _check_axis_input(z, "log_softmax")
    m = np.max(z, axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def softmax_jacobian(z):
    r"""Jacobian of softmax for one score vector: :math:`J_{ij} = s_i(\delta_{ij} - s_j)`.

    Shapes: ``(K,) -> (K, K)``.
    """
    z = _as_float(z)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one score vector of shape (K,), got shape {z.shape}")
    s = softmax(z)
    return np.diag(s) - np.outer(s, s)


def softmax_vjp(z, v, axis: int = -1):
    r"""Vector-Jacobian product of softmax: :math:`(J^T v)_j = s_j (v_j - \sum_i v_i s_i)`.

    This is the backward rule of a softmax layer: given :math:`v = \partial E/\partial s`
    it returns :math:`\partial E/\partial z` without forming the ``K x K`` Jacobian.
    Shapes: ``z, v: (..., K) -> (..., K)``.
    """
    z, v = _as_float(z), _as_float(v)
    if z.shape != v.shape:
        raise ValueError(f"softmax_vjp: z has shape {z.shape} but v has shape {v.shape}")
    s = softmax(z, axis=axis)
    return s * (v - np.sum(v * s, axis=axis, keepdims=True))


def log_softmax_vjp(z, v, axis: int = -1):
    r"""Vector-Jacobian product of log-softmax: :math:`(J^T v)_j = v_j - s_j \sum_i v_i`."""
    z, v = _as_float(z), _as_float(v)
    if z.shape != v.shape:
        raise ValueError(f"log_softmax_vjp: z has shape {z.shape} but v has shape {v.shape}")
    s = softmax(z, axis=axis)
    return v - s * np.sum(v, axis=axis, keepdims=True)


def maxout(z, pieces: int):
    r"""Maxout layer: the maximum over groups of ``pieces`` consecutive linear units.

    :math:`h_j = \max_{k < K} z_{j K + k}`. Shapes: ``(n, m K) -> (n, m)``.
    """
    z = _as_float(z)
    if pieces < 1 or z.shape[-1] % pieces:
        raise ValueError(f"maxout: last dimension {z.shape[-1]} is not a multiple of pieces={pieces}")
    return z.reshape(*z.shape[:-1], -1, pieces).max(axis=-1)


def maxout_grad(z, pieces: int):
    r"""Derivative of :func:`maxout` routed back to its inputs: 1 at the arg-max of each group, else 0.

    Ties go to the first maximal piece. Shapes: ``(n, m K) -> (n, m K)``; the
    backward rule is ``dz = maxout_grad(z, K) * np.repeat(dh, K, axis=-1)``.
    """
    z = _as_float(z)
    maxout(z, pieces)  # validates the shape
    g = z.reshape(*z.shape[:-1], -1, pieces)
    onehot = np.zeros_like(g)
    np.put_along_axis(onehot, np.argmax(g, axis=-1)[..., None], 1.0, axis=-1)
    return onehot.reshape(z.shape)


# --------------------------------------------------------------------------- registry
class Activation(NamedTuple):
    """An elementwise activation: its name, forward rule ``f``, derivative ``df`` and default parameters."""

    name: str
    f: Callable
    df: Callable
    params: dict

    def __call__(self, z):
        return self.f(z, **self.params)

    def grad(self, z):
        return self.df(z, **self.params)


def _entry(name, f, df, **params):
    return name, Activation(name, f, df, params)


#: name -> :class:`Activation`; the single lookup table used by layers, the book and the tests.
ACTIVATIONS: dict[str, Activation] = dict([
    _entry("identity", identity, identity_grad),
    _entry("step", step, step_grad),
    _entry("sign", sign, sign_grad),
    _entry("sigmoid", sigmoid, sigmoid_grad),
    _entry("tanh", tanh, tanh_grad),
    _entry("relu", relu, relu_grad),
    _entry("leaky_relu", leaky_relu, leaky_relu_grad, slope=0.1),
    _entry("prelu", prelu, prelu_grad, a=0.25),
    _entry("elu", elu, elu_grad, alpha=1.0),
    _entry("softplus", softplus, softplus_grad),
    _entry("softsign", softsign, softsign_grad),
    _entry("log_sigmoid", log_sigmoid, log_sigmoid_grad),
    _entry("swish", swish, swish_grad, beta=1.0),
    _entry("gelu", gelu, gelu_grad),
    _entry("gelu_tanh", gelu_tanh, gelu_tanh_grad),
    _entry("mish", mish, mish_grad),
    _entry("sinc", sinc, sinc_grad),
    _entry("clip", clip, clip_grad, low=-1.0, high=1.0),
])

#: aliases accepted by :func:`get`
ALIASES = {"linear": "identity", "logistic": "sigmoid", "heaviside": "step", "silu": "swish",
           "hard_tanh": "clip", "piecewise_linear": "clip"}

#: activations whose derivative is zero almost everywhere (gradient descent cannot train through them)
NOT_DIFFERENTIABLE = frozenset({"step", "sign"})


def names() -> list[str]:
    """The registered activation names, in registry order."""
    return list(ACTIVATIONS)


def get(name, **params) -> Activation:
    """Look up an activation by name (or alias), optionally overriding its parameters.

    >>> get("leaky_relu", slope=0.01)(-2.0)
    array(-0.02)

    Raises
    ------
    ValueError
        for an unknown name (the message lists the known names) or an unknown parameter.
    TypeError
        if ``name`` is not a string.
    """
    if isinstance(name, Activation):
        return name._replace(params={**name.params, **params}) if params else name
    if not isinstance(name, str):
        raise TypeError(f"activation must be given by name (a str), got {type(name).__name__}")
    key = ALIASES.get(name.lower(), name.lower())
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known activations: {', '.join(ACTIVATIONS)}")
    act = ACTIVATIONS[key]
    unknown = set(params) - set(act.params)
    if unknown:
        allowed = ", ".join(act.params) or "none"
        raise ValueError(f"activation {key!r} has no parameter(s) {sorted(unknown)}; its parameters: {allowed}")
    return act._replace(params={**act.params, **params})
