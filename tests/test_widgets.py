"""The course widgets, driven programmatically: change a control, check the state and what is drawn.

The reference (``solutions``) is passed in exactly as the book passes it; a few "student"
implementations written here play the role of a student's notebook, one of them with bugs that
the finite-difference check must flag on exactly the right weights. What is drawn is checked on
the scene (the numbers and texts the browser draws, ``tests/test_widget_browser.py`` draws them).
"""
import html

import numpy as np
import pytest

import matplotlib.pyplot as plt  # noqa: E402

from course import plots, protocol  # noqa: E402
from course.widgets import (ActivationExplorer, GradientFlowExplorer, PerceptronStepper,  # noqa: E402
                            VanishingGradients)
from course.widgets.base import NEGATIVE, POSITIVE, fmt  # noqa: E402
from course.widgets.gradient_flow import MAX_WIDTH, MIN_WIDTH  # noqa: E402
from solutions import activations as A  # noqa: E402
from solutions import gradcheck, mlp, perceptron, training, worked_examples  # noqa: E402

STEP = training.gradient_step  # the reference update (the kit has none: it is assignment 04's question 3)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def explorer():
    return GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS,
                                edge_names=worked_examples.LECTURE_221_LAYOUT, update=STEP)


def _edge(ex, key, idx):
    return next(e for e in ex.edge_data() if e["key"] == key and e["index"] == tuple(idx))


# --------------------------------------------------------------------------- worked example
def test_default_network_is_the_lecture_example_and_shows_its_numbers(explorer):
    ex = explorer
    ex.reset()
    lec = worked_examples.lecture_221()
    # the default parameters are the deck's (via the lecture layout: w1..w6, b1..b3)
    for name, (key, idx) in worked_examples.LECTURE_221_LAYOUT.items():
        assert ex.params[key][idx] == lec[name]
    assert ex.lr == lec["eta"]
    assert ex.loss == pytest.approx(lec["E"], rel=1e-12)
    assert ex.cache["a2"][0, 0] == pytest.approx(lec["yhat"], rel=1e-12)
    # every gradient on the picture is the reference's, and is labelled with the lecture's name
    ex.controls["view"].value = "backward"
    for name, (key, idx) in worked_examples.LECTURE_221_LAYOUT.items():
        e = _edge(ex, key, idx)
        assert e["value"] == pytest.approx(lec[f"dE_d{name}"], rel=1e-12)
        assert e["label"].startswith(f"{name} = ")
    # node texts: delta at the output and hidden units (the deck's delta3, and ours delta1/delta2)
    assert ex.node_text(2, 0) == f"δ={fmt(lec['delta3'])}"
    assert ex.node_text(1, 0) == f"δ={fmt(lec['delta1'])}"
    assert ex.node_text(1, 1) == f"δ={fmt(lec['delta2'])}"
    assert ex.gradcheck.ok and "OK" in ex.status.value
    # forward view: the weights and the unit outputs
    ex.controls["view"].value = "forward"
    assert _edge(ex, "W2", (1, 0))["value"] == lec["w6"]
    assert f"a={fmt(lec['a1'])}" in ex.node_text(1, 0)
    ex.controls["view"].value = "backward"


def test_step_button_applies_the_update_and_widths_follow_the_new_gradients(explorer):
    ex = explorer
    ex.reset()
    lec = worked_examples.lecture_221()
    ex.controls["step"].click()
    assert ex.step_count == 1
    for name, (key, idx) in worked_examples.LECTURE_221_LAYOUT.items():
        assert ex.params[key][idx] == pytest.approx(lec[f"new_{name}"], rel=1e-12)
    assert ex.cache["a2"][0, 0] == pytest.approx(lec["new_yhat"], rel=1e-12)
    ref = mlp.backward(ex.params, mlp.forward(ex.params, ex.X, "sigmoid"), ex.Y, "sigmoid")
    gmax = max(np.abs(g).max() for g in ref.values())
    for e in ex.edge_data():
        g = ref[e["key"]][e["index"]]
        assert e["value"] == pytest.approx(g, rel=1e-10)
        # width proportional to |dE/dw|, floored at min_width so tiny first-layer gradients still show their sign
        expected = MAX_WIDTH * abs(g) / gmax
        assert e["linewidth"] == pytest.approx(max(expected, MIN_WIDTH), rel=1e-9)
        assert e["color"] == (POSITIVE if g >= 0 else NEGATIVE)
    assert sum(e["linewidth"] > MIN_WIDTH for e in ex.edge_data()) >= 3  # the output layer's
    ex.controls["n_steps"].value = 5
    ex.controls["train"].click()
    assert ex.step_count == 6 and len(ex.losses) == 7
    assert all(b < a for a, b in zip(ex.losses, ex.losses[1:]))  # a small step on one sample lowers E
    ex.controls["reset"].click()
    assert ex.step_count == 0 and ex.params["W2"][1, 0] == lec["w6"]


def test_input_target_lr_and_activation_controls_change_state_and_picture(explorer):
    ex = explorer
    ex.reset()
    before = [e["value"] for e in ex.edge_data()]
    ex.controls["x0"].value = 0.8
    assert ex.X[0, 0] == 0.8
    ref = mlp.backward(ex.params, mlp.forward(ex.params, ex.X, "sigmoid"), ex.Y, "sigmoid")
    assert _edge(ex, "W1", (0, 0))["value"] == pytest.approx(ref["W1"][0, 0], rel=1e-12)
    assert [e["value"] for e in ex.edge_data()] != before
    ex.controls["y0"].value = 0.0
    assert ex.Y[0, 0] == 0.0 and ex.grads["b2"][0] > 0  # output above the target: delta flips sign
    assert _edge(ex, "b2", (0,))["color"] == POSITIVE
    ex.controls["lr"].value = 1.0
    w_before = ex.params["W2"].copy()
    g = ex.grads["W2"].copy()
    ex.step()
    np.testing.assert_allclose(ex.params["W2"], w_before - 1.0 * g, rtol=1e-12)
    ex.reset()
    ex.controls["activation"].value = "tanh"
    ref = mlp.backward(ex.params, mlp.forward(ex.params, ex.X, "tanh"), ex.Y, "tanh")
    assert ex.cache["a1"][0, 0] == pytest.approx(np.tanh(ex.cache["z1"][0, 0]))
    for e in ex.edge_data():
        assert e["value"] == pytest.approx(ref[e["key"]][e["index"]], rel=1e-10)
    assert ex.gradcheck.ok
    ex.controls["activation"].value = "sigmoid"


def test_one_scene_per_change_and_no_figure(explorer):
    """Each control change sends one new scene to the same picture widget; no matplotlib figure is made."""
    ex = explorer
    ex.reset()
    figs, picture = plt.get_fignums(), ex.picture
    count, version = ex.redraw_count, picture.version
    for i in range(50):
        ex.controls["x1"].value = round(0.11 + 0.01 * (i % 7), 2)  # every value differs from the one before
        assert picture.scene["edges"] == protocol_plain(ex.last_scene)["edges"]
    assert plt.get_fignums() == figs
    assert ex.picture is picture and ex.redraw_count == count + 50 and picture.version == version + 50


def protocol_plain(scene):
    from course.widgets.base import plain

    return plain(scene)


# --------------------------------------------------------------------------- a student's code
def student_forward(params, X, activations):
    """A student's forward pass taking (f, df) pairs (activations_as="functions")."""
    cache = {"a0": X}
    a = X
    for l, (f, _) in enumerate(activations, start=1):
        z = a @ params[f"W{l}"] + params[f"b{l}"]
        a = f(z)
        cache[f"z{l}"], cache[f"a{l}"] = z, a
    return cache


def make_student_backward(bug=None):
    def backward(params, cache, Y, activations):
        L = len(activations)
        n = Y.shape[0]
        delta = (cache[f"a{L}"] - Y) / n * activations[-1][1](cache[f"z{L}"])
        grads = {}
        for l in range(L, 0, -1):
            grads[f"W{l}"] = cache[f"a{l - 1}"].T @ delta
            grads[f"b{l}"] = delta.sum(axis=0)
            if l > 1:
                back = delta @ params[f"W{l}"].T
                # bug "no_hidden_derivative": forgets f'(z) of the hidden layer
                delta = back if bug == "no_hidden_derivative" else back * activations[l - 2][1](cache[f"z{l - 1}"])
        if bug == "one_entry":
            grads["W2"] = grads["W2"].copy()
            grads["W2"][1, 0] *= 2.0
        if bug == "transposed":
            grads["W2"] = grads["W2"].T
        return grads
    return backward


STUDENT_TABLE = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
                 "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2)}


def test_a_correct_student_implementation_passes_the_check():
    ex = GradientFlowExplorer(student_forward, make_student_backward(), STUDENT_TABLE, activations_as="functions")
    assert ex.gradcheck.ok and ex.gradcheck.max_rel_error < 1e-7
    lec = worked_examples.lecture_221()
    assert ex.grads["W2"][0, 0] == pytest.approx(lec["dE_dw5"], rel=1e-10)
    assert not any(e["flagged"] for e in ex.edge_data())


def test_missing_hidden_derivative_is_flagged_on_exactly_the_first_layer():
    ex = GradientFlowExplorer(student_forward, make_student_backward("no_hidden_derivative"), STUDENT_TABLE,
                              activations_as="functions")
    flagged = {(k, i) for k, i, _ in ex.gradcheck.flagged}
    assert flagged == {("W1", (0, 0)), ("W1", (0, 1)), ("W1", (1, 0)), ("W1", (1, 1)), ("b1", (0,)), ("b1", (1,))}
    drawn = {(e["key"], e["index"]) for e in ex.edge_data() if e["flagged"]}
    assert drawn == flagged
    ref = gradcheck.relative_error(ex.grads["W1"][0, 0],
                                   mlp.backward(ex.params, mlp.forward(ex.params, ex.X), ex.Y)["W1"][0, 0])
    assert _edge(ex, "W1", (0, 0))["label"] == f"✗ {float(ref):.0e}"
    assert "✗" in ex.status.value and "6 gradient(s) disagree" in ex.status.value


def test_one_wrong_entry_is_flagged_alone_on_a_bigger_network():
    rng = np.random.default_rng(3)
    params = mlp.init_params([3, 4, 2], "tanh", seed=1)
    X, Y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    ex = GradientFlowExplorer(student_forward, make_student_backward("one_entry"), STUDENT_TABLE, params=params,
                              x=X, y=Y, activation="tanh", activations_as="functions")
    assert [(k, i) for k, i, _ in ex.gradcheck.flagged] == [("W2", (1, 0))]
    assert [(e["key"], e["index"]) for e in ex.edge_data() if e["flagged"]] == [("W2", (1, 0))]
    assert "x0" not in ex.controls  # a batch: no per-sample input sliders


def test_wrong_gradient_shape_gets_a_clear_message_in_the_widget():
    params = mlp.init_params([2, 3, 2], "sigmoid", seed=0)
    ex = GradientFlowExplorer(student_forward, make_student_backward("transposed"), STUDENT_TABLE, params=params,
                              x=[[0.1, 0.2]], y=[[0.0, 1.0]], activations_as="functions")
    assert isinstance(ex.last_error, protocol.StudentCodeError)
    assert "grads['W2'] has shape (2, 3) but params['W2'] has shape (3, 2)" in ex.error
    assert html.escape(ex.error) in ex.message  # shown under the widget when displayed
    with pytest.raises(ValueError, match="nothing to show"):
        ex.to_html_player()


def test_bad_input_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown activation 'nope'; known: sigmoid, tanh"):
        GradientFlowExplorer(student_forward, make_student_backward(), STUDENT_TABLE, activation="nope",
                             activations_as="functions")
    ex = GradientFlowExplorer(lambda p, X, a: {"a0": X, "z1": X, "a1": X}, mlp.backward, A.ACTIVATIONS)
    assert "cache has no key 'z2'" in ex.error
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, params=mlp.init_params([2, 2, 1]),
                             x=[1, 2, 3], y=[1])
    with pytest.raises(TypeError, match="pair"):
        protocol.activation_table({"sigmoid": 3})


def test_custom_loss_is_used_by_the_check():
    """With a cross-entropy-style loss the reference backward (half squared error) must be flagged."""
    def bce(params, X, Y, activations):
        p = mlp.forward(params, X, activations)["a2"]
        return float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))

    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, loss=bce)
    assert not ex.gradcheck.ok
    ex2 = GradientFlowExplorer(mlp.forward, lambda p, c, Y, a: mlp.backward(p, c, Y, a, loss="binary_cross_entropy"),
                               A.ACTIVATIONS, loss=bce)
    assert ex2.gradcheck.ok


def test_protocol_numerical_gradients_agree_with_the_reference_gradcheck():
    params = mlp.init_params([3, 4, 2], "tanh", seed=2)
    X, Y = np.random.default_rng(0).normal(size=(4, 3)), np.random.default_rng(1).uniform(size=(4, 2))
    E = protocol.make_loss(mlp.forward)
    ours = protocol.numerical_gradients(lambda p: E(p, X, Y, "tanh"), params)
    ref = mlp.backward(params, mlp.forward(params, X, "tanh"), Y, "tanh")
    for k in params:
        np.testing.assert_allclose(ours[k], ref[k], rtol=1e-6, atol=1e-10)


# --------------------------------------------------------------------------- vanishing gradients
@pytest.fixture(scope="module")
def vanishing():
    return VanishingGradients(mlp.forward, mlp.backward, A.ACTIVATIONS, depth=6, update=STEP)


def test_vanishing_bars_are_the_reference_gradient_norms(vanishing):
    vg = vanishing
    vg.configure(activation="sigmoid", depth=6, gain=1.0)
    acts = ["sigmoid"] * 7
    ref = mlp.backward(vg.params, mlp.forward(vg.params, vg.X, acts), vg.Y, acts)
    norms = [np.linalg.norm(ref[f"W{l}"]) for l in range(1, 8)]
    np.testing.assert_allclose(vg.init_norms, norms, rtol=1e-12)
    np.testing.assert_allclose(vg.last_scene["init"], norms, rtol=1e-12)
    assert norms[0] < norms[-1] / 100  # sigmoid: the gradient vanishes towards the input
    vg.controls["n_steps"].value = 10
    vg.controls["train"].click()
    assert vg.step_count == 10 and len(vg.losses) == 11
    np.testing.assert_allclose(vg.last_scene["now"], vg.norms, rtol=1e-12)
    assert len(vg.last_scene["losses"]) == 11 and vg.last_scene["losses"][-1] == vg.loss


def test_vanishing_controls_reinitialise(vanishing):
    vg = vanishing
    vg.controls["depth"].value = 3
    assert len(vg.last_scene["now"]) == 4 and vg.step_count == 0 and len(vg.params) == 8
    vg.controls["activation"].value = "tanh"
    ratio_tanh = vg.init_norms[0] / vg.init_norms[-1]
    vg.controls["activation"].value = "sigmoid"
    ratio_sigmoid = vg.init_norms[0] / vg.init_norms[-1]
    assert ratio_tanh > 10 * ratio_sigmoid  # tanh keeps far more gradient than sigmoid
    w_before = vg.params["W1"].copy()
    vg.controls["gain"].value = 2.0
    np.testing.assert_allclose(vg.params["W1"], 2.0 * w_before, rtol=1e-12)


def test_vanishing_accepts_the_reference_init():
    vg = VanishingGradients(mlp.forward, mlp.backward, A.ACTIVATIONS, init=mlp.init_params, depth=2,
                            activation="relu")
    np.testing.assert_array_equal(vg.params["W1"], mlp.init_params([2, 8, 8, 1], ["relu", "relu", "sigmoid"], 0)["W1"])


# --------------------------------------------------------------------------- activation explorer
def test_activation_explorer_draws_the_callers_functions_and_parameter():
    ae = ActivationExplorer(A.ACTIVATIONS, "leaky_relu", threshold=0.2)
    z = ae.z
    np.testing.assert_allclose(ae.last_scene['f'], A.leaky_relu(z, slope=0.1))
    assert ae.controls["param"].description == "slope"
    ae.controls["param"].value = 0.3
    np.testing.assert_allclose(ae.last_scene['f'], A.leaky_relu(z, slope=0.3))
    np.testing.assert_allclose(ae.last_scene['df'], A.leaky_relu_grad(z, slope=0.3))
    assert ae.small_fraction == 0.0  # |f'| >= 0.3 everywhere
    ae.controls["param"].value = 0.05
    assert ae.small_fraction == pytest.approx(np.mean(z <= 0))
    ae.controls["activation"].value = "sigmoid"
    assert ae.param is None and ae.controls["param"].layout.visibility == "hidden"
    np.testing.assert_allclose(ae.last_scene['df'], A.sigmoid_grad(z))
    assert ae.small_fraction == pytest.approx(np.mean(A.sigmoid_grad(z) < 0.2))
    ae.controls["threshold"].value = 0.01
    assert ae.threshold == 0.01
    ae.controls["activation"].value = "swish"
    assert ae.controls["param"].description == "beta"
    ae.controls["param"].value = 2.0
    np.testing.assert_allclose(ae.last_scene['f'], A.swish(z, beta=2.0))
    ae.controls["activation"].value = "elu"
    assert ae.param == ("alpha", 1.0)


# --------------------------------------------------------------------------- perceptron stepper
def test_perceptron_stepper_applies_the_callers_rule_and_converges_on_and():
    ps = PerceptronStepper(perceptron.rosenblatt_update, perceptron.predict, "and")
    w = np.zeros(3)
    X, t = ps.X, ps.y
    pos = 0
    for _ in range(40):  # the stepper's schedule: the next misclassified sample in cyclic order
        wrong = perceptron.predict(w, X) != t
        if not wrong.any():
            break
        i = next(k for k in [(pos + j) % 4 for j in range(4)] if wrong[k])
        w, pos = perceptron.rosenblatt_update(w, X[i], t[i]), (i + 1) % 4
        ps.controls["step"].click()
        np.testing.assert_array_equal(ps.w, w)
    assert ps.converged and ps.n_wrong == 0 and not any(ps.last_scene["wrong"])
    np.testing.assert_array_equal(ps.last_scene["w"], ps.w)  # the browser draws w0 + w1 x1 + w2 x2 = 0 from w
    updates = ps.updates
    ps.step(5)
    assert ps.updates == updates  # converged: nothing left to update
    assert "converged" in ps.last_scene["title"]


def test_perceptron_stepper_never_settles_on_xor():
    ps = PerceptronStepper(perceptron.rosenblatt_update, perceptron.predict, "and")
    ps.controls["function"].value = "xor"
    assert ps.function == "xor" and ps.updates == 0
    for _ in range(10):
        ps.controls["step10"].click()
        assert not ps.converged and ps.n_wrong >= 1 and sum(ps.last_scene["wrong"]) == ps.n_wrong
    assert ps.updates == 100 and ps.cycling()


def test_non_finite_gradients_are_flagged_not_hidden():
    def nan_backward(params, cache, Y, activations):
        grads = make_student_backward()(params, cache, Y, activations)
        grads["b2"] = np.array([np.nan])
        return grads

    ex = GradientFlowExplorer(student_forward, nan_backward, STUDENT_TABLE, activations_as="functions")
    assert [(k, i) for k, i, _ in ex.gradcheck.flagged] == [("b2", (0,))]
    e = _edge(ex, "b2", (0,))
    assert e["flagged"] and e["linewidth"] == 0.0 and "nan" in e["label"]
    assert _edge(ex, "W2", (0, 0))["linewidth"] > 0  # the other widths still scale with the finite values


def test_deeper_network_draws_every_edge_without_labels():
    params = mlp.init_params([3, 4, 4, 2], "tanh", seed=0)
    X, Y = np.ones((1, 3)), np.zeros((1, 2))
    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, params=params, x=X, y=Y, activation="tanh")
    data = ex.edge_data()
    assert len(data) == (3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 2
    assert not ex.last_scene["labels"] and all(e["label"] == "" for e in data)
    assert ex.gradcheck.ok
    ref = mlp.backward(params, mlp.forward(params, X, "tanh"), Y, "tanh")
    for e in data:
        assert e["value"] == pytest.approx(ref[e["key"]][e["index"]], rel=1e-10, abs=1e-15)


def test_activation_explorer_finds_parameters_of_a_students_own_functions():
    def leaky(z, slope=0.01):
        return np.where(z > 0, z, slope * z)

    def leaky_grad(z, slope=0.01):
        return np.where(z > 0, 1.0, slope)

    ae = ActivationExplorer({"my_leaky": (leaky, leaky_grad)}, threshold=0.05)
    assert ae.param == ("slope", 0.01) and ae.controls["param"].description == "slope"
    assert ae.small_fraction == pytest.approx(np.mean(ae.z <= 0))
    ae.controls["param"].value = 0.2
    np.testing.assert_allclose(ae.last_scene['df'], leaky_grad(ae.z, 0.2))
    assert ae.small_fraction == 0.0


def test_an_error_in_the_students_code_is_shown_under_the_widget():
    calls = {"n": 0}

    def fragile_backward(params, cache, Y, activations):
        calls["n"] += 1
        if calls["n"] > 1:
            raise IndexError("list index out of range in my backward")
        return mlp.backward(params, cache, Y, activations)

    ex = GradientFlowExplorer(mlp.forward, fragile_backward, A.ACTIVATIONS, update=STEP)
    assert ex.message == ""
    ex.controls["step"].click()  # must not raise into the front end: shown instead
    assert isinstance(ex.last_error, IndexError)
    assert "IndexError: list index out of range in my backward" in ex.message
    assert ex.step_count == 0 and ex.params["W2"][1, 0] == 0.55  # the state before the click is kept
    calls["n"] = -100
    ex.controls["reset"].click()
    assert ex.message == ""  # the next successful redraw clears it


def test_xor_cycle_is_declared_only_when_the_whole_state_repeats():
    ps = PerceptronStepper(perceptron.rosenblatt_update, perceptron.predict, "xor")
    X, t = ps.X, ps.y
    w, pos, seen_states, seen_w = np.zeros(3), 0, {((0.0, 0.0, 0.0), 0)}, {(0.0, 0.0, 0.0)}
    w_repeated_without_cycle = False
    for _ in range(20):
        wrong = perceptron.predict(w, X) != t
        i = next(k for k in [(pos + j) % 4 for j in range(4)] if wrong[k])
        w, pos = perceptron.rosenblatt_update(w, X[i], t[i]), (i + 1) % 4
        state = (tuple(w), pos)
        expected = state in seen_states
        w_repeated_without_cycle |= tuple(w) in seen_w and not expected
        seen_states.add(state)
        seen_w.add(tuple(w))
        ps.step()
        assert ps.cycling() == expected
    assert w_repeated_without_cycle and ps.cycling()  # the weights alone repeat before the state does


# --------------------------------------------------------------------------- label layout
def _drawn_label_rects(fig, texts):
    """The rotated rectangle of each drawn text, measured from the renderer: (centre, unit axis, half sizes).

    Independent of the layout code: the unrotated extent of the actual string at its font, centred
    on the text's anchor (labels are centred, ``rotation_mode="anchor"``), turned by its rotation.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    rects = []
    for t in texts:
        w, h, _ = renderer.get_text_width_height_descent(t.get_text(), t.get_fontproperties(), ismath=False)
        angle = np.radians(t.get_rotation())
        centre = t.get_transform().transform(t.get_position())
        rects.append((t.get_text(), (centre, np.array([np.cos(angle), np.sin(angle)]), np.array([w / 2, h / 2]))))
    return rects


def _no_overlaps(diagram):
    fig = diagram.ax.figure
    labels = [a["label"] for a in diagram._edge_art.values() if a["label"].get_visible() and a["label"].get_text()]
    assert labels, "nothing to check: no label is drawn"
    values = [a["value"] for (l, j), a in diagram._node_art.items() if j >= 0 and a["value"].get_text()]
    rects = _drawn_label_rects(fig, labels)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    obstacles = []  # unit circles (as their bounding squares) and the value texts above the units
    for (l, j), art in diagram._node_art.items():
        c = art["circle"]
        (x0, y0), (x1, y1) = c.get_transform().transform([(c.center[0] - c.radius, c.center[1] - c.radius),
                                                             (c.center[0] + c.radius, c.center[1] + c.radius)])
        obstacles.append((diagram.names[l, j], (np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([1.0, 0.0]),
                                                np.array([(x1 - x0) / 2, (y1 - y0) / 2]))))
    for t in values:
        bb = t.get_window_extent(renderer)
        obstacles.append((t.get_text(), (np.array([(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2]), np.array([1.0, 0.0]),
                                         np.array([bb.width / 2, bb.height / 2]))))
    box = diagram.ax.bbox
    for k, (name, rect) in enumerate(rects):
        for other, rect2 in rects[k + 1:] + obstacles:
            assert not plots.rects_overlap(rect, rect2), f"label {name!r} overlaps {other!r}"
        c, u, half = rect
        n = np.array([-u[1], u[0]])
        for sx in (-1, 1):
            for sy in (-1, 1):
                x, y = c + sx * half[0] * u + sy * half[1] * n
                assert box.x0 - 1 <= x <= box.x1 + 1 and box.y0 - 1 <= y <= box.y1 + 1, f"label {name!r} is clipped"
    return len(rects)


def test_rectangle_overlap_oracle():
    unit = np.array([1.0, 0.0])
    diag = np.array([1.0, 1.0]) / np.sqrt(2)
    assert plots.rects_overlap((np.zeros(2), unit, np.ones(2)), (np.array([1.9, 0.0]), unit, np.ones(2)))
    assert not plots.rects_overlap((np.zeros(2), unit, np.ones(2)), (np.array([2.1, 0.0]), unit, np.ones(2)))
    # axis-aligned boxes would overlap here; the rotated ones do not (a diamond beside a square's corner)
    assert not plots.rects_overlap((np.zeros(2), unit, np.ones(2)), (np.array([2.3, 2.3]), diag, np.ones(2)))


@pytest.mark.parametrize("sizes", [[2, 2, 1], [2, 3, 1], [2, 2, 2], [3, 4, 2]])
def test_edge_labels_of_the_static_diagram_do_not_overlap(sizes):
    """course.plots.NetworkDiagram (the book's matplotlib figure): weights and gradients, labels forced on."""
    params = mlp.init_params(sizes, "sigmoid", seed=1)
    X, Y = np.full((1, sizes[0]), 0.5), np.full((1, sizes[-1]), 0.2)
    first = next(iter(A.ACTIVATIONS))  # the explorer's default activation, as this test always used
    grads = mlp.backward(params, mlp.forward(params, X, first), Y, first)
    fig = plots.new_figure(9.0, 6.0)
    diagram = plots.NetworkDiagram(fig.add_axes([0, 0, 1, 1]), sizes, labels=True, max_width=4)
    n_edges = sum((sizes[l - 1] + 1) * sizes[l] for l in range(1, len(sizes)))
    for values in (params, grads):
        diagram.set_edges(values, names=dict(_LECTURE_NAMES) if sizes == [2, 2, 1] else None)
        assert _no_overlaps(diagram) == n_edges


_LECTURE_NAMES = {(k, i): n for n, (k, i) in worked_examples.LECTURE_221_LAYOUT.items()}


# --------------------------------------------------------------------------- any callable, consistent state
def test_activation_tables_take_any_callable():
    """Ufuncs (np.tanh, scipy's expit) carry keyword-only where=/subok=: not parameters; lambdas and partials work."""
    import functools

    from scipy.special import expit

    def leaky(z, slope=0.01):
        return np.where(z > 0, z, slope * z)

    def leaky_grad(z, slope=0.01):
        return np.where(z > 0, 1.0, slope)

    table = {"tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
             "sigmoid": (expit, lambda z: expit(z) * (1.0 - expit(z))),
             "leaky": (functools.partial(leaky, slope=0.2), functools.partial(leaky_grad, slope=0.2)),
             "relu": (lambda z: np.maximum(z, 0.0), lambda z: (np.asarray(z) > 0).astype(float))}
    ae = ActivationExplorer(table, "tanh")
    assert ae.error == "" and ae.param is None
    np.testing.assert_allclose(ae.last_scene["f"], np.tanh(ae.z), rtol=1e-5)
    ae.controls["activation"].value = "sigmoid"
    assert ae.error == "" and ae.param is None
    np.testing.assert_allclose(ae.last_scene["df"], A.sigmoid_grad(ae.z), rtol=1e-5, atol=1e-12)
    ae.controls["activation"].value = "leaky"
    assert ae.param == ("slope", 0.2)
    ae.controls["param"].value = 0.3
    np.testing.assert_allclose(ae.last_scene["f"], leaky(ae.z, 0.3), rtol=1e-5)
    # the explorers accept the same table as (f, df) pairs
    ex = GradientFlowExplorer(student_forward, make_student_backward(), table, activations_as="functions",
                              activation="sigmoid")
    assert ex.gradcheck.ok and ex.error == ""


def test_after_an_error_in_the_students_code_the_dropdown_and_the_picture_agree():
    def backward_failing_on_relu(params, cache, Y, activations):
        if "relu" in activations:
            raise ValueError("my relu derivative is not done")
        return mlp.backward(params, cache, Y, activations)

    ex = GradientFlowExplorer(mlp.forward, backward_failing_on_relu, A.ACTIVATIONS, update=STEP)
    scene = ex.last_scene
    ex.controls["activation"].value = "relu"
    assert "ValueError: my relu derivative is not done" in ex.message
    assert ex.activation == "sigmoid" and ex.controls["activation"].value == "sigmoid"  # back to what is drawn
    assert ex.picture.scene["edges"] == protocol_plain(scene)["edges"]
    ex.controls["activation"].value = "tanh"  # the next good change clears the message
    assert ex.message == "" and ex.activation == "tanh"


def test_a_blank_notebook_widget_names_the_function_to_write_first():
    def backward(params, cache, Y, activations):
        raise NotImplementedError()

    ex = GradientFlowExplorer(mlp.forward, backward, A.ACTIVATIONS)
    assert ex.error.startswith("`backward` is not written yet (it raises NotImplementedError): write `backward`")
    assert "write `backward` (backpropagation) first" in ex.message

    def rosenblatt_update(w, x, t, lr):
        raise NotImplementedError()

    ps = PerceptronStepper(rosenblatt_update, perceptron.predict, "and")
    assert ps.error == ""  # nothing to update yet: the picture shows the start
    ps.controls["step"].click()
    assert "`rosenblatt_update` is not written yet" in ps.message and ps.updates == 0


@pytest.mark.parametrize("result, words", [
    (None, "`backward` returned None: is a `return` statement missing at its end?"),
    ([1, 2], "`backward` must return a dict of gradients {'W1': dE/dW1, 'b1': dE/db1, ...}, but it returned a list"),
    ("missing", "`backward`'s result has no key 'b2'; it needs the keys W1, b1, W2, b2 (it has W1, W2, b1)"),
    ("text", "`backward(...)['b2']` must return a numeric array, but it returned a str"),
])
def test_plain_word_hints_for_a_wrong_result(result, words):
    def backward(params, cache, Y, activations):
        grads = mlp.backward(params, cache, Y, activations)
        if result == "missing":
            del grads["b2"]
            return grads
        if result == "text":
            return {**grads, "b2": "zero"}
        return result

    ex = GradientFlowExplorer(mlp.forward, backward, A.ACTIVATIONS)
    assert words in ex.error


def test_forward_and_update_hints():
    def forward(params, X, activations):
        cache = mlp.forward(params, X, activations)
        del cache["a2"]
        return cache

    ex = GradientFlowExplorer(forward, mlp.backward, A.ACTIVATIONS)
    assert "`forward`'s cache has no key 'a2'" in ex.error

    def gradient_step(params, grads, lr):
        {k: params[k] - lr * grads[k] for k in params}  # no return

    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, update=gradient_step)
    ex.controls["step"].click()
    assert "`gradient_step` returned None: is a `return` statement missing at its end?" in ex.message
    assert ex.step_count == 0
