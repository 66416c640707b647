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

Optimizers (:data:`OPTIMIZERS`): ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"rmsprop"`` and ``"adam"``, the
update rules of :mod:`solutions.optimizers` (one place for their formulas).

Against overfitting: ``weight_decay`` :math:`\lambda` adds :math:`\lambda W^l` to every weight gradient
(:func:`solutions.regularisation.l2_penalty_grad`); ``validation=(X_val, Y_val)`` records the validation loss
after every epoch, and ``patience`` stops early and returns the weights of the best validation epoch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import losses as _losses
from . import mlp as _mlp
from . import optimizers as _optimizers
from . import regularisation as _regularisation

__all__ = ["train", "TrainResult", "batch_gd", "sgd", "minibatch_gd", "accuracy", "OPTIMIZERS",
           "make_optimizer", "gradient_step"]

OPTIMIZERS = tuple(_optimizers.OPTIMIZERS)


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
    val_losses : ndarray or None
        With ``validation``: the validation loss before training and after every epoch run.
    best_epoch : int or None
        With ``patience``: the epoch whose weights ``params`` holds (lowest validation loss); training stopped
        ``patience`` epochs after it, or at ``epochs``, and ``losses`` / ``val_losses`` end there.
    """

    params: dict
    losses: np.ndarray
    steps: int
    val_losses: np.ndarray | None = None
    best_epoch: int | None = None


# --------------------------------------------------------------------------- optimizers
def gradient_step(params: dict, grads: dict, lr: float) -> dict:
    r"""One plain gradient-descent update, :math:`\theta \leftarrow \theta - \eta\, \partial E/\partial\theta`,
    for every parameter (:class:`solutions.optimizers.GradientDescent`): a new dict of new arrays (``params`` is
    not modified)."""
    new = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    _optimizers.GradientDescent(lr).step(new, {k: grads[k] for k in params})
    return new


def make_optimizer(name: str = "sgd", lr: float = 0.1, momentum: float = 0.9, beta1: float = 0.9,
                   beta2: float = 0.999, eps: float = 1e-8, rho: float = 0.9):
    r"""An update function ``step(params, grads)`` that changes ``params`` **in place**.

    The rules are those of :mod:`solutions.optimizers`; the function keeps its optimiser's state (velocity,
    moments and step count), so use one per training run.
    """
    hyper = {"momentum": {"momentum": momentum}, "nesterov": {"momentum": momentum},
             "rmsprop": {"rho": rho, "eps": eps}, "adam": {"beta1": beta1, "beta2": beta2, "eps": eps}}
    if name not in _optimizers.OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {', '.join(_optimizers.OPTIMIZERS)}")
    for label, value in (("momentum", momentum), ("beta1", beta1), ("beta2", beta2), ("rho", rho)):
        _optimizers._unit_interval(label, value)
    _optimizers._positive("eps", eps)
    return _optimizers.make(name, lr, **hyper.get(name, {})).step


# --------------------------------------------------------------------------- training loop
def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def train(params: dict, X, Y, activations="sigmoid", loss="half_squared_error", lr: float = 0.1,
          epochs: int = 100, batch_size: int | None = None, shuffle: bool = True, seed=0,
          optimizer: str = "sgd", momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
          eps: float = 1e-8, rho: float = 0.9, weight_decay: float = 0.0, validation=None,
          patience: int | None = None) -> TrainResult:
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
    optimizer : {"sgd", "momentum", "nesterov", "rmsprop", "adam"}
    momentum, beta1, beta2, eps, rho : float
        Optimizer constants (see :mod:`solutions.optimizers`).
    weight_decay : float
        L2 penalty :math:`\lambda \ge 0`: every weight gradient gets :math:`+\lambda W` (biases are not
        penalised). The recorded losses are the data loss without the penalty.
    validation : (X_val, Y_val) or None
        Record the validation loss before training and after every epoch (``TrainResult.val_losses``).
    patience : int or None
        Early stopping (needs ``validation``): stop when the validation loss has not improved for ``patience``
        epochs and return the weights of the best epoch (``TrainResult.best_epoch``).

    Returns
    -------
    TrainResult
        ``params``, ``losses`` (shape ``(epochs + 1,)``, initial loss first), ``steps``, and with
        ``validation`` the ``val_losses`` (with ``patience`` also ``best_epoch``).

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
    X, Y = _data(X, Y, sizes, "")
    n = X.shape[0]
    if validation is not None:
        try:
            X_val, Y_val = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, Y_val)") from None
        X_val, Y_val = _data(X_val, Y_val, sizes, "_val")
    if patience is not None:
        if validation is None:
            raise ValueError("early stopping (patience) needs validation=(X_val, Y_val)")
        patience = _check_int("patience", patience, 1)
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, (int, float, np.floating)) \
            or not 0.0 <= weight_decay < math.inf:
        raise ValueError(f"weight_decay must be a finite number >= 0, got {weight_decay!r}")
    epochs = _check_int("epochs", epochs, 0)
    if batch_size is None:
        batch_size = n
    batch_size = min(_check_int("batch_size", batch_size, 1), n)
    step = make_optimizer(optimizer, lr, momentum, beta1, beta2, eps, rho)

    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}  # our own copy
    rng = np.random.default_rng(seed)

    def gradient(cache, Yb):
        grads = _mlp.backward(params, cache, Yb, acts, lo)
        if weight_decay:
            decay = _regularisation.l2_penalty_grad(params, weight_decay)
            grads = {k: grads[k] + decay[k] for k in grads}
        return grads

    def checked(value):
        if not np.isfinite(value):
            raise ValueError(f"training diverged: the loss is {value} (lr={lr}); lower the learning rate")
        return value

    def loss_of(cache, Ys):
        return checked(lo(Ys, cache[f"z{L}"] if lo.prediction == "logits" else cache[f"a{L}"]))

    full_batch = batch_size >= n
    cache_all = _mlp.forward(params, X, acts)      # reused as the first batch when one batch holds all samples
    history = [loss_of(cache_all, Y)]
    val_history = [loss_of(_mlp.forward(params, X_val, acts), Y_val)] if validation is not None else None
    best = (0, {k: v.copy() for k, v in params.items()}) if patience is not None else None
    steps = 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported by checked() instead
        for epoch in range(1, epochs + 1):
            if full_batch:                                  # one batch, in the original order
                step(params, gradient(cache_all, Y))
                steps += 1
            else:
                order = rng.permutation(n) if shuffle else np.arange(n)
                for start in range(0, n, batch_size):
                    idx = order[start:start + batch_size]
                    step(params, gradient(_mlp.forward(params, X[idx], acts), Y[idx]))
                    steps += 1
            cache_all = _mlp.forward(params, X, acts)
            history.append(loss_of(cache_all, Y))
            if validation is None:
                continue
            val_history.append(loss_of(_mlp.forward(params, X_val, acts), Y_val))
            if patience is None:
                continue
            if _regularisation.best_epoch(val_history) == epoch:
                best = (epoch, {k: v.copy() for k, v in params.items()})
            if _regularisation.should_stop(val_history, patience):
                break
    result = TrainResult(params=params, losses=np.array(history), steps=steps,
                         val_losses=None if val_history is None else np.array(val_history))
    if best is not None:
        result.best_epoch, result.params = best
    return result


def _data(X, Y, sizes, suffix):
    """``X`` (n, d0) and ``Y`` (n, dL) as finite float arrays matching the network, or a ``ValueError``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != sizes[0]:
        raise ValueError(f"X{suffix} must have shape (n_samples, {sizes[0]}) to match W1 {(sizes[0], sizes[1])}, "
                         f"got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"X{suffix} contains NaN or infinite values")
    n = X.shape[0]
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1 and sizes[-1] == 1:
        Y = Y.reshape(-1, 1)
    if Y.shape != (n, sizes[-1]):
        raise ValueError(f"Y{suffix} must have shape ({n}, {sizes[-1]}) to match X{suffix} {X.shape} and the "
                         f"network's {sizes[-1]} output(s), got {np.shape(Y)}")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"Y{suffix} contains NaN or infinite values")
    return X, Y


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
