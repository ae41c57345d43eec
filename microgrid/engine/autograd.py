"""The backward pass: a topological order, then the chain rule from the output down.

``backward()`` first lists the graph's nodes so that every node comes after its inputs
(``_order``), then walks that list backwards: when a node is reached, everything computed from
it has been passed already, so its adjoint d output/d node is complete, and the node hands each
of its inputs its share, upstream adjoint × local derivative (``contributions``, the chain rule
at one node). Both walks are loops, not recursion, so a chain of a million nodes is as easy as a
chain of ten.

Each pass keeps its adjoints in the node's ``_adj`` slot and adds each to ``.grad`` once, when
it is complete; ``.grad`` itself is never propagated, which is why running ``backward()`` twice
gives exactly twice the gradients. Where an op passes no gradient at all (its ``gates`` in the
table: relu where its result is 0, step and stop_gradient always, pow's base where the exponent
is 0) nothing is added, so an inf or nan from above gives 0 there, as in PyTorch.

``grad(create_graph=True)`` runs the same chain rule on Values, so the derivative is itself a
graph; there a gated term becomes ``gate(term, test)``, tested each time the graph runs.

Threads: a pass marks the nodes it walks, so one pass runs at a time (a lock around each pass,
which under CPython's GIL costs no parallelism); any number of threads may call ``backward()``
or ``grad()`` on graphs that share nodes and each gets its exact answer. The cyclic garbage
collector is paused during a pass (a graph has no cycles for it to find) and always restored.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Sequence
from typing import Any

from . import gradmode
from .i18n import gettext
from .ops import MINUS_ONE, ONE_MINUS_ONE, ONE_ONE, ONE_WHERE_POSITIVE, OUT, Y_X, gate, is_number
from .value import UNRECORDED, Value, being_recorded

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


Contribution = tuple[int, Value, Any, Any]  # (operand, input, local derivative, term)


def contributions(node: Value, upstream: Any = 1.0,
                  create_graph: bool = False) -> tuple[Contribution, ...]:
    """The chain rule at one node: what ``node`` adds to the adjoint of each of its inputs.

    One ``(operand, input, local, term)`` per input the backward pass adds to, in the order it
    adds them. ``operand`` is the input's position (0 for x, 1 for y; ``a * a`` gives both),
    ``local`` is ∂node/∂input, the op's ``grads`` at the node's numbers, and ``term`` is
    ``local * upstream``, with ``upstream`` = d output/d node. Every backward pass adds exactly
    these terms: ``backward()``, ``grad()`` and ``backward_steps()`` (``_propagate`` applies a
    few ops' rules inline, as their ``shortcut`` in the op table declares, to the same bits).

    There is no entry for a number operand (it gets no gradient), nor for an input that the
    op's ``gates`` cut at these numbers (relu at x ≤ 0, step and stop_gradient always, pow's
    base where the exponent is 0, gate's value where the test is 0): the engine adds nothing at
    all there, not even 0 · inf. So the derivative the engine uses along the edge from an input
    to ``node`` is ``local`` with ``upstream=1.0``, and 0 where there is no entry: the number to
    label that edge with.

    With ``create_graph=True`` the same on Values: ``local`` and ``term`` are Values (or floats)
    whose graphs compute them, and a gated input's term is ``gate(term, test)``, which passes
    nothing where the test is 0 each time the graph runs (a number test is decided now).
    """
    op = node._op
    if op is None:
        return ()
    if create_graph:
        return _graph_contributions(node, upstream)
    x = node._x
    y = node._y
    masks = op.masks
    if y is None:
        xd = x.data
        if masks is not None and masks[0] is not None and masks[0](xd):
            return ()
        d = op.grads(xd, node.data)[0]
        return ((0, x, d, d * upstream),)
    xd = x.data if type(x) is Value else x
    yd = y.data if type(y) is Value else y
    dx, dy = op.grads(xd, yd, node.data)
    if masks is None:
        if type(x) is type(y):  # two Values (two numbers never make a node)
            return ((0, x, dx, dx * upstream), (1, y, dy, dy * upstream))
        if type(x) is Value:  # v <op> number: the number gets no gradient
            return ((0, x, dx, dx * upstream),)
        return ((1, y, dy, dy * upstream),)
    mx, my = masks
    to_x = type(x) is Value and (mx is None or not mx(xd, yd))
    to_y = type(y) is Value and (my is None or not my(xd, yd))
    if to_x and to_y:
        return ((0, x, dx, dx * upstream), (1, y, dy, dy * upstream))
    if to_x:
        return ((0, x, dx, dx * upstream),)
    if to_y:
        return ((1, y, dy, dy * upstream),)
    return ()


def _graph_contributions(node: Value, upstream: Any) -> tuple[Contribution, ...]:
    """``contributions(node, upstream, create_graph=True)``: the op's very same ``grads``,
    called on Values, builds the local derivatives as nodes; the terms are nodes too."""
    op: Any = node._op
    inputs = node.inputs
    gates = op.gates
    found: list[Contribution] = []
    for i, (child, d) in enumerate(zip(inputs, op.grads(*inputs, node))):
        if type(child) is not Value:  # a number operand
            continue
        test: Any = None
        cut = None if gates is None else gates[i]
        if cut is not None:  # the float pass's masks, as a test the graph runs each time
            if cut == "always":
                continue
            test = node if cut == "out" else inputs[cut == "y"]
            if type(test) is not Value:  # a number: no gradient now or on any replay
                if test == 0.0:
                    continue
                test = None
        if type(d) is float:  # no "× 1" or "× −1" nodes
            term = upstream if d == 1.0 else (-upstream if d == -1.0 else d * upstream)
        else:
            term = d if (type(upstream) is float and upstream == 1.0) else d * upstream
        if test is not None:
            term = gate(term, test)
        found.append((i, child, d, term))
    return tuple(found)


def _propagate(order: list[Value], seed: float, accumulate: bool) -> None:
    """The chain rule over a fresh ``_order`` (adjoints 0.0), on floats: every node adds its
    ``contributions`` to its inputs' adjoints.

    Walking the order backwards, a node's adjoint is complete when it is reached (everything
    computed from it came later in the order), so it can be added to ``.grad`` right there.
    The commonest ops (those with a ``shortcut`` in the op table) have their rule applied
    here inline rather than called: the same numbers, bit for bit, a call and a tuple fewer
    per node (tests/test_chain_rule.py holds each shortcut to its op's rule).
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
        shortcut = op.shortcut
        if shortcut == Y_X:  # mul: ∂/∂x = y, ∂/∂y = x
            if type(x) is type(y):  # two Values (two numbers never make a node)
                x._adj += y.data * g
                y._adj += x.data * g
            elif type(x) is Value:  # v * number: the number gets no gradient
                x._adj += y * g
            else:
                y._adj += x * g
        elif shortcut == ONE_ONE:  # add
            if type(x) is Value:
                x._adj += g
            if type(y) is Value:
                y._adj += g
        elif shortcut == ONE_WHERE_POSITIVE:  # relu
            if not x.data <= 0.0:
                x._adj += g
        elif shortcut == ONE_MINUS_ONE:  # sub
            if type(x) is Value:
                x._adj += g
            if type(y) is Value:
                y._adj -= g
        elif shortcut == OUT:  # exp
            x._adj += node.data * g
        elif shortcut == MINUS_ONE:  # neg
            x._adj -= g
        else:
            for _, child, _, term in contributions(node, g):
                child._adj += term


def backward(root: Value, grad: float = 1.0) -> None:
    """Add d(root)/d(node) · grad to ``.grad`` of every node below ``root``."""
    seed = _seed(grad)
    if root._x is UNRECORDED:
        raise _unrecorded("backward()")
    if being_recorded():
        raise _frozen("backward()")
    with _pass, paused_gc():
        _propagate(_order(root), seed, True)


def _seed(grad: Any) -> float:
    if type(grad) is float:
        return grad
    if type(grad) is Value:
        return grad.data
    if is_number(grad):
        return Value(grad).data  # the same conversion as Value()
    raise TypeError(gettext("backward(grad): grad is the number d(result)/d(this Value) to "
                            "start from (default 1.0), not a {kind}", kind=type(grad).__name__))


def _unrecorded(where: str) -> RuntimeError:
    return RuntimeError(gettext(
        "{where}: this Value was computed inside no_grad(), which records no graph, so there "
        "is nothing to differentiate; compute it outside the no_grad() block (or inside "
        "mg.enable_grad())", where=where))


def _frozen(where: str) -> TypeError:
    """A float derivative taken while a graph is recorded (``microgrid.trace``) is a number of
    this run that every replay would keep as it is: refused, naming the recorded way."""
    return TypeError(gettext(
        "{where} inside a traced function gives this call's numbers, which every later call "
        "would reuse unchanged; use mg.grad(J, [w, b], create_graph=True), whose derivative is "
        "recorded, or f.value_and_grad outside the function", where=where))


def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d output/d input for each input, in order, leaving every ``.grad`` untouched.

    An input the output does not depend on gets 0.0. With ``create_graph=True`` the results are
    Values whose own graphs compute the derivative, so they can be differentiated again
    (second derivatives, Hessians); that graph is recorded even inside ``no_grad()``, as in
    PyTorch. A single Value as ``inputs`` gives a single result.
    """
    if type(output) is not Value:
        raise TypeError(gettext("grad() output must be a Value, not {kind}",
                                kind=type(output).__name__))
    single = type(inputs) is Value
    targets: list[Value]
    if single:
        targets = [inputs]  # type: ignore[list-item]
    elif is_number(inputs) or isinstance(inputs, str):
        raise TypeError(gettext("grad(output, inputs): inputs are the Values to differentiate "
                                "by (a Value or a list of them, e.g. grad(J, [w, b])), not a "
                                "{kind}; to scale the gradient use J.backward(3.0)",
                                kind=type(inputs).__name__))
    else:
        try:
            targets = list(inputs)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(gettext("grad(output, inputs): inputs must be a Value or a list of "
                                    "Values, not {kind}", kind=type(inputs).__name__)) from None
    for i, t in enumerate(targets):
        if type(t) is not Value:
            raise TypeError(gettext("grad() inputs must be Values; input {index} is {kind}",
                                    index=i, kind=type(t).__name__))
    if output._x is UNRECORDED:
        raise _unrecorded("grad()")
    if create_graph:
        results = _graph_grads(output, targets)
    elif being_recorded():
        raise _frozen("grad()")
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
        if g is None:
            continue
        for _, child, _, term in contributions(node, g, create_graph=True):
            old = adj.get(child)
            adj[child] = term if old is None else old + term
    return [Value.lift(adj.get(t, 0.0)) for t in targets]
