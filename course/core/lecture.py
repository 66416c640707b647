r"""The backprop lecture's worked example as data (Roman-Rangel, "Deep Learning: MLP - Backprop").

A 2-2-1 sigmoid network, one sample, one gradient-descent step: inputs :math:`x = (0.05, 0.1)`, target
:math:`y = 1`, learning rate :math:`\eta = 0.1`, weights :math:`w_1 \dots w_6 = 0.15, 0.20, 0.25,
0.30, 0.50, 0.55` and biases :math:`b_1, b_2, b_3 = 0.35, 0.35, 0.60`, wired as

.. math::

   s_1 = w_1 x_1 + w_3 x_2 + b_1, \quad s_2 = w_2 x_1 + w_4 x_2 + b_2, \quad
   s_3 = w_5 a_1 + w_6 a_2 + b_3 .

:data:`LECTURE_221_LAYOUT` maps the lecture's scalar names onto the matrix layout of the course
(``W[i, j]``: from unit ``i`` of the layer below to unit ``j`` of the layer above). Only data and the
mapping live here; every number *computed* from them comes from :mod:`solutions.worked_examples`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["LECTURE_221_LAYOUT", "LECTURE_221_VALUES", "LECTURE_221_SHAPES", "LECTURE_221_X", "LECTURE_221_Y",
           "LECTURE_221_ETA", "build_params", "lecture_221_params"]

#: lecture name -> (params key, index) for the lecture's 2-2-1 network
LECTURE_221_LAYOUT: dict[str, tuple[str, tuple[int, ...]]] = {
    "w1": ("W1", (0, 0)),  # x1 -> unit 1
    "w2": ("W1", (0, 1)),  # x1 -> unit 2   (s2 = w2 x1 + w4 x2 + b2)
    "w3": ("W1", (1, 0)),  # x2 -> unit 1
    "w4": ("W1", (1, 1)),  # x2 -> unit 2
    "w5": ("W2", (0, 0)),  # a1 -> unit 3 (output)
    "w6": ("W2", (1, 0)),  # a2 -> unit 3
    "b1": ("b1", (0,)),
    "b2": ("b1", (1,)),
    "b3": ("b2", (0,)),
}
LECTURE_221_VALUES = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.50, w6=0.55, b1=0.35, b2=0.35, b3=0.60)
LECTURE_221_SHAPES = {"W1": (2, 2), "b1": (2,), "W2": (2, 1), "b2": (1,)}
LECTURE_221_X = (0.05, 0.1)
LECTURE_221_Y = 1.0
LECTURE_221_ETA = 0.1


def build_params(values: dict, layout: dict, shapes: dict) -> dict:
    """A params dict of zeros of ``shapes`` with ``values[name]`` written at ``layout[name] = (key, index)``."""
    params = {k: np.zeros(s) for k, s in shapes.items()}
    for name, (key, idx) in layout.items():
        params[key][idx] = values[name]
    return params


def lecture_221_params() -> dict:
    """The lecture's initial 2-2-1 weights: ``W1 = [[w1, w2], [w3, w4]]``, ``b1 = [b1, b2]``,
    ``W2 = [[w5], [w6]]``, ``b2 = [b3]``. A fresh dict of fresh arrays on every call."""
    return build_params(LECTURE_221_VALUES, LECTURE_221_LAYOUT, LECTURE_221_SHAPES)
