r"""Three kinds of linear layer (deck 000): dense, sparse and convolutional, each with its backward pass.

All three compute :math:`z = x W + b` for some weight matrix :math:`W` of shape ``(d_in, d_out)``; they differ in
which entries of :math:`W` are free parameters (rows are samples, ``x`` has shape ``(n, d_in)``):

* **dense**: every entry is its own parameter, :math:`d_{in} d_{out}` of them;
* **sparse**: a fixed 0/1 ``mask`` says which connections exist, :math:`z = x (W \odot M) + b`; the gradient
  :math:`\partial E/\partial W = (x^\top \delta) \odot M` is zero for every missing connection, so they stay absent;
* **convolutional** (1-D, "valid"): one small ``kernel`` of :math:`K` weights slides over the input,
  :math:`z_j = \sum_{k=0}^{K-1} w_k\, x_{j+k} + b`, :math:`j = 0 \dots d_{in} - K`. It is the sparse layer whose
  matrix is banded (:func:`conv1d_matrix`) *and* whose bands share their weights: each kernel weight is used at
  every position, so its gradient is the sum over positions (and samples) of the contributions -- gradient
  accumulation for a value used many times, as in :mod:`solutions.autograd`.

(Deep-learning libraries call this sliding product a convolution; mathematically it is a cross-correlation:
the kernel is not flipped.)
"""
from __future__ import annotations

import numpy as np

__all__ = ["dense", "dense_backward", "sparse", "sparse_backward", "conv1d", "conv1d_backward", "conv1d_matrix",
           "n_parameters"]


def _batch(x):
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(1, -1) if x.ndim == 1 else x


def dense(x, W, b):
    """:math:`z = x W + b`."""
    return _batch(x) @ W + b


def dense_backward(x, W, delta):
    r"""Given :math:`\delta = \partial E/\partial z`: :math:`(\partial E/\partial x, \partial E/\partial W,
    \partial E/\partial b) = (\delta W^\top,\ x^\top \delta,\ \sum_{\text{rows}} \delta)`."""
    x, delta = _batch(x), _batch(delta)
    return delta @ np.asarray(W).T, x.T @ delta, delta.sum(axis=0)


def sparse(x, W, mask, b):
    r""":math:`z = x (W \odot M) + b`: only the connections with ``mask == 1`` exist."""
    return _batch(x) @ (np.asarray(W) * mask) + b


def sparse_backward(x, W, mask, delta):
    r"""As :func:`dense_backward` through :math:`W \odot M`; the weight gradient is masked too."""
    dx, dW, db = dense_backward(x, np.asarray(W) * mask, delta)
    return dx, dW * mask, db


def conv1d(x, kernel, b=0.0):
    r"""Valid 1-D convolution of every row: :math:`z_j = \sum_k w_k x_{j+k} + b`, shape ``(n, d_in - K + 1)``."""
    x, kernel = _batch(x), np.asarray(kernel, dtype=np.float64)
    K, d = kernel.size, x.shape[1]
    if not 1 <= K <= d:
        raise ValueError(f"the kernel ({K} weights) must have between 1 and d_in = {d} weights")
    return sum(kernel[k] * x[:, k:d - K + 1 + k] for k in range(K)) + b


def conv1d_backward(x, kernel, delta):
    r"""Given :math:`\delta = \partial E/\partial z` of shape ``(n, d_out)``:

    :math:`\partial E/\partial w_k = \sum_{s, j} \delta_{sj}\, x_{s, j+k}` (summed over every position the weight is
    used at), :math:`\partial E/\partial x_{s,i} = \sum_k \delta_{s, i-k}\, w_k` and
    :math:`\partial E/\partial b = \sum_{s,j} \delta_{sj}`.
    """
    x, delta, kernel = _batch(x), _batch(delta), np.asarray(kernel, dtype=np.float64)
    K, d = kernel.size, x.shape[1]
    d_out = d - K + 1
    if delta.shape != (x.shape[0], d_out):
        raise ValueError(f"delta must have shape {(x.shape[0], d_out)}, got {delta.shape}")
    d_kernel = np.array([np.sum(delta * x[:, k:k + d_out]) for k in range(K)])
    dx = np.zeros_like(x)
    for k in range(K):
        dx[:, k:k + d_out] += kernel[k] * delta
    return dx, d_kernel, float(delta.sum())


def conv1d_matrix(kernel, d_in: int) -> np.ndarray:
    r"""The ``(d_in, d_out)`` matrix :math:`W` with ``conv1d(x, kernel) == x @ W``: banded, every band one weight."""
    kernel = np.asarray(kernel, dtype=np.float64)
    d_out = d_in - kernel.size + 1
    W = np.zeros((d_in, d_out))
    for j in range(d_out):
        W[j:j + kernel.size, j] = kernel
    return W


def n_parameters(kind: str, d_in: int, d_out: int, mask=None, kernel_size: int | None = None) -> int:
    """Free parameters (weights and biases) of a layer: dense, sparse (one per mask entry) or conv (kernel + 1)."""
    if kind == "dense":
        return d_in * d_out + d_out
    if kind == "sparse":
        return int(np.count_nonzero(mask)) + d_out
    if kind == "conv":
        return int(kernel_size) + 1
    raise ValueError(f"unknown layer kind {kind!r}; known: dense, sparse, conv")
