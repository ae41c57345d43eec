"""The text view of a graph: what it shows, shared nodes printed once, deep graphs."""

import re

import pytest

from microgrid import OPS, Value
from microgrid.view.tree import tree


def test_course_graph_shows_op_label_data_grad_and_numbers_inline(course_graph):
    text = course_graph().tree()
    assert text == tree(course_graph())
    lines = text.splitlines()
    mul, add = OPS["mul"].symbol, OPS["add"].symbol
    assert lines[0] == f"{mul} J  data=33  grad=1"
    assert lines[1] == "├── 3"  # the number operand of 3 * v, not a node
    assert lines[2] == f"└── {add} v  data=11  grad=3"
    assert lines[3] == "    ├── a  data=5  grad=3"
    assert lines[4] == f"    └── {mul} u  data=6  grad=3"
    assert lines[5] == "        ├── b  data=3  grad=6"
    assert lines[6] == "        └── c  data=2  grad=9"
    assert len(lines) == 7


def test_show_grad_false_leaves_out_grads(course_graph):
    text = course_graph().tree(show_grad=False)
    assert "grad" not in text
    assert "data=33" in text


def test_every_op_symbol_comes_from_the_table():
    x = Value(0.5, label="x")
    outs = [x + 1, x - 1, x * 2, x / 2, x**2, -x, x.exp(), x.log(), x.sigmoid(), x.tanh(),
            x.relu(), x.step()]
    for out in outs:
        assert out.tree().splitlines()[0].startswith(out._op.symbol + "  data=")


def test_a_shared_node_is_printed_once_and_referred_to():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    z = y + y.exp()
    z.backward()
    text = z.tree()
    assert text.count("y  data=4") == 1  # y in full once ...
    assert text.count("x  data=2") == 1  # ... and x, used twice by y, too
    tag_y = re.search(r"y  data=4  grad=\S+  \[#(\d+)\]", text).group(1)
    tag_x = re.search(r"x  data=2  grad=\S+  \[#(\d+)\]", text).group(1)
    assert tag_x != tag_y
    assert text.count(f"↑ y [#{tag_y}]") == 1
    assert text.count(f"↑ x [#{tag_x}]") == 1
    # z = y + e^y: dz/dy = 1 + e^4, dz/dx = 2x·dz/dy
    assert f"grad={y.grad:.4g}" in text and f"grad={x.grad:.4g}" in text


def test_shared_subgraph_is_not_repeated():
    # each level uses the one below twice: 2^40 paths, 41 nodes
    x = Value(1.0, label="x")
    y = x
    for _ in range(40):
        y = y + y
    lines = y.tree().splitlines()
    assert len(lines) == 1 + 2 * 40  # every node once, plus one reference per node above x


def test_a_deep_chain_prints():
    x = Value(0.5, label="x")
    y = x
    for _ in range(3000):
        y = -y
    lines = y.tree(show_grad=False).splitlines()
    assert len(lines) == 3001
    assert lines[-1].endswith("x  data=0.5")


def test_unlabelled_and_multiline_labels_stay_one_line_each():
    v = Value(1.0) + Value(2.0, label="two\nlines")
    lines = v.tree().splitlines()
    assert len(lines) == 3
    assert lines[0] == f"{OPS['add'].symbol}  data=3  grad=0"
    assert "two lines" in lines[2]


def test_non_finite_numbers_print():
    v = Value(-1.0, label="a").log() * float("inf")
    assert "data=nan" in v.tree()
    assert "├── " in v.tree() and "inf" in v.tree()


def test_tree_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="tree\\(\\) takes a Value"):
        tree(3.0)
