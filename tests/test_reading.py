"""One reading of a graph for every view: ``microgrid.read``."""

from __future__ import annotations

import ast
import pathlib

import pytest

import microgrid as mg
import microgrid.view.reading as reading_module
from microgrid import Value
from microgrid.view.tree import tree


def logistic():
    """One sample's logistic regression, x1, x2 and y as labelled Values."""
    x1, x2, y = Value(1.0, label="x1"), Value(2.0, label="x2"), Value(1.0, label="y")
    w1, w2, b = Value(0.5, label="w1"), Value(-0.25, label="w2"), Value(0.1, label="b")
    z = w1 * x1 + w2 * x2 + b
    a = z.sigmoid()
    L = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
    return L, dict(x1=x1, x2=x2, y=y, w1=w1, w2=w2, b=b, z=z, a=a)


def test_the_order_reads_the_expression_left_to_right():
    w1, x1, w2, x2 = (Value(v, label=n) for v, n in ((0.5, "w1"), (2.0, "x1"), (-1.0, "w2"),
                                                      (3.0, "x2")))
    z = w1 * x1 + w2 * x2
    r = mg.read(z)
    assert r.order[:3] == [w1, x1, z._x] and r.order[3:5] == [w2, x2]
    assert [r.names[v] for v in r.order] == ["w1", "x1", "t1", "w2", "x2", "t2", "J"]
    leaves = [v.label for v in r.order if v._op is None]
    assert leaves == ["w1", "x1", "w2", "x2"]


def test_what_a_reading_holds_is_the_engines():
    L, v = logistic()
    r = mg.read(L)
    assert r.root is L and len(r) == len(mg.topological_order(L))
    assert r.names[L] == "J" and r.names[v["w1"]] == "w1"
    assert [tuple(s) for s in r.steps] == [tuple(s) for s in mg.backward_steps(L)]
    grads = mg.grad(L, list(v.values()))
    assert [r.grads[n] for n in v.values()] == grads  # bit for bit
    assert r.uses[v["a"]] == [c for c in r.order if v["a"] in [x for x in c.inputs
                                                                  if type(x) is Value]]
    assert all(s is r.edge(s.consumer, s.operand) for s in r.steps)
    assert L.grad == 0.0  # reading changes nothing


def test_every_view_takes_the_reading_and_reads_the_graph_no_more(monkeypatch, dot):
    """Given a Reading, no view walks the graph again or reruns the backward pass: with the
    reading module's walk and records made to fail, every view still works."""
    L, v = logistic()
    L.backward()
    r = mg.read(L)
    r.steps, r.grads, r.edge(L, 0)  # what the views read, made now
    expected = (mg.draw(L, show_local=True).source, tree(L), str(mg.explain(L)))

    def walk(*args):
        raise AssertionError("a view read the graph again")

    monkeypatch.setattr(reading_module, "topological_order", walk)
    monkeypatch.setattr(reading_module, "backward_steps", walk)
    assert (mg.draw(r, show_local=True).source, tree(r), str(mg.explain(r))) == expected
    page = mg.step_through(r)
    assert set(page.names.values()) == set(r.names.values())
    assert not mg.compare_grads(r, {"w1": 0.0}).ok


def test_only_the_reading_walks_the_graph():
    """No module of view/ or cli/ but the reading imports the engine's walks."""
    package = pathlib.Path(mg.__file__).parent
    walks = {"topological_order", "backward_steps", "_order"}
    found = []
    for folder in ("view", "cli"):
        for path in (package / folder).rglob("*.py"):
            if path.name == "reading.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    found += [f"{path.name}: {a.name}" for a in node.names if a.name in walks]
    assert found == []


def test_an_unlabelled_output_is_J_or_out_if_a_label_takes_J():
    a = Value(2.0, label="a")
    r = mg.read(a * 3)
    assert r.names[r.root] == "J"
    J = Value(1.0, label="J")
    out = a * J
    assert mg.read(out).names[out] == "out"
    assert mg.read(Value(1.0)).names  # a lone leaf is read too (x1)


def test_explain_of_a_weight_with_a_hundred_thousand_uses_finishes():
    """Explaining one weight of a running sum was quadratic in its uses (a list membership per
    use); now the text of w is a few terms and the count of the rest."""
    w = Value(0.5, label="w")
    total = w * 1.0
    for i in range(100_000):
        total = total + w * float(i % 7)
    r = mg.read(total)
    line = mg.explain(r, nodes=["w"]).backward[0]
    assert "… (99997 more) …" in line and line.endswith(f"= {mg.grad(total, w):.4g}")


def test_bad_input_is_one_line():
    with pytest.raises(TypeError, match="read\\(\\) takes a Value or a sequence of Values"):
        mg.read(3.0)
    v = Value(1.0, label="a") * 2
    v.label = 5
    for view in (mg.read, mg.explain, tree, mg.draw):
        with pytest.raises(TypeError, match="label must be a str, not int"):
            view(v)
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + x
    with pytest.raises(ValueError, match="31 Values, more than max_nodes=10 Values to draw"):
        mg.read(y, max_nodes=10, doing="draw")
    with pytest.raises(ValueError, match="31 Values, more than max_nodes=10"):
        mg.draw(mg.read(y), max_nodes=10)
