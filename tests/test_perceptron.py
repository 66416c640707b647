"""Perceptron: hand-set units, Rosenblatt's rule, convergence on AND/OR, provable cycling on XOR."""
import numpy as np
import pytest

from course.data import truth_table
from solutions import losses
from solutions import perceptron as P

STARTS = [None, np.array([0.5, -0.3, 0.2]), np.array([3.0, -2.0, -2.0]), np.array([-4.0, 5.0, 1.0])]


def test_augment_prepends_ones():
    Xa = P.augment([[2.0, 3.0], [4.0, 5.0]])
    np.testing.assert_array_equal(Xa, [[1, 2, 3], [1, 4, 5]])
    assert P.augment([7.0, 8.0]).shape == (1, 3)


@pytest.mark.parametrize("name, w", [("and", P.AND_WEIGHTS), ("or", P.OR_WEIGHTS), ("nand", P.NAND_WEIGHTS)])
def test_hand_set_units_on_the_full_truth_table(name, w):
    X, t = truth_table(name)
    np.testing.assert_array_equal(P.predict(w, X), t)


def test_deck_and_weights():
    np.testing.assert_array_equal(P.AND_WEIGHTS, [-1.5, 1.0, 1.0])
    # scores -1.5, -0.5, -0.5, 0.5 on (0,0), (0,1), (1,0), (1,1)
    np.testing.assert_array_equal(P.augment(truth_table("and")[0]) @ P.AND_WEIGHTS, [-1.5, -0.5, -0.5, 0.5])


def test_step_of_zero_is_one():
    assert P.predict(np.array([0.0, 0.0]), [[5.0]])[0] == 1.0


def test_rosenblatt_update_rule():
    w = np.array([0.5, -1.0, 2.0])
    x = np.array([1.0, 3.0])                            # score 0.5 - 1 + 6 = 5.5 -> y = 1
    np.testing.assert_array_equal(P.rosenblatt_update(w, x, 1), w)          # correct: unchanged
    np.testing.assert_allclose(P.rosenblatt_update(w, x, 0, lr=0.1), w - 0.1 * np.array([1.0, 1.0, 3.0]))
    x2 = np.array([-2.0, -1.0])                         # score 0.5 + 2 - 2 = 0.5 -> y = 1
    np.testing.assert_array_equal(P.rosenblatt_update(w, x2, 1), w)
    x3 = np.array([2.0, 0.0])                           # score -1.5 -> y = 0
    np.testing.assert_allclose(P.rosenblatt_update(w, x3, 1, lr=2.0), w + 2.0 * np.array([1.0, 2.0, 0.0]))
    assert w.tolist() == [0.5, -1.0, 2.0]                # input not modified


@pytest.mark.parametrize("name", ["and", "or"])
@pytest.mark.parametrize("start", range(len(STARTS)))
@pytest.mark.parametrize("seed", [None, 0, 1])
def test_converges_on_and_or(name, start, seed):
    X, t = truth_table(name)
    r = P.train(X, t, w0=STARTS[start], lr=1.0, max_epochs=100, seed=seed)
    assert r.converged and not r.cycled
    np.testing.assert_array_equal(P.predict(r.w, X), t)
    assert r.mistakes_per_epoch[-1] == 0 and all(m > 0 for m in r.mistakes_per_epoch[:-1])
    assert r.epochs == len(r.mistakes_per_epoch)
    assert r.weights.shape == (sum(r.mistakes_per_epoch) + 1, 3)
    np.testing.assert_array_equal(r.weights[-1], r.w)
    if STARTS[start] is not None:
        np.testing.assert_array_equal(r.weights[0], STARTS[start])


@pytest.mark.parametrize("name, w_star", [("and", P.AND_WEIGHTS), ("or", P.OR_WEIGHTS), ("nand", P.NAND_WEIGHTS)])
@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_mistakes_within_novikoff_bound(name, w_star, lr):
    X, t = truth_table(name)
    r = P.train(X, t, lr=lr)
    assert r.converged
    assert 0 < sum(r.mistakes_per_epoch) <= P.novikoff_bound(X, t, w_star)


def test_novikoff_on_random_separable_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    w_star = np.array([0.2, 1.0, -2.0, 0.5])
    score = P.augment(X) @ w_star
    keep = np.abs(score) > 0.3                           # a clear margin
    X, t = X[keep], (score[keep] > 0).astype(float)
    r = P.train(X, t, max_epochs=1000)
    assert r.converged
    assert sum(r.mistakes_per_epoch) <= P.novikoff_bound(X, t, w_star)


def test_novikoff_rejects_a_non_separating_vector():
    X, t = truth_table("xor")
    with pytest.raises(ValueError, match="does not separate"):
        P.novikoff_bound(X, t, np.array([-0.5, 1.0, 1.0]))


@pytest.mark.parametrize("start", range(len(STARTS)))
def test_xor_never_converges_and_cycles(start):
    X, t = truth_table("xor")
    r = P.train(X, t, w0=STARTS[start], max_epochs=5000)
    assert not r.converged and r.epochs == 5000
    assert min(r.mistakes_per_epoch) > 0
    assert r.cycled and r.cycle_length >= 1
    # check the cycle independently: epoch-boundary weights repeat with that period at the end of the run
    boundary = np.concatenate([[0], np.cumsum(r.mistakes_per_epoch)])
    last, earlier = boundary[-1], boundary[-1 - r.cycle_length]
    np.testing.assert_array_equal(r.weights[last], r.weights[earlier])
    assert np.any(P.predict(r.w, X) != t)


def test_xor_stop_on_cycle_stops_early():
    X, t = truth_table("xor")
    r = P.train(X, t, max_epochs=5000, stop_on_cycle=True)
    assert r.cycled and not r.converged and r.epochs < 20


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_with_shuffling_never_converges(seed):
    X, t = truth_table("xor")
    r = P.train(X, t, max_epochs=2000, seed=seed)
    assert not r.converged and min(r.mistakes_per_epoch) > 0


def test_shuffled_training_is_reproducible():
    X, t = truth_table("and")
    a = P.train(X, t, seed=5, w0=STARTS[3])
    b = P.train(X, t, seed=5, w0=STARTS[3])
    np.testing.assert_array_equal(a.weights, b.weights)


def test_update_is_minus_the_perceptron_criterion_subgradient():
    """Rosenblatt's step = - lr * d/dw max(0, -s w.x~), s = 2t - 1, for points off the boundary."""
    rng = np.random.default_rng(0)
    updated = 0
    for _ in range(200):
        w, x, t = rng.normal(size=3), rng.normal(size=2), float(rng.integers(0, 2))
        xa = np.r_[1.0, x]
        z = np.array([w @ xa])
        s = P.to_pm1(np.array([t]))
        grad_w = losses.perceptron_loss_grad(s, z)[0] * xa       # chain rule: dL/dz * dz/dw
        lr = 0.3
        np.testing.assert_allclose(P.rosenblatt_update(w, x, t, lr) - w, -lr * grad_w, atol=1e-15)
        updated += bool(np.any(grad_w))
    assert 50 < updated < 150                                      # both cases were exercised


def test_boundary_point_is_the_one_exception():
    w, x = np.array([0.0, 1.0, -1.0]), np.array([2.0, 2.0])        # z = 0 exactly, step(0) = 1
    assert losses.perceptron_loss(P.to_pm1(np.array([0.0])), np.array([0.0])) == 0.0
    np.testing.assert_array_equal(P.rosenblatt_update(w, x, 0), w - np.array([1.0, 2.0, 2.0]))


def test_bad_input_errors():
    X, t = truth_table("and")
    with pytest.raises(ValueError, match=r"labels t must be 0 or 1"):
        P.train(X, 2 * t - 1)
    with pytest.raises(ValueError, match=r"shape \(4,\).*got \(3,\)"):
        P.train(X, t[:3])
    with pytest.raises(ValueError, match=r"weights must have shape \(3,\).*got \(2,\)"):
        P.predict(np.array([1.0, 1.0]), X)
    with pytest.raises(ValueError, match="NaN"):
        P.predict(P.AND_WEIGHTS, [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="lr must be positive"):
        P.train(X, t, lr=0.0)
    with pytest.raises(ValueError, match="max_epochs"):
        P.train(X, t, max_epochs=0)
    with pytest.raises(ValueError, match="one input"):
        P.rosenblatt_update(P.AND_WEIGHTS, X, 1)
    with pytest.raises(ValueError, match="0 or 1"):
        P.to_pm1([0, 2])


# --------------------------------------------------------------------------- random projections (deck 000) and Cover
from itertools import product  # noqa: E402

from course.data import two_circles  # noqa: E402
from solutions import projections  # noqa: E402


def test_random_projection_shape_values_and_seed():
    X, _ = two_circles(50, seed=0)
    Z = projections.random_projection(X, 30, seed=4)
    assert Z.shape == (50, 30) and set(np.unique(Z)) <= {-1.0, 1.0}
    B = projections.projection_matrix(2, 30, seed=4)
    assert B.shape == (3, 30)
    np.testing.assert_array_equal(Z, np.where(P.augment(X) @ B >= 0, 1.0, -1.0))
    np.testing.assert_array_equal(Z, projections.random_projection(X, 30, seed=4))
    assert not np.array_equal(Z, projections.random_projection(X, 30, seed=5))
    big = projections.projection_matrix(3, 4000, seed=0)
    assert abs(big.mean()) < 0.03 and abs(big.std() - 1) < 0.03       # N(0, 1) entries


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_on_random_projection_beats_raw_features(seed):
    """Cover's theorem at work: two circles are not linearly separable in 2-D, but are after sign(B x~)."""
    X, t = two_circles(400, seed=seed)
    raw = P.train(X, t, max_epochs=50, seed=seed)
    raw_acc = np.mean(P.predict(raw.w, X) == t)
    # not even the least-squares linear classifier does well on the raw features
    ls = np.linalg.lstsq(P.augment(X), 2 * t - 1, rcond=None)[0]
    assert np.mean((P.augment(X) @ ls >= 0) == t) < 0.7
    Z = projections.random_projection(X, 200, seed=seed)
    proj = P.train(Z, t, max_epochs=50, seed=seed)
    proj_acc = np.mean(P.predict(proj.w, Z) == t)
    assert not raw.converged and raw_acc < 0.7
    assert proj_acc >= 0.95 and proj_acc - raw_acc > 0.25


def test_cover_count_matches_perceptron_on_the_truth_table_points():
    """C(4, 3) = 14: of the 16 Boolean functions of two inputs all but XOR and XNOR are linearly separable."""
    assert projections.cover_count(4, 3) == 14
    X, _ = truth_table("and")
    separable = [labels for labels in product([0.0, 1.0], repeat=4)
                 if P.train(X, np.array(labels), max_epochs=200, stop_on_cycle=True).converged]
    assert len(separable) == 14
    assert (0.0, 1.0, 1.0, 0.0) not in separable and (1.0, 0.0, 0.0, 1.0) not in separable


def test_cover_fraction():
    assert projections.cover_separable_fraction(5, 5) == 1.0
    assert projections.cover_separable_fraction(20, 10) == 0.5                  # n = 2d
    assert projections.cover_count(6, 2) == 2 * (1 + 5)
    assert projections.cover_separable_fraction(40, 10) < 0.01


def test_projection_bad_input():
    with pytest.raises(ValueError, match="n_hidden must be a positive integer"):
        projections.random_projection(np.zeros((3, 2)), 0)
    with pytest.raises(ValueError, match="d must be a positive integer"):
        projections.cover_count(4, 0)
