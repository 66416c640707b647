r"""Rosenblatt's perceptron: a threshold unit and its mistake-driven learning rule.

Conventions (those of the lectures):

* Inputs are *augmented* with a constant :math:`x_0 = 1`, so the bias is the weight
  :math:`w_0`: :math:`\tilde x = (1, x_1, \dots, x_d)`, shape ``(d + 1,)``; a data matrix
  ``X`` of shape ``(n, d)`` becomes ``(n, d + 1)`` (:func:`augment`).
* Labels :math:`t \in \{0, 1\}`; the output is the binary step
  :math:`y = H(w \cdot \tilde x)` with :math:`H(z) = 1` for :math:`z \ge 0` (so ``step(0) = 1``).
* Rosenblatt's rule for one sample: :math:`w \leftarrow w + \eta\,(t - y)\,\tilde x`. It changes
  :math:`w` only on a mistake (:math:`t \ne y`).

Link to a loss: with labels :math:`s = 2t - 1 \in \{-1, +1\}` and score :math:`z = w \cdot \tilde x`, the
perceptron criterion :math:`\max(0, -s z)` (:func:`solutions.losses.perceptron_loss`) has the
subgradient :math:`-s\,\tilde x` on a mistake (:math:`s z < 0`) and 0 otherwise, so the Rosenblatt
update is a (sub)gradient-descent step on it. The one exception is a point exactly on the
boundary (:math:`z = 0`) with :math:`t = 0`: the step unit calls it class 1 (a mistake, so the rule
updates) while the criterion is already 0 there.

Convergence (Novikoff 1962): if some :math:`w^*` separates the data with margin
:math:`\gamma = \min_i s_i\, w^*\!\cdot \tilde x_i / \lVert w^* \rVert > 0`, training from :math:`w = 0`
makes at most :math:`(R/\gamma)^2` mistakes, :math:`R = \max_i \lVert \tilde x_i \rVert`
(:func:`novikoff_bound`). On data that is not linearly separable (XOR) it never converges; with a
fixed pass order the weights at epoch boundaries eventually repeat (:attr:`PerceptronResult.cycled`),
which proves it never will.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import step

__all__ = ["augment", "predict", "rosenblatt_update", "train", "PerceptronResult", "to_pm1",
           "novikoff_bound", "AND_WEIGHTS", "OR_WEIGHTS", "NAND_WEIGHTS"]

#: Deck 004's hand-set AND unit :math:`(w_0, w_1, w_2)`: fires only when :math:`x_1 + x_2 \ge 1.5`.
AND_WEIGHTS = np.array([-1.5, 1.0, 1.0])
#: A hand-set OR unit: fires when :math:`x_1 + x_2 \ge 0.5`.
OR_WEIGHTS = np.array([-0.5, 1.0, 1.0])
#: A hand-set NAND unit (AND with every sign flipped): fires unless :math:`x_1 + x_2 \ge 1.5`.
NAND_WEIGHTS = np.array([1.5, -1.0, -1.0])


# --------------------------------------------------------------------------- validation
def _as_matrix(X, name="X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, n_features), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _as_weights(w, d: int) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (d + 1,):
        raise ValueError(f"weights must have shape ({d + 1},) = (1 bias + {d} features,), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights contain NaN or infinite values")
    return w


def _as_labels(t, n: int) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.shape != (n,):
        raise ValueError(f"labels t must have shape ({n},) to match X, got {np.shape(t)}")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError(f"labels t must be 0 or 1, got values {np.unique(t)[:6]}")
    return t


# --------------------------------------------------------------------------- the unit
def augment(X) -> np.ndarray:
    r"""Prepend the constant input :math:`x_0 = 1`: ``(n, d) -> (n, d + 1)`` (a single ``(d,)`` -> ``(1, d + 1)``)."""
    X = _as_matrix(X)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def predict(w, X) -> np.ndarray:
    r"""Perceptron outputs :math:`y_i = H(w \cdot \tilde x_i) \in \{0, 1\}`, shape ``(n,)``.

    Parameters
    ----------
    w : array, shape (d + 1,)
        Bias :math:`w_0` first, then one weight per feature.
    X : array, shape (n, d)
        Raw (not augmented) inputs.
    """
    Xa = augment(X)
    return step(Xa @ _as_weights(w, Xa.shape[1] - 1))


def rosenblatt_update(w, x, t, lr: float = 1.0) -> np.ndarray:
    r"""One application of Rosenblatt's rule: :math:`w + \eta\,(t - y)\,(1, x)`, :math:`y = H(w \cdot (1, x))`.

    Parameters
    ----------
    w : array, shape (d + 1,)
    x : array, shape (d,)
        One raw input.
    t : {0, 1}
        Its label.
    lr : float
        Learning rate :math:`\eta > 0`.

    Returns
    -------
    ndarray, shape (d + 1,)
        A new weight vector (``w`` itself is not modified); equal to ``w`` when ``y == t``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be one input of shape (d,), got {x.shape}")
    xa = augment(x)[0]
    w = _as_weights(w, x.shape[0])
    t = float(_as_labels([t], 1)[0])
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    y = 1.0 if w @ xa >= 0 else 0.0
    return w + lr * (t - y) * xa


def to_pm1(t) -> np.ndarray:
    r"""Labels :math:`\{0, 1\} \to \{-1, +1\}`: :math:`s = 2t - 1` (for the perceptron criterion and hinge loss)."""
    t = np.asarray(t, dtype=np.float64)
    if not np.all((t == 0) | (t == 1)):
        raise ValueError(f"labels must be 0 or 1, got values {np.unique(t)[:6]}")
    return 2.0 * t - 1.0


# --------------------------------------------------------------------------- training
@dataclass
class PerceptronResult:
    """What :func:`train` returns.

    Attributes
    ----------
    w : ndarray, shape (d + 1,)
        Final weights (bias first).
    converged : bool
        True when an epoch made no mistake (every training point classified correctly).
    epochs : int
        Epochs run, including the final mistake-free one when converged.
    mistakes_per_epoch : list of int
        Number of updates (mistakes) in each epoch.
    weights : ndarray, shape (k + 1, d + 1)
        The start weights, then ``w`` after each of the ``k = sum(mistakes_per_epoch)`` updates.
    cycled : bool
        With a fixed pass order (``seed=None``): the weights at the start of some epoch equal the
        weights at the start of an earlier epoch. The rule is deterministic, so from then on it
        repeats forever: a proof that training never converges.
    cycle_length : int or None
        Number of epochs in that cycle (None if no cycle was seen).
    """

    w: np.ndarray
    converged: bool
    epochs: int
    mistakes_per_epoch: list = field(default_factory=list)
    weights: np.ndarray = None
    cycled: bool = False
    cycle_length: int | None = None


def train(X, t, w0=None, lr: float = 1.0, max_epochs: int = 100, seed=None,
          stop_on_cycle: bool = False) -> PerceptronResult:
    r"""Train a perceptron with Rosenblatt's rule, one sample at a time, epoch after epoch.

    Each epoch visits every sample once (in index order, or in a fresh random order per epoch
    when ``seed`` is given) and applies :func:`rosenblatt_update`. Training stops after the first
    epoch without a mistake (converged) or after ``max_epochs``.

    Parameters
    ----------
    X : array, shape (n, d)
        Raw inputs (augmented internally).
    t : array, shape (n,)
        Labels in {0, 1}.
    w0 : array, shape (d + 1,), optional
        Start weights (default: zeros).
    lr : float
        Learning rate :math:`\eta > 0`.
    max_epochs : int
        Epoch budget.
    seed : int or None
        None: fixed pass order (cycle detection is on). An int: shuffle every epoch with
        ``numpy.random.default_rng(seed)`` (reproducible; cycles are not detected).
    stop_on_cycle : bool
        Stop as soon as a cycle is detected instead of using the whole budget.

    Returns
    -------
    PerceptronResult
    """
    X = _as_matrix(X)
    n, d = X.shape
    t = _as_labels(t, n)
    w = np.zeros(d + 1) if w0 is None else _as_weights(w0, d).copy()
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if int(max_epochs) != max_epochs or max_epochs < 1:
        raise ValueError(f"max_epochs must be a positive integer, got {max_epochs!r}")
    Xa = augment(X)
    rng = None if seed is None else np.random.default_rng(seed)
    history = [w.copy()]
    mistakes_per_epoch: list[int] = []
    seen: dict[bytes, int] = {}
    cycled, cycle_length, converged = False, None, False
    for epoch in range(int(max_epochs)):
        if rng is None and not cycled:
            key = w.tobytes()
            if key in seen:
                cycled, cycle_length = True, epoch - seen[key]
                if stop_on_cycle:
                    break
            seen[key] = epoch
        order = range(n) if rng is None else rng.permutation(n)
        mistakes = 0
        for i in order:
            y = 1.0 if Xa[i] @ w >= 0 else 0.0          # H(w . x~), step(0) = 1
            if y != t[i]:
                w = w + lr * (t[i] - y) * Xa[i]          # Rosenblatt: w + eta (t - y) x~
                history.append(w)
                mistakes += 1
        mistakes_per_epoch.append(mistakes)
        if mistakes == 0:
            converged = True
            break
    return PerceptronResult(w=w, converged=converged, epochs=len(mistakes_per_epoch),
                            mistakes_per_epoch=mistakes_per_epoch, weights=np.array(history),
                            cycled=cycled, cycle_length=cycle_length)


def novikoff_bound(X, t, w_star) -> float:
    r"""Novikoff's mistake bound :math:`(R/\gamma)^2` for data separated by ``w_star``.

    :math:`R = \max_i \lVert \tilde x_i \rVert`, :math:`\gamma = \min_i s_i\,(w^* \cdot \tilde x_i)/\lVert w^* \rVert`,
    :math:`s = 2t - 1`. Training from :math:`w = 0` (any learning rate) makes at most this many
    mistakes in total.

    Raises
    ------
    ValueError
        if ``w_star`` does not separate the data with a positive margin.
    """
    Xa = augment(X)
    s = to_pm1(_as_labels(t, Xa.shape[0]))
    w_star = _as_weights(w_star, Xa.shape[1] - 1)
    gamma = float(np.min(s * (Xa @ w_star)) / np.linalg.norm(w_star))
    if not gamma > 0:
        raise ValueError(f"w_star does not separate the data with a positive margin (margin {gamma:.3g})")
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    return (R / gamma) ** 2
