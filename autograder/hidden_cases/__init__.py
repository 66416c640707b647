"""Hidden test cases: seeded inputs and the reference package's outputs, one module per assignment.

``autograder/hidden_cases/NAME.py`` defines one function per ``hidden_cases("...")`` placeholder in
``autograder/source/NAME/NAME.md`` (listed in its ``__all__``). Each returns plain data (dicts and
lists of numpy arrays and scalars); ``python -m autograder release`` calls it, encodes the result
with :func:`course.assignments.checks.encode_cases` and embeds it in the hidden test region of the
instructor notebook only. These modules import :mod:`solutions`; no notebook does.
"""
import numpy as np


def rounded_normal(rng, size, decimals=3, scale=1.0):
    """Seeded normal samples rounded to ``decimals`` (short, readable inputs in failure messages)."""
    return np.round(rng.normal(scale=scale, size=size), decimals)


def random_params(rng, sizes, scale=1.0):
    """Seeded rounded parameters of a network with layer sizes ``sizes``: ``W{l}`` of shape
    (sizes[l-1], sizes[l]) then ``b{l}`` of shape (sizes[l],), layer by layer."""
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rounded_normal(rng, (sizes[l - 1], sizes[l]), scale=scale)
        params[f"b{l}"] = rounded_normal(rng, sizes[l], scale=scale)
    return params
