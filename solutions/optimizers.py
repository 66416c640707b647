r"""Gradient descent and its momentum and adaptive variants, each update rule beside its state.

Every optimiser turns the gradient :math:`g_t = \nabla E(\theta_{t-1})` of step :math:`t = 1, 2, \dots` into a
change of the parameters. State (velocities, moment estimates) starts at zero and is kept per parameter
array, so one optimiser object serves one training run.

=================  ====================================================================================
name               update (all operations elementwise)
=================  ====================================================================================
``"sgd"``          :math:`\theta \leftarrow \theta - \eta g`
``"momentum"``     :math:`v \leftarrow \mu v - \eta g,\quad \theta \leftarrow \theta + v` (Polyak's heavy ball)
``"nesterov"``     :math:`v \leftarrow \mu v - \eta g,\quad \theta \leftarrow \theta + \mu v - \eta g`
                   (Nesterov's look-ahead, in the variables of Sutskever et al. 2013)
``"rmsprop"``      :math:`s \leftarrow \rho s + (1-\rho) g^2,\quad \theta \leftarrow \theta - \eta g / (\sqrt{s} + \epsilon)`
``"adam"``         :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\quad s \leftarrow \beta_2 s + (1-\beta_2) g^2`,
                   :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat s} + \epsilon)` with the bias
                   corrections :math:`\hat m = m / (1-\beta_1^t)`, :math:`\hat s = s / (1-\beta_2^t)`
=================  ====================================================================================

``momentum`` and ``nesterov`` are scikit-learn's ``SGDOptimizer`` (``nesterov=False`` / ``True``) exactly.
``adam`` is Algorithm 1 of Kingma and Ba; scikit-learn's ``AdamOptimizer`` uses the paper's "efficient"
rearrangement :math:`\eta_t = \eta \sqrt{1-\beta_2^t}/(1-\beta_1^t)`, :math:`\theta \leftarrow \theta - \eta_t m /
(\sqrt{s} + \epsilon)`: its update with :math:`\epsilon` is ours with :math:`\epsilon / \sqrt{1-\beta_2^t}`
(identical for :math:`\epsilon = 0`).

Test functions for the trajectories of the book: :class:`Quadratic` (:math:`E = \tfrac12 x^\top A x - b^\top x`)
and :func:`rosenbrock`; :func:`minimise` runs an optimiser on any gradient function and returns the path.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

__all__ = ["Optimizer", "GradientDescent", "Momentum", "Nesterov", "RMSProp", "Adam", "OPTIMIZERS", "make",
           "minimise", "Quadratic", "rosenbrock", "rosenbrock_grad", "ROSENBROCK_MINIMUM"]


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _unit_interval(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
    return float(value)


class Optimizer:
    """Base class: ``step(params, grads)`` adds ``delta(key, g)`` to every ``params[key]`` (in place).

    ``t`` counts the steps taken; ``state[key]`` holds the optimiser's memory for that parameter array.
    """

    name = "base"

    def __init__(self, lr: float):
        self.lr = _positive("lr", lr)
        self.t = 0
        self.state: dict = {}

    def delta(self, key, g):  # pragma: no cover - every optimiser overrides it
        raise NotImplementedError

    def step(self, params: dict, grads: dict) -> None:
        """One update of every array in ``params`` from the matching entry of ``grads``."""
        self.t += 1
        for key, g in grads.items():
            params[key] += self.delta(key, np.asarray(g, dtype=np.float64))

    def __repr__(self):
        hyper = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k not in ("t", "state"))
        return f"{type(self).__name__}({hyper})"


class GradientDescent(Optimizer):
    r"""Plain (stochastic) gradient descent: :math:`\Delta\theta = -\eta g`."""

    name = "sgd"

    def delta(self, key, g):
        return -self.lr * g


class Momentum(Optimizer):
    r"""Heavy-ball momentum: :math:`v \leftarrow \mu v - \eta g`, :math:`\Delta\theta = v`.

    The velocity is a running sum of past gradients, :math:`v_t = -\eta \sum_{k \le t} \mu^{t-k} g_k`; in a
    direction where the gradient keeps its sign the steps grow towards :math:`\eta/(1-\mu)` times the gradient.
    """

    name = "momentum"

    def __init__(self, lr: float, momentum: float = 0.9):
        super().__init__(lr)
        self.momentum = _unit_interval("momentum", momentum)

    def delta(self, key, g):
        v = self.momentum * self.state.get(key, 0.0) - self.lr * g
        self.state[key] = v
        return v


class Nesterov(Momentum):
    r"""Nesterov momentum: :math:`v \leftarrow \mu v - \eta g`, :math:`\Delta\theta = \mu v - \eta g`.

    Nesterov evaluates the gradient at the look-ahead point :math:`\theta + \mu v`. Writing the iteration in
    the look-ahead variable (Sutskever et al. 2013, as scikit-learn does) gives this update, in which the
    gradient at the current parameters enters twice: once into the velocity and once directly.
    """

    name = "nesterov"

    def delta(self, key, g):
        v = super().delta(key, g)
        return self.momentum * v - self.lr * g


class RMSProp(Optimizer):
    r"""RMSProp: :math:`s \leftarrow \rho s + (1-\rho) g^2`, :math:`\Delta\theta = -\eta g / (\sqrt{s} + \epsilon)`.

    Each coordinate's step is divided by a running root-mean-square of its own gradients, so steep and flat
    directions move at similar speeds.
    """

    name = "rmsprop"

    def __init__(self, lr: float, rho: float = 0.9, eps: float = 1e-8):
        super().__init__(lr)
        self.rho = _unit_interval("rho", rho)
        self.eps = _positive("eps", eps)

    def delta(self, key, g):
        s = self.rho * self.state.get(key, 0.0) + (1.0 - self.rho) * g * g
        self.state[key] = s
        return -self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    r"""Adam: momentum on :math:`g` and RMSProp's scale, both bias-corrected.

    :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`s \leftarrow \beta_2 s + (1-\beta_2) g^2`,
    :math:`\Delta\theta = -\eta\, \hat m / (\sqrt{\hat s} + \epsilon)`,
    :math:`\hat m = m/(1-\beta_1^t)`, :math:`\hat s = s/(1-\beta_2^t)`.

    The moments start at 0, so after :math:`t` steps of a constant gradient :math:`m = (1-\beta_1^t) g`: the
    corrections divide out exactly that factor, and the first step moves every coordinate by about
    :math:`\eta` against the sign of its gradient.
    """

    name = "adam"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = _unit_interval("beta1", beta1)
        self.beta2 = _unit_interval("beta2", beta2)
        self.eps = _positive("eps", eps)

    def delta(self, key, g):
        m, s = self.state.get(key, (0.0, 0.0))
        m = self.beta1 * m + (1.0 - self.beta1) * g            # first moment: running mean of g
        s = self.beta2 * s + (1.0 - self.beta2) * g * g        # second moment: running mean of g^2
        self.state[key] = (m, s)
        m_hat = m / (1.0 - self.beta1 ** self.t)               # bias corrections (t counts from 1)
        s_hat = s / (1.0 - self.beta2 ** self.t)
        return -self.lr * m_hat / (np.sqrt(s_hat) + self.eps)


#: name -> optimiser class (hyper-parameters as keyword arguments of the class)
OPTIMIZERS: dict[str, type] = {cls.name: cls for cls in (GradientDescent, Momentum, Nesterov, RMSProp, Adam)}


def make(name: str, lr: float, **hyper) -> Optimizer:
    """A new optimiser by name, e.g. ``make("adam", 0.01, beta1=0.8)``; unknown names and parameters are named."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; known optimizers: {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[name]
    import inspect

    allowed = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "lr")]
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise ValueError(f"optimizer {name!r} has no parameter(s) {unknown}; its parameters: "
                         f"{', '.join(['lr', *allowed])}")
    return cls(lr, **hyper)


def minimise(grad: Callable[[np.ndarray], np.ndarray], x0, optimizer: Optimizer, steps: int) -> np.ndarray:
    """Run ``optimizer`` for ``steps`` steps from ``x0`` on the gradient function ``grad``.

    Returns the path, an array of shape ``(steps + 1, d)`` whose first row is ``x0``. A path that leaves the
    floating-point range is returned as it is (``inf`` / ``nan`` rows): divergence is a result to plot.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    x = np.array(x0, dtype=np.float64).reshape(-1)
    params = {"x": x.copy()}
    path = np.empty((steps + 1, x.size))
    path[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            optimizer.step(params, {"x": np.asarray(grad(params["x"]), dtype=np.float64).reshape(x.shape)})
            path[t] = params["x"]
    return path


# --------------------------------------------------------------------------- test functions
class Quadratic:
    r"""The quadratic :math:`E(x) = \tfrac12 x^\top A x - b^\top x` with a symmetric positive definite :math:`A`.

    Gradient :math:`A x - b`, minimiser :math:`x^* = A^{-1} b`. Gradient descent with step :math:`\eta` multiplies
    the error :math:`x - x^*` by :math:`I - \eta A` per step: it converges iff :math:`0 < \eta < 2/\lambda_{\max}`,
    and the best constant step :math:`2/(\lambda_{\min} + \lambda_{\max})` contracts by
    :math:`(\kappa - 1)/(\kappa + 1)` per step, :math:`\kappa = \lambda_{\max}/\lambda_{\min}`.
    """

    def __init__(self, A, b=None):
        A = np.atleast_2d(np.asarray(A, dtype=np.float64))
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        if not np.allclose(A, A.T):
            raise ValueError("A must be symmetric")
        self.A = A
        self.eigenvalues = np.linalg.eigvalsh(A)
        if self.eigenvalues[0] <= 0:
            raise ValueError(f"A must be positive definite; its smallest eigenvalue is {self.eigenvalues[0]}")
        self.b = np.zeros(A.shape[0]) if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
        if self.b.shape != (A.shape[0],):
            raise ValueError(f"b must have shape ({A.shape[0]},), got {self.b.shape}")
        self.minimiser = np.linalg.solve(A, self.b)

    def __call__(self, x) -> np.ndarray:
        """:math:`E(x)`; ``x`` of shape ``(d,)`` or a batch ``(..., d)``."""
        x = np.asarray(x, dtype=np.float64)
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x) - x @ self.b

    def grad(self, x) -> np.ndarray:
        """:math:`\\nabla E(x) = A x - b`."""
        return np.asarray(x, dtype=np.float64) @ self.A - self.b

    @property
    def condition_number(self) -> float:
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    @property
    def max_stable_lr(self) -> float:
        """Gradient descent diverges for any step at or above :math:`2/\\lambda_{\\max}`."""
        return float(2.0 / self.eigenvalues[-1])

    @property
    def best_lr(self) -> float:
        """The constant step :math:`2/(\\lambda_{\\min} + \\lambda_{\\max})` with the fastest worst-case contraction."""
        return float(2.0 / (self.eigenvalues[0] + self.eigenvalues[-1]))

    def gd_contraction(self, lr: float) -> float:
        """Worst-case factor :math:`\\max_i |1 - \\eta \\lambda_i|` by which one gradient step shrinks the error."""
        return float(np.max(np.abs(1.0 - lr * self.eigenvalues)))

    @property
    def heavy_ball(self) -> tuple[float, float, float]:
        r"""Polyak's best constants for momentum on this quadratic: ``(lr, momentum, contraction)``.

        :math:`\eta = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2`,
        :math:`\mu = \big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2`; the error then shrinks by
        :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` per step (asymptotically), against
        :math:`(\kappa - 1)/(\kappa + 1)` for the best plain gradient descent.
        """
        lo, hi = np.sqrt(self.eigenvalues[0]), np.sqrt(self.eigenvalues[-1])
        rate = (hi - lo) / (hi + lo)
        return float(4.0 / (hi + lo) ** 2), float(rate ** 2), float(rate)


#: where the Rosenbrock function (a = 1, b = 100) has its minimum, E = 0
ROSENBROCK_MINIMUM = np.array([1.0, 1.0])


def rosenbrock(x, a: float = 1.0, b: float = 100.0):
    r"""Rosenbrock's banana :math:`E(x, y) = (a - x)^2 + b (y - x^2)^2`; ``x`` of shape ``(2,)`` or ``(..., 2)``."""
    x = np.asarray(x, dtype=np.float64)
    return (a - x[..., 0]) ** 2 + b * (x[..., 1] - x[..., 0] ** 2) ** 2


def rosenbrock_grad(x, a: float = 1.0, b: float = 100.0):
    r""":math:`\partial E/\partial x = -2(a - x) - 4 b x (y - x^2)`, :math:`\partial E/\partial y = 2 b (y - x^2)`."""
    x = np.asarray(x, dtype=np.float64)
    u, v = x[..., 0], x[..., 1]
    return np.stack([-2.0 * (a - u) - 4.0 * b * u * (v - u * u), 2.0 * b * (v - u * u)], axis=-1)
