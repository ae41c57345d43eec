"""The backward pass: a topological order, then the chain rule from the output down.

Both steps are loops, not recursion, so a chain of a million nodes is as easy as a chain of ten.
Each pass keeps its adjoints (d output/d node for *this* pass) in the node's ``_adj`` slot and
adds each to ``.grad`` once, when it is complete; ``.grad`` itself is never propagated, which is
why running ``backward()`` twice gives exactly twice the gradients.

What each node contributes to an input's adjoint: ``d * g``, with ``g`` the node's adjoint and
``d`` the op's local derivative ``op.grads(...)`` for that input, evaluated on the floats, with
one exception: where the op's ``masks`` entry for that input holds on the input numbers
(relu at x ≤ 0, step and stop_gradient always, pow's base where the exponent is 0), nothing is
added, so an inf or nan from above gives 0 there, as in PyTorch. ``grad(create_graph=True)``
builds the same terms as nodes, and masks at the same points: where the op's ``gates`` entry
names a number (relu's result, pow's exponent), the term becomes ``gate(d * g, that number)``,
an op that passes nothing where the number is 0, tested whenever the graph runs (``trace``
replays it on new numbers) and itself differentiable. The loop handles the commonest
ops without calling their rule (``op.kind``, found from the table when this module loads by
evaluating each rule at sample points), and computes exactly the same numbers: add gives
``+ g`` to each Value input, sub ``+ g`` and ``- g``, mul ``+ y·g`` and ``+ x·g``, neg ``- g``,
exp ``+ out·g``, relu ``+ g`` where x > 0 or x is nan.

Threads: a pass marks the nodes it walks, so one pass runs at a time (a lock around each pass,
which under CPython's GIL costs no parallelism); any number of threads may call ``backward()``
or ``grad()`` on graphs that share nodes and each gets its exact answer. The cyclic garbage
collector is paused during a pass (a graph has no cycles for it to find) and always restored.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Sequence
from typing import Any

from . import gradmode
from .ops import OPS, Op, gate, is_number
from .value import UNRECORDED, Value

_EXIT = object()  # marks, on the DFS stack, the moment a node's inputs are all placed
_pass = threading.Lock()  # one backward pass at a time: the marks and adjoints live on nodes


class paused_gc:
    """``with paused_gc():`` the cyclic garbage collector sleeps, and is restored as it was.

    A pass over a graph allocates lists, records or nodes by the thousand and no cycle among
    them, so the collector would only walk the live graph again and again for nothing.
    """

    __slots__ = ("collecting",)

    def __enter__(self) -> None:
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.collecting:
            gc.enable()


def topological_order(root: Value) -> list[Value]:
    """Every node below ``root``, each once, inputs before the nodes computed from them."""
    if type(root) is not Value:
        raise TypeError(f"expected a Value, not {type(root).__name__}")
    with _pass, paused_gc():
        return _order(root)


def _order(root: Value) -> list[Value]:
    """``topological_order``, for a caller holding the lock; sets every ``_adj`` to 0.0."""
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
                y = node._y
                if type(y) is Value and y._mark is not mark:
                    push(y)
                if type(x) is Value and x._mark is not mark:
                    push(x)
    return order


# How the loop handles an op (Op.kind): the rule called, or one of the shortcuts below.
GENERAL, MASKED, ADD, SUB, MUL, NEG, OUT, RELU, ZERO = range(9)


def _propagate(order: list[Value], seed: float, accumulate: bool) -> None:
    """The chain rule over a fresh ``_order`` (adjoints 0.0), on floats; see the module's
    docstring for what each node contributes.

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
        x = node._x
        y = node._y
        kind = op.kind
        if kind == MUL:
            if type(x) is type(y):  # two Values (two numbers never make a node)
                x._adj += y.data * g
                y._adj += x.data * g
            elif type(x) is Value:  # v * number: the number gets no gradient
                x._adj += y * g
            else:
                y._adj += x * g
        elif kind == ADD:
            if type(x) is Value:
                x._adj += g
            if type(y) is Value:
                y._adj += g
        elif kind == RELU:
            if not x.data <= 0.0:
                x._adj += g
        elif kind == SUB:
            if type(x) is Value:
                x._adj += g
            if type(y) is Value:
                y._adj -= g
        elif kind == OUT:
            x._adj += node.data * g
        elif kind == NEG:
            x._adj -= g
        elif kind == ZERO:
            continue
        elif kind == MASKED:  # the rule, but no contribution where the op's mask holds
            masks = op.masks
            if y is None:
                mx = masks[0]
                if mx is None or not mx(x.data):
                    x._adj += op.grads(x.data, node.data)[0] * g
                continue
            mx, my = masks
            if type(y) is not Value:  # v ** 2.0, the commonest
                if mx is None or not mx(x.data, y):
                    x._adj += op.grads(x.data, y, node.data)[0] * g
            else:
                xd = x.data if type(x) is Value else x
                yd = y.data
                dx, dy = op.grads(xd, yd, node.data)
                if type(x) is Value and (mx is None or not mx(xd, yd)):
                    x._adj += dx * g
                if my is None or not my(xd, yd):
                    y._adj += dy * g
        else:
            rule = op.grads  # read once: a method-style call of a slot would not be specialized
            if y is None:
                x._adj += rule(x.data, node.data)[0] * g
            elif type(x) is type(y):
                dx, dy = rule(x.data, y.data, node.data)
                x._adj += dx * g
                y._adj += dy * g
            elif type(x) is Value:
                x._adj += rule(x.data, y, node.data)[0] * g
            else:
                y._adj += rule(x, y.data, node.data)[1] * g


def _kind(op: Op) -> int:
    """Which shortcut of ``_propagate`` computes exactly ``d * g`` for this op: its rule,
    evaluated at sample points, must be 1 and 1 (add), 1 and −1 (sub), y and x (mul), −1
    (neg), the result (exp), 0 or 1 as relu's mask says (relu), or masked everywhere (0)."""
    try:
        masks = op.masks or (None,) * op.arity
        if op.arity == 2:
            if any(m is not None for m in masks):
                return MASKED
            points = [(2.0, 3.0), (-1.5, 0.25), (0.5, -4.0), (7.0, 0.0)]
            found = [(op.grads(x, y, op.forward(x, y)), x, y) for x, y in points]
            if all(d == (1.0, 1.0) for d, _, _ in found):
                return ADD
            if all(d == (1.0, -1.0) for d, _, _ in found):
                return SUB
            if all(d == (y, x) for d, x, y in found):
                return MUL
            return GENERAL
        points1 = [-2.0, -0.0, 0.0, 0.5, 3.0, math.inf, -math.inf, math.nan]
        found1 = [(op.grads(x, op.forward(x))[0], x, op.forward(x)) for x in points1]
        mask = masks[0]
        if mask is not None:
            if all(mask(x) for x in points1):
                return ZERO
            if all(bool(mask(x)) == (x <= 0.0) and (mask(x) or d == 1.0) for d, x, _ in found1):
                return RELU
            return MASKED
        if all(d == -1.0 for d, _, _ in found1):
            return NEG
        finite = [(d, out) for d, x, out in found1 if math.isfinite(x)]
        if all(d == out for d, out in finite):
            return OUT
    except Exception:  # a rule that can't be probed on floats is simply called
        return GENERAL
    return GENERAL


for _op in OPS.values():
    _op.kind = _kind(_op)


def backward(root: Value, grad: float = 1.0) -> None:
    """Add d(root)/d(node) · grad to ``.grad`` of every node below ``root``."""
    seed = _seed(grad)
    if root._x is UNRECORDED:
        raise _unrecorded("backward()")
    with _pass, paused_gc():
        _propagate(_order(root), seed, True)


def _seed(grad: Any) -> float:
    if type(grad) is float:
        return grad
    if type(grad) is Value:
        return grad.data
    if is_number(grad):
        return Value(grad).data  # the same conversion as Value()
    raise TypeError(f"backward(grad): grad is the number d(result)/d(this Value) to start "
                    f"from (default 1.0), not a {type(grad).__name__}")


def _unrecorded(where: str) -> RuntimeError:
    return RuntimeError(f"{where}: this Value was computed inside no_grad(), which records no "
                        "graph, so there is nothing to differentiate; compute it outside the "
                        "no_grad() block (or inside mg.enable_grad())")


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d output/d input for each input, in order, leaving every ``.grad`` untouched.

    An input the output does not depend on gets 0.0. With ``create_graph=True`` the results are
    Values whose own graphs compute the derivative, so they can be differentiated again
    (second derivatives, Hessians); that graph is recorded even inside ``no_grad()``, as in
    PyTorch. A single Value as ``inputs`` gives a single result.
    """
    if type(output) is not Value:
        raise TypeError(f"grad() output must be a Value, not {type(output).__name__}")
    single = type(inputs) is Value
    targets: list[Value]
    if single:
        targets = [inputs]  # type: ignore[list-item]
    elif is_number(inputs) or isinstance(inputs, str):
        raise TypeError(f"grad(output, inputs): inputs are the Values to differentiate by (a "
                        f"Value or a list of them, e.g. grad(J, [w, b])), not a "
                        f"{type(inputs).__name__}; to scale the gradient use J.backward(3.0)")
    else:
        try:
            targets = list(inputs)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"grad(output, inputs): inputs must be a Value or a list of Values, "
                            f"not {type(inputs).__name__}") from None
    for i, t in enumerate(targets):
        if type(t) is not Value:
            raise TypeError(f"grad() inputs must be Values; input {i} is {type(t).__name__}")
    if output._x is UNRECORDED:
        raise _unrecorded("grad()")
    if create_graph:
        results = _graph_grads(output, targets)
    else:
        with _pass, paused_gc():
            _propagate(_order(output), 1.0, False)
            mark = output._mark
            results = [t._adj if t._mark is mark else 0.0 for t in targets]
    return results[0] if single else results


def _graph_grads(output: Value, targets: list[Value]) -> list[Value]:
    """Reverse mode again, but on Values: each rule of ``ops`` now builds nodes, not floats."""
    with paused_gc(), gradmode.enable_grad():
        return _graph_grads_recording(output, targets)


def _graph_grads_recording(output: Value, targets: list[Value]) -> list[Value]:
    order = topological_order(output)
    adj: dict[Value, Any] = {output: 1.0}  # a float until a Value joins in: no "× 1.0" nodes
    for node in reversed(order):
        g = adj.get(node)
        op = node._op
        if g is None or op is None:
            continue
        inputs = node.inputs
        gates = op.gates
        for i, (child, d) in enumerate(zip(inputs, op.grads(*inputs, node))):
            if type(child) is not Value:  # a number operand
                continue
            test: Any = None
            if gates is not None and gates[i] is not None:  # the float backward's masks
                cut = gates[i]
                if cut == "always":
                    continue
                test = node if cut == "out" else inputs[cut == "y"]
                if type(test) is not Value:  # a number: no gradient now or on any replay
                    if test == 0.0:
                        continue
                    test = None
            if type(d) is float:
                term = g if d == 1.0 else (-g if d == -1.0 else d * g)
            else:
                term = d if (type(g) is float and g == 1.0) else d * g
            if test is not None:  # tested each time the graph runs: trace replays it
                term = gate(term, test)
            old = adj.get(child)
            adj[child] = term if old is None else old + term
    return [Value.lift(adj.get(t, 0.0)) for t in targets]
