"""The one naming of nodes every view shares."""

from microgrid import Value, topological_order
from microgrid.view.names import node_names


def test_labels_are_names_and_the_rest_are_numbered_in_order():
    a, b = Value(1.0, label="a"), Value(2.0)
    t = a * b
    out = (t + 1.0).exp()
    names = node_names(topological_order(out))
    assert names[a] == "a" and names[b] == "x1"
    assert [names[t], names[out._x], names[out]] == ["t1", "t2", "t3"]


def test_no_two_nodes_share_a_name():
    a1, a2 = Value(1.0, label="a"), Value(2.0, label="a")
    t1 = Value(3.0, label="t1")
    out = a1 * a2 + t1 * 2.0
    names = node_names(topological_order(out))
    assert len(set(names.values())) == len(names)
    assert sorted(n for n in names.values() if n.startswith("a")) == ["a", "a₂"]
    assert "t1" in names.values() and names[t1] == "t1"  # the label keeps its name
