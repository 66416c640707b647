"""What every widget shares: the picture (an SVG drawn in the browser), the controls, the error line.

A widget keeps its state in plain attributes and describes what to draw as a *scene*: a small dict
of numbers and texts (:meth:`LiveWidget.scene`). The browser draws the scene with ``draw.js``, the
only drawing code: in a notebook through :class:`Picture` (an ``anywidget``, so a slider release costs
one message each way and no image encoding), and in the book's kernel-free players
(:class:`course.widgets.player.HtmlPlayer`) from a list of scenes. Python computes the numbers -- and runs
*your* functions -- never the pixels.

The controls are ordinary ``ipywidgets``. They sit in a box that wraps: beside the picture in a
wide output area, below it in a narrow one (JupyterLab with the file browser open, a phone).

A control's callback runs as one transaction (:meth:`LiveWidget._callback`): if your code raises,
the widget goes back to the state before the change, the controls are set back to match the
picture, and the error is shown under the widget in plain words.
"""
from __future__ import annotations

import copy
import html
import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..protocol import StudentCodeError

__all__ = ["POSITIVE", "NEGATIVE", "FLAG", "fmt", "draw_js", "plain", "scene_json", "Picture", "LiveWidget"]

POSITIVE = "#1f77b4"   # blue
NEGATIVE = "#e66100"   # orange (a colour-blind-safe pair with blue)
FLAG = "#d62728"       # red: gradient-check mismatch, errors


def fmt(v: float) -> str:
    """Four significant digits, fixed-point from 0.001 up (0.5933, -0.0238), else exponent (-2.19e-04)."""
    v = float(v)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


@lru_cache(maxsize=1)
def draw_js() -> str:
    """The drawing code (``draw.js`` beside this module): function ``courseDraw(svg, scene)``."""
    return (Path(__file__).with_name("draw.js")).read_text(encoding="utf-8")


def plain(value):
    """JSON-ready: numpy arrays and scalars to lists and floats (6 significant digits), NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return float(f"{v:.6g}") if math.isfinite(v) else None
    return value


def scene_json(scene: dict) -> str:
    """A scene as compact JSON (what a player embeds; ``</`` escaped so it cannot close a ``<script>``)."""
    return json.dumps(plain(scene), separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")


_ESM_RENDER = """
export default {
  render({ model, el }) {
    const svg = document.createElementNS(COURSE_SVG_NS, "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("class", "course-picture");
    svg.style.width = "100%";
    svg.style.height = "auto";
    svg.style.display = "block";
    el.appendChild(svg);
    const update = () => {
      courseDraw(svg, model.get("scene"));
      svg.setAttribute("data-version", String(model.get("version")));
    };
    model.on("change:version", update);
    update();
    return () => model.off("change:version", update);
  },
};
"""


@lru_cache(maxsize=1)
def _picture_class():
    import anywidget
    import traitlets

    class Picture(anywidget.AnyWidget):
        """An SVG picture of a scene, drawn in the browser by ``draw.js`` (one message per new scene)."""

        _esm = draw_js() + _ESM_RENDER
        scene = traitlets.Dict().tag(sync=True)
        version = traitlets.Int(0).tag(sync=True)  # one change event per new scene, even if equal

        def show(self, scene: dict) -> None:
            with self.hold_sync():
                self.scene = plain(scene)
                self.version += 1

    return Picture


def Picture(**kwargs):
    """A new :class:`Picture` widget (``anywidget`` is imported on first use only)."""
    return _picture_class()(**kwargs)


class LiveWidget:
    """Base of the four widgets: state -> scene -> picture, controls built on first display.

    Subclasses define ``_state_names`` (the attributes that make up the state, restored after an
    error), ``scene()``, ``_build_controls(w)`` (a dict of ipywidgets), ``_layout(w, controls)`` (the
    controls column), and optionally ``_sync_controls()``.
    """

    _ui = None
    _syncing = False
    _state_names: tuple = ()
    last_error = None
    error = ""          # the error line under the widget ('' when the last action succeeded)
    headline = ""       # the status line above the picture
    redraw_count = 0
    width = 760         # largest width of the picture, CSS pixels (it shrinks with the output area)

    # ------------------------------------------------------------------ state
    def _snapshot(self) -> dict:
        return {k: copy.deepcopy(getattr(self, k)) for k in self._state_names if hasattr(self, k)}

    def _restore(self, saved: dict) -> None:
        for k, v in saved.items():
            setattr(self, k, v)

    def _run_student(self, action) -> bool:
        """Run ``action()``; on an error in *your* code, restore the state before it, show the error,
        and return False (so a blank notebook's widget cell says what to write, without a traceback)."""
        saved = self._snapshot()
        try:
            action()
        except Exception as exc:  # noqa: BLE001 -- shown under the widget, kept in last_error
            self._restore(saved)
            self._fail(exc)
            return False
        return True

    def _fail(self, exc: Exception) -> None:
        self.last_error = exc
        text = str(exc) if isinstance(exc, StudentCodeError) else f"{type(exc).__name__}: {exc}"
        self.error = text
        if self._ui is not None:
            self._sync()
            self._message.value = (f'<pre style="color:{FLAG};white-space:pre-wrap;margin:4px 0">'
                                   f"{html.escape(text)}</pre>")

    # ------------------------------------------------------------------ drawing
    def scene(self) -> dict:  # pragma: no cover - every widget defines it
        raise NotImplementedError

    def redraw(self) -> dict:
        """Describe the current state as a scene and send it to the picture (if displayed)."""
        scene = self.scene()
        self.last_scene = scene
        self.redraw_count += 1
        self.error, self.last_error = "", None
        if self._ui is not None:
            self._sync()
            self._picture.show(scene)
            self._status.value = self._status_html()
            self._message.value = ""
        return scene

    def _status_html(self) -> str:
        return f"<span>{html.escape(self.headline)}</span>" if self.headline else ""

    # ------------------------------------------------------------------ widgets
    @property
    def ui(self):
        """The whole widget (built on first access): status line, picture and controls, error line."""
        if self._ui is None:
            import ipywidgets as w

            self._picture = Picture(layout=w.Layout(flex=f"1 1 {min(self.width, 420)}px", min_width="260px",
                                                    max_width=f"{self.width}px", width="auto"))
            self._status = w.HTML()
            self._message = w.HTML()
            self._controls = self._build_controls(w)
            column = self._layout(w, self._controls)
            column.layout.flex = "0 1 auto"
            row = w.Box([self._picture, column],
                        layout=w.Layout(display="flex", flex_flow="row wrap", align_items="flex-start",
                                        width="100%", grid_gap="4px 12px"))
            self._ui = w.VBox([self._status, row, self._message], layout=w.Layout(width="100%", max_width="100%"))
            self._sync()
            if getattr(self, "last_scene", None) is not None:
                self._picture.show(self.last_scene)
                self._status.value = self._status_html()
            if self.error:
                self._fail(self.last_error)
        return self._ui

    def _callback(self, fn):
        """Wrap a control's callback: ignored while the controls are being synced; an error -- in *your*
        code or a bad value -- restores the state before the change (controls included) and is shown
        under the widget instead of vanishing into the front end's log."""
        def run(*args):
            if self._syncing:
                return
            saved = self._snapshot()
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 -- shown to the user, and kept in last_error
                self._restore(saved)
                self._fail(exc)
        return run

    @property
    def controls(self) -> dict:
        """The ipywidgets controls by name."""
        return self.ui and self._controls

    @property
    def picture(self):
        """The picture widget (its ``scene`` is what the browser draws)."""
        return self.ui and self._picture

    @property
    def status(self):
        """The HTML line above the picture."""
        return self.ui and self._status

    @property
    def message(self) -> str:
        """The error line under the widget ('' when the last action succeeded)."""
        return self.ui and self._message.value

    def _sync(self):
        """Set the controls from the state without triggering their callbacks."""
        self._syncing = True
        try:
            self._sync_controls()
        finally:
            self._syncing = False

    def _sync_controls(self):
        pass

    def _ipython_display_(self):
        from IPython.display import display

        display(self.ui)
