"""The parameter key scheme of every network in the course, and its validation.

``params = {"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}``; ``W1[i, j]`` is
the weight from input ``i`` to hidden unit ``j`` (rows are samples, as in scikit-learn). The error
messages name the missing or unexpected keys and the shapes that do not fit.
"""
from __future__ import annotations

import numpy as np

__all__ = ["n_layers", "param_keys", "layer_sizes"]


def n_layers(params: dict) -> int:
    """Number of weight layers ``L`` in ``params`` (keys ``W1 .. WL``), validating keys and shapes."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict like {{'W1': ..., 'b1': ...}}, got {type(params).__name__}")
    L = 0
    while f"W{L + 1}" in params:
        L += 1
    if L == 0:
        raise ValueError(f"params has no 'W1'; expected keys W1, b1, ..., WL, bL; got {sorted(params)}")
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    missing, extra = expected - set(params), set(params) - expected
    if missing or extra:
        raise ValueError(f"params for a {L}-layer network need keys {sorted(expected)}; "
                         f"missing {sorted(missing)}, unexpected {sorted(extra)}")
    for l in range(1, L + 1):
        W, b = np.shape(params[f"W{l}"]), np.shape(params[f"b{l}"])
        if len(W) != 2 or b != (W[1],):
            raise ValueError(f"layer {l}: W{l} must be 2-D (d_in, d_out) and b{l} of shape (d_out,); "
                             f"got W{l} {W} and b{l} {b}")
        if l > 1 and np.shape(params[f"W{l - 1}"])[1] != W[0]:
            raise ValueError(f"layer {l}: W{l} has shape {W} but layer {l - 1} outputs "
                             f"{np.shape(params[f'W{l - 1}'])[1]} units")
    return L


def param_keys(params: dict) -> list[str]:
    """``["W1", "b1", ..., "WL", "bL"]`` in layer order (validated with :func:`n_layers`)."""
    return [f"{p}{l}" for l in range(1, n_layers(params) + 1) for p in "Wb"]


def layer_sizes(params: dict) -> list[int]:
    """``[d0, d1, ..., dL]`` read off the weight shapes (validated with :func:`n_layers`)."""
    L = n_layers(params)
    return [np.shape(params["W1"])[0]] + [np.shape(params[f"W{l}"])[1] for l in range(1, L + 1)]
