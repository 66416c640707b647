"""Latency as the student sees it: slider release -> updated picture, in JupyterLab, in Chromium.

A notebook with two gradient-flow explorers (the lecture's 2-2-1 network, the reference functions) is
opened in JupyterLab (``benchmarks.browser.student_lab``) and run. Playwright drags the x₁ slider's
handle with the mouse; in the page, the clock starts at the ``pointerup`` of the release and stops at
the first animation frame after the picture's SVG was redrawn (its ``data-version`` changed): the
message to the kernel, your forward and backward, the finite-difference check, the message back and
the drawing, as the eye sees them.

First interactions are timed the same way: the first drag after the notebook ran, the first switch
to the forward view, the first drag on the second explorer.
"""
from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

NOTEBOOK_CELLS = [
    "from course.widgets import GradientFlowExplorer\n"
    "from solutions import activations, mlp, training\n"
    "first = GradientFlowExplorer(mlp.forward, mlp.backward, activations.ACTIVATIONS, update=training.gradient_step)\n"
    "first",
    "second = GradientFlowExplorer(mlp.forward, mlp.backward, activations.ACTIVATIONS, update=training.gradient_step)\n"
    "second",
]

ARM = """
(index) => { window.__courseWait = new Promise((resolve) => {
  const svg = document.querySelectorAll("svg.course-picture")[index];
  const before = svg.getAttribute("data-version");
  let t0 = null;
  const onUp = () => { t0 = performance.now(); };
  window.addEventListener("pointerup", onUp, {capture: true, once: true});
  window.addEventListener("click", (e) => { if (t0 === null) t0 = performance.now(); }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (svg.getAttribute("data-version") === before) return;
    obs.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - (t0 === null ? performance.now() : t0)));
  });
  obs.observe(svg, {attributes: true, attributeFilter: ["data-version"]});
  setTimeout(() => resolve(-1), 15000);
}); }
"""


def _notebook(path: Path) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": src}
             for src in NOTEBOOK_CELLS]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")


def _drag(page, index: int, dx: float) -> float:
    """Drag the x₁ slider of explorer ``index`` by ``dx`` pixels; the browser-measured latency in ms."""
    handle = page.locator(".widget-slider .noUi-handle").nth(index * 4)  # x1, x2, target, lr per explorer
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(ARM, index)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y, steps=2)
    page.mouse.move(x + dx, y, steps=2)
    page.mouse.up()
    return float(page.evaluate("window.__courseWait"))


def _click(page, index: int, selector: str) -> float:
    page.evaluate(ARM, index)
    page.locator(selector).nth(index).click()
    return float(page.evaluate("window.__courseWait"))


def measure(repeat: int = 20) -> dict:
    """``{"release": [ms, ...], "first": {what: ms}}`` measured in Chromium on JupyterLab."""
    from benchmarks.browser import chromium_page, student_lab

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="course-latency-") as work:
        _notebook(Path(work) / "latency.ipynb")
        env = {"PYTHONPATH": str(root)}
        with student_lab(work, env_extra=env) as (url, token), chromium_page(1400, 900) as page:
            page.goto(f"{url}/lab/tree/latency.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
            page.wait_for_function("document.body.innerText.includes('(ipykernel) | Idle')", timeout=120000)
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Escape")
            page.get_by_role("menuitem", name="Run").click()
            page.get_by_text("Run All Cells", exact=True).click()
            try:
                page.wait_for_function("document.querySelectorAll('svg.course-picture[data-version]').length === 2",
                                       timeout=120000)
            except Exception:
                page.screenshot(path=os.path.join(tempfile.gettempdir(), "course-latency-failed.png"))
                raise
            page.wait_for_timeout(500)
            first = {"first drag on the first explorer": _drag(page, 0, 40),
                     "first switch to the forward view": _click(page, 0, ".widget-toggle-buttons button:has-text('forward')"),
                     "first drag on the second explorer": _drag(page, 1, 40)}
            release = []
            for k in range(repeat):
                release.append(_drag(page, 0, -30 if k % 2 else 30))
    return {"release": release, "first": first}


def figures(goal_ms: float = 50.0, first_goal_ms: float = 200.0, repeat: int = 20):
    from benchmarks import Figure

    m = measure(repeat)
    rel = [v for v in m["release"] if v >= 0]
    if not rel:
        return [Figure("browser: slider release -> picture (JupyterLab)", 0.0, "no redraw seen within 15 s", "> 1")]
    med, worst = statistics.median(rel), max(rel)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    out = [Figure("browser: slider release -> picture (JupyterLab, 2-2-1, 50 ms)", goal_ms / med,
                  f"median {med:.0f} ms, best {min(rel):.0f}, worst {worst:.0f} over {len(rel)} drags in Chromium "
                  f"(load avg {load:.1f})", "> 1")]
    firsts = m["first"]
    slowest = max(firsts.values())
    out.append(Figure("browser: first interactions -> picture (200 ms)", first_goal_ms / slowest if slowest > 0 else 0.0,
                      "; ".join(f"{k} {v:.0f} ms" for k, v in firsts.items()), "> 1"))
    return out
