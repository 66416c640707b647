"""The worked examples reproduce every printed lecture number; the deck's slips are documented as tests.

Oracles independent of solutions.mlp: explicit scalar chain-rule arithmetic written out here with
math.exp, and central finite differences of a scalar forward pass also written out here.
"""
import math

import numpy as np
import pytest

from solutions import worked_examples as we


# --------------------------------------------------------------------------- independent scalar oracle
def _sig(s):
    return 1.0 / (1.0 + math.exp(-s))


def _forward_221(w, x1=0.05, x2=0.1):
    """Deck 004's wiring, written out by hand."""
    s1 = w["w1"] * x1 + w["w3"] * x2 + w["b1"]
    s2 = w["w2"] * x1 + w["w4"] * x2 + w["b2"]
    a1, a2 = _sig(s1), _sig(s2)
    s3 = w["w5"] * a1 + w["w6"] * a2 + w["b3"]
    return s1, a1, s2, a2, s3, _sig(s3)


def _error_221(w):
    return 0.5 * (1.0 - _forward_221(w)[-1]) ** 2


W0 = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.50, w6=0.55, b1=0.35, b2=0.35, b3=0.60)
NAMES = ["w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"]


def _scalar_chain_rule_221():
    x1, x2, y = 0.05, 0.1, 1.0
    s1, a1, s2, a2, s3, a3 = _forward_221(W0)
    d3 = (a3 - y) * a3 * (1 - a3)                   # dE/ds3
    d1 = d3 * W0["w5"] * a1 * (1 - a1)              # dE/ds1
    d2 = d3 * W0["w6"] * a2 * (1 - a2)              # dE/ds2
    return {"w1": d1 * x1, "w3": d1 * x2, "b1": d1, "w2": d2 * x1, "w4": d2 * x2, "b2": d2,
            "w5": d3 * a1, "w6": d3 * a2, "b3": d3}, (d1, d2, d3)


@pytest.fixture(scope="module")
def ex():
    return we.lecture_221()


def test_params_follow_the_deck_wiring():
    p = we.lecture_221_params()
    # s2 = w2 x1 + w4 x2 + b2: the second column of W1 holds (w2, w4)
    np.testing.assert_array_equal(p["W1"], [[0.15, 0.20], [0.25, 0.30]])
    np.testing.assert_array_equal(p["W2"], [[0.50], [0.55]])
    np.testing.assert_array_equal(p["b1"], [0.35, 0.35])
    np.testing.assert_array_equal(p["b2"], [0.60])
    p["W1"][0, 0] = 99.0
    assert we.lecture_221_params()["W1"][0, 0] == 0.15  # fresh arrays every call


def test_every_documented_key_is_present(ex):
    keys = ("x1 x2 y eta w1 w2 w3 w4 w5 w6 b1 b2 b3 s1 a1 s2 a2 s3 a3 yhat E dE_dyhat dyhat_ds3 delta3 "
            "dE_dw5 dE_dw6 dE_db3 delta1 delta2 dE_dw1 dE_dw2 dE_dw3 dE_dw4 dE_db1 dE_db2 "
            "new_w1 new_w2 new_w3 new_w4 new_w5 new_w6 new_b1 new_b2 new_b3 new_s3 new_yhat new_E").split()
    assert set(keys) <= set(ex)
    assert all(type(v) is float for v in ex.values())


def test_forward_values_against_scalar_oracle(ex):
    s1, a1, s2, a2, s3, a3 = _forward_221(W0)
    for key, value in dict(s1=s1, a1=a1, s2=s2, a2=a2, s3=s3, a3=a3, yhat=a3).items():
        assert ex[key] == pytest.approx(value, abs=1e-14), key
    assert ex["E"] == pytest.approx(0.5 * (1 - a3) ** 2, abs=1e-14)


def test_gradients_against_explicit_chain_rule(ex):
    grads, (d1, d2, d3) = _scalar_chain_rule_221()
    for name in NAMES:
        assert abs(ex[f"dE_d{name}"] - grads[name]) < 1e-12, name
    assert abs(ex["delta1"] - d1) < 1e-12 and abs(ex["delta2"] - d2) < 1e-12 and abs(ex["delta3"] - d3) < 1e-12
    assert ex["delta3"] == pytest.approx(ex["dE_dyhat"] * ex["dyhat_ds3"], abs=1e-15)


def test_gradients_against_finite_differences(ex):
    h = 1e-6
    for name in NAMES:
        plus, minus = dict(W0), dict(W0)
        plus[name] += h
        minus[name] -= h
        numeric = (_error_221(plus) - _error_221(minus)) / (2 * h)
        assert abs(ex[f"dE_d{name}"] - numeric) < 1e-10, name


def test_update_and_new_forward_pass(ex):
    new = {n: W0[n] - 0.1 * ex[f"dE_d{n}"] for n in NAMES}
    for name in NAMES:
        assert ex[f"new_{name}"] == pytest.approx(new[name], abs=1e-15), name
    assert ex["new_yhat"] == pytest.approx(_forward_221(new)[-1], abs=1e-14)
    assert ex["new_E"] == pytest.approx(_error_221(new), abs=1e-14)
    assert ex["new_E"] < ex["E"]


@pytest.mark.parametrize("p", [p for p in we.LECTURE_221_PRINTED if not p.slip],
                         ids=lambda p: f"{p.key}={p.printed}@{p.where}")
def test_every_printed_number_is_reproduced_to_its_rounding(ex, p):
    assert we.agrees_to_printed(ex[p.key], p.printed, p.decimals), (ex[p.key], p)


def test_printed_list_is_complete_for_the_deck_headline_numbers():
    keys = {p.key for p in we.LECTURE_221_PRINTED}
    expected = {"s1", "a1", "s2", "a2", "s3", "a3", "E", "dE_dw1", "dE_dw2", "dE_dw3", "dE_dw4", "dE_dw5",
                "dE_dw6", "dE_db1", "dE_db2", "dE_db3", "new_w1", "new_w2", "new_w3", "new_w4", "new_w5",
                "new_w6", "new_b1", "new_b2", "new_b3", "new_yhat"}
    assert expected <= keys


def test_agrees_to_printed():
    assert we.agrees_to_printed(-0.00048, -0.0005, 4)
    assert we.agrees_to_printed(0.596283, 0.5963, 4)
    assert not we.agrees_to_printed(0.596283, 0.5964, 4)
    assert not we.agrees_to_printed(0.7742, 0.774, 4)


# --------------------------------------------------------------------------- the deck's slips, as tests
def test_slip_a2_printed_as_0_5964(ex):
    # deck: "a_2 = sigma(s_2) = 0.5964"; sigma(0.39) = 0.596283 -> 0.5963, which the deck itself uses in dE/dw6
    slips = [p for p in we.LECTURE_221_PRINTED if p.slip]
    assert {(p.key, p.printed) for p in slips} == {("a2", 0.5964)}
    assert round(ex["a2"], 4) == 0.5963
    assert not we.agrees_to_printed(ex["a2"], 0.5964, 4)
    # the s3 line substitutes 0.5964 but prints the correct 1.2252; its substituted numbers give 1.2253
    assert round(0.5 * 0.5945 + 0.55 * 0.5964 + 0.6, 4) == 1.2253
    assert round(ex["s3"], 4) == 1.2252


def test_slip_dE_dw6_ends_in_a3_not_a2(ex):
    # deck: "... sigma(s_3)(1 - sigma(s_3)) a_3" -- with a_3 it would be delta3 * a3, not the printed -0.0238
    wrong = ex["delta3"] * ex["a3"]
    assert not we.agrees_to_printed(wrong, -0.0238, 4)
    assert we.agrees_to_printed(ex["delta3"] * ex["a2"], -0.0238, 4)
    assert ex["dE_dw6"] == pytest.approx(ex["delta3"] * ex["a2"], abs=1e-15)
    # the deck's numeric line, evaluated with its own rounded factors
    assert round(-(1 - 0.773) * 0.773 * (1 - 0.773) * 0.5963, 4) == -0.0238
    assert any("a_3" in s.deck_text and "dw6" in s.problem for s in we.LECTURE_221_SLIPS)


def test_slip_hidden_deltas_numbered_against_their_units(ex):
    # deck: "delta_2 = delta_3 w_5 sigma(s_1)(1 - sigma(s_1))" (= dE/ds1 = dE/db1 = -0.0048) and
    #       "delta_1 = delta_3 ds3/da2 da2/ds2"                  (= dE/ds2 = dE/db2 = -0.0053)
    assert we.agrees_to_printed(ex["delta1"], -0.0048, 4) and we.agrees_to_printed(ex["delta2"], -0.0053, 4)
    assert ex["delta1"] == ex["dE_db1"] and ex["delta2"] == ex["dE_db2"]
    assert not we.agrees_to_printed(ex["delta2"], -0.0048, 4)


def test_slip_biases_printed_at_two_precisions(ex):
    # deck: "b_1 = 0.3505, b_2 = 0.3505" but the table "0.35048 0.35053": same values, different rounding
    assert round(ex["new_b1"], 4) == round(ex["new_b2"], 4) == 0.3505
    assert round(ex["new_b1"], 5) == 0.35048 and round(ex["new_b2"], 5) == 0.35053
    assert ex["new_b1"] != ex["new_b2"]


def test_slip_records_are_complete():
    topics = {s.topic for s in we.DECK_004_SLIPS}
    assert {"worked example", "XOR weights"} <= topics
    assert len(we.LECTURE_221_SLIPS) == 4
    for slip in we.DECK_004_SLIPS:
        assert slip.deck_text and slip.problem and slip.correction


# --------------------------------------------------------------------------- classic 2-2-2 (Mazur 2015)
def _classic_oracle(sequential=False):
    """The classic example by hand: Mazur's wiring, shared fixed biases, eta = 0.5."""
    i1, i2, t1, t2, b1, b2, eta = 0.05, 0.10, 0.01, 0.99, 0.35, 0.60, 0.5
    w = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55)
    h1 = _sig(w["w1"] * i1 + w["w2"] * i2 + b1)
    h2 = _sig(w["w3"] * i1 + w["w4"] * i2 + b1)
    o1 = _sig(w["w5"] * h1 + w["w6"] * h2 + b2)
    o2 = _sig(w["w7"] * h1 + w["w8"] * h2 + b2)
    do1 = (o1 - t1) * o1 * (1 - o1)
    do2 = (o2 - t2) * o2 * (1 - o2)
    g = dict(w5=do1 * h1, w6=do1 * h2, w7=do2 * h1, w8=do2 * h2)
    v = {k: w[k] - eta * g[k] for k in g} if sequential else w
    dh1 = (do1 * v["w5"] + do2 * v["w7"]) * h1 * (1 - h1)
    dh2 = (do1 * v["w6"] + do2 * v["w8"]) * h2 * (1 - h2)
    g.update(w1=dh1 * i1, w2=dh1 * i2, w3=dh2 * i1, w4=dh2 * i2)
    new = {k: w[k] - eta * g[k] for k in w}
    E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    return dict(out_h1=h1, out_h2=h2, out_o1=o1, out_o2=o2, E_total=E), g, new


def test_classic_against_hand_oracle():
    c = we.classic_222()
    fwd, g, new = _classic_oracle()
    for k, v in fwd.items():
        assert abs(c[k] - v) < 1e-14, k
    for k, v in g.items():
        assert abs(c[f"dE_d{k}"] - v) < 1e-14, k
    for k, v in new.items():
        assert abs(c[f"new_{k}"] - v) < 1e-14, k
    _, _, new_seq = _classic_oracle(sequential=True)
    c_seq = we.classic_222("output_first")
    for k, v in new_seq.items():
        assert abs(c_seq[f"new_{k}"] - v) < 1e-14, k


def test_classic_biases_are_shared_and_fixed():
    p = we.classic_222_params()
    np.testing.assert_array_equal(p["W1"], [[0.15, 0.25], [0.20, 0.30]])  # w1 i1->h1, w3 i1->h2
    np.testing.assert_array_equal(p["W2"], [[0.40, 0.50], [0.45, 0.55]])  # w5 h1->o1, w7 h1->o2
    _, params = we.classic_222_training(3, return_params=True)
    np.testing.assert_array_equal(params["b1"], [0.35, 0.35])
    np.testing.assert_array_equal(params["b2"], [0.60, 0.60])


CLASSIC_SINGLE_STEP = [k for k in we.CLASSIC_222_PUBLISHED
                       if k not in ("after_1_update", "error_10000", "out_o1_10000", "out_o2_10000", "dEo2_dout_h1")]


@pytest.mark.parametrize("key", CLASSIC_SINGLE_STEP)
def test_classic_published_single_step_numbers(key):
    value, decimals, _ = we.CLASSIC_222_PUBLISHED[key]
    assert we.agrees_to_printed(we.classic_222()[key], value, decimals), (key, we.classic_222()[key], value)


def test_classic_headline_numbers():
    c = we.classic_222()
    assert round(c["E_total"], 9) == 0.298371109
    assert round(c["new_w5"], 8) == 0.35891648


def test_classic_published_slip_last_digit_of_dEo2_dout_h1():
    value, decimals, note = we.CLASSIC_222_PUBLISHED["dEo2_dout_h1"]
    ours = we.classic_222()["dEo2_dout_h1"]
    assert not we.agrees_to_printed(ours, value, 9) and we.agrees_to_printed(ours, value, 8)
    assert "last digit" in note


@pytest.fixture(scope="module")
def classic_runs():
    sim = we.classic_222_training(10000)
    seq, seq_params = we.classic_222_training(10000, "output_first", return_params=True)
    return sim, seq, seq_params


def test_classic_training_published_figures(classic_runs):
    sim, seq, seq_params = classic_runs
    assert sim.shape == (10001,) and sim[0] == we.classic_222()["E_total"]
    assert np.all(np.diff(sim) < 0)
    # "after this first round ... 0.291027924": only the output-first order gives it
    assert we.agrees_to_printed(seq[1], 0.291027924, 9)
    assert not we.agrees_to_printed(sim[1], 0.291027924, 9) and round(sim[1], 9) == 0.291027774
    assert sim[1] == pytest.approx(we.classic_222()["new_E_total"], abs=1e-15)
    # "after repeating this process 10,000 times ... 0.0000351085": the 10,000th forward pass
    assert we.agrees_to_printed(sim[9999], 0.0000351085, 10)
    assert round(sim[10000], 10) == 0.0000351019
    # "... the two outputs neurons generate 0.015912196 and 0.984065734"
    from solutions import mlp
    out = mlp.predict(seq_params, np.array([0.05, 0.1]), "sigmoid")[0]
    assert we.agrees_to_printed(out[0], 0.015912196, 9)
    assert we.agrees_to_printed(out[1], 0.984065734, 9)


def test_bad_arguments():
    with pytest.raises(ValueError, match="update_order"):
        we.classic_222("backwards")
    with pytest.raises(ValueError, match="steps"):
        we.classic_222_training(-1)
