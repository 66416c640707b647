"""Hidden cases for 03_activations (reference: :mod:`solutions.activations`)."""
import numpy as np

from solutions import activations as act

__all__ = ["sigmoid_random", "rectifier_random", "rectifier_params", "softmax_random"]

#: |z| large enough to overflow a naive exp (exp(710) = inf) and beyond
LARGE = np.array([-1e4, -1000.0, -745.0, -710.0, -50.0, -1e-12, 0.0, 1e-12, 50.0, 710.0, 745.0, 1000.0, 1e4])


def _inputs(seed, count=8):
    """Arrays of shapes (), (n,), (n, k), (2, 3, k): N(0, 3^2) values with some exact zeros."""
    rng = np.random.default_rng(seed)
    shapes = [(), (7,), (4, 3), (2, 3, 2), (1,), (1, 5), (9,), (3, 3)][:count]
    out = []
    for shape in shapes:
        z = np.array(np.round(rng.normal(scale=3.0, size=shape), 4), dtype=float)  # 0-d stays an array
        if z.ndim:
            z.reshape(-1)[:: 3] = 0.0  # kinks: every third entry is exactly 0
        out.append(z)
    return out


def _table(names, seed, **params):
    cases = []
    for z in _inputs(seed) + [LARGE]:
        row = {"z": z}
        for name in names:
            f = getattr(act, name)
            row[name] = f(z, **params.get(name, {}))
        cases.append(row)
    return cases


def sigmoid_random():
    """sigmoid and sigmoid_grad on seeded arrays of several shapes and on LARGE."""
    return _table(["sigmoid", "sigmoid_grad"], 808)


def rectifier_random():
    """tanh, relu, leaky_relu (slope 0.1), elu (alpha 1), softplus and their derivatives, default parameters."""
    names = ["tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad",
             "softplus", "softplus_grad"]
    return _table(names, 909)


def rectifier_params():
    """leaky_relu with slope 0.01 and 0.3, elu with alpha 0.5 and 2, values and derivatives."""
    cases = []
    for slope, alpha in ((0.01, 0.5), (0.3, 2.0)):
        for row in _table(["leaky_relu", "leaky_relu_grad", "elu", "elu_grad"], 1010,
                          leaky_relu={"slope": slope}, leaky_relu_grad={"slope": slope},
                          elu={"alpha": alpha}, elu_grad={"alpha": alpha}):
            row.update(slope=slope, alpha=alpha)
            cases.append(row)
    return cases


def softmax_random():
    """softmax over the last axis: seeded score matrices, a batch of one, one class, huge and equal scores."""
    rng = np.random.default_rng(1111)
    zs = [np.round(rng.normal(scale=2.0, size=shape), 4) for shape in [(5, 3), (1, 4), (6, 1), (4,), (2, 3, 4)]]
    zs += [np.array([[1000.0, 999.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]]), np.zeros((2, 5)),
           np.array([[710.0, 0.0], [-745.0, 745.0]])]
    return [{"z": z, "softmax": act.softmax(z, axis=-1), "log_softmax": act.log_softmax(z, axis=-1)} for z in zs]
