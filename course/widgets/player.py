"""Kernel-free players: a sequence of scenes drawn by the widgets' own drawing code, switched in the page.

A built book has no kernel, so a live widget would be a frozen picture. Every widget in
:mod:`course.widgets` therefore also describes a *sequence of its states* as scenes (plain numbers
and texts), and :class:`HtmlPlayer` wraps them in a self-contained HTML snippet: the picture (an SVG
drawn by the same ``draw.js`` as the live widget), a slider, previous / next / play buttons and a
caption per frame. No external script, stylesheet or font, no CDN: it works from ``file://`` and
offline. In a notebook or a myst-nb page, a cell whose value is an :class:`HtmlPlayer` shows the
player (``_repr_html_``, MIME type ``text/html``).

The elements keep stable ids: ``{uid}-img`` (the picture, ``role="img"`` with the caption as its
``aria-label``), ``{uid}-prev``, ``{uid}-play``, ``{uid}-next``, ``{uid}-slider``, ``{uid}-count`` and
``{uid}-caption``.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import json

from .base import draw_js, scene_json

_serial = itertools.count(1)  # two displays of one player on a page still get distinct element ids

__all__ = ["HtmlPlayer"]

_TEMPLATE = """<div class="course-player" id="{uid}" style="max-width:{width}px;font-family:sans-serif;font-size:14px">
<svg id="{uid}-img" role="img" aria-label="{alt}" style="width:100%;height:auto;display:block;border:1px solid #ddd;background:#fff"></svg>
<div style="display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:4px">
<button type="button" id="{uid}-prev" title="previous frame" aria-label="previous frame">&#9664;</button>
<button type="button" id="{uid}-play" title="play / pause" aria-label="play / pause">&#9654; play</button>
<button type="button" id="{uid}-next" title="next frame" aria-label="next frame">&#9654;|</button>
<input type="range" id="{uid}-slider" min="0" max="{last}" value="0" step="1" style="flex:1;min-width:8em" aria-label="frame">
<span id="{uid}-count" style="min-width:5em;text-align:right">1 / {n}</span>
</div>
<div id="{uid}-caption" aria-live="polite" style="margin-top:4px;min-height:2.6em">{caption0}</div>
<script>
(function () {{
{draw}
  var frames = {frames_json};
  var captions = {captions_json};
  var root = "{uid}", i = 0, timer = null, delay = {interval};
  function el(s) {{ return document.getElementById(root + "-" + s); }}
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    courseDraw(el("img"), frames[i]);
    el("img").setAttribute("aria-label", captions[i]);
    el("img").setAttribute("data-frame", String(i));
    el("slider").value = i;
    el("count").textContent = (i + 1) + " / " + frames.length;
    el("caption").textContent = captions[i];
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} el("play").innerHTML = "&#9654; play"; }}
  function play() {{
    if (timer) {{ stop(); return; }}
    if (i >= frames.length - 1) show(0);
    el("play").innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{ if (i >= frames.length - 1) stop(); else show(i + 1); }}, delay);
  }}
  el("prev").onclick = function () {{ stop(); show(i - 1); }};
  el("next").onclick = function () {{ stop(); show(i + 1); }};
  el("play").onclick = play;
  el("slider").oninput = function () {{ stop(); show(parseInt(this.value, 10)); }};
  show(0);
}})();
</script>
</div>"""


class HtmlPlayer:
    """A self-contained HTML/JS player of scenes (displayed through ``_repr_html_``).

    Parameters
    ----------
    scenes : list of dict
        One scene per state (what a widget's ``scene()`` returns), drawn by ``draw.js``.
    captions : list of str
        One line per frame, shown under the picture (also its accessible label).
    interval : int
        Milliseconds per frame when playing.
    width : int
        Maximum display width in CSS pixels.
    """

    def __init__(self, scenes, captions, interval: int = 700, width: int = 760):
        scenes, captions = list(scenes), [str(c) for c in captions]
        if not scenes:
            raise ValueError("a player needs at least one frame")
        if len(captions) != len(scenes):
            raise ValueError(f"got {len(scenes)} frames but {len(captions)} captions")
        bad = [i for i, s in enumerate(scenes) if not (isinstance(s, dict) and "kind" in s)]
        if bad:
            raise ValueError(f"frames {bad[:5]} are not scenes (a dict with a 'kind', as a widget's scene() returns)")
        self.scenes, self.captions = scenes, captions
        self.interval, self.width = int(interval), int(width)

    def __len__(self) -> int:
        return len(self.scenes)

    def to_html(self) -> str:
        """The HTML snippet (a ``<div>`` with one inline ``<script>``).

        Element ids are a hash of the content plus a per-process serial number: unique on a page,
        and the same from one book build to the next.
        """
        frames_json = "[" + ",".join(scene_json(s) for s in self.scenes) + "]"
        captions_json = json.dumps(self.captions, ensure_ascii=False).replace("</", "<\\/")
        digest = hashlib.sha1((frames_json + "\n" + captions_json).encode()).hexdigest()[:12]
        return _TEMPLATE.format(
            uid=f"course-player-{digest}-{next(_serial)}", width=self.width, last=len(self.scenes) - 1,
            n=len(self.scenes), alt=html.escape(self.captions[0]), caption0=html.escape(self.captions[0]),
            draw=draw_js().replace("</", "<\\/"), frames_json=frames_json, captions_json=captions_json,
            interval=self.interval)

    def _repr_html_(self) -> str:
        return self.to_html()

    @property
    def nbytes(self) -> int:
        """Size of the HTML snippet in bytes (what it adds to a page)."""
        return len(self.to_html().encode("utf-8"))

    def save(self, path) -> None:
        """Write a standalone page holding only this player (handy to open from ``file://``)."""
        page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>player</title></head><body>"
                + self.to_html() + "</body></html>")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)

    def __repr__(self) -> str:
        return f"HtmlPlayer({len(self)} frames, {self.nbytes / 1024:.0f} KiB)"
