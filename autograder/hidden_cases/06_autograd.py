"""Hidden cases for 06_autograd (reference: :class:`solutions.autograd.Value` and :func:`solutions.mlp.backward`)."""
import numpy as np

from autograder.hidden_cases import rounded_normal
from solutions import mlp
from solutions.autograd import Value

__all__ = ["primitive_cases", "composite_cases", "random_graphs", "reuse_cases", "deep_chains", "mlp_cases"]

PRIMITIVES = {"add": lambda a, b, k: a + b, "mul": lambda a, b, k: a * b, "add_number": lambda a, b, k: a + k,
              "mul_number": lambda a, b, k: a * k, "pow": lambda a, b, k: a ** k, "exp": lambda a, b, k: a.exp(),
              "tanh": lambda a, b, k: a.tanh(), "sigmoid": lambda a, b, k: a.sigmoid(), "relu": lambda a, b, k: a.relu()}
COMPOSITES = {"neg": lambda a, b: -a, "sub": lambda a, b: a - b, "div": lambda a, b: a / b,
              "radd": lambda a, b: 2.0 + a, "rsub": lambda a, b: 2.0 - a, "rmul": lambda a, b: 2.0 * a,
              "rdiv": lambda a, b: 2.0 / a}
#: the operations of a random graph (the hidden test interprets the same names with the student's Value)
GRAPH_OPS = {"add": lambda a, b, k: a + b, "sub": lambda a, b, k: a - b, "mul": lambda a, b, k: a * b,
             "div": lambda a, b, k: a / (b * b + 1.0), "pow": lambda a, b, k: a ** k, "neg": lambda a, b, k: -a,
             "radd": lambda a, b, k: k + a, "rsub": lambda a, b, k: k - a, "rmul": lambda a, b, k: k * a,
             "rdiv": lambda a, b, k: k / (a * a + 1.0), "exp": lambda a, b, k: a.exp(), "tanh": lambda a, b, k: a.tanh(),
             "sigmoid": lambda a, b, k: a.sigmoid(), "relu": lambda a, b, k: a.relu()}


def primitive_cases():
    """Every primitive at 4 seeded points (pow with k in {2, 3, -1, 0.5}; relu on both sides of 0), with a seeded
    upstream gradient and non-zero starting grads (so accumulation is checked)."""
    rng = np.random.default_rng(606)
    cases = []
    for op in PRIMITIVES:
        for trial in range(4):
            a, b = float(rounded_normal(rng, ())), float(rounded_normal(rng, ()))
            k = {"pow": (2.0, 3.0, -1.0, 0.5)[trial]}.get(op, float(rounded_normal(rng, ())))
            if op == "pow" and k in (-1.0, 0.5):
                a = abs(a) + 0.5                     # a real, finite power
            if op == "relu":
                a = (-1) ** trial * (abs(a) + 0.1)
            upstream, a0, b0 = (float(v) for v in rounded_normal(rng, 3))
            va, vb = Value(a), Value(b)
            va.grad, vb.grad = a0, b0
            out = PRIMITIVES[op](va, vb, k)
            out.grad = upstream
            out._backward()
            cases.append({"op": op, "a": a, "b": b, "k": k, "upstream": upstream, "a_grad0": a0, "b_grad0": b0,
                          "value": out.data, "grads": np.array([va.grad, vb.grad])})
    return cases


def composite_cases():
    """Every composite at 3 seeded points (denominators kept away from 0)."""
    rng = np.random.default_rng(607)
    cases = []
    for op in COMPOSITES:
        for _ in range(3):
            a, b = float(rounded_normal(rng, ())), float(rounded_normal(rng, ()))
            a, b = (a if abs(a) > 0.2 else a + 0.5), (b if abs(b) > 0.2 else b - 0.5)
            cases.append({"op": op, "a": a, "b": b, "value": COMPOSITES[op](Value(a), Value(b)).data})
    return cases


def _run(program, inputs):
    nodes = [Value(v) for v in inputs]
    for op, i, j, k in program:
        nodes.append(GRAPH_OPS[op](nodes[i], nodes[j], k))
    return nodes


def random_graphs():
    """20 seeded programs: 3 inputs, 8-25 operations on earlier nodes chosen at random (so nodes are reused), every
    value within [-30, 30] and every relu input at least 1e-3 away from its kink."""
    rng = np.random.default_rng(608)
    names = sorted(GRAPH_OPS)
    cases = []
    while len(cases) < 20:
        inputs = [float(v) for v in rounded_normal(rng, 3)]
        program = []
        for step in range(int(rng.integers(8, 26))):
            op = names[int(rng.integers(len(names)))]
            n = 3 + step
            i, j = int(rng.integers(n)), int(rng.integers(n))
            k = float(rng.choice([2.0, 3.0])) if op == "pow" else float(rounded_normal(rng, ()))
            program.append([op, i, j, k])
        nodes = _run(program, inputs)
        kinks = [abs(nodes[i].data) for op, i, _, _ in program if op == "relu"]
        if max(abs(v.data) for v in nodes) > 30 or min(kinks, default=1.0) < 1e-3 or program[-1][0] == "relu":
            continue
        nodes[-1].backward()
        cases.append({"program": program, "inputs": inputs, "value": nodes[-1].data,
                      "grads": [v.grad for v in nodes[:3]]})
    return cases


SHAPES = {"x*x": lambda x, y: x * x, "(x+x)*x": lambda x, y: (x + x) * x, "x/x+y": lambda x, y: x / x + y,
          "shared": lambda x, y: (lambda s: s.tanh() * s + s.exp() * y)(x * y + 1.0)}


def reuse_cases():
    """Each shape with a node used several times, at 2 seeded points."""
    rng = np.random.default_rng(609)
    cases = []
    for shape, f in SHAPES.items():
        for _ in range(2):
            x, y = (float(v) for v in rounded_normal(rng, 2))
            x = x if abs(x) > 0.2 else x + 0.5
            vx, vy = Value(x), Value(y)
            f(vx, vy).backward()
            cases.append({"shape": shape, "x": x, "y": y, "grads": [vx.grad, vy.grad]})
    return cases


def deep_chains():
    """Chains y <- tanh(scale * y + mix * x) of 5,000 and 6,000 steps (x is used at every step)."""
    cases = []
    for depth, x, scale, mix in ((5000, 0.3, 0.9, 0.5), (6000, -1.2, 0.5, 1.5)):
        vx = Value(x)
        y = vx
        for _ in range(depth):
            y = (y * scale + vx * mix).tanh()
        y.backward()
        cases.append({"depth": depth, "x": x, "scale": scale, "mix": mix, "value": y.data, "grad": vx.grad})
    return cases


def mlp_cases():
    """6 seeded networks with 1-3 layers, every activation, 1-5 samples, 1-2 outputs: loss and gradients of the mean
    half squared error from solutions.mlp."""
    rng = np.random.default_rng(610)
    specs = [([2, 1], ["sigmoid"]), ([3, 4, 2], ["tanh", "identity"]), ([2, 3, 1], ["relu", "sigmoid"]),
             ([1, 3, 3, 1], ["tanh", "relu", "identity"]), ([4, 2, 2], ["sigmoid", "tanh"]),
             ([2, 5, 1], ["identity", "sigmoid"])]
    cases = []
    for n, (sizes, acts) in zip((1, 3, 5, 4, 2, 3), specs):
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"] = rounded_normal(rng, (sizes[l - 1], sizes[l]))
            params[f"b{l}"] = rounded_normal(rng, sizes[l])
        X, Y = rounded_normal(rng, (n, sizes[0])), rounded_normal(rng, (n, sizes[-1]))
        cache = mlp.forward(params, X, acts)
        cases.append({"params": params, "X": X, "Y": Y, "activations": acts, "loss": mlp.loss(params, X, Y, acts),
                      "grads": mlp.backward(params, cache, Y, acts)})
    return cases
