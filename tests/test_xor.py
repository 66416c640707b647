"""Hand-set XOR networks, checked on the whole truth table; deck 004's printed weights checked too."""
import numpy as np
import pytest

from course.data import truth_table
from solutions import perceptron, xor

X, XOR = truth_table("xor")


def _scalar_net(w, b, f, x1, x2):
    """Deck 004's 2-2-1 wiring written out by hand (independent of solutions.mlp)."""
    a1 = f(w[0] * x1 + w[2] * x2 + b[0])
    a2 = f(w[1] * x1 + w[3] * x2 + b[1])
    return f(w[4] * a1 + w[5] * a2 + b[2])


def _sig(s):
    return 1.0 / (1.0 + np.exp(-s))


def test_step_network_computes_xor_exactly():
    np.testing.assert_array_equal(xor.truth_table_outputs(xor.step_xor_params(), "step"), XOR)


def test_step_network_hidden_units_are_or_and_nand():
    h = xor.hidden_outputs(xor.step_xor_params(), "step")
    np.testing.assert_array_equal(h[:, 0], truth_table("or")[1])
    np.testing.assert_array_equal(h[:, 1], truth_table("nand")[1])
    # the output unit is AND of the hidden features
    np.testing.assert_array_equal(perceptron.predict(perceptron.AND_WEIGHTS, h), XOR)


@pytest.mark.parametrize("scale", [5.0, 20.0, 100.0])
def test_sigmoid_network_computes_xor(scale):
    out = xor.truth_table_outputs(xor.sigmoid_xor_params(scale), "sigmoid")
    np.testing.assert_array_equal((out >= 0.5).astype(float), XOR)
    # every unit's score is at least 0.5 * scale away from 0; two layers of saturation
    assert np.max(np.abs(out - XOR)) < 2 / (1 + np.exp(0.5 * scale - 1))


def test_sigmoid_20_matches_deck_biases_and_is_within_1e_4():
    p = xor.sigmoid_xor_params(20.0)
    np.testing.assert_array_equal(np.r_[p["b1"], p["b2"]], xor.LECTURE_XOR_BIASES)
    out = xor.truth_table_outputs(p, "sigmoid")
    assert np.max(np.abs(out - XOR)) < 1e-4


def test_lecture_params_follow_deck_wiring():
    p = xor.lecture_sigmoid_xor_params()
    np.testing.assert_array_equal(p["W1"], [[20, -20], [20, 20]])   # W1 = [[w1, w2], [w3, w4]]
    np.testing.assert_array_equal(p["W2"], [[-20], [20]])            # W2 = [[w5], [w6]]
    np.testing.assert_array_equal(p["b1"], [-10, 30])
    np.testing.assert_array_equal(p["b2"], [-30])


def test_deck_printed_weights_do_not_compute_xor():
    """Deck 004: b = -10, 30, -30; w = 20, -20, 20, 20, -20, 20 -- outputs ~0 on all four inputs."""
    out = xor.truth_table_outputs(xor.lecture_sigmoid_xor_params(), "sigmoid")
    hand = np.array([_scalar_net(xor.LECTURE_XOR_WEIGHTS, xor.LECTURE_XOR_BIASES, _sig, *x) for x in X])
    np.testing.assert_allclose(out, hand, rtol=1e-12, atol=0)
    assert np.all(out < 1e-4)                                        # never fires, even on (0,1), (1,0)
    assert not np.array_equal((out >= 0.5).astype(float), XOR)
    h = xor.hidden_outputs(xor.lecture_sigmoid_xor_params(), "sigmoid")
    assert np.all(h[:, 1] > 0.9999)                                  # unit 2 is always on
    step_out = xor.truth_table_outputs(xor.lecture_sigmoid_xor_params(), "step")
    np.testing.assert_array_equal(step_out, [0, 0, 0, 0])


def test_swapping_w4_and_w5_is_the_only_fix():
    assert xor.lecture_xor_fixes() == [(20.0, -20.0, 20.0, -20.0, 20.0, 20.0)]
    corrected = xor.corrected_lecture_sigmoid_xor_params()
    for k, v in xor.sigmoid_xor_params(20.0).items():
        np.testing.assert_array_equal(corrected[k], v)
    out = xor.truth_table_outputs(corrected, "sigmoid")
    hand = np.array([_scalar_net((20, -20, 20, -20, 20, 20), xor.LECTURE_XOR_BIASES, _sig, *x) for x in X])
    np.testing.assert_allclose(out, hand, rtol=1e-12, atol=0)
    np.testing.assert_array_equal((out >= 0.5).astype(float), XOR)


def test_feature_engineered_xor():
    w = xor.feature_engineered_xor()
    F = xor.xor_features(X)
    np.testing.assert_array_equal(F[:, 2], [0, 0, 0, 1])
    np.testing.assert_array_equal(perceptron.predict(w, F), XOR)
    np.testing.assert_array_equal(perceptron.augment(F) @ w, [-0.5, 0.5, 0.5, -0.5])
    # and a perceptron can learn it on these features (they make XOR linearly separable)
    assert perceptron.train(F, XOR, max_epochs=100).converged


def test_bad_input():
    with pytest.raises(ValueError, match="scale must be a positive"):
        xor.sigmoid_xor_params(0.0)
    with pytest.raises(ValueError, match="6 weights and 3 biases"):
        xor.lecture_params_from_vector([1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        xor.xor_features(np.zeros((4, 3)))
