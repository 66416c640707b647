r"""Reverse-mode automatic differentiation on scalars: backpropagation on any computational graph.

A :class:`Value` holds a number (``data``), the derivative of the final output with respect to it (``grad``),
the values it was computed from (its *parents*) and a closure ``_backward`` that knows the operation's local
derivatives. Every operation below builds the result of its forward rule and, right beside it, that closure:

=========================  =======================  ==============================================
operation                  forward                  backward (``g`` = ``out.grad``)
=========================  =======================  ==============================================
``a + b``                  :math:`a + b`            ``a.grad += g``; ``b.grad += g``  (add distributes)
``a * b``                  :math:`a b`              ``a.grad += b g``; ``b.grad += a g``  (multiply swaps)
``a ** k`` (number k)      :math:`a^k`              ``a.grad += k a^(k-1) g``
``a.exp()``                :math:`e^a`              ``a.grad += e^a g``
``a.log()``                :math:`\ln a`            ``a.grad += g / a``
``a.tanh()``               :math:`\tanh a`          ``a.grad += (1 - tanh^2 a) g``
``a.sigmoid()``            :math:`\sigma(a)`        ``a.grad += \sigma(a)(1 - \sigma(a)) g``
``a.relu()``               :math:`\max(0, a)`       ``a.grad += [a > 0] g``
``maximum(a, b)``          :math:`\max(a, b)`       the larger input gets ``g``, the other 0  (max routes)
=========================  =======================  ==============================================

``-a``, ``a - b`` and ``a / b`` are built from these (``a * -1``, ``a + (-b)``, ``a * b ** -1``).

:meth:`Value.backward` sets the output's ``grad`` to 1 and calls every node's ``_backward`` in *reverse
topological order* (a node after every node that uses it), so a node's ``grad`` is complete -- the sum over all
its uses (case 2 of the chain rule) -- before it is passed on. The order is found by an explicit-stack depth-first
search, not by recursion: a chain 5,000 operations deep is fine, where a recursive search would hit Python's
recursion limit (1,000 by default). Gradients *accumulate* (``+=``): a value used twice, as in ``x * x``, receives
the contributions of both uses. ``backward`` first resets every ``grad`` in the graph to 0.

The kink conventions are those of :mod:`solutions.activations`: ``relu'(0) = 0``; ``maximum`` sends the gradient
to its first argument on a tie.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Value", "maximum", "topological_order", "graph", "mlp_loss"]


class Value:
    """A scalar node of a computational graph (see the module docstring)."""

    __slots__ = ("data", "grad", "_parents", "_backward", "op", "label")

    def __init__(self, data, parents=(), op: str = "", label: str = ""):
        if isinstance(data, Value):
            raise TypeError("Value(data) needs a number, got a Value; use the Value itself")
        try:
            self.data = float(data)
        except (TypeError, ValueError):
            raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}: {data!r}") from None
        self.grad = 0.0
        self._parents = tuple(parents)
        self._backward = _nothing
        self.op = op
        self.label = label

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------------ operations: forward + local backward
    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():                       # d(a + b)/da = d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():                       # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, Value) or not isinstance(k, (int, float)) or isinstance(k, bool):
            raise TypeError(f"Value ** k needs a number k (int or float), got {type(k).__name__}")
        out = Value(self.data ** k, (self,), f"**{k:g}")

        def _backward():                       # d(a^k)/da = k a^(k-1)
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():                       # d(e^a)/da = e^a
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log needs a positive value, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():                       # d(ln a)/da = 1/a
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():                       # d(tanh a)/da = 1 - tanh^2 a
            self.grad += (1.0 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        a = self.data                          # stable for any sign of a
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        out = Value(s, (self,), "sigmoid")

        def _backward():                       # d(sigma(a))/da = sigma(a) (1 - sigma(a))
            self.grad += out.data * (1.0 - out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward():                       # d(max(0, a))/da = [a > 0]
            self.grad += (self.data > 0) * out.grad
        out._backward = _backward
        return out

    # ------------------------------------------------------------------ composites
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_as_value(other))

    def __truediv__(self, other):
        return self * _as_value(other) ** -1.0

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_value(other) + (-self)

    def __rtruediv__(self, other):
        return _as_value(other) * self ** -1.0

    # ------------------------------------------------------------------ backpropagation
    def backward(self):
        """Fill ``grad`` of every node of the graph with d(self)/d(node): reverse topological order, accumulated."""
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _nothing():
    """The backward closure of a leaf: there is nothing further to pass the gradient to."""


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


def maximum(a, b) -> Value:
    """:math:`\\max(a, b)`; the gradient goes to the larger input only (to ``a`` on a tie): max routes."""
    a, b = _as_value(a), _as_value(b)
    out = Value(max(a.data, b.data), (a, b), "max")

    def _backward():
        if a.data >= b.data:
            a.grad += out.grad
        else:
            b.grad += out.grad
    out._backward = _backward
    return out


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each after all of its parents (iterative depth-first search, no recursion)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)               # all its parents are already in `order`
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents if p not in visited)
    return order


def graph(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The nodes of ``root``'s graph in topological order and its edges ``(parent, child)`` (for drawing)."""
    nodes = topological_order(root)
    edges = [(p, n) for n in nodes for p in n._parents]
    return nodes, edges


# --------------------------------------------------------------------------- the MLP, one scalar at a time
def mlp_loss(params: dict, X, Y, activations) -> tuple[Value, dict]:
    r"""The network of :mod:`solutions.mlp` built from :class:`Value` scalars, with the mean half squared error.

    Returns ``(loss, nodes)``: the loss node and, per key of ``params``, an object array of the :class:`Value`
    leaves, so that after ``loss.backward()`` the gradients are ``np.vectorize(lambda v: v.grad)(nodes[key])``.
    ``activations`` lists one of ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"`` per layer.
    """
    apply = {"identity": lambda v: v, "sigmoid": Value.sigmoid, "tanh": Value.tanh, "relu": Value.relu}
    nodes = {k: np.empty(np.shape(v), dtype=object) for k, v in params.items()}
    for k, v in params.items():
        for idx in np.ndindex(np.shape(v)):
            nodes[k][idx] = Value(np.asarray(v)[idx], label=f"{k}{list(idx)}")
    X, Y = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(Y, dtype=float)
    Y = Y.reshape(X.shape[0], -1)
    total = Value(0.0)
    for x, y in zip(X, Y):
        a = [Value(xi) for xi in x]
        for layer, name in enumerate(activations, start=1):
            W, b = nodes[f"W{layer}"], nodes[f"b{layer}"]
            a = [apply[name](sum((a[i] * W[i, j] for i in range(len(a))), b[j])) for j in range(W.shape[1])]
        total = total + sum((0.5 * (ak - yk) ** 2 for ak, yk in zip(a, y)), Value(0.0))
    return total / X.shape[0], nodes
