r"""Interactive explorers of gradient flow that run on *your* functions (ipywidgets + matplotlib).

Every explorer keeps its state in plain attributes, draws with :mod:`course.plots` into one
figure that is updated in place (cached background, only the changing artists redrawn) and shown
as one ``ipywidgets.Image`` (PNG); its widgets are built the first time it is displayed. Each can
also render a sequence of its states into a kernel-free :class:`course.static.HtmlPlayer` for the
static book (``to_html_player``) -- one drawing code path for both.

* :class:`GradientFlowExplorer` -- an MLP as a graph; forward view (weights, :math:`z`, :math:`a`) and
  backward view (:math:`\partial E/\partial w`, :math:`\delta`); step / train N / reset; a
  finite-difference check of *your* ``backward`` after every change, mismatching weights marked in
  red with their relative error. Default network: the backprop lecture's 2-2-1 sigmoid example.
* :class:`VanishingGradients` -- gradient norm per layer at initialisation and during training, for a
  chosen depth, activation and initial weight scale.
* :class:`ActivationExplorer` -- :math:`f` and :math:`f'` from your activation table, its parameter on a
  slider, the region where :math:`|f'|` is below a threshold shaded.
* :class:`PerceptronStepper` -- AND / OR / XOR; every click applies *your* Rosenblatt update once.

The contract (details in :mod:`course.protocol`)::

    params   = {"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}   # rows are samples
    forward(params, X, activations) -> {"a0": X, "z1": ..., "a1": ..., ..., "zL": ..., "aL": ...}
    backward(params, cache, Y, activations) -> {"W1": dE/dW1, "b1": dE/db1, ...}
    activations: a list of L names (default) or, with activations_as="functions", of (f, df) pairs
    loss: E = mean over samples of 1/2 sum_k (y_k - a^L_k)^2, unless loss=(params, X, Y, activations) -> float
    update(params, grads, lr) -> params        (optional; default the plain step  theta -= lr * grad)
    init(sizes, activations, seed) -> params   (VanishingGradients, optional)
    perceptron: update(w, x, t, lr) -> w and predict(w, X) -> {0, 1}^n, w = [w0 (bias), w1, w2]
    activation tables: {name: (f, df)} or {name: obj with .f, .df, .params}

Student notebook::

    from course.widgets import GradientFlowExplorer
    GradientFlowExplorer(my_forward, my_backward, {"sigmoid": (sigmoid, sigmoid_grad)})

In the book, the reference package's ``mlp.forward``, ``mlp.backward`` and activation registry
``ACTIVATIONS`` are passed in exactly the same way (the book imports them; this package never does),
and a cell ends with ``explorer.to_html_player()`` to show the kernel-free player.
"""
from __future__ import annotations

import html

import numpy as np

from . import plots
from .protocol import (DEFAULT_TOL, GradientCheck, activation_table, call_backward, call_forward, check_gradients,
                       gradient_step, layer_sizes, make_loss, worked_example)
from .static import HtmlPlayer, figure_png

__all__ = ["GradientFlowExplorer", "VanishingGradients", "ActivationExplorer", "PerceptronStepper",
           "default_init"]

_DEFAULT_NAMES = ("sigmoid", "tanh", "relu", "identity")


def _names_and_table(activations):
    """``(names, table or None)`` from a mapping/list of activations, or plain names."""
    if activations is None:
        return list(_DEFAULT_NAMES), None
    if isinstance(activations, str):
        return [activations], None
    if not hasattr(activations, "items") and all(isinstance(a, str) for a in activations):
        return list(activations), None
    table = activation_table(activations)
    return list(table), table


class _LiveFigure:
    """One figure, redrawn in place; its ipywidgets (one ``Image`` plus controls) are built on first use.

    Building the widgets lazily keeps a notebook that only asks for ``to_html_player()`` free of
    widget state, so a built book page loads no widget manager (and no CDN script) at all.
    """

    _ui = None
    _syncing = False
    redraw_count = 0
    png = b""

    @property
    def ui(self):
        """The whole widget (built on first access): picture plus controls."""
        if self._ui is None:
            import ipywidgets as w

            px = int(self.figure.get_figwidth() * self.figure.dpi)
            self._image = w.Image(value=self.png, format="png", layout=w.Layout(width=f"{px}px"))
            self._message = w.HTML()
            self._ui = w.VBox([self._build_ui(w), self._message])
            self._sync()
            self._after_redraw()
        return self._ui

    def _callback(self, fn):
        """Wrap a control's callback: ignored while syncing; an error (say, in *your* ``backward``) is
        shown in red under the widget instead of vanishing into the front end's log."""
        def run(*args):
            if self._syncing:
                return
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 -- shown to the user, and kept in last_error
                self.last_error = exc
                self._message.value = (f'<pre style="color:{plots.FLAG};white-space:pre-wrap">'
                                       f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</pre>")
        return run

    last_error = None

    @property
    def message(self) -> str:
        """The error line under the widget ('' when the last action succeeded)."""
        return self.ui and self._message.value

    @property
    def controls(self) -> dict:
        """The ipywidgets controls by name."""
        return self.ui and self._controls

    @property
    def image(self):
        """The ``ipywidgets.Image`` showing the figure."""
        return self.ui and self._image

    def redraw(self) -> bytes:
        """Update the artists from the state, render once, push the PNG into the image widget."""
        self._draw()
        self.png = plots.render_png(self.figure)
        self.redraw_count += 1
        if self._ui is not None:
            self._sync()
            self._image.value = self.png
            self._message.value = ""
            self._after_redraw()
        return self.png

    def _sync(self):
        """Set the controls from the state without triggering their callbacks."""
        self._syncing = True
        try:
            self._sync_controls()
        finally:
            self._syncing = False

    def _sync_controls(self):
        pass

    def _after_redraw(self):
        pass

    def _ipython_display_(self):
        from IPython.display import display

        display(self.ui)


# =========================================================================== gradient-flow explorer
class GradientFlowExplorer(_LiveFigure):
    r"""An MLP drawn as a graph, with the gradients of *your* ``backward`` on its edges, checked numerically.

    Parameters
    ----------
    forward, backward : callable
        Your (or the reference) functions, see :mod:`course.protocol`.
    activations : mapping, list of names, or None
        The activation table (name -> ``(f, df)`` or objects with ``f``/``df``) whose names fill the
        activation menu; or just a list of names your functions understand.
    params : dict, optional
        Initial parameters ``{"W1": (d0, d1), "b1": (d1,), ...}``. Default: the lecture's 2-2-1
        network (:func:`course.protocol.worked_example`), with its ``x``, ``y``, ``lr``.
    x, y : array-like
        Inputs ``(n, d0)`` and targets ``(n, dL)`` (a single sample may be 1-D). With one sample, the
        controls include a slider per input and per target.
    lr : float
        Learning rate :math:`\eta` of the step button.
    activation : str
        Hidden-layer activation name; ``output_activation`` (default: the same) for the last layer.
    update : callable, optional
        ``update(params, grads, lr) -> params``; default the plain step
        :math:`\theta \leftarrow \theta - \eta\,\partial E/\partial\theta` (:func:`~course.protocol.gradient_step`).
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
    The "step" button applies one update; "train N steps" applies N, checking the final state.

    Attributes
    ----------
    params, X, Y, lr, step_count, losses
        The state. ``cache``, ``grads`` (yours), ``gradcheck`` (a :class:`~course.protocol.GradientCheck`).
    diagram : course.plots.NetworkDiagram
        The drawing; ``diagram.edge_data()`` lists what every edge shows.
    controls : dict
        The ipywidgets controls by name (``"x0"``, ``"y0"``, ``"lr"``, ``"activation"``, ``"view"``,
        ``"step"``, ``"train"``, ``"n_steps"``, ``"reset"``); ``ui`` is the whole widget.
    """

    def __init__(self, forward, backward, activations=None, params=None, x=None, y=None, lr=None,
                 activation=None, output_activation=None, update=None, loss=None, activations_as="names",
                 check=True, tol=DEFAULT_TOL, h=1e-5, edge_names=None, view="backward",
                 figsize=None, dpi=100):
        if not callable(forward) or not callable(backward):
            raise TypeError("forward and backward must be functions: forward(params, X, activations) -> cache, "
                            "backward(params, cache, Y, activations) -> grads")
        if activations_as not in ("names", "functions"):
            raise ValueError(f"activations_as must be 'names' or 'functions', got {activations_as!r}")
        self.forward, self.backward, self.update = forward, backward, update or gradient_step
        self.names, self.table = _names_and_table(activations)
        if activations_as == "functions" and self.table is None:
            raise ValueError("activations_as='functions' needs an activation table name -> (f, df)")
        self.activations_as, self.loss_fn = activations_as, loss
        self._E = make_loss(forward, loss)
        if params is None:
            ex = worked_example()
            params, x, y = ex["params"], ex["x"] if x is None else x, ex["y"] if y is None else y
            lr = ex["lr"] if lr is None else lr
            activation = activation or ex["activation"]
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
        self.edge_names = {tuple([k, tuple(i)]): n for n, (k, i) in (edge_names or {}).items()}
        if view not in ("forward", "backward"):
            raise ValueError(f"view must be 'forward' or 'backward', got {view!r}")
        self.view = view
        width, height = figsize if figsize is not None else (7.6, None)
        self.figure = plots.new_figure(width, height or 4.0, dpi=dpi)
        ax = self.figure.add_axes([0.01, 0.1, 0.98, 0.89])
        self.diagram = plots.NetworkDiagram(ax, self.sizes, fontsize=9)
        if height is None:  # as tall as the drawing needs at this width, plus a band for the legend
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            band = 0.36
            height = 0.98 * width * (y1 - y0) / (x1 - x0) + band + 0.04
            self.figure.set_size_inches(width, height)
            ax.set_position([0.01, band / height, 0.98, 1 - (band + 0.04) / height])
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
        self.params = {k: v.copy() for k, v in self._params0.items()}
        self.X, self.Y, self.lr = self._X0.copy(), self._Y0.copy(), self._lr0
        self.step_count = 0
        self._compute()
        self.losses = [self.loss]
        self.redraw()

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

    # ------------------------------------------------------------------ drawing
    def _flags(self) -> dict:
        if self.gradcheck is None:
            return {}
        return {(k, idx): r for k, idx, r in self.gradcheck.flagged}

    def _node_texts(self, view, nodes=None):
        texts = {}
        delta = {l: self.grads[f"b{l}"] for l in range(1, self.L + 1)}  # dE/db^l = sum_samples delta^l
        for l, d in enumerate(self.sizes):
            for j in range(d):
                if nodes is not None and (l, j) not in nodes:
                    texts[l, j] = "?"
                    continue
                a = float(np.mean(self.cache[f"a{l}"][:, j]))
                if view == "forward":
                    texts[l, j] = (f"x={plots._fmt(a)}" if l == 0 else
                                   f"z={plots._fmt(np.mean(self.cache[f'z{l}'][:, j]))}\na={plots._fmt(a)}")
                    if l == self.L and self.Y.shape[0] == 1:
                        texts[l, j] += f"\ny={plots._fmt(self.Y[0, j])}"
                else:
                    texts[l, j] = "" if l == 0 else f"δ={plots._fmt(delta[l][j])}"
        return texts

    def _draw(self, view=None, nodes=None, edges=None, emphasis=()):
        view = view or self.view
        error = view == "forward+error"  # the forward view with the error E written at the output
        view = "forward" if error else view
        d = self.diagram
        values = self.params if view == "forward" else self.grads
        flags = self._flags() if view == "backward" else {}
        d.set_edges(values, shown=edges, flags=flags, names=self.edge_names)
        texts = self._node_texts(view, nodes)
        if error:
            for j in range(self.sizes[-1]):
                texts[self.L, j] += f"\nE={plots._fmt(self.loss)}"
        d.set_nodes(texts, highlight=emphasis)
        self.headline = self._headline(view)

    def _headline(self, view=None) -> str:
        """The line above the picture: view, step, loss, output, and the gradient check's verdict."""
        out = ", ".join(plots._fmt(v) for v in np.mean(self.cache[f"a{self.L}"], axis=0))
        mean = "" if self.X.shape[0] == 1 else f" (mean of {self.X.shape[0]} samples)"
        return (f"{view or self.view} view · step {self.step_count} · η = {self.lr:g} · E = {self.loss:.6g} · "
                f"output {out}{mean}. "
                f"{self.check_summary()}")

    @property
    def status(self):
        """The HTML line above the picture (headline and gradient-check verdict)."""
        return self.ui and self._status

    def _after_redraw(self):
        bad = self.gradcheck is not None and not self.gradcheck.ok
        self._status.value = (f'<span style="color:{plots.FLAG if bad else "inherit"}">'
                              f"{html.escape(self.headline)}</span>")

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
    def _build_ui(self, w):
        c = {}
        if self._X0.shape[0] == 1:  # one sample: a slider per input and per target (ranges include the data)
            for i in range(self.sizes[0]):
                v = float(self._X0[0, i])
                c[f"x{i}"] = w.FloatSlider(value=v, min=min(-2.0, v), max=max(2.0, v), step=0.01,
                                           description=plots.unit_names(self.sizes)[0, i], continuous_update=False)
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
        c["view"] = w.ToggleButtons(options=["forward", "backward"], value=self.view)
        c["view"].observe(self._callback(lambda ch: self._on_view(ch["new"])), names="value")
        c["step"] = w.Button(description="step", tooltip="one gradient update")
        c["step"].on_click(self._callback(lambda b: self.step(1)))
        c["n_steps"] = w.BoundedIntText(value=10, min=1, max=10000, layout=w.Layout(width="7em"))
        c["train"] = w.Button(description="train N steps")
        c["train"].on_click(self._callback(lambda b: self.step(c["n_steps"].value)))
        c["reset"] = w.Button(description="reset")
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        self._controls = c
        sliders = [c[k] for k in c if k[0] in "xy" and k[1:].isdigit()]
        self._status = w.HTML()
        return w.VBox([self._status, w.HBox([self._image, w.VBox(sliders + [c["lr"], c["activation"], c["view"],
                                                        w.HBox([c["step"], c["reset"]]),
                                                        w.HBox([c["train"], c["n_steps"]])])])])

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

    def _on_view(self, value):
        self.view = value
        self.redraw()

    # ------------------------------------------------------------------ kernel-free player
    def _describe_edge(self, key, idx) -> str:
        """Caption of one gradient: ``∂E/∂w4 (x₂ → h₂, W1[1,1]) = -5.27e-04: ...``."""
        l, dst = int(key[1:]), idx[-1]
        names = self.diagram.names
        src = names[l - 1, idx[0]] if key[0] == "W" else "+1"
        where = f"{key}[{','.join(map(str, idx))}]"
        name = self.edge_names.get((key, idx))
        head = f"∂E/∂{name} ({src} → {names[l, dst]}, {where})" if name else f"∂E/∂{where} ({src} → {names[l, dst]})"
        g = plots._fmt(self.grads[key][idx])
        why = (f"the output of {src} times δ at {names[l, dst]}" if key[0] == "W"
               else f"the constant input 1 times δ at {names[l, dst]}, i.e. δ itself")
        return f"Backward pass: {head} = {g}: {why}."

    def frames(self, phases=("forward", "backward", "train"), train_steps=20, train_every=2):
        """Yield ``(view, nodes, edges, emphasis, caption, action)`` tuples describing a walk through the state.

        Forward node by node, backward edge by edge (output layer first), then training steps
        (``action`` is a number of steps to take before drawing). Used by :meth:`to_html_player`.
        """
        L, sizes = self.L, self.sizes
        names = self.diagram.names
        all_edges = self.diagram.edges
        if "forward" in phases:
            nodes = {(0, i) for i in range(sizes[0])}
            xs = ", ".join(f"{names[0, i]} = {plots._fmt(np.mean(self.X[:, i]))}" for i in range(sizes[0]))
            yield "forward", set(nodes), set(), set(nodes), f"Forward pass: the inputs {xs}.", 0
            edges = set()
            for l in range(1, L + 1):
                for j in range(sizes[l]):
                    edges |= {e for e in all_edges if int(e[0][1:]) == l and e[1][-1] == j}
                    nodes.add((l, j))
                    z = np.mean(self.cache[f"z{l}"][:, j])
                    a = np.mean(self.cache[f"a{l}"][:, j])
                    act = self.output_activation or self.activation if l == L else self.activation
                    yield ("forward", set(nodes), set(edges), {(l, j)},
                           f"Forward pass: {names[l, j]} sums its weighted inputs, z = {plots._fmt(z)}, "
                           f"and applies {act}: a = {plots._fmt(a)}.", 0)
            yield ("forward+error", set(nodes), set(edges), {(L, j) for j in range(sizes[-1])},
                   f"Error of this output: E = {self.loss:.6g}.", 0)
        if "backward" in phases:
            nodes, edges = {(0, i) for i in range(sizes[0])}, set()
            for l in range(L, 0, -1):
                for j in range(sizes[l]):
                    nodes.add((l, j))
                    yield ("backward", set(nodes), set(edges), {(l, j)},
                           f"Backward pass: the error signal at {names[l, j]}, δ = ∂E/∂z = "
                           f"{plots._fmt(self.grads[f'b{l}'][j])}.", 0)
                for e in [e for e in all_edges if int(e[0][1:]) == l]:
                    edges.add(e)
                    yield "backward", set(nodes), set(edges), {(l, e[1][-1])}, self._describe_edge(*e), 0
        if "train" in phases:
            when = ("Before training" if self.step_count == 0
                    else f"After {self.step_count} step{'s' if self.step_count != 1 else ''}")
            yield ("forward", None, None, (), f"{when}: E = {self.loss:.6g}.", 0)
            done = 0
            while done < train_steps:
                k = min(train_every, train_steps - done)
                done += k
                yield ("backward", None, None, (), None, k)

    def to_html_player(self, phases=("forward", "backward", "train"), train_steps=20, train_every=2,
                       interval=900, colors=64) -> HtmlPlayer:
        """A kernel-free player of the current network: forward node by node, backward edge by edge,
        then ``train_steps`` updates (one frame every ``train_every`` steps). The explorer's state is
        restored afterwards. Each frame is drawn by the same code as the live widget."""
        saved = ({k: v.copy() for k, v in self.params.items()}, self.step_count, list(self.losses), self.view)
        pngs, captions = [], []
        try:
            for view, nodes, edges, emphasis, caption, action in self.frames(phases, train_steps, train_every):
                if action:
                    self._silent_steps(action)
                    caption = (f"Training, step {self.step_count}: E = {self.loss:.6g}; the edges show "
                               f"∂E/∂w before the next update.")
                self._draw(view, nodes, edges, emphasis)
                pngs.append(figure_png(self.figure, colors=colors))
                captions.append(caption if caption is not None else self.headline)
        finally:
            self.params, self.step_count, self.losses, self.view = saved
            self._compute()
            self.redraw()
        return HtmlPlayer(pngs, captions, interval=interval, width=int(self.figure.get_figwidth() * self.figure.dpi))

    def _silent_steps(self, n):
        """``n`` updates without drawing; the finite-difference check runs only on the final state."""
        check = self.check
        try:
            for k in range(int(n)):
                new = self.update(self.params, self.grads, self.lr)
                if not isinstance(new, dict) or set(new) != set(self.params):
                    raise ValueError(f"update must return a params dict with keys {list(self.params)}")
                self.params = {key: np.asarray(new[key], dtype=np.float64) for key in self.params}
                self.step_count += 1
                self.check = check and k == int(n) - 1
                self._compute()
                self.losses.append(self.loss)
        finally:
            self.check = check


# =========================================================================== vanishing gradients
def default_init(sizes, activations, seed=0, gain=1.0) -> dict:
    r"""The widget's default start: :math:`W^l \sim N(0, \text{gain}^2 / d_{l-1})`, :math:`b^l = 0`.

    A plain, activation-blind scale (LeCun's :math:`1/\text{fan-in}` variance) so that the widget
    shows what depth and the activation alone do to gradients. Pass ``init=`` for another scheme.
    """
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(0.0, gain / np.sqrt(sizes[l - 1]), size=(sizes[l - 1], sizes[l]))
        params[f"b{l}"] = np.zeros(sizes[l])
    return params


class VanishingGradients(_LiveFigure):
    r"""Gradient norm per layer, :math:`\lVert \partial E/\partial W^l \rVert_F`, at initialisation and during training.

    A network ``d0 -> width x depth -> 1`` on a two-class data set (default
    :func:`course.data.two_circles`, 200 points), full-batch gradient steps with your functions.

    Parameters
    ----------
    forward, backward : callable
        See :mod:`course.protocol`.
    activations : mapping or list of names
        Hidden activations offered in the menu.
    init : callable, optional
        ``init(sizes, activations, seed) -> params`` (the reference's ``init_params`` fits);
        default :func:`default_init`. Every weight is then multiplied by ``gain``.
    update, loss, activations_as
        As in :class:`GradientFlowExplorer`.
    data : (X, y), optional
        Training data; ``y`` of shape ``(n,)`` or ``(n, 1)``.
    depth, width, activation, output_activation, gain, lr, seed
        Initial settings (depth = number of hidden layers).
    """

    def __init__(self, forward, backward, activations=None, init=None, update=None, loss=None, data=None,
                 depth=6, width=8, activation="sigmoid", output_activation="sigmoid", gain=1.0, lr=0.5, seed=0,
                 activations_as="names", figsize=(7.6, 3.5), dpi=100):
        self.forward, self.backward = forward, backward
        self.update = update or gradient_step
        self.init, self.loss_fn = init, loss
        self.names, self.table = _names_and_table(activations)
        self.activations_as = activations_as
        self._E = make_loss(forward, loss)
        for name in (activation, output_activation):
            if name not in self.names:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(self.names)}")
        if data is None:
            from .data import two_circles

            data = two_circles(n=200, noise=0.1, seed=0)
        X, y = data
        self.X = np.asarray(X, dtype=np.float64)
        self.Y = np.asarray(y, dtype=np.float64).reshape(len(self.X), -1)
        self.depth, self.width, self.activation = int(depth), int(width), activation
        self.output_activation, self.gain, self.lr, self.seed = output_activation, float(gain), float(lr), seed
        self.figure = plots.new_figure(*figsize, dpi=dpi)
        ax1 = self.figure.add_axes([0.09, 0.15, 0.5, 0.75])
        ax2 = self.figure.add_axes([0.745, 0.15, 0.245, 0.75])
        self.bars = plots.GradientNormBars(ax1, ax2, self.depth + 1)
        self.reset()

    def layer_activations(self):
        names = [self.activation] * self.depth + [self.output_activation]
        if self.activations_as == "names":
            return names
        return [(self.table[n].__call__, self.table[n].grad) for n in names]

    @property
    def sizes(self):
        return [self.X.shape[1]] + [self.width] * self.depth + [self.Y.shape[1]]

    def _gradients(self):
        acts = self.layer_activations()
        cache = call_forward(self.forward, self.params, self.X, acts)
        self.loss = self._E(self.params, self.X, self.Y, acts)
        self.grads = call_backward(self.backward, self.params, cache, self.Y, acts)
        return [float(np.linalg.norm(self.grads[f"W{l}"])) for l in range(1, self.depth + 2)]

    def reset(self):
        """New weights for the current depth / activation / gain; step 0."""
        names = [self.activation] * self.depth + [self.output_activation]
        if self.init is None:
            params = default_init(self.sizes, names, self.seed)
        else:
            params = self.init(self.sizes, names, self.seed)
        self.params = {k: np.asarray(v, dtype=np.float64) * (self.gain if k[0] == "W" else 1.0)
                       for k, v in params.items()}
        layer_sizes(self.params)
        self.step_count = 0
        self.init_norms = self.norms = self._gradients()
        self.losses = [self.loss]
        self.norm_history = [self.norms]
        self.redraw()

    def train(self, n: int = 20, redraw: bool = True):
        """``n`` full-batch updates; records the loss and the per-layer gradient norms."""
        for _ in range(int(n)):
            self.params = {k: np.asarray(v, dtype=np.float64) for k, v in
                           self.update(self.params, self.grads, self.lr).items()}
            self.step_count += 1
            self.norms = self._gradients()
            self.losses.append(self.loss)
            self.norm_history.append(self.norms)
        if redraw:
            self.redraw()

    def configure(self, **settings):
        """Change ``depth``, ``width``, ``activation``, ``gain``, ``lr`` or ``seed`` and re-initialise."""
        for k, v in settings.items():
            if k not in ("depth", "width", "activation", "gain", "lr", "seed"):
                raise ValueError(f"unknown setting {k!r}; known: depth, width, activation, gain, lr, seed")
            if k == "activation" and v not in self.names:
                raise ValueError(f"unknown activation {v!r}; known: {', '.join(self.names)}")
            setattr(self, k, v)
        self.reset()

    def _draw(self):
        ratio = self.norms[0] / self.norms[-1] if self.norms[-1] > 0 else float("inf")
        self.bars.update(self.init_norms, self.norms, self.losses,
                         title=f"{self.activation} · {self.depth} hidden layers · gain {self.gain:g} · "
                               f"step {self.step_count} · first/last = {ratio:.2g}")

    def _build_ui(self, w):
        c = {
            "depth": w.IntSlider(value=self.depth, min=1, max=15, description="hidden layers", continuous_update=False),
            "activation": w.Dropdown(options=self.names, value=self.activation, description="activation"),
            "gain": w.FloatLogSlider(value=self.gain, base=10, min=-1, max=1, step=0.05, description="init gain",
                                     continuous_update=False),
            "lr": w.FloatLogSlider(value=self.lr, base=10, min=-3, max=1, step=0.05, description="η",
                                   continuous_update=False),
            "n_steps": w.BoundedIntText(value=50, min=1, max=100000, layout=w.Layout(width="7em")),
            "train": w.Button(description="train N steps"),
            "reset": w.Button(description="re-initialise"),
        }
        for k in ("depth", "activation", "gain"):
            c[k].observe(self._callback(lambda ch, k=k: self.configure(**{k: ch["new"]})), names="value")
        c["lr"].observe(self._callback(lambda ch: setattr(self, "lr", float(ch["new"]))), names="value")
        c["train"].on_click(self._callback(lambda b: self.train(c["n_steps"].value)))
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        self._controls = c
        return w.VBox([self._image, w.HBox([w.VBox([c["depth"], c["activation"], c["gain"]]),
                                              w.VBox([c["lr"], w.HBox([c["train"], c["n_steps"]]), c["reset"]])])])

    def to_html_player(self, activations=None, steps=200, every=40, interval=900, colors=64) -> HtmlPlayer:
        """Frames: for each activation, the norms at initialisation and every ``every`` steps up to ``steps``."""
        saved = dict(activation=self.activation)
        pngs, captions = [], []
        try:
            for name in activations or [n for n in ("sigmoid", "tanh", "relu") if n in self.names] or self.names[:1]:
                self.configure(activation=name)
                while True:
                    self._draw()
                    pngs.append(figure_png(self.figure, colors=colors))
                    captions.append(f"{name}: step {self.step_count}, loss {self.loss:.4g}; gradient norm of the first "
                                    f"layer {self.norms[0]:.2e}, of the last {self.norms[-1]:.2e}.")
                    if self.step_count >= steps:
                        break
                    self.train(min(every, steps - self.step_count), redraw=False)
        finally:
            self.configure(**saved)
        return HtmlPlayer(pngs, captions, interval=interval, width=int(self.figure.get_figwidth() * self.figure.dpi))


# =========================================================================== activation explorer
#: slider ranges (min, max, step) for the parameters of the lectures' parametrised activations
PARAM_RANGES = {"slope": (0.0, 0.5, 0.01), "a": (0.0, 1.0, 0.01), "alpha": (0.05, 3.0, 0.05),
                "beta": (0.1, 5.0, 0.1)}


class ActivationExplorer(_LiveFigure):
    r"""Plot :math:`f` and :math:`f'` of an activation from *your* table; shade where :math:`|f'| <` threshold.

    Parameters
    ----------
    activations : mapping
        ``name -> (f, df)`` (or objects with ``f``, ``df`` and ``params``).
    name : str, optional
        The activation shown first.
    threshold : float
        Gradient magnitude below which the input region is shaded ("saturated": little gradient flows).
    z : array, optional
        Grid of inputs (default 601 points on [-6, 6]).
    """

    def __init__(self, activations, name=None, threshold=0.05, z=None, figsize=(7.6, 3.4), dpi=100):
        self.table = activation_table(activations)
        self.name = name or next(iter(self.table))
        if self.name not in self.table:
            raise ValueError(f"unknown activation {self.name!r}; known: {', '.join(self.table)}")
        self.threshold = float(threshold)
        self.param = self._default_param(self.name)
        self.figure = plots.new_figure(*figsize, dpi=dpi)
        self.plot = plots.ActivationPlot(self.figure.add_axes([0.065, 0.14, 0.925, 0.77]), z)
        self.redraw()

    def _default_param(self, name):
        """``(parameter name, value)`` of the activation's first numeric keyword parameter, or None."""
        found = self.table[name].parameter_defaults()
        return next(iter(found.items())) if found else None

    def values(self):
        """``(f(z), f'(z))`` on the grid with the current parameter."""
        entry = self.table[self.name]
        kw = {self.param[0]: self.param[1]} if self.param else {}
        return entry(self.plot.z, **kw), entry.grad(self.plot.z, **kw)

    def _draw(self):
        f, df = self.values()
        p = f" ({self.param[0]} = {self.param[1]:g})" if self.param else ""
        self.plot.update(f, df, self.threshold, title=f"{self.name}{p}; shaded: |f'(z)| < {self.threshold:g}")

    def set(self, name=None, param=None, threshold=None):
        """Choose the activation, its parameter value, and/or the threshold; redraws once."""
        self._set_state(name, param, threshold)
        self.redraw()

    def _set_state(self, name=None, param=None, threshold=None):
        if name is not None:
            if name not in self.table:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(self.table)}")
            if name != self.name:
                self.name, self.param = name, self._default_param(name)
        if param is not None:
            if self.param is None:
                raise ValueError(f"activation {self.name!r} has no parameter")
            self.param = (self.param[0], float(param))
        if threshold is not None:
            self.threshold = float(threshold)

    def _build_ui(self, w):
        c = {"activation": w.Dropdown(options=list(self.table), value=self.name, description="activation"),
             "param": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="parameter",
                                    continuous_update=True),
             "threshold": w.FloatLogSlider(value=self.threshold, base=10, min=-4, max=0, step=0.1,
                                           description="|f'| <", readout_format=".2g", continuous_update=True)}
        self._controls = c
        c["activation"].observe(self._callback(lambda ch: self.set(name=ch["new"])), names="value")
        c["param"].observe(self._callback(lambda ch: self.set(param=ch["new"])), names="value")
        c["threshold"].observe(self._callback(lambda ch: self.set(threshold=ch["new"])), names="value")
        return w.HBox([self._image, w.VBox([c["activation"], c["param"], c["threshold"]])])

    def _sync_controls(self):
        c = self._controls
        c["activation"].value = self.name
        s = c["param"]
        if self.param is None:
            s.layout.visibility, s.description = "hidden", "parameter"
        else:
            pname, value = self.param
            lo, hi, st = PARAM_RANGES.get(pname, (min(0.0, value - 2), value + 2, 0.01))
            s.min, s.max = -1e9, 1e9  # widen first so the new bounds never conflict with the old value
            s.min, s.max, s.step = min(lo, value), max(hi, value), st
            s.value, s.description, s.layout.visibility = value, pname, "visible"
        c["threshold"].value = self.threshold

    def to_html_player(self, states=None, interval=1200, colors=64) -> HtmlPlayer:
        """Frames for ``states``: a list of names or ``(name, parameter value)`` pairs (default: every activation)."""
        saved = (self.name, self.param, self.threshold)
        pngs, captions = [], []
        try:
            for s in states or list(self.table):
                name, value = (s, None) if isinstance(s, str) else s
                self._set_state(name=name)
                self.param = self._default_param(name)
                if value is not None:
                    self._set_state(param=value)
                self._draw()
                pngs.append(figure_png(self.figure, colors=colors))
                p = f" with {self.param[0]} = {self.param[1]:g}" if self.param else ""
                captions.append(f"{name}{p}: |f'(z)| < {self.threshold:g} on {100 * self.plot.small_fraction:.0f}% "
                                f"of z in [{self.plot.z[0]:g}, {self.plot.z[-1]:g}] (shaded).")
        finally:
            self.name, self.param, self.threshold = saved
            self.redraw()
        return HtmlPlayer(pngs, captions, interval=interval, width=int(self.figure.get_figwidth() * self.figure.dpi))


# =========================================================================== perceptron stepper
class PerceptronStepper(_LiveFigure):
    r"""One click, one Rosenblatt update (yours) on a two-input Boolean function; boundary and mistakes redrawn.

    Convention (the lectures' and the reference's): the weights are ``w = [w0, w1, w2]`` with the bias
    weight ``w0`` on a constant input :math:`x_0 = 1`; your functions receive the *raw* inputs.

    Parameters
    ----------
    update : callable
        ``update(w, x, t, lr) -> new w`` for one input ``x`` of shape ``(2,)`` with target ``t`` in {0, 1}
        (e.g. your ``rosenblatt_update``).
    predict : callable
        ``predict(w, X) -> (n,)`` outputs in {0, 1} for inputs ``X`` of shape ``(n, 2)``.
    function : str
        ``"and"``, ``"or"``, ``"xor"`` (any name of :func:`course.data.truth_table`).
    w0 : array-like
        Initial weights (default zeros). ``lr``: learning rate passed to ``update``.

    Each :meth:`step` visits the samples in cyclic order from where the last step stopped, finds the
    next misclassified one and applies ``update`` to it. When no sample is misclassified the
    perceptron has converged and ``step`` changes nothing; on XOR that never happens.
    """

    def __init__(self, update, predict, function="and", w0=(0.0, 0.0, 0.0), lr=1.0,
                 functions=("and", "or", "xor"), figsize=(6.8, 4.4), dpi=100):
        if not callable(update) or not callable(predict):
            raise TypeError("pass update(w, x, t, lr) -> w and predict(w, X) -> outputs in {0, 1}")
        self.update_rule, self.predict_rule = update, predict
        self.functions, self._w0, self.lr = list(functions), np.asarray(w0, dtype=np.float64), float(lr)
        if self._w0.shape != (3,):
            raise ValueError(f"w0 must have shape (3,) = [w0 (bias), w1, w2], got {self._w0.shape}")
        self.figure = plots.new_figure(*figsize, dpi=dpi)
        self._ax = self.figure.add_axes([0.1, 0.1, 0.52, 0.8])
        self.set_function(function)

    def set_function(self, name):
        """Switch to another Boolean function (and restart from ``w0``)."""
        from .data import truth_table

        X, y = truth_table(name)
        self.function, self.X, self.y = name, X, y
        self._ax.clear()
        self.plot = plots.PerceptronPlot(self._ax, X, y)
        self.reset()

    def reset(self):
        self.w = self._w0.copy()
        self.updates, self.position, self.last = 0, 0, None
        self.history = [(self.w.copy(), self.position)]
        self.redraw()

    def predictions(self) -> np.ndarray:
        out = np.asarray(self.predict_rule(self.w.copy(), self.X.copy()), dtype=np.float64).reshape(-1)
        if out.shape != self.y.shape:
            raise ValueError(f"predict must return {self.y.shape[0]} outputs, got shape {out.shape}")
        return out

    @property
    def converged(self) -> bool:
        return bool(np.all(self.predictions() == self.y))

    def step(self, n: int = 1):
        """Apply ``n`` updates, each on the next misclassified sample (cyclic order); no-op once converged."""
        for _ in range(int(n)):
            self._silent_step()
        self.redraw()

    def cycling(self) -> bool:
        """True once the stepper's whole state -- weights and the position in the cycle over the
        inputs -- repeats: the updates are deterministic, so from then on they go round forever."""
        key = [(tuple(np.round(w, 12)), pos) for w, pos in self.history]
        return len(key) > 1 and key[-1] in key[:-1]

    def _draw(self):
        pred = self.predictions()
        n_wrong = int(np.sum(pred != self.y))
        state = ("converged" if n_wrong == 0 else
                 "cycling: an earlier state repeats" if self.cycling() else f"{n_wrong} misclassified")
        w = ", ".join(f"{v:g}" for v in self.w)
        self.plot.update(self.w, pred, current=self.last,
                         title=f"{self.function.upper()}, update {self.updates}: w = [{w}]\n{state}")

    def _build_ui(self, w):
        c = {"function": w.ToggleButtons(options=self.functions, value=None),
             "step": w.Button(description="one update"),
             "step10": w.Button(description="10 updates"),
             "reset": w.Button(description="reset")}
        c["function"].observe(self._callback(lambda ch: self.set_function(ch["new"])), names="value")
        c["step"].on_click(self._callback(lambda b: self.step(1)))
        c["step10"].on_click(self._callback(lambda b: self.step(10)))
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        self._controls = c
        return w.VBox([c["function"], self._image, w.HBox([c["step"], c["step10"], c["reset"]])])

    def _sync_controls(self):
        self._controls["function"].value = self.function

    def to_html_player(self, function=None, updates=None, interval=900, colors=64) -> HtmlPlayer:
        """Frames: the start, then one per update on ``function`` (default the current one).

        ``updates=None`` runs until the perceptron has converged, at most 16 updates (XOR never does).
        The stepper's own state is restored afterwards.
        """
        saved = (self.function, self.w.copy(), self.updates, self.position, self.last, list(self.history))
        limit = 16 if updates is None else int(updates)
        pngs, captions = [], []
        try:
            if (function or self.function) != self.function:
                self.set_function(function)
            self.w, self.updates, self.position, self.last = self._w0.copy(), 0, 0, None
            self.history = [(self.w.copy(), self.position)]
            for k in range(limit + 1):
                if k:
                    if updates is None and self.converged:
                        break
                    self._silent_step()
                self._draw()
                pngs.append(figure_png(self.figure, colors=colors))
                wrong = int(np.sum(self.predictions() != self.y))
                what = ("start" if k == 0 else
                        f"update {self.updates} on input ({self.X[self.last, 0]:g}, {self.X[self.last, 1]:g})"
                        if self.last is not None else "nothing left to update")
                verdict = ("converged" if wrong == 0 else f"{wrong} of 4 misclassified"
                           + ("; weights and position in the input cycle repeat an earlier state, so the "
                              "updates go round in this loop forever"
                              if self.cycling() else ""))
                captions.append(f"{self.function.upper()}, {what}: w = [{', '.join(f'{v:g}' for v in self.w)}], "
                                f"{verdict}.")
        finally:
            if saved[0] != self.function:
                self.set_function(saved[0])
            self.w, self.updates, self.position, self.last, self.history = saved[1:]
            self.redraw()
        return HtmlPlayer(pngs, captions, interval=interval, width=int(self.figure.get_figwidth() * self.figure.dpi))

    def _silent_step(self):
        wrong = self.predictions() != self.y
        if not wrong.any():
            self.last = None
            return
        order = [(self.position + k) % len(self.y) for k in range(len(self.y))]
        i = next(k for k in order if wrong[k])
        self.w = np.asarray(self.update_rule(self.w.copy(), self.X[i].copy(), self.y[i], self.lr), dtype=np.float64)
        if self.w.shape != (3,):
            raise ValueError(f"update must return weights of shape (3,), got {self.w.shape}")
        self.updates, self.position, self.last = self.updates + 1, (i + 1) % len(self.y), i
        self.history.append((self.w.copy(), self.position))
