r"""The activation explorer: :math:`f` and :math:`f'` from *your* table, shading where :math:`|f'|` is small."""
from __future__ import annotations

import numpy as np

from ..protocol import activation_table
from .base import LiveWidget
from .player import HtmlPlayer

__all__ = ["ActivationExplorer", "PARAM_RANGES"]

#: slider ranges (min, max, step) for the parameters of the lectures' parametrised activations
PARAM_RANGES = {"slope": (0.0, 0.5, 0.01), "a": (0.0, 1.0, 0.01), "alpha": (0.05, 3.0, 0.05),
                "beta": (0.1, 5.0, 0.1)}


class ActivationExplorer(LiveWidget):
    r"""Plot :math:`f` and :math:`f'` of an activation from *your* table; shade where :math:`|f'| <` threshold.

    Parameters
    ----------
    activations : mapping
        ``name -> (f, df)`` (or objects with ``f``, ``df`` and ``params``). Any vectorised callables:
        functions, lambdas, ``functools.partial`` objects, numpy ufuncs (``np.tanh``), scipy functions.
    name : str, optional
        The activation shown first.
    threshold : float
        Gradient magnitude below which the input region is shaded ("saturated": little gradient flows).
    z : array, optional
        Grid of inputs (default 601 points on [-6, 6]).
    """

    _state_names = ("name", "param", "threshold", "f_values", "df_values")

    def __init__(self, activations, name=None, threshold=0.05, z=None):
        self.table = activation_table(activations)
        self.name = name or next(iter(self.table))
        if self.name not in self.table:
            raise ValueError(f"unknown activation {self.name!r}; known: {', '.join(self.table)}")
        self.threshold = float(threshold)
        self.z = np.linspace(-6, 6, 601) if z is None else np.asarray(z, dtype=np.float64)
        self.param = self._default_param(self.name)
        self.f_values = self.df_values = None
        self._run_student(self._compute_and_draw)

    def _default_param(self, name):
        """``(parameter name, value)`` of the activation's first numeric keyword parameter, or None."""
        found = self.table[name].parameter_defaults()
        return next(iter(found.items())) if found else None

    def values(self):
        """``(f(z), f'(z))`` on the grid with the current parameter (your functions, called once each)."""
        entry = self.table[self.name]
        kw = {self.param[0]: self.param[1]} if self.param else {}
        return entry(self.z, **kw), entry.grad(self.z, **kw)

    def _compute_and_draw(self):
        self.f_values, self.df_values = self.values()
        self.redraw()

    @property
    def small_fraction(self) -> float:
        """The fraction of the grid where :math:`|f'(z)| <` threshold (the shaded part)."""
        return float(np.mean(np.abs(self.df_values) < self.threshold))

    def scene(self) -> dict:
        p = f" ({self.param[0]} = {self.param[1]:g})" if self.param else ""
        title = f"{self.name}{p}; shaded: |f′(z)| < {self.threshold:g}"
        self.headline = ""
        return dict(kind="activation", z=self.z, f=self.f_values, df=self.df_values, threshold=self.threshold,
                    threshold_text=f"{self.threshold:g}", title=title, alt=title)

    def set(self, name=None, param=None, threshold=None):
        """Choose the activation, its parameter value, and/or the threshold; redraws once."""
        self._set_state(name, param, threshold)
        self._compute_and_draw()

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

    def _build_controls(self, w):
        c = {"activation": w.Dropdown(options=list(self.table), value=self.name, description="activation"),
             "param": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="parameter",
                                    continuous_update=False),
             "threshold": w.FloatLogSlider(value=self.threshold, base=10, min=-4, max=0, step=0.1,
                                           description="|f′| <", readout_format=".2g", continuous_update=False)}
        c["activation"].observe(self._callback(lambda ch: self.set(name=ch["new"])), names="value")
        c["param"].observe(self._callback(lambda ch: self.set(param=ch["new"])), names="value")
        c["threshold"].observe(self._callback(lambda ch: self.set(threshold=ch["new"])), names="value")
        return c

    def _layout(self, w, c):
        return w.VBox([c["activation"], c["param"], c["threshold"]])

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

    def to_html_player(self, states=None, interval=1200):
        """Frames for ``states``: a list of names or ``(name, parameter value)`` pairs (default: every activation)."""
        if self.f_values is None:
            raise ValueError(f"nothing to show: {self.error}")
        saved = self._snapshot()
        scenes, captions = [], []
        try:
            for s in states or list(self.table):
                name, value = (s, None) if isinstance(s, str) else s
                self._set_state(name=name)
                self.param = self._default_param(name)
                if value is not None:
                    self._set_state(param=value)
                self.f_values, self.df_values = self.values()
                scenes.append(self.scene())
                p = f" with {self.param[0]} = {self.param[1]:g}" if self.param else ""
                captions.append(f"{name}{p}: |f'(z)| < {self.threshold:g} on {100 * self.small_fraction:.0f}% "
                                f"of z in [{self.z[0]:g}, {self.z[-1]:g}] (shaded).")
        finally:
            self._restore(saved)
            self.redraw()
        return HtmlPlayer(scenes, captions, interval=interval, width=self.width)
