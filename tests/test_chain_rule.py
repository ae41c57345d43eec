"""One chain rule: ``contributions`` is what every backward pass adds, and the shortcuts that the
backward loop takes for the commonest ops (declared in the op table) give its numbers exactly.
"""

import itertools
import math
import random
import struct

import pytest

import microgrid as mg
from microgrid import OPS, Value
from microgrid.engine import autograd, ops
from microgrid.engine.autograd import contributions

POINTS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, 1e308, -1e-308, 5e-324, math.inf, -math.inf,
          math.nan, -math.nan]
UPSTREAM = [1.0, -1.0, 0.0, -0.0, 0.25, 3e300, math.inf, -math.inf, math.nan, -math.nan]
BINARY = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__",
          "pow": "__pow__", "gate": "gate"}


def bits(x):
    return struct.pack("<d", x)


def apply(op, x, y=None):
    if op.arity == 1:
        return x._apply1(op)
    if type(x) is Value:
        return getattr(x, BINARY[op.name])(y)
    return getattr(y, "_r" + op.name if op.name == "gate" else
                   BINARY[op.name].replace("__", "__r", 1))(x)


def nodes_of(op):
    """One node of ``op`` per combination of the points: Values, a number on either side, and
    the same Value twice (``a * a``)."""
    if op.arity == 1:
        for x in POINTS:
            yield apply(op, Value(x))
        return
    for x, y in itertools.product(POINTS, POINTS):
        yield apply(op, Value(x), Value(y))
        yield apply(op, Value(x), y)
        yield apply(op, x, Value(y))
    for x in POINTS:
        a = Value(x)
        yield apply(op, a, a)


def by_the_loop(node, g):
    """The inputs' adjoints after the backward loop (shortcuts and all) on the one node."""
    autograd._propagate(autograd._order(node), g, False)
    return [bits(v._adj) for v in node.inputs if type(v) is Value]


def by_the_rule(node, g):
    """The same adjoints, as the sums of ``contributions`` (the rule called), in order."""
    adj = {v: 0.0 for v in node.inputs if type(v) is Value}
    for _, child, _, term in contributions(node, g):
        adj[child] += term
    return [bits(adj[v]) for v in node.inputs if type(v) is Value]


def mismatches(op):
    found = []
    for node in nodes_of(op):
        for g in UPSTREAM:
            if by_the_loop(node, g) != by_the_rule(node, g):
                found.append((node.inputs, g))
    return found


@pytest.mark.parametrize("name", sorted(OPS))
def test_the_backward_loop_adds_exactly_the_rules_terms(name):
    """Every declared shortcut (and the general path) equals the op's rule, bit for bit, at ±0,
    ±inf, nan of either sign, the smallest and largest floats, and ordinary numbers."""
    assert mismatches(OPS[name]) == []


def test_the_commonest_ops_declare_their_shortcut_in_the_table():
    declared = {name for name, op in OPS.items() if op.shortcut != ops.NO_SHORTCUT}
    assert declared == {"add", "sub", "mul", "neg", "exp", "relu"}


def test_a_wrong_shortcut_is_caught(monkeypatch):
    monkeypatch.setattr(OPS["sub"], "shortcut", ops.ONE_ONE)  # sub's y would get +g
    assert mismatches(OPS["sub"])
    monkeypatch.setattr(OPS["sub"], "shortcut", ops.ONE_MINUS_ONE)
    monkeypatch.setattr(OPS["tanh"], "shortcut", ops.OUT)  # tanh' is not tanh
    assert mismatches(OPS["tanh"])


def test_a_new_op_without_a_shortcut_has_its_rule_called():
    twice = ops.Op("twice", symbol="2×", forward=lambda x: 2.0 * x,
                   grads=lambda x, out: (2.0,), code="2 * {x}", array=lambda np, x: 2 * x,
                   rule=("2",), operands=("x",), torch="2 * {x}", jax="2 * {x}")
    assert twice.shortcut == ops.NO_SHORTCUT
    x = Value(3.0)
    y = x._apply1(twice) * x
    assert mg.grad(y, x) == 2.0 * 3.0 + 6.0
    y.backward()
    assert x.grad == 12.0


SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, math.inf, -math.inf, math.nan]


def random_graph(rng, xs):
    vals = list(xs)
    for _ in range(60):
        op = OPS[rng.choice(sorted(OPS))]
        a = rng.choice(vals)
        if op.arity == 1:
            vals.append(apply(op, a))
        else:
            vals.append(apply(op, a, rng.choice(vals + [rng.choice(SPECIAL)])))
    out = vals[-1]
    for v in vals[-10:-1]:
        out = out + v
    return out


def adjoints(out, xs, g):
    autograd._propagate(autograd._order(out), g, False)
    return [bits(x._adj) if x._mark is out._mark else bits(0.0) for x in xs]


def test_shortcuts_off_the_backward_pass_gives_the_same_bits(monkeypatch):
    """Whole graphs of every op, with inf and nan flowing: the loop with its shortcuts and the
    loop calling every rule agree bit for bit."""
    rng = random.Random(7)
    for trial in range(40):
        xs = [Value(rng.choice(SPECIAL + [rng.uniform(-3, 3)])) for _ in range(3)]
        out = random_graph(rng, xs)
        g = rng.choice([1.0, math.inf, math.nan, -0.5])
        fast = adjoints(out, xs, g)
        with monkeypatch.context() as m:
            for op in OPS.values():
                m.setattr(op, "shortcut", ops.NO_SHORTCUT)
            slow = adjoints(out, xs, g)
        assert fast == slow, trial


# --- what contributions says, edge by edge ---------------------------------------------------


def test_contributions_of_the_course_graph():
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    v = a + u
    J = 3 * v
    assert contributions(J) == ((1, v, 3.0, 3.0),)  # the number 3 gets no entry
    assert contributions(v, 3.0) == ((0, a, 1.0, 3.0), (1, u, 1.0, 3.0))
    assert contributions(u, 3.0) == ((0, b, 2.0, 6.0), (1, c, 3.0, 9.0))
    assert contributions(a) == ()  # a leaf


def test_a_masked_edge_has_no_entry_even_for_inf_from_above():
    x, t = Value(2.0), Value(0.0)
    gated = x.gate(t)
    assert contributions(gated, math.inf) == ()
    assert mg.grad(gated * math.inf, x) == 0.0
    r = Value(-1.0)
    assert contributions(r.relu(), math.nan) == ()
    p = Value(0.0) ** 0.0  # x^0 is the constant 1: nothing flows to x
    assert contributions(p) == ()
    assert [e[0] for e in contributions(Value(2.0).gate(Value(1.0)))] == [0]  # test: never


def test_with_create_graph_the_terms_are_nodes_and_a_gate_tests_each_time():
    x = Value(-1.0)
    r = x.relu()
    ((operand, child, local, term),) = contributions(r, Value(1.0), create_graph=True)
    assert (operand, child, term.op) == (0, x, "gate")
    assert term.data == 0.0
    y = Value(3.0)
    terms = contributions(y * y, Value(2.0), create_graph=True)
    assert [(e[0], e[1], e[3].data) for e in terms] == [(0, y, 6.0), (1, y, 6.0)]
