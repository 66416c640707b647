r"""The protocol through which the widgets run *your* network code (and how they check it).

The widgets in :mod:`course.widgets` never contain a network implementation of their own: they
call functions you pass in. The book passes the reference implementation; in an assignment you
pass yours, and the gradient-flow explorer becomes a backprop debugger.

Student protocol (the same signatures as the reference, so either can be passed)
--------------------------------------------------------------------------------
``params``
    ``{"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}``; rows are samples,
    ``W1[i, j]`` is the weight from input ``i`` to hidden unit ``j`` (:mod:`course.core.params`).
``forward(params, X, activations) -> cache``
    ``X`` has shape ``(n, d0)``; the cache holds ``"a0": X`` and, for every layer ``l = 1..L``,
    ``"z{l}"`` (net input, ``(n, d_l)``) and ``"a{l}" = f_l(z{l})``.
``backward(params, cache, Y, activations) -> grads``
    ``grads[k]`` is :math:`\partial E/\partial\,` ``params[k]``, same keys and shapes as ``params``.
``update(params, grads, lr) -> params``
    your gradient-descent step; the widgets' "step" and "train" buttons appear when you pass one.
``activations``
    what your ``forward``/``backward`` receive: by default a list of ``L`` activation *names*
    (one per layer); with ``activations_as="functions"`` a list of ``(f, df)`` pairs taken from
    the activation table you gave the widget.
loss
    unless you pass ``loss=`` (a function ``(params, X, Y, activations) -> float``), the widgets
    use the lectures' loss, the mean over samples of a per-sample half squared error
    (:func:`course.core.numerics.half_squared_error`)

    .. math::  E = \frac{1}{n}\sum_{s=1}^{n} \tfrac12 \sum_k \big(y_{sk} - a^L_{sk}\big)^2,

    evaluated on ``forward(...)["a{L}"]``. Your ``backward`` must differentiate the same loss.

Every call of your code goes through :func:`call_forward`, :func:`call_backward`, :func:`call_update`
or an :class:`ActivationEntry`, which check what comes back and say in plain words what is wrong: a
function that is not written yet (it still raises ``NotImplementedError``), a missing ``return``, a
missing key, a wrong type or shape (:class:`StudentCodeError`).

Activation tables
-----------------
Every widget that needs activation functions takes a mapping ``name -> entry`` where an entry is
an ``(f, df)`` pair of vectorised callables (functions, lambdas, ``functools.partial`` objects,
numpy ufuncs such as ``np.tanh``, scipy functions such as ``scipy.special.expit``), or an object
with ``f``/``df`` attributes and an optional ``params`` dict of keyword parameters (such as the
reference's ``Activation``). :func:`activation_table` normalises either form to :class:`ActivationEntry`.

The gradient check
------------------
:func:`check_gradients` compares your analytic gradients with central differences
(:func:`course.core.numerics.numerical_gradient`), entry by entry, with the relative error of CS231n,
:math:`|a - b| / \max(10^{-8}, |a| + |b|)`. Entries above ``tol`` (default ``1e-4``) are flagged.
This is a *tool* shipped with the kit; writing your own gradient check is still part of the assignments.
"""
from __future__ import annotations

import functools
import inspect
import numbers
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .core.numerics import DEFAULT_TOL, GradientCheck, half_squared_error, numerical_gradients, relative_error
from .core.params import layer_sizes, param_keys

__all__ = ["StudentCodeError", "ActivationEntry", "activation_table", "layer_sizes", "param_keys",
           "call_student", "call_forward", "call_backward", "call_update", "make_loss", "numerical_gradients",
           "relative_error", "GradientCheck", "check_gradients", "DEFAULT_TOL"]


class StudentCodeError(Exception):
    """What is wrong with the result of a function you passed in, in plain words (``function``: its name)."""

    def __init__(self, message: str, function: str = "", not_written: bool = False):
        super().__init__(message)
        self.function, self.not_written = function, not_written


def _name(fn) -> str:
    return getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", None) or type(fn).__name__


def call_student(fn: Callable, *args, role: str = ""):
    """``fn(*args)``; a ``NotImplementedError`` (a cell not written yet) becomes a :class:`StudentCodeError`
    that says which function to write first. Any other exception passes through unchanged."""
    try:
        return fn(*args)
    except NotImplementedError:
        name = _name(fn)
        raise StudentCodeError(f"`{name}` is not written yet (it raises NotImplementedError): write "
                               f"`{name}`{f' ({role})' if role else ''} first, run its cell, then this one again.",
                               name, not_written=True) from None


def _type_hint(value, name: str, what: str) -> StudentCodeError:
    if value is None:
        return StudentCodeError(f"`{name}` returned None: is a `return` statement missing at its end? "
                                f"It must return {what}.", name)
    return StudentCodeError(f"`{name}` must return {what}, but it returned a {type(value).__name__}.", name)


def _missing_keys(name: str, what: str, missing, expected, got) -> StudentCodeError:
    listed = ", ".join(repr(k) for k in missing)
    return StudentCodeError(f"`{name}`'s {what} has no key {listed}; it needs the keys {', '.join(expected)} "
                            f"(it has {', '.join(map(str, got)) or 'none'}).", name)


# --------------------------------------------------------------------------- activation tables
def _numeric_default(p: inspect.Parameter) -> bool:
    """A keyword parameter with a real-number default (``where=True`` of a ufunc is a bool: not one)."""
    return (p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty
            and isinstance(p.default, numbers.Real) and not isinstance(p.default, (bool, np.bool_)))


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins and C functions have none
        return None


def _accepts(fn, name: str) -> bool:
    sig = _signature(fn)
    return sig is not None and (name in sig.parameters or any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()))


@dataclass(frozen=True)
class ActivationEntry:
    """One activation from a caller's table: ``f(z, **params)`` and its derivative ``df(z, **params)``."""

    name: str
    f: Callable
    df: Callable
    params: dict = field(default_factory=dict)

    def _apply(self, fn, what, z, override):
        z = np.asarray(z, dtype=np.float64)
        kw = {**self.params, **override}
        out = call_student(functools.partial(fn, **kw) if kw else fn, z, role=f"activation {self.name!r}")
        if out is None or isinstance(out, (str, bytes, dict)):
            raise _type_hint(out, f"{self.name}: {what}", f"an array of the input's shape {z.shape}")
        try:
            arr = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise _type_hint(out, f"{self.name}: {what}", "a numeric array") from None
        if arr.shape != z.shape:
            try:
                arr = np.broadcast_to(arr, z.shape)  # e.g. a constant derivative written as a number
            except ValueError:
                raise StudentCodeError(f"activation {self.name!r}: {what}(z) returned shape {arr.shape} for an input "
                                       f"of shape {z.shape}; it must work elementwise.", self.name) from None
        return arr

    def __call__(self, z, **override):
        return self._apply(self.f, "f", z, override)

    def grad(self, z, **override):
        return self._apply(self.df, "df", z, override)

    def parameter_defaults(self) -> dict:
        """Numeric keyword parameters ``f`` and ``df`` both accept, with their values (``params`` first, then
        ``f``'s defaults). Ufunc keywords such as ``where=True`` or ``subok=True`` are not parameters."""
        found = {}
        sig = _signature(self.f)
        if sig is not None:
            for i, p in enumerate(sig.parameters.values()):
                if i > 0 and _numeric_default(p) and _accepts(self.df, p.name):
                    found[p.name] = float(p.default)
        found.update({k: float(v) for k, v in self.params.items()
                      if np.ndim(v) == 0 and isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))})
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


# --------------------------------------------------------------------------- calling your code
def call_forward(forward: Callable, params: dict, X: np.ndarray, activations) -> dict:
    """Call the caller's ``forward`` and check the cache it returns (clear errors name the key and shapes)."""
    name = _name(forward)
    cache = call_student(forward, params, X, activations, role="the forward pass")
    sizes = layer_sizes(params)
    keys = ["a0"] + [f"{p}{l}" for l in range(1, len(sizes)) for p in "za"]
    if not isinstance(cache, dict):
        raise _type_hint(cache, name, "a dict cache {'a0': X, 'z1': ..., 'a1': ..., ...}")
    missing = [k for k in keys if k not in cache]
    if missing:
        raise _missing_keys(name, "cache", missing, keys, sorted(cache))
    n = X.shape[0]
    for l, d in enumerate(sizes):
        for key in ([f"a{l}"] if l == 0 else [f"z{l}", f"a{l}"]):
            if np.shape(cache[key]) != (n, d):
                raise StudentCodeError(f"`{name}`'s cache[{key!r}] has shape {np.shape(cache[key])}, expected "
                                       f"({n}, {d}) (rows are samples).", name)
    return cache


def call_backward(backward: Callable, params: dict, cache: dict, Y: np.ndarray, activations) -> dict:
    """Call the caller's ``backward`` and check that it returns one gradient per parameter, of its shape."""
    name = _name(backward)
    grads = call_student(backward, params, cache, Y, activations, role="backpropagation")
    if isinstance(grads, tuple) and grads and isinstance(grads[0], dict):  # (grads, deltas) of return_deltas=True
        grads = grads[0]
    if not isinstance(grads, dict):
        raise _type_hint(grads, name, "a dict of gradients {'W1': dE/dW1, 'b1': dE/db1, ...}")
    missing = [k for k in params if k not in grads]
    if missing:
        raise _missing_keys(name, "result", missing, list(params), sorted(grads))
    out = {}
    for k in params:
        try:
            g = np.asarray(grads[k], dtype=np.float64)
        except (TypeError, ValueError):
            raise _type_hint(grads[k], f"{name}(...)[{k!r}]", "a numeric array") from None
        if g.shape != np.shape(params[k]):
            raise StudentCodeError(f"`{name}`'s grads[{k!r}] has shape {g.shape} but params[{k!r}] has shape "
                                   f"{np.shape(params[k])}: each gradient has its parameter's shape.", name)
        out[k] = g
    return out


def call_update(update: Callable, params: dict, grads: dict, lr: float) -> dict:
    """Call the caller's ``update(params, grads, lr)`` (on copies) and check the new params."""
    name = _name(update)
    new = call_student(update, {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in grads.items()},
                       lr, role="the gradient-descent step")
    if not isinstance(new, dict):
        raise _type_hint(new, name, "a new params dict {'W1': ..., 'b1': ..., ...}")
    missing = [k for k in params if k not in new]
    if missing:
        raise _missing_keys(name, "result", missing, list(params), sorted(new))
    out = {k: np.asarray(new[k], dtype=np.float64) for k in params}
    for k in params:
        if out[k].shape != np.shape(params[k]):
            raise StudentCodeError(f"`{name}` returned [{k!r}] of shape {out[k].shape}; params[{k!r}] has shape "
                                   f"{np.shape(params[k])}.", name)
    return out


# --------------------------------------------------------------------------- loss and gradient check
def make_loss(forward: Callable, loss: Callable | None = None) -> Callable:
    """``E(params, X, Y, activations) -> float``: the caller's ``loss`` or half squared error on ``forward``."""
    if loss is not None:
        return lambda params, X, Y, activations: float(call_student(loss, params, X, Y, activations))

    def E(params, X, Y, activations):
        cache = call_student(forward, params, X, activations)
        return half_squared_error(Y, cache[f"a{len(params) // 2}"])
    return E


def check_gradients(forward: Callable, backward: Callable, params: dict, X, Y, activations,
                    loss: Callable | None = None, h: float = 1e-5, tol: float = DEFAULT_TOL,
                    grads: dict | None = None) -> GradientCheck:
    """Compare ``backward``'s gradients with central differences of the loss, entry by entry.

    Pass ``grads`` if you already have ``backward``'s result for these params (saves one call).
    ``result.ok`` is the verdict; ``result.report()`` lists every entry that disagrees, with the
    finite-difference value (expected) and yours (got).
    """
    E = make_loss(forward, loss)
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if grads is None:
        grads = call_backward(backward, params, call_forward(forward, params, X, activations), Y, activations)
    return GradientCheck.compare(grads, numerical_gradients(lambda p: E(p, X, Y, activations), params, h), tol)
