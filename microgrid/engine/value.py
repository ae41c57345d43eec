"""``Value``: one scalar and the record of how it was computed.

Building an expression out of Values records a graph: every result remembers its op (an entry
of ``ops.OPS``) and the Values it was computed from, its inputs ``_x`` and ``_y``. Nothing else
is stored per node (no closure, no reference back from an input to its result), so a graph is
freed by reference counting alone, the moment the last name for it goes away.

The engine knows one thing about code that records a graph to replay it later (the static
graph, ``microgrid.trace``): the ``recorder`` hook at the end of this file.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, Protocol

from . import gradmode, ops
from .gradmode import is_recording, no_grad  # noqa: F401  (where they were first defined)
from .i18n import _
from .ops import (
    ADD,
    DIV,
    EXP,
    GATE,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    STEP,
    STOP,
    SUB,
    TANH,
    Op,
    is_number,
)

Number = int | float


class _Unrecorded:
    """In ``_x`` of a result made inside ``no_grad()``: a leaf that knows why it is one, so that
    differentiating it says so instead of returning zeros."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<computed inside no_grad()>"


UNRECORDED = _Unrecorded()


_new = object.__new__  # a bare Value: no checks of an argument, its slots not yet filled


def _fill(node: Value, data: float, op: Op | None, x: Any, y: Any) -> Value:
    """Fill the slots of a new Value: the number ``data``, computed by ``op`` from the inputs
    ``x`` (and ``y``; None for a one-input op), or a leaf when ``op`` is None.

    ``grad`` starts at 0.0 (nothing has flowed back yet) and ``label`` empty. ``_mark`` is the
    backward pass's "visited" stamp and ``_adj`` its running adjoint (``autograd._order`` sets
    both before it reads them).

    Leaves, copies and results made inside ``no_grad()`` are filled here. The results of ops
    are filled by the two methods that make them (``_binary``'s and ``_apply1``) with these
    same lines written out: they run once for every node of every graph, and a call of
    ``_fill`` each time would make building a graph about 5% slower (a test checks that the
    three fill a node alike).
    """
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._x = x
    node._y = y
    node._mark = None
    return node


def _binary(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """The method for ``self <op> other`` (``other <op> self`` when reflected).

    A number operand is kept as a plain float in the node, not made into a leaf Value: it gets
    no gradient, and the graph has one node fewer to build, sort and free.
    """
    forward = op.forward

    def method(self: Value, other: Any) -> Value:
        if type(other) is Value:
            od = other.data
        elif type(other) is float:
            od = other
        elif type(other) is int or is_number(other):
            other = od = ops._to_float(other, op.name)
        else:
            return NotImplemented  # Python then raises its TypeError naming both types
        out = _new(Value)  # filled as _fill fills it (see there)
        if reflected:
            out.data = forward(od, self.data)
            out._x = other
            out._y = self
        else:
            out.data = forward(self.data, od)
            out._x = self
            out._y = other
        out._op = op
        out.grad = 0.0
        out.label = ""
        out._mark = None
        if gradmode.blocks_open and not gradmode.is_grad_enabled():  # inside no_grad()
            return _unrecorded(out)
        return out

    method.__name__ = f"__{'r' if reflected else ''}{op.name}__"
    return method


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can differentiate it.

    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad
    (4.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "_op", "_x", "_y", "_adj", "_mark")

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        t = type(data)
        if t is not float:
            if t is Value:
                raise TypeError(_("Value() takes a number; use the Value itself, or v.data"))
            if not is_number(data):
                raise TypeError(_("Value() takes a real number (int, float, bool), not {kind}",
                                  kind=t.__name__))
            data = ops._to_float(data, "Value")
        if type(label) is not str:
            raise TypeError(_("label must be a str, not {kind}", kind=type(label).__name__))
        _fill(self, data, None, None, None)
        self.label = label

    # --- what a user reads -----------------------------------------------------------------

    @property
    def op(self) -> str:
        """Name of the op that made this Value (``"mul"``, ``"exp"`` ...), ``""`` for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def inputs(self) -> tuple[Value | float, ...]:
        """What this Value was computed from, in order: Values, and floats for number operands
        (``3 * v`` has inputs ``(3.0, v)``). Empty for a leaf."""
        if self._op is None:
            return ()
        x, y = self._x, self._y
        return (x,) if y is None else (x, y)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        # math.exp(v), float(v), np.float64(v) would take the number and drop the gradient (and
        # freeze the first call's number under trace): PyTorch allows it, microgrid says no
        raise TypeError(_("a Value is not a float: math.exp(v) or float(v) would drop its "
                          "gradient; use v.exp() or mg.exp(v) (log, tanh, sigmoid, relu too) to "
                          "stay in the graph, or v.data for the number"))

    def __format__(self, spec: str) -> str:
        """``f"{J:.3f}"`` formats the number ``J.data``; ``f"{J}"`` is ``repr(J)``."""
        return format(self.data, spec) if spec else str(self)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy arithmetic with a Value (``np.float64(2) * v``) is the Value's own operator;
        any other NumPy function (``np.exp(v)``) is refused in one line naming the fix."""
        name = getattr(ufunc, "__name__", "")
        methods = _NUMPY_OPERATORS.get(name)
        if methods is not None and method == "__call__" and not kwargs:
            if len(inputs) == 1:
                return getattr(inputs[0], methods[0])()
            x, y = inputs
            if type(x) is Value:
                return getattr(x, methods[0])(y)
            return getattr(y, methods[1])(x)
        ours = name if name in ops.OPS and ops.OPS[name].arity == 1 else "exp"
        raise TypeError(_("NumPy's {function}() doesn't take a Value: use v.{ours}() or "
                          "mg.{ours}(v) to stay in the graph, or np.{name}(v.data) for the "
                          "number", function=name or ufunc, ours=ours, name=name or "f"))

    # --- building the graph ------------------------------------------------------------------

    @staticmethod
    def lift(x: Any) -> Value:
        """``x`` as a Value: a Value as it is, a number as a new leaf; anything else TypeError."""
        if type(x) is Value:
            return x
        if is_number(x):
            return _fill(_new(Value), ops._to_float(x, "Value"), None, None, None)
        raise TypeError(_("expected a Value or a real number, not {kind}",
                          kind=type(x).__name__))

    def _apply1(self, op: Op) -> Value:
        """The node ``op(self)``, for a one-input op (``v.exp()`` and ``mg.exp(v)`` alike)."""
        forward = op.forward  # op.forward(...) would be looked up as a method first: slower
        out = _new(Value)  # filled as _fill fills it (see there)
        out.data = forward(self.data)
        out._x = self
        out._y = None
        out._op = op
        out.grad = 0.0
        out.label = ""
        out._mark = None
        if gradmode.blocks_open and not gradmode.is_grad_enabled():  # inside no_grad()
            return _unrecorded(out)
        return out

    __add__ = _binary(ADD)
    __radd__ = _binary(ADD, reflected=True)
    __sub__ = _binary(SUB)
    __rsub__ = _binary(SUB, reflected=True)
    __mul__ = _binary(MUL)
    __rmul__ = _binary(MUL, reflected=True)
    __truediv__ = _binary(DIV)
    __rtruediv__ = _binary(DIV, reflected=True)
    __pow__ = _binary(POW)
    __rpow__ = _binary(POW, reflected=True)

    def __neg__(self) -> Value:
        return self._apply1(NEG)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        return self._apply1(EXP)

    def log(self) -> Value:
        return self._apply1(LOG)

    def sigmoid(self) -> Value:
        return self._apply1(SIGMOID)

    def tanh(self) -> Value:
        return self._apply1(TANH)

    def relu(self) -> Value:
        return self._apply1(RELU)

    def step(self) -> Value:
        """1 where positive, else 0: ReLU's derivative (itself with derivative 0)."""
        return self._apply1(STEP)

    def detach(self) -> Value:
        """The same number, through which no gradient flows back (PyTorch's ``detach``, JAX's
        ``stop_gradient``). It is an op of the graph, so ``trace`` records and replays it."""
        return self._apply1(STOP)

    stop_gradient = detach  # the op's name, as JAX spells it

    gate = _binary(GATE)
    gate.__doc__ = ("v.gate(test): v where test is not 0, else 0, with no gradient where test "
                    "is 0 (not even an inf or nan from above): how derivative graphs mask")
    _rgate = _binary(GATE, reflected=True)  # gate(number, test), for mg's gate function

    # --- differentiating ---------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(node) · grad to ``.grad`` of every node of the graph below self.

        Gradients accumulate, like PyTorch's: call ``zero_grad()`` between steps. Running it
        twice leaves exactly twice the gradients, because each pass propagates its own
        adjoints and adds them to ``.grad`` only at the end.
        """
        from .autograd import backward

        backward(self, grad)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on self and every node below it."""
        from .autograd import topological_order

        for node in topological_order(self):
            node.grad = 0.0

    def tree(self, show_grad: bool = True, *, lang: str | None = None) -> str:
        """The graph below self as indented text (op, label, data, grad): ``print(J.tree())``."""
        from ..view.tree import tree

        return tree(self, show_grad, lang=lang)

    def explain(self, nodes: Any = None, max_nodes: int = 200, *,
                lang: str | None = None) -> Any:
        """The chain rule worked out for every node below self: ``print(J.explain())``.

        The same as ``microgrid.explain(self, ...)``; see there.
        """
        from ..view.explain import explain

        return explain(self, nodes, max_nodes, lang=lang)

    # --- comparing ---------------------------------------------------------------------------
    # A Value hashes by identity, so Values key dicts and fill sets. ``==`` with a number
    # compares the number (``Value(1.0) == 1`` is True, as ``bool(torch.tensor(1.) == 1)`` is);
    # ``==`` between two Values asks whether they are the same node (PyTorch would compare the
    # numbers: write ``a.data == b.data`` for that). Ordering (< > <= >=) and bool() raise:
    # write ``.data`` where a number is meant. A recorder (below) may refuse == and != too.
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        recorder = _recorder()
        if recorder is not None:  # a graph being recorded: it may refuse a branch
            recorder.compared(self, other)
        if type(other) is Value:
            return self is other
        if is_number(other):
            return bool(self.data == other)
        return NotImplemented

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        recorder = _recorder()
        if recorder is not None:  # a graph being recorded: it may refuse a branch
            recorder.compared(self, other)
        if type(other) is Value:
            return self is not other
        if is_number(other):
            return bool(self.data != other)
        return NotImplemented

    def _no_order(self, other: Any) -> bool:
        raise TypeError(_("Values don't compare with < > <= >=; compare their .data"))

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __bool__(self) -> bool:
        raise TypeError(_("the truth value of a Value is ambiguous; test its .data"))

    # --- copying and saving ------------------------------------------------------------------

    def __reduce_ex__(self, protocol: Any) -> Any:
        """A leaf (a parameter) pickles as its number, grad and label; a graph doesn't."""
        if self._op is None:
            return _restore_leaf, (self.data, self.grad, self.label)
        raise TypeError(_("a Value computed from others (a graph) doesn't pickle: save the "
                          "numbers (model.state_dict(), optimizer.state_dict(), JSON) and "
                          "rebuild the graph by running the code again"))

    def __copy__(self) -> Value:
        out = _fill(_new(Value), self.data, self._op, self._x, self._y)
        out.grad, out.label = self.grad, self.label
        return out

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph below self, node for node, shared nodes shared once; a
        loop over the topological order, so a chain of any depth copies without recursion."""
        from .autograd import topological_order

        for node in topological_order(self):
            if id(node) in memo:
                continue
            x, y = node._x, node._y
            new = _fill(_new(Value), node.data, node._op, memo[id(x)] if type(x) is Value else x,
                        memo[id(y)] if type(y) is Value else y)
            new.grad, new.label = node.grad, node.label
            memo[id(node)] = new
        return memo[id(self)]


_NUMPY_OPERATORS = {"add": ("__add__", "__radd__"), "subtract": ("__sub__", "__rsub__"),
                    "multiply": ("__mul__", "__rmul__"),
                    "true_divide": ("__truediv__", "__rtruediv__"),
                    "divide": ("__truediv__", "__rtruediv__"), "power": ("__pow__", "__rpow__"),
                    "float_power": ("__pow__", "__rpow__"), "negative": ("__neg__",),
                    "positive": ("__pos__",), "equal": ("__eq__", "__eq__"),
                    "not_equal": ("__ne__", "__ne__")}


def _restore_leaf(data: float, grad: float, label: str) -> Value:
    v = _fill(_new(Value), data, None, None, None)
    v.grad = grad
    v.label = label
    return v


def _unrecorded(node: Value) -> Value:
    """``node``, just computed inside ``no_grad()``: cut loose from its inputs, a leaf that
    remembers why (see ``UNRECORDED``), so the graph above it is not kept; or, while a
    recorder is installed, what the recorder makes of it."""
    recorder = _recorder()
    if recorder is not None:
        return recorder.unrecorded(node)
    node._op = None
    node._x = UNRECORDED
    node._y = None
    return node


# --- The recorder hook ------------------------------------------------------------------------


class Recorder(Protocol):
    """What the engine asks of code that records a graph to replay it later on other numbers
    (``microgrid.trace`` is one). A replay runs the recorded ops only, so the recorder must hear
    of the two moments where the eager engine would do something a replay can't repeat."""

    def compared(self, value: Value, other: Any) -> None:
        """``value == other`` or ``value != other`` is about to be answered from this run's
        numbers: a branch that the replay would freeze. Raise to refuse it."""

    def unrecorded(self, node: Value) -> Value:
        """``node`` (op and inputs filled in) was computed inside ``no_grad()``, where the
        eager engine makes it a leaf. Return the Value to give the caller instead."""


# The recorder of this thread (and asyncio task), or None (the usual case). Install one for the
# span of a recording, as ``microgrid.trace`` does, and restore what was there after, even when
# the recording raises:
#
#     token = recorder.set(my_recorder)
#     try:
#         ...  # run the function being recorded
#     finally:
#         recorder.reset(token)
recorder: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "microgrid_recorder", default=None)
_recorder = recorder.get


def being_recorded() -> bool:
    """True while a recorder is installed in this thread (``microgrid.trace`` recording a
    function). Library code that would decide something from ``.data`` asks this first: while
    a graph is recorded, the decision must be built into the graph (or refused), since the
    replay would otherwise repeat this run's choice for every later input."""
    return _recorder() is not None
