r"""The perceptron stepper: one click, one Rosenblatt update (*yours*) on a two-input Boolean function."""
from __future__ import annotations

import numpy as np

from ..data import truth_table
from ..protocol import StudentCodeError, call_student
from .base import LiveWidget
from .player import HtmlPlayer

__all__ = ["PerceptronStepper"]


class PerceptronStepper(LiveWidget):
    r"""One click, one Rosenblatt update (yours) on a two-input Boolean function; boundary and mistakes redrawn.

    Convention (the lectures'): the weights are ``w = [w0, w1, w2]`` with the bias weight ``w0`` on a
    constant input :math:`x_0 = 1`; your functions receive the *raw* inputs.

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

    _state_names = ("function", "X", "y", "w", "updates", "position", "last", "history", "pred")
    width = 680

    def __init__(self, update, predict, function="and", w0=(0.0, 0.0, 0.0), lr=1.0, functions=("and", "or", "xor")):
        if not callable(update) or not callable(predict):
            raise TypeError("pass update(w, x, t, lr) -> w and predict(w, X) -> outputs in {0, 1}")
        self.update_rule, self.predict_rule = update, predict
        self.functions, self._w0, self.lr = list(functions), np.asarray(w0, dtype=np.float64), float(lr)
        if self._w0.shape != (3,):
            raise ValueError(f"w0 must have shape (3,) = [w0 (bias), w1, w2], got {self._w0.shape}")
        self.pred = None
        self._run_student(lambda: self.set_function(function))

    def set_function(self, name):
        """Switch to another Boolean function (and restart from ``w0``)."""
        self.X, self.y = truth_table(name)
        self.function = name
        self.reset()

    def reset(self):
        self.w = self._w0.copy()
        self.updates, self.position, self.last = 0, 0, None
        self.history = [(self.w.copy(), self.position)]
        self.redraw()

    def predictions(self) -> np.ndarray:
        name = getattr(self.predict_rule, "__name__", "predict")
        out = call_student(self.predict_rule, self.w.copy(), self.X.copy(), role="the perceptron's output")
        if out is None:
            raise StudentCodeError(f"`{name}` returned None: is a `return` statement missing at its end? It must "
                                   f"return {self.y.shape[0]} outputs in {{0, 1}}.", name)
        out = np.asarray(out, dtype=np.float64).reshape(-1)
        if out.shape != self.y.shape:
            raise StudentCodeError(f"`{name}` must return {self.y.shape[0]} outputs (one per row of X), got shape "
                                   f"{out.shape}.", name)
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

    @property
    def n_wrong(self) -> int:
        return int(np.sum(self.pred != self.y))

    def scene(self) -> dict:
        self.pred = self.predictions()
        n_wrong = self.n_wrong
        state = ("converged" if n_wrong == 0 else
                 "cycling: an earlier state repeats" if self.cycling() else f"{n_wrong} misclassified")
        w = ", ".join(f"{v:g}" for v in self.w)
        title = f"{self.function.upper()}, update {self.updates}: w = [{w}]\n{state}"
        self.headline = ""
        return dict(kind="perceptron", X=self.X, y=self.y, w=self.w, wrong=[bool(v) for v in self.pred != self.y],
                    current=self.last, title=title, alt=title.replace("\n", ", "))

    def _build_controls(self, w):
        c = {"function": w.ToggleButtons(options=self.functions, value=self.function,
                                         style={"button_width": "4.5em"}),
             "step": w.Button(description="one update"),
             "step10": w.Button(description="10 updates"),
             "reset": w.Button(description="reset")}
        c["function"].observe(self._callback(lambda ch: self.set_function(ch["new"])), names="value")
        c["step"].on_click(self._callback(lambda b: self.step(1)))
        c["step10"].on_click(self._callback(lambda b: self.step(10)))
        c["reset"].on_click(self._callback(lambda b: self.reset()))
        return c

    def _layout(self, w, c):
        return w.VBox([c["function"], c["step"], c["step10"], c["reset"]])

    def _sync_controls(self):
        self._controls["function"].value = self.function

    def to_html_player(self, function=None, updates=None, interval=900):
        """Frames: the start, then one per update on ``function`` (default the current one).

        ``updates=None`` runs until the perceptron has converged, at most 16 updates (XOR never does).
        The stepper's own state is restored afterwards.
        """
        if self.pred is None:
            raise ValueError(f"nothing to show: {self.error}")
        saved = self._snapshot()
        limit = 16 if updates is None else int(updates)
        scenes, captions = [], []
        try:
            if (function or self.function) != self.function:
                self.X, self.y = truth_table(function)
                self.function = function
            self.w, self.updates, self.position, self.last = self._w0.copy(), 0, 0, None
            self.history = [(self.w.copy(), self.position)]
            for k in range(limit + 1):
                if k:
                    if updates is None and self.converged:
                        break
                    self._silent_step()
                scenes.append(self.scene())
                wrong = self.n_wrong
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
            self._restore(saved)
            self.redraw()
        return HtmlPlayer(scenes, captions, interval=interval, width=self.width)

    def _silent_step(self):
        wrong = self.predictions() != self.y
        if not wrong.any():
            self.last = None
            return
        order = [(self.position + k) % len(self.y) for k in range(len(self.y))]
        i = next(k for k in order if wrong[k])
        name = getattr(self.update_rule, "__name__", "update")
        new = call_student(self.update_rule, self.w.copy(), self.X[i].copy(), self.y[i], self.lr,
                           role="the perceptron's update")
        if new is None:
            raise StudentCodeError(f"`{name}` returned None: is a `return` statement missing at its end? It must "
                                   "return the new weights [w0, w1, w2].", name)
        new = np.asarray(new, dtype=np.float64)
        if new.shape != (3,):
            raise StudentCodeError(f"`{name}` must return weights of shape (3,) = [w0, w1, w2], got shape "
                                   f"{new.shape}.", name)
        self.w = new
        self.updates, self.position, self.last = self.updates + 1, (i + 1) % len(self.y), i
        self.history.append((self.w.copy(), self.position))
