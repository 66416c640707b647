r"""Weight initialisation: the variance argument behind Glorot and He, and how to measure it in a deep network.

A unit of layer :math:`l` computes :math:`z_j = \sum_{i=1}^{n_{in}} a_i W_{ij} + b_j`. With independent weights of
mean 0 and variance :math:`\sigma^2`, independent of the inputs, and zero biases,

.. math::  \operatorname{Var}(z_j) = n_{in}\, \sigma^2\, \mathbb E[a_i^2] .

* Forward, for an activation that is the identity near 0 (tanh): :math:`\mathbb E[a^2] \approx \operatorname{Var}(z)`
  of the layer below, so the variance is kept from layer to layer when :math:`\sigma^2 = 1/n_{in}`.
* Backward, :math:`\partial E/\partial a_i = \sum_j W_{ij}\, \delta_j` sums :math:`n_{out}` terms, so the gradient's
  variance is kept when :math:`\sigma^2 = 1/n_{out}`.
* Glorot and Bengio's compromise: :math:`\sigma^2 = 2/(n_{in} + n_{out})`; a uniform :math:`U(-r, r)` has variance
  :math:`r^2/3`, hence :math:`r = \sqrt{6/(n_{in} + n_{out})}` (:func:`glorot_uniform_bound`).
* ReLU zeroes half of a symmetric :math:`z`, so :math:`\mathbb E[a^2] = \tfrac12 \operatorname{Var}(z)`, and the
  variance is kept when :math:`\sigma^2 = 2/n_{in}` (He et al.; :func:`he_variance`).

:func:`solutions.mlp.init_params` draws its weights with these formulas; :func:`naive_params` draws them with a
fixed standard deviation for comparison, and :func:`solutions.mlp.layer_statistics` measures, layer by layer, the
spread of the activations in a forward pass and of the error signals in a backward pass.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["lecun_variance", "glorot_variance", "glorot_uniform_bound", "he_variance", "naive_params"]


def _fan(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def lecun_variance(fan_in: int) -> float:
    r""":math:`1/n_{in}`: keeps the forward variance of a (locally) linear unit."""
    return 1.0 / _fan("fan_in", fan_in)


def glorot_variance(fan_in: int, fan_out: int) -> float:
    r""":math:`2/(n_{in} + n_{out})`: Glorot and Bengio's compromise between the forward and backward conditions."""
    return 2.0 / (_fan("fan_in", fan_in) + _fan("fan_out", fan_out))


def glorot_uniform_bound(fan_in: int, fan_out: int, sigmoid: bool = False) -> float:
    r""":math:`r` with :math:`U(-r, r)` of variance :math:`r^2/3` = :func:`glorot_variance`: :math:`\sqrt{6/(n_{in}+n_{out})}`.

    ``sigmoid=True`` gives scikit-learn's bound for logistic layers, :math:`\sqrt{2/(n_{in}+n_{out})}` (a third of
    the variance: the sigmoid's slope at 0 is 1/4, not 1).
    """
    return math.sqrt((2.0 if sigmoid else 6.0) / (_fan("fan_in", fan_in) + _fan("fan_out", fan_out)))


def he_variance(fan_in: int) -> float:
    r""":math:`2/n_{in}`: keeps the forward variance of ReLU units, which pass only half of their input's variance."""
    return 2.0 / _fan("fan_in", fan_in)


def naive_params(sizes, std: float, seed=0) -> dict:
    r"""Weights :math:`W^l \sim N(0, \mathrm{std}^2)` whatever the layer width, zero biases: the usual naive choice."""
    if not (isinstance(std, (int, float)) and std > 0):
        raise ValueError(f"std must be a positive number, got {std!r}")
    sizes = [_fan("every layer size", s) for s in sizes]
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(0.0, std, size=(sizes[l - 1], sizes[l]))
        params[f"b{l}"] = np.zeros(sizes[l])
    return params
