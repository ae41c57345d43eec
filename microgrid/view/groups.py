"""Which Values of a graph make up one neuron (or one layer), so a drawing can fold each into a box.

A view may import the engine only, not ``microgrid.nn``, so neurons are recognised by the
labels ``nn`` gives its Values, a convention anyone can follow by hand:

* a parameter of the neuron ``NAME`` is labelled ``NAME.w1, NAME.w2 ...`` and ``NAME.b``, where
  ``NAME`` is ``LAYER.NEURON`` (``nn.MLP`` names them ``L1.n1.w1`` ... ``L1.n1.b``);
* the neuron's output (its activation, or z for a linear neuron) is labelled ``NAME``.

From those, the neuron is: its parameters; each product of a weight with an input that is not a
parameter (w·x); each sum that adds its bias to one of its products, or two of its own sums
(w·x + b); and the node labelled ``NAME`` computed from one of these (the activation). Anything
else, a loss or a weight penalty, stays outside and is drawn as usual, and a neuron whose output
was relabelled is drawn without its activation folded in. ``group="layer"`` merges the neurons
whose names share the ``LAYER`` part.
"""

from __future__ import annotations

import re

from ..engine.ops import ADD, MUL
from ..engine.value import Value
from ..i18n import _

GROUPS = ("neuron", "layer")

PARAMETER = re.compile(r"(?P<neuron>(?P<layer>[^.\s]+)\.[^.\s]+)\.(?P<kind>w\d+|b)\Z")


class Group:
    """One box of a grouped drawing: a neuron or a layer, and the Values inside it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.neurons: set[str] = set()  # the neuron names it holds (one for group="neuron")
        self.members: list[Value] = []
        self.output: Value | None = None  # the one Value read from outside, if there is one

    @property
    def what(self) -> str:
        """The box's formula: ``ReLU(w·x + b)``, ``4 neurons: tanh(w·x + b)``."""
        outs = [v for v in self.members if v.label in self.neurons]
        op = outs[0]._op if outs else None
        # a one-input op named after the neuron is its activation (see _group_of)
        formula = f"{op.symbol}(w·x + b)" if op is not None and op.arity == 1 else "w·x + b"
        if len(self.neurons) > 1:
            return _("{count} neurons: {formula}", count=len(self.neurons), formula=formula)
        return formula

    def __repr__(self) -> str:
        return f"<group {self.name}: {len(self.members)} Values>"


def find_groups(order: list[Value], kind: str, roots: list[Value] | None = None
                ) -> dict[Value, Group]:
    """Each Value of ``order`` (inputs first) that belongs to a neuron or layer -> its Group.

    ``kind`` is "neuron" or "layer"; see the module docstring for the rules.
    """
    if kind not in GROUPS:
        raise ValueError(f"group must be 'neuron' or 'layer', not {kind!r}")
    found: dict[Value, Group] = {}
    by_name: dict[str, Group] = {}
    role: dict[Value, str] = {}  # a parameter's kind: "b" or "w1", "w2" ...
    for v in order:
        if v._op is None:
            m = PARAMETER.match(v.label)
            if m is None:
                continue
            key = m["neuron"] if kind == "neuron" else m["layer"]
            g = by_name.get(key)
            if g is None:
                g = by_name[key] = Group(key)
            g.neurons.add(m["neuron"])
            role[v] = m["kind"]
            _join(found, v, g)
            continue
        g = _group_of(v, found, role)
        if g is not None:
            _join(found, v, g)
    # a parameter also read outside its neuron (a weight penalty) is drawn outside the box
    for v in order:
        for x in v.inputs:
            if type(x) is Value and x._op is None and x in found and found.get(v) is not found[x]:
                found[x].members.remove(x)
                del found[x]
    # a box's output: the member read by something outside it (or drawn as an output)
    readers: dict[Group, set[Value]] = {}
    for v in order:
        g = found.get(v)
        for x in v.inputs:
            if type(x) is Value and x in found and found[x] is not g:
                readers.setdefault(found[x], set()).add(x)
    for v in roots or ():
        if v in found:
            readers.setdefault(found[v], set()).add(v)
    for g, outs in readers.items():
        if len(outs) == 1:
            g.output = next(iter(outs))
    return found


def _join(found: dict[Value, Group], v: Value, g: Group) -> None:
    found[v] = g
    g.members.append(v)


def _group_of(v: Value, found: dict[Value, Group], role: dict[Value, str]) -> Group | None:
    x, y = v._x, v._y
    gx = found.get(x) if type(x) is Value else None
    gy = found.get(y) if type(y) is Value else None
    op = v._op
    if op is MUL:  # w·x: a weight times something that is not a parameter
        for w, other in ((x, y), (y, x)):
            if type(w) is Value and role.get(w, "b") != "b" and other not in role:
                return found[w]
        return None
    if op is ADD:  # + b, or two partial sums of the same neuron
        if gx is None or gx is not gy:
            return None
        if x in role or y in role:
            b, other = (x, y) if x in role else (y, x)
            return gx if role[b] == "b" and other not in role else None
        return gx
    if y is None and gx is not None and v.label in gx.neurons:  # the activation, named
        return gx
    return None
