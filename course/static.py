"""Kernel-free players: a sequence of pre-rendered frames switched by a few lines of inline JavaScript.

A built book has no kernel, so a live widget would be a frozen picture. Every widget in
:mod:`course.widgets` therefore also renders a *sequence of its states* with the same drawing code
into PNG frames, and :class:`HtmlPlayer` wraps them in a self-contained HTML snippet: a slider,
previous / next / play buttons and a caption per frame. No external script, stylesheet or font, no
CDN: it works from ``file://`` and offline. In a notebook or a myst-nb page, a cell whose value is an
:class:`HtmlPlayer` shows the player (``_repr_html_``, MIME type ``text/html``).

Frames are PNGs reduced to an adaptive (octree) palette of at most ``colors`` colours (line art loses
nothing visible and shrinks about three-fold), embedded as base64 ``data:`` URIs.
"""
from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json

_serial = itertools.count(1)  # two displays of one player on a page still get distinct element ids

__all__ = ["figure_png", "HtmlPlayer"]


def figure_png(fig, colors: int | None = 64) -> bytes:
    """A player frame: ``fig`` rendered exactly as the live widget renders it, as a palette PNG."""
    from .plots import render_png

    return render_png(fig, colors=colors)


_TEMPLATE = """<div class="course-player" id="{uid}" style="max-width:{width}px;font-family:sans-serif;font-size:14px">
<img id="{uid}-img" src="{first}" alt="{alt}" style="width:100%;height:auto;display:block;border:1px solid #ddd">
<div style="display:flex;align-items:center;gap:6px;margin-top:4px">
<button type="button" id="{uid}-prev" title="previous frame">&#9664;</button>
<button type="button" id="{uid}-play" title="play / pause">&#9654; play</button>
<button type="button" id="{uid}-next" title="next frame">&#9654;|</button>
<input type="range" id="{uid}-slider" min="0" max="{last}" value="0" step="1" style="flex:1" aria-label="frame">
<span id="{uid}-count" style="min-width:5em;text-align:right">1 / {n}</span>
</div>
<div id="{uid}-caption" style="margin-top:4px;min-height:2.6em">{caption0}</div>
<script>
(function () {{
  var frames = {frames_json};
  var captions = {captions_json};
  var root = "{uid}", i = 0, timer = null, delay = {interval};
  function el(s) {{ return document.getElementById(root + "-" + s); }}
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    el("img").src = frames[i];
    el("img").alt = captions[i];
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
}})();
</script>
</div>"""


class HtmlPlayer:
    """A self-contained HTML/JS frame player (displayed through ``_repr_html_``).

    Parameters
    ----------
    frames : list of bytes
        PNG images, one per state, all the same size.
    captions : list of str
        One line per frame, shown under the image (also its ``alt`` text).
    interval : int
        Milliseconds per frame when playing.
    width : int
        Maximum display width in CSS pixels.
    """

    def __init__(self, frames, captions, interval: int = 700, width: int = 720):
        frames = [bytes(f) for f in frames]
        captions = [str(c) for c in captions]
        if not frames:
            raise ValueError("a player needs at least one frame")
        if len(captions) != len(frames):
            raise ValueError(f"got {len(frames)} frames but {len(captions)} captions")
        bad = [i for i, f in enumerate(frames) if not f.startswith(b"\x89PNG")]
        if bad:
            raise ValueError(f"frames {bad[:5]} are not PNG images")
        self.frames, self.captions = frames, captions
        self.interval, self.width = int(interval), int(width)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def uris(self) -> list[str]:
        return ["data:image/png;base64," + base64.b64encode(f).decode("ascii") for f in self.frames]

    def to_html(self) -> str:
        """The HTML snippet (a ``<div>`` with one inline ``<script>``).

        Element ids are a hash of the content plus a per-process serial number: unique on a page,
        and the same from one book build to the next.
        """
        uris = self.uris
        digest = hashlib.sha1("".join(uris).encode() + "\n".join(self.captions).encode()).hexdigest()[:12]
        # json.dumps leaves "</" intact; escape it so a caption can never close the <script> element
        captions_json = json.dumps(self.captions).replace("</", "<\\/")
        return _TEMPLATE.format(
            uid=f"course-player-{digest}-{next(_serial)}", width=self.width, first=uris[0],
            last=len(uris) - 1, n=len(uris),
            alt=html.escape(self.captions[0]), caption0=html.escape(self.captions[0]),
            frames_json=json.dumps(uris), captions_json=captions_json, interval=self.interval)

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

