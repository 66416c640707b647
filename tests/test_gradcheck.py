"""Gradient checking: central differences, the CS231n relative error, and the whole-MLP check."""
import copy

import numpy as np
import pytest

from solutions import gradcheck as G
from solutions import losses as L
from solutions import mlp


def test_numerical_gradient_of_a_quadratic_is_exact_up_to_rounding():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    Q, b = M @ M.T, rng.normal(size=4)
    x = rng.normal(size=4)
    g = G.numerical_gradient(lambda t: 0.5 * t @ Q @ t + b @ t, x)
    np.testing.assert_allclose(g, Q @ x + b, rtol=1e-8, atol=1e-9)


def test_central_difference_error_is_second_order_in_h():
    x = np.array([0.7])
    errs = [abs(G.numerical_gradient(lambda t: float(np.sin(t[0])), x, h)[0] - np.cos(0.7)) for h in (1e-2, 5e-3)]
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.01)  # error ~ h^2 f'''/6


def test_theta_is_restored_exactly_and_views_are_perturbed_in_place():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(3, 2))
    before = W.copy()
    g = G.numerical_gradient(lambda _: float(np.sum(W ** 3)), W)  # f reads W through the closure
    np.testing.assert_allclose(g, 3 * W ** 2, rtol=1e-8)
    np.testing.assert_array_equal(W, before)
    # a non-contiguous view: perturbing W.T must perturb W
    gT = G.numerical_gradient(lambda _: float(np.sum(W ** 3)), W.T)
    np.testing.assert_allclose(gT, 3 * W.T ** 2, rtol=1e-8)
    np.testing.assert_array_equal(W, before)
    # non-float64 input: f receives the float64 copy
    gi = G.numerical_gradient(lambda t: float(np.sum(t ** 2)), [[1, 2], [3, 4]])
    np.testing.assert_allclose(gi, [[2, 4], [6, 8]], rtol=1e-8)


def test_relative_error_is_the_cs231n_formula():
    np.testing.assert_array_equal(G.relative_error([1.0, 0.0, 1e-9, 1.0, -1.0], [1.0, 0.0, 0.0, 2.0, 1.0]),
                                  [0.0, 0.0, 1e-9 / 1e-8, 1.0 / 3.0, 1.0])
    with pytest.raises(ValueError, match=r"relative_error: shapes differ, \(2,\) vs \(3,\)"):
        G.relative_error(np.zeros(2), np.zeros(3))


def test_grad_check_separates_right_from_wrong_gradients():
    x = np.array([0.3, -1.2, 2.0])
    f = lambda t: float(np.sum(np.exp(t)))  # noqa: E731
    assert G.grad_check(f, x, np.exp(x)) < 1e-8
    assert G.grad_check(f, x, np.exp(x) * 1.01) > 1e-3
    assert G.grad_check(f, np.zeros(0), np.zeros(0)) == 0.0


def test_bad_input_errors():
    with pytest.raises(ValueError, match="step h must be positive, got 0"):
        G.numerical_gradient(lambda t: 0.0, np.zeros(2), h=0)
    with pytest.raises(ValueError, match="step h must be positive, got nan"):
        G.numerical_gradient(lambda t: 0.0, np.zeros(2), h=float("nan"))
    with pytest.raises(ValueError, match=r"f is not finite next to entry \(1,\)"):
        G.numerical_gradient(lambda t: float(np.sum(t)) if t[1] <= 0 else float("inf"), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"relative_error: shapes differ, \(3,\) vs \(2,\)"):
        G.grad_check(lambda t: float(np.sum(t)), np.zeros(2), np.zeros(3))


def test_check_mlp_gradients_reports_every_parameter_and_leaves_params_alone():
    rng = np.random.default_rng(2)
    params = mlp.init_params([3, 4, 3], ["tanh", "softmax"], seed=0)
    before = copy.deepcopy(params)
    X, Y = rng.normal(size=(5, 3)), L.one_hot(rng.integers(0, 3, size=5), 3)
    errs = G.check_mlp_gradients(params, X, Y, ["tanh", "softmax"], "cross_entropy_with_logits")
    assert list(errs) == ["W1", "b1", "W2", "b2"]
    assert max(errs.values()) < 1e-7
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_check_mlp_gradients_catches_a_broken_backward(monkeypatch):
    params = mlp.init_params([2, 3, 1], "sigmoid", seed=0)
    X, Y = np.array([[0.05, 0.1]]), np.array([[1.0]])
    real = mlp.backward

    def missing_derivative(params, cache, Y, activations="sigmoid", loss="half_squared_error", return_deltas=False):
        g = real(params, cache, Y, activations, loss)
        g["W1"] = g["W1"] * 1.05  # e.g. a forgotten factor in the hidden delta
        return g

    monkeypatch.setattr(mlp, "backward", missing_derivative)
    errs = G.check_mlp_gradients(params, X, Y, "sigmoid")
    assert errs["W1"] > 1e-3 and errs["W2"] < 1e-7
