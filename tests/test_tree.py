"""The text view of a graph: what it shows, shared nodes printed once, deep graphs, big ones."""

import pytest

import microgrid as mg
from microgrid import OPS, Value
from microgrid.view.tree import MAX_DEPTH, tree


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
        assert out.tree().splitlines()[0].startswith(out._op.symbol + " J  data=")


def test_names_are_the_ones_every_view_gives():
    """One naming everywhere: the tree says t1 where explain, draw and the page say t1."""
    w1, x1, w2, x2 = (Value(v, label=n) for v, n in ((0.5, "w1"), (2.0, "x1"), (-1.0, "w2"),
                                                      (3.0, "x2")))
    z = w1 * x1 + w2 * x2
    z.backward()
    reading = mg.read(z)
    text = tree(reading)
    assert text == z.tree()
    lines = text.splitlines()
    assert lines[0].startswith(f"{OPS['add'].symbol} J  data=-2")
    assert lines[1].startswith(f"├── {OPS['mul'].symbol} t1  data=1")  # w1·x1, read first
    assert lines[4].startswith(f"└── {OPS['mul'].symbol} t2  data=-3")
    explained = str(mg.explain(z))
    assert "t1 = w1 · x1 = 1" in explained and "J = t1 + t2 = -2" in explained
    assert 'label="t1 |' in mg.draw(reading).source.replace("{ ", "")


def test_a_shared_node_is_printed_once_and_referred_to():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    z = y + y.exp()
    z.backward()
    text = z.tree()
    assert text.count("y  data=4") == 1  # y in full once ...
    assert text.count("x  data=2") == 1  # ... and x, used twice by y, too
    assert text.count("↑ y") == 1  # every later use refers back to it by its name
    assert text.count("↑ x") == 1
    # z = y + e^y: dz/dy = 1 + e^4, dz/dx = 2x·dz/dy
    assert f"grad={y.grad:.4g}" in text and f"grad={x.grad:.4g}" in text


def test_shared_subgraph_is_not_repeated():
    # each level uses the one below twice: 2^40 paths, 41 nodes
    x = Value(1.0, label="x")
    y = x
    for _ in range(40):
        y = y + y
    lines = y.tree().splitlines()
    full = [line for line in lines if "data=" in line]
    assert len(full) == 41  # every node in full once
    assert len(lines) <= 3 * 41  # and each use of it above one line: the text stays short


def test_a_deep_chain_prints_every_node_once_without_a_staircase():
    x = Value(0.5, label="x")
    y = x
    for _ in range(3000):
        y = -y
    lines = y.tree(show_grad=False).splitlines()
    full = [line for line in lines if "data=" in line]
    assert len(full) == 3001
    assert full[-1].endswith("x  data=0.5")
    assert max(len(line) for line in lines) <= 4 * (MAX_DEPTH + 1) + 30
    # a subtree cut at the depth limit is named where it is cut and printed below
    cut = [line.split("↓ ")[1] for line in lines if "↓ " in line]
    assert cut and all(any(f.startswith(f"{OPS['neg'].symbol} {n} ") for f in full)
                       for n in cut)


def test_text_grows_linearly_with_a_running_sum():
    """A running sum over samples, one weight used by every sample: twice the samples, about
    twice the text (it was quadratic: indentation by depth)."""

    def size(n):
        w = Value(0.5, label="w")
        total = Value(0.0, label="s0")
        for i in range(n):
            total = total + w * float(i)
        return len(tree(total, max_nodes=10**6))

    small, big = size(2_000), size(8_000)
    assert 3.5 < big / small < 4.5


def test_a_graph_over_the_limit_is_refused_in_one_line_as_draw_refuses_it():
    x = Value(1.0, label="x")
    y = x
    for _ in range(100):
        y = y + x
    with pytest.raises(ValueError) as e:
        tree(y, max_nodes=50)
    message = str(e.value)
    assert "\n" not in message and "101 Values, more than max_nodes=50" in message
    assert "one sample's graph" in message
    with pytest.raises(ValueError) as d:
        mg.draw(y, max_nodes=50)
    assert str(d.value) == message.replace("to print; print", "to draw; draw")
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        tree(y, max_nodes=0)


def test_a_hundred_thousand_uses_of_one_weight_print():
    w = Value(0.5, label="w")
    total = Value(0.0)
    for _ in range(100_000):
        total = total + w
    text = tree(total, show_grad=False, max_nodes=200_001)
    assert text.count("↑ w") == 99_999


def test_unlabelled_and_multiline_labels_stay_one_line_each():
    v = Value(1.0) + Value(2.0, label="two\nlines")
    lines = v.tree().splitlines()
    assert len(lines) == 3
    assert lines[0] == f"{OPS['add'].symbol} J  data=3  grad=0"  # an unlabelled output is J
    assert lines[1] == "├── x1  data=1  grad=0"
    assert "two lines" in lines[2]


def test_non_finite_numbers_print():
    v = Value(-1.0, label="a").log() * float("inf")
    assert "data=nan" in v.tree()
    assert "├── " in v.tree() and "inf" in v.tree()


def test_tree_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="tree\\(\\) takes a Value"):
        tree(3.0)
    v = Value(1.0, label="a") * 2
    v.label = 5
    with pytest.raises(TypeError, match="label must be a str"):
        tree(v)
