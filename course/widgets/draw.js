// The course's pictures, drawn as SVG in the browser from a "scene": plain numbers and texts that
// Python computes (course/widgets/*.py). One file, used twice: the live widgets load it as the
// module of an anywidget, and the book's kernel-free players (course/static.py) inline it.
// No dependency, no network. Entry point: courseDraw(svg, scene).
//
// Text never overlaps: every label is measured (canvas measureText, the same font as the SVG text)
// and placed before it is drawn; axis ticks are thinned until their labels fit.

var COURSE_FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";
var COURSE_SVG_NS = "http://www.w3.org/2000/svg";
var courseMeasureCtx = null;
var courseLayoutCache = {};

function courseTextWidth(text, size) {
  if (!courseMeasureCtx) {
    courseMeasureCtx = document.createElement("canvas").getContext("2d");
  }
  courseMeasureCtx.font = size + "px " + COURSE_FONT;
  var w = 0;
  String(text).split("\n").forEach(function (line) { w = Math.max(w, courseMeasureCtx.measureText(line).width); });
  return w;
}

function courseEl(parent, tag, attrs, text) {
  var e = document.createElementNS(COURSE_SVG_NS, tag);
  for (var k in attrs) { if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]); }
  if (text !== undefined && text !== null) e.textContent = text;
  parent.appendChild(e);
  return e;
}

// A text element; several lines (split at "\n") are stacked so that the *last* line's bottom is at y
// when anchor is "bottom", the first line's top at y when "top", centred on y when "middle".
function courseText(parent, x, y, text, size, opts) {
  opts = opts || {};
  var lines = String(text).split("\n");
  var lh = size * 1.15;
  var n = lines.length;
  var first;  // baseline of the first line
  if (opts.anchor === "bottom") first = y - (n - 1) * lh - 0.25 * size;
  else if (opts.anchor === "top") first = y + 0.8 * size;
  else first = y - (n - 1) * lh / 2 + 0.35 * size;
  var t = courseEl(parent, "text", {
    x: x, y: first, "font-size": size, "text-anchor": opts.align || "middle", fill: opts.color || "#000",
    "font-family": COURSE_FONT, transform: opts.rotate ? "rotate(" + opts.rotate + " " + x + " " + y + ")" : null,
    "font-weight": opts.bold ? "bold" : null, "class": opts.cls || null});
  if (n === 1) { t.textContent = lines[0]; return t; }
  lines.forEach(function (line, k) {
    courseEl(t, "tspan", {x: x, dy: k === 0 ? 0 : lh}, line);
  });
  return t;
}

// The largest font size (at most `size`, at least 7) at which `text` fits in `width`.
function courseFit(text, size, width) {
  var s = size;
  while (s > 7 && courseTextWidth(text, s) > width) s -= 0.5;
  return s;
}

// ------------------------------------------------------------------------------ geometry
// Separating-axis test of two rotated rectangles {c: [x, y], u: [ux, uy] (unit axis), h: [half w, half h]}.
function courseRectsOverlap(A, B) {
  var na = [-A.u[1], A.u[0]], nb = [-B.u[1], B.u[0]];
  var d = [B.c[0] - A.c[0], B.c[1] - A.c[1]];
  var axes = [A.u, na, B.u, nb];
  for (var i = 0; i < 4; i++) {
    var ax = axes[i];
    var dot = function (p) { return p[0] * ax[0] + p[1] * ax[1]; };
    var ra = A.h[0] * Math.abs(dot(A.u)) + A.h[1] * Math.abs(dot(na));
    var rb = B.h[0] * Math.abs(dot(B.u)) + B.h[1] * Math.abs(dot(nb));
    if (Math.abs(dot(d)) > ra + rb) return false;
  }
  return true;
}

function courseBox(x0, y0, x1, y1) {
  return {c: [(x0 + x1) / 2, (y0 + y1) / 2], u: [1, 0], h: [Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2]};
}

// "Nice" ticks (1, 2, 5 x 10^k) covering [lo, hi], at most maxCount of them; with their label texts.
function courseTicks(lo, hi, maxCount) {
  maxCount = Math.max(2, maxCount);
  var span = hi - lo;
  var raw = span / (maxCount - 1);
  var mag = Math.pow(10, Math.floor(Math.log10(raw)));
  var steps = [1, 2, 2.5, 5, 10];
  var m = 10;
  for (var i = 0; i < steps.length; i++) {
    if (steps[i] * mag >= raw * (1 - 1e-9)) { m = steps[i]; break; }
  }
  var step = m * mag;
  var decimals = Math.max(0, -Math.round(Math.log10(mag)) - (m === 10 ? 1 : 0) + (m === 2.5 ? 1 : 0));
  var out = [];
  for (var v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    var r = Math.abs(v) < step * 1e-9 ? 0 : v;
    out.push({v: r, label: r.toFixed(Math.min(decimals, 10)).replace("-", "\u2212")});
  }
  return out;
}

var COURSE_SUPERSCRIPT = {"-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074",
                          "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079"};

function coursePow10(k) {
  return "10" + String(k).split("").map(function (c) { return COURSE_SUPERSCRIPT[c]; }).join("");
}

// An axes frame: linear or log y, ticks thinned so that labels never touch, grid, labels.
// box = {x0, y0, x1, y1} in pixels (y0 top); returns {sx, sy} mapping data to pixels.
function courseAxes(g, box, xr, yr, opts) {
  opts = opts || {};
  var fs = opts.fontsize || 11;
  var logy = !!opts.logy;
  var ylo = logy ? Math.log10(yr[0]) : yr[0], yhi = logy ? Math.log10(yr[1]) : yr[1];
  var sx = function (v) { return box.x0 + (v - xr[0]) / (xr[1] - xr[0]) * (box.x1 - box.x0); };
  var sy = function (v) {
    var t = logy ? Math.log10(Math.max(v, 1e-300)) : v;
    return box.y1 - (t - ylo) / (yhi - ylo) * (box.y1 - box.y0);
  };
  courseEl(g, "rect", {x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0, fill: "#fff",
                       stroke: "#444", "stroke-width": 0.8});
  var yticks;
  if (logy) {
    var k0 = Math.ceil(ylo - 1e-9), k1 = Math.floor(yhi + 1e-9);
    var room = Math.max(1, Math.floor((box.y1 - box.y0) / (fs * 1.8)));
    var every = Math.max(1, Math.ceil((k1 - k0 + 1) / room));
    yticks = [];
    for (var k = k0; k <= k1; k++) if ((k - k0) % every === 0) yticks.push({v: Math.pow(10, k), label: coursePow10(k)});
  } else {
    yticks = opts.yticks || courseTicks(yr[0], yr[1], Math.floor((box.y1 - box.y0) / (fs * 2.2)) + 1);
  }
  var inRange = function (ts) { return ts.filter(function (t) { return t.v >= xr[0] - 1e-9 && t.v <= xr[1] + 1e-9; }); };
  var autoTicks = function (count) {
    var ts = courseTicks(xr[0], xr[1], count);
    if (opts.integerX) {
      ts = ts.filter(function (t) { return Math.abs(t.v - Math.round(t.v)) < 1e-9; })
        .map(function (t) { return {v: t.v, label: String(Math.round(t.v))}; });
    }
    return inRange(ts);
  };
  var fitsX = function (ts) {
    for (var i = 1; i < ts.length; i++) {
      var gap = sx(ts[i].v) - sx(ts[i - 1].v);
      if (gap < (courseTextWidth(ts[i].label, fs) + courseTextWidth(ts[i - 1].label, fs)) / 2 + 6) return false;
    }
    return true;
  };
  var count = Math.floor((box.x1 - box.x0) / (3 * fs)) + 1;
  var xt = opts.xticks ? inRange(opts.xticks) : autoTicks(count);
  while (xt.length > 2 && !fitsX(xt)) {  // fewer ticks until neighbouring labels keep a gap
    if (opts.xticks || count <= 2) xt = xt.filter(function (t, i) { return i % 2 === 0; });
    else { count -= 1; xt = autoTicks(count); }
  }
  // x tick labels sit below the lowest y tick label's reach, so the corner never crowds
  var xtY = box.y1 + 0.75 * fs + 3;
  var grid = courseEl(g, "g", {stroke: "#ddd", "stroke-width": 0.7});
  xt.forEach(function (t) {
    if (opts.grid !== false) courseEl(grid, "line", {x1: sx(t.v), x2: sx(t.v), y1: box.y0, y2: box.y1});
    courseEl(g, "line", {x1: sx(t.v), x2: sx(t.v), y1: box.y1, y2: box.y1 + 4, stroke: "#444"});
    courseText(g, sx(t.v), xtY, t.label, fs, {anchor: "top", cls: "tick"});
  });
  var yt = yticks.filter(function (t) { return sy(t.v) >= box.y0 - 0.5 && sy(t.v) <= box.y1 + 0.5; });
  var widestY = 0;
  yt.forEach(function (t) {
    if (opts.grid !== false) courseEl(grid, "line", {x1: box.x0, x2: box.x1, y1: sy(t.v), y2: sy(t.v)});
    courseEl(g, "line", {x1: box.x0 - 4, x2: box.x0, y1: sy(t.v), y2: sy(t.v), stroke: "#444"});
    courseText(g, box.x0 - 6, sy(t.v), t.label, fs, {align: "end", cls: "tick"});
    widestY = Math.max(widestY, courseTextWidth(t.label, fs));
  });
  if (opts.xlabel) {
    var xs = courseFit(opts.xlabel, fs + 1, box.x1 - box.x0 + 40);
    courseText(g, (box.x0 + box.x1) / 2, xtY + fs * 1.3, opts.xlabel, xs, {anchor: "top"});
  }
  if (opts.ylabel) {
    var ys = courseFit(opts.ylabel, fs + 1, box.y1 - box.y0);
    courseText(g, box.x0 - 12 - widestY - ys * 0.6, (box.y0 + box.y1) / 2, opts.ylabel, ys, {rotate: -90});
  }
  return {sx: sx, sy: sy};
}

function coursePolyline(g, xs, ys, sx, sy, attrs) {
  var pts = [], parts = [];
  for (var i = 0; i < xs.length; i++) {
    if (ys[i] === null || !isFinite(ys[i])) { if (pts.length) parts.push(pts); pts = []; continue; }
    pts.push(sx(xs[i]).toFixed(2) + "," + sy(ys[i]).toFixed(2));
  }
  if (pts.length) parts.push(pts);
  parts.forEach(function (p) {
    var a = {points: p.join(" "), fill: "none"};
    for (var k in attrs) a[k] = attrs[k];
    courseEl(g, "polyline", a);
  });
}

function courseLegend(g, x, y, items, fs, opts) {
  opts = opts || {};
  var lh = fs * 1.6, w = 0;
  items.forEach(function (it) { w = Math.max(w, courseTextWidth(it.label, fs)); });
  var box = courseEl(g, "rect", {x: x, y: y, width: w + 40, height: items.length * lh + 6, fill: "#fff",
                                  "fill-opacity": 0.85, stroke: "#ccc", rx: 3});
  items.forEach(function (it, k) {
    var cy = y + 3 + lh * (k + 0.5);
    if (it.kind === "line") {
      courseEl(g, "line", {x1: x + 6, x2: x + 28, y1: cy, y2: cy, stroke: it.color, "stroke-width": it.width || 2,
                           "stroke-dasharray": it.dash || null});
    } else if (it.kind === "rect") {
      courseEl(g, "rect", {x: x + 10, y: cy - 5, width: 12, height: 10, fill: it.color, opacity: it.opacity || 1});
    } else {
      courseMarker(g, it.kind, x + 17, cy, it);
    }
    courseText(g, x + 34, cy, it.label, fs, {align: "start"});
  });
  return {width: w + 40, height: items.length * lh + 6, box: box};
}

function courseMarker(g, kind, x, y, it) {
  var s = it.size || 7;
  if (kind === "circle") courseEl(g, "circle", {cx: x, cy: y, r: s, fill: it.color});
  else if (kind === "square") courseEl(g, "rect", {x: x - s, y: y - s, width: 2 * s, height: 2 * s, fill: it.color});
  else if (kind === "ring") courseEl(g, "circle", {cx: x, cy: y, r: s, fill: "none", stroke: it.color, "stroke-width": 2.5});
  else if (kind === "star") {
    var pts = [];
    for (var k = 0; k < 10; k++) {
      var r = k % 2 ? s * 0.45 : s, a = -Math.PI / 2 + k * Math.PI / 5;
      pts.push((x + r * Math.cos(a)).toFixed(2) + "," + (y + r * Math.sin(a)).toFixed(2));
    }
    courseEl(g, "polygon", {points: pts.join(" "), fill: it.color, stroke: "#000", "stroke-width": 0.8});
  }
}

// ------------------------------------------------------------------------------ network diagram
// scene: {kind: "network", sizes, units: [{layer, unit, name, text, ring}], edges: [{src: [l, i], dst: [l, j],
//   key, index, width, color, flagged, shown, label, label_color, prefix}], label_chars, labels (bool), legend}
function courseNetworkGeometry(s) {
  var S = 80, dx = 3.0, dy = 1.6, r = 0.36;
  var sizes = s.sizes, L = sizes.length - 1;
  var top = Math.max.apply(null, sizes) - 1;
  var pos = {};
  sizes.forEach(function (d, l) {
    for (var j = 0; j < d; j++) pos[l + "," + j] = [l * dx * S, -((d - 1) / 2 - j) * dy * S];
    if (l < L) pos[l + ",-1"] = [(l * dx + 1.1) * S, (top / 2 * dy + 1.3) * S];
  });
  return {S: S, r: r * S, pos: pos, L: L};
}

function courseNetworkLayout(s, geo, fs, vfs) {
  var key = JSON.stringify([s.sizes, s.edges.map(function (e) { return e.prefix || ""; }), s.label_chars,
                            s.has_values, fs, vfs, COURSE_FONT]);
  if (courseLayoutCache[key]) return courseLayoutCache[key];
  var pad = 2;
  var obstacles = [];
  var lineH = fs * 1.2 + 2 * pad;
  var valueW = courseTextWidth("z=\u22120.0000", vfs) + 2 * pad;
  s.units.forEach(function (u) {
    var c = geo.pos[u.layer + "," + u.unit];
    var rr = geo.r * (u.unit < 0 ? 0.7 : 1) + pad;
    obstacles.push({c: c, u: [1, 0], h: [rr, rr]});
    if (u.unit >= 0 && s.has_values) {
      var lines = u.layer === 0 ? 1 : (u.layer === geo.L ? 4 : 2);
      var h = lines * vfs * 1.15 + 2 * pad;
      var bottom = c[1] - geo.r - 0.08 * geo.S;
      obstacles.push(courseBox(c[0] - valueW / 2, bottom - h, c[0] + valueW / 2, bottom));
    }
  });
  var segs = s.edges.map(function (e) {
    var p0 = geo.pos[e.src[0] + "," + e.src[1]], p1 = geo.pos[e.dst[0] + "," + e.dst[1]];
    var len = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
    var u = [(p1[0] - p0[0]) / len, (p1[1] - p0[1]) / len];
    var r0 = geo.r * (e.src[1] < 0 ? 0.7 : 1);
    var a = [p0[0] + u[0] * r0, p0[1] + u[1] * r0], b = [p1[0] - u[0] * geo.r, p1[1] - u[1] * geo.r];
    return {a: a, b: b, u: u, bias: e.src[1] < 0};
  });
  var segRects = segs.map(function (g) {
    return {c: [(g.a[0] + g.b[0]) / 2, (g.a[1] + g.b[1]) / 2], u: g.u,
            h: [Math.hypot(g.b[0] - g.a[0], g.b[1] - g.a[1]) / 2, 0.5]};
  });
  var off = 8 / 2 + 1.5;
  var fractions = [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85];
  var cands = s.edges.map(function (e, i) {
    var g = segs[i];
    var u = g.u;
    if (u[0] < 0 || (u[0] === 0 && u[1] > 0)) u = [-u[0], -u[1]];  // keep the text upright
    var n = [-u[1], u[0]];
    var text = (e.prefix || "") + new Array((s.label_chars || 4) + 1).join("0");
    var half = [courseTextWidth(text, fs) / 2 + pad, lineH / 2];
    var preferred = g.bias ? 0.7 : 0.5;
    var out = [];
    fractions.forEach(function (t) {
      [1, -1].forEach(function (side) {
        var on = [g.a[0] + t * (g.b[0] - g.a[0]), g.a[1] + t * (g.b[1] - g.a[1])];
        var shift = [side * (off + half[1]) * n[0], side * (off + half[1]) * n[1]];
        var c = [on[0] + shift[0], on[1] + shift[1]];
        var rect = {c: c, u: u, h: half};
        var fixed = 0, crossings = 0;
        obstacles.forEach(function (ob) { if (courseRectsOverlap(rect, ob)) fixed++; });
        segRects.forEach(function (sr, k) { if (k !== i && courseRectsOverlap(rect, sr)) crossings++; });
        out.push({cost: 100 * fixed + 8 * crossings + 4 * Math.abs(t - preferred) + 0.3 * (side < 0 ? 1 : 0),
                  rect: rect, angle: Math.atan2(u[1], u[0]) * 180 / Math.PI});
      });
    });
    return out;
  });
  var chosen = new Array(s.edges.length);
  var order = s.edges.map(function (e, i) { return i; });
  order.sort(function (a, b) {
    var ma = Math.min.apply(null, cands[a].map(function (c) { return c.cost; }));
    var mb = Math.min.apply(null, cands[b].map(function (c) { return c.cost; }));
    return mb - ma;  // hardest first
  });
  for (var round = 0; round < 3; round++) {
    order.forEach(function (i) {
      var best = null, bestCost = Infinity;
      cands[i].forEach(function (c) {
        var cost = c.cost;
        for (var k = 0; k < chosen.length; k++) {
          if (k !== i && chosen[k] && courseRectsOverlap(c.rect, chosen[k].rect)) cost += 100;
        }
        if (cost < bestCost) { bestCost = cost; best = c; }
      });
      chosen[i] = best;
    });
  }
  var result = {labels: chosen, obstacles: obstacles, valueW: valueW};
  courseLayoutCache[key] = result;
  return result;
}

function courseDrawNetwork(svg, s) {
  var geo = courseNetworkGeometry(s);
  var fs = 11, vfs = 12, nfs = 14;
  var layout = s.labels ? courseNetworkLayout(s, geo, fs, vfs) : null;
  var g = courseEl(svg, "g", {});
  var base = courseEl(g, "g", {stroke: "#bbb", "stroke-width": 0.8});
  var lines = courseEl(g, "g", {"stroke-linecap": "butt"});
  var flags = courseEl(g, "g", {stroke: "#d62728", "stroke-width": 2, "stroke-dasharray": "4 3", fill: "none"});
  s.edges.forEach(function (e) {
    var p0 = geo.pos[e.src[0] + "," + e.src[1]], p1 = geo.pos[e.dst[0] + "," + e.dst[1]];
    var len = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
    var u = [(p1[0] - p0[0]) / len, (p1[1] - p0[1]) / len];
    var r0 = geo.r * (e.src[1] < 0 ? 0.7 : 1);
    var a = [p0[0] + u[0] * r0, p0[1] + u[1] * r0], b = [p1[0] - u[0] * geo.r, p1[1] - u[1] * geo.r];
    var xy = {x1: a[0].toFixed(2), y1: a[1].toFixed(2), x2: b[0].toFixed(2), y2: b[1].toFixed(2)};
    courseEl(base, "line", xy);
    if (e.shown && e.width > 0) {
      var l = courseEl(lines, "line", xy);
      l.setAttribute("stroke", e.color);
      l.setAttribute("stroke-width", (e.width * 4 / 3).toFixed(2));
      l.setAttribute("class", "edge");
      l.setAttribute("data-edge", e.key + "[" + e.index.join(",") + "]");
    }
    if (e.shown && e.flagged) courseEl(flags, "line", xy);
  });
  var units = courseEl(g, "g", {});
  s.units.forEach(function (u) {
    var c = geo.pos[u.layer + "," + u.unit];
    var bias = u.unit < 0;
    courseEl(units, "circle", {cx: c[0], cy: c[1], r: geo.r * (bias ? 0.7 : 1), fill: bias ? "#f4f4f4" : "#fff",
                               stroke: "#333", "stroke-width": 1.2});
    courseText(units, c[0], c[1], u.name, bias ? nfs - 2 : nfs, {cls: "unit-name"});
    if (u.ring) courseEl(units, "circle", {cx: c[0], cy: c[1], r: geo.r, fill: "none", stroke: "#d62728",
                                            "stroke-width": 3});
    if (!bias && u.text) {
      courseText(units, c[0], c[1] - geo.r - 0.08 * geo.S, u.text, vfs, {anchor: "bottom", cls: "unit-value"});
    }
  });
  if (layout) {
    var labels = courseEl(g, "g", {});
    s.edges.forEach(function (e, i) {
      if (!e.shown || !e.label) return;
      var ch = layout.labels[i];
      courseText(labels, ch.rect.c[0], ch.rect.c[1], e.label, fs,
                 {rotate: ch.angle, color: e.label_color || "#000", cls: "edge-label"});
    });
  }
  // the frame: every unit, its value text and every label inside, with a band for the legend
  var xs = [], ys = [];
  Object.keys(geo.pos).forEach(function (k) { xs.push(geo.pos[k][0]); ys.push(geo.pos[k][1]); });
  var x0 = Math.min.apply(null, xs) - geo.r - 50, x1 = Math.max.apply(null, xs) + geo.r + 50;
  var y0 = Math.min.apply(null, ys) - geo.r - 0.08 * geo.S - 4 * vfs * 1.15 - 8;
  var y1 = Math.max.apply(null, ys) + geo.r + 10;
  if (layout) {
    layout.labels.forEach(function (ch) {
      var ext = [Math.abs(ch.rect.u[0]) * ch.rect.h[0] + Math.abs(ch.rect.u[1]) * ch.rect.h[1],
                 Math.abs(ch.rect.u[1]) * ch.rect.h[0] + Math.abs(ch.rect.u[0]) * ch.rect.h[1]];
      x0 = Math.min(x0, ch.rect.c[0] - ext[0] - 4); x1 = Math.max(x1, ch.rect.c[0] + ext[0] + 4);
      y0 = Math.min(y0, ch.rect.c[1] - ext[1] - 4); y1 = Math.max(y1, ch.rect.c[1] + ext[1] + 4);
    });
  }
  var legend = s.legend || [];
  var lfs = courseFit(legend.reduce(function (a, b) { return a.length > b.length ? a : b; }, ""), 11, x1 - x0 - 8);
  legend.forEach(function (line, k) {
    courseText(g, x0 + 4, y1 + 4 + k * lfs * 1.3, line, lfs, {anchor: "top", align: "start", color: "#444",
                                                               cls: "legend"});
  });
  y1 += 10 + legend.length * lfs * 1.3;
  return [x0, y0, x1 - x0, y1 - y0];
}

// ------------------------------------------------------------------------------ activation plot
// scene: {kind: "activation", z: [...], f: [...], df: [...], threshold, title}
function courseDrawActivation(svg, s) {
  var W = 760, H = 340;
  var g = courseEl(svg, "g", {});
  var fs = 11;
  var all = s.f.concat(s.df).filter(function (v) { return v !== null && isFinite(v); });
  var lo = Math.min(0, Math.min.apply(null, all)), hi = Math.max(1, Math.max.apply(null, all));
  var pad = 0.08 * (hi - lo);
  var ylo = Math.max(Math.floor(2 * (lo - pad)) / 2, -10), yhi = Math.min(Math.ceil(2 * (hi + pad)) / 2, 10);
  var box = {x0: 60, y0: 40, x1: W - 15, y1: H - 45};
  var zr = [s.z[0], s.z[s.z.length - 1]];
  var clip = "course-clip-" + Math.random().toString(36).slice(2);
  var defs = courseEl(g, "defs", {});
  var cp = courseEl(defs, "clipPath", {id: clip});
  courseEl(cp, "rect", {x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0});
  var ax = courseAxes(g, box, zr, [ylo, yhi], {fontsize: fs, xlabel: "z"});
  var plot = courseEl(g, "g", {"clip-path": "url(#" + clip + ")"});
  // shaded: where |f'(z)| < threshold (runs of consecutive grid points, edges half-way between points)
  var n = s.z.length, start = -1;
  for (var i = 0; i <= n; i++) {
    var small = i < n && Math.abs(s.df[i]) < s.threshold;
    if (small && start < 0) start = i;
    if (!small && start >= 0) {
      var za = start === 0 ? s.z[0] : (s.z[start - 1] + s.z[start]) / 2;
      var zb = i === n ? s.z[n - 1] : (s.z[i - 1] + s.z[i]) / 2;
      courseEl(plot, "rect", {x: ax.sx(za), y: box.y0, width: Math.max(0, ax.sx(zb) - ax.sx(za)), height: box.y1 - box.y0,
                              fill: "#999", "fill-opacity": 0.25, "class": "shade"});
      start = -1;
    }
  }
  courseEl(plot, "line", {x1: box.x0, x2: box.x1, y1: ax.sy(0), y2: ax.sy(0), stroke: "#999", "stroke-width": 0.8});
  courseEl(plot, "line", {x1: ax.sx(0), x2: ax.sx(0), y1: box.y0, y2: box.y1, stroke: "#999", "stroke-width": 0.8});
  coursePolyline(plot, s.z, s.f, ax.sx, ax.sy, {stroke: "#1f77b4", "stroke-width": 2.2, "class": "f"});
  coursePolyline(plot, s.z, s.df, ax.sx, ax.sy, {stroke: "#e66100", "stroke-width": 2.2, "stroke-dasharray": "7 4",
                                                 "class": "df"});
  courseLegend(g, box.x0 + 8, box.y0 + 8, [{kind: "line", color: "#1f77b4", label: "f(z)"},
                                           {kind: "line", color: "#e66100", dash: "7 4", label: "f\u2032(z)"},
                                           {kind: "rect", color: "#999", opacity: 0.35,
                                            label: "|f\u2032(z)| < " + s.threshold_text}], fs);
  courseText(g, (box.x0 + box.x1) / 2, 18, s.title, courseFit(s.title, 13, W - 20), {cls: "title"});
  return [0, 0, W, H];
}

// ------------------------------------------------------------------------------ gradient-norm bars
// scene: {kind: "bars", init: [...], now: [...], losses: [...], title}
function courseDrawBars(svg, s) {
  var W = 760, H = 360, fs = 11;
  var g = courseEl(svg, "g", {});
  var n = s.init.length;
  var pos = s.init.concat(s.now).filter(function (v) { return v > 0 && isFinite(v); });
  var lo = pos.length ? Math.min.apply(null, pos) : 1e-3, hi = pos.length ? Math.max.apply(null, pos) : 1;
  var yr = [Math.pow(10, Math.floor(Math.log10(lo / 2))), Math.pow(10, Math.ceil(Math.log10(hi * 2)))];
  var title = s.title;
  courseText(g, W / 2, 16, title, courseFit(title, 13, W - 20), {cls: "title"});
  courseLegend(g, 90, 30, [{kind: "rect", color: "#bbb", label: "at initialisation"}], fs);
  courseLegend(g, 250, 30, [{kind: "rect", color: "#1f77b4", label: "now"}], fs);
  var box = {x0: 90, y0: 68, x1: 450, y1: H - 50};
  var xticks = [];
  for (var l = 1; l <= n; l++) xticks.push({v: l, label: String(l)});
  var ax = courseAxes(g, box, [0.4, n + 0.6], yr, {fontsize: fs, logy: true, xticks: xticks, grid: true,
                                                    xlabel: "layer l (1 = next to the input)",
                                                    ylabel: "\u2016\u2202E/\u2202W\u2016 of layer l"});
  var bw = (box.x1 - box.x0) / (n + 0.2) * 0.38;
  for (var k = 0; k < n; k++) {
    [[s.init[k], "#bbb", -1, "bar-init"], [s.now[k], "#1f77b4", 0, "bar-now"]].forEach(function (b) {
      var v = Math.max(b[0], 1e-300);
      var x = ax.sx(k + 1) + b[2] * bw;
      var ytop = Math.max(box.y0, ax.sy(v));
      courseEl(g, "rect", {x: x, y: ytop, width: bw, height: Math.max(0, box.y1 - ytop), fill: b[1], "class": b[3],
                           "data-value": b[0]});
    });
  }
  var lbox = {x0: 560, y0: 68, x1: W - 15, y1: H - 50};
  var losses = s.losses.filter(function (v) { return isFinite(v); });
  var llo = Math.min.apply(null, losses), lhi = Math.max.apply(null, losses);
  var spread = lhi - llo, scale = Math.max(Math.abs(lhi), Math.abs(llo), 1e-12);
  if (spread < 1e-3 * scale) { llo -= 0.01 * scale; lhi += 0.01 * scale; }  // one value: a readable band
  else { llo -= 0.05 * spread; lhi += 0.05 * spread; }
  var steps = Math.max(1, s.losses.length - 1);
  var lax = courseAxes(g, lbox, [0, steps], [llo, lhi], {fontsize: fs, xlabel: "training step", ylabel: "loss E",
                                                          integerX: true});
  var xs = s.losses.map(function (v, i) { return i; });
  if (s.losses.length === 1) {
    courseEl(g, "circle", {cx: lax.sx(0), cy: lax.sy(s.losses[0]), r: 3, fill: "#1f77b4", "class": "loss"});
  } else {
    coursePolyline(g, xs, s.losses, lax.sx, lax.sy, {stroke: "#1f77b4", "stroke-width": 1.8, "class": "loss"});
  }
  return [0, 0, W, H];
}

// ------------------------------------------------------------------------------ perceptron
// scene: {kind: "perceptron", X: [[x1, x2], ...], y: [...], w: [w0, w1, w2], wrong: [...], current, title}
function courseClipHalfPlane(poly, w, sign) {
  var out = [];
  var f = function (p) { return sign * (w[0] + w[1] * p[0] + w[2] * p[1]); };
  for (var i = 0; i < poly.length; i++) {
    var a = poly[i], b = poly[(i + 1) % poly.length];
    var fa = f(a), fb = f(b);
    if (fa >= 0) out.push(a);
    if ((fa >= 0) !== (fb >= 0)) {
      var t = fa / (fa - fb);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
  }
  return out;
}

function courseDrawPerceptron(svg, s) {
  var W = 680, H = 440, fs = 11;
  var g = courseEl(svg, "g", {});
  var box = {x0: 70, y0: 70, x1: 370, y1: 370};
  var ticks = [-0.5, 0, 0.5, 1, 1.5].map(function (v) { return {v: v, label: String(v).replace("-", "\u2212")}; });
  var clip = "course-clip-" + Math.random().toString(36).slice(2);
  var cp = courseEl(courseEl(g, "defs", {}), "clipPath", {id: clip});
  courseEl(cp, "rect", {x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0});
  var ax = courseAxes(g, box, [-0.5, 1.5], [-0.5, 1.5], {fontsize: fs, xticks: ticks, yticks: ticks, xlabel: "x\u2081",
                                                         ylabel: "x\u2082"});
  var plot = courseEl(g, "g", {"clip-path": "url(#" + clip + ")"});
  var square = [[-0.5, -0.5], [1.5, -0.5], [1.5, 1.5], [-0.5, 1.5]];
  var toPts = function (poly) { return poly.map(function (p) { return ax.sx(p[0]).toFixed(2) + "," + ax.sy(p[1]).toFixed(2); }).join(" "); };
  var positive = courseClipHalfPlane(square, s.w, 1);
  var negative = courseClipHalfPlane(square, s.w, -1);
  if (negative.length > 2 && !(s.w[1] === 0 && s.w[2] === 0 && s.w[0] >= 0)) {
    courseEl(plot, "polygon", {points: toPts(negative), fill: "#e66100", "fill-opacity": 0.12, "class": "region-0"});
  }
  if (positive.length > 2) courseEl(plot, "polygon", {points: toPts(positive), fill: "#1f77b4", "fill-opacity": 0.12,
                                                       "class": "region-1"});
  if (Math.abs(s.w[1]) > 1e-12 || Math.abs(s.w[2]) > 1e-12) {
    var on = [];
    for (var i = 0; i < 4; i++) {
      var a = square[i], b = square[(i + 1) % 4];
      var fa = s.w[0] + s.w[1] * a[0] + s.w[2] * a[1], fb = s.w[0] + s.w[1] * b[0] + s.w[2] * b[1];
      if (fa === fb) continue;
      var t = fa / (fa - fb);
      if (t >= 0 && t <= 1) on.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    }
    if (on.length >= 2) {
      courseEl(plot, "line", {x1: ax.sx(on[0][0]), y1: ax.sy(on[0][1]), x2: ax.sx(on[1][0]), y2: ax.sy(on[1][1]),
                              stroke: "#000", "stroke-width": 2.5, "class": "boundary"});
    }
  }
  s.X.forEach(function (p, k) {
    var x = ax.sx(p[0]), y = ax.sy(p[1]);
    courseMarker(plot, s.y[k] > 0.5 ? "circle" : "square", x, y, {color: s.y[k] > 0.5 ? "#1f77b4" : "#e66100", size: 8});
    if (s.wrong[k]) courseMarker(plot, "ring", x, y, {color: "#d62728", size: 15});
    if (s.current === k) courseMarker(plot, "star", x, y, {color: "gold", size: 11});
  });
  courseLegend(g, box.x1 + 20, box.y0, [
    {kind: "circle", color: "#1f77b4", label: "target 1", size: 6},
    {kind: "square", color: "#e66100", label: "target 0", size: 6},
    {kind: "ring", color: "#d62728", label: "misclassified", size: 8},
    {kind: "line", color: "#000", width: 2.5, label: "boundary"},
    {kind: "star", color: "gold", label: "just updated on", size: 9}], fs + 1);
  var lines = String(s.title).split("\n");
  lines.forEach(function (line, k) {
    courseText(g, W / 2, 18 + k * 18, line, courseFit(line, 13, W - 20), {cls: "title"});
  });
  return [0, 0, W, H];
}

// ------------------------------------------------------------------------------ entry point
var COURSE_DRAW = {network: courseDrawNetwork, activation: courseDrawActivation, bars: courseDrawBars,
                   perceptron: courseDrawPerceptron};

function courseDraw(svg, scene) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  if (!scene || !COURSE_DRAW[scene.kind]) return;
  var vb = COURSE_DRAW[scene.kind](svg, scene);
  svg.setAttribute("viewBox", vb.map(function (v) { return v.toFixed(1); }).join(" "));
  svg.setAttribute("data-width", vb[2].toFixed(0));
  svg.style.maxWidth = Math.ceil(vb[2]) + "px";
  if (scene.alt) svg.setAttribute("aria-label", scene.alt);
}
