r"""XOR by hand: 2-2-1 networks with hand-set weights, and XOR from an engineered feature.

XOR is not linearly separable, so no single threshold unit computes it (see
:mod:`solutions.perceptron`). Written as a *disjunction of conjunctions* it needs one hidden layer:

.. math::  x_1 \oplus x_2 = (x_1 \lor x_2) \land \lnot(x_1 \land x_2) = \mathrm{AND}(\mathrm{OR}(x), \mathrm{NAND}(x)).

Hidden unit 1 is OR, hidden unit 2 is NAND, the output unit is AND of the two
(the hand-set units of :mod:`solutions.perceptron`). Every network here is a
:mod:`solutions.mlp` params dict ``{"W1": (2, 2), "b1": (2,), "W2": (2, 1), "b2": (1,)}``,
``W1[i, j]`` = weight from input ``i`` to hidden unit ``j``.

Deck 004 prints a sigmoid version, :math:`b = (-10, 30, -30)`, :math:`w = (20, -20, 20, 20, -20, 20)`.
Read with the deck's own wiring (the one of its worked example:
:math:`s_1 = w_1 x_1 + w_3 x_2 + b_1`, :math:`s_2 = w_2 x_1 + w_4 x_2 + b_2`,
:math:`s_3 = w_5 a_1 + w_6 a_2 + b_3`) these weights do **not** compute XOR: hidden unit 2 gets
:math:`s_2 = -20 x_1 + 20 x_2 + 30 \ge 10` and is always on, and the output gets
:math:`s_3 = -20 a_1 + 20 a_2 - 30 \le -10` and is always (nearly) off
(:func:`lecture_sigmoid_xor_params`, :func:`truth_table_outputs`). The biases are right (OR, NAND, AND
scaled by 20); swapping the printed :math:`w_4` and :math:`w_5` gives
:math:`w = (20, -20, 20, -20, 20, 20)`, which does compute XOR and is the only arrangement of the
six printed values that does (:func:`lecture_xor_fixes`). :func:`corrected_lecture_sigmoid_xor_params`
returns it; it equals ``sigmoid_xor_params(20.0)``.
"""
from __future__ import annotations

from itertools import permutations

import numpy as np

from course.core.lecture import LECTURE_221_LAYOUT, LECTURE_221_SHAPES, build_params
from course.data import truth_table

from . import mlp as _mlp
from .perceptron import AND_WEIGHTS, NAND_WEIGHTS, OR_WEIGHTS, augment

__all__ = ["step_xor_params", "sigmoid_xor_params", "lecture_sigmoid_xor_params",
           "corrected_lecture_sigmoid_xor_params", "lecture_params_from_vector", "lecture_xor_fixes",
           "truth_table_outputs", "hidden_outputs", "xor_features", "feature_engineered_xor",
           "LECTURE_XOR_BIASES", "LECTURE_XOR_WEIGHTS"]

#: Deck 004's printed biases (b1, b2, b3) and weights (w1 .. w6) for its sigmoid XOR network.
LECTURE_XOR_BIASES = (-10.0, 30.0, -30.0)
LECTURE_XOR_WEIGHTS = (20.0, -20.0, 20.0, 20.0, -20.0, 20.0)


def step_xor_params() -> dict:
    r"""XOR with step units: hidden OR and NAND, output AND.

    Hidden: :math:`h_1 = H(x_1 + x_2 - 0.5)` (OR), :math:`h_2 = H(-x_1 - x_2 + 1.5)` (NAND);
    output :math:`y = H(h_1 + h_2 - 1.5)` (AND). Use with ``activations="step"``.

    Returns
    -------
    dict
        ``W1 = [[1, -1], [1, -1]]``, ``b1 = [-0.5, 1.5]``, ``W2 = [[1], [1]]``, ``b2 = [-1.5]``.
    """
    return {"W1": np.column_stack([OR_WEIGHTS[1:], NAND_WEIGHTS[1:]]),
            "b1": np.array([OR_WEIGHTS[0], NAND_WEIGHTS[0]]),
            "W2": AND_WEIGHTS[1:].reshape(2, 1).copy(),
            "b2": AND_WEIGHTS[:1].copy()}


def sigmoid_xor_params(scale: float = 20.0) -> dict:
    r"""The same OR/NAND/AND logic with sigmoid units: every step-network weight times ``scale``.

    A sigmoid unit with weights :math:`c\,w` approaches the step unit :math:`H(w \cdot \tilde x)` as
    :math:`c \to \infty` wherever :math:`w \cdot \tilde x \ne 0`; every score of the step network is
    :math:`\pm 0.5` or larger, so with :math:`c = 20` each unit is within :math:`\sigma(-10) \approx 4.5\cdot10^{-5}`
    of 0 or 1. ``scale=20`` gives deck 004's biases (-10, 30, -30). Use with ``activations="sigmoid"``.
    """
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return {k: scale * v for k, v in step_xor_params().items()}


def lecture_params_from_vector(weights, biases) -> dict:
    """Params dict from deck 004's numbering, ``weights = (w1..w6)``, ``biases = (b1, b2, b3)``, with the
    deck's wiring (:data:`solutions.worked_examples.LECTURE_221_LAYOUT`: ``W1 = [[w1, w2], [w3, w4]]``,
    ``W2 = [[w5], [w6]]``)."""
    weights, biases = np.asarray(weights, dtype=float), np.asarray(biases, dtype=float)
    if weights.shape != (6,) or biases.shape != (3,):
        raise ValueError(f"need 6 weights and 3 biases, got shapes {weights.shape} and {biases.shape}")
    values = dict(zip(["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"], [*weights, *biases]))
    return build_params(values, LECTURE_221_LAYOUT, LECTURE_221_SHAPES)


def lecture_sigmoid_xor_params() -> dict:
    """Deck 004's printed XOR weights, wired as in its worked example. They do **not** compute XOR
    (see the module docstring): ``W1 = [[20, -20], [20, 20]]``, ``b1 = [-10, 30]``, ``W2 = [[-20], [20]]``,
    ``b2 = [-30]``."""
    return lecture_params_from_vector(LECTURE_XOR_WEIGHTS, LECTURE_XOR_BIASES)


def corrected_lecture_sigmoid_xor_params() -> dict:
    """Deck 004's XOR network with the printed ``w4`` and ``w5`` swapped: ``w = (20, -20, 20, -20, 20, 20)``."""
    w = list(LECTURE_XOR_WEIGHTS)
    w[3], w[4] = w[4], w[3]
    return lecture_params_from_vector(w, LECTURE_XOR_BIASES)


def truth_table_outputs(params: dict, activations="sigmoid") -> np.ndarray:
    """Network outputs on the inputs (0,0), (0,1), (1,0), (1,1) (the order of :func:`course.data.truth_table`), shape (4,)."""
    X, _ = truth_table("xor")
    return _mlp.predict(params, X, activations)[:, 0]


def hidden_outputs(params: dict, activations="sigmoid") -> np.ndarray:
    """Hidden-layer outputs on the four truth-table inputs, shape (4, 2): the learned/hand-set features."""
    X, _ = truth_table("xor")
    return _mlp.forward(params, X, activations)["a1"]


def lecture_xor_fixes(weights=LECTURE_XOR_WEIGHTS, biases=LECTURE_XOR_BIASES) -> list[tuple]:
    """Every distinct arrangement of the printed weight values over ``w1..w6`` (biases fixed, deck wiring,
    sigmoid units) whose outputs, thresholded at 0.5, give XOR on the whole truth table.

    For the deck's values the answer is the single arrangement ``(20, -20, 20, -20, 20, 20)``.
    """
    _, target = truth_table("xor")
    fixes = []
    for w in sorted(set(permutations(weights))):
        out = truth_table_outputs(lecture_params_from_vector(w, biases), "sigmoid")
        if np.array_equal((out >= 0.5).astype(float), target):
            fixes.append(tuple(float(v) for v in w))
    return fixes


def xor_features(X) -> np.ndarray:
    r"""Engineered features :math:`(x_1, x_2, x_1 x_2)`: ``(n, 2) -> (n, 3)`` (deck 004's "new feature :math:`x_1 x_2`")."""
    Xa = augment(X)[:, 1:]
    if Xa.shape[1] != 2:
        raise ValueError(f"xor_features needs inputs of shape (n, 2), got {Xa.shape}")
    return np.column_stack([Xa, Xa[:, 0] * Xa[:, 1]])


def feature_engineered_xor() -> np.ndarray:
    r"""Weights :math:`(w_0, w_1, w_2, w_3) = (-0.5, 1, 1, -2)` of one threshold unit on :func:`xor_features`.

    :math:`y = H(x_1 + x_2 - 2 x_1 x_2 - 0.5)`: on Boolean inputs :math:`x_1 + x_2 - 2x_1x_2 = x_1 \oplus x_2`,
    so the score is -0.5, 0.5, 0.5, -0.5. Use with ``solutions.perceptron.predict(w, xor_features(X))``.
    """
    return np.array([-0.5, 1.0, 1.0, -2.0])
