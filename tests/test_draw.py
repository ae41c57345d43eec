"""Drawing graphs with Graphviz: the DOT text, real pictures through `dot`, escaping, limits."""

import re
import xml.etree.ElementTree as ET

import graphviz
import pytest

import microgrid as mg
from microgrid import OPS, Value
from microgrid.view.draw import GraphvizNotFound, draw

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def nodes(source):
    """DOT node statements as {name: attribute text}."""
    found = re.findall(r"^\t(\w+) \[(.*)\]$", source, flags=re.M)
    return {name: attrs for name, attrs in found if name not in ("graph", "node", "edge")}


def edges(source):
    return re.findall(r"^\t(\w+) -> (\w+)$", source, flags=re.M)


def label_of(attrs):
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|\S+)', attrs)
    text = m.group(1)
    return text[1:-1] if text.startswith('"') else text


def svg_texts(svg):
    root = ET.fromstring(svg)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


# --- the DOT text ---------------------------------------------------------------------------


def test_course_graph_records_show_label_data_grad(course_graph):
    g = draw(course_graph())
    assert isinstance(g, graphviz.Digraph)
    labels = sorted(label_of(a) for a in nodes(g.source).values())
    for record in ["J | data 33 | grad 1", "v | data 11 | grad 3", "u | data 6 | grad 3",
                   "a | data 5 | grad 3", "b | data 3 | grad 6", "c | data 2 | grad 9"]:
        assert record in labels
    # the number operand of 3 * v is folded into its op, as on the slide
    assert sorted(label for label in labels if "|" not in label) == ["+", "×", "× 3"]
    assert "rankdir=LR" in g.source  # left to right, like the slide
    # 6 values + 3 ops; edges: 5 Value inputs into ops + 3 ops out
    assert len(nodes(g.source)) == 9
    assert len(edges(g.source)) == 8


def test_a_drawing_has_a_stable_repr():
    a = Value(1.0)
    assert repr(draw(a * a + 1)) == "<drawing of 3 Values: .source holds the DOT>"


def test_a_number_operand_is_folded_into_its_op():
    x = Value(2.0, label="x")
    for out, op in [(2.5 * x, "× 2.5"), (x + 1, "+ 1"), (x - 1, "x − 1"), (1 - x, "1 − x"),
                    (x / 4, "x ÷ 4"), (x**2, "x ^ 2"), (2**x, "2 ^ x")]:
        g = draw(out)
        assert [label_of(a) for a in nodes(g.source).values() if "ellipse" in a] == [op]
        assert len(nodes(g.source)) == 3  # x, the op, the result: no node for the number


def test_every_op_symbol_comes_from_the_table():
    x = Value(0.5, label="x")
    y = Value(2.0, label="y")
    outs = [x + y, x - y, x * y, x / y, x**y, -x, x.exp(), x.log(), x.sigmoid(), x.tanh(),
            x.relu(), x.step()]
    for out in outs:
        g = draw(out)
        ops = [label_of(a) for a in nodes(g.source).values() if "ellipse" in a]
        if len(out.inputs) == 2 and not out._op.symmetric:
            assert ops == [f"x {out._op.symbol} y"]
        else:
            assert ops == [out._op.symbol]


def test_operand_order_is_written_for_every_op_that_is_not_symmetric():
    a, b = Value(5.0, label="a"), Value(3.0, label="b")
    binary = [op for op in OPS.values() if op.arity == 2]
    assert {op.name for op in binary if not op.symmetric} >= {"sub", "div", "pow"}
    for op in binary:
        fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
              "div": lambda x, y: x / y, "pow": lambda x, y: x**y,
              "gate": lambda x, y: x.gate(y)}[op.name]
        ops = sorted(label_of(at) for at in nodes(draw([fn(a, b), fn(b, a)]).source).values()
                     if "ellipse" in at)
        if op.symmetric:
            assert ops == [op.symbol, op.symbol]
        else:  # the two pictures differ, and each says which input comes first
            assert ops == [f"a {op.symbol} b", f"b {op.symbol} a"]


def test_inputs_are_wired_in_order_for_non_commutative_ops():
    a, c = Value(1.0, label="a"), Value(2.0, label="c")
    g = draw(a - c)
    names = {label_of(attrs).split(" |")[0].strip("{ "): n for n, attrs in nodes(g.source).items()}
    into_op = [src for src, dst in edges(g.source) if dst.endswith("op")]
    assert into_op == [names["a"], names["c"]]
    assert "ordering=in" in g.source


def test_four_significant_digits_and_non_finite_numbers():
    x = Value(3.14159265, label="x")
    y = x * 1e-7
    y.backward()
    labels = [label_of(a) for a in nodes(draw(y).source).values()]
    assert "x | data 3.142 | grad 1e-07" in labels
    z = Value(-1.0, label="z").log()
    assert "data nan" in draw(z).source
    assert "data inf" in draw(Value(1000.0, label="t").exp()).source


def test_colours_tell_leaves_and_root_apart(course_graph):
    from microgrid.view.draw import LEAF_COLOR, ROOT_COLOR

    g = draw(course_graph())
    fill = {label_of(a).split(" |")[0].strip("{ "): re.search(r'fillcolor="?([^" ]+)', a)
            .group(1) for a in nodes(g.source).values() if "record" in a}
    assert fill["J"] == ROOT_COLOR
    assert fill["a"] == fill["b"] == fill["c"] == LEAF_COLOR
    assert fill["u"] == fill["v"] == "white"


def test_show_grad_false_and_top_to_bottom(course_graph):
    g = draw(course_graph(), show_grad=False, rankdir="TB")
    labels = [label_of(a) for a in nodes(g.source).values()]
    assert "J | data 33" in labels
    assert "grad" not in g.source
    assert "rankdir=TB" in g.source


def test_several_outputs_in_one_picture():
    x = Value(1.0, label="x")
    z = x * 2
    z.label = "z"
    L = z.tanh()
    L.label = "L"
    from microgrid.view.draw import ROOT_COLOR

    g = draw([L, z, L])  # the same output twice is drawn once
    records = [a for a in nodes(g.source).values() if "record" in a]
    assert len(records) == 3
    roots = [label_of(a) for a in records if ROOT_COLOR in a]
    assert sorted(r.split(" |")[0].strip("{ ") for r in roots) == ["L", "z"]


def test_anything_with_graph_roots_draws(course_graph):
    J = course_graph()

    class Traced:
        def graph_roots(self):
            return [J]

    # a traced function's nodes are run as code, not by backward(): no grads shown by default
    assert draw(Traced()).source == draw(J, show_grad=False).source
    assert "grad" not in draw(Traced()).source
    assert draw(Traced(), show_grad=True).source == draw(J).source
    assert draw((J,)).source == draw(J).source
    assert mg.draw is draw


@pytest.mark.parametrize("bad, error, message", [
    (3.0, TypeError, "draw\\(\\) takes a Value"),
    ("J", TypeError, "draw\\(\\) takes a Value"),
    ([], ValueError, "at least one Value"),
    ([Value(1.0), 2.0], TypeError, "output 1 is float"),
])
def test_bad_roots(bad, error, message):
    with pytest.raises(error, match=message):
        draw(bad)


def test_bad_options():
    v = Value(1.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw(v, rankdir="up")
    with pytest.raises(ValueError, match="max_nodes"):
        draw(v, max_nodes=0)
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf or \.dot"):
        draw(v, path="graph.jpeg")


# --- size ----------------------------------------------------------------------------------


def chain(n):
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = -y
    return y


def test_over_max_nodes_says_how_many_and_what_to_do():
    y = chain(3000)
    with pytest.raises(ValueError) as e:
        draw(y)
    assert "3,001 Values" in str(e.value)
    assert "max_nodes=2,000" in str(e.value)
    assert "one sample" in str(e.value)
    draw(chain(1999))  # exactly 2000 Values is allowed
    with pytest.raises(ValueError, match="2,001 Values"):
        draw(chain(2000))


def test_a_huge_graph_is_refused_without_walking_all_of_it():
    x = Value(1.0)
    y = x
    for _ in range(150_000):
        y = y + x
    with pytest.raises(ValueError, match="more than 100,000 Values"):
        draw(y, max_nodes=10)


def test_a_3000_deep_chain_draws():
    y = chain(3000)
    g = draw(y, max_nodes=5000)
    assert len([a for a in nodes(g.source).values() if "record" in a]) == 3001
    assert len(edges(g.source)) == 2 * 3000


def test_a_deep_chain_renders(dot):
    svg = draw(chain(300), max_nodes=5000).pipe(format="svg").decode()
    assert svg_texts(svg).count(OPS["neg"].symbol) == 300


# --- real pictures through dot -------------------------------------------------------------


def test_png_through_dot(dot, tmp_path, course_graph):
    g = draw(course_graph(), path=tmp_path / "graph.png")
    data = (tmp_path / "graph.png").read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 2000
    assert isinstance(g, graphviz.Digraph)
    assert g.pipe(format="png").startswith(PNG_MAGIC)


def test_svg_through_dot_shows_labels_values_and_grads(dot, tmp_path, course_graph):
    draw(course_graph(), path=str(tmp_path / "graph.svg"))
    texts = svg_texts((tmp_path / "graph.svg").read_text(encoding="utf-8"))
    for t in ["J", "data 33", "grad 1", "a", "data 5", "grad 3", "b", "grad 6", "c", "grad 9",
              OPS["mul"].symbol, OPS["add"].symbol, "× 3"]:
        assert t in texts


def test_pdf_and_dot_files(dot, tmp_path, course_graph):
    g = draw(course_graph(), path=tmp_path / "graph.pdf")
    assert (tmp_path / "graph.pdf").read_bytes().startswith(b"%PDF")
    draw(course_graph(), path=tmp_path / "graph.dot")
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8") == g.source


def test_render_and_jupyter_display(dot, tmp_path, course_graph):
    g = draw(course_graph())
    out = g.render(tmp_path / "course", format="svg")
    assert out.endswith(".svg")
    assert "data 33" in svg_texts(open(out, encoding="utf-8").read())
    bundle = g._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


HOSTILE_LABELS = [
    'say "hi"',
    "<b>bold</b>",
    "<port>",
    "a|b",
    "{x}",
    "}{|<>",
    "two\nlines",
    "back\\slash",
    "ends with \\",
    "\\N \\G \\L",
    '\\"',
    "\\",
    "tab\tand \x00 null",
    "σ(z) → ∂L/∂w",
]


def test_hostile_labels_make_valid_dot_and_show_as_typed(dot, capfd):
    leaves = [Value(float(i), label=label) for i, label in enumerate(HOSTILE_LABELS)]
    total = sum(leaves[1:], leaves[0])
    total.label = HOSTILE_LABELS[0]
    total.backward()
    svg = draw(total, max_nodes=100).pipe(format="svg").decode("utf-8")
    assert "syntax error" not in capfd.readouterr().err.lower()
    texts = svg_texts(svg)
    for label in HOSTILE_LABELS:
        if label == "two\nlines":  # a name is one line
            assert "two lines" in texts
        elif "\t" in label:
            assert any(t and t.startswith("tab") and "null" in t for t in texts)
        else:
            assert label.strip() in texts, label


def test_hostile_labels_in_op_free_graphs_and_top_to_bottom(dot):
    for label in HOSTILE_LABELS:
        svg = draw(Value(1.0, label=label), rankdir="TB").pipe(format="svg").decode("utf-8")
        assert "data 1" in svg_texts(svg)


# --- without dot -------------------------------------------------------------------------


def test_missing_dot_says_how_to_install_and_keeps_the_source(no_dot, tmp_path, course_graph):
    g = draw(course_graph())
    assert "data 33" in g.source
    for render in (lambda: g.pipe(format="png"),
                   lambda: g.render(tmp_path / "x", format="png"),
                   lambda: draw(course_graph(), path=tmp_path / "graph.png")):
        with pytest.raises(GraphvizNotFound) as e:
            render()
        message = str(e.value)
        assert isinstance(e.value, RuntimeError)
        assert "\n" not in message
        for how in ("apt", "brew", "conda", "choco", ".source"):
            assert how in message
    draw(course_graph(), path=tmp_path / "graph.dot")  # DOT text needs no dot
    assert "data 33" in (tmp_path / "graph.dot").read_text(encoding="utf-8")


def test_import_microgrid_does_not_import_graphviz():
    import subprocess
    import sys

    code = "import sys, microgrid; microgrid.draw; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_traced_graph_shares_the_nodes_its_code_computes_once():
    def loss(w1, w2, b, x1, x2, y):
        a = mg.sigmoid(w1 * x1 + w2 * x2 + b)
        return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))

    f = mg.trace(loss, wrt=["w1", "w2", "b"])
    before = f.value_and_grad(0.1, -0.3, 0.2, 2.0, 1.5, 1.0)
    assert "t2 = 1 - a" in f.source  # used by the loss and by σ's derivative (t1 is 1 - y)
    labels = [v.label for v in mg.read(f.graph_roots()).order if v.label]
    assert labels.count("t2") == 1
    assert len(labels) == len(set(labels))
    assert f.value_and_grad(0.1, -0.3, 0.2, 2.0, 1.5, 1.0) == before
