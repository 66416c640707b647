r"""The lectures' worked backpropagation examples as data: every intermediate value is *returned*.

Two small sigmoid networks trained on one sample for one step of gradient descent.
Both are computed through :func:`solutions.mlp.forward` / :func:`solutions.mlp.backward`
(one formula, one place); this module only maps the lectures' scalar names
(``w1``, ``s1``, ``delta3``, ...) onto the matrix layout of :mod:`solutions.mlp` and back.

1. **Deck 004's 2-2-1 example** (:func:`lecture_221`). Inputs :math:`x = (0.05, 0.1)`,
   target :math:`y = 1`, learning rate :math:`\eta = 0.1`, error :math:`E = \tfrac12 (y - \hat y)^2`,
   sigmoid units everywhere, and the deck's wiring

   .. math::

      s_1 = w_1 x_1 + w_3 x_2 + b_1, \quad s_2 = w_2 x_1 + w_4 x_2 + b_2, \quad
      s_3 = w_5 a_1 + w_6 a_2 + b_3, \quad a_i = \sigma(s_i), \quad \hat y = a_3 .

   In :mod:`solutions.mlp` layout (``W[i, j]`` is the weight from unit ``i`` of the layer
   below to unit ``j`` of the layer above) this is
   ``W1 = [[w1, w2], [w3, w4]]``, ``b1 = [b1, b2]``, ``W2 = [[w5], [w6]]``, ``b2 = [b3]``
   (see :data:`LECTURE_221_LAYOUT`). :data:`LECTURE_221_PRINTED` lists every number the deck
   prints, with its rounding; :data:`DECK_004_SLIPS` lists where the deck's own text slips.

2. **The classic 2-2-2 example** (:func:`classic_222`; Mazur 2015, "A Step by Step
   Backpropagation Example"). Inputs :math:`i = (0.05, 0.10)`, targets :math:`t = (0.01, 0.99)`,
   :math:`\eta = 0.5`, :math:`E_{total} = \sum_k \tfrac12 (t_k - o_k)^2`, and a *different* wiring:
   ``w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2, w5: h1->o1, w6: h2->o1, w7: h1->o2,
   w8: h2->o2``, i.e. ``W1 = [[w1, w3], [w2, w4]]`` and ``W2 = [[w5, w7], [w6, w8]]``
   (:data:`CLASSIC_222_LAYOUT`). One bias per layer, shared by its units
   (:math:`b_1 = 0.35`, :math:`b_2 = 0.60`), and the biases are **not** updated.
   :data:`CLASSIC_222_PUBLISHED` holds the published numbers and documents which of them
   come from a different update order than the one the text describes.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from course.core.lecture import (LECTURE_221_ETA, LECTURE_221_LAYOUT, LECTURE_221_X, LECTURE_221_Y, build_params,
                                 lecture_221_params)

from . import losses as _losses
from . import mlp as _mlp
from .training import gradient_step
from .activations import sigmoid_grad as _sigmoid_grad

__all__ = [
    "lecture_221_params", "lecture_221", "LECTURE_221_LAYOUT", "LECTURE_221_PRINTED",
    "PrintedNumber", "Slip", "DECK_004_SLIPS", "LECTURE_221_SLIPS", "agrees_to_printed",
    "classic_222_params", "classic_222", "classic_222_training", "CLASSIC_222_LAYOUT",
    "CLASSIC_222_PUBLISHED",
]

# --------------------------------------------------------------------------- shared helpers
# LECTURE_221_LAYOUT (lecture name -> (params key, index)) and the lecture's data: course.core.lecture

#: lecture name -> (params key, index) for the classic 2-2-2 network (Mazur's wiring)
CLASSIC_222_LAYOUT: dict[str, tuple[str, tuple[int, ...]]] = {
    "w1": ("W1", (0, 0)),  # i1 -> h1
    "w2": ("W1", (1, 0)),  # i2 -> h1
    "w3": ("W1", (0, 1)),  # i1 -> h2
    "w4": ("W1", (1, 1)),  # i2 -> h2
    "w5": ("W2", (0, 0)),  # h1 -> o1
    "w6": ("W2", (1, 0)),  # h2 -> o1
    "w7": ("W2", (0, 1)),  # h1 -> o2
    "w8": ("W2", (1, 1)),  # h2 -> o2
}


def _read(arrays: dict, layout: dict, prefix: str = "") -> dict:
    """Scalar view ``{prefix + name: float}`` of matrix-layout ``arrays`` (params or grads)."""
    return {prefix + name: float(arrays[key][idx]) for name, (key, idx) in layout.items()}


def agrees_to_printed(value: float, printed: float, decimals: int) -> bool:
    r"""Whether ``value`` rounds to ``printed`` at ``decimals`` decimal places.

    True when :math:`|v - p| \le \tfrac12 10^{-d}` (plus ``1e-12`` of slack for the binary
    representation of ``printed``). Half-way cases count as agreeing, whichever way the
    author rounded them.
    """
    return abs(float(value) - float(printed)) <= 0.5 * 10.0 ** (-decimals) + 1e-12


# --------------------------------------------------------------------------- deck 004: 2-2-1
def lecture_221() -> dict:
    r"""Every number of deck 004's worked backpropagation example (one sample, one step).

    Forward pass, error, gradients by backpropagation (via :func:`solutions.mlp.backward`),
    the gradient-descent update :math:`\theta \leftarrow \theta - \eta\,\partial E/\partial\theta`,
    and the forward pass with the updated weights.

    Returns
    -------
    dict of str -> float
        Inputs and settings: ``x1 x2 y eta``, ``w1 .. w6``, ``b1 b2 b3``.

        Forward: ``s1 a1 s2 a2 s3 a3 yhat`` (``yhat = a3``) and ``E`` :math:`= \tfrac12 (y - \hat y)^2`.

        Output unit: ``dE_dyhat`` :math:`= -(y - \hat y)`, ``dyhat_ds3`` :math:`= \sigma'(s_3) = a_3(1 - a_3)`,
        ``delta3`` :math:`= \partial E/\partial s_3` = their product, and
        ``dE_dw5 = delta3 * a1``, ``dE_dw6 = delta3 * a2``, ``dE_db3 = delta3``.

        Hidden units (delta rule): ``delta1`` :math:`= \partial E/\partial s_1 = \delta_3 w_5 a_1 (1 - a_1)`,
        ``delta2`` :math:`= \partial E/\partial s_2 = \delta_3 w_6 a_2 (1 - a_2)`, and
        ``dE_dw1 = delta1 * x1``, ``dE_dw3 = delta1 * x2``, ``dE_db1 = delta1``,
        ``dE_dw2 = delta2 * x1``, ``dE_dw4 = delta2 * x2``, ``dE_db2 = delta2``.
        (The deck calls these two error signals :math:`\delta_2` and :math:`\delta_1` the other
        way round; see :data:`DECK_004_SLIPS`.)

        Update: ``new_w1 .. new_w6``, ``new_b1 .. new_b3``; after it: ``new_s3``, ``new_yhat``, ``new_E``.
    """
    params = lecture_221_params()
    X = np.array([LECTURE_221_X])
    Y = np.array([[LECTURE_221_Y]])
    eta = LECTURE_221_ETA
    cache = _mlp.forward(params, X, "sigmoid")
    grads, deltas = _mlp.backward(params, cache, Y, "sigmoid", "half_squared_error", return_deltas=True)
    new_params = gradient_step(params, grads, eta)
    new_cache = _mlp.forward(new_params, X, "sigmoid")

    yhat = float(cache["a2"][0, 0])
    y = LECTURE_221_Y
    out = {"x1": LECTURE_221_X[0], "x2": LECTURE_221_X[1], "y": y, "eta": eta}
    out.update(_read(params, LECTURE_221_LAYOUT))
    out.update({
        "s1": float(cache["z1"][0, 0]), "a1": float(cache["a1"][0, 0]),
        "s2": float(cache["z1"][0, 1]), "a2": float(cache["a1"][0, 1]),
        "s3": float(cache["z2"][0, 0]), "a3": yhat, "yhat": yhat,
        "E": _losses.half_squared_error(Y, cache["a2"]),
        "dE_dyhat": float(_losses.half_squared_error_grad(Y, cache["a2"])[0, 0]),
        "dyhat_ds3": float(_sigmoid_grad(cache["z2"])[0, 0]),
        "delta3": float(deltas["delta2"][0, 0]),
        "delta1": float(deltas["delta1"][0, 0]),
        "delta2": float(deltas["delta1"][0, 1]),
    })
    out.update(_read(grads, LECTURE_221_LAYOUT, prefix="dE_d"))
    out.update(_read(new_params, LECTURE_221_LAYOUT, prefix="new_"))
    new_yhat = float(new_cache["a2"][0, 0])
    out.update({"new_s3": float(new_cache["z2"][0, 0]), "new_yhat": new_yhat,
                "new_E": _losses.half_squared_error(Y, new_cache["a2"])})
    return out


class PrintedNumber(NamedTuple):
    """A number as a lecture prints it: the :func:`lecture_221` key it stands for, the printed
    value, the number of decimals printed, where it appears, and whether it is a slip
    (``slip=True``: the printed value does *not* agree with the correct value to its rounding)."""

    key: str
    printed: float
    decimals: int
    where: str
    slip: bool = False


#: Every number deck 004 prints in the worked example, in slide order.
LECTURE_221_PRINTED: tuple[PrintedNumber, ...] = (
    PrintedNumber("s1", 0.3825, 4, "forward pass: s_1"),
    PrintedNumber("a1", 0.5945, 4, "forward pass: a_1"),
    PrintedNumber("s2", 0.39, 2, "forward pass: s_2"),
    PrintedNumber("a2", 0.5964, 4, "forward pass: a_2 (sigma(0.39) = 0.596283 rounds to 0.5963)", slip=True),
    PrintedNumber("a1", 0.5945, 4, "forward pass: a_1 substituted into s_3"),
    PrintedNumber("a2", 0.5964, 4, "forward pass: a_2 substituted into s_3", slip=True),
    PrintedNumber("s3", 1.2252, 4, "forward pass: s_3"),
    PrintedNumber("a3", 0.773, 3, "forward pass: a_3"),
    PrintedNumber("yhat", 0.773, 3, "forward pass: yhat = a_3"),
    PrintedNumber("yhat", 0.773, 3, "error: (0.5)(1 - 0.773)^2"),
    PrintedNumber("E", 0.0258, 4, "error: E"),
    PrintedNumber("a2", 0.5963, 4, "dE/dw6: the last factor of the numeric line"),
    PrintedNumber("dE_dw6", -0.0238, 4, "dE/dw6"),
    PrintedNumber("dE_dw5", -0.0237, 4, "dE/dw5 = delta_3 a_1"),
    PrintedNumber("dE_db3", -0.0398, 4, "dE/db3 = delta_3"),
    PrintedNumber("delta3", -0.0398, 4, "dE/dw1: first factor of the numeric line"),
    PrintedNumber("dE_dw1", -0.0002, 4, "dE/dw1"),
    PrintedNumber("dE_dw3", -0.0005, 4, "dE/dw3 = delta_2 x_2 (the deck's delta_2 is our delta1)"),
    PrintedNumber("dE_db1", -0.0048, 4, "dE/db1 = delta_2 (the deck's delta_2 is our delta1)"),
    PrintedNumber("delta1", -0.0048, 4, "dE/db1 = delta_2 (the deck's delta_2 is our delta1)"),
    PrintedNumber("dE_dw2", -0.0003, 4, "dE/dw2 = delta_1 x_1 (the deck's delta_1 is our delta2)"),
    PrintedNumber("dE_dw4", -0.0005, 4, "dE/dw4 = delta_1 x_2"),
    PrintedNumber("dE_db2", -0.0053, 4, "dE/db2 = delta_1"),
    PrintedNumber("delta2", -0.0053, 4, "dE/db2 = delta_1 (the deck's delta_1 is our delta2)"),
    PrintedNumber("new_w1", 0.15002, 5, "backward pass: w_1"),
    PrintedNumber("new_w2", 0.20003, 5, "backward pass: w_2"),
    PrintedNumber("new_w3", 0.25005, 5, "backward pass: w_3"),
    PrintedNumber("new_w4", 0.30005, 5, "backward pass: w_4"),
    PrintedNumber("new_w5", 0.50237, 5, "backward pass: w_5"),
    PrintedNumber("new_w6", 0.55238, 5, "backward pass: w_6"),
    PrintedNumber("new_b1", 0.3505, 4, "backward pass: b_1"),
    PrintedNumber("new_b2", 0.3505, 4, "backward pass: b_2"),
    PrintedNumber("new_b3", 0.604, 3, "backward pass: b_3"),
    PrintedNumber("yhat", 0.773, 3, "new forward pass: yhat(0)"),
    PrintedNumber("new_w1", 0.15002, 5, "table after one update: w_1"),
    PrintedNumber("new_w2", 0.20003, 5, "table after one update: w_2"),
    PrintedNumber("new_w3", 0.25005, 5, "table after one update: w_3"),
    PrintedNumber("new_w4", 0.30005, 5, "table after one update: w_4"),
    PrintedNumber("new_w5", 0.50237, 5, "table after one update: w_5"),
    PrintedNumber("new_w6", 0.55238, 5, "table after one update: w_6"),
    PrintedNumber("new_b1", 0.35048, 5, "table after one update: b_1"),
    PrintedNumber("new_b2", 0.35053, 5, "table after one update: b_2"),
    PrintedNumber("new_b3", 0.60398, 5, "table after one update: b_3"),
    PrintedNumber("new_yhat", 0.7742, 4, "new forward pass: yhat(1)"),
)


class Slip(NamedTuple):
    """A slip in a lecture deck: its topic, the deck's exact text, what is wrong, and the correction."""

    topic: str
    deck_text: str
    problem: str
    correction: str


#: Slips in deck 004 (Roman-Rangel, "Deep Learning: MLP - Backprop"), found by recomputing it.
DECK_004_SLIPS: tuple[Slip, ...] = (
    Slip("worked example",
         r"&= \frac{2}{2} (y - a_3) \frac{\partial}{\partial a_3} (y - a_3) \cdot \sigma(s_3) (1 - \sigma(s_3))"
         r" \cdot a_3, \\&= (y - a_3) (-1) \sigma(s_3) (1 - \sigma(s_3)) a_3",
         "dE/dw6 ends in a_3, but ds3/dw6 = a_2 (s3 = w5 a1 + w6 a2 + b3); the deck's own numeric line "
         "then uses a_2 = 0.5963",
         "dE/dw6 = (y - a3)(-1) sigma(s3)(1 - sigma(s3)) a2 = delta3 a2 = -0.0238"),
    Slip("worked example",
         r"a_2 &= \sigma(s_2), \\ &= 0.5964.",
         "sigma(0.39) = 0.596283, which rounds to 0.5963 (the value the deck itself uses in dE/dw6); "
         "the s_3 line substitutes the same 0.5964, '(0.55)(0.5964)', yet prints 1.2252, the correctly "
         "computed s3 = 1.225193 (its substituted numbers would sum to 1.2253)",
         "a2 = 0.5963"),
    Slip("worked example",
         r"\delta_2 = \delta_3 \omega_5 \sigma(s_1) (1 - \sigma(s_1)).  ...  "
         r"\delta_1 = \delta_3 \cdot \frac{\partial s_3}{\partial a_2} \cdot \frac{\partial a_2}{\partial s_2}.",
         "the hidden error signals are numbered against their units: the deck's delta_2 is dE/ds1 (unit 1) and "
         "its delta_1 is dE/ds2 (unit 2), hence 'dE/db1 = delta_2' and 'dE/db2 = delta_1'",
         "delta1 = dE/ds1 = delta3 w5 a1 (1 - a1) = -0.0048, delta2 = dE/ds2 = delta3 w6 a2 (1 - a2) = -0.0053"),
    Slip("worked example",
         r"b_1 = 0.3505,  b_2 = 0.3505,  b_3 = 0.604,   vs the table   0.35048  0.35053  0.60398",
         "the updated biases are printed at two precisions (and without working); both are roundings of the "
         "same values 0.350480, 0.350527, 0.603984, but at 4 decimals b1 and b2 look equal although they "
         "differ (delta1 != delta2)",
         "print 5 decimals throughout: b1 = 0.35048, b2 = 0.35053, b3 = 0.60398"),
    Slip("XOR weights",
         r"$b_1$ $b_2$ $b_3$ $\omega_1$ ... $\omega_6$ / -10 30 -30 20 -20 20 20 -20 20",
         "with the deck's own wiring (s1 = w1 x1 + w3 x2 + b1, s2 = w2 x1 + w4 x2 + b2, s3 = w5 a1 + w6 a2 + b3) "
         "these weights do not compute XOR: unit 2 gets s2 = -20 x1 + 20 x2 + 30 >= 10 (always on) and "
         "s3 = -20 a1 + 20 a2 - 30 <= -10 (always off), so the network outputs ~0 on all four inputs",
         "swap the w4 and w5 columns: w = 20, -20, 20, -20, 20, 20 (unit 1 = OR, unit 2 = NAND, output = AND); "
         "see solutions.xor"),
    Slip("multiple connections",
         r"\frac{\partial s_3}{\partial s_3} \frac{\partial a_3}{\partial a_1} \frac{\partial s_1}{\partial s_1}"
         r" \frac{\partial a_1}{\partial \omega_1}",
         "numerators and denominators are interleaved wrongly (ds3/ds3 = 1, da3/da1, ds1/ds1, da1/dw1); "
         "the same in the path through unit 4",
         r"dE/dw1 = dE/da5 da5/ds5 [ds5/da3 da3/ds3 ds3/da1 + ds5/da4 da4/ds4 ds4/da1] da1/ds1 ds1/dw1"),
    Slip("terminology",
         "Algorithm 1 Gradient Descent ... for each sample do ... Omega = Omega - eta grad E_i; "
         "'Batch size bs = 1 boils down to regular GD.'; 'Algorithm 3 Batch Gradient Descent' ... 'a.k.a., "
         "mini-batch gradient descent.'",
         "the deck's 'Gradient Descent' updates after every sample (online learning) and its 'Batch GD' is "
         "mini-batch GD; in the usual terminology (and in this course) batch GD uses all n samples per update, "
         "SGD one sample (reshuffled every epoch), mini-batch GD k samples",
         "batch GD: batch_size = n; SGD: batch_size = 1; mini-batch: 1 < batch_size < n (solutions.training)"),
)

#: The slips that concern the 2-2-1 worked example.
LECTURE_221_SLIPS: tuple[Slip, ...] = tuple(s for s in DECK_004_SLIPS if s.topic == "worked example")


# --------------------------------------------------------------------------- classic 2-2-2 (Mazur 2015)
_CLASSIC_VALUES = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55)
_CLASSIC_X = (0.05, 0.10)
_CLASSIC_T = (0.01, 0.99)
_CLASSIC_B = (0.35, 0.60)
_CLASSIC_ETA = 0.5
_UPDATE_ORDERS = ("simultaneous", "output_first")


def classic_222_params() -> dict:
    """The classic example's initial weights as a params dict (``W1 = [[w1, w3], [w2, w4]]``,
    ``b1 = [0.35, 0.35]``, ``W2 = [[w5, w7], [w6, w8]]``, ``b2 = [0.60, 0.60]``)."""
    params = build_params(_CLASSIC_VALUES, CLASSIC_222_LAYOUT, {"W1": (2, 2), "W2": (2, 2)})
    return {"W1": params["W1"], "b1": np.full(2, _CLASSIC_B[0]), "W2": params["W2"], "b2": np.full(2, _CLASSIC_B[1])}


def _classic_step(params: dict, X, T, update_order: str):
    """One gradient step on the weights (biases fixed); returns (cache, grads, deltas, new params)."""
    cache = _mlp.forward(params, X, "sigmoid")
    grads, deltas = _mlp.backward(params, cache, T, "sigmoid", "half_squared_error", return_deltas=True)
    new_W2 = params["W2"] - _CLASSIC_ETA * grads["W2"]
    if update_order == "output_first":
        # backpropagate the same output error through the *already updated* output weights
        gW1 = _mlp.backward({**params, "W2": new_W2}, cache, T, "sigmoid", "half_squared_error")["W1"]
    else:
        gW1 = grads["W1"]
    new = {"W1": params["W1"] - _CLASSIC_ETA * gW1, "b1": params["b1"], "W2": new_W2, "b2": params["b2"]}
    return cache, grads, deltas, new


def _check_order(update_order):
    if update_order not in _UPDATE_ORDERS:
        raise ValueError(f"unknown update_order {update_order!r}; known: {', '.join(_UPDATE_ORDERS)}")


def classic_222(update_order: str = "simultaneous") -> dict:
    r"""Every number of the classic 2-2-2 backpropagation example (one sample, one step).

    Parameters
    ----------
    update_order : {"simultaneous", "output_first"}
        ``"simultaneous"`` (correct gradient descent, and what the published text describes:
        the hidden-layer gradients use the *original* ``w5..w8``). ``"output_first"`` backpropagates
        through the already updated ``w5..w8``; it reproduces the published error after the first
        round, 0.291027924 (see :data:`CLASSIC_222_PUBLISHED`).

    Returns
    -------
    dict of str -> float
        ``i1 i2 t1 t2 b1 b2 eta w1..w8``; forward ``net_h1 out_h1 net_h2 out_h2 net_o1 out_o1 net_o2
        out_o2``; errors ``E_o1 E_o2 E_total`` (:math:`E_{o_k} = \tfrac12 (t_k - o_k)^2`);
        output layer ``dE_dout_o1`` :math:`= o_1 - t_1`, ``dout_o1_dnet_o1`` :math:`= o_1(1-o_1)`,
        ``delta_o1 delta_o2`` (:math:`\partial E/\partial net_{o_k}`), ``dE_dw5..dE_dw8``;
        hidden layer ``dEo1_dout_h1`` :math:`= \delta_{o1} w_5`, ``dEo2_dout_h1`` :math:`= \delta_{o2} w_7`,
        ``dE_dout_h1`` (their sum), ``dout_h1_dnet_h1``, ``delta_h1 delta_h2``, ``dE_dw1..dE_dw4``
        (always the true gradient at the start point);
        update ``new_w1..new_w8`` (according to ``update_order``) and ``new_E_total``.
    """
    _check_order(update_order)
    params = classic_222_params()
    X, T = np.array([_CLASSIC_X]), np.array([_CLASSIC_T])
    cache, grads, deltas, new = _classic_step(params, X, T, update_order)
    o, h = cache["a2"][0], cache["a1"][0]
    d_o, d_h = deltas["delta2"][0], deltas["delta1"][0]
    W2 = params["W2"]
    out = {"i1": _CLASSIC_X[0], "i2": _CLASSIC_X[1], "t1": _CLASSIC_T[0], "t2": _CLASSIC_T[1],
           "b1": _CLASSIC_B[0], "b2": _CLASSIC_B[1], "eta": _CLASSIC_ETA}
    out.update(_read(params, CLASSIC_222_LAYOUT))
    out.update({
        "net_h1": float(cache["z1"][0, 0]), "out_h1": float(h[0]),
        "net_h2": float(cache["z1"][0, 1]), "out_h2": float(h[1]),
        "net_o1": float(cache["z2"][0, 0]), "out_o1": float(o[0]),
        "net_o2": float(cache["z2"][0, 1]), "out_o2": float(o[1]),
        "E_o1": _losses.half_squared_error(T[:, 0], cache["a2"][:, 0]),
        "E_o2": _losses.half_squared_error(T[:, 1], cache["a2"][:, 1]),
        "E_total": _losses.half_squared_error(T, cache["a2"]),
        "dE_dout_o1": float(_losses.half_squared_error_grad(T, cache["a2"])[0, 0]),
        "dout_o1_dnet_o1": float(_sigmoid_grad(cache["z2"])[0, 0]),
        "delta_o1": float(d_o[0]), "delta_o2": float(d_o[1]),
        "dEo1_dout_h1": float(d_o[0] * W2[0, 0]), "dEo2_dout_h1": float(d_o[1] * W2[0, 1]),
        "dE_dout_h1": float(d_o @ W2[0]),
        "dout_h1_dnet_h1": float(_sigmoid_grad(cache["z1"])[0, 0]),
        "delta_h1": float(d_h[0]), "delta_h2": float(d_h[1]),
    })
    out.update(_read(grads, CLASSIC_222_LAYOUT, prefix="dE_d"))
    out.update(_read(new, CLASSIC_222_LAYOUT, prefix="new_"))
    out["new_E_total"] = _mlp.loss(new, X, T, "sigmoid", "half_squared_error")
    return out


def classic_222_training(steps: int = 10000, update_order: str = "simultaneous",
                         return_params: bool = False):
    r"""Repeat the classic example's update ``steps`` times; the total error along the way.

    Returns
    -------
    errors : ndarray, shape (steps + 1,)
        ``errors[k]`` is :math:`E_{total}` after ``k`` updates (``errors[0] = 0.298371109``).
        A loop that runs the forward pass, reports the error, then updates, reports
        ``errors[k - 1]`` on its ``k``-th pass: the published "after 10,000 times ...
        0.0000351085" is ``errors[9999]`` (the 10,000th forward pass, after 9,999 updates).
    params : dict
        Only with ``return_params=True``: the weights after ``steps`` updates.
    """
    _check_order(update_order)
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    params = classic_222_params()
    X, T = np.array([_CLASSIC_X]), np.array([_CLASSIC_T])
    errors = np.empty(int(steps) + 1)
    for k in range(int(steps)):
        cache, _, _, params = _classic_step(params, X, T, update_order)
        errors[k] = _losses.half_squared_error(T, cache["a2"])
    errors[-1] = _mlp.loss(params, X, T, "sigmoid", "half_squared_error")
    return (errors, params) if return_params else errors


#: The published numbers of the classic example: key -> (value, decimals printed, note).
#: Keys name :func:`classic_222` entries, except ``after_1_update``, ``error_10000``,
#: ``out_o1_10000`` and ``out_o2_10000``. The text describes simultaneous updates, and every
#: single-step number agrees with them; but two of the end-of-post numbers were produced with
#: the output weights updated *before* the hidden-layer error was backpropagated
#: (``update_order="output_first"``), and the 10,000-step error is the one seen on the
#: 10,000th forward pass (after 9,999 simultaneous updates). The correct values after one and
#: after 10,000 simultaneous updates are 0.291027774 and 0.0000351019.
CLASSIC_222_PUBLISHED: dict[str, tuple[float, int, str]] = {
    "net_h1": (0.3775, 4, ""),
    "out_h1": (0.593269992, 9, ""),
    "out_h2": (0.596884378, 9, ""),
    "net_o1": (1.105905967, 9, ""),
    "out_o1": (0.75136507, 8, ""),
    "out_o2": (0.772928465, 9, ""),
    "E_o1": (0.274811083, 9, ""),
    "E_o2": (0.023560026, 9, ""),
    "E_total": (0.298371109, 9, ""),
    "dE_dout_o1": (0.74136507, 8, ""),
    "dout_o1_dnet_o1": (0.186815602, 9, ""),
    "delta_o1": (0.138498562, 9, ""),
    "dE_dw5": (0.082167041, 9, ""),
    "new_w5": (0.35891648, 8, ""),
    "new_w6": (0.408666186, 9, ""),
    "new_w7": (0.511301270, 9, ""),
    "new_w8": (0.561370121, 9, ""),
    "dEo1_dout_h1": (0.055399425, 9, ""),
    "dEo2_dout_h1": (-0.019049119, 9, "off by one in the last digit (worked from rounded intermediates): "
                                      "delta_o2 w7 = -0.0190491183, i.e. -0.019049118"),
    "dE_dout_h1": (0.036350306, 9, ""),
    "dout_h1_dnet_h1": (0.241300709, 9, ""),
    "dE_dw1": (0.000438568, 9, ""),
    "new_w1": (0.149780716, 9, ""),
    "new_w2": (0.19956143, 8, ""),
    "new_w3": (0.24975114, 8, ""),
    "new_w4": (0.29950229, 8, ""),
    "after_1_update": (0.291027924, 9, "reproduced only with update_order='output_first'; "
                                        "simultaneous updates give 0.291027774"),
    "error_10000": (0.0000351085, 10, "errors[9999] of the simultaneous run (after 9,999 updates); "
                                      "after 10,000 updates it is 0.0000351019"),
    "out_o1_10000": (0.015912196, 9, "reproduced only with update_order='output_first' after 10,000 updates"),
    "out_o2_10000": (0.984065734, 9, "reproduced only with update_order='output_first' after 10,000 updates"),
}
