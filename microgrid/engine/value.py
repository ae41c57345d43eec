"""``Value``: one scalar and the record of how it was computed.

Building an expression out of Values records a graph: every result remembers its op (an entry
of ``ops.OPS``) and the Values it was computed from. Nothing else is stored per node (no closure,
no reference back from a child to its result), so a graph is freed by reference counting alone,
the moment the last name for it goes away, and the cyclic garbage collector never has to look.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from . import ops
from .ops import ADD, DIV, EXP, LOG, MUL, NEG, POW, RELU, SIGMOID, STEP, SUB, TANH, Op, is_number

Number = int | float

_recording = True  # False inside no_grad(): results are built as leaves


class no_grad(contextlib.ContextDecorator):
    """Ops inside record no graph: results are leaves. For parameter updates and evaluation.

    Use as ``with no_grad(): ...`` or as a ``@no_grad()`` decorator. It nests, and it restores
    the previous state even when the block raises.
    """

    def __enter__(self) -> no_grad:
        global _recording
        self._was = _recording
        _recording = False
        return self

    def __exit__(self, *exc: object) -> None:
        global _recording
        _recording = self._was


def is_recording() -> bool:
    """Whether ops record a graph right now (False inside ``no_grad()``)."""
    return _recording


_new = object.__new__


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
        out = _new(Value)
        if reflected:
            out.data = forward(od, self.data)
        else:
            out.data = forward(self.data, od)
        out.grad = 0.0
        out.label = ""
        out._mark = None
        if not _recording:
            out._op = out._x = out._y = None
        elif reflected:
            out._op = op
            out._x = other
            out._y = self
        else:
            out._op = op
            out._x = self
            out._y = other
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
    __array_ufunc__ = None  # np.float64(2) * v asks Value, instead of making an object array

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        t = type(data)
        if t is not float:
            if t is Value:
                raise TypeError("Value() takes a number; use the Value itself, or v.data")
            if not is_number(data):
                raise TypeError(f"Value() takes a real number (int, float, bool), not {t.__name__}")
            data = ops._to_float(data, "Value")
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = self._x = self._y = None
        self._mark = None

    # --- what a user reads -----------------------------------------------------------------

    @property
    def op(self) -> str:
        """Name of the op that made this Value (``"mul"``, ``"exp"`` ...), ``""`` for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def inputs(self) -> tuple[Value | float, ...]:
        """What this Value was computed from, in order: Values, and floats for number operands
        (``3 * v`` has inputs ``(3.0, v)``). Empty for a leaf."""
        x, y = self._x, self._y
        return () if x is None else (x,) if y is None else (x, y)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # --- building the graph ------------------------------------------------------------------

    @staticmethod
    def lift(x: Any) -> Value:
        """``x`` as a Value: a Value as it is, a number as a new leaf; anything else TypeError."""
        if type(x) is Value:
            return x
        if is_number(x):
            return _leaf(ops._to_float(x, "Value"))
        raise TypeError(f"expected a Value or a real number, not {type(x).__name__}")

    def _apply1(self, op: Op) -> Value:
        out = _new(Value)
        forward = op.forward  # read, then called: a method-style call of a slot isn't specialized
        out.data = forward(self.data)
        out.grad = 0.0
        out.label = ""
        out._mark = None
        if _recording:
            out._op = op
            out._x = self
        else:
            out._op = out._x = None
        out._y = None
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

    def tree(self, show_grad: bool = True) -> str:
        """The graph below self as indented text (op, label, data, grad): ``print(J.tree())``."""
        from ..view.tree import tree

        return tree(self, show_grad)

    def explain(self, nodes: Any = None, max_nodes: int = 200) -> Any:
        """The chain rule worked out for every node below self: ``print(J.explain())``.

        The same as ``microgrid.explain(self, ...)``; see there.
        """
        from ..view.explain import explain

        return explain(self, nodes, max_nodes)

    # Values are identities, not numbers: == compares identity (so they can key a dict) and
    # ordering compares are refused rather than silently freezing a branch in a traced graph.
    __hash__ = object.__hash__

    def _no_order(self, other: Any) -> bool:
        raise TypeError("Values don't compare with < > <= >=; compare their .data")

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a Value is ambiguous; test its .data")



def _leaf(data: float) -> Value:
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._op = v._x = v._y = None
    v._mark = None
    return v

