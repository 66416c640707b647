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
