"""The MLP: backpropagated gradients against central finite differences (random architectures, depths 1-4,
every differentiable activation, several losses), property tests, shapes, initialisation, bad input."""
import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solutions import activations as A
from solutions import losses as L
from solutions import mlp

DIFFERENTIABLE = [n for n in A.ACTIVATIONS if n not in A.NOT_DIFFERENTIABLE]
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "prelu": (0.0,), "elu": (0.0,), "clip": (-1.0, 1.0)}

#: (loss, output activation or None for "same as the hidden layers", targets)
LOSS_SETUPS = [
    ("half_squared_error", None, "real"),
    ("bce_with_logits", "sigmoid", "binary"),
    ("cross_entropy_with_logits", "softmax", "onehot"),
    ("cross_entropy", "softmax", "onehot"),
    (L.get("huber", delta=0.5), "identity", "real"),
    ("squared_error", "tanh", "real"),
]


def _fd_param_grads(params, X, Y, acts, loss, h=1e-6):
    """Central differences of mlp.loss with respect to every parameter entry (written here, not gradcheck's)."""
    out = {}
    for k in params:
        g = np.zeros_like(params[k])
        for idx in np.ndindex(params[k].shape):
            p_plus, p_minus = copy.deepcopy(params), copy.deepcopy(params)
            p_plus[k][idx] += h
            p_minus[k][idx] -= h
            g[idx] = (mlp.loss(p_plus, X, Y, acts, loss) - mlp.loss(p_minus, X, Y, acts, loss)) / (2 * h)
        out[k] = g
    return out


def _targets(kind, n, dL, rng):
    if kind == "real":
        return rng.normal(size=(n, dL))
    if kind == "binary":
        return rng.integers(0, 2, size=(n, dL)).astype(float)
    return L.one_hot(rng.integers(0, dL, size=n), dL)


def _near_a_kink(params, X, acts):
    cache = mlp.forward(params, X, acts)
    for l, a in enumerate(acts, start=1):
        name = a if isinstance(a, str) else a.name
        for k in KINKS.get(name, ()):
            if np.min(np.abs(cache[f"z{l}"] - k)) < 1e-3:
                return True
    return False


def _random_problem(depth, hidden, loss_setup, seed):
    """A random architecture of the given depth, kept away from activation kinks (finite differences there
    measure a one-sided slope, not a derivative)."""
    loss, out_act, kind = loss_setup
    for attempt in range(50):
        rng = np.random.default_rng([seed, attempt])
        dL = int(rng.integers(2, 4)) if kind == "onehot" else int(rng.integers(1, 4))
        sizes = [int(rng.integers(1, 5))] + [int(rng.integers(1, 6)) for _ in range(depth - 1)] + [dL]
        acts = [hidden] * (depth - 1) + [out_act or hidden]
        params = mlp.init_params(sizes, acts, seed=int(rng.integers(1000)))
        params = {k: v + rng.normal(scale=0.3, size=v.shape) for k, v in params.items()}  # non-zero biases
        n = int(rng.integers(1, 6))
        X = rng.normal(size=(n, sizes[0]))
        if not _near_a_kink(params, X, acts):
            return params, X, _targets(kind, n, dL, rng), acts, loss
    raise AssertionError("could not draw a problem away from the kinks")


def _assert_grads_match(params, X, Y, acts, loss):
    before = copy.deepcopy(params)
    grads = mlp.backward(params, mlp.forward(params, X, acts), Y, acts, loss)
    fd = _fd_param_grads(params, X, Y, acts, loss)
    assert list(grads) == list(params)
    for k in params:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], fd[k], rtol=1e-6, atol=1e-8, err_msg=k)
    for k in params:  # neither forward nor backward touches the parameters
        np.testing.assert_array_equal(params[k], before[k])


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("hidden", DIFFERENTIABLE)
def test_backprop_matches_finite_differences(hidden, depth):
    for i, setup in enumerate(LOSS_SETUPS):
        _assert_grads_match(*_random_problem(depth, hidden, setup, seed=[depth, i, DIFFERENTIABLE.index(hidden)]))


def test_backprop_with_a_different_activation_in_every_layer():
    rng = np.random.default_rng(0)
    acts = ["tanh", A.get("leaky_relu", slope=0.05), "gelu", A.get("swish", beta=1.7), "softmax"]
    params = mlp.init_params([3, 5, 4, 4, 3, 3], acts, seed=3)
    X, Y = rng.normal(size=(6, 3)), L.one_hot(rng.integers(0, 3, size=6), 3)
    assert not _near_a_kink(params, X, acts)
    _assert_grads_match(params, X, Y, acts, "cross_entropy")
    _assert_grads_match(params, X, Y, acts, "cross_entropy_with_logits")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5),
       acts=st.lists(st.sampled_from(["sigmoid", "tanh", "softplus", "gelu", "mish", "identity", "sinc"]),
                     min_size=4, max_size=4),
       n=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_property_backprop_matches_fd_and_gives_a_descent_direction(sizes, acts, n, seed):
    rng = np.random.default_rng(seed)
    L_ = len(sizes) - 1
    acts = acts[:L_]
    params = mlp.init_params(sizes, acts, seed=seed)
    X, Y = rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))
    _assert_grads_match(params, X, Y, acts, "half_squared_error")
    grads = mlp.backward(params, mlp.forward(params, X, acts), Y, acts)
    g2 = sum(float(np.sum(g * g)) for g in grads.values())
    if g2 > 1e-12:
        eps = 1e-4 / np.sqrt(g2)
        stepped = {k: params[k] - eps * grads[k] for k in params}
        assert mlp.loss(stepped, X, Y, acts) < mlp.loss(params, X, Y, acts)


# --------------------------------------------------------------------------- shapes and conventions
def test_single_sample_and_batch_of_one_agree():
    params = mlp.init_params([3, 4, 2], "sigmoid", seed=1)
    x, y = np.array([0.2, -0.4, 1.0]), np.array([1.0, 0.0])
    c1 = mlp.forward(params, x, "sigmoid")
    c2 = mlp.forward(params, x.reshape(1, 3), "sigmoid")
    assert c1["a0"].shape == (1, 3) and c1["a2"].shape == (1, 2)
    for k in c2:
        np.testing.assert_array_equal(c1[k], c2[k])
    g1 = mlp.backward(params, c1, y, "sigmoid")
    g2 = mlp.backward(params, c2, y.reshape(1, 2), "sigmoid")
    for k in params:
        np.testing.assert_array_equal(g1[k], g2[k])
    assert mlp.predict(params, x, "sigmoid").shape == (1, 2)
    # one output, (n,) targets
    p1 = mlp.init_params([2, 3, 1], "tanh", seed=0)
    X = np.ones((4, 2))
    g_vec = mlp.backward(p1, mlp.forward(p1, X, "tanh"), np.arange(4.0), "tanh")
    g_col = mlp.backward(p1, mlp.forward(p1, X, "tanh"), np.arange(4.0).reshape(4, 1), "tanh")
    for k in p1:
        np.testing.assert_array_equal(g_vec[k], g_col[k])


def test_batch_gradient_is_the_mean_of_per_sample_gradients():
    rng = np.random.default_rng(4)
    params = mlp.init_params([2, 3, 2], ["tanh", "sigmoid"], seed=2)
    X, Y = rng.normal(size=(5, 2)), rng.uniform(size=(5, 2))
    full = mlp.backward(params, mlp.forward(params, X, ["tanh", "sigmoid"]), Y, ["tanh", "sigmoid"])
    per = [mlp.backward(params, mlp.forward(params, X[i], ["tanh", "sigmoid"]), Y[i], ["tanh", "sigmoid"])
           for i in range(5)]
    for k in params:
        np.testing.assert_allclose(full[k], np.mean([g[k] for g in per], axis=0), rtol=1e-13, atol=1e-16)


def test_forward_cache_predict_loss_and_deltas():
    rng = np.random.default_rng(5)
    acts = ["relu", "softmax"]
    params = mlp.init_params([3, 4, 3], acts, seed=0, relu_bias=0.1)
    X, Y = rng.normal(size=(4, 3)), L.one_hot(np.array([0, 2, 1, 2]), 3)
    cache = mlp.forward(params, X, acts)
    assert sorted(cache) == ["a0", "a1", "a2", "z1", "z2"]
    np.testing.assert_array_equal(cache["z1"], X @ params["W1"] + params["b1"])
    np.testing.assert_array_equal(cache["a1"], np.maximum(cache["z1"], 0))
    np.testing.assert_allclose(cache["a2"].sum(axis=1), 1.0)
    np.testing.assert_array_equal(mlp.predict(params, X, acts), cache["a2"])
    assert mlp.loss(params, X, Y, acts, "cross_entropy_with_logits") == L.cross_entropy_with_logits(Y, cache["z2"])
    assert mlp.loss(params, X, Y, acts, "cross_entropy") == L.cross_entropy(Y, cache["a2"])
    grads, deltas = mlp.backward(params, cache, Y, acts, "cross_entropy_with_logits", return_deltas=True)
    assert list(deltas) == ["delta1", "delta2"]
    np.testing.assert_allclose(deltas["delta2"], (cache["a2"] - Y) / 4, rtol=1e-14)  # softmax + CE: (yhat - t)/n
    # the delta rule, delta_h = f'(z_h) * (delta_y W^T)
    np.testing.assert_allclose(deltas["delta1"], (cache["z1"] > 0) * (deltas["delta2"] @ params["W2"].T))
    np.testing.assert_allclose(grads["W2"], cache["a1"].T @ deltas["delta2"])
    assert mlp.layer_sizes(params) == [3, 4, 3] and mlp.n_layers(params) == 2


def test_loss_objects_with_parameters_are_honoured():
    rng = np.random.default_rng(6)
    params = mlp.init_params([2, 3, 1], ["tanh", "identity"], seed=0)
    X, Y = rng.normal(size=(5, 2)), 5 * rng.normal(size=(5, 1))
    yhat = mlp.predict(params, X, ["tanh", "identity"])
    for delta in (0.1, 3.0):
        lo = L.get("huber", delta=delta)
        assert mlp.loss(params, X, Y, ["tanh", "identity"], lo) == L.huber(Y, yhat, delta=delta)
    _assert_grads_match(params, X, Y, ["tanh", "identity"], L.get("huber", delta=0.1))


# --------------------------------------------------------------------------- initialisation
def test_init_params_is_seeded_and_uses_scikit_learns_bounds():
    sizes = [30, 40, 20, 10]
    acts = ["sigmoid", "tanh", "relu"]
    p = mlp.init_params(sizes, acts, seed=7)
    q = mlp.init_params(sizes, acts, seed=7)
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert not np.array_equal(p["W1"], mlp.init_params(sizes, acts, seed=8)["W1"])
    for l, (fi, fo, a) in enumerate(zip(sizes[:-1], sizes[1:], acts), start=1):
        assert p[f"W{l}"].shape == (fi, fo) and p[f"b{l}"].shape == (fo,)
        r = np.sqrt((2.0 if a == "sigmoid" else 6.0) / (fi + fo))  # sklearn's _init_coef
        assert np.max(np.abs(p[f"W{l}"])) <= r and np.max(np.abs(p[f"W{l}"])) > 0.95 * r
        np.testing.assert_array_equal(p[f"b{l}"], 0.0)
    he = mlp.init_params([400, 300], "relu", seed=0, scheme="he", relu_bias=0.1)
    assert np.std(he["W1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    np.testing.assert_array_equal(he["b1"], 0.1)


# --------------------------------------------------------------------------- bad input
def test_bad_input_errors_name_the_problem():
    params = mlp.init_params([3, 4, 2], "sigmoid", seed=0)
    X, Y = np.zeros((5, 3)), np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\), got \(5, 4\)"):
        mlp.forward(params, np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 3\), got \(2, 2, 3\)"):
        mlp.forward(params, np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="X contains NaN or infinite values"):
        mlp.forward(params, np.full((1, 3), np.inf))
    with pytest.raises(ValueError, match=r"targets Y must have shape \(5, 2\) to match the network output, got \(5, 3\)"):
        mlp.backward(params, mlp.forward(params, X), np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"got \(5,\) \(one-hot encode class labels with solutions.losses.one_hot\)"):
        mlp.loss(params, X, np.zeros(5))
    with pytest.raises(ValueError, match=r"got 3 activations for a network with 2 layers"):
        mlp.forward(params, X, ["tanh", "tanh", "tanh"])
    with pytest.raises(ValueError, match=r"softmax can only be the output activation, got it for layer 1 of 2"):
        mlp.forward(params, X, ["softmax", "sigmoid"])
    with pytest.raises(ValueError, match=r"layer 2: unknown activation 'sigmod'; known activations: identity, .*; "
                                         r"'softmax' is also allowed for the output layer"):
        mlp.forward(params, X, ["tanh", "sigmod"])
    with pytest.raises(TypeError, match="activations must be a name, an Activation or a list of them, got int"):
        mlp.forward(params, X, 3)
    with pytest.raises(ValueError, match=r"params has no 'W1'"):
        mlp.forward({"w1": 1}, X)
    with pytest.raises(ValueError, match=r"missing \['b2'\], unexpected \[\]"):
        mlp.forward({k: v for k, v in params.items() if k != "b2"}, X)
    with pytest.raises(ValueError, match=r"layer 1: W1 must be 2-D \(d_in, d_out\) and b1 of shape \(d_out,\); "
                                         r"got W1 \(3, 4\) and b1 \(3,\)"):
        mlp.forward({**params, "b1": np.zeros(3)}, X)
    with pytest.raises(ValueError, match=r"layer 2: W2 has shape \(5, 2\) but layer 1 outputs 4 units"):
        mlp.forward({**params, "W2": np.zeros((5, 2))}, X)
    with pytest.raises(TypeError, match="params must be a dict"):
        mlp.forward([np.zeros((3, 4))], X)
    other = mlp.forward(mlp.init_params([3, 5, 2], "sigmoid"), X)
    with pytest.raises(ValueError, match=r"cache\['z1'\] has shape \(5, 5\) but these params need \(5, 4\)"):
        mlp.backward(params, other, Y)
    with pytest.raises(ValueError, match=r"cache lacks \['z2', 'a2'\]"):
        mlp.backward(params, {"a0": X, "z1": np.zeros((5, 4)), "a1": np.zeros((5, 4))}, Y)
    with pytest.raises(ValueError, match=r"unknown loss 'l1'; known losses"):
        mlp.loss(params, X, Y, "sigmoid", "l1")
    with pytest.raises(ValueError, match=r"sizes must list at least two positive layer widths, got \[3\]"):
        mlp.init_params([3])
    with pytest.raises(ValueError, match=r"unknown initialisation scheme 'lecun'; known: 'glorot', 'he'"):
        mlp.init_params([3, 2], scheme="lecun")


def test_activation_names_are_case_insensitive_and_objects_are_accepted():
    params = mlp.init_params([2, 3, 2], ["LeakY_ReLU", "Softmax"], seed=0)
    X = np.array([[0.5, -1.0]])
    a = mlp.predict(params, X, [A.get("leaky_relu"), "SOFTMAX"])
    np.testing.assert_array_equal(a, mlp.predict(params, X, ["leaky_relu", "softmax"]))
