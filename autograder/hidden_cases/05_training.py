"""Hidden cases for 05_training (reference: :func:`solutions.training.train`, mini-batch gradient descent)."""
import numpy as np

from course.data import two_circles
from solutions import mlp, training

__all__ = ["train_cases", "train_edge"]


def _case(sizes, acts, X, Y, lr, epochs, batch_size, seed, init_seed):
    params = mlp.init_params(sizes, acts, seed=init_seed)
    res = training.train(params, X, Y, acts, "half_squared_error", lr=lr, epochs=epochs, batch_size=batch_size,
                         shuffle=True, seed=seed)
    return {"params": params, "X": X, "Y": Y, "activations": acts, "lr": lr, "epochs": epochs,
            "batch_size": batch_size, "seed": seed, "expected_params": res.params, "expected_losses": res.losses}


def train_cases():
    """Two-circles samples (24 points) through a 2-5-1 tanh/sigmoid net: SGD (B = 1), mini-batches of 5 and 8
    (the last batch smaller), batch GD (B = n); and a 2-output identity regression with B = 4."""
    X, y = two_circles(24, noise=0.1, seed=3)
    Y = y.reshape(-1, 1)
    cases = [_case([2, 5, 1], ["tanh", "sigmoid"], X, Y, 0.5, epochs, batch, seed, init_seed)
             for epochs, batch, seed, init_seed in ((3, 1, 0, 1), (6, 5, 1, 2), (6, 8, 2, 3), (8, 24, 3, 4))]
    rng = np.random.default_rng(1717)
    Xr = np.round(rng.normal(size=(10, 3)), 3)
    Yr = np.round(np.c_[Xr[:, 0] - Xr[:, 1], Xr[:, 2] ** 2], 3)
    cases.append(_case([3, 4, 2], ["tanh", "identity"], Xr, Yr, 0.05, 5, 4, 7, 5))
    return cases


def train_edge():
    """epochs = 0 (only the initial loss), a batch larger than the data set (one batch), a data set of one sample."""
    X, y = two_circles(12, noise=0.1, seed=4)
    Y = y.reshape(-1, 1)
    return [_case([2, 3, 1], ["tanh", "sigmoid"], X, Y, 0.5, 0, 4, 0, 6),
            _case([2, 3, 1], ["tanh", "sigmoid"], X, Y, 0.5, 4, 100, 0, 7),
            _case([2, 3, 1], ["sigmoid", "sigmoid"], X[:1], Y[:1], 1.0, 3, 1, 5, 8)]
