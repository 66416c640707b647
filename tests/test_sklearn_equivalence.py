"""Our MLP against scikit-learn's MLPClassifier / MLPRegressor given the same weights: identical forward pass
(to 1e-12), the same reported loss, and the same full-batch gradient-descent steps (solver='sgd', momentum 0,
alpha 0, batch_size = n)."""
import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

from solutions import losses as L
from solutions import mlp

SK_TO_OURS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}
LR = 0.3


def _estimator(kind, hidden, activation, n):
    cls = MLPRegressor if kind == "regression" else MLPClassifier
    return cls(hidden_layer_sizes=hidden, activation=activation, solver="sgd", momentum=0.0,
               nesterovs_momentum=False, alpha=0.0, batch_size=n, learning_rate="constant",
               learning_rate_init=LR, shuffle=False, random_state=0)


def _problem(kind, hidden, activation, seed):
    """Data, a fitted-once sklearn estimator whose weights are then overwritten with ours, and our setup."""
    rng = np.random.default_rng(seed)
    n, d0 = 12, 3
    X = rng.normal(size=(n, d0))
    if kind == "binary":
        y = rng.integers(0, 2, size=n)
        Y, out, loss = y.reshape(-1, 1).astype(float), "sigmoid", "bce_with_logits"
    elif kind == "multiclass":
        y = rng.integers(0, 4, size=n)
        y[:4] = np.arange(4)  # every class present
        Y, out, loss = L.one_hot(y, 4), "softmax", "cross_entropy_with_logits"
    else:
        y = rng.normal(size=(n, 2))
        Y, out, loss = y, "identity", "half_squared_error"
    sizes = [d0, *hidden, Y.shape[1]]
    acts = [SK_TO_OURS[activation]] * len(hidden) + [out]
    params = mlp.init_params(sizes, acts, seed=seed)
    params = {k: v + rng.normal(scale=0.5, size=v.shape) for k, v in params.items()}  # non-zero biases too
    est = _estimator(kind, hidden, activation, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y, classes=np.unique(y)) if kind != "regression" else est.partial_fit(X, y)
    _set_weights(est, params)
    return est, X, y, Y, params, acts, loss


def _set_weights(est, params):
    """Overwrite sklearn's fitted weights in place (sklearn's coefs_[l-1] is our W{l}, rows = inputs)."""
    n = len(est.coefs_)
    assert n == mlp.n_layers(params)
    for l in range(1, n + 1):
        est.coefs_[l - 1][...] = params[f"W{l}"]
        est.intercepts_[l - 1][...] = params[f"b{l}"]


CASES = [(kind, act, hidden) for kind in ("binary", "multiclass", "regression")
         for act in ("relu", "tanh", "logistic", "identity") for hidden in ((5,), (4, 3))]


@pytest.mark.parametrize("kind,activation,hidden", CASES)
def test_forward_pass_is_identical_to_scikit_learn(kind, activation, hidden):
    est, X, y, Y, params, acts, _ = _problem(kind, hidden, activation, seed=len(hidden) * 10 + len(activation))
    ours = mlp.predict(params, X, acts)
    if kind == "binary":
        theirs = est.predict_proba(X)
        np.testing.assert_allclose(theirs[:, 1], ours[:, 0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(theirs[:, 0], 1 - ours[:, 0], rtol=0, atol=1e-12)
    elif kind == "multiclass":
        np.testing.assert_allclose(est.predict_proba(X), ours, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(est.predict(X), est.classes_[np.argmax(ours, axis=1)])
    else:
        np.testing.assert_allclose(est.predict(X), ours, rtol=0, atol=1e-12)
    assert np.ptp(ours) > 1e-3  # a non-degenerate output, so the comparison means something


@pytest.mark.parametrize("kind,activation,hidden", [c for c in CASES if c[2] == (4, 3)])
def test_full_batch_gradient_steps_are_identical_to_scikit_learns_sgd(kind, activation, hidden):
    """sklearn's error signal is delta^L = a^L - y and its gradient (a^{l-1})^T delta / n: the gradient of our
    mean-over-samples loss (bce_with_logits + sigmoid, cross_entropy_with_logits + softmax, half_squared_error +
    identity). Three steps of W <- W - lr * dE/dW agree to rounding, and sklearn's reported loss is our loss."""
    est, X, y, Y, params, acts, loss = _problem(kind, hidden, activation, seed=3 + len(activation))
    for step in range(3):
        before = mlp.loss(params, X, Y, acts, loss)
        grads = mlp.backward(params, mlp.forward(params, X, acts), Y, acts, loss)
        params = {k: params[k] - LR * grads[k] for k in params}
        est.partial_fit(X, y)
        if kind == "regression":
            # sklearn reports 1/2 the mean over samples AND outputs, while its gradient (the one it descends)
            # is that of the sum over outputs, our half_squared_error: the two differ by the factor k = 2 here
            assert est.loss_ == pytest.approx(before / Y.shape[1], rel=1e-12)
            assert est.loss_ == pytest.approx(L.mse(Y, mlp.predict(
                {k: params[k] + LR * grads[k] for k in params}, X, acts)) / 2, rel=1e-12)
        else:
            assert est.loss_ == pytest.approx(before, rel=1e-12)
        for l in range(1, len(hidden) + 2):
            np.testing.assert_allclose(est.coefs_[l - 1], params[f"W{l}"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(est.intercepts_[l - 1], params[f"b{l}"], rtol=0, atol=1e-12)
        assert max(np.max(np.abs(g)) for g in grads.values()) > 1e-3  # the steps really moved the weights
