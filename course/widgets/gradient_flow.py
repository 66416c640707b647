r"""The gradient-flow explorer: an MLP as a graph, with the gradients of *your* ``backward`` on its edges."""
from __future__ import annotations

import html

import numpy as np

from ..core.lecture import LECTURE_221_ETA, LECTURE_221_X, LECTURE_221_Y, lecture_221_params
from ..core.numerics import DEFAULT_TOL
from ..core.params import layer_sizes
from ..protocol import call_backward, call_forward, call_update, check_gradients, make_loss
from .base import FLAG, NEGATIVE, POSITIVE, LiveWidget, fmt
from .player import HtmlPlayer
from .tables import names_and_table, unit_names

__all__ = ["GradientFlowExplorer"]

MAX_WIDTH, MIN_WIDTH = 8.0, 1.0  # edge line widths (points): the largest |value|, and the floor for v != 0
LEGEND = ("blue > 0, orange < 0, line width ∝ |value|  (forward view: weights w and unit outputs; "
          "backward view: ∂E/∂w and δ)",
          "red dashed, ✗ r: this gradient disagrees with finite differences, relative error r")


class GradientFlowExplorer(LiveWidget):
    r"""An MLP drawn as a graph, with the gradients of *your* ``backward`` on its edges, checked numerically.

    Parameters
    ----------
    forward, backward : callable
        Your (or the reference) functions, see :mod:`course.protocol`.
    activations : mapping, list of names, or None
        The activation table (name -> ``(f, df)`` or objects with ``f``/``df``) whose names fill the
        activation menu; or just a list of names your functions understand.
    params : dict, optional
        Initial parameters ``{"W1": (d0, d1), "b1": (d1,), ...}``. Default: the backprop lecture's
        2-2-1 network (:mod:`course.core.lecture`), with its ``x``, ``y``, ``lr``.
    x, y : array-like
        Inputs ``(n, d0)`` and targets ``(n, dL)`` (a single sample may be 1-D). With one sample, the
        controls include a slider per input and per target.
    lr : float
        Learning rate :math:`\eta` of the step button.
    activation : str
        Hidden-layer activation name; ``output_activation`` (default: the same) for the last layer.
    update : callable, optional
        *Your* ``update(params, grads, lr) -> params``; the "step" and "train" buttons appear with it.
    loss : callable, optional
        ``loss(params, X, Y, activations) -> float``; default the mean half squared error.
    activations_as : {"names", "functions"}
        What your functions receive as ``activations``: a list of ``L`` names, or of ``(f, df)`` pairs.
    check : bool
        Run the finite-difference check after every change (``tol`` on the CS231n relative error, step ``h``).
    edge_names : dict, optional
        ``{display name: (params key, index)}``, e.g. the lecture's ``{"w1": ("W1", (0, 0)), ...}``;
        named edges show ``name = value``.
    view : {"backward", "forward"}
        Which quantities the picture shows first.

    What is drawn: in the forward view every edge carries its weight and every unit its net input
    :math:`z` and output :math:`a` (means over the samples for a batch); in the backward view every
    edge carries *your* :math:`\partial E/\partial w` and every unit its error signal, read off your
    bias gradient, :math:`\delta_j = \partial E/\partial b_j` (summed over the samples). Edges whose
    gradient disagrees with central differences (relative error above ``tol``, or not finite) are
    dashed red and labelled with the relative error; the line above the picture gives the verdict.

    Attributes
    ----------
    params, X, Y, lr, step_count, losses
        The state. ``cache``, ``grads`` (yours), ``gradcheck`` (a :class:`~course.core.numerics.GradientCheck`).
    controls : dict
        The ipywidgets controls by name (``"x0"``, ``"y0"``, ``"lr"``, ``"activation"``, ``"view"``,
        and with ``update``: ``"step"``, ``"train"``, ``"n_steps"``; ``"reset"``); ``ui`` is the whole widget.
    """

    _state_names = ("params", "X", "Y", "lr", "step_count", "losses", "activation", "view", "cache", "loss",
                    "grads", "gradcheck")

    def __init__(self, forward, backward, activations=None, params=None, x=None, y=None, lr=None,
                 activation=None, output_activation=None, update=None, loss=None, activations_as="names",
                 check=True, tol=DEFAULT_TOL, h=1e-5, edge_names=None, view="backward"):
        if not callable(forward) or not callable(backward):
            raise TypeError("forward and backward must be functions: forward(params, X, activations) -> cache, "
                            "backward(params, cache, Y, activations) -> grads")
        if update is not None and not callable(update):
            raise TypeError("update must be a function update(params, grads, lr) -> new params")
        if activations_as not in ("names", "functions"):
            raise ValueError(f"activations_as must be 'names' or 'functions', got {activations_as!r}")
        self.forward, self.backward, self.update = forward, backward, update
        self.names, self.table = names_and_table(activations)
        if activations_as == "functions" and self.table is None:
            raise ValueError("activations_as='functions' needs an activation table name -> (f, df)")
        self.activations_as, self.loss_fn = activations_as, loss
        self._E = make_loss(forward, loss)
        if params is None:
            params = lecture_221_params()
            x = [LECTURE_221_X] if x is None else x
            y = [[LECTURE_221_Y]] if y is None else y
            lr = LECTURE_221_ETA if lr is None else lr
            activation = activation or "sigmoid"
        if x is None or y is None:
            raise ValueError("with your own params, pass the data too: x of shape (n, d0) and y of shape (n, dL)")
        self.sizes = layer_sizes(params)
        self.L = len(self.sizes) - 1
        self._params0 = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self._X0, self._Y0 = self._as_batch(x, self.sizes[0], "x"), self._as_batch(y, self.sizes[-1], "y")
        if self._X0.shape[0] != self._Y0.shape[0]:
            raise ValueError(f"x has {self._X0.shape[0]} samples but y has {self._Y0.shape[0]}")
        self._lr0 = float(0.1 if lr is None else lr)
        self.activation = activation or self.names[0]
        self.output_activation = output_activation
        for name in (self.activation, output_activation):
            if name is not None and name not in self.names:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(self.names)}")
        self.check, self.tol, self.h = bool(check), float(tol), float(h)
        self.edge_names = {(k, tuple(i)): n for n, (k, i) in (edge_names or {}).items()}
        if view not in ("forward", "backward"):
            raise ValueError(f"view must be 'forward' or 'backward', got {view!r}")
        self.view = view
        self.unit_names = unit_names(self.sizes)
        self.edges = [(f"W{l}", (i, j)) if i >= 0 else (f"b{l}", (j,))
                      for l in range(1, self.L + 1) for j in range(self.sizes[l]) for i in [*range(self.sizes[l - 1]), -1]]
        self.width = 760 if self.L <= 2 and max(self.sizes) <= 3 else 900
        self.cache = self.grads = self.gradcheck = None
        self.reset()

    # ------------------------------------------------------------------ state
    @staticmethod
    def _as_batch(a, d, name):
        a = np.asarray(a, dtype=np.float64)
        if a.ndim <= 1:
            a = a.reshape(-1, d) if a.size % d == 0 and a.size else a
        if a.ndim != 2 or a.shape[1] != d:
            raise ValueError(f"{name} must have shape (n, {d}) for this network, got {np.shape(a)}")
        return a

    def layer_activations(self) -> list:
        """What ``forward``/``backward`` receive: one entry per layer (names or ``(f, df)`` pairs)."""
        names = [self.activation] * (self.L - 1) + [self.output_activation or self.activation]
        if self.activations_as == "names":
            return names
        return [(self.table[n].__call__, self.table[n].grad) for n in names]

    def _compute(self):
        acts = self.layer_activations()
        self.cache = call_forward(self.forward, self.params, self.X, acts)
        self.loss = self._E(self.params, self.X, self.Y, acts)
        self.grads = call_backward(self.backward, self.params, self.cache, self.Y, acts)
        self.gradcheck = (check_gradients(self.forward, self.backward, self.params, self.X, self.Y, acts,
                                          self.loss_fn, self.h, self.tol, grads=self.grads) if self.check else None)

    def _changed(self):
        self._compute()
        self.redraw()

    def reset(self):
        """Back to the initial parameters, data and learning rate (and step 0)."""
        def action():
            self.params = {k: v.copy() for k, v in self._params0.items()}
            self.X, self.Y, self.lr = self._X0.copy(), self._Y0.copy(), self._lr0
            self.step_count = 0
            self._compute()
            self.losses = [self.loss]
            self.redraw()
        self._run_student(action)

    def step(self, n: int = 1):
        """Apply ``n`` updates ``params <- update(params, grads, lr)``, recomputing the gradients after each;
        the finite-difference check runs on the final state."""
        self._silent_steps(n)
        self.redraw()

    train = step

    def set_input(self, x):
        self.X = self._as_batch(x, self.sizes[0], "x")
        self._changed()

    def set_target(self, y):
        self.Y = self._as_batch(y, self.sizes[-1], "y")
        self._changed()

    def set_activation(self, name):
        if name not in self.names:
            raise ValueError(f"unknown activation {name!r}; known: {', '.join(self.names)}")
        self.activation = name
        self._changed()

    def set_view(self, view):
        if view not in ("forward", "backward"):
            raise ValueError(f"view must be 'forward' or 'backward', got {view!r}")
        self.view = view
        self.redraw()

    def _silent_steps(self, n):
        """``n`` updates without drawing; the finite-difference check runs only on the final state."""
        if self.update is None:
            raise ValueError("pass update=your gradient-descent step, update(params, grads, lr) -> new params, "
                             "to take steps")
        check = self.check
        try:
            for k in range(int(n)):
                self.params = call_update(self.update, self.params, self.grads, self.lr)
                self.step_count += 1
                self.check = check and k == int(n) - 1
                self._compute()
                self.losses.append(self.loss)
        finally:
            self.check = check

    # ------------------------------------------------------------------ the scene
    def _flags(self) -> dict:
        if self.gradcheck is None:
            return {}
        return {(k, idx): r for k, idx, r in self.gradcheck.flagged}

    def _node_texts(self, view, nodes=None):
        texts = {}
        for l, d in enumerate(self.sizes):
            for j in range(d):
                if nodes is not None and (l, j) not in nodes:
                    texts[l, j] = "?"
                    continue
                a = float(np.mean(self.cache[f"a{l}"][:, j]))
                if view == "forward":
                    texts[l, j] = (f"x={fmt(a)}" if l == 0 else
                                   f"z={fmt(np.mean(self.cache[f'z{l}'][:, j]))}\na={fmt(a)}")
                    if l == self.L and self.Y.shape[0] == 1:
                        texts[l, j] += f"\ny={fmt(self.Y[0, j])}"
                else:  # dE/db^l = sum over samples of delta^l
                    texts[l, j] = "" if l == 0 else f"δ={fmt(self.grads[f'b{l}'][j])}"
        return texts

    def edge_values(self, view=None) -> dict:
        """``{(key, index): value}`` of what the edges carry in ``view`` (weights, or your gradients)."""
        values = self.params if (view or self.view).startswith("forward") else self.grads
        return {e: float(np.asarray(values[e[0]])[e[1]]) for e in self.edges}

    def scene(self, view=None, nodes=None, edges=None, emphasis=()) -> dict:
        """What the picture shows: ``view`` ("forward", "backward", or "forward+error" with E at the
        output), the units with known values (``nodes``, default all), the edges drawn (``edges``,
        default all), and rings around ``emphasis`` units."""
        view = view or self.view
        error = view == "forward+error"
        view = "forward" if error else view
        vals = self.edge_values(view)
        flags = self._flags() if view == "backward" else {}
        names = self.edge_names
        finite = [abs(v) for v in vals.values() if np.isfinite(v)]
        vmax = max(finite, default=0.0)
        shown_values = [v for e, v in vals.items() if edges is None or e in edges]
        longest = max((len(fmt(v)) for v in shown_values), default=4)
        labels = len(self.edges) <= 24
        edge_list = []
        for e in self.edges:
            v, on, bad = vals[e], edges is None or e in edges, e in flags and (edges is None or e in edges)
            width = MAX_WIDTH * abs(v) / vmax if (on and vmax > 0 and np.isfinite(v)) else 0.0
            width = max(width, MIN_WIDTH) if width > 0 else 0.0
            l, idx = int(e[0][1:]), e[1]
            src = (l - 1, idx[0]) if e[0][0] == "W" else (l - 1, -1)
            if bad:
                label = (f"{names[e]} " if e in names else "") + f"✗ {flags[e]:.0e}"
            else:
                label = (f"{names[e]} = " if e in names else "") + fmt(v)
            edge_list.append(dict(key=e[0], index=list(idx), src=list(src), dst=[l, idx[-1]], value=v, width=width,
                                  color=POSITIVE if v >= 0 else NEGATIVE, flagged=bad, shown=on,
                                  label=label if (on and labels) else "", label_color=FLAG if bad else "#000",
                                  prefix=f"{names[e]} = " if e in names else ""))
        texts = self._node_texts(view, nodes)
        if error:
            for j in range(self.sizes[-1]):
                texts[self.L, j] += f"\nE={fmt(self.loss)}"
        units = [dict(layer=l, unit=j, name=n, text=texts.get((l, j), "") if j >= 0 else "",
                      ring=(l, j) in emphasis) for (l, j), n in self.unit_names.items()]
        self.headline = self._headline(view)
        return dict(kind="network", sizes=self.sizes, units=units, edges=edge_list, labels=labels,
                    label_chars=max(4, 2 * -(-longest // 2)), has_values=True, legend=list(LEGEND),
                    alt=self.headline)

    def edge_data(self, scene=None) -> list[dict]:
        """What the edges of ``scene`` (default: the one drawn last) show: key, index, value, width,
        colour, flagged, shown, label."""
        scene = scene or self.last_scene
        return [dict(key=e["key"], index=tuple(e["index"]), value=e["value"], linewidth=e["width"], color=e["color"],
                     flagged=e["flagged"], shown=e["shown"], label=e["label"]) for e in scene["edges"]]

    def node_text(self, layer: int, unit: int, scene=None) -> str:
        scene = scene or self.last_scene
        return next(u["text"] for u in scene["units"] if (u["layer"], u["unit"]) == (layer, unit))

    def _headline(self, view=None) -> str:
        """The line above the picture: view, step, loss, output, and the gradient check's verdict."""
        out = ", ".join(fmt(v) for v in np.mean(self.cache[f"a{self.L}"], axis=0))
        mean = "" if self.X.shape[0] == 1 else f" (mean of {self.X.shape[0]} samples)"
        return (f"{view or self.view} view · step {self.step_count} · η = {self.lr:g} · E = {self.loss:.6g} · "
                f"output {out}{mean}. {self.check_summary()}")

    def _status_html(self) -> str:
        bad = self.gradcheck is not None and not self.gradcheck.ok
        return f'<span style="color:{FLAG if bad else "inherit"}">{html.escape(self.headline)}</span>'

    def check_summary(self) -> str:
        """One line: the gradient check's verdict (or that it is off)."""
        gc = self.gradcheck
        if gc is None:
            return "finite-difference check off"
        if gc.ok:
            return f"finite-difference check: OK (max rel. error {gc.max_rel_error:.1e})"
        bad = gc.flagged
        listed = ", ".join(f"{k}[{','.join(map(str, i))}]" for k, i, _ in bad[:4]) + (" ..." if len(bad) > 4 else "")
        return f"✗ finite-difference check: {len(bad)} gradient(s) disagree: {listed}"

    # ------------------------------------------------------------------ controls
    def _build_controls(self, w):
        c = {}
        names = self.unit_names
        if self._X0.shape[0] == 1:  # one sample: a slider per input and per target (ranges include the data)
            for i in range(self.sizes[0]):
                v = float(self._X0[0, i])
                c[f"x{i}"] = w.FloatSlider(value=v, min=min(-2.0, v), max=max(2.0, v), step=0.01,
                                           description=names[0, i], continuous_update=False)
                c[f"x{i}"].observe(self._callback(lambda ch: self._on_input()), names="value")
            for k in range(self.sizes[-1]):
                v = float(self._Y0[0, k])
                c[f"y{k}"] = w.FloatSlider(value=v, min=min(-1.0, v), max=max(2.0, v), step=0.01,
                                           description=f"target {k + 1}", continuous_update=False)
                c[f"y{k}"].observe(self._callback(lambda ch: self._on_target()), names="value")
        c["lr"] = w.FloatLogSlider(value=self._lr0, base=10, min=-3, max=1, step=0.05, description="η",
                                   readout_format=".3g", continuous_update=False)
        c["lr"].observe(self._callback(lambda ch: self._on_lr(ch["new"])), names="value")
        c["activation"] = w.Dropdown(options=self.names, value=self.activation, description="activation")
        c["activation"].observe(self._callback(lambda ch: self.set_activation(ch["new"])), names="value")
        c["view"] = w.ToggleButtons(options=["forward", "backward"], value=self.view,
                                    style={"button_width": "6.5em"})
        c["view"].observe(self._callback(lambda ch: self.set_view(ch["new"])), names="value")
        if self.update is not None:
            c["step"] = w.Button(description="step", tooltip="one gradient update")
            c["step"].on_click(self._callback(lambda b: self.step(1)))
            c["n_steps"] = w.BoundedIntText(value=10, min=1, max=10000, layout=w.Layout(width="7em"))
            c["train"] = w.Button(description="train N steps")
            c["train"].on_click(self._callback(lambda b: self.step(c["n_steps"].value)))
        c["reset"] = w.Button(description="reset")
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        return c

    def _layout(self, w, c):
        sliders = [c[k] for k in c if k[0] in "xy" and k[1:].isdigit()]
        buttons = [w.HBox([c["step"], c["reset"]]), w.HBox([c["train"], c["n_steps"]])] if "step" in c else [c["reset"]]
        return w.VBox(sliders + [c["lr"], c["activation"], c["view"], *buttons])

    def _sync_controls(self):
        c = self._controls
        for i in range(self.sizes[0]):
            if f"x{i}" in c:
                c[f"x{i}"].value = float(self.X[0, i])
        for k in range(self.sizes[-1]):
            if f"y{k}" in c:
                c[f"y{k}"].value = float(self.Y[0, k])
        c["lr"].value = self.lr
        c["activation"].value = self.activation
        c["view"].value = self.view

    def _on_input(self):
        self.set_input([[self.controls[f"x{i}"].value for i in range(self.sizes[0])]])

    def _on_target(self):
        self.set_target([[self.controls[f"y{k}"].value for k in range(self.sizes[-1])]])

    def _on_lr(self, value):
        self.lr = float(value)
        self.redraw()

    # ------------------------------------------------------------------ kernel-free player
    def _describe_edge(self, key, idx) -> str:
        """Caption of one gradient: ``∂E/∂w4 (x₂ → h₂, W1[1,1]) = -5.27e-04: ...``."""
        l, dst = int(key[1:]), idx[-1]
        names = self.unit_names
        src = names[l - 1, idx[0]] if key[0] == "W" else "+1"
        where = f"{key}[{','.join(map(str, idx))}]"
        name = self.edge_names.get((key, idx))
        head = f"∂E/∂{name} ({src} → {names[l, dst]}, {where})" if name else f"∂E/∂{where} ({src} → {names[l, dst]})"
        g = fmt(self.grads[key][idx])
        why = (f"the output of {src} times δ at {names[l, dst]}" if key[0] == "W"
               else f"the constant input 1 times δ at {names[l, dst]}, i.e. δ itself")
        return f"Backward pass: {head} = {g}: {why}."

    def frames(self, phases=("forward", "backward", "train"), train_steps=20, train_every=2):
        """Yield ``(view, nodes, edges, emphasis, caption, action)`` tuples describing a walk through the state.

        Forward node by node, backward edge by edge (output layer first), then training steps
        (``action`` is a number of steps to take before drawing; needs ``update``).
        """
        L, sizes, names = self.L, self.sizes, self.unit_names
        if "forward" in phases:
            nodes = {(0, i) for i in range(sizes[0])}
            xs = ", ".join(f"{names[0, i]} = {fmt(np.mean(self.X[:, i]))}" for i in range(sizes[0]))
            yield "forward", set(nodes), set(), set(nodes), f"Forward pass: the inputs {xs}.", 0
            edges = set()
            for l in range(1, L + 1):
                for j in range(sizes[l]):
                    edges |= {e for e in self.edges if int(e[0][1:]) == l and e[1][-1] == j}
                    nodes.add((l, j))
                    z = np.mean(self.cache[f"z{l}"][:, j])
                    a = np.mean(self.cache[f"a{l}"][:, j])
                    act = self.output_activation or self.activation if l == L else self.activation
                    yield ("forward", set(nodes), set(edges), {(l, j)},
                           f"Forward pass: {names[l, j]} sums its weighted inputs, z = {fmt(z)}, "
                           f"and applies {act}: a = {fmt(a)}.", 0)
            yield ("forward+error", set(nodes), set(edges), {(L, j) for j in range(sizes[-1])},
                   f"Error of this output: E = {self.loss:.6g}.", 0)
        if "backward" in phases:
            nodes, edges = {(0, i) for i in range(sizes[0])}, set()
            for l in range(L, 0, -1):
                for j in range(sizes[l]):
                    nodes.add((l, j))
                    yield ("backward", set(nodes), set(edges), {(l, j)},
                           f"Backward pass: the error signal at {names[l, j]}, δ = ∂E/∂z = "
                           f"{fmt(self.grads[f'b{l}'][j])}.", 0)
                for e in [e for e in self.edges if int(e[0][1:]) == l]:
                    edges.add(e)
                    yield "backward", set(nodes), set(edges), {(l, e[1][-1])}, self._describe_edge(*e), 0
        if "train" in phases and self.update is not None:
            when = ("Before training" if self.step_count == 0
                    else f"After {self.step_count} step{'s' if self.step_count != 1 else ''}")
            yield ("forward", None, None, (), f"{when}: E = {self.loss:.6g}.", 0)
            done = 0
            while done < train_steps:
                k = min(train_every, train_steps - done)
                done += k
                yield ("backward", None, None, (), None, k)

    def to_html_player(self, phases=("forward", "backward", "train"), train_steps=20, train_every=2,
                       interval=900):
        """A kernel-free player of the current network: forward node by node, backward edge by edge,
        then ``train_steps`` updates (one frame every ``train_every`` steps; needs ``update``). The
        explorer's state is restored afterwards. Each frame is a scene, drawn by the same code as the
        live widget."""
        if self.cache is None:
            raise ValueError(f"nothing to show: {self.error}")
        saved = self._snapshot()
        scenes, captions = [], []
        try:
            for view, nodes, edges, emphasis, caption, action in self.frames(phases, train_steps, train_every):
                if action:
                    self._silent_steps(action)
                    caption = (f"Training, step {self.step_count}: E = {self.loss:.6g}; the edges show "
                               f"∂E/∂w before the next update.")
                scenes.append(self.scene(view, nodes, edges, emphasis))
                captions.append(caption if caption is not None else self.headline)
        finally:
            self._restore(saved)
            self.redraw()
        return HtmlPlayer(scenes, captions, interval=interval, width=self.width)
