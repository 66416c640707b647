r"""Vanishing gradients: the gradient norm per layer at initialisation and during training."""
from __future__ import annotations

import numpy as np

from ..core.params import layer_sizes
from ..protocol import call_backward, call_forward, call_update, make_loss
from .base import LiveWidget
from .player import HtmlPlayer
from .tables import names_and_table

__all__ = ["VanishingGradients", "default_init"]


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


class VanishingGradients(LiveWidget):
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
    update : callable, optional
        *Your* ``update(params, grads, lr) -> params``; training (the "train" button) needs it.
    loss, activations_as
        As in :class:`~course.widgets.GradientFlowExplorer`.
    data : (X, y), optional
        Training data; ``y`` of shape ``(n,)`` or ``(n, 1)``.
    depth, width, activation, output_activation, gain, lr, seed
        Initial settings (depth = number of hidden layers).
    """

    _state_names = ("params", "depth", "activation", "gain", "lr", "seed", "step_count", "loss", "grads", "norms",
                    "init_norms", "losses", "norm_history")

    def __init__(self, forward, backward, activations=None, init=None, update=None, loss=None, data=None,
                 depth=6, width=8, activation="sigmoid", output_activation="sigmoid", gain=1.0, lr=0.5, seed=0,
                 activations_as="names"):
        self.forward, self.backward, self.update = forward, backward, update
        self.init, self.loss_fn = init, loss
        self.names, self.table = names_and_table(activations)
        self.activations_as = activations_as
        self._E = make_loss(forward, loss)
        for name in (activation, output_activation):
            if name not in self.names:
                raise ValueError(f"unknown activation {name!r}; known: {', '.join(self.names)}")
        if data is None:
            from ..data import two_circles

            data = two_circles(n=200, noise=0.1, seed=0)
        X, y = data
        self.X = np.asarray(X, dtype=np.float64)
        self.Y = np.asarray(y, dtype=np.float64).reshape(len(self.X), -1)
        self.depth, self.hidden_width, self.activation = int(depth), int(width), activation
        self.output_activation, self.gain, self.lr, self.seed = output_activation, float(gain), float(lr), seed
        self.norms = None
        self._run_student(self.reset)

    def layer_activations(self):
        names = [self.activation] * self.depth + [self.output_activation]
        if self.activations_as == "names":
            return names
        return [(self.table[n].__call__, self.table[n].grad) for n in names]

    @property
    def sizes(self):
        return [self.X.shape[1]] + [self.hidden_width] * self.depth + [self.Y.shape[1]]

    def _gradients(self):
        acts = self.layer_activations()
        cache = call_forward(self.forward, self.params, self.X, acts)
        self.loss = self._E(self.params, self.X, self.Y, acts)
        self.grads = call_backward(self.backward, self.params, cache, self.Y, acts)
        return [float(np.linalg.norm(self.grads[f"W{l}"])) for l in range(1, self.depth + 2)]

    def reset(self):
        """New weights for the current depth / activation / gain; step 0."""
        names = [self.activation] * self.depth + [self.output_activation]
        init = default_init if self.init is None else self.init
        params = init(self.sizes, names, self.seed)
        self.params = {k: np.asarray(v, dtype=np.float64) * (self.gain if k[0] == "W" else 1.0)
                       for k, v in params.items()}
        layer_sizes(self.params)
        self.step_count = 0
        self.init_norms = self.norms = self._gradients()
        self.losses = [self.loss]
        self.norm_history = [self.norms]
        self.redraw()

    def train(self, n: int = 20, redraw: bool = True):
        """``n`` full-batch updates with your ``update``; records the loss and the per-layer gradient norms."""
        if self.update is None:
            raise ValueError("pass update=your gradient-descent step, update(params, grads, lr) -> new params, "
                             "to train")
        for _ in range(int(n)):
            self.params = call_update(self.update, self.params, self.grads, self.lr)
            self.step_count += 1
            self.norms = self._gradients()
            self.losses.append(self.loss)
            self.norm_history.append(self.norms)
        if redraw:
            self.redraw()

    def configure(self, **settings):
        """Change ``depth``, ``activation``, ``gain``, ``lr`` or ``seed`` and re-initialise."""
        for k, v in settings.items():
            if k not in ("depth", "activation", "gain", "lr", "seed"):
                raise ValueError(f"unknown setting {k!r}; known: depth, activation, gain, lr, seed")
            if k == "activation" and v not in self.names:
                raise ValueError(f"unknown activation {v!r}; known: {', '.join(self.names)}")
            setattr(self, k, v)
        self.reset()

    def scene(self) -> dict:
        ratio = self.norms[0] / self.norms[-1] if self.norms[-1] > 0 else float("inf")
        title = (f"{self.activation} · {self.depth} hidden layers · gain {self.gain:g} · step {self.step_count} · "
                 f"first/last layer = {ratio:.2g}")
        self.headline = ""
        return dict(kind="bars", init=list(self.init_norms), now=list(self.norms), losses=list(self.losses),
                    title=title, alt=title)

    def _build_controls(self, w):
        c = {
            "depth": w.IntSlider(value=self.depth, min=1, max=15, description="hidden layers", continuous_update=False),
            "activation": w.Dropdown(options=self.names, value=self.activation, description="activation"),
            "gain": w.FloatLogSlider(value=self.gain, base=10, min=-1, max=1, step=0.05, description="init gain",
                                     continuous_update=False),
            "reset": w.Button(description="re-initialise"),
        }
        for k in ("depth", "activation", "gain"):
            c[k].observe(self._callback(lambda ch, k=k: self.configure(**{k: ch["new"]})), names="value")
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        if self.update is not None:
            c["lr"] = w.FloatLogSlider(value=self.lr, base=10, min=-3, max=1, step=0.05, description="η",
                                       continuous_update=False)
            c["lr"].observe(self._callback(lambda ch: setattr(self, "lr", float(ch["new"]))), names="value")
            c["n_steps"] = w.BoundedIntText(value=50, min=1, max=100000, layout=w.Layout(width="7em"))
            c["train"] = w.Button(description="train N steps")
            c["train"].on_click(self._callback(lambda b: self.train(c["n_steps"].value)))
        return c

    def _layout(self, w, c):
        rows = [c["depth"], c["activation"], c["gain"]]
        if "train" in c:
            rows += [c["lr"], w.HBox([c["train"], c["n_steps"]])]
        return w.VBox(rows + [c["reset"]])

    def _sync_controls(self):
        c = self._controls
        c["depth"].value, c["activation"].value, c["gain"].value = self.depth, self.activation, self.gain
        if "lr" in c:
            c["lr"].value = self.lr

    def to_html_player(self, activations=None, steps=200, every=40, interval=900):
        """Frames: for each activation, the norms at initialisation and every ``every`` steps up to
        ``steps`` (only the initialisation without ``update``)."""
        if self.norms is None:
            raise ValueError(f"nothing to show: {self.error}")
        saved = dict(activation=self.activation)
        scenes, captions = [], []
        try:
            for name in activations or [n for n in ("sigmoid", "tanh", "relu") if n in self.names] or self.names[:1]:
                self.configure(activation=name)
                while True:
                    scenes.append(self.scene())
                    captions.append(f"{name}: step {self.step_count}, loss {self.loss:.4g}; gradient norm of the first "
                                    f"layer {self.norms[0]:.2e}, of the last {self.norms[-1]:.2e}.")
                    if self.step_count >= steps or self.update is None:
                        break
                    self.train(min(every, steps - self.step_count), redraw=False)
        finally:
            self.configure(**saved)
        return HtmlPlayer(scenes, captions, interval=interval, width=self.width)
