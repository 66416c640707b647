"""The widgets' pictures as Chromium draws them (draw.js): no two texts overlap and none is cut off, at any step.

Each scenario is a kernel-free player of one widget (the same scenes and drawing code as the live
widget); the browser steps through every frame and measures every ``<text>`` as drawn: its box in its
own coordinates mapped to the screen by its transform (rotated edge labels stay rotated rectangles).
"""
import numpy as np
import pytest

from benchmarks.browser import available, chromium_page
from course.widgets import ActivationExplorer, GradientFlowExplorer, PerceptronStepper, VanishingGradients
from solutions import activations as A
from solutions import mlp, perceptron, training, worked_examples

pytestmark = pytest.mark.timeout(300)
NO_BROWSER = available()
STEP = training.gradient_step

MEASURE = """
(root) => {
  const svg = root.querySelector("svg");
  const box = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll("text")).filter((t) => t.textContent.trim()).map((t) => {
    const b = t.getBBox(), m = t.getScreenCTM();
    const pts = [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
    return {text: t.textContent, pts: pts, svg: [box.left, box.top, box.right, box.bottom]};
  });
}
"""


def _overlap(p, q, slack=0.5):
    """Separating-axis test of two convex quadrilaterals (screen pixels), touching within ``slack`` allowed."""
    for poly in (p, q):
        for i in range(4):
            (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % 4]
            n = np.array([y0 - y1, x1 - x0])
            if not np.any(n):
                continue
            n = n / np.hypot(*n)
            a, b = np.asarray(p) @ n, np.asarray(q) @ n
            if a.max() - slack <= b.min() or b.max() - slack <= a.min():
                return False
    return True


def test_the_overlap_oracle():
    square = [[0, 0], [10, 0], [10, 10], [0, 10]]
    assert _overlap(square, [[5, 5], [15, 5], [15, 15], [5, 15]])
    assert not _overlap(square, [[11, 0], [20, 0], [20, 10], [11, 10]])
    diamond = [[17, 10], [24, 17], [17, 24], [10, 17]]  # beside the corner: boxes would overlap, shapes do not
    assert not _overlap(square, diamond)


def _scenarios():
    ex = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, edge_names=worked_examples.LECTURE_221_LAYOUT,
                              update=STEP)
    yield "gradient flow, the lecture's network", ex.to_html_player(train_steps=6, train_every=1)
    for sizes in ([2, 3, 1], [2, 2, 2], [3, 4, 2], [2, 3, 3, 1]):
        params = mlp.init_params(sizes, "tanh", seed=1)
        g = GradientFlowExplorer(mlp.forward, mlp.backward, A.ACTIVATIONS, params=params, activation="tanh",
                                 x=np.full((1, sizes[0]), 0.5), y=np.full((1, sizes[-1]), 0.2), update=STEP)
        yield f"gradient flow {sizes}", g.to_html_player(train_steps=2)
    vg = VanishingGradients(mlp.forward, mlp.backward, A.ACTIVATIONS, init=mlp.init_params, update=STEP)
    yield "vanishing gradients, depth 6", vg.to_html_player(steps=80, every=20)
    for depth in (1, 15):
        vg.configure(depth=depth)
        yield f"vanishing gradients, depth {depth}", vg.to_html_player(activations=["sigmoid", "relu"], steps=20,
                                                                       every=10)
    yield "activations", ActivationExplorer(A.ACTIVATIONS).to_html_player()
    stepper = PerceptronStepper(perceptron.rosenblatt_update, perceptron.predict, "xor")
    yield "perceptron XOR", stepper.to_html_player(updates=10)
    yield "perceptron AND", stepper.to_html_player("and")


@pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER)
@pytest.mark.parametrize("width", [1280, 390])
def test_no_text_overlaps_or_is_cut_off_at_any_frame(width):
    problems, frames = [], 0
    with chromium_page(width, 900) as page:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for name, player in _scenarios():
            page.set_content("<!DOCTYPE html><meta charset='utf-8'><body style='margin:8px'>" + player.to_html()
                             + "</body>")
            root = page.locator(".course-player")
            for k in range(len(player)):
                page.evaluate("(k) => { const s = document.querySelector('[id$=-slider]'); s.value = k; "
                              "s.dispatchEvent(new Event('input')); }", k)
                texts = root.evaluate(MEASURE)
                frames += 1
                for i, t in enumerate(texts):
                    x0, y0, x1, y1 = t["svg"]
                    if any(not (x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1) for x, y in t["pts"]):
                        problems.append(f"{name}, frame {k}: {t['text']!r} is cut off")
                    for u in texts[i + 1:]:
                        if _overlap(t["pts"], u["pts"]):
                            problems.append(f"{name}, frame {k}: {t['text']!r} overlaps {u['text']!r}")
        assert not errors, errors
    assert frames > 100
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(sorted(set(problems))[:30])
