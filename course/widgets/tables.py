"""Small lookups the widgets share: the activation menu from a caller's table, and the units' display names."""
from __future__ import annotations

from ..protocol import activation_table

__all__ = ["DEFAULT_NAMES", "names_and_table", "unit_names"]

DEFAULT_NAMES = ("sigmoid", "tanh", "relu", "identity")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def names_and_table(activations):
    """``(names, table or None)`` from a mapping/list of activations, or plain names."""
    if activations is None:
        return list(DEFAULT_NAMES), None
    if isinstance(activations, str):
        return [activations], None
    if not hasattr(activations, "items") and all(isinstance(a, str) for a in activations):
        return list(activations), None
    table = activation_table(activations)
    return list(table), table


def unit_names(sizes) -> dict:
    """Display names of the units: ``x₁..`` (inputs), ``h₁..`` (one hidden layer) or ``h₁.₂``-style
    ``h{l}.{j}`` (several), ``ŷ₁..`` (outputs); keys ``(layer, unit)``, unit ``-1`` is the bias "+1"."""
    L = len(sizes) - 1
    names = {}
    for l, d in enumerate(sizes):
        for j in range(d):
            if l == 0:
                names[l, j] = f"x{j + 1}".translate(_SUB)
            elif l == L:
                names[l, j] = "ŷ" if d == 1 else f"ŷ{j + 1}".translate(_SUB)
            else:
                names[l, j] = (f"h{j + 1}" if L == 2 else f"h{l}.{j + 1}").translate(_SUB)
        if l < L:
            names[l, -1] = "+1"
    return names
