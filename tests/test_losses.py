"""Losses: values and gradients against independent sympy expressions and central finite differences,
stability of the logit losses, the softmax + cross-entropy identity, and bad-input errors."""
import math
import warnings
import zlib

import numpy as np
import pytest
import sympy as sp

from solutions import activations as A
from solutions import losses as L

N, K = 3, 2


def _fd_grad(f, x, h=1e-6):
    """Central differences of the scalar f at x (independent of solutions.gradcheck)."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# --------------------------------------------------------------------------- the sympy oracle
Ys = sp.Matrix(N, K, lambda i, k: sp.Symbol(f"y{i}{k}", real=True))
Ps = sp.Matrix(N, K, lambda i, k: sp.Symbol(f"p{i}{k}", real=True))


def _mean_over_samples(per_entry):
    return sum(per_entry(Ys[i, k], Ps[i, k]) for i in range(N) for k in range(K)) / N


def _sym_softmax_ce():
    total = 0
    for i in range(N):
        lse = sp.log(sum(sp.exp(Ps[i, j]) for j in range(K)))
        total += sum(-Ys[i, k] * (Ps[i, k] - lse) for k in range(K))
    return total / N


def _sym_ce():
    return sum(-Ys[i, k] * sp.log(Ps[i, k]) for i in range(N) for k in range(K)) / N


DELTA, MARGIN = sp.Rational(7, 10), sp.Rational(3, 2)

#: loss label -> (Loss from the registry, sympy expression of the mean loss, kind of targets/predictions)
ORACLE = {
    "squared_error": (L.get("squared_error"), _mean_over_samples(lambda y, p: (y - p) ** 2), "real"),
    "half_squared_error": (L.get("half_squared_error"),
                           _mean_over_samples(lambda y, p: sp.Rational(1, 2) * (y - p) ** 2), "real"),
    "mse": (L.get("mse"), sum((Ys[i, k] - Ps[i, k]) ** 2 for i in range(N) for k in range(K)) / (N * K), "real"),
    "huber": (L.get("huber"), _mean_over_samples(
        lambda y, p: sp.Piecewise((sp.Rational(1, 2) * (y - p) ** 2, sp.Abs(y - p) <= 1),
                                  (sp.Abs(y - p) - sp.Rational(1, 2), True))), "real"),
    "huber[delta=0.7]": (L.get("huber", delta=0.7), _mean_over_samples(
        lambda y, p: sp.Piecewise((sp.Rational(1, 2) * (y - p) ** 2, sp.Abs(y - p) <= DELTA),
                                  (DELTA * (sp.Abs(y - p) - DELTA / 2), True))), "real"),
    "binary_cross_entropy": (L.get("binary_cross_entropy"),
                             _mean_over_samples(lambda y, p: -(y * sp.log(p) + (1 - y) * sp.log(1 - p))), "prob"),
    "bce_with_logits": (L.get("bce_with_logits"), _mean_over_samples(
        lambda y, z: -(y * sp.log(1 / (1 + sp.exp(-z))) + (1 - y) * sp.log(1 - 1 / (1 + sp.exp(-z))))), "logit01"),
    "cross_entropy": (L.get("cross_entropy"), _sym_ce(), "onehot_prob"),
    "cross_entropy_with_logits": (L.get("cross_entropy_with_logits"), _sym_softmax_ce(), "onehot_logit"),
    "perceptron": (L.get("perceptron"), _mean_over_samples(lambda t, z: sp.Max(0, -t * z)), "pm1"),
    "hinge": (L.get("hinge"), _mean_over_samples(lambda t, z: sp.Max(0, 1 - t * z)), "pm1"),
    "hinge[margin=1.5]": (L.get("hinge", margin=1.5), _mean_over_samples(lambda t, z: sp.Max(0, MARGIN - t * z)),
                          "pm1"),
}


def test_every_registered_loss_has_an_oracle():
    assert {lo.name for lo, *_ in ORACLE.values()} == set(L.LOSSES)


def _sample(kind, rng):
    """Targets and predictions of shape (N, K) for a loss, away from kinks (|r| != delta, t z != 0, margin)."""
    if kind == "real":
        y = rng.normal(size=(N, K))
        p = y + rng.choice([-1, 1], size=(N, K)) * rng.uniform(0.05, 2.5, size=(N, K))
        r = np.abs(y - p)
        p[np.abs(r - 1.0) < 0.02] += 0.05
        p[np.abs(r - 0.7) < 0.02] += 0.05
        return y, p
    if kind == "prob":
        return rng.integers(0, 2, size=(N, K)).astype(float), rng.uniform(0.05, 0.95, size=(N, K))
    if kind == "logit01":
        return rng.uniform(0, 1, size=(N, K)), rng.normal(scale=3, size=(N, K))
    if kind in ("onehot_prob", "onehot_logit"):
        y = np.eye(K)[rng.integers(0, K, size=N)]
        if kind == "onehot_logit":
            return y, rng.normal(scale=3, size=(N, K))
        return y, A.softmax(rng.normal(size=(N, K)), axis=1)
    if kind == "pm1":
        t = rng.choice([-1.0, 1.0], size=(N, K))
        z = rng.choice([-1, 1], size=(N, K)) * rng.uniform(0.1, 3.0, size=(N, K))
        z[np.abs(t * z - 1.0) < 0.05] += 0.2
        z[np.abs(t * z - 1.5) < 0.05] += 0.2
        return t, z
    raise AssertionError(kind)


@pytest.mark.parametrize("label", list(ORACLE))
def test_loss_value_and_gradient_match_sympy(label):
    lo, expr, kind = ORACLE[label]
    value_fn = sp.lambdify([list(Ys), list(Ps)], expr, "mpmath")
    grad_fns = [sp.lambdify([list(Ys), list(Ps)], sp.diff(expr, p), "mpmath") for p in Ps]
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    for _ in range(4):
        y, p = _sample(kind, rng)
        args = [list(map(float, y.ravel())), list(map(float, p.ravel()))]
        assert lo(y, p) == pytest.approx(float(value_fn(*args)), rel=1e-13, abs=1e-15)
        want = np.array([float(g(*args)) for g in grad_fns]).reshape(N, K)
        np.testing.assert_allclose(lo.grad(y, p), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("label", list(ORACLE))
def test_loss_gradient_matches_finite_differences(label):
    lo, _, kind = ORACLE[label]
    rng = np.random.default_rng(11)
    for shape_case in ("matrix", "vector"):
        y, p = _sample(kind, rng)
        if shape_case == "vector":
            if kind.startswith("onehot"):
                continue  # class losses need (n, K)
            y, p = y[:, 0], p[:, 0]  # (n,) = n samples of one output
        h = 1e-7 if kind == "prob" else 1e-6
        np.testing.assert_allclose(lo.grad(y, p), _fd_grad(lambda q: lo(y, q), p, h), rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- conventions and identities
def test_one_sample_reproduces_the_lecture_formula_and_the_mean_is_over_samples():
    # the lectures' E = 1/2 (y - yhat)^2 for one example
    assert L.half_squared_error(1.0, 0.75) == 0.5 * 0.25 ** 2
    assert L.squared_error([1.0], [0.75]) == 0.25 ** 2
    y, p = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.5, 0.5], [1.0, 0.0]])
    assert L.half_squared_error(y, p) == pytest.approx((0.5 * (0.25 + 0.25) + 0.5 * 1.0) / 2)
    assert L.mse(y, p) == pytest.approx((0.25 + 0.25 + 0 + 1) / 4)
    # n copies of one sample: same loss, and the gradient is split n ways
    for name in L.LOSSES:
        lo = L.get(name)
        if name in ("perceptron", "hinge"):
            y1, p1 = np.array([[1.0, -1.0]]), np.array([[-0.3, 0.4]])
        else:
            y1, p1 = np.array([[0.0, 1.0]]), np.array([[0.3, 0.6]])
        yn, pn = np.repeat(y1, 5, axis=0), np.repeat(p1, 5, axis=0)
        assert lo(yn, pn) == pytest.approx(lo(y1, p1), rel=1e-14)
        np.testing.assert_allclose(lo.grad(yn, pn), np.repeat(lo.grad(y1, p1), 5, axis=0) / 5, rtol=1e-14)


def test_mse_and_log_loss_agree_with_scikit_learn_metrics():
    from sklearn.metrics import log_loss, mean_squared_error
    rng = np.random.default_rng(5)
    y, p = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    assert L.mse(y, p) == pytest.approx(mean_squared_error(y, p), rel=1e-14)
    yb, pb = rng.integers(0, 2, size=20).astype(float), rng.uniform(0.01, 0.99, size=20)
    assert L.binary_cross_entropy(yb, pb) == pytest.approx(log_loss(yb, pb), rel=1e-13)
    labels = rng.integers(0, 3, size=20)
    P = A.softmax(rng.normal(size=(20, 3)), axis=1)
    assert L.cross_entropy(L.one_hot(labels, 3), P) == pytest.approx(log_loss(labels, P), rel=1e-13)


def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    rng = np.random.default_rng(2)
    z = rng.normal(scale=4, size=(7, 4))
    labels = rng.integers(0, 4, size=7)
    T = L.one_hot(labels, 4)
    np.testing.assert_allclose(L.cross_entropy_with_logits_grad(T, z), (A.softmax(z, axis=1) - T) / 7, rtol=1e-14)
    # the logit form is the chain rule through softmax of the probability form
    chained = A.softmax_vjp(z, L.cross_entropy_grad(T, A.softmax(z, axis=1)), axis=1)
    np.testing.assert_allclose(L.cross_entropy_with_logits_grad(T, z), chained, rtol=1e-10, atol=1e-15)
    assert L.cross_entropy_with_logits(T, z) == pytest.approx(L.cross_entropy(T, A.softmax(z, axis=1)), rel=1e-12)


def test_sigmoid_bce_forms_agree():
    rng = np.random.default_rng(3)
    y, z = rng.integers(0, 2, size=9).astype(float), rng.normal(scale=3, size=9)
    assert L.bce_with_logits(y, z) == pytest.approx(L.binary_cross_entropy(y, A.sigmoid(z)), rel=1e-12)
    # deck 003: J = -log sigma((2y - 1) z) for 0/1 labels
    assert L.bce_with_logits(y, z) == pytest.approx(np.mean(-np.log(A.sigmoid((2 * y - 1) * z))), rel=1e-12)
    np.testing.assert_allclose(L.bce_with_logits_grad(y, z), (A.sigmoid(z) - y) / 9, rtol=1e-14)


def test_huber_is_half_squared_inside_and_linear_outside_and_continuous_at_delta():
    for delta in (0.5, 1.0, 2.0):
        lo = L.get("huber", delta=delta)
        assert lo(0.0, delta / 2) == 0.5 * (delta / 2) ** 2
        assert lo(0.0, 3 * delta) == pytest.approx(delta * (3 * delta - delta / 2))
        assert lo(0.0, np.nextafter(delta, 0)) == pytest.approx(lo(0.0, np.nextafter(delta, 9)), rel=1e-14)
        assert lo.grad(0.0, 10 * delta) == delta and lo.grad(0.0, -10 * delta) == -delta
        assert L.huber(0.0, delta / 2, delta=delta) == lo(0.0, delta / 2)


def test_perceptron_loss_subgradient_step_is_the_rosenblatt_update():
    """For z = x . w the gradient of max(0, -t z) is -t x on a mistake and 0 otherwise, so a gradient step of
    size eta adds eta t x: the perceptron rule."""
    x, w = np.array([1.0, 2.0, -1.0]), np.array([0.5, -0.5, 0.2])
    for t in (1.0, -1.0):
        z = np.array([x @ w])
        dz = L.perceptron_loss_grad(np.array([t]), z)
        if t * z[0] < 0:
            np.testing.assert_array_equal(w - 1.0 * dz[0] * x, w + t * x)
        else:
            assert dz[0] == 0.0
    # the lectures' error-margin form  -I{zy < 0} z y
    t, z = np.array([1.0, -1.0, 1.0, -1.0]), np.array([0.7, 0.2, -1.5, -3.0])
    assert L.perceptron_loss(t, z) == pytest.approx(np.mean(-(t * z < 0).astype(float) * t * z))
    assert L.hinge(t, z) == pytest.approx(np.mean(np.maximum(0, 1 - t * z)))
    assert L.hinge_grad(np.array([1.0]), np.array([1.0]))[0] == 0.0  # 0 at the kink t z = margin


def test_logit_losses_are_stable_at_huge_logits():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        y, z = np.array([1.0, 0.0, 1.0, 0.0]), np.array([1e4, -1e4, -1e4, 1e4])
        assert L.bce_with_logits(y[:2], z[:2]) == 0.0
        assert L.bce_with_logits(y[2:], z[2:]) == 1e4
        np.testing.assert_array_equal(L.bce_with_logits_grad(y, z), [0.0, 0.0, -0.25, 0.25])
        T = np.array([[1.0, 0.0], [0.0, 1.0]])
        Z = np.array([[1e4, -1e4], [1e4, -1e4]])
        assert L.cross_entropy_with_logits(T, Z) == 1e4  # (0 + 2e4) / 2
        np.testing.assert_array_equal(L.cross_entropy_with_logits_grad(T, Z), [[0.0, 0.0], [0.5, -0.5]])
        # probabilities of exactly 0 and 1: clipped, large but finite
        assert np.isfinite(L.binary_cross_entropy([1.0, 0.0], [0.0, 1.0]))
        assert np.all(np.isfinite(L.binary_cross_entropy_grad([1.0, 0.0], [0.0, 1.0])))
        assert np.isfinite(L.cross_entropy(T, np.array([[0.0, 1.0], [1.0, 0.0]])))


def test_one_hot():
    np.testing.assert_array_equal(L.one_hot([2, 0, 1]), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert L.one_hot(np.array([0, 1]), 4).shape == (2, 4)
    assert L.one_hot(np.array([], dtype=int), 3).shape == (0, 3)


# --------------------------------------------------------------------------- registry and bad input
def test_registry_names_aliases_and_parameters():
    want = {"squared_error", "half_squared_error", "mse", "huber", "binary_cross_entropy", "cross_entropy",
            "bce_with_logits", "cross_entropy_with_logits", "perceptron", "hinge"}
    assert set(L.names()) == want
    assert L.get("error_margin").name == "perceptron" and L.get("squared_loss").name == "half_squared_error"
    assert L.get("huber").params == {"delta": 1.0} and L.get("huber", delta=0.3).params == {"delta": 0.3}
    assert L.LOSSES["huber"].params == {"delta": 1.0}  # get() does not mutate the registry
    lo = L.get("hinge", margin=2.0)
    assert L.get(lo) is lo and lo(np.array([1.0]), np.array([0.5])) == 1.5
    assert {n: L.get(n).prediction for n in ("bce_with_logits", "cross_entropy_with_logits", "mse")} == {
        "bce_with_logits": "logits", "cross_entropy_with_logits": "logits", "mse": "output"}


def test_unknown_names_and_parameters_are_reported_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown loss 'mae'; known losses: squared_error, half_squared_error, .*hinge"):
        L.get("mae")
    with pytest.raises(ValueError, match=r"loss 'huber' has no parameter\(s\) \['margin'\]; its parameters: delta"):
        L.get("huber", margin=1.0)
    with pytest.raises(ValueError, match=r"loss 'mse' has no parameter\(s\) \['delta'\]; its parameters: none"):
        L.get("mse", delta=1.0)
    with pytest.raises(TypeError, match="loss must be given by name \\(a str\\), got float"):
        L.get(1.0)


def test_bad_input_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"mse: targets have shape \(3,\) but predictions have shape \(4,\)$"):
        L.mse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"half_squared_error_grad: targets have shape \(3,\) but predictions have "
                                         r"shape \(3, 1\) \(reshape one of them"):
        L.half_squared_error_grad(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="huber: targets contain NaN or infinite values"):
        L.huber([np.nan], [0.0])
    with pytest.raises(ValueError, match="squared_error: got empty arrays of shape \\(0,\\)"):
        L.squared_error([], [])
    with pytest.raises(ValueError, match=r"huber: delta must be positive, got 0"):
        L.huber([0.0], [1.0], delta=0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: predictions must be probabilities in \[0, 1\]; "
                                         r"got values in \[-0.5, 0.5\] \(use the \*_with_logits loss"):
        L.binary_cross_entropy([0.0, 1.0], [-0.5, 0.5])
    with pytest.raises(ValueError, match=r"bce_with_logits: targets must lie in \[0, 1\].*got values in \[-1.0, 1.0\]; "
                                         r"for -1/\+1 labels t use \(t \+ 1\) / 2"):
        L.bce_with_logits([-1.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"hinge: targets must be -1 or \+1, got values \[0. 1.\]"):
        L.hinge([0.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"perceptron_loss_grad: targets must be -1 or \+1"):
        L.perceptron_loss_grad([2.0], [0.0])
    with pytest.raises(ValueError, match=r"cross_entropy_with_logits: predictions must have shape \(n, K\), got \(3,\) "
                                         r"\(one-hot encode class labels with solutions.losses.one_hot\)"):
        L.cross_entropy_with_logits([0.0, 1.0, 2.0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"cross_entropy: predictions must be probabilities"):
        L.cross_entropy(np.eye(2), np.array([[2.0, -1.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"one_hot: labels must lie in \[0, 2\], got \[0, 3\]"):
        L.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match=r"one_hot: labels must be a 1-D integer array, got dtype float64"):
        L.one_hot([0.0, 1.0])
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty label array"):
        L.one_hot(np.array([], dtype=int))


def test_predictions_may_be_non_finite_so_divergence_is_visible():
    """Only targets are checked: a diverged network's NaN/inf output gives a NaN/inf loss, not an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isinf(L.squared_error([0.0], [np.inf]))
        assert math.isnan(L.half_squared_error([0.0], [np.nan]))
