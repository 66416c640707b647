r"""Training an MLP by gradient descent: batch GD, SGD and mini-batch GD (deck 004's three algorithms).

One epoch visits the ``n`` training samples once, in batches of ``B`` samples; each batch gives one update

.. math::  \theta \leftarrow \theta - \eta\, \nabla_\theta E_B, \qquad
           E_B = \frac{1}{B} \sum_{i \in \text{batch}} \ell(y_i, \hat y_i),

with the gradient from backpropagation (:func:`solutions.mlp.backward`; every loss in
:mod:`solutions.losses` is a mean over the samples it is given).

=====================  ==============  ==================================================
``batch_size``         algorithm       updates per epoch
=====================  ==============  ==================================================
``None`` (or ``n``)    batch GD        1 (the exact gradient of the training loss)
``1``                  SGD             ``n`` (order reshuffled every epoch)
``1 < B < n``          mini-batch GD   ``ceil(n / B)`` (reshuffled every epoch; the last batch may be smaller)
=====================  ==============  ==================================================

Deck 004 names these differently: its "Gradient Descent" (Algorithm 1) updates after every sample
in a fixed order (here ``batch_size=1, shuffle=False``), its "Stochastic GD" adds the shuffle, and
its "Batch Gradient Descent" is mini-batch GD.

Optimizers (:data:`OPTIMIZERS`), for a parameter :math:`\theta` with gradient :math:`g` at step :math:`t = 1, 2, \dots`:

* ``"sgd"``: :math:`\theta \leftarrow \theta - \eta g`.
* ``"momentum"`` (heavy ball, as scikit-learn with ``nesterovs_momentum=False``):
  :math:`v \leftarrow \mu v - \eta g`, :math:`\theta \leftarrow \theta + v` (:math:`v_0 = 0`).
* ``"adam"`` (Kingma and Ba 2015): :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`,
  :math:`s \leftarrow \beta_2 s + (1-\beta_2) g^2`,
  :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)` with
  :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat s = s/(1-\beta_2^t)`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import losses as _losses
from . import mlp as _mlp

__all__ = ["train", "TrainResult", "batch_gd", "sgd", "minibatch_gd", "accuracy", "OPTIMIZERS",
           "make_optimizer"]

OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    params : dict
        The trained weights (a new dict of new arrays; the input params are never modified).
    losses : ndarray, shape (epochs + 1,)
        Loss on the whole training set before training (``losses[0]``) and after every epoch.
    steps : int
        Number of parameter updates made (``epochs * ceil(n / batch_size)``).
    """

    params: dict
    losses: np.ndarray
    steps: int


# --------------------------------------------------------------------------- optimizers
def make_optimizer(name: str = "sgd", lr: float = 0.1, momentum: float = 0.9, beta1: float = 0.9,
                   beta2: float = 0.999, eps: float = 1e-8):
    r"""An update function ``step(params, grads)`` that changes ``params`` **in place** (see the module docstring).

    The function keeps its own state (velocity, Adam moments and step count), so use one per training run.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {', '.join(OPTIMIZERS)}")
    for label, value, low, high in (("lr", lr, 0.0, math.inf), ("eps", eps, 0.0, math.inf)):
        if not (isinstance(value, (int, float, np.floating)) and low < value < high):
            raise ValueError(f"{label} must be a positive finite number, got {value!r}")
    for label, value in (("momentum", momentum), ("beta1", beta1), ("beta2", beta2)):
        if not (isinstance(value, (int, float, np.floating)) and 0.0 <= value < 1.0):
            raise ValueError(f"{label} must lie in [0, 1), got {value!r}")

    if name == "sgd":
        def step(params, grads):
            for k, g in grads.items():
                params[k] -= lr * g                       # theta <- theta - eta g
        return step

    state: dict = {}
    if name == "momentum":
        def step(params, grads):
            for k, g in grads.items():
                v = state.get(k)
                v = -lr * g if v is None else momentum * v - lr * g   # v <- mu v - eta g
                state[k] = v
                params[k] += v                                           # theta <- theta + v
        return step

    counter = [0]

    def step(params, grads):  # adam
        counter[0] += 1
        t = counter[0]
        c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        for k, g in grads.items():
            m, s = state.get(k, (0.0, 0.0))
            m = beta1 * m + (1.0 - beta1) * g             # first moment
            s = beta2 * s + (1.0 - beta2) * (g * g)       # second moment
            state[k] = (m, s)
            params[k] -= lr * (m / c1) / (np.sqrt(s / c2) + eps)
    return step


# --------------------------------------------------------------------------- training loop
def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def train(params: dict, X, Y, activations="sigmoid", loss="half_squared_error", lr: float = 0.1,
          epochs: int = 100, batch_size: int | None = None, shuffle: bool = True, seed=0,
          optimizer: str = "sgd", momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
          eps: float = 1e-8) -> TrainResult:
    r"""Train an MLP by (batch, stochastic or mini-batch) gradient descent.

    Parameters
    ----------
    params : dict
        Start weights ``{"W1": (d0, d1), "b1": (d1,), ...}`` (e.g. from :func:`solutions.mlp.init_params`); not modified.
    X : array, shape (n, d0)
    Y : array, shape (n, dL), or (n,) for a one-output network
    activations : str or list
        One per layer, as in :func:`solutions.mlp.forward`.
    loss : str
        A name from :data:`solutions.losses.LOSSES` (logit losses such as ``"bce_with_logits"`` are
        evaluated on the output layer's pre-activation :math:`z^L`).
    lr : float
        Learning rate :math:`\eta`.
    epochs : int
        Number of passes over the data (0 is allowed: only the initial loss is computed).
    batch_size : int or None
        None: batch GD; 1: SGD; ``B``: mini-batch GD (see the module docstring). Values ``>= n`` mean one
        batch of all samples.
    shuffle : bool
        Reshuffle the sample order at the start of every epoch (ignored when one batch holds every sample).
    seed : int or None
        Seed of ``numpy.random.default_rng`` for the shuffles: the same seed gives the same run.
    optimizer : {"sgd", "momentum", "adam"}
    momentum, beta1, beta2, eps : float
        Optimizer constants (used by ``"momentum"`` and ``"adam"``).

    Returns
    -------
    TrainResult
        ``params``, ``losses`` (shape ``(epochs + 1,)``, initial loss first) and ``steps``.

    Raises
    ------
    ValueError
        for inconsistent shapes, an unknown activation, loss or optimizer, a non-positive ``lr`` or
        ``batch_size``, and when the loss becomes infinite or NaN (training diverged: lower ``lr``).
    """
    L = _mlp.n_layers(params)
    acts = _mlp.resolve_activations(activations, L)
    lo = _losses.get(loss)
    sizes = _mlp.layer_sizes(params)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != sizes[0]:
        raise ValueError(f"X must have shape (n_samples, {sizes[0]}) to match W1 {np.shape(params['W1'])}, "
                         f"got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    n = X.shape[0]
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1 and sizes[-1] == 1:
        Y = Y.reshape(-1, 1)
    if Y.shape != (n, sizes[-1]):
        raise ValueError(f"Y must have shape ({n}, {sizes[-1]}) to match X {X.shape} and the network's "
                         f"{sizes[-1]} output(s), got {np.shape(Y)}")
    if not np.all(np.isfinite(Y)):
        raise ValueError("Y contains NaN or infinite values")
    epochs = _check_int("epochs", epochs, 0)
    if batch_size is None:
        batch_size = n
    batch_size = min(_check_int("batch_size", batch_size, 1), n)
    step = make_optimizer(optimizer, lr, momentum, beta1, beta2, eps)

    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}  # our own copy
    rng = np.random.default_rng(seed)
    history = np.empty(epochs + 1)

    def record(k, value):
        if not np.isfinite(value):
            raise ValueError(f"training diverged: the loss is {value} after epoch {k} (lr={lr}); "
                             f"lower the learning rate")
        history[k] = value

    def output_loss(cache, Yb):
        return lo(Yb, cache[f"z{L}"] if lo.prediction == "logits" else cache[f"a{L}"])

    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by record() instead
        steps = _run(params, X, Y, acts, lo, step, rng, n, batch_size, shuffle, epochs, record, output_loss)
    return TrainResult(params=params, losses=history, steps=steps)


def _run(params, X, Y, acts, lo, step, rng, n, batch_size, shuffle, epochs, record, output_loss) -> int:
    """The epoch loop of :func:`train` (inputs already validated); returns the number of updates."""
    steps = 0
    if batch_size >= n:  # batch GD: each forward pass also gives the loss after the previous epoch
        for epoch in range(epochs):
            cache = _mlp.forward(params, X, acts)
            record(epoch, output_loss(cache, Y))
            step(params, _mlp.backward(params, cache, Y, acts, lo))
            steps += 1
        record(epochs, _mlp.loss(params, X, Y, acts, lo))
        return steps

    record(0, _mlp.loss(params, X, Y, acts, lo))
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for s in range(0, n, batch_size):
            idx = order[s:s + batch_size]
            Xb, Yb = X[idx], Y[idx]
            cache = _mlp.forward(params, Xb, acts)
            step(params, _mlp.backward(params, cache, Yb, acts, lo))
            steps += 1
        record(epoch, _mlp.loss(params, X, Y, acts, lo))
    return steps


def batch_gd(params, X, Y, activations="sigmoid", loss="half_squared_error", lr=0.1, epochs=100,
             **kwargs) -> TrainResult:
    """Batch gradient descent: one update per epoch with the gradient of the whole training set."""
    return train(params, X, Y, activations, loss, lr, epochs, batch_size=None, **kwargs)


def sgd(params, X, Y, activations="sigmoid", loss="half_squared_error", lr=0.1, epochs=100, seed=0,
        **kwargs) -> TrainResult:
    """Stochastic gradient descent: one update per sample, the order reshuffled every epoch."""
    return train(params, X, Y, activations, loss, lr, epochs, batch_size=1, seed=seed, **kwargs)


def minibatch_gd(params, X, Y, batch_size=32, activations="sigmoid", loss="half_squared_error", lr=0.1,
                 epochs=100, seed=0, **kwargs) -> TrainResult:
    """Mini-batch gradient descent: one update per ``batch_size`` samples, reshuffled every epoch."""
    return train(params, X, Y, activations, loss, lr, epochs, batch_size=batch_size, seed=seed, **kwargs)


# --------------------------------------------------------------------------- evaluation
def accuracy(params: dict, X, y, activations="sigmoid", threshold: float = 0.5) -> float:
    r"""Fraction of correctly classified samples.

    One output unit (a probability, e.g. a sigmoid output): class :math:`[\hat y \ge` ``threshold`` :math:`]`
    against labels ``y`` in {0, 1}, shape ``(n,)`` or ``(n, 1)``. Several outputs: class
    :math:`\arg\max_k \hat y_k` against integer labels ``(n,)`` or one-hot targets ``(n, K)``.
    """
    out = _mlp.predict(params, X, activations)
    n, k = out.shape
    y = np.asarray(y)
    if k == 1:
        y = y.reshape(-1) if y.shape in ((n,), (n, 1)) else y
        if y.shape != (n,):
            raise ValueError(f"labels y must have shape ({n},) for a one-output network, got {np.shape(y)}")
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"labels y must be 0 or 1 for a one-output network, got values {np.unique(y)[:6]}")
        return float(np.mean((out[:, 0] >= threshold) == (y == 1)))
    if y.shape == (n, k):
        y = np.argmax(y, axis=1)
    if y.shape != (n,):
        raise ValueError(f"labels y must have shape ({n},) or one-hot ({n}, {k}), got {np.shape(y)}")
    return float(np.mean(np.argmax(out, axis=1) == y))
