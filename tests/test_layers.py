"""Dense, sparse and convolutional layers (solutions.layers): forward against numpy's own operations, backward
against finite differences, and the convolution as a banded matrix with shared weights."""
import numpy as np
import pytest

from solutions import layers as Ly
from solutions.gradcheck import numerical_gradient

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 7))
KERNEL = np.array([0.5, -1.0, 2.0])
UPSTREAM = RNG.normal(size=(3, 5))          # a fixed dE/dz: E = sum(UPSTREAM * z)


def test_conv1d_is_numpys_correlate_and_a_banded_matrix():
    z = Ly.conv1d(X, KERNEL, 0.25)
    for s in range(3):
        np.testing.assert_allclose(z[s], np.correlate(X[s], KERNEL, mode="valid") + 0.25, rtol=1e-14)
    W = Ly.conv1d_matrix(KERNEL, 7)
    np.testing.assert_allclose(X @ W + 0.25, z, rtol=1e-14)
    assert W.shape == (7, 5) and np.count_nonzero(W) == 15 and set(W[W != 0]) == set(KERNEL)


def test_conv1d_backward_against_finite_differences():
    dx, dk, db = Ly.conv1d_backward(X, KERNEL, UPSTREAM)
    E = lambda x, k, b: float(np.sum(UPSTREAM * Ly.conv1d(x, k, b)))          # noqa: E731
    np.testing.assert_allclose(dk, numerical_gradient(lambda k: E(X, k, 0.0), KERNEL.copy()), rtol=1e-8)
    np.testing.assert_allclose(dx, numerical_gradient(lambda x: E(x, KERNEL, 0.0), X.copy()), rtol=1e-7, atol=1e-9)
    assert db == pytest.approx(float(numerical_gradient(lambda b: E(X, KERNEL, b.item()), np.array(0.0))))


def test_the_kernel_gradient_is_the_sum_of_the_banded_matrix_gradient_over_each_band():
    """Weight sharing: each kernel weight's gradient accumulates the gradients of every matrix entry it fills."""
    _, dW, _ = Ly.dense_backward(X, Ly.conv1d_matrix(KERNEL, 7), UPSTREAM)
    _, dk, _ = Ly.conv1d_backward(X, KERNEL, UPSTREAM)
    np.testing.assert_allclose(dk, [sum(dW[j + k, j] for j in range(5)) for k in range(3)], rtol=1e-13)


def test_dense_and_sparse_backward_against_finite_differences():
    W, b = RNG.normal(size=(7, 5)), RNG.normal(size=5)
    mask = (RNG.random((7, 5)) < 0.4).astype(float)
    E = lambda x, w: float(np.sum(UPSTREAM * Ly.sparse(x, w, mask, b)))       # noqa: E731
    dx, dW, db = Ly.sparse_backward(X, W, mask, UPSTREAM)
    np.testing.assert_allclose(dW, numerical_gradient(lambda w: E(X, w), W.copy()), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dx, numerical_gradient(lambda x: E(x, W), X.copy()), rtol=1e-7, atol=1e-9)
    assert np.all(dW[mask == 0] == 0) and np.allclose(db, UPSTREAM.sum(axis=0))
    dx, dW, _ = Ly.dense_backward(X, W, UPSTREAM)
    np.testing.assert_allclose(dW, X.T @ UPSTREAM) and np.testing.assert_allclose(dx, UPSTREAM @ W.T)
    assert Ly.n_parameters("dense", 7, 5) == 40 and Ly.n_parameters("sparse", 7, 5, mask=mask) == mask.sum() + 5
    assert Ly.n_parameters("conv", 7, 5, kernel_size=3) == 4


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="kernel .9 weights. must have between 1 and d_in = 7"):
        Ly.conv1d(X, np.ones(9))
    with pytest.raises(ValueError, match=r"delta must have shape \(3, 5\)"):
        Ly.conv1d_backward(X, KERNEL, np.ones((3, 4)))
