r"""Activation functions and their derivatives, gathered in one registry.

Every activation is a pair of small vectorised functions: the forward rule
``f(z)`` and, right beside it, its derivative ``f'(z)`` (``*_grad``). Both take a
float array of any shape and return an array of the same shape (float64).

Conventions at kinks. A kink is a point where the left and right derivatives
differ, so "the" derivative does not exist there; any value between the two
one-sided derivatives is a defensible choice (a subgradient where the function is
convex there, as ReLU is at 0). The lectures disagree about which
one to use (one deck writes ``relu'(z) = 1`` for ``z >= 0``, another the indicator
``[z > 0]``). We follow scikit-learn and PyTorch:

* rectifiers take the **left-hand derivative**: ``relu'(0) = 0``,
  ``leaky_relu'(0) = slope``, ``prelu'(0) = a``, ``elu'(0) = alpha`` (for
  ``alpha = 1`` ELU is smooth at 0 and this is its derivative);
* ``clip'(z) = 1`` on the open interval ``(low, high)`` and 0 outside it *and at
  both kinks* (the slope of the flat piece, like PyTorch's ``hardtanh``/``relu6``).
* ``step'(z) = sign'(z) = 0`` everywhere. The true derivative is 0 for
  ``z != 0`` and does not exist at the jump (it is a Dirac delta there), so
  gradient descent can learn nothing through a step unit; that is why the
  perceptron has its own learning rule. (One deck instead "considers the
  derivative to be 1" -- the *straight-through* trick; that is a deliberate
  surrogate, not the derivative, and is not used here.)

Only the elementwise activations live in the registry. ``softmax`` and
``log_softmax`` mix the units of a layer (their derivative is a Jacobian, used
through :func:`softmax_vjp` / :func:`log_softmax_vjp`), and :func:`maxout`
changes the layer width, so they are plain functions.

Numerical stability: every function is finite for ``|z| <= 1e4`` (and beyond)
without a numpy warning; ``sigmoid(1000) == 1.0`` and ``sigmoid(-1000) == 0.0``.
NaN in gives NaN out (elementwise functions); ``softmax`` and ``log_softmax``
reject NaN and ``+inf`` scores with a ``ValueError`` (``-inf`` is allowed: it
masks a class out).

Use :func:`get` to look an activation up by name (a clear ``ValueError`` lists
the known names) and :data:`ACTIVATIONS` to iterate over all of them.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import erfc as _erfc

from ._registry import lookup

__all__ = [
    "Activation", "ACTIVATIONS", "get", "names",
    "identity", "identity_grad", "step", "step_grad", "sign", "sign_grad",
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "prelu", "prelu_grad", "elu", "elu_grad",
    "softplus", "softplus_grad", "softsign", "softsign_grad",
    "log_sigmoid", "log_sigmoid_grad", "swish", "swish_grad",
    "gelu", "gelu_grad", "gelu_tanh", "gelu_tanh_grad", "mish", "mish_grad",
    "sinc", "sinc_grad", "clip", "clip_grad",
    "prelu_grad_a",
    "softmax", "log_softmax", "softmax_jacobian", "log_softmax_jacobian", "softmax_vjp",
    "log_softmax_vjp", "maxout", "maxout_grad",
    "ALIASES", "NOT_DIFFERENTIABLE", "LAYER_FUNCTIONS",
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


def step(z, threshold: float = 0.0):
    r"""Binary step (Heaviside) :math:`f(z) = 1` if :math:`z \ge \theta` else 0 (``threshold`` :math:`\theta`).

    The perceptron's threshold unit with outputs in {0, 1}; ``step(threshold) = 1``.
    """
    return (_as_float(z) >= threshold).astype(np.float64)


def step_grad(z, threshold: float = 0.0):
    r""":math:`f'(z) = 0` for :math:`z \ne \theta`; undefined at :math:`\theta`, where we return 0."""
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
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`.

    Evaluated as :math:`e^{-|z|}/(1 + e^{-|z|})^2` (the same number, since
    :math:`\sigma'` is even): ``s * (1 - s)`` would round to 0 once
    :math:`\sigma(z)` rounds to 1 (:math:`z \gtrsim 37`) and lose every digit of
    the tail.
    """
    e = np.exp(-np.abs(_as_float(z)))
    return e / (1.0 + e) ** 2


def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`."""
    return np.tanh(_as_float(z))


def tanh_grad(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`.

    Evaluated as :math:`4e^{-2|z|}/(1 + e^{-2|z|})^2 = 1/\cosh^2 z`, which keeps its
    relative accuracy in the tails where :math:`1 - \tanh^2 z` rounds to 0.
    """
    e = np.exp(-2.0 * np.abs(_as_float(z)))
    return 4.0 * e / (1.0 + e) ** 2


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
    r""":math:`f'(z) = \sigma(\beta z) + \beta z\,\sigma(\beta z)(1 - \sigma(\beta z))`.

    Equivalently :math:`f'(z) = \beta f(z) + \sigma(\beta z)\,(1 - \beta f(z))` -- with
    :math:`f(z)`, not :math:`f(\beta z)`: the two agree only for :math:`\beta = 1`.
    """
    z = _as_float(z)
    return sigmoid(beta * z) + beta * z * sigmoid_grad(beta * z)


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
    if not low < high:
        raise ValueError(f"clip_grad needs low < high, got low={low}, high={high}")
    z = _as_float(z)
    return ((z > low) & (z < high)).astype(np.float64)


# --------------------------------------------------------------------------- GELU, sinc
_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _phi_cdf(z):
    r"""Standard normal CDF :math:`\Phi(z) = \tfrac12 (1 + \operatorname{erf}(z/\sqrt2)) = \tfrac12\operatorname{erfc}(-z/\sqrt2)`.

    The ``erfc`` form keeps the left tail: ``1 + erf`` rounds to 0 for :math:`z \lesssim -8.3`.
    """
    return 0.5 * _erfc(-z / _SQRT2)


def gelu(z):
    r"""Gaussian error linear unit, exact form :math:`f(z) = z\,\Phi(z) = \tfrac12 z (1 + \operatorname{erf}(z/\sqrt2))`."""
    z = _as_float(z)
    return z * _phi_cdf(z)


def gelu_grad(z):
    r""":math:`f'(z) = \Phi(z) + z\,\varphi(z)` with :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}`."""
    z = _as_float(z)
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return _phi_cdf(z) + z * pdf


def _gelu_tanh_u(z):
    """The tanh argument u(z) and du/dz, with z clipped to [-1e3, 1e3] (tanh saturates long before;
    the clip keeps z**3 finite for any input)."""
    zc = np.clip(z, -1e3, 1e3)
    return _SQRT_2_OVER_PI * (zc + 0.044715 * zc ** 3), _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * zc * zc)


def gelu_tanh(z):
    r"""GELU, tanh approximation :math:`\tfrac12 z\,(1 + \tanh u)`, :math:`u = \sqrt{2/\pi}\,(z + 0.044715 z^3)`.

    Evaluated as :math:`z\,\sigma(2u)` (because :math:`\tfrac12(1 + \tanh u) = \sigma(2u)`), which
    keeps the left tail where :math:`1 + \tanh u` rounds to 0.
    """
    z = _as_float(z)
    u, _ = _gelu_tanh_u(z)
    return z * sigmoid(2.0 * u)


def gelu_tanh_grad(z):
    r""":math:`f'(z) = \tfrac12(1 + \tanh u) + \tfrac12 z (1 - \tanh^2 u)\,\sqrt{2/\pi}(1 + 3 \cdot 0.044715 z^2)`,
    :math:`u = \sqrt{2/\pi}(z + 0.044715 z^3)`."""
    z = _as_float(z)
    u, du = _gelu_tanh_u(z)
    # 1/2 (1 + tanh u) = sigma(2u) and 1/2 (1 - tanh^2 u) = 2 sigma'(2u)
    return sigmoid(2.0 * u) + 2.0 * np.clip(z, -1e3, 1e3) * sigmoid_grad(2.0 * u) * du


def sinc(z):
    r"""Unnormalised sinc :math:`f(z) = \sin(z)/z`, with its limit :math:`f(0) = 1`."""
    z = _as_float(z)
    safe = np.where(z == 0, 1.0, z)
    return np.where(z == 0, 1.0, np.sin(safe) / safe)


#: Taylor coefficients of sinc'(z) = sum_k c_k z^(2k-1), c_k = (-1)^k 2k / (2k+1)!, k = 1..10
_SINC_GRAD_TAYLOR = np.array([(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 11)])


def sinc_grad(z):
    r""":math:`f'(z) = \cos(z)/z - \sin(z)/z^2`, with its limit :math:`f'(0) = 0`.

    For :math:`|z| < 1` the two terms nearly cancel, so the Taylor series
    :math:`f'(z) = -z/3 + z^3/30 - z^5/840 + \dots = \sum_{k\ge1} (-1)^k\,2k\,z^{2k-1}/(2k+1)!`
    (ten terms, truncation error below 1e-20) is used there instead.
    """
    z = _as_float(z)
    small = np.abs(z) < 1.0
    safe = np.where(small, 1.0, z)
    far = np.cos(safe) / safe - np.sin(safe) / (safe * safe)
    zs = np.where(small, z, 0.0)
    near = zs * np.polyval(_SINC_GRAD_TAYLOR[::-1], zs * zs)
    return np.where(small, near, far)


# --------------------------------------------------------------------------- output layers
def _check_axis_input(z, fname):
    z = _as_float(z)
    if z.ndim == 0:
        raise ValueError(f"{fname} needs at least a 1-D array of scores, got a scalar")
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError(f"{fname}: scores contain NaN or +inf (-inf is allowed and masks a class out)")
    return z


def _check_not_all_masked(z, axis, fname):
    if z.shape[axis] == 0 or np.isneginf(z).all(axis=axis).any():
        raise ValueError(f"{fname}: every slice along axis {axis} needs at least one score > -inf, got shape {z.shape}")


def softmax(z, axis: int = -1):
    r"""Softmax along ``axis``: :math:`\operatorname{softmax}(z)_i = e^{z_i} / \sum_j e^{z_j}`.

    The maximum is subtracted first, so any finite input is safe.
    Shapes: ``(..., K) -> (..., K)``; each slice along ``axis`` sums to 1.
    """
    z = _check_axis_input(z, "softmax")
    _check_not_all_masked(z, axis, "softmax")
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1):
    r"""Log-softmax :math:`z_i - \log\sum_j e^{z_j}` (log-sum-exp with the max subtracted)."""
    z = _check_axis_input(z, "log_softmax")
    _check_not_all_masked(z, axis, "log_softmax")
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


def log_softmax_jacobian(z):
    r"""Jacobian of log-softmax for one score vector: :math:`J_{ij} = \delta_{ij} - s_j`.

    Shapes: ``(K,) -> (K, K)``.
    """
    z = _as_float(z)
    if z.ndim != 1:
        raise ValueError(f"log_softmax_jacobian takes one score vector of shape (K,), got shape {z.shape}")
    s = softmax(z)
    return np.eye(z.size) - s[None, :]


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


def _check_maxout(z, pieces):
    z = _as_float(z)
    if isinstance(pieces, bool) or not isinstance(pieces, (int, np.integer)) or pieces < 1:
        raise ValueError(f"maxout: pieces must be a positive integer, got {pieces!r}")
    if z.ndim == 0 or z.shape[-1] % pieces:
        raise ValueError(f"maxout: last dimension of z (shape {z.shape}) is not a multiple of pieces={pieces}")
    return z


def maxout(z, pieces: int):
    r"""Maxout layer: the maximum over groups of ``pieces`` consecutive linear units.

    :math:`h_j = \max_{k < K} z_{j K + k}`. Shapes: ``(n, m K) -> (n, m)``.
    """
    z = _check_maxout(z, pieces)
    return z.reshape(*z.shape[:-1], -1, pieces).max(axis=-1)


def maxout_grad(z, pieces: int):
    r"""Derivative of :func:`maxout` routed back to its inputs: 1 at the arg-max of each group, else 0.

    Ties go to the first maximal piece. Shapes: ``(n, m K) -> (n, m K)``; the
    backward rule is ``dz = maxout_grad(z, K) * np.repeat(dh, K, axis=-1)``.
    """
    z = _check_maxout(z, pieces)
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
    _entry("step", step, step_grad, threshold=0.0),
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

#: functions of a whole layer (not elementwise), hence not in :data:`ACTIVATIONS`
LAYER_FUNCTIONS = ("softmax", "log_softmax", "maxout")


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
    hints = {key: f" ({key} acts on a whole layer: call solutions.activations.{key} directly)"
             for key in LAYER_FUNCTIONS}
    return lookup(name, ACTIVATIONS, ALIASES, Activation, "activation", hints, **params)
