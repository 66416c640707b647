"""Reference MLP training speed: vs scikit-learn's MLPClassifier, and vectorised vs a per-sample loop.

(a) ``solutions.training.minibatch_gd`` against ``sklearn.neural_network.MLPClassifier`` on the same data
    (``course.data.two_circles(1000)``), architecture (2-20-1, ReLU hidden layer, sigmoid output, log-loss
    = our ``bce_with_logits``), batch size (32), learning rate (0.1, constant) and epoch count, with plain
    SGD (``momentum=0``), no L2 penalty (``alpha=0``) and no early stopping (``tol=0``,
    ``n_iter_no_change`` larger than the epoch count). Figure: ``ratio = sklearn time / our time`` per
    epoch; goal >= 0.5 (within 2x of scikit-learn).
(b) The same mini-batch training, vectorised (one matrix product per layer per batch) against a
    per-sample loop written below for comparison only (one forward/backward per sample, gradients
    accumulated over the batch). Both give the same weights (checked). Figure: ``loop time / vectorised time``.
(c) The gradient of chapter 4's 12-12-12-12 tanh network (468 parameters, one sample) by backpropagation
    against central finite differences (``solutions.gradcheck.numerical_gradient``, two forward passes per
    weight); the book counts the passes, this measures the time. Figure: ``differences time / backprop time``.
(d) The gradient of a 3-4-2 network on 5 samples through the scalar autograd engine (``solutions.autograd.mlp_loss``:
    build the graph, then ``backward``) against the matrix form (``solutions.mlp.backward``), as in the chapter
    "backpropagation on a graph". Figure: ``scalar graph time / matrix time``.

Times are the best of several repeats (:func:`benchmarks.best_of`), measured in one run, side by side.
"""
from __future__ import annotations

import warnings

import numpy as np

from benchmarks import Figure, best_of
from course.data import two_circles
from solutions import autograd, gradcheck, mlp, training
from solutions.activations import relu, relu_grad, sigmoid

HIDDEN = 20
BATCH = 32
LR = 0.1
ACTS = ["relu", "sigmoid"]


def _sklearn_fit(X, y, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="sgd", learning_rate="constant",
                        learning_rate_init=LR, batch_size=BATCH, max_iter=epochs, momentum=0.0,
                        nesterovs_momentum=False, alpha=0.0, tol=0.0, n_iter_no_change=epochs + 10,
                        early_stopping=False, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: intended
        clf.fit(X, y)
    return clf


def _ours_fit(params, X, y, epochs):
    return training.minibatch_gd(params, X, y, batch_size=BATCH, activations=ACTS, loss="bce_with_logits",
                                 lr=LR, epochs=epochs, seed=0)


def per_sample_loop_epoch(params: dict, X, y, order) -> dict:
    """One epoch of mini-batch GD, one sample at a time (for comparison only; 2-layer net, ReLU + sigmoid, BCE).

    For each sample: ``h = relu(x W1 + b1)``, ``p = sigmoid(h W2 + b2)``, output error ``p - y``, hidden
    error ``relu'(z1) * (W2 @ delta2)``; gradients are summed over the batch, divided by its size, and
    applied once per batch -- the same update as the vectorised code.
    """
    W1, b1, W2, b2 = (params[k].copy() for k in ("W1", "b1", "W2", "b2"))
    for start in range(0, len(order), BATCH):
        batch = order[start:start + BATCH]
        gW1, gb1, gW2, gb2 = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
        for i in batch:
            x = X[i]
            z1 = x @ W1 + b1
            h = relu(z1)
            p = sigmoid(h @ W2 + b2)
            d2 = p - y[i]                        # dE/dz2 of BCE on a sigmoid output
            d1 = relu_grad(z1) * (W2 @ d2)
            gW2 += np.outer(h, d2)
            gb2 += d2
            gW1 += np.outer(x, d1)
            gb1 += d1
        m = len(batch)
        W1 -= LR * gW1 / m
        b1 -= LR * gb1 / m
        W2 -= LR * gW2 / m
        b2 -= LR * gb2 / m
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _vectorised_epoch(params: dict, X, Y, order) -> dict:
    """The same epoch with the reference code: one forward/backward per batch."""
    p = {k: v.copy() for k, v in params.items()}
    for start in range(0, len(order), BATCH):
        idx = order[start:start + BATCH]
        grads = mlp.backward(p, mlp.forward(p, X[idx], ACTS), Y[idx], ACTS, "bce_with_logits")
        for k in p:
            p[k] -= LR * grads[k]
    return p


def run(quick: bool = False) -> list[Figure]:
    n = 1000
    epochs = 2 if quick else 30
    repeat = 2 if quick else 5
    X, y = two_circles(n, seed=0)
    Y = y.reshape(-1, 1)
    params = mlp.init_params([2, HIDDEN, 1], ACTS, seed=0)

    # (a) ours vs scikit-learn, same data, architecture, batch size, learning rate and epochs
    t_sk = best_of(lambda: _sklearn_fit(X, y, epochs), repeat) / epochs
    t_ours = best_of(lambda: _ours_fit(params, X, y, epochs), repeat) / epochs
    clf = _sklearn_fit(X, y, epochs)
    ours = _ours_fit(params, X, y, epochs)
    acc_ours = training.accuracy(ours.params, X, y, ACTS)
    figures = [Figure(
        "MLP 2-20-1 training, sklearn MLPClassifier / ours (per epoch)", t_sk / t_ours,
        f"sklearn {t_sk * 1e3:.2f} ms, ours {t_ours * 1e3:.2f} ms per epoch; n={n}, batch {BATCH}, "
        f"{epochs} epochs; final log-loss sklearn {clf.loss_curve_[-1]:.3f}, ours {ours.losses[-1]:.3f} "
        f"(acc {clf.score(X, y):.2f} / {acc_ours:.2f})",
        ">= 0.5 (within 2x of scikit-learn)")]

    # (b) vectorised vs per-sample loop, one epoch of identical updates
    order = np.random.default_rng(0).permutation(n)
    if quick:
        order = order[:256]
    vec = _vectorised_epoch(params, X, Y, order)
    loop = per_sample_loop_epoch(params, X, y, order)
    for k in vec:
        if not np.allclose(vec[k], loop[k], rtol=1e-10, atol=1e-12):
            raise AssertionError(f"per-sample loop and vectorised code disagree on {k}")
    t_vec = best_of(lambda: _vectorised_epoch(params, X, Y, order), repeat)
    t_loop = best_of(lambda: per_sample_loop_epoch(params, X, y, order), 1 if quick else 3)
    figures.append(Figure(
        "MLP 2-20-1 mini-batch epoch, per-sample loop / vectorised", t_loop / t_vec,
        f"loop {t_loop * 1e3:.1f} ms, vectorised {t_vec * 1e3:.2f} ms per epoch of {len(order)} samples, "
        f"batch {BATCH}; same weights"))

    # (c) one gradient by backpropagation vs by central differences (chapter 4's example network)
    net = mlp.init_params([12, 12, 12, 12], "tanh", seed=3)
    x1, y1 = np.random.default_rng(2).normal(size=(2, 1, 12))

    def by_differences():
        return {k: gradcheck.numerical_gradient(lambda v, k=k: mlp.loss({**net, k: v}, x1, y1, "tanh"), net[k].copy())
                for k in net}

    def by_backprop():
        return mlp.backward(net, mlp.forward(net, x1, "tanh"), y1, "tanh")

    t_fd = best_of(by_differences, 1 if quick else 3)
    t_bp = best_of(by_backprop, 20 if quick else 200)
    n_weights = sum(v.size for v in net.values())
    figures.append(Figure(
        "gradient of a 12-12-12-12 net, finite differences / backprop", t_fd / t_bp,
        f"differences {t_fd * 1e3:.1f} ms ({2 * n_weights} forward passes), backprop {t_bp * 1e3:.3f} ms; "
        f"{n_weights} parameters, one sample"))

    # (d) the same gradient through a graph of scalar nodes vs the matrix form (the autograd chapter's network)
    acts = ["tanh", "sigmoid"]
    small = mlp.init_params([3, 4, 2], acts, seed=1)
    rng = np.random.default_rng(0)
    X5, Y5 = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))

    def by_graph():
        loss, _ = autograd.mlp_loss(small, X5, Y5, acts)
        loss.backward()

    t_graph = best_of(by_graph, 3 if quick else 10)
    t_matrix = best_of(lambda: mlp.backward(small, mlp.forward(small, X5, acts), Y5, acts), 20 if quick else 200)
    figures.append(Figure(
        "gradient of a 3-4-2 net, scalar autograd graph / matrix form", t_graph / t_matrix,
        f"graph {t_graph * 1e3:.2f} ms, matrix {t_matrix * 1e3:.3f} ms; 5 samples"))
    return figures


if __name__ == "__main__":
    for fig in run(quick=False):
        print(fig.line())
