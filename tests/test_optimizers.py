"""Optimisers (solutions.optimizers): first steps computed by hand, exact behaviour on quadratics, and equality
with scikit-learn's own SGD-momentum, Nesterov and Adam updates -- optimiser by optimiser and inside an MLP."""
import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from solutions import mlp, optimizers as O, regularisation as R, training as T
from solutions.gradcheck import numerical_gradient

THETA0 = np.array([1.0, 1.0])
G = np.array([2.0, -0.5])


def _one_step(opt, g=G):
    params = {"x": THETA0.copy()}
    opt.step(params, {"x": g})
    return params["x"]


# --------------------------------------------------------------------------- first steps, by hand
def test_first_steps_computed_by_hand():
    # theta0 = (1, 1), g = (2, -0.5), lr = 0.1
    np.testing.assert_allclose(_one_step(O.GradientDescent(0.1)), [0.8, 1.05], rtol=0, atol=1e-15)
    np.testing.assert_allclose(_one_step(O.Momentum(0.1, 0.9)), [0.8, 1.05], rtol=0, atol=1e-15)  # v = -lr g
    # Nesterov: v = -lr g, step mu v - lr g = -(1 + mu) lr g = -0.19 g
    np.testing.assert_allclose(_one_step(O.Nesterov(0.1, 0.9)), [0.62, 1.095], rtol=0, atol=1e-15)
    # RMSProp: s = 0.1 g^2, step -lr g / sqrt(0.1 g^2) = -lr sign(g) / sqrt(0.1) = -0.316227766... sign(g)
    np.testing.assert_allclose(_one_step(O.RMSProp(0.1, rho=0.9, eps=1e-12)), [0.683772234, 1.316227766],
                               rtol=0, atol=1e-9)
    # Adam: m_hat = g, s_hat = g^2: the first step is -lr sign(g)
    np.testing.assert_allclose(_one_step(O.Adam(0.1, eps=1e-12)), [0.9, 1.1], rtol=0, atol=1e-11)


def test_second_steps_computed_by_hand():
    g2 = np.array([1.0, 1.0])
    params = {"x": THETA0.copy()}
    opt = O.Momentum(0.1, 0.5)
    opt.step(params, {"x": G})
    opt.step(params, {"x": g2})          # v2 = 0.5 * (-0.2, 0.05) - 0.1 * (1, 1) = (-0.2, -0.075)
    np.testing.assert_allclose(params["x"], [0.6, 0.975], rtol=0, atol=1e-15)
    params = {"x": THETA0.copy()}
    opt = O.Adam(0.1, beta1=0.5, beta2=0.5, eps=1e-12)
    opt.step(params, {"x": np.array([2.0])})
    opt.step(params, {"x": np.array([0.0])})
    # m = 0.5 * 1 = 0.5 -> m_hat = 0.5 / 0.75; s = 0.5 * 2 = 1 -> s_hat = 1 / 0.75; step = -0.1 * (2/3) / sqrt(4/3)
    np.testing.assert_allclose(params["x"], 1.0 - 0.1 - 0.1 * (2 / 3) / np.sqrt(4 / 3), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- quadratics
@pytest.mark.parametrize("lr", [0.05, 0.5, 1.0, 1.5, 2.1])
def test_gradient_descent_on_a_quadratic_multiplies_the_error_by_one_minus_lr_lambda(lr):
    q = O.Quadratic(np.diag([1.0, 0.1]), b=np.array([1.0, -0.2]))
    x0 = np.array([3.0, -4.0])
    path = O.minimise(q.grad, x0, O.GradientDescent(lr), 20)
    t = np.arange(21)[:, None]
    expected = q.minimiser + (1 - lr * np.diag(q.A)) ** t * (x0 - q.minimiser)
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-12)
    assert q.gd_contraction(lr) == pytest.approx(max(abs(1 - lr), abs(1 - 0.1 * lr)))


def test_learning_rate_one_over_lambda_solves_a_1d_quadratic_in_one_step_and_two_over_lambda_oscillates():
    q = O.Quadratic([[4.0]], [2.0])
    path = O.minimise(q.grad, [7.0], O.GradientDescent(0.25), 3)
    np.testing.assert_allclose(path[1:, 0], 0.5, rtol=0, atol=1e-15)
    assert q.max_stable_lr == 0.5
    path = O.minimise(q.grad, [1.5], O.GradientDescent(q.max_stable_lr), 4)
    np.testing.assert_allclose(path[:, 0], [1.5, -0.5, 1.5, -0.5, 1.5], rtol=0, atol=1e-15)


def test_best_constant_step_contracts_by_kappa_minus_one_over_kappa_plus_one():
    q = O.Quadratic(np.diag([10.0, 0.5]))
    kappa = q.condition_number
    assert kappa == pytest.approx(20.0)
    assert q.best_lr == pytest.approx(2 / 10.5)
    assert q.gd_contraction(q.best_lr) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    assert all(q.gd_contraction(lr) > q.gd_contraction(q.best_lr) for lr in (0.5 * q.best_lr, 1.05 * q.best_lr))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_on_a_1d_quadratic_is_the_linear_recurrence_of_x_and_v(nesterov):
    lam, lr, mu = 3.0, 0.1, 0.8
    q = O.Quadratic([[lam]])
    opt = O.Nesterov(lr, mu) if nesterov else O.Momentum(lr, mu)
    path = O.minimise(q.grad, [2.0], opt, 30)[:, 0]
    # state (x, v): v' = mu v - lr lam x;  x' = x + v' (heavy ball) or x + mu v' - lr lam x (Nesterov)
    V = np.array([-lr * lam, mu])                                  # v' = V . (x, v)
    X = np.array([1.0, 0.0]) + (mu * V - np.array([lr * lam, 0.0]) if nesterov else V)
    M = np.vstack([X, V])
    states = [np.array([2.0, 0.0])]
    for _ in range(30):
        states.append(M @ states[-1])
    np.testing.assert_allclose(path, [s[0] for s in states], rtol=1e-12, atol=1e-14)
    # converges: the spectral radius of M is below one for these constants
    assert max(abs(np.linalg.eigvals(M))) < 1 and abs(path[-1]) < 1e-2 * abs(path[0])


def test_polyaks_heavy_ball_constants_give_the_square_root_rate():
    """With Polyak's constants the error shrinks by (sqrt(kappa) - 1) / (sqrt(kappa) + 1) per step: measured over
    steps 200-400 (the iteration matrix has a double eigenvalue there, so the error carries a factor t)."""
    q = O.Quadratic(np.diag([1.0, 50.0]))
    lr, mu, rate = q.heavy_ball
    kappa = q.condition_number
    assert rate == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) and mu == pytest.approx(rate ** 2)
    path = O.minimise(q.grad, [3.0, 1.0], O.Momentum(lr, mu), 400)
    err = np.linalg.norm(path, axis=1)
    measured = (err[400] / 400 / (err[200] / 200)) ** (1 / 200)
    assert measured == pytest.approx(rate, rel=0.01)
    assert rate < q.gd_contraction(q.best_lr) - 0.15      # far faster than the best plain gradient descent


def test_adam_moves_by_exactly_lr_per_step_under_a_constant_gradient_thanks_to_the_bias_correction():
    grad = lambda x: np.array([0.3, -7.0])                        # noqa: E731 - a linear objective
    path = O.minimise(grad, [0.0, 0.0], O.Adam(0.05, eps=1e-300), 25)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile([-0.05, 0.05], (25, 1)), rtol=1e-13, atol=0)


def test_rmsprop_without_bias_correction_takes_larger_early_steps():
    path = O.minimise(lambda x: np.array([2.0]), [0.0], O.RMSProp(0.01, rho=0.9, eps=1e-300), 5)
    steps = -np.diff(path[:, 0])
    np.testing.assert_allclose(steps, 0.01 / np.sqrt(1 - 0.9 ** np.arange(1, 6)), rtol=1e-13)


def test_rosenbrock_gradient_and_minimum():
    np.testing.assert_array_equal(O.rosenbrock_grad(O.ROSENBROCK_MINIMUM), [0.0, 0.0])
    assert O.rosenbrock(O.ROSENBROCK_MINIMUM) == 0.0
    for point in ([-1.2, 1.0], [0.3, -0.4], [2.0, 3.5]):
        p = np.array(point)
        np.testing.assert_allclose(O.rosenbrock_grad(p), numerical_gradient(O.rosenbrock, p.copy()), rtol=1e-7)
    q = O.Quadratic([[2.0, 0.5], [0.5, 1.0]], [1.0, 0.0])
    x = np.array([0.7, -1.1])
    np.testing.assert_allclose(q.grad(x), numerical_gradient(q, x.copy()), rtol=1e-8)


def test_adam_and_momentum_reach_the_rosenbrock_minimum():
    for opt, steps in ((O.Adam(0.02), 6000), (O.Momentum(0.001, 0.9), 8000)):
        path = O.minimise(O.rosenbrock_grad, [-1.2, 1.0], opt, steps)
        assert np.linalg.norm(path[-1] - O.ROSENBROCK_MINIMUM) < 0.05, (opt, path[-1])


def test_divergence_is_returned_not_raised():
    path = O.minimise(O.Quadratic([[1.0]]).grad, [1.0], O.GradientDescent(3.0), 2000)
    assert not np.all(np.isfinite(path[-1]))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'; known optimizers: sgd, momentum, nesterov"):
        O.make("adagrad", 0.1)
    with pytest.raises(ValueError, match=r"optimizer 'sgd' has no parameter\(s\) \['momentum'\]"):
        O.make("sgd", 0.1, momentum=0.9)
    with pytest.raises(ValueError, match="lr must be a positive"):
        O.Adam(0.0)
    with pytest.raises(ValueError, match=r"beta1 must lie in \[0, 1\)"):
        O.Adam(0.1, beta1=1.0)
    with pytest.raises(ValueError, match="A must be positive definite"):
        O.Quadratic([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="steps must be an integer"):
        O.minimise(lambda x: x, [0.0], O.GradientDescent(0.1), -1)


# --------------------------------------------------------------------------- scikit-learn's optimisers
def _gradient_sequence(seed, steps=12):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=(3, 4)), rng.normal(size=4)] for _ in range(steps)]


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_and_nesterov_equal_scikit_learns_sgd_optimizer(nesterov):
    rng = np.random.default_rng(5)
    start = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    theirs = [p.copy() for p in start]
    sk = SGDOptimizer(theirs, learning_rate_init=0.05, momentum=0.85, nesterov=nesterov)
    ours = {"W": start[0].copy(), "b": start[1].copy()}
    opt = O.make("nesterov" if nesterov else "momentum", 0.05, momentum=0.85)
    for grads in _gradient_sequence(1):
        sk.update_params(theirs, grads)
        opt.step(ours, {"W": grads[0], "b": grads[1]})
        np.testing.assert_allclose(ours["W"], theirs[0], rtol=0, atol=1e-14)
        np.testing.assert_allclose(ours["b"], theirs[1], rtol=0, atol=1e-14)


def test_adam_equals_scikit_learns_adam_optimizer_up_to_where_epsilon_sits():
    """scikit-learn folds the bias corrections into the step size (Kingma and Ba's 'efficient version'): its update
    with epsilon is ours with epsilon / sqrt(1 - beta2^t). With that epsilon the two agree to rounding."""
    rng = np.random.default_rng(6)
    start = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    b1, b2, eps, lr = 0.8, 0.95, 1e-3, 0.01                          # a large epsilon: the difference shows
    theirs = [p.copy() for p in start]
    sk = AdamOptimizer(theirs, learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    ours = {"W": start[0].copy(), "b": start[1].copy()}
    naive = {"W": start[0].copy(), "b": start[1].copy()}
    opt, naive_opt = O.Adam(lr, b1, b2, eps), O.Adam(lr, b1, b2, eps)
    for t, grads in enumerate(_gradient_sequence(2), start=1):
        sk.update_params(theirs, grads)
        opt.eps = eps / np.sqrt(1 - b2 ** t)                         # the same optimiser, epsilon rescaled
        opt.step(ours, {"W": grads[0], "b": grads[1]})
        naive_opt.step(naive, {"W": grads[0], "b": grads[1]})
        np.testing.assert_allclose(ours["W"], theirs[0], rtol=0, atol=1e-13)
        np.testing.assert_allclose(ours["b"], theirs[1], rtol=0, atol=1e-13)
    assert np.max(np.abs(naive["W"] - theirs[0])) > 1e-6            # ... and the placement of epsilon matters


SK_SOLVERS = [("momentum", dict(solver="sgd", momentum=0.9, nesterovs_momentum=False)),
              ("nesterov", dict(solver="sgd", momentum=0.9, nesterovs_momentum=True)),
              ("adam", dict(solver="adam", beta_1=0.9, beta_2=0.999, epsilon=1e-300))]


def _fresh_optimizer_state(est):
    opt = est._optimizer
    if isinstance(opt, SGDOptimizer):
        opt.velocities = [np.zeros_like(p) for p in est.coefs_ + est.intercepts_]
    else:
        opt.t = 0
        opt.ms = [np.zeros_like(p) for p in est.coefs_ + est.intercepts_]
        opt.vs = [np.zeros_like(p) for p in est.coefs_ + est.intercepts_]


@pytest.mark.parametrize("name,solver", SK_SOLVERS, ids=[s[0] for s in SK_SOLVERS])
def test_mlp_training_equals_mlpclassifier_step_for_step(name, solver):
    """Full-batch training of a 3-5-4-1 tanh network with cross-entropy: our train() and MLPClassifier.partial_fit
    from the same weights and a fresh optimiser state give the same weights after every one of 6 steps."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    acts = ["tanh", "tanh", "sigmoid"]
    params = mlp.init_params([3, 5, 4, 1], acts, seed=4)
    params = {k: v + rng.normal(scale=0.3, size=v.shape) for k, v in params.items()}
    est = MLPClassifier(hidden_layer_sizes=(5, 4), activation="tanh", alpha=0.0, batch_size=20, shuffle=False,
                        learning_rate_init=0.05, random_state=0, **solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y, classes=[0, 1])
    for l in range(1, 4):
        est.coefs_[l - 1][...] = params[f"W{l}"]
        est.intercepts_[l - 1][...] = params[f"b{l}"]
    _fresh_optimizer_state(est)
    for epochs in range(1, 7):
        est.partial_fit(X, y)
        ours = T.train(params, X, y, acts, "bce_with_logits", lr=0.05, epochs=epochs, optimizer=name,
                       momentum=0.9, eps=1e-300)
        for l in range(1, 4):
            np.testing.assert_allclose(est.coefs_[l - 1], ours.params[f"W{l}"], rtol=0, atol=1e-12)
            np.testing.assert_allclose(est.intercepts_[l - 1], ours.params[f"b{l}"], rtol=0, atol=1e-12)


def test_weight_decay_equals_scikit_learns_alpha_over_n():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(16, 3)), rng.integers(0, 2, size=16)
    acts = ["relu", "sigmoid"]
    params = mlp.init_params([3, 6, 1], acts, seed=2)
    alpha = 0.8
    est = MLPClassifier(hidden_layer_sizes=(6,), activation="relu", solver="sgd", momentum=0.0, alpha=alpha,
                        batch_size=16, shuffle=False, learning_rate_init=0.1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y, classes=[0, 1])
    for l in (1, 2):
        est.coefs_[l - 1][...] = params[f"W{l}"]
        est.intercepts_[l - 1][...] = params[f"b{l}"]
    for epochs in (1, 2, 3):
        est.partial_fit(X, y)
        ours = T.train(params, X, y, acts, "bce_with_logits", lr=0.1, epochs=epochs, weight_decay=alpha / 16)
        for l in (1, 2):
            np.testing.assert_allclose(est.coefs_[l - 1], ours.params[f"W{l}"], rtol=0, atol=1e-12)
    # sklearn's reported loss is ours plus the penalty
    assert est.loss_ == pytest.approx(mlp.loss(T.train(params, X, y, acts, "bce_with_logits", lr=0.1, epochs=2,
                                                       weight_decay=alpha / 16).params, X, y, acts,
                                               "bce_with_logits")
                                      + R.l2_penalty(T.train(params, X, y, acts, "bce_with_logits", lr=0.1,
                                                             epochs=2, weight_decay=alpha / 16).params,
                                                     alpha / 16), rel=1e-12)


# --------------------------------------------------------------------------- regularisation and early stopping
def test_l2_penalty_gradient_against_finite_differences():
    params = mlp.init_params([3, 4, 2], "tanh", seed=1)
    params["b1"] += 0.5
    grads = R.l2_penalty_grad(params, 0.3)
    for k in params:
        numeric = numerical_gradient(lambda v, k=k: R.l2_penalty({**params, k: v}, 0.3), params[k].copy())
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-7, atol=1e-10)
    assert not np.any(grads["b1"]) and np.any(grads["W1"])


def test_weight_decay_is_carried_into_every_weight_gradient():
    X, y = np.random.default_rng(0).normal(size=(10, 2)), np.arange(10) % 2
    params = mlp.init_params([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    r = T.train(params, X, y, ["tanh", "sigmoid"], "bce_with_logits", lr=0.2, epochs=3, weight_decay=0.5)
    p = {k: v.copy() for k, v in params.items()}
    for _ in range(3):
        g = mlp.backward(p, mlp.forward(p, X, ["tanh", "sigmoid"]), y, ["tanh", "sigmoid"], "bce_with_logits")
        p = {k: (1 - 0.2 * 0.5) * p[k] - 0.2 * g[k] if k.startswith("W") else p[k] - 0.2 * g[k] for k in p}
    for k in p:
        np.testing.assert_allclose(r.params[k], p[k], rtol=0, atol=1e-14)


def test_early_stopping_returns_the_best_epochs_weights():
    rng = np.random.default_rng(4)
    X, Xv = rng.normal(size=(30, 2)), rng.normal(size=(200, 2))
    y, yv = (X.sum(axis=1) > 0) ^ (rng.random(30) < 0.25), (Xv.sum(axis=1) > 0) ^ (rng.random(200) < 0.25)
    y, yv = y.astype(float), yv.astype(float)                      # a linear rule with 25% flipped labels
    acts = ["tanh", "sigmoid"]
    params = mlp.init_params([2, 64, 1], acts, seed=0)
    r = T.train(params, X, y, acts, "bce_with_logits", lr=0.005, epochs=400, batch_size=10, optimizer="adam",
                validation=(Xv, yv), patience=15, seed=3)
    assert r.best_epoch == int(np.argmin(r.val_losses)) and r.best_epoch > 0
    assert len(r.val_losses) == len(r.losses) == r.best_epoch + 15 + 1 < 401   # stopped 15 epochs after the best
    assert r.val_losses[r.best_epoch] == pytest.approx(mlp.loss(r.params, Xv, yv, acts, "bce_with_logits"), rel=1e-12)
    again = T.train(params, X, y, acts, "bce_with_logits", lr=0.005, epochs=r.best_epoch, batch_size=10,
                    optimizer="adam", seed=3)
    for k in params:
        np.testing.assert_array_equal(again.params[k], r.params[k])


def test_should_stop_and_bad_arguments():
    assert not R.should_stop([3.0, 2.0, 2.5], 2) and R.should_stop([3.0, 2.0, 2.5, 2.1], 2)
    assert R.best_epoch([1.0, 0.5, 0.5]) == 1
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        R.should_stop([1.0], 0)
    X, y = np.zeros((4, 2)), np.zeros(4)
    params = mlp.init_params([2, 2, 1], "sigmoid")
    with pytest.raises(ValueError, match="early stopping .patience. needs validation"):
        T.train(params, X, y, patience=3)
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        T.train(params, X, y, weight_decay=-1.0)
    with pytest.raises(ValueError, match=r"Y_val must have shape \(3, 1\)"):
        T.train(params, X, y, validation=(np.zeros((3, 2)), np.zeros(4)))
