"""The backward pass: a topological order, then the chain rule from the output down.

Both steps are loops, not recursion, so a chain of a million nodes is as easy as a chain of ten.
Each pass keeps its adjoints (d output/d node for *this* pass) in the node's ``_adj`` slot and
adds each to ``.grad`` once, when it is complete; ``.grad`` itself is never propagated, which is
why running ``backward()`` twice gives exactly twice the gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .value import Value

_EXIT = object()  # marks, on the DFS stack, the moment a node's inputs are all placed


def topological_order(root: Value) -> list[Value]:
    """Every node below ``root``, each once, inputs before the nodes computed from them."""
    if type(root) is not Value:
        raise TypeError(f"expected a Value, not {type(root).__name__}")
    mark = object()  # a fresh token per pass: no visited set to hash into or to clear
    order: list[Value] = []
    append = order.append
    stack: list[Any] = [root]
    push = stack.append
    pop = stack.pop
    while True:  # not `while stack:`, whose back-jump CPython 3.11 never warms up to specialize
        if not stack:
            break
        node = pop()
        if node is _EXIT:
            append(pop())
        elif node._mark is not mark:
            node._mark = mark
            node._adj = 0.0
            push(node)
            push(_EXIT)
            x = node._x
            if x is not None:  # an input is a Value, or a float for a number operand
                if type(x) is Value and x._mark is not mark:
                    push(x)
                y = node._y
                if type(y) is Value and y._mark is not mark:
                    push(y)
    return order


def _propagate(order: list[Value], seed: float, accumulate: bool) -> None:
    """The chain rule over a fresh ``topological_order`` (adjoints 0.0), on floats.

    Walking the order backwards, a node's adjoint is complete when it is reached (everything
    computed from it came later in the order), so it can be added to ``.grad`` right there.
    """
    order[-1]._adj = seed
    for node in reversed(order):
        g = node._adj
        if accumulate:
            node.grad += g
        op = node._op
        if op is None:
            continue
        rule = op.grads  # read once: a method-style call of a slot would not be specialized
        x = node._x
        y = node._y
        if y is None:
            x._adj += rule(x.data, node.data)[0] * g
        elif type(x) is type(y):  # two Values (two numbers never make a node)
            dx, dy = rule(x.data, y.data, node.data)
            x._adj += dx * g
            y._adj += dy * g
        elif type(x) is Value:  # v <op> number: the number gets no gradient
            x._adj += rule(x.data, y, node.data)[0] * g
        else:  # number <op> v
            y._adj += rule(x, y.data, node.data)[1] * g


def backward(root: Value, grad: float = 1.0) -> None:
    """Add d(root)/d(node) · grad to ``.grad`` of every node below ``root``."""
    _propagate(topological_order(root), _seed(grad), True)


def _seed(grad: Any) -> float:
    if type(grad) is float:
        return grad
    if type(grad) is Value:
        return grad.data
    return Value(grad).data  # the same checks and message as Value()


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d output/d input for each input, in order, leaving every ``.grad`` untouched.

    An input the output does not depend on gets 0.0. With ``create_graph=True`` the results are
    Values whose own graphs compute the derivative, so they can be differentiated again
    (second derivatives, Hessians). A single Value as ``inputs`` gives a single result.
    """
    single = type(inputs) is Value
    targets = [inputs] if single else list(inputs)
    for i, t in enumerate(targets):
        if type(t) is not Value:
            raise TypeError(f"grad() inputs must be Values; input {i} is {type(t).__name__}")
    if type(output) is not Value:
        raise TypeError(f"grad() output must be a Value, not {type(output).__name__}")
    if create_graph:
        results = _graph_grads(output, targets)
    else:
        order = topological_order(output)
        _propagate(order, 1.0, False)
        mark = output._mark
        results = [t._adj if t._mark is mark else 0.0 for t in targets]
    return results[0] if single else results


def _graph_grads(output: Value, targets: list[Value]) -> list[Value]:
    """Reverse mode again, but on Values: each rule of ``ops`` now builds nodes, not floats."""
    order = topological_order(output)
    adj: dict[Value, Any] = {output: 1.0}  # a float until a Value joins in: no "× 1.0" nodes
    for node in reversed(order):
        g = adj.get(node)
        op = node._op
        if g is None or op is None:
            continue
        inputs = node.inputs
        for child, d in zip(inputs, op.grads(*inputs, node)):
            if type(child) is not Value:  # a number operand
                continue
            if type(d) is float:
                if d == 0.0:  # a structural zero (step's derivative): nothing flows
                    continue
                term = g if d == 1.0 else (-g if d == -1.0 else d * g)
            else:
                term = d if (type(g) is float and g == 1.0) else d * g
            old = adj.get(child)
            adj[child] = term if old is None else old + term
    return [Value.lift(adj.get(t, 0.0)) for t in targets]
