"""Initialisation (solutions.initialisation): the variance formulas, the weights solutions.mlp draws with them, and
the variance argument itself measured in deep networks."""
import numpy as np
import pytest

from solutions import initialisation as I
from solutions import mlp


def test_formulas():
    assert I.lecun_variance(50) == pytest.approx(0.02)
    assert I.glorot_variance(30, 70) == pytest.approx(0.02)
    assert I.glorot_uniform_bound(30, 70) == pytest.approx(np.sqrt(6 / 100))
    assert I.glorot_uniform_bound(30, 70, sigmoid=True) == pytest.approx(np.sqrt(2 / 100))
    assert I.he_variance(50) == pytest.approx(0.04)
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        I.he_variance(0)


@pytest.mark.parametrize("scheme,act,expected", [("glorot", "tanh", lambda i, o: 2 / (i + o)),
                                                 ("glorot", "sigmoid", lambda i, o: 2 / (3 * (i + o))),
                                                 ("he", "relu", lambda i, o: 2 / i)])
def test_mlp_init_params_draws_weights_of_the_stated_variance(scheme, act, expected):
    params = mlp.init_params([300, 200, 100], act, seed=0, scheme=scheme)
    for l, (fan_in, fan_out) in enumerate([(300, 200), (200, 100)], start=1):
        W = params[f"W{l}"]
        assert W.mean() == pytest.approx(0.0, abs=4 * np.sqrt(expected(fan_in, fan_out) / W.size))
        assert W.var() == pytest.approx(expected(fan_in, fan_out), rel=0.03)


def _deep(scheme, act, width=256, depth=10, seed=0):
    sizes = [width] * (depth + 1)
    if scheme in ("glorot", "he"):
        params = mlp.init_params(sizes, act, seed=seed, scheme=scheme)
    else:
        params = I.naive_params(sizes, std=scheme, seed=seed)
    X = np.random.default_rng(seed + 1).normal(size=(512, width))
    return mlp.layer_statistics(params, X, act, seed=seed)


def test_the_variance_argument_holds_in_deep_networks():
    """He keeps the ReLU activations' spread constant with depth; Glorot keeps tanh's; N(0, 0.01^2) makes it vanish
    geometrically (factor sqrt(n) * 0.01 = 0.16 per layer for a linear regime) and N(0, 1) saturates tanh."""
    he = _deep("he", "relu")
    assert 0.5 < he["z_std"][-1] / he["z_std"][0] < 2.0
    glorot = _deep("glorot", "tanh")
    assert glorot["a_std"][-1] > 0.2 and glorot["saturated"].max() < 0.2
    tiny = _deep(0.01, "tanh")
    ratios = tiny["z_std"][1:] / tiny["z_std"][:-1]
    np.testing.assert_allclose(ratios, np.sqrt(256) * 0.01, rtol=0.05)      # tanh is linear this close to 0
    big = _deep(1.0, "tanh")
    assert big["saturated"][1:].min() > 0.8                                 # |z| > 2 for most units
    relu_glorot = _deep("glorot", "relu")
    assert relu_glorot["z_std"][-1] < 0.2 * relu_glorot["z_std"][0]        # Glorot is too small for ReLU


def test_layer_statistics_reads_the_reference_passes():
    params = mlp.init_params([4, 5, 3], ["tanh", "identity"], seed=2)
    X = np.random.default_rng(0).normal(size=(7, 4))
    stats = mlp.layer_statistics(params, X, ["tanh", "identity"], seed=3)
    cache = mlp.forward(params, X, ["tanh", "identity"])
    Y = np.random.default_rng(3).normal(size=(7, 3))
    grads = mlp.backward(params, cache, Y, ["tanh", "identity"])
    assert stats["z_std"][0] == cache["z1"].std() and stats["a_std"][1] == cache["a2"].std()
    assert stats["grad_std"][1] == grads["W2"].std()
    assert set(stats) == {"z_std", "a_std", "delta_std", "grad_std", "saturated"}
