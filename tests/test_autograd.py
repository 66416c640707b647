"""The scalar autograd engine (solutions.autograd): every operation against finite differences and calculus,
random expression graphs against finite differences, the gate patterns, accumulation for a node used twice, a
chain 5,000 deep, and the scalar MLP against solutions.mlp."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from solutions import mlp
from solutions.autograd import Value, graph, maximum, mlp_loss, topological_order
from solutions.gradcheck import numerical_gradient

UNARY = {"exp": (Value.exp, math.exp), "tanh": (Value.tanh, math.tanh),
         "sigmoid": (Value.sigmoid, lambda a: 1 / (1 + math.exp(-a))), "relu": (Value.relu, lambda a: max(a, 0.0)),
         "log": (Value.log, math.log), "neg": (Value.__neg__, lambda a: -a),
         "square": (lambda v: v ** 2, lambda a: a * a), "cube": (lambda v: v ** 3.0, lambda a: a ** 3),
         "inverse": (lambda v: 1 / v, lambda a: 1 / a), "sqrt": (lambda v: v ** 0.5, math.sqrt)}
BINARY = {"add": (lambda a, b: a + b), "sub": (lambda a, b: a - b), "mul": (lambda a, b: a * b),
          "div": (lambda a, b: a / b), "max": maximum}


def _grads(f, *xs):
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    return out.data, [v.grad for v in values]


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("a", [-1.7, -0.3, 0.4, 2.2])
def test_unary_operations_against_finite_differences(name, a):
    op, reference = UNARY[name]
    if name in ("log", "sqrt") and a <= 0:
        a = -a
    value, (grad,) = _grads(op, a)
    assert value == pytest.approx(reference(a), rel=1e-14)
    numeric = numerical_gradient(lambda t: op(Value(t.item())).data, np.array(a))
    assert grad == pytest.approx(float(numeric), rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("name", BINARY)
def test_binary_operations_against_finite_differences(name):
    op = BINARY[name]
    for a, b in [(1.5, -0.7), (-2.0, 0.3), (0.25, 4.0)]:
        _, grads = _grads(op, a, b)
        numeric = numerical_gradient(lambda t: op(Value(t[0]), Value(t[1])).data, np.array([a, b]))
        np.testing.assert_allclose(grads, numeric, rtol=1e-7, atol=1e-10)


def test_gate_patterns_add_distributes_multiply_swaps_max_routes():
    for gate, expected in [(lambda a, b: a + b, (3.0, 3.0)),          # both inputs get the upstream 3
                           (lambda a, b: a * b, (3.0 * -4.0, 3.0 * 2.0)),  # each gets the other's value times 3
                           (maximum, (3.0, 0.0))]:                      # only the larger input gets it
        a, b = Value(2.0), Value(-4.0)
        (gate(a, b) * 3.0).backward()
        assert (a.grad, b.grad) == expected


def test_a_node_used_twice_accumulates_both_contributions():
    x = Value(3.0)
    y = x * x                                    # dy/dx = 2x = 6: one x from each factor
    y.backward()
    assert x.grad == 6.0
    x = Value(-1.5)
    z = (x + x) * x.tanh() + x                    # x used four times
    z.backward()
    numeric = numerical_gradient(lambda t: ((Value(t.item()) + Value(t.item())) * Value(t.item()).tanh()
                                            + Value(t.item())).data, np.array(-1.5))
    assert x.grad == pytest.approx(float(numeric), rel=1e-8)


def test_backward_twice_gives_the_same_gradients_not_twice_them():
    x = Value(0.7)
    y = (x * x).exp()
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == first == pytest.approx(2 * 0.7 * math.exp(0.49))


@pytest.mark.parametrize("depth", [5000, 20000])
def test_a_deep_chain_needs_no_recursion(depth):
    import sys

    assert depth > sys.getrecursionlimit()
    x = Value(0.3)
    y = x
    for _ in range(depth):
        y = y * 0.999 + x * 0.001                # y_k = 0.999 y_{k-1} + 0.001 x: dy/dx = 1 for every k
    y.backward()
    assert y.data == pytest.approx(0.3, rel=1e-9)
    assert x.grad == pytest.approx(1.0, rel=1e-9)
    assert len(topological_order(y)) == 5 * depth + 1    # x, and per step two constants, two products, a sum


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(order) == len(set(map(id, order))) == 5
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node._parents)
    nodes, edges = graph(e)
    assert nodes == order and len(edges) == 6


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(sorted(BINARY) + ["tanh", "sigmoid", "exp", "square"]),
                          st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=25),
       st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_random_expression_graphs_against_finite_differences(program, inputs):
    """Each step applies an operation to one or two earlier nodes (chosen by index, so nodes are reused).
    Cases where a max compares two different nodes closer than 1e-3 are skipped: there the function has a kink
    and a finite difference across it measures neither side."""
    def run(values, gaps=None):
        nodes = list(values)
        for op, i, j in program:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            if op == "max" and gaps is not None and a is not b:
                gaps.append(abs(a.data - b.data))
            if op in BINARY:
                if op == "div":
                    b = b * b + 1.0                   # keep denominators away from 0
                nodes.append(BINARY[op](a, b))
            else:
                nodes.append(UNARY[op][0](a * 0.5))   # keep exp and square in range
        return nodes[-1]

    leaves, gaps = [Value(x) for x in inputs], []
    out = run(leaves, gaps)
    assume(min(gaps, default=1.0) > 1e-3)
    out.backward()
    numeric = numerical_gradient(lambda t: run([Value(x) for x in t]).data, np.array(inputs, dtype=float))
    np.testing.assert_allclose([v.grad for v in leaves], numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("acts", [["tanh", "sigmoid"], ["relu", "tanh", "identity"]])
def test_scalar_mlp_equals_solutions_mlp(acts):
    sizes = [3] + [4] * (len(acts) - 1) + [2]
    params = mlp.init_params(sizes, acts, seed=2)
    params = {k: v + 0.1 for k, v in params.items()}
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    loss, nodes = mlp_loss(params, X, Y, acts)
    loss.backward()
    assert loss.data == pytest.approx(mlp.loss(params, X, Y, acts), rel=1e-13)
    grads = mlp.backward(params, mlp.forward(params, X, acts), Y, acts)
    for k in params:
        np.testing.assert_allclose(np.vectorize(lambda v: v.grad)(nodes[k]), grads[k], rtol=1e-12, atol=1e-15)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="needs a real number, got str"):
        Value("one")
    with pytest.raises(TypeError, match="Value \\*\\* k needs a number k"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="log needs a positive value, got -1.0"):
        Value(-1.0).log()
