r"""Drawing code shared by the live widgets and the kernel-free players (matplotlib, no pyplot state).

Each drawing is a small class that creates its artists once on an ``Axes`` and afterwards only
*updates* them (``set_data``, ``set_linewidth``, ``set_text``): redrawing costs one Agg render, the
figure never accumulates artists, and the same object renders both the widget's image and every
frame of a static player.

* :class:`NetworkDiagram` -- an MLP as a graph. Edges carry a value per weight (the weight in the
  forward view, :math:`\partial E/\partial w` in the backward view): colour = sign
  (:data:`POSITIVE` / :data:`NEGATIVE`), line width proportional to the magnitude,
  ``width = max(min_width, max_width * |v| / max |v|)`` for ``v != 0`` (the floor keeps the sign's
  colour readable on tiny values, e.g. first-layer gradients). A grey hairline under every edge keeps zero-valued edges
  visible. Flagged edges (gradient-check mismatches) get a red dashed overlay and a red label.
  Bias weights are edges from a "+1" unit (the :math:`x_0 = 1` convention).
* :class:`ActivationPlot` -- :math:`f` and :math:`f'` with the band where :math:`|f'| <` threshold shaded.
* :class:`GradientNormBars` -- per-layer gradient norm :math:`\lVert \partial E/\partial W^l \rVert_F`
  at initialisation and now (log scale), beside the loss curve.
* :class:`PerceptronPlot` -- the four Boolean inputs, the decision boundary
  :math:`w_0 + w_1 x_1 + w_2 x_2 = 0` and the misclassified points.

``new_figure`` makes a :class:`matplotlib.figure.Figure` that is *not* registered with pyplot, so a
notebook never shows a stray copy and ``plt.get_fignums()`` does not grow.
"""
from __future__ import annotations

import io
import struct
import zlib

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Text
from matplotlib.transforms import offset_copy

__all__ = ["POSITIVE", "NEGATIVE", "FLAG", "new_figure", "set_dynamic", "replace_dynamic", "invalidate",
           "render_rgb", "render_png", "NetworkDiagram", "ActivationPlot", "GradientNormBars", "PerceptronPlot", "unit_names"]

POSITIVE = "#1f77b4"   # blue
NEGATIVE = "#e66100"   # orange (a colour-blind-safe pair with blue)
FLAG = "#d62728"       # red: gradient-check mismatch
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def new_figure(width: float = 7.6, height: float = 4.2, dpi: float = 100) -> Figure:
    """A figure with an Agg canvas, independent of pyplot (never auto-displayed, never leaked)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def set_dynamic(fig, artists, replace: bool = False) -> None:
    """Declare the artists that change between redraws; the rest of ``fig`` is rendered once and cached.

    The dynamic artists are marked *animated* (matplotlib leaves them out of a normal draw), so a
    full draw yields the static background; :func:`render_png` restores it and draws only these.
    """
    artists = list(artists)
    for a in artists:
        a.set_animated(True)
    fig._course_dynamic = ([] if replace else getattr(fig, "_course_dynamic", [])) + artists
    fig._course_background = None  # an artist that was static may be in the old background


def replace_dynamic(fig, old, new) -> None:
    """Swap a dynamic artist for one created after the background was cached (keeps the background).

    ``old`` (may be None) is removed from its axes.
    """
    background = getattr(fig, "_course_background", None)
    if old is not None:
        old.remove()
        fig._course_dynamic = [a for a in fig._course_dynamic if a is not old]
    set_dynamic(fig, [new])
    fig._course_background = background


def invalidate(fig) -> None:
    """Forget the cached background (call after changing a static artist, limits or the figure size)."""
    fig._course_background = None


try:
    from matplotlib.backends.backend_agg import get_hinting_flag as _hinting_flag
    from matplotlib.ft2font import FT2Font as _FT2Font

    _FAST_TEXT = all(hasattr(_FT2Font, m) for m in ("set_text", "draw_glyphs_to_bitmap", "get_image",
                                                    "get_bitmap_offset", "get_descent"))
except ImportError:  # pragma: no cover
    _FAST_TEXT = False


def render_rgb(fig) -> np.ndarray:
    """Draw ``fig`` with Agg and return its pixels ``(height, width, 3)`` (uint8).

    Figures with dynamic artists (:func:`set_dynamic`) are blitted: the cached static background is
    restored and only the dynamic artists are drawn on it, in z-order -- the live widget's fast path,
    also used for every frame of a static player so both show the same picture.
    """
    _render(fig)
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def _render(fig) -> None:
    """Draw ``fig`` into its Agg buffer (blitting the dynamic artists on the cached background)."""
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # about 25% faster text, same look
        _draw_into_buffer(fig)


def _draw_into_buffer(fig) -> None:
    canvas = fig.canvas
    patched = canvas.get_renderer()  # cached by the canvas for this size; canvas.draw() reuses it
    fast = _FAST_TEXT and "draw_text" not in vars(patched)
    if fast:  # one bitmap per string (see _draw_text_one_bitmap)
        patched.draw_text = _draw_text_one_bitmap.__get__(patched)
    try:
        dynamic = getattr(fig, "_course_dynamic", None)
        if not dynamic:
            canvas.draw()
            return
        size = tuple(canvas.get_width_height())
        bg = getattr(fig, "_course_background", None)
        if bg is None or bg[0] != size:
            canvas.draw()  # animated (dynamic) artists are skipped: this is the background
            bg = (size, canvas.copy_from_bbox(fig.bbox))
            fig._course_background = bg
        else:
            canvas.restore_region(bg[1])
        renderer = canvas.get_renderer()
        for a in sorted(dynamic, key=lambda a: a.get_zorder()):
            if a.get_visible():
                a.draw(renderer)
    finally:
        if fast:
            del patched.draw_text


def _draw_text_one_bitmap(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """Agg text as one bitmap per string (matplotlib < 3.10's way), for the redrawn texts.

    matplotlib 3.10+ renders and composites every glyph separately, through Python: for the dozen
    short, changing labels of a diagram that is half of a redraw (and most of a full draw's time
    goes to tick labels). Laying the string out and
    rasterising it in one FreeType call (then rotating the bitmap) is 2-3x faster and looks the
    same at these sizes. Math text, and any failure, fall back to the stock method.
    """
    stock = type(self).draw_text
    if ismath:
        return stock(self, gc, x, y, s, prop, angle, ismath, mtext)
    try:
        font = self._prepare_font(prop)
        font.set_text(s, 0, flags=_hinting_flag())
        font.draw_glyphs_to_bitmap(antialiased=gc.get_antialiased())
        image = np.asarray(font.get_image())
    except Exception:  # noqa: BLE001 -- an internal API changed: draw as matplotlib does
        return stock(self, gc, x, y, s, prop, angle, ismath, mtext)
    d = font.get_descent() / 64.0
    xo, yo = (v / 64.0 for v in font.get_bitmap_offset())
    xd, yd = d * np.sin(np.radians(angle)), d * np.cos(np.radians(angle))
    self._renderer.draw_text_image(image, round(x + xo + xd), round(y + yo + yd) + 1, angle, gc)


def render_png(fig, colors: int | None = None, compress_level: int = 1) -> bytes:
    """Render ``fig`` (see :func:`render_rgb`) and encode it as PNG.

    ``colors``: quantise to an adaptive palette of that many colours (about 3x smaller; used for the
    frames of static players); ``None`` keeps full colour with fast compression (the live widget).
    """
    _render(fig)
    if not colors:
        return _png_rgb(np.asarray(fig.canvas.buffer_rgba()), compress_level)
    from PIL import Image

    # straight from the Agg buffer: PIL drops the alpha channel in C (a numpy slice copy costs ~3 ms at 760x470)
    img = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    # octree keeps small areas of a distinct colour (median cut turned the gold "just updated" star
    # orange, the colour of the other class) and is about twice as fast, for slightly smaller files
    img = img.convert("RGB").quantize(colors=int(colors), method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _png_rgb(rgba: np.ndarray, level: int = 1) -> bytes:
    """Encode an ``(h, w, 4)`` uint8 buffer as an 8-bit RGB PNG (alpha dropped), filter "none".

    The live widget's encoder: PIL tries five row filters per row for RGB images; on line art on
    white, no filter plus zlib level 1 is about 40% faster and the file is no larger.
    """
    h, w, _ = rgba.shape
    raw = np.zeros((h, 1 + 3 * w), dtype=np.uint8)  # each row: filter byte 0, then R G B R G B ...
    raw[:, 1:] = rgba[..., :3].reshape(h, 3 * w)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), int(level)))
            + _png_chunk(b"IEND", b""))


def _fmt(v: float) -> str:
    """Four significant digits, fixed-point from 0.001 up (0.5933, -0.0238), else exponent (-2.19e-04)."""
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.4g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


def unit_names(sizes) -> dict:
    """Display names of the units: ``x₁..`` (inputs), ``h₁..`` (one hidden layer) or ``h²₁``-style
    ``h{l}.{j}`` (several), ``ŷ₁..`` (outputs); keys ``(layer, unit)``, unit ``-1`` is the bias "+1"."""
    L = len(sizes) - 1
    names = {}
    for l, d in enumerate(sizes):
        for j in range(d):
            if l == 0:
                names[l, j] = f"x{j + 1}".translate(_SUB)
            elif l == L:
                names[l, j] = "ŷ" if d == 1 else f"ŷ{j + 1}".translate(_SUB)
            else:
                names[l, j] = (f"h{j + 1}" if L == 2 else f"h{l}.{j + 1}").translate(_SUB)
        if l < L:
            names[l, -1] = "+1"
    return names


def _rects_overlap(A, B) -> bool:
    """Separating-axis test of two rotated rectangles ``(centre, unit axis, half extents)`` (pixels)."""
    (ca, ua, ha), (cb, ub, hb) = A, B
    na, nb = np.array([-ua[1], ua[0]]), np.array([-ub[1], ub[0]])
    d = np.asarray(cb) - np.asarray(ca)
    for axis in (ua, na, ub, nb):
        ra = ha[0] * abs(ua @ axis) + ha[1] * abs(na @ axis)
        rb = hb[0] * abs(ub @ axis) + hb[1] * abs(nb @ axis)
        if abs(d @ axis) > ra + rb:
            return False
    return True


class _EdgeLabel(Text):
    """An edge label that re-runs its diagram's label layout before drawing, so the layout follows
    the figure's final geometry (``tight_layout``, another dpi in ``savefig``); a no-op when unchanged."""

    def __init__(self, diagram, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._diagram = diagram

    def draw(self, renderer):
        if self._diagram.labels and self.get_visible():
            self._diagram._layout_labels(self._diagram._label_names)
        super().draw(renderer)


class NetworkDiagram:
    """An MLP with layer ``sizes`` drawn on ``ax``; update edge values and node texts in place.

    Edges are identified by ``(key, index)``: ``("W2", (i, j))`` goes from unit ``i`` of layer 1 to
    unit ``j`` of layer 2; ``("b2", (j,))`` from the bias unit of layer 1 to unit ``j`` of layer 2.
    """

    def __init__(self, ax, sizes, max_width: float = 8.0, labels: bool | None = None, fontsize: float = 8,
                 min_width: float = 1.0):
        self.ax, self.sizes, self.max_width = ax, [int(s) for s in sizes], float(max_width)
        self.min_width = float(min_width)
        L = len(self.sizes) - 1
        self.L = L
        n_edges = sum((self.sizes[l - 1] + 1) * self.sizes[l] for l in range(1, L + 1))
        self.labels = n_edges <= 24 if labels is None else bool(labels)
        self.names = unit_names(self.sizes)
        dx, dy = 3.0, 1.6
        top = max(self.sizes) - 1
        self.pos = {}
        for l, d in enumerate(self.sizes):
            for j in range(d):
                self.pos[l, j] = (l * dx, ((d - 1) / 2 - j) * dy)
            if l < L:
                self.pos[l, -1] = (l * dx + 1.1, -top / 2 * dy - 1.3)
        r = 0.36
        ax.set_aspect("equal")
        ax.set_axis_off()
        xs = [p[0] for p in self.pos.values()]
        ys = [p[1] for p in self.pos.values()]
        ax.set_xlim(min(xs) - 0.9, max(xs) + 1.0)
        ax.set_ylim(min(ys) - 0.55, max(ys) + 1.1)
        self.r, self.fontsize, self.label_fontsize = r, float(fontsize), float(fontsize) - 1
        self._segments, self._layout_key, self._label_names, self._layout_cache = {}, None, {}, {}
        self._value_chars = 9  # characters of the longest value label (set_edges)
        self._has_values = False  # value texts beside the units (set_nodes): room is kept for them
        self.edges, self._edge_art, dynamic = [], {}, []
        for l in range(1, L + 1):
            for j in range(self.sizes[l]):
                for i in list(range(self.sizes[l - 1])) + [-1]:
                    key, idx = (f"W{l}", (i, j)) if i >= 0 else (f"b{l}", (j,))
                    (x0, y0), (x1, y1) = self.pos[l - 1, i], self.pos[l, j]
                    # trim to the circles' rims: edges never overlap units, so units can live in the
                    # cached background while edges are redrawn on top of it
                    u = np.array([x1 - x0, y1 - y0]) / np.hypot(x1 - x0, y1 - y0)
                    r0 = r * (0.7 if i < 0 else 1.0)
                    xa, ya, xb, yb = x0 + r0 * u[0], y0 + r0 * u[1], x1 - r * u[0], y1 - r * u[1]
                    base = Line2D([xa, xb], [ya, yb], color="#bbbbbb", lw=0.6, zorder=1)
                    line = Line2D([xa, xb], [ya, yb], color=POSITIVE, lw=0.0, solid_capstyle="butt", zorder=2)
                    flag = Line2D([xa, xb], [ya, yb], color=FLAG, lw=1.5, ls=(0, (3, 2)), zorder=3, visible=False)
                    for art in (base, line, flag):
                        ax.add_line(art)
                    dynamic += [line, flag]
                    # placed by _layout_labels (beside the line, clear of units and other labels)
                    label = _EdgeLabel(self, (x0 + x1) / 2, (y0 + y1) / 2, "", fontsize=self.label_fontsize,
                                       ha="center", va="center", rotation_mode="anchor", zorder=5,
                                       visible=self.labels)
                    ax._add_text(label) if hasattr(ax, "_add_text") else ax.add_artist(label)
                    self._segments[key, idx] = ((x0, y0), (x1, y1), r0, r)
                    dynamic.append(label)
                    self.edges.append((key, idx))
                    self._edge_art[key, idx] = dict(line=line, flag=flag, label=label, value=0.0, flagged=False,
                                                    shown=True)
        self._node_art = {}
        for (l, j), (x, y) in self.pos.items():
            bias = j < 0
            circle = Circle((x, y), r * (0.7 if bias else 1.0), fc="#f4f4f4" if bias else "white", ec="#333333",
                            lw=1.0, zorder=6)
            ax.add_patch(circle)
            name = ax.text(x, y, self.names[l, j], ha="center", va="center", fontsize=fontsize + (0 if bias else 1),
                           zorder=7)
            value = ax.text(x, y + r + 0.08, "", ha="center", va="bottom", fontsize=fontsize, zorder=7,
                            linespacing=1.1, visible=not bias)
            ring = Circle((x, y), r, fc="none", ec=FLAG, lw=2.2, zorder=8, visible=False)
            ax.add_patch(ring)
            dynamic += [value, ring]
            self._node_art[l, j] = dict(circle=circle, name=name, value=value, ring=ring)
        # titles and status lines live outside the picture (an HTML line in the widget, the caption in a
        # player): text is the costliest thing Agg draws, and these change on every redraw
        self.legend = ax.text(0.0, 0.0, "blue > 0, orange < 0, line width ∝ |value|  (forward view: weights w "
                              "and unit outputs; backward view: ∂E/∂w and δ)\nred dashed, ✗ r: this gradient "
                              "disagrees with finite differences, relative error r",
                              transform=ax.transAxes, ha="left", va="top", fontsize=fontsize - 1, color="#444444")
        set_dynamic(ax.figure, dynamic)

    # ------------------------------------------------------------------ updates
    def set_edges(self, values: dict, shown=None, flags: dict | None = None, names: dict | None = None) -> None:
        """Set every edge from ``values[key][index]``.

        Widths are ``max_width * |v| / max |v|``, at least ``min_width`` when ``v != 0`` (so the colour
        of the sign shows), with the maximum over *all* edges (so revealing
        edges one by one keeps their widths). ``shown``: the ``(key, index)`` edges to draw (the others
        keep only the hairline); ``flags``: ``{(key, index): rel_error}`` gradient-check mismatches;
        ``names``: ``{(key, index): display name}`` prefixed to the labels.
        """
        flags, names = flags or {}, names or {}
        vals = {e: float(np.asarray(values[e[0]])[e[1]]) for e in self.edges}
        # room for values as long as the longest shown now, rounded up to an even number of
        # characters (at least 4): a change of view may move the labels, a training step does not
        longest = max((len(_fmt(v)) for e, v in vals.items() if shown is None or e in shown), default=4)
        self._value_chars = max(4, 2 * -(-longest // 2))
        self._label_names = names
        self._layout_labels(names)
        vmax = max((abs(v) for v in vals.values() if np.isfinite(v)), default=0.0)
        for e in self.edges:
            art, v = self._edge_art[e], vals[e]
            on = shown is None or e in shown
            width = self.max_width * abs(v) / vmax if (on and vmax > 0 and np.isfinite(v)) else 0.0
            if width > 0:
                width = max(width, self.min_width)
            art["line"].set_linewidth(width)
            art["line"].set_color(POSITIVE if v >= 0 else NEGATIVE)
            art["line"].set_visible(on)
            bad = on and e in flags
            art["flag"].set_visible(bad)
            if self.labels:
                if bad:  # a wrong gradient: its name and relative error (short: flagged edges crowd)
                    text = (f"{names[e]} " if e in names else "") + f"✗ {flags[e]:.0e}"
                else:
                    text = (f"{names[e]} = " if e in names else "") + _fmt(v)
                art["label"].set_visible(on)
                art["label"].set_text(text if on else "")
                art["label"].set_color(FLAG if bad else "black")
            art.update(value=v, flagged=bad, shown=on)

    # ------------------------------------------------------------------ label placement
    #: where along an edge (0 = source rim, 1 = target rim) a label may go, in order of preference
    LABEL_FRACTIONS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85)

    def _layout_labels(self, names: dict) -> None:
        """Place every edge label so that no two labels, no label and unit, and no label and a unit's
        value text overlap (greedy, then two rounds of local improvement).

        A label is a rectangle of its widest text (``name = `` and ``_value_chars`` digits) rotated with its
        edge, centred at a fraction ``t`` along the edge and pushed off the line along the normal by
        half the widest line plus half its height, on either side. Each label takes the candidate
        ``(t, side)`` with the lowest cost: overlaps (with units, value texts and the labels placed so
        far) weigh most, then leaving the axes, then crossing other edges, then the distance from the
        preferred fraction (the middle; near the target unit for bias edges, whose sources are shared).
        Recomputed only when the names or the figure's pixel geometry change.
        """
        ax, fig = self.ax, self.ax.figure
        key = (tuple(sorted((str(k), str(v)) for k, v in names.items())), tuple(fig.bbox.bounds),
               tuple(ax.get_position(original=True).bounds), self._has_values, self._value_chars)
        if key == self._layout_key or not self.labels:
            return
        self._layout_key = key
        if key in self._layout_cache:  # e.g. back to the other view: its layout is known
            chosen = self._layout_cache[key]
        else:
            chosen = self._layout_cache[key] = self._compute_label_layout(names)
        inv = ax.transData.inverted().transform
        for e in self.edges:
            (c, u, _), on_line, shift = chosen[e][1:]
            label = self._edge_art[e]["label"]
            # anchored on the line, shifted off it in points: a caller may slide it along the edge with
            # set_position((x, y)) (a point on the edge) and it stays beside the line
            label.set_position(inv(on_line))
            label.set_transform(offset_copy(ax.transData, fig=fig, units="points",
                                            x=shift[0] * 72 / fig.dpi, y=shift[1] * 72 / fig.dpi))
            label.set_rotation(np.degrees(np.arctan2(u[1], u[0])))
        self.label_boxes = {e: chosen[e][1] for e in self.edges}

    def _compute_label_layout(self, names: dict) -> dict:
        """The chosen candidate ``(cost, rectangle, point on the edge, shift)`` per edge (pixels)."""
        ax, fig = self.ax, self.ax.figure
        ax.apply_aspect()
        to_px = ax.transData.transform
        renderer = fig.canvas.get_renderer()
        pad = 2.0 * fig.dpi / 72

        def size(text, fontsize):
            w, h, _ = renderer.get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)
            return w + 2 * pad, h + 2 * pad

        rects = []  # fixed obstacles: (centre, unit axis, half extents) in pixels
        r_px = abs(to_px((self.r, 0))[0] - to_px((0, 0))[0])
        _, line_h = size("z=-0.0000", self.fontsize)
        for (l, j), (x, y) in self.pos.items():
            c = to_px((x, y))
            rr = r_px * (0.7 if j < 0 else 1.0) + pad
            rects.append((c, np.array([1.0, 0.0]), np.array([rr, rr])))
            if j >= 0 and self._has_values:  # the value text above the unit: x=..., or z, a (and y, E at the outputs)
                lines = 1 if l == 0 else 4 if l == self.L else 2
                w, _ = size("z=-0.0000", self.fontsize)
                h = lines * (line_h - 2 * pad) * 1.1 + 2 * pad
                bottom = to_px((x, y + self.r + 0.08))[1]
                rects.append((np.array([c[0], bottom + h / 2]), np.array([1.0, 0.0]), np.array([w / 2, h / 2])))
        segments = {}
        for e, ((x0, y0), (x1, y1), r0, r1) in self._segments.items():
            p0, p1 = to_px((x0, y0)), to_px((x1, y1))
            u = (p1 - p0) / np.hypot(*(p1 - p0))
            a, b = p0 + u * r_px * r0 / self.r, p1 - u * r_px * r1 / self.r
            segments[e] = (a, b, u)
        box = ax.bbox
        off = (self.max_width / 2 + 1.0) * fig.dpi / 72
        seg_rects = {e: ((a + b) / 2, u, np.array([np.hypot(*(b - a)) / 2, 0.5])) for e, (a, b, u) in segments.items()}

        def candidates(e):
            a, b, u = segments[e]
            if u[0] < 0 or (u[0] == 0 and u[1] < 0):
                u = -u  # keep the text upright
            n = np.array([-u[1], u[0]])
            text = (f"{names[e]} = " if e in names else "") + "0" * self._value_chars
            w, h = size(text, self.label_fontsize)
            half = np.array([w / 2, h / 2])
            preferred = 0.7 if e[0][0] == "b" else 0.5
            out = []
            for t in self.LABEL_FRACTIONS:
                for side in (1, -1):
                    on_line = a + t * (b - a)
                    shift = side * (off + h / 2) * n
                    c = on_line + shift
                    corners = [c + sx * half[0] * u + sy * half[1] * n for sx in (-1, 1) for sy in (-1, 1)]
                    outside = sum(not (box.x0 <= p[0] <= box.x1 and box.y0 <= p[1] <= box.y1) for p in corners)
                    crossings = sum(_rects_overlap((c, u, half), seg_rects[o]) for o in segments if o != e)
                    fixed = sum(_rects_overlap((c, u, half), ob) for ob in rects)
                    base = 100.0 * fixed + 30.0 * outside + 8.0 * crossings + 4.0 * abs(t - preferred) + 0.3 * (side < 0)
                    out.append((base, (c, u, half), on_line, shift))
            return out

        cands = {e: candidates(e) for e in self.edges}
        chosen = {}

        def cost(e, cand, others):
            return cand[0] + 100.0 * sum(_rects_overlap(cand[1], chosen[o][1]) for o in others if o in chosen)

        order = sorted(self.edges, key=lambda e: min(c[0] for c in cands[e]), reverse=True)  # hardest first
        for _ in range(3):  # greedy pass, then local improvement given all the others
            for e in order:
                others = [o for o in self.edges if o != e]
                chosen[e] = min(cands[e], key=lambda cand: cost(e, cand, others))
        return chosen

    def set_nodes(self, texts: dict, highlight=()) -> None:
        """Set the value text beside each unit (``texts[(layer, unit)]``; missing units are cleared)."""
        self._has_values = self._has_values or any(texts.values())
        for key, art in self._node_art.items():
            if key[1] < 0:
                continue
            art["value"].set_text(texts.get(key, ""))
            art["ring"].set_visible(key in highlight)

    def edge_data(self) -> list[dict]:
        """What is drawn, edge by edge: key, index, value, linewidth, colour, flagged, label text."""
        out = []
        for e in self.edges:
            art = self._edge_art[e]
            out.append(dict(key=e[0], index=e[1], value=art["value"], linewidth=art["line"].get_linewidth(),
                            color=art["line"].get_color(), flagged=art["flagged"], shown=art["shown"],
                            label=art["label"].get_text()))
        return out

    def node_text(self, layer: int, unit: int) -> str:
        return self._node_art[layer, unit]["value"].get_text()


class ActivationPlot:
    """:math:`f(z)` and :math:`f'(z)` on a grid, shading where :math:`|f'(z)| <` threshold."""

    def __init__(self, ax, z=None):
        self.ax = ax
        self.z = np.linspace(-6, 6, 601) if z is None else np.asarray(z, dtype=np.float64)
        (self.f_line,) = ax.plot(self.z, np.zeros_like(self.z), color=POSITIVE, lw=2, label="f(z)")
        (self.df_line,) = ax.plot(self.z, np.zeros_like(self.z), color=NEGATIVE, lw=2, ls="--", label="f'(z)")
        self.shade = None
        ax.axhline(0, color="#999999", lw=0.6)
        ax.axvline(0, color="#999999", lw=0.6)
        ax.set_xlabel("z")
        ax.set_xlim(self.z[0], self.z[-1])
        ax.grid(alpha=0.3)
        self.legend = ax.legend(loc="upper left", fontsize=10)
        self.title = ax.set_title("", fontsize=11)
        set_dynamic(ax.figure, [self.f_line, self.df_line, self.legend, self.title], replace=True)

    def update(self, f_values, df_values, threshold: float, title: str = "") -> None:
        f_values, df_values = np.asarray(f_values, float), np.asarray(df_values, float)
        self.f_line.set_ydata(f_values)
        self.df_line.set_ydata(df_values)
        small = np.abs(df_values) < threshold
        lo = np.nanmin(np.r_[f_values, df_values, 0.0])
        hi = np.nanmax(np.r_[f_values, df_values, 1.0])
        pad = 0.08 * (hi - lo)
        # limits rounded outwards to half units: small parameter moves keep them, and the cached
        # background (axes, ticks, legend) stays valid
        ylim = (max(np.floor(2 * (lo - pad)) / 2, -10.0), min(np.ceil(2 * (hi + pad)) / 2, 10.0))
        if ylim != tuple(self.ax.get_ylim()):
            self.ax.set_ylim(*ylim)
            invalidate(self.ax.figure)
        old = self.shade
        self.shade = self.ax.fill_between(self.z, 0, 1, where=small, color="#999999", alpha=0.25, lw=0,
                                          transform=self.ax.get_xaxis_transform())
        replace_dynamic(self.ax.figure, old, self.shade)
        self.small_fraction = float(np.mean(small))
        self.title.set_text(title)


class GradientNormBars:
    """Bars of the gradient norm per layer (at initialisation, and now) on a log scale, plus a loss curve."""

    def __init__(self, ax_bars, ax_loss, n_layers: int):
        self.ax, self.ax_loss = ax_bars, ax_loss
        self.reset_layers(n_layers)
        (self.loss_line,) = ax_loss.plot([], [], color=POSITIVE, lw=1.5)
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("loss E")
        ax_loss.grid(alpha=0.3)
        ax_loss.ticklabel_format(axis="y", useOffset=False)  # no "+1.25e-1" offset text over the axis

    def reset_layers(self, n_layers: int) -> None:
        ax = self.ax
        ax.clear()
        x = np.arange(1, n_layers + 1)
        self.init_bars = ax.bar(x - 0.2, np.ones(n_layers), width=0.4, color="#bbbbbb", label="at initialisation")
        self.now_bars = ax.bar(x + 0.2, np.ones(n_layers), width=0.4, color=POSITIVE, label="now")
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.set_ylabel("‖∂E/∂W‖ of layer l")
        ax.legend(loc="upper left", fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        self.title = ax.set_title("", fontsize=10.5, loc="left")
        self.n_layers = n_layers

    def update(self, init_norms, now_norms, losses, title: str = "") -> None:
        init_norms, now_norms = np.asarray(init_norms, float), np.asarray(now_norms, float)
        if len(init_norms) != self.n_layers:
            self.reset_layers(len(init_norms))
        tiny = 1e-30
        for bar, h in zip(self.init_bars, init_norms):
            bar.set_height(max(h, tiny))
        for bar, h in zip(self.now_bars, now_norms):
            bar.set_height(max(h, tiny))
        both = np.r_[init_norms, now_norms]
        pos = both[both > 0]
        lo, hi = (pos.min(), pos.max()) if pos.size else (1e-3, 1.0)
        self.ax.set_ylim(lo / 3, hi * 3)
        steps = np.arange(len(losses))
        self.loss_line.set_data(steps, losses)
        self.ax_loss.set_xlim(0, max(1, len(losses) - 1))
        if len(losses):
            lo_l, hi_l = float(np.min(losses)), float(np.max(losses))
            pad = 0.05 * (hi_l - lo_l) + 1e-12
            self.ax_loss.set_ylim(lo_l - pad, hi_l + pad)
        self.title.set_text(title)


class PerceptronPlot:
    """Inputs of a two-input Boolean function, the boundary :math:`w_0 + w_1x_1 + w_2x_2 = 0`, mistakes circled."""

    def __init__(self, ax, X, y):
        self.ax, self.X, self.y = ax, np.asarray(X, float), np.asarray(y, float)
        pos, neg = self.y > 0.5, self.y <= 0.5
        ax.scatter(self.X[pos, 0], self.X[pos, 1], s=120, marker="o", color=POSITIVE, label="target 1", zorder=3)
        ax.scatter(self.X[neg, 0], self.X[neg, 1], s=120, marker="s", color=NEGATIVE, label="target 0", zorder=3)
        (self.wrong,) = ax.plot([], [], "o", ms=22, mfc="none", mec=FLAG, mew=2.5, label="misclassified", zorder=4)
        (self.boundary,) = ax.plot([], [], color="black", lw=2, label="boundary")
        (self.current,) = ax.plot([], [], "*", ms=16, color="gold", mec="black", zorder=5, label="just updated on")
        g = np.linspace(-0.5, 1.5, 81)
        self._gx, self._gy = np.meshgrid(g, g)
        from matplotlib.colors import ListedColormap

        self.region = ax.imshow(np.zeros_like(self._gx), origin="lower", extent=(-0.5, 1.5, -0.5, 1.5),
                                cmap=ListedColormap([NEGATIVE, POSITIVE]), vmin=0, vmax=1, alpha=0.12,
                                interpolation="nearest", zorder=0, aspect="auto")
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.5, 1.5)
        ax.set_xticks([-0.5, 0, 0.5, 1, 1.5])
        ax.set_yticks([-0.5, 0, 0.5, 1, 1.5])
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.legend(loc="upper left", fontsize=10, bbox_to_anchor=(1.04, 1.0), borderaxespad=0, markerscale=0.7,
                  labelspacing=1.1)
        self.title = ax.set_title("", fontsize=11)
        set_dynamic(ax.figure, [self.region, self.wrong, self.boundary, self.current, self.title], replace=True)

    def update(self, w, predictions, current=None, title: str = "") -> None:
        w = np.asarray(w, float)
        wrong = np.asarray(predictions, float) != self.y
        self.wrong.set_data(self.X[wrong, 0], self.X[wrong, 1])
        xs = np.array([-0.5, 1.5])
        if abs(w[2]) > 1e-12:
            self.boundary.set_data(xs, -(w[0] + w[1] * xs) / w[2])
        elif abs(w[1]) > 1e-12:
            self.boundary.set_data([-w[0] / w[1]] * 2, [-0.5, 1.5])
        else:
            self.boundary.set_data([], [])
        side = (w[0] + w[1] * self._gx + w[2] * self._gy) >= 0
        self.region.set_data(side.astype(float))
        if current is None:
            self.current.set_data([], [])
        else:
            self.current.set_data([self.X[current, 0]], [self.X[current, 1]])
        self.title.set_text(title)
        self.n_wrong = int(wrong.sum())
