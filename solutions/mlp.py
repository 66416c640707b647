r"""A multilayer perceptron of any depth: forward pass, backward pass (backpropagation).

Notation (rows are samples, as in scikit-learn):

* ``X``: inputs, shape ``(n, d0)``; ``Y``: targets, shape ``(n, dL)``.
* ``params``: a dict ``{"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}``;
  ``W1[i, j]`` is the weight from input ``i`` to hidden unit ``j`` (sklearn's ``coefs_``).
* Forward, for layers :math:`l = 1 \dots L`:

  .. math::  z^{l} = a^{l-1} W^{l} + b^{l}, \qquad a^{l} = f_l(z^{l}), \qquad a^{0} = X.

* Backward, with the error signal :math:`\delta^{l} = \partial E / \partial z^{l}` (shape ``(n, d_l)``):

  .. math::

     \delta^{L} = \frac{\partial E}{\partial a^{L}} \odot f_L'(z^{L}), \qquad
     \delta^{l} = f_l'(z^{l}) \odot \big(\delta^{l+1} (W^{l+1})^{T}\big),

     \frac{\partial E}{\partial W^{l}} = (a^{l-1})^{T} \delta^{l}, \qquad
     \frac{\partial E}{\partial b^{l}} = \textstyle\sum_{\text{samples}} \delta^{l}.

  This is the lectures' :math:`\delta_h = f'(net_h) \odot W^T \delta_y` written for a batch of row vectors.

The loss ``E`` is the mean over samples (see :mod:`solutions.losses`); the default,
``"half_squared_error"``, is the lectures' :math:`E = \tfrac12 \sum_k (y_k - \hat y_k)^2`.

Initialisation (:func:`init_params`): Glorot/Xavier uniform,
:math:`W \sim U(-r, r)` with :math:`r = \sqrt{6/(d_{in} + d_{out})}`, and
:math:`r = \sqrt{2/(d_{in} + d_{out})}` for sigmoid layers (scikit-learn's bound; it
picks the bound from the *hidden* activation for every layer, we from each layer's own
activation), or He normal with ``scheme="he"``; biases start at zero (scikit-learn draws
them from the same uniform), or at ``relu_bias`` (e.g. 0.1) for ReLU layers, the
lectures' advice against dead units.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from course.core.params import layer_sizes, n_layers

from . import activations as _act
from . import initialisation as _init
from . import losses as _losses

__all__ = ["init_params", "forward", "backward", "predict", "loss", "n_layers",
           "layer_sizes", "output_delta", "resolve_activations",
           "layer_statistics"]


# --------------------------------------------------------------------------- helpers
# n_layers (key and shape validation) and layer_sizes: the course's parameter key scheme, course.core.params


def resolve_activations(activations, L: int) -> list:
    """One activation per layer: a single name is used for every layer; a list must have length ``L``.

    Entries are names from :data:`solutions.activations.ACTIVATIONS`, ``Activation`` objects,
    or ``"softmax"`` (output layer only).
    """
    if isinstance(activations, (str, _act.Activation)):
        activations = [activations] * L
    try:
        activations = list(activations)
    except TypeError:
        raise TypeError(f"activations must be a name, an Activation or a list of them, "
                        f"got {type(activations).__name__}") from None
    if len(activations) != L:
        raise ValueError(f"got {len(activations)} activations for a network with {L} layers")
    out = []
    for l, a in enumerate(activations, start=1):
        if isinstance(a, str) and a.lower() == "softmax":
            if l != L:
                raise ValueError(f"softmax can only be the output activation, got it for layer {l} of {L}")
            out.append("softmax")
            continue
        try:
            out.append(_act.get(a))
        except ValueError as exc:
            raise ValueError(f"layer {l}: {exc}; 'softmax' is also allowed for the output layer") from None
    return out


def _as_batch(X, d0: int, name="X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[1] != d0:
        raise ValueError(f"{name} must have shape (n_samples, {d0}), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


# --------------------------------------------------------------------------- initialisation
def init_params(sizes: Sequence[int], activations="sigmoid", seed=0, scheme: str = "glorot",
                relu_bias: float = 0.0) -> dict:
    r"""Seeded random weights for layer sizes ``[d0, d1, ..., dL]``.

    ``scheme="glorot"``: :math:`W^l \sim U(-r, r)`, :math:`r = \sqrt{c/(d_{l-1}+d_l)}` with
    :math:`c = 2` for sigmoid layers and :math:`c = 6` otherwise (scikit-learn's bounds).
    ``scheme="he"``: :math:`W^l \sim N(0, 2/d_{l-1})`. Biases are 0, except ``relu_bias``
    for ReLU-family layers.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least two positive layer widths, got {sizes}")
    L = len(sizes) - 1
    acts = resolve_activations(activations, L)
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, L + 1):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        name = acts[l - 1] if acts[l - 1] == "softmax" else acts[l - 1].name
        if scheme == "glorot":
            r = _init.glorot_uniform_bound(fan_in, fan_out, sigmoid=name == "sigmoid")
            W = rng.uniform(-r, r, size=(fan_in, fan_out))
        elif scheme == "he":
            W = rng.normal(0.0, np.sqrt(_init.he_variance(fan_in)), size=(fan_in, fan_out))
        else:
            raise ValueError(f"unknown initialisation scheme {scheme!r}; known: 'glorot', 'he'")
        b = np.full(fan_out, relu_bias if name in ("relu", "leaky_relu", "prelu") else 0.0)
        params[f"W{l}"], params[f"b{l}"] = W, b
    return params


# --------------------------------------------------------------------------- forward
def forward(params: dict, X, activations="sigmoid") -> dict:
    r"""Forward pass; returns the cache ``{"a0": X, "z1": ..., "a1": ..., ..., "zL": ..., "aL": ...}``.

    ``cache[f"a{L}"]`` is the network's output :math:`\hat Y`, shape ``(n, dL)``. A single
    sample of shape ``(d0,)`` is treated as a batch of one.
    """
    L = n_layers(params)
    acts = resolve_activations(activations, L)
    a = _as_batch(X, np.shape(params["W1"])[0])
    cache = {"a0": a}
    for l in range(1, L + 1):
        z = a @ params[f"W{l}"] + params[f"b{l}"]
        f = acts[l - 1]
        a = _act.softmax(z, axis=1) if f == "softmax" else f(z)
        cache[f"z{l}"], cache[f"a{l}"] = z, a
    return cache


def predict(params: dict, X, activations="sigmoid") -> np.ndarray:
    """The network's output :math:`\\hat Y = a^L` for inputs ``X``, shape ``(n, dL)``."""
    cache = forward(params, X, activations)
    return cache[f"a{n_layers(params)}"]


def _targets(Y, n: int, dL: int) -> np.ndarray:
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim <= 1 and Y.size == n * dL and (dL == 1 or n == 1):
        Y = Y.reshape(n, dL)  # (n,) targets of a one-output net, or one sample's (dL,) targets
    if Y.shape != (n, dL):
        hint = (" (one-hot encode class labels with solutions.losses.one_hot)"
                if Y.ndim == 1 and Y.size == n and dL > 1 else "")
        raise ValueError(f"targets Y must have shape ({n}, {dL}) to match the network output, "
                         f"got {np.shape(Y)}{hint}")
    return Y


def loss(params: dict, X, Y, activations="sigmoid", loss="half_squared_error") -> float:
    """The loss of the network on ``(X, Y)``; logit losses are evaluated on :math:`z^L`."""
    L = n_layers(params)
    cache = forward(params, X, activations)
    lo = _losses.get(loss)
    Y = _targets(Y, cache["a0"].shape[0], layer_sizes(params)[-1])
    return lo(Y, cache[f"z{L}"] if lo.prediction == "logits" else cache[f"a{L}"])


# --------------------------------------------------------------------------- backward
def output_delta(cache: dict, Y, L: int, activation, loss="half_squared_error") -> np.ndarray:
    r"""The output error signal :math:`\delta^L = \partial E/\partial z^L`.

    For a loss on the output :math:`a^L` it is :math:`\partial E/\partial a^L \odot f'(z^L)`
    (a vector-Jacobian product for softmax). For a loss on logits (``bce_with_logits``,
    ``cross_entropy_with_logits``, ``perceptron``, ``hinge``) it is the loss gradient with
    respect to :math:`z^L` directly -- e.g. :math:`(\hat y - t)/n` for softmax + cross-entropy.
    """
    lo = _losses.get(loss)
    zL, aL = cache[f"z{L}"], cache[f"a{L}"]
    Y = _targets(Y, aL.shape[0], aL.shape[1])
    if lo.prediction == "logits":
        return lo.grad(Y, zL)
    dA = lo.grad(Y, aL)
    if activation == "softmax":
        return _act.softmax_vjp(zL, dA, axis=1)
    return dA * activation.grad(zL)


def backward(params: dict, cache: dict, Y, activations="sigmoid", loss="half_squared_error",
             return_deltas: bool = False):
    r"""Backpropagation: the gradient of the loss with respect to every weight and bias.

    Returns ``grads = {"W1": dE/dW1, "b1": dE/db1, ...}`` (same keys and shapes as ``params``);
    with ``return_deltas=True`` also the error signals ``{"delta1": ..., "deltaL": ...}``, each
    of shape ``(n, d_l)``.
    """
    L = n_layers(params)
    acts = resolve_activations(activations, L)
    sizes = layer_sizes(params)
    keys = ["a0"] + [f"{p}{l}" for l in range(1, L + 1) for p in "za"]
    missing = [k for k in keys if k not in cache]
    if missing:
        raise ValueError(f"cache lacks {missing}: pass the cache returned by forward() for these params")
    n = np.shape(cache["a0"])[0]
    for l in range(L + 1):
        for k in ([f"a{l}"] if l == 0 else [f"z{l}", f"a{l}"]):
            if np.shape(cache[k]) != (n, sizes[l]):
                raise ValueError(f"cache[{k!r}] has shape {np.shape(cache[k])} but these params need "
                                 f"({n}, {sizes[l]}): pass the cache returned by forward() for these params")
    delta = output_delta(cache, Y, L, acts[-1], loss)
    grads, deltas = {}, {}
    for l in range(L, 0, -1):
        deltas[f"delta{l}"] = delta
        grads[f"W{l}"] = cache[f"a{l - 1}"].T @ delta   # dE/dW^l = (a^{l-1})^T delta^l
        grads[f"b{l}"] = delta.sum(axis=0)              # dE/db^l = sum over samples of delta^l
        if l > 1:                                       # delta^{l-1} = f'(z^{l-1}) * delta^l W^T
            delta = (delta @ params[f"W{l}"].T) * acts[l - 2].grad(cache[f"z{l - 1}"])
    grads = {k: grads[k] for k in params}  # same key order as params
    return (grads, dict(sorted(deltas.items()))) if return_deltas else grads


# --------------------------------------------------------------------------- diagnostics
def layer_statistics(params: dict, X, activations, seed=0) -> dict:
    r"""Layer-by-layer spread of a forward and a backward pass of a freshly initialised network.

    Runs :func:`forward` on ``X`` and :func:`backward` with random targets (standard
    normal, seeded; mean half squared error) and returns arrays over the layers :math:`l = 1 \dots L`:

    * ``"z_std"``: standard deviation of the pre-activations :math:`z^l`;
    * ``"a_std"``: standard deviation of the activations :math:`a^l`;
    * ``"delta_std"``: standard deviation of the error signals :math:`\delta^l = \partial E/\partial z^l`;
    * ``"grad_std"``: standard deviation of the weight gradients :math:`\partial E/\partial W^l`;
    * ``"saturated"``: fraction of units with :math:`|z| > 2` (for tanh: slope below 0.071).
    """
    cache = forward(params, X, activations)
    L = n_layers(params)
    Y = np.random.default_rng(seed).normal(size=cache[f"a{L}"].shape)
    grads, deltas = backward(params, cache, Y, activations, return_deltas=True)
    layers = range(1, L + 1)
    return {"z_std": np.array([cache[f"z{l}"].std() for l in layers]),
            "a_std": np.array([cache[f"a{l}"].std() for l in layers]),
            "delta_std": np.array([deltas[f"delta{l}"].std() for l in layers]),
            "grad_std": np.array([grads[f"W{l}"].std() for l in layers]),
            "saturated": np.array([np.mean(np.abs(cache[f"z{l}"]) > 2.0) for l in layers])}
