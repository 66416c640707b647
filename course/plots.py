r"""Static figures with matplotlib (public API only): the network diagram the book draws on its own axes.

The live widgets and the kernel-free players draw in the browser (:mod:`course.widgets`); this module
is for a figure of the book that is a plain matplotlib figure:

* :class:`NetworkDiagram` -- an MLP as a graph on a matplotlib ``Axes``. Edges carry a value per weight:
  colour = sign (:data:`POSITIVE` / :data:`NEGATIVE`), line width proportional to the magnitude,
  ``width = max(min_width, max_width * |v| / max |v|)`` for ``v != 0``. A grey hairline under every
  edge keeps zero-valued edges visible. Flagged edges get a red dashed overlay and a red label.
  Bias weights are edges from a "+1" unit (the :math:`x_0 = 1` convention). Edge labels are placed
  so that no two overlap (:meth:`NetworkDiagram._layout_labels`).

``new_figure`` makes a :class:`matplotlib.figure.Figure` that is *not* registered with pyplot.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.text import Text
from matplotlib.transforms import offset_copy

from .widgets.base import FLAG, NEGATIVE, POSITIVE, fmt
from .widgets.tables import unit_names

__all__ = ["POSITIVE", "NEGATIVE", "FLAG", "new_figure", "rects_overlap", "NetworkDiagram"]

def new_figure(width: float = 7.6, height: float = 4.2, dpi: float = 100) -> Figure:
    """A figure with an Agg canvas, independent of pyplot (never auto-displayed, never leaked)."""
    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def rects_overlap(A, B) -> bool:
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
        self.edges, self._edge_art = [], {}
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
                    # placed by _layout_labels (beside the line, clear of units and other labels)
                    label = _EdgeLabel(self, (x0 + x1) / 2, (y0 + y1) / 2, "", fontsize=self.label_fontsize,
                                       ha="center", va="center", rotation_mode="anchor", zorder=5,
                                       visible=self.labels)
                    ax.add_artist(label)
                    self._segments[key, idx] = ((x0, y0), (x1, y1), r0, r)
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
            self._node_art[l, j] = dict(circle=circle, name=name, value=value, ring=ring)
        # titles and status lines live outside the picture (an HTML line in the widget, the caption in a
        # player): text is the costliest thing Agg draws, and these change on every redraw
        self.legend = ax.text(0.0, 0.0, "blue > 0, orange < 0, line width ∝ |value|  (forward view: weights w "
                              "and unit outputs; backward view: ∂E/∂w and δ)\nred dashed, ✗ r: this gradient "
                              "disagrees with finite differences, relative error r",
                              transform=ax.transAxes, ha="left", va="top", fontsize=fontsize - 1, color="#444444")

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
        longest = max((len(fmt(v)) for e, v in vals.items() if shown is None or e in shown), default=4)
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
                    text = (f"{names[e]} = " if e in names else "") + fmt(v)
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
                    crossings = sum(rects_overlap((c, u, half), seg_rects[o]) for o in segments if o != e)
                    fixed = sum(rects_overlap((c, u, half), ob) for ob in rects)
                    base = 100.0 * fixed + 30.0 * outside + 8.0 * crossings + 4.0 * abs(t - preferred) + 0.3 * (side < 0)
                    out.append((base, (c, u, half), on_line, shift))
            return out

        cands = {e: candidates(e) for e in self.edges}
        chosen = {}

        def cost(e, cand, others):
            return cand[0] + 100.0 * sum(rects_overlap(cand[1], chosen[o][1]) for o in others if o in chosen)

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
