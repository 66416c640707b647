r"""Against overfitting: the L2 penalty (weight decay) with its gradient, and the early-stopping rule.

L2 penalty on the weight matrices (biases are not penalised, as in scikit-learn and most libraries):

.. math::  E_\lambda(\theta) = E(\theta) + \frac{\lambda}{2} \sum_l \lVert W^l \rVert_F^2, \qquad
           \frac{\partial E_\lambda}{\partial W^l} = \frac{\partial E}{\partial W^l} + \lambda W^l .

A gradient step on :math:`E_\lambda` is :math:`W \leftarrow (1 - \eta\lambda) W - \eta\, \partial E/\partial W`:
every step first shrinks ("decays") the weights by the factor :math:`1 - \eta\lambda`, hence the name.
scikit-learn's ``alpha`` penalises :math:`\tfrac{\alpha}{2n}\sum \lVert W \rVert^2` on a batch of :math:`n`
samples, i.e. :math:`\lambda = \alpha / n`.

Early stopping: train while watching the loss on a validation set; stop once it has not improved for
``patience`` epochs and keep the weights of the best epoch (:func:`best_epoch`, :func:`should_stop`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["is_weight", "l2_penalty", "l2_penalty_grad", "best_epoch", "should_stop"]


def is_weight(key: str) -> bool:
    """``True`` for weight matrices ``W1, W2, ...`` (penalised), ``False`` for biases ``b1, b2, ...``."""
    return key.startswith("W")


def l2_penalty(params: dict, lam: float) -> float:
    r""":math:`\frac{\lambda}{2} \sum_l \lVert W^l \rVert_F^2` over the weight matrices of ``params``."""
    if lam < 0:
        raise ValueError(f"the weight decay must be >= 0, got {lam}")
    return float(0.5 * lam * sum(np.sum(np.square(v)) for k, v in params.items() if is_weight(k)))


def l2_penalty_grad(params: dict, lam: float) -> dict:
    r""":math:`\partial/\partial W^l = \lambda W^l`, and 0 for every bias (a dict like ``params``)."""
    if lam < 0:
        raise ValueError(f"the weight decay must be >= 0, got {lam}")
    return {k: lam * np.asarray(v, dtype=np.float64) if is_weight(k) else np.zeros_like(v, dtype=np.float64)
            for k, v in params.items()}


def best_epoch(val_losses) -> int:
    """The epoch with the lowest validation loss (the first one on a tie)."""
    val_losses = np.asarray(val_losses, dtype=np.float64)
    if val_losses.ndim != 1 or val_losses.size == 0:
        raise ValueError(f"val_losses must be a non-empty 1-D sequence, got shape {val_losses.shape}")
    return int(np.argmin(val_losses))


def should_stop(val_losses, patience: int) -> bool:
    """``True`` once the last ``patience`` epochs have not improved on the best validation loss before them."""
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ValueError(f"patience must be an integer >= 1, got {patience!r}")
    return len(val_losses) - 1 - best_epoch(val_losses) >= patience
