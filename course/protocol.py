r"""The protocol through which the widgets run *your* network code (and how they check it).

The widgets in :mod:`course.widgets` never contain a network implementation of their own: they
call functions you pass in. The book passes the reference implementation; in an assignment you
pass yours, and the gradient-flow explorer becomes a backprop debugger.

Student protocol (the same signatures as the reference, so either can be passed)
--------------------------------------------------------------------------------
``params``
    ``{"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}``; rows are samples,
    ``W1[i, j]`` is the weight from input ``i`` to hidden unit ``j``.
``forward(params, X, activations) -> cache``
    ``X`` has shape ``(n, d0)``; the cache holds ``"a0": X`` and, for every layer ``l = 1..L``,
    ``"z{l}"`` (net input, ``(n, d_l)``) and ``"a{l}" = f_l(z{l})``.
``backward(params, cache, Y, activations) -> grads``
    ``grads[k]`` is :math:`\partial E/\partial\,` ``params[k]``, same keys and shapes as ``params``.
``activations``
    what your ``forward``/``backward`` receive: by default a list of ``L`` activation *names*
    (one per layer); with ``activations_as="functions"`` a list of ``(f, df)`` pairs taken from
    the activation table you gave the widget.
loss
    unless you pass ``loss=`` (a function ``(params, X, Y, activations) -> float``), the widgets
    use the lectures' loss, the mean over samples of a per-sample half squared error

    .. math::  E = \frac{1}{n}\sum_{s=1}^{n} \tfrac12 \sum_k \big(y_{sk} - a^L_{sk}\big)^2,

    evaluated on ``forward(...)["a{L}"]``. Your ``backward`` must differentiate the same loss.

Activation tables
-----------------
Every widget that needs activation functions takes a mapping ``name -> entry`` where an entry is
an ``(f, df)`` pair of vectorised functions, or an object with ``f``/``df`` attributes and an
optional ``params`` dict of keyword parameters (such as the reference's ``Activation``).
:func:`activation_table` normalises either form to :class:`ActivationEntry`.

The gradient check
------------------
:func:`check_gradients` compares your analytic gradients with central differences,
:math:`\partial E/\partial\theta_i \approx (E(\theta + h e_i) - E(\theta - h e_i)) / 2h`, entry by
entry, with the relative error of CS231n, :math:`|a - b| / \max(10^{-8}, |a| + |b|)`. Entries above
``tol`` (default ``1e-4``) are flagged. This is a *tool* shipped with the kit; writing your own
gradient check is still part of the assignments.

The update
----------
The explorers' "step" button applies ``update(params, grads, lr) -> new params``. If you pass
none, :func:`gradient_step` applies the plain update :math:`\theta \leftarrow \theta - \eta\,
\partial E/\partial\theta` to every parameter (a full-batch step on the widget's data; the
mini-batch training loop of the assignments is yours to write).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

__all__ = ["ActivationEntry", "activation_table", "worked_example", "param_keys", "layer_sizes",
           "call_forward", "call_backward", "half_squared_error", "make_loss", "numerical_gradients",
           "relative_error", "GradientCheck", "check_gradients", "gradient_step", "DEFAULT_TOL"]

#: relative error above which an analytic gradient entry is flagged (float64, ``h = 1e-5``)
DEFAULT_TOL = 1e-4


# --------------------------------------------------------------------------- activation tables
@dataclass(frozen=True)
class ActivationEntry:
    """One activation from a caller's table: ``f(z, **params)`` and its derivative ``df(z, **params)``."""

    name: str
    f: Callable
    df: Callable
    params: dict = field(default_factory=dict)

    def __call__(self, z, **override):
        return np.asarray(self.f(np.asarray(z, dtype=np.float64), **{**self.params, **override}), dtype=np.float64)

    def grad(self, z, **override):
        return np.asarray(self.df(np.asarray(z, dtype=np.float64), **{**self.params, **override}), dtype=np.float64)

    def parameter_defaults(self) -> dict:
        """Keyword parameters of ``f`` with their values (``params`` first, then ``f``'s own defaults)."""
        found = {}
        try:
            sig = inspect.signature(self.f)
        except (TypeError, ValueError):
            sig = None
        if sig is not None:
            for i, p in enumerate(sig.parameters.values()):
                if i > 0 and p.default is not inspect.Parameter.empty and isinstance(p.default, (int, float)):
                    found[p.name] = float(p.default)
        found.update({k: float(v) for k, v in self.params.items() if np.ndim(v) == 0})
        return found


def activation_table(activations) -> dict[str, ActivationEntry]:
    """Normalise a caller's activation mapping to ``{name: ActivationEntry}``.

    Accepts ``{name: (f, df)}``, ``{name: obj}`` with ``obj.f``, ``obj.df`` (and optionally
    ``obj.params``), or an iterable of such objects that carry a ``name`` attribute.
    """
    if activations is None:
        raise TypeError("an activation table is required: pass a mapping name -> (f, df), e.g. "
                        "{'sigmoid': (sigmoid, sigmoid_grad)}")
    if not isinstance(activations, Mapping):
        items = list(activations)
        if not all(hasattr(a, "name") for a in items):
            raise TypeError("activations must be a mapping name -> (f, df) (or objects with a .name); "
                            f"got {type(activations).__name__}")
        activations = {a.name: a for a in items}
    table = {}
    for name, entry in activations.items():
        if isinstance(entry, ActivationEntry):
            table[str(name)] = entry
        elif hasattr(entry, "f") and hasattr(entry, "df"):
            table[str(name)] = ActivationEntry(str(name), entry.f, entry.df, dict(getattr(entry, "params", {}) or {}))
        elif isinstance(entry, (tuple, list)) and len(entry) == 2 and all(callable(e) for e in entry):
            table[str(name)] = ActivationEntry(str(name), entry[0], entry[1])
        else:
            raise TypeError(f"activation {name!r}: expected a pair (f, df) of functions or an object with "
                            f".f and .df, got {type(entry).__name__}")
    if not table:
        raise ValueError("the activation table is empty")
    return table


# --------------------------------------------------------------------------- the lecture's network
def worked_example() -> dict:
    """The 2-2-1 sigmoid network of the backprop lecture (Roman-Rangel, deck 004): lecture *data*.

    Returns ``{"params", "x", "y", "lr", "activation"}`` with ``x`` of shape ``(1, 2)`` and
    ``y`` of shape ``(1, 1)``. The deck writes :math:`s_1 = w_1 x_1 + w_3 x_2 + b_1`,
    :math:`s_2 = w_2 x_1 + w_4 x_2 + b_2`, :math:`s_3 = w_5 a_1 + w_6 a_2 + b_3`; so
    ``W1 = [[w1, w2], [w3, w4]]`` (row = input), ``W2 = [[w5], [w6]]``.
    """
    return {
        "params": {"W1": np.array([[0.15, 0.20], [0.25, 0.30]]), "b1": np.array([0.35, 0.35]),
                   "W2": np.array([[0.50], [0.55]]), "b2": np.array([0.60])},
        "x": np.array([[0.05, 0.10]]),
        "y": np.array([[1.0]]),
        "lr": 0.1,
        "activation": "sigmoid",
    }


# --------------------------------------------------------------------------- validation
def param_keys(params: dict) -> list[str]:
    """``["W1", "b1", ..., "WL", "bL"]``, checking that ``params`` is a dict with exactly those keys."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict {{'W1': ..., 'b1': ...}}, got {type(params).__name__}")
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    keys = [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    if L == 0 or set(keys) != set(params):
        raise ValueError(f"params must have keys W1, b1, ..., WL, bL; got {sorted(params)}")
    return keys


def layer_sizes(params: dict) -> list[int]:
    """``[d0, d1, ..., dL]`` read off the weight shapes (validated)."""
    keys = param_keys(params)
    L = len(keys) // 2
    sizes = [np.shape(params["W1"])[0]]
    for l in range(1, L + 1):
        W, b = np.shape(params[f"W{l}"]), np.shape(params[f"b{l}"])
        if len(W) != 2 or W[0] != sizes[-1] or b != (W[1],):
            raise ValueError(f"layer {l}: expected W{l} of shape ({sizes[-1]}, d{l}) and b{l} of shape (d{l},); "
                             f"got W{l} {W} and b{l} {b}")
        sizes.append(W[1])
    return sizes


def call_forward(forward: Callable, params: dict, X: np.ndarray, activations) -> dict:
    """Call the caller's ``forward`` and check the cache it returns (clear errors name the key and shapes)."""
    cache = forward(params, X, activations)
    if not isinstance(cache, dict):
        raise TypeError(f"forward must return a dict cache {{'a0': X, 'z1': ..., 'a1': ...}}, got {type(cache).__name__}")
    sizes = layer_sizes(params)
    n = X.shape[0]
    for l, d in enumerate(sizes):
        for key in ([f"a{l}"] if l == 0 else [f"z{l}", f"a{l}"]):
            if key not in cache:
                raise ValueError(f"forward's cache lacks {key!r}; it must hold a0, z1, a1, ..., z{len(sizes) - 1}, "
                                 f"a{len(sizes) - 1}; got keys {sorted(cache)}")
            if np.shape(cache[key]) != (n, d):
                raise ValueError(f"forward's cache[{key!r}] has shape {np.shape(cache[key])}, expected ({n}, {d})")
    return cache


def call_backward(backward: Callable, params: dict, cache: dict, Y: np.ndarray, activations) -> dict:
    """Call the caller's ``backward`` and check that it returns one gradient per parameter, of its shape."""
    grads = backward(params, cache, Y, activations)
    if isinstance(grads, tuple):  # (grads, deltas), as the reference returns with return_deltas=True
        grads = grads[0]
    if not isinstance(grads, dict):
        raise TypeError(f"backward must return a dict {{'W1': dE/dW1, 'b1': ...}}, got {type(grads).__name__}")
    missing = [k for k in params if k not in grads]
    if missing:
        raise ValueError(f"backward's grads lack {missing}; expected keys {list(params)}, got {sorted(grads)}")
    out = {}
    for k in params:
        g = np.asarray(grads[k], dtype=np.float64)
        if g.shape != np.shape(params[k]):
            raise ValueError(f"backward's grads[{k!r}] has shape {g.shape} but params[{k!r}] has shape "
                             f"{np.shape(params[k])}")
        out[k] = g
    return out


# --------------------------------------------------------------------------- loss and gradient check
def half_squared_error(Y, A) -> float:
    r""":math:`E = \frac1n \sum_s \tfrac12 \sum_k (y_{sk} - a_{sk})^2` for ``Y``, ``A`` of shape ``(n, dL)``."""
    Y, A = np.asarray(Y, dtype=np.float64), np.asarray(A, dtype=np.float64)
    if Y.shape != A.shape:
        raise ValueError(f"targets have shape {Y.shape} but the network output has shape {A.shape}")
    return float(0.5 * np.sum((Y - A) ** 2) / Y.shape[0])


def make_loss(forward: Callable, loss: Callable | None = None) -> Callable:
    """``E(params, X, Y, activations) -> float``: the caller's ``loss`` or half squared error on ``forward``."""
    if loss is not None:
        return lambda params, X, Y, activations: float(loss(params, X, Y, activations))

    def E(params, X, Y, activations):
        cache = forward(params, X, activations)
        return half_squared_error(Y, cache[f"a{len(params) // 2}"])
    return E


def numerical_gradients(E: Callable[[dict], float], params: dict, h: float = 1e-5) -> dict:
    r"""Central differences :math:`(E(\theta + h e_i) - E(\theta - h e_i))/2h` for every entry of every parameter.

    ``E`` takes a params dict. ``params`` is copied; the caller's arrays are never modified.
    """
    if not h > 0:
        raise ValueError(f"step h must be positive, got {h}")
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out = {}
    for k, theta in work.items():
        g, flat = np.zeros_like(theta), theta.reshape(-1)
        gflat = g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            ep = E(work)
            flat[i] = old - h
            em = E(work)
            flat[i] = old
            gflat[i] = (ep - em) / (2.0 * h)
        out[k] = g
    return out


def relative_error(a, b) -> np.ndarray:
    r"""Elementwise :math:`|a - b| / \max(10^{-8}, |a| + |b|)` (CS231n)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


@dataclass
class GradientCheck:
    """Result of :func:`check_gradients`: per parameter, the analytic and numerical gradients and their relative error."""

    analytic: dict
    numerical: dict
    rel_error: dict
    tol: float

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


def check_gradients(forward: Callable, backward: Callable, params: dict, X, Y, activations,
                    loss: Callable | None = None, h: float = 1e-5, tol: float = DEFAULT_TOL,
                    grads: dict | None = None) -> GradientCheck:
    """Compare ``backward``'s gradients with central differences of the loss, entry by entry.

    Pass ``grads`` if you already have ``backward``'s result for these params (saves one call).
    """
    E = make_loss(forward, loss)
    if grads is None:
        grads = call_backward(backward, params, call_forward(forward, params, X, activations), Y, activations)
    numerical = numerical_gradients(lambda p: E(p, X, Y, activations), params, h)
    rel = {k: relative_error(grads[k], numerical[k]) for k in params}
    return GradientCheck(grads, numerical, rel, tol)


def gradient_step(params: dict, grads: dict, lr: float) -> dict:
    r"""The plain gradient-descent update :math:`\theta \leftarrow \theta - \eta\, \partial E/\partial\theta` (a new dict)."""
    return {k: np.asarray(v, dtype=np.float64) - lr * grads[k] for k, v in params.items()}
