r"""Random-projection hidden layers and Cover's counting theorem.

Deck 000's random projection: map the input into a higher-dimensional space with a fixed random
matrix and a sign nonlinearity, then learn only the output layer,

.. math::  z_i = \operatorname{sgn}(\beta_i^{\top} \tilde x), \quad i = 1, \dots, m, \qquad
           B = [\beta_1, \dots, \beta_m], \quad B_{ji} \sim \mathcal N(0, 1)\ \text{i.i.d.},

where :math:`\tilde x = (1, x)` is the input augmented with a constant (so each hidden unit is a
random half-plane, not only one through the origin). ``sgn(0) = +1``
(:func:`solutions.activations.sign`). Deck 000 writes the entries as :math:`\beta_{i,i}`; every
entry :math:`\beta_{j,i}` is drawn.

Why it helps (Cover 1965): of the :math:`2^n` labellings of :math:`n` points in general position in
:math:`\mathbb R^d`, the number that a hyperplane through the origin separates is

.. math::  C(n, d) = 2 \sum_{k=0}^{d-1} \binom{n-1}{k},

so a problem cast into a higher dimension is more likely to be linearly separable
(:func:`cover_count`, :func:`cover_separable_fraction`; an affine hyperplane in :math:`\mathbb R^d`
is a hyperplane through the origin in :math:`\mathbb R^{d+1}`).
"""
from __future__ import annotations

from math import comb

import numpy as np

from .activations import sign
from .perceptron import augment

__all__ = ["projection_matrix", "random_projection", "cover_count", "cover_separable_fraction"]


def projection_matrix(n_inputs: int, n_hidden: int, seed=0) -> np.ndarray:
    r"""The random matrix :math:`B`, shape ``(n_inputs + 1, n_hidden)``, entries i.i.d. :math:`\mathcal N(0, 1)`
    (row 0 multiplies the constant input, i.e. holds the biases). Same seed, same matrix."""
    for name, v in (("n_inputs", n_inputs), ("n_hidden", n_hidden)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return np.random.default_rng(seed).standard_normal((int(n_inputs) + 1, int(n_hidden)))


def random_projection(X, n_hidden: int, seed=0) -> np.ndarray:
    r"""Random-projection features :math:`Z = \operatorname{sgn}(\tilde X B)` in {-1, +1}.

    Parameters
    ----------
    X : array, shape (n, d)
    n_hidden : int
        Number :math:`m` of random hidden units.
    seed : int
        Seed of :func:`projection_matrix`.

    Returns
    -------
    ndarray, shape (n, n_hidden)
    """
    Xa = augment(X)
    return sign(Xa @ projection_matrix(Xa.shape[1] - 1, n_hidden, seed))


def cover_count(n: int, d: int) -> int:
    r"""Cover's :math:`C(n, d) = 2\sum_{k=0}^{d-1}\binom{n-1}{k}`: labellings of ``n`` points in general position
    in :math:`\mathbb R^d` that a hyperplane through the origin separates (all :math:`2^n` when :math:`n \le d`)."""
    for name, v in (("n", n), ("d", d)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return 2 * sum(comb(n - 1, k) for k in range(d))


def cover_separable_fraction(n: int, d: int) -> float:
    r"""Fraction :math:`C(n, d)/2^n` of linearly separable labellings (1 for :math:`n \le d`, 1/2 at :math:`n = 2d`)."""
    return cover_count(n, d) / 2.0 ** n
