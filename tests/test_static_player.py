"""Kernel-free players: self-contained HTML (no network), the right frames, bounded size, the live widget's
own drawing code, and controls that work in a real browser (Chromium)."""
import json
import re

import numpy as np
import pytest

from benchmarks.browser import available, chromium_page
from course.data import truth_table
from course.widgets.player import HtmlPlayer
from course.widgets import ActivationExplorer, GradientFlowExplorer, PerceptronStepper
from course.widgets.base import plain
from solutions import activations as A
from solutions import mlp, perceptron, training, worked_examples

pytestmark = pytest.mark.timeout(120)
MAX_BYTES = 1.5 * 1024 * 1024
NO_BROWSER = available()


@pytest.fixture(scope="module")
def gradient_player():
    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, edge_names=worked_examples.LECTURE_221_LAYOUT,
                              update=training.gradient_step)
    player = ex.to_html_player(train_steps=10, train_every=1)
    return ex, player, player.to_html()


def _frames(html):
    frames = json.loads(re.search(r"var frames = (\[.*?\]);\n", html).group(1))
    captions = json.loads(re.search(r"var captions = (\[.*?\]);\n", html).group(1))
    return frames, captions


def assert_self_contained(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), "external resource"
    bare = html.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace name is an identifier, not a fetch
    assert "http://" not in bare and "https://" not in bare
    assert not re.search(r"<script[^>]*\bsrc\b", html, re.I), "external script"
    assert "<link" not in html.lower() and "@import" not in html
    assert html.count("<script") == 1 and html.count("</script>") == 1
    for control in ("prev", "next", "play", "slider"):  # every control is wired to the frame switcher
        assert re.search(rf'id="[^"]+-{control}"', html) and re.search(rf'el\("{control}"\)\.on(click|input) =', html)


def test_gradient_player_is_self_contained_with_one_frame_per_state(gradient_player):
    ex, player, html = gradient_player
    assert_self_contained(html)
    frames, captions = _frames(html)
    # 2-2-1: forward = inputs + 3 units + error (5); backward = 3 deltas + 9 edges (12);
    # training = the state before + 10 steps (11)
    assert len(frames) == len(captions) == len(player) == 5 + 12 + 11
    assert f'max="{len(frames) - 1}"' in html
    assert all(f["kind"] == "network" and len(f["edges"]) == 9 for f in frames)
    assert len({json.dumps(f, sort_keys=True) for f in frames}) == len(frames)  # every step changes the picture
    assert len(html.encode()) < MAX_BYTES


def test_gradient_player_captions_carry_the_reference_numbers(gradient_player):
    ex, player, html = gradient_player
    lec = worked_examples.lecture_221()
    _, captions = _frames(html)
    text = "\n".join(captions)
    assert f"δ = ∂E/∂z = {lec['delta3']:.4g}" in text
    assert f"∂E/∂w6 (h₂ → ŷ, W2[1,0]) = {lec['dE_dw6']:.4g}: the output of h₂ times δ at ŷ." in text
    assert f"∂E/∂b3 (+1 → ŷ, b2[0]) = {lec['dE_db3']:.4g}" in text
    assert f"E = {lec['E']:.6g}" in text
    assert ex.step_count == 0 and ex.params["W2"][1, 0] == lec["w6"]  # the explorer's state is restored
    assert ex._ui is None  # a player alone builds no ipywidgets: no widget state in a book page


def test_player_frames_are_the_live_widgets_pictures(gradient_player):
    """One drawing path: the last training frame is the scene the live widget sends after those steps."""
    ex, player, html = gradient_player
    frames, _ = _frames(html)
    ex.reset()
    ex.step(10)
    assert ex.picture.scene == frames[-1] == plain(player.scenes[-1])
    ex.reset()


def test_other_players_are_small_and_self_contained():
    acts = ActivationExplorer(A.ACTIVATIONS).to_html_player(["sigmoid", ("leaky_relu", 0.3), ("elu", 2.0)])
    assert len(acts) == 3 and "leaky_relu with slope = 0.3" in acts.captions[1]
    np.testing.assert_allclose(acts.scenes[1]["f"], A.leaky_relu(acts.scenes[1]["z"], slope=0.3))
    stepper = PerceptronStepper(perceptron.rosenblatt_update, perceptron.predict, "xor")
    steps = stepper.to_html_player(updates=8)
    assert len(steps) == 9 and all("misclassified" in c for c in steps.captions)  # XOR is never done
    and_steps = stepper.to_html_player("and")
    assert and_steps.captions[-1].endswith("converged.") and stepper.function == "xor" and stepper.updates == 0
    # one frame per update: as many as the reference's epoch-by-epoch training makes mistakes, same final w
    X, t = truth_table("and")
    result = perceptron.train(X, t, w0=np.zeros(3), max_epochs=100)
    assert result.converged and len(and_steps) == 1 + sum(result.mistakes_per_epoch)
    assert f"w = [{', '.join(f'{v:g}' for v in result.w)}]" in and_steps.captions[-1]
    np.testing.assert_array_equal(and_steps.scenes[-1]["w"], result.w)
    assert "converged" not in " ".join(and_steps.captions[:-1])
    for p in (acts, steps):
        html = p._repr_html_()
        assert_self_contained(html)
        assert len(html.encode()) < MAX_BYTES


def test_player_rejects_bad_frames():
    with pytest.raises(ValueError, match="2 frames but 1 captions"):
        HtmlPlayer([{"kind": "network"}, {"kind": "network"}], ["a"])
    with pytest.raises(ValueError, match="not scenes"):
        HtmlPlayer([b"\x89PNG"], ["a"])


def test_caption_and_scene_text_cannot_close_the_script():
    html = HtmlPlayer([{"kind": "perceptron", "title": "</script><b>x</b>"}], ["</script><b>x</b>"]).to_html()
    assert html.count("</script>") == 1


@pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER)
def test_player_controls_switch_the_drawn_frame_in_chromium(gradient_player):
    """Prev / next / slider / play change the SVG picture, its accessible label and the caption, without a
    kernel and without network (every request but the page itself is refused)."""
    ex, player, html = gradient_player
    n = len(player)
    with chromium_page(900, 900) as page:
        errors, requests = [], []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
        page.set_content("<!DOCTYPE html><meta charset='utf-8'><body>" + html.replace("700", "40") + "</body>")
        svg = page.locator("svg[id$=-img]")

        def state():
            return (svg.get_attribute("data-frame"), page.locator("[id$=-count]").text_content(),
                    page.locator("[id$=-caption]").text_content(), svg.get_attribute("aria-label"),
                    page.locator("svg[id$=-img] .edge").count())

        assert state()[:3] == ("0", f"1 / {n}", player.captions[0]) and state()[3] == player.captions[0]
        page.click("[id$=-next]")
        page.click("[id$=-next]")
        assert state()[:3] == ("2", f"3 / {n}", player.captions[2])
        page.click("[id$=-prev]")
        assert state()[0] == "1"
        page.locator("[id$=-slider]").fill("20")
        assert state()[:3] == ("20", f"21 / {n}", player.captions[20]) and state()[4] == 9  # every edge drawn
        page.click("[id$=-play]")
        page.wait_for_function(f"document.querySelector('svg[id$=-img]').getAttribute('data-frame') === '{n - 1}'",
                               timeout=30000)
        page.wait_for_function("document.querySelector('[id$=-play]').textContent.trim().endsWith('play')",
                               timeout=5000)  # stopped at the last frame
        assert state()[0] == str(n - 1)
        assert not errors and not requests
