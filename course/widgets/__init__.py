r"""Interactive explorers of gradient flow that run on *your* functions.

Every explorer keeps its state in plain attributes, describes what to draw as a *scene* (numbers and
texts) and shows it as an SVG drawn in the browser (:mod:`course.widgets.base`); Python runs your
functions and computes the numbers, never the pixels. Each can also turn a sequence of its states
into a kernel-free :class:`course.widgets.player.HtmlPlayer` for the static book (``to_html_player``) -- the
same drawing code for both.

* :class:`GradientFlowExplorer` -- an MLP as a graph; forward view (weights, :math:`z`, :math:`a`) and
  backward view (:math:`\partial E/\partial w`, :math:`\delta`); a finite-difference check of *your*
  ``backward`` after every change, mismatching weights marked in red with their relative error; with
  your ``update``, step / train N. Default network: the backprop lecture's 2-2-1 sigmoid example.
* :class:`VanishingGradients` -- gradient norm per layer at initialisation (and, with your ``update``,
  during training), for a chosen depth, activation and initial weight scale.
* :class:`ActivationExplorer` -- :math:`f` and :math:`f'` from your activation table, its parameter on a
  slider, the region where :math:`|f'|` is below a threshold shaded.
* :class:`PerceptronStepper` -- AND / OR / XOR; every click applies *your* Rosenblatt update once.

The contract (details in :mod:`course.protocol`)::

    params   = {"W1": (d0, d1), "b1": (d1,), ..., "WL": (d_{L-1}, dL), "bL": (dL,)}   # rows are samples
    forward(params, X, activations) -> {"a0": X, "z1": ..., "a1": ..., ..., "zL": ..., "aL": ...}
    backward(params, cache, Y, activations) -> {"W1": dE/dW1, "b1": dE/db1, ...}
    activations: a list of L names (default) or, with activations_as="functions", of (f, df) pairs
    loss: E = mean over samples of 1/2 sum_k (y_k - a^L_k)^2, unless loss=(params, X, Y, activations) -> float
    update(params, grads, lr) -> params        (optional: your step; the step/train buttons need it)
    init(sizes, activations, seed) -> params   (VanishingGradients, optional)
    perceptron: update(w, x, t, lr) -> w and predict(w, X) -> {0, 1}^n, w = [w0 (bias), w1, w2]
    activation tables: {name: (f, df)} or {name: obj with .f, .df, .params}; any callables (np.tanh, ...)

Student notebook::

    from course.widgets import GradientFlowExplorer
    GradientFlowExplorer(forward, backward, {"sigmoid": (sigmoid, sigmoid_grad)}, update=gradient_step)

A function you have not written yet (it raises ``NotImplementedError``) is named in the widget's
message, with what to write first; an error in your code leaves the widget as it was before the
change, with the error in plain words under it.
"""
from .activation import ActivationExplorer
from .gradient_flow import GradientFlowExplorer
from .perceptron import PerceptronStepper
from .vanishing import VanishingGradients, default_init

__all__ = ["GradientFlowExplorer", "VanishingGradients", "ActivationExplorer", "PerceptronStepper",
           "default_init"]
