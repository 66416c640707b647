"""Kernel-free players: self-contained HTML (no network), the right frames, bounded size, working JavaScript."""
import base64
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from PIL import Image  # noqa: E402

from course.data import truth_table  # noqa: E402
from course.static import HtmlPlayer  # noqa: E402
from course.widgets import ActivationExplorer, GradientFlowExplorer, PerceptronStepper  # noqa: E402
from solutions import activations as A  # noqa: E402
from solutions import mlp, perceptron, worked_examples  # noqa: E402

pytestmark = pytest.mark.timeout(120)
MAX_BYTES = 1.5 * 1024 * 1024


@pytest.fixture(scope="module")
def gradient_player():
    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, edge_names=worked_examples.LECTURE_221_LAYOUT)
    player = ex.to_html_player(train_steps=10, train_every=1)
    return ex, player, player.to_html()


def _frames(html):
    frames = json.loads(re.search(r"var frames = (\[.*?\]);", html).group(1))
    captions = json.loads(re.search(r"var captions = (\[.*?\]);", html).group(1))
    return frames, captions


def assert_self_contained(html):
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), "external resource"
    assert "http://" not in html and "https://" not in html
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
    sizes = set()
    for uri in frames:
        assert uri.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        sizes.add(img.size)
    assert sizes == {(int(ex.figure.get_figwidth() * ex.figure.dpi), int(ex.figure.get_figheight() * ex.figure.dpi))}
    assert len(set(frames)) == len(frames)  # every step of the walk changes the picture
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
    """One drawing path: the last training frame equals what the live widget shows after those steps."""
    ex, player, html = gradient_player
    ex.reset()
    ex.step(10)
    live = np.asarray(Image.open(io.BytesIO(bytes(ex.image.value))).convert("RGB"), dtype=int)
    frame = np.asarray(Image.open(io.BytesIO(player.frames[-1])).convert("RGB"), dtype=int)
    assert live.shape == frame.shape
    assert np.mean(np.abs(live - frame)) < 3  # only the 64-colour palette differs
    ex.reset()


def test_other_players_are_small_and_self_contained():
    acts = ActivationExplorer(A.ACTIVATIONS).to_html_player(["sigmoid", ("leaky_relu", 0.3), ("elu", 2.0)])
    assert len(acts) == 3 and "leaky_relu with slope = 0.3" in acts.captions[1]
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
    assert "converged" not in " ".join(and_steps.captions[:-1])
    for p in (acts, steps):
        html = p._repr_html_()
        assert_self_contained(html)
        assert len(html.encode()) < MAX_BYTES


def test_player_rejects_bad_frames():
    with pytest.raises(ValueError, match="2 frames but 1 captions"):
        HtmlPlayer([b"\x89PNG1", b"\x89PNG2"], ["a"])
    with pytest.raises(ValueError, match="not PNG"):
        HtmlPlayer([b"GIF89a"], ["a"])


def test_caption_cannot_close_the_script():
    html = HtmlPlayer([b"\x89PNG"], ["</script><b>x</b>"]).to_html()
    assert html.count("</script>") == 1


_DRIVER = r"""
const html = require('fs').readFileSync(0, 'utf8');
const script = html.match(/<script>([\s\S]*)<\/script>/)[1];
const els = {};
const document = { getElementById: (id) => (els[id] = els[id] || { id: id, value: 0, innerHTML: '' }) };
let intervalFn = null;
const setInterval = (fn, ms) => { intervalFn = fn; return 1; };
const clearInterval = () => { intervalFn = null; };
new Function('document', 'setInterval', 'clearInterval', script)(document, setInterval, clearInterval);
const root = Object.keys(els)[0].replace(/-[a-z]+$/, '');
const el = (s) => els[root + '-' + s];
const log = [];
const snap = () => log.push([el('img').src.slice(-12), String(el('slider').value), el('count').textContent, el('caption').textContent]);
el('next').onclick(); snap();
el('next').onclick(); snap();
el('prev').onclick(); snap();
el('slider').value = '3'; el('slider').oninput.call(el('slider')); snap();
el('prev').onclick(); el('prev').onclick(); el('prev').onclick(); el('prev').onclick(); snap();
el('play').onclick(); for (let k = 0; k < 10; k++) if (intervalFn) intervalFn(); snap();
log.push(intervalFn === null ? 'stopped' : 'running');
console.log(JSON.stringify(log));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the player's JavaScript")
def test_player_javascript_steps_through_frames():
    frames = [Image.new("RGB", (4, 4), (10 * k, 0, 0)) for k in range(5)]
    pngs = []
    for f in frames:
        b = io.BytesIO()
        f.save(b, format="PNG")
        pngs.append(b.getvalue())
    player = HtmlPlayer(pngs, [f"caption {k}" for k in range(5)])
    uris = player.uris
    out = subprocess.run(["node", "-e", _DRIVER], input=player.to_html(), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    log = json.loads(out.stdout)
    tail = [u[-12:] for u in uris]
    assert log[0] == [tail[1], "1", "2 / 5", "caption 1"]
    assert log[1] == [tail[2], "2", "3 / 5", "caption 2"]
    assert log[2] == [tail[1], "1", "2 / 5", "caption 1"]
    assert log[3] == [tail[3], "3", "4 / 5", "caption 3"]
    assert log[4] == [tail[0], "0", "1 / 5", "caption 0"]  # clamped at the first frame
    assert log[5] == [tail[4], "4", "5 / 5", "caption 4"]  # play runs to the last frame ...
    assert log[6] == "stopped"                              # ... and stops there
