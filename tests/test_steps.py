"""backward_steps: the backward pass as records, the same arithmetic as the engine's, bit for bit.

The property test builds random graphs from every op of the table (shared nodes, a node used
twice by one op, numbers on either side, inf, nan and signed zeros) and checks that adding up
each node's contributions in order gives exactly what ``grad()`` gives. When the engine's
backward pass changes, this is the test that says whether the records still tell its story.
"""

from __future__ import annotations

import math
import operator
import struct

import pytest
from conftest import course_values
from hypothesis import given, settings
from hypothesis import strategies as st

import microgrid as mg
from microgrid import OPS, Value
from microgrid.engine.ops import gate
from microgrid.engine.steps import Step, backward_steps


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def course_graph():
    return course_values()


def test_the_course_graph_step_by_step():
    J, a, b, c, u, v = course_graph()
    steps = backward_steps(J)
    assert [(s.node, s.consumer, s.operand) for s in steps] == [
        (v, J, 1), (a, v, 0), (u, v, 1), (b, u, 0), (c, u, 1)]
    assert [s.index for s in steps] == [0, 1, 2, 3, 4]
    assert [s.upstream for s in steps] == [1.0, 3.0, 3.0, 3.0, 3.0]
    assert [s.local for s in steps] == [3.0, 1.0, 1.0, 2.0, 3.0]
    assert [s.contribution for s in steps] == [3.0, 3.0, 3.0, 6.0, 9.0]
    assert [(s.before, s.after) for s in steps] == [(0.0, 3.0)] * 3 + [(0.0, 6.0), (0.0, 9.0)]
    assert [s.rule for s in steps] == ["x", "1", "1", "y", "x"]
    assert [s.rule_template for s in steps] == ["{x}", "1", "1", "{y}", "{x}"]


def test_a_node_used_twice_sums_its_terms_in_order():
    a = Value(3.0, label="a")
    x = a * a  # one op, a as both operands: two steps from the same consumer
    y = 2 * a
    J = x + y
    steps = [s for s in backward_steps(J) if s.node is a]
    # backward visits the nodes in the reverse of the order they were read: y before x
    assert [(s.consumer, s.operand) for s in steps] == [(y, 1), (x, 0), (x, 1)]
    assert [s.before for s in steps] == [0.0, steps[0].after, steps[1].after]
    assert steps[-1].after == mg.grad(J, a) == 8.0


def test_b_is_a_plus_a_and_c_is_b_plus_b():
    a = Value(1.5, label="a")
    b = a + a
    c = b + b
    steps = backward_steps(c)
    assert [(s.node, s.operand, s.before, s.after) for s in steps] == [
        (b, 0, 0.0, 1.0), (b, 1, 1.0, 2.0), (a, 0, 0.0, 2.0), (a, 1, 2.0, 4.0)]


def test_numbers_on_either_side_get_no_step():
    v = Value(2.0, label="v")
    J = (3 - v) / 4 + 2 ** v
    steps = backward_steps(J)
    assert all(type(s.node) is Value for s in steps)
    assert {s.operand for s in steps if s.consumer.inputs[0] == 3.0} == {1}
    assert steps and sum_of(steps, v) == mg.grad(J, v)


def sum_of(steps: list[Step], node: Value) -> float:
    total = 0.0
    for s in steps:
        if s.node is node:
            total += s.contribution
    return total


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_rule_text_for_every_operand(name):
    op = OPS[name]
    assert len(op.rule) == op.arity
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    out = apply(op, x, y)
    steps = backward_steps(out)
    masks = getattr(op, "masks", None) or (None,) * op.arity
    cut = [m is not None and m(*[x.data, y.data][:op.arity]) for m in masks]
    assert [s.operand for s in steps] == [i for i in range(op.arity) if not cut[i]]
    for s in steps:
        assert s.rule_template == op.rule[s.operand]
        assert s.rule and "{" not in s.rule and "}" not in s.rule
        assert s.local == op.grads(*([x.data, y.data][:op.arity]), out.data)[s.operand]


def test_the_rules_read_as_the_course_writes_them():
    x, y = Value(0.5), Value(2.0)
    rule = {OPS[n]: backward_steps(apply(OPS[n], x, y))[0].rule
            for n in ("mul", "sigmoid", "log", "pow")}
    assert rule[OPS["mul"]] == "y"
    assert rule[OPS["sigmoid"]] == "σ(1−σ)"
    assert rule[OPS["log"]] == "1/x"
    assert rule[OPS["pow"]] == "y·x^(y−1)"


def apply(op, x: Value, y: Value) -> Value:
    if op.arity == 2:
        return BINARY[op.name](x, y)
    return {"neg": operator.neg}.get(op.name, lambda v: getattr(v, op.name)())(x)


BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv, "pow": operator.pow, "gate": gate}


def test_bad_input_is_one_line():
    with pytest.raises(TypeError, match=r"^backward_steps\(\) takes a Value, not float$"):
        backward_steps(3.0)
    with pytest.raises(ValueError, match="the root is a leaf") as e:
        backward_steps(Value(1.0))
    assert "\n" not in str(e.value)
    with mg.no_grad():
        made = Value(1.0) * 2
    with pytest.raises(ValueError, match="no_grad"):
        backward_steps(made)


def test_nothing_in_the_graph_changes():
    J, *nodes = course_graph()
    J.backward()
    everything = [J, *nodes]
    before = [(v.data, v.grad, v.label, v.inputs) for v in everything]
    backward_steps(J)
    assert [(v.data, v.grad, v.label, v.inputs) for v in everything] == before


def test_a_thousand_node_graph_and_a_deep_chain():
    xs = [Value(0.01 * i, label=f"x{i}") for i in range(100)]
    total = xs[0]
    for i in range(1, 999):  # 1,000 Values with the leaves, many shared
        total = total + xs[i % 100] * xs[(3 * i) % 100]
    assert len(mg.topological_order(total)) >= 1000
    check_against_grad(total)
    v = Value(0.5)
    chain = v
    for _ in range(100_000):  # far past Python's recursion limit
        chain = chain * 1.0
    steps = backward_steps(chain)
    assert len(steps) == 100_000 and steps[-1].node is v and steps[-1].after == 1.0


def check_against_grad(root: Value) -> None:
    """Each node's contributions, added up in order, are grad(root, node) to the last bit."""
    steps = backward_steps(root)
    order = mg.topological_order(root)
    nodes = [v for v in order if v is not root]
    expected = mg.grad(root, nodes) if nodes else []
    totals: dict[Value, float] = {}
    for s in steps:
        before = totals.get(s.node, 0.0)
        assert bits(s.before) == bits(before)
        assert bits(s.contribution) == bits(s.local * s.upstream)
        totals[s.node] = before + s.contribution
        assert bits(s.after) == bits(totals[s.node])
    for node, want in zip(nodes, expected):  # a node only masked ops reach has no step: 0.0
        assert bits(totals.get(node, 0.0)) == bits(want), (node, totals.get(node), want)
    # the upstream of a step is its consumer's adjoint, complete when the step runs
    for s in steps:
        want = 1.0 if s.consumer is root else totals.get(s.consumer, 0.0)
        assert bits(s.upstream) == bits(want)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, math.inf, -math.inf, math.nan, 1e308, 1e-310]
numbers = st.one_of(st.sampled_from(SPECIAL), st.floats(-5, 5, allow_nan=False))


@st.composite
def graphs(draw):
    pool = [Value(draw(numbers), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    ops = sorted(OPS)
    for _ in range(draw(st.integers(1, 14))):
        op = OPS[draw(st.sampled_from(ops))]
        x = pool[draw(st.integers(0, len(pool) - 1))]
        if op.arity == 1:
            pool.append(apply(op, x, x))
            continue
        y = pool[draw(st.integers(0, len(pool) - 1))]  # may be x itself: a node used twice
        side = draw(st.sampled_from(["both", "number left", "number right"]))
        if side == "number left":
            x = draw(numbers)
        elif side == "number right":
            y = draw(numbers)
        pool.append(BINARY[op.name](x, y))
    ops_made = [v for v in pool if v._op is not None]
    if not ops_made:
        return None
    root = ops_made[-1]
    # join a few earlier results in, so that nodes are shared by several consumers
    for v in draw(st.lists(st.sampled_from(ops_made), max_size=3)):
        root = root + v
    return root


@settings(max_examples=400, deadline=None)
@given(graphs())
def test_contributions_add_up_to_grad_bit_for_bit(root):
    if root is not None:
        check_against_grad(root)


def test_the_special_values_reach_the_records():
    a = Value(0.0, label="a")
    J = a.log() * 0.0 + a ** -1.0 + (-a).exp() * math.inf
    check_against_grad(J)
    assert any(math.isnan(s.contribution) for s in backward_steps(J))


def test_the_order_of_the_additions_is_the_engines():
    # a/a, a-a and a**a give a two terms of different size after others: added in another
    # order, the rounding differs, so a record in the wrong order shows in the last bit
    a, b = Value(0.1, label="a"), Value(0.7, label="b")
    J = (a / a) * b + a * 1e-3 + (a - a) * 0.3 + (a ** a) * b
    check_against_grad(J)


def test_the_product_is_local_times_upstream_as_in_the_engine():
    # nan × −nan keeps the first operand's sign: upstream × local would flip the sign bit
    w, v, k = Value(2.0, label="w"), Value(math.nan), Value(-math.nan)
    J = (v * w) * k
    check_against_grad(J)


def test_the_collector_is_restored_as_it_was():
    import gc

    J, *_ = course_graph()
    assert gc.isenabled()
    backward_steps(J)
    assert gc.isenabled()
    gc.disable()
    try:
        backward_steps(J)
        assert not gc.isenabled()
    finally:
        gc.enable()
