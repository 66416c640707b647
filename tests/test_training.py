"""Training: batch GD, SGD, mini-batch GD, momentum and Adam, checked against loops written out here."""
import numpy as np
import pytest

from course.data import sine_1d, truth_table, two_circles
from solutions import mlp
from solutions import training as T

XOR_X, XOR_Y = truth_table("xor")
#: seeds of solutions.mlp.init_params from which momentum GD solves XOR in 500 epochs (seed 6 does not)
XOR_SEEDS = [0, 1, 2, 3, 4]


def _copy(p):
    return {k: v.copy() for k, v in p.items()}


def _grad(params, X, Y, acts, loss):
    return mlp.backward(params, mlp.forward(params, X, acts), Y, acts, loss)


@pytest.fixture(scope="module")
def circles():
    X, y = two_circles(120, seed=1)
    return X, y.reshape(-1, 1)


@pytest.fixture
def net():
    return mlp.init_params([2, 6, 1], ["tanh", "sigmoid"], seed=3)


ACTS = ["tanh", "sigmoid"]


def test_batch_gd_loss_decreases_monotonically():
    X, y = sine_1d(40)
    p = mlp.init_params([1, 8, 1], ["tanh", "identity"], seed=0)
    r = T.batch_gd(p, X, y, ["tanh", "identity"], "half_squared_error", lr=0.1, epochs=200)
    assert r.losses.shape == (201,) and r.steps == 200
    assert np.all(np.diff(r.losses) < 0)
    assert r.losses[-1] < 0.2 * r.losses[0]
    assert r.losses[-1] == pytest.approx(mlp.loss(r.params, X, y, ["tanh", "identity"]), rel=1e-12)


def test_batch_gd_equals_hand_written_loop(circles, net):
    X, Y = circles
    r = T.train(net, X, Y, ACTS, "bce_with_logits", lr=0.5, epochs=5)
    p, losses = _copy(net), [mlp.loss(net, X, Y, ACTS, "bce_with_logits")]
    for _ in range(5):
        g = _grad(p, X, Y, ACTS, "bce_with_logits")
        p = {k: p[k] - 0.5 * g[k] for k in p}
        losses.append(mlp.loss(p, X, Y, ACTS, "bce_with_logits"))
    for k in p:
        np.testing.assert_allclose(r.params[k], p[k], rtol=0, atol=1e-14)
    np.testing.assert_allclose(r.losses, losses, rtol=1e-13)


def test_one_batch_gd_step_is_minus_lr_times_finite_difference_gradient(net):
    X, Y = truth_table("or")
    r = T.batch_gd(net, X, Y, ACTS, "half_squared_error", lr=0.3, epochs=1)
    h = 1e-6
    for k in net:
        num = np.zeros_like(net[k])
        for idx in np.ndindex(net[k].shape):
            plus, minus = _copy(net), _copy(net)
            plus[k][idx] += h
            minus[k][idx] -= h
            num[idx] = (mlp.loss(plus, X, Y, ACTS) - mlp.loss(minus, X, Y, ACTS)) / (2 * h)
        np.testing.assert_allclose(r.params[k], net[k] - 0.3 * num, rtol=0, atol=1e-9)


def test_minibatch_of_size_n_equals_batch_gd_exactly(circles, net):
    X, Y = circles
    a = T.train(net, X, Y, ACTS, "bce_with_logits", lr=0.5, epochs=4, batch_size=None)
    b = T.minibatch_gd(net, X, Y, batch_size=len(X), activations=ACTS, loss="bce_with_logits", lr=0.5,
                       epochs=4, seed=123)
    c = T.train(net, X, Y, ACTS, "bce_with_logits", lr=0.5, epochs=4, batch_size=10 * len(X))
    for other in (b, c):
        np.testing.assert_array_equal(other.losses, a.losses)
        for k in net:
            np.testing.assert_array_equal(other.params[k], a.params[k])


def test_minibatch_equals_hand_written_shuffled_loop(circles, net):
    X, Y = circles
    r = T.minibatch_gd(net, X, Y, batch_size=25, activations=ACTS, loss="bce_with_logits", lr=0.2,
                       epochs=3, seed=7)
    assert r.steps == 3 * 5                                        # ceil(120 / 25) = 5 batches per epoch
    rng, p = np.random.default_rng(7), _copy(net)
    for _ in range(3):
        order = rng.permutation(len(X))
        for s in range(0, len(X), 25):
            idx = order[s:s + 25]                                  # the last batch has 20 samples
            g = _grad(p, X[idx], Y[idx], ACTS, "bce_with_logits")
            p = {k: p[k] - 0.2 * g[k] for k in p}
    for k in p:
        np.testing.assert_allclose(r.params[k], p[k], rtol=0, atol=1e-14)


def test_sgd_without_shuffle_is_the_decks_algorithm_1(net):
    X, Y = truth_table("and")
    r = T.train(net, X, Y, ACTS, lr=0.5, epochs=3, batch_size=1, shuffle=False)
    p = _copy(net)
    for _ in range(3):
        for i in range(4):                                         # fixed order, one update per sample
            g = _grad(p, X[i:i + 1], Y[i:i + 1], ACTS, "half_squared_error")
            p = {k: p[k] - 0.5 * g[k] for k in p}
    assert r.steps == 12
    for k in p:
        np.testing.assert_allclose(r.params[k], p[k], rtol=0, atol=1e-14)


def test_sgd_reproducible_and_seed_dependent(circles, net):
    X, Y = circles
    a = T.sgd(net, X, Y, ACTS, "bce_with_logits", lr=0.1, epochs=2, seed=11)
    b = T.sgd(net, X, Y, ACTS, "bce_with_logits", lr=0.1, epochs=2, seed=11)
    c = T.sgd(net, X, Y, ACTS, "bce_with_logits", lr=0.1, epochs=2, seed=12)
    assert a.steps == 2 * len(X)
    np.testing.assert_array_equal(a.losses, b.losses)
    for k in net:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert a.losses[-1] < a.losses[0]


def test_input_params_are_not_modified(circles, net):
    X, Y = circles
    before = _copy(net)
    for opt in T.OPTIMIZERS:
        r = T.train(net, X, Y, ACTS, lr=0.1, epochs=2, batch_size=16, optimizer=opt)
        assert r.params is not net and all(r.params[k] is not net[k] for k in net)
    for k in net:
        np.testing.assert_array_equal(net[k], before[k])


@pytest.mark.parametrize("seed", XOR_SEEDS)
def test_221_sigmoid_mlp_learns_xor(seed):
    p = mlp.init_params([2, 2, 1], "sigmoid", seed=seed)
    r = T.train(p, XOR_X, XOR_Y, "sigmoid", "bce_with_logits", lr=1.0, epochs=500, optimizer="momentum",
                momentum=0.9)
    assert T.accuracy(r.params, XOR_X, XOR_Y) == 1.0
    out = mlp.predict(r.params, XOR_X)[:, 0]
    assert np.max(np.abs(out - XOR_Y)) < 0.05


def test_xor_with_plain_batch_gd_and_the_lectures_loss():
    """The lectures' setting: sigmoid units, E = 1/2 (y - yhat)^2, plain gradient descent (seed 0)."""
    p = mlp.init_params([2, 2, 1], "sigmoid", seed=0)
    r = T.batch_gd(p, XOR_X, XOR_Y, "sigmoid", "half_squared_error", lr=2.0, epochs=2000)
    assert T.accuracy(r.params, XOR_X, XOR_Y) == 1.0
    assert r.losses[-1] < 0.01 < r.losses[0]


def test_momentum_with_zero_momentum_is_sgd(circles, net):
    X, Y = circles
    a = T.train(net, X, Y, ACTS, lr=0.3, epochs=3, batch_size=30, optimizer="sgd", seed=1)
    b = T.train(net, X, Y, ACTS, lr=0.3, epochs=3, batch_size=30, optimizer="momentum", momentum=0.0, seed=1)
    for k in net:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_momentum_and_adam_against_hand_written_updates(circles, net):
    X, Y = circles
    lr, mu, b1, b2, eps = 0.05, 0.8, 0.85, 0.99, 1e-7
    rm = T.train(net, X, Y, ACTS, lr=lr, epochs=4, optimizer="momentum", momentum=mu)
    ra = T.train(net, X, Y, ACTS, lr=lr, epochs=4, optimizer="adam", beta1=b1, beta2=b2, eps=eps)
    pm, pa = _copy(net), _copy(net)
    v = {k: 0.0 for k in net}
    m, s = {k: 0.0 for k in net}, {k: 0.0 for k in net}
    for t in range(1, 5):
        gm, ga = _grad(pm, X, Y, ACTS, "half_squared_error"), _grad(pa, X, Y, ACTS, "half_squared_error")
        for k in net:
            v[k] = mu * v[k] - lr * gm[k]
            pm[k] = pm[k] + v[k]
            m[k] = b1 * m[k] + (1 - b1) * ga[k]
            s[k] = b2 * s[k] + (1 - b2) * ga[k] ** 2
            pa[k] = pa[k] - lr * (m[k] / (1 - b1 ** t)) / (np.sqrt(s[k] / (1 - b2 ** t)) + eps)
    for k in net:
        np.testing.assert_allclose(rm.params[k], pm[k], rtol=0, atol=1e-13)
        np.testing.assert_allclose(ra.params[k], pa[k], rtol=0, atol=1e-13)
    # Adam's first step moves every weight by about lr (the normalised gradient is +-1)
    r1 = T.train(net, X, Y, ACTS, lr=lr, epochs=1, optimizer="adam")
    np.testing.assert_allclose(np.abs(r1.params["W1"] - net["W1"]), lr, rtol=1e-4)


def test_softmax_classifier_trains_and_accuracy_uses_argmax():
    X, y = two_circles(200, seed=2)
    Y = np.eye(2)[y.astype(int)]
    p = mlp.init_params([2, 16, 2], ["tanh", "softmax"], seed=0)
    r = T.minibatch_gd(p, X, Y, batch_size=20, activations=["tanh", "softmax"],
                       loss="cross_entropy_with_logits", lr=0.5, epochs=60, optimizer="momentum")
    assert r.losses[-1] < 0.5 * r.losses[0]
    acc_labels = T.accuracy(r.params, X, y.astype(int), ["tanh", "softmax"])
    assert acc_labels == T.accuracy(r.params, X, Y, ["tanh", "softmax"]) and acc_labels > 0.9


def test_accuracy_binary_threshold():
    p = {"W1": np.array([[1.0]]), "b1": np.array([0.0])}          # sigmoid(x): >= 0.5 iff x >= 0
    X = np.array([[-2.0], [-0.1], [0.0], [3.0]])
    assert T.accuracy(p, X, [0, 0, 1, 1]) == 1.0
    assert T.accuracy(p, X, np.array([[1], [0], [1], [0]])) == 0.5
    assert T.accuracy(p, X, [0, 0, 0, 1], threshold=0.9) == 1.0


def test_bad_arguments(circles, net):
    X, Y = circles
    with pytest.raises(ValueError, match=r"unknown optimizer 'adagrad'; known optimizers: sgd, momentum, nesterov, rmsprop, adam"):
        T.train(net, X, Y, optimizer="adagrad")
    with pytest.raises(ValueError, match="lr must be a positive"):
        T.train(net, X, Y, lr=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        T.train(net, X, Y, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        T.train(net, X, Y, batch_size=2.5)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        T.train(net, X, Y, epochs=-1)
    with pytest.raises(ValueError, match="momentum must lie in"):
        T.train(net, X, Y, optimizer="momentum", momentum=1.0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\).*\(2, 6\).*\(120, 3\)"):
        T.train(net, np.zeros((120, 3)), Y)
    with pytest.raises(ValueError, match=r"Y must have shape \(120, 1\).*got \(119, 1\)"):
        T.train(net, X, Y[:-1])
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        T.train(net, X, Y, activations="sigmoidal")
    with pytest.raises(ValueError, match="unknown loss"):
        T.train(net, X, Y, loss="l2")
    with pytest.raises(ValueError, match="NaN"):
        T.train(net, np.full((120, 2), np.nan), Y)
    with pytest.raises(ValueError, match=r"labels y must be 0 or 1"):
        T.accuracy(net, X, 2 * Y, ACTS)
    with pytest.raises(ValueError, match=r"labels y must have shape \(120,\)"):
        T.accuracy(net, X, Y[:5], ACTS)


def test_divergence_is_reported():
    X, y = sine_1d(50, high=30.0)
    p = mlp.init_params([1, 4, 1], ["relu", "identity"], seed=0)
    with pytest.raises(ValueError, match="training diverged.*lower the learning rate"):
        T.train(p, X * 100, y, ["relu", "identity"], "squared_error", lr=10.0, epochs=50)
