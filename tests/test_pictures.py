"""Pictures that teach: layout that fits a screen, local derivatives on edges, grad shading,
neurons folded into boxes, Chinese labels. Read from the DOT and SVG text where possible, and
each kind rendered once to PNG with real ``dot``."""

import math
import os
import re
import subprocess
import sys
import warnings

import pytest

import microgrid as mg
from microgrid import OPS, Value
from microgrid.view import fonts
from microgrid.view.draw import (
    GRAD_SHADES,
    GROUP_COLOR,
    MAX_ASPECT,
    NONFINITE_COLOR,
    ZERO_COLOR,
    draw,
)
from microgrid.view.names import node_names, number

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CJK_INSTALL = ("install a CJK font: apt install fonts-noto-cjk, dnf install "
               "google-noto-sans-cjk-fonts or brew install --cask font-noto-sans-cjk")


def nodes(source):
    found = re.findall(r"^\t(\w+) \[(.*)\]$", source, flags=re.M)
    return {name: attrs for name, attrs in found if name not in ("graph", "node", "edge")}


def label_of(attrs):
    m = re.search(r'label=("(?:[^"\\]|\\.)*"|<.*>|\S+)', attrs)
    text = m.group(1)
    return text[1:-1] if text.startswith('"') else text


def records(source):
    """name -> (the record's fields, its attributes), for every record of a drawing."""
    out = {}
    for attrs in nodes(source).values():
        if "shape=record" in attrs:
            fields = [f.strip() for f in label_of(attrs).split(" | ")]
            out[fields[0]] = (fields, attrs)
    return out


def edge_labels(source):
    """The edge labels of the DOT text, without the space that pads each (so two labels that
    meet at one op keep apart)."""
    return [label.strip() for label in
            re.findall(r'^\t\w+ -> \w+ \[.*label="([^"]*)"', source, flags=re.M)]


def svg_size(svg):
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(m.group(1)), float(m.group(2))


def logistic_sample():
    """The one-sample logistic-regression graph of ``microgrid demo`` and notebook 02."""
    x1, x2, y = 1.0, 2.0, 1.0
    w1, w2, b = Value(0.5, label="w1"), Value(-0.25, label="w2"), Value(0.1, label="b")
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(y * a.log() + (1.0 - y) * (1.0 - a).log())
    L.label = "L"
    L.backward()
    return L


@pytest.fixture
def cjk_font():
    """The families that have 损失, for tests of Chinese labels: a failure in CI (which installs
    fonts-noto-cjk), a skip elsewhere with how to install one."""
    _need_fontconfig()
    found = fonts.fonts_for("损失")
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"no font has Chinese characters in CI; {CJK_INSTALL}")
        pytest.skip(f"Chinese labels need a CJK font; {CJK_INSTALL}")
    return found


def _need_fontconfig():
    """fontconfig's fc-list answers which fonts have which characters: there with Graphviz on
    Linux, so a failure in CI and a skip elsewhere."""
    if not fonts._has_fontconfig():
        message = "asking about fonts needs fontconfig's fc-list: apt install fontconfig"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# --- layout --------------------------------------------------------------------------------


def test_the_logistic_regression_picture_fits_a_screen(dot):
    g = draw(logistic_sample())
    w, h = svg_size(g.pipe(format="svg").decode())
    assert w / h <= MAX_ASPECT
    # at 1280 px wide (96 px per inch) the text keeps at least 90% of its size
    assert min(1.0, 1280 / (w * 96 / 72)) >= 0.9
    assert "rankdir=TB" in g.source  # a chain of ten is laid out top to bottom


def test_the_course_graph_still_reads_left_to_right(dot, course_graph):
    g = draw(course_graph())
    assert "rankdir=LR" in g.source
    w, h = svg_size(g.pipe(format="svg").decode())
    assert w / h <= MAX_ASPECT


def test_no_empty_cells_and_unique_names():
    g = draw(logistic_sample())
    recs = records(g.source)
    assert len(recs) == 15  # every Value, and every first field (its name) is different
    assert all(fields[0] for fields, _ in recs.values())
    assert {"w1", "w2", "b", "z", "a", "L", "t1"} <= set(recs)


def test_minus_zero_prints_as_zero_everywhere():
    z = Value(-0.0, label="z")
    y = z * 2.0
    y.backward()
    z.grad = -0.0
    assert number(-0.0) == "0" and number(0.0) == "0" and number(-1e-300) == "-1e-300"
    source = draw(y).source
    assert "-0 " not in source and '-0"' not in source and "-0 |" not in source
    assert records(source)["z"][0] == ["z", "data 0", "grad 0"]
    assert "data=0  grad=0" in z.tree()
    assert number(2 / 3) == "0.6667" and number(123456.0) == "1.235e+05"


# --- operand order, local derivatives --------------------------------------------------------


def test_local_derivatives_on_edges_are_the_op_tables(course_graph):
    J = course_graph()
    labels = edge_labels(draw(J, show_local=True).source)
    assert sorted(labels) == ["∂J/∂v = 3", "∂u/∂b = 2", "∂u/∂c = 3", "∂v/∂a = 1", "∂v/∂u = 1"]
    assert edge_labels(draw(J).source) == []  # off by default


@pytest.mark.parametrize("build", [
    lambda x, y: x - y, lambda x, y: x / y, lambda x, y: x**y, lambda x, y: y**x,
    lambda x, y: (x * y).sigmoid(), lambda x, y: (x - y).tanh(), lambda x, y: (x / y).log(),
    lambda x, y: (x * y).exp(), lambda x, y: (x - y).relu(), lambda x, y: -x + y * 3,
])
def test_every_edge_label_is_the_local_derivative_at_the_values(build):
    x, y = Value(1.5, label="x"), Value(0.75, label="y")
    out = build(x, y)
    order = mg.topological_order(out)
    names = node_names(order, [out])
    expected = []
    for v in order:
        if v._op is None:
            continue
        args = [u.data if type(u) is Value else u for u in v.inputs]
        for u, d in zip(v.inputs, v._op.grads(*args, v.data)):
            if type(u) is Value:
                expected.append(f"∂{names[v]}/∂{names[u]} = {number(d)}")
    assert sorted(edge_labels(draw(out, show_local=True).source)) == sorted(expected)


# --- grad shading ---------------------------------------------------------------------------


def deep_sigmoid_and_dead_relu():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    h = x
    for _ in range(6):
        h = (h * 3.0).sigmoid()
    dead = (w * x).relu()
    out = h + dead
    out.label = "out"
    out.backward()
    return out, x, w


def test_color_grad_shades_by_log_grad_and_marks_zero():
    out, x, w = deep_sigmoid_and_dead_relu()
    g = draw(out, color="grad")
    recs = records(g.source)

    def fill(name):
        return re.search(r'fillcolor="([^"]+)"', recs[name][1]).group(1)

    assert x.grad != 0 and abs(x.grad) < 1e-3  # a vanishing gradient
    assert fill("w") == ZERO_COLOR and "dashed" in recs["w"][1]  # a dead ReLU: exactly 0
    assert fill("out") == GRAD_SHADES[-1]  # the largest grads, darkest
    assert fill("x") != fill("out") and fill("x") in GRAD_SHADES
    shades = [GRAD_SHADES.index(fill(n)) for n in recs if fill(n) in GRAD_SHADES]
    grads = [abs(float(recs[n][0][2].split()[1])) for n in recs if fill(n) in GRAD_SHADES]
    ordered = sorted(zip(grads, shades))
    assert [s for _, s in ordered] == sorted(s for _, s in ordered)  # darker as |grad| grows
    legend = nodes(g.source)["legend"]
    assert "|grad|" in legend and "exactly 0" in legend and ZERO_COLOR in legend
    # the bands span this graph's own range: from its smallest nonzero |grad| to its largest
    finite = [abs(g) for g in grads if g != 0]
    assert f">{number(min(finite))} to " in legend and f" to {number(max(finite))}<" in legend


def test_color_grad_tells_the_course_graphs_grads_apart(course_graph):
    """J = 3(a+bc) has grads 1, 3, 6 and 9, all within one power of ten: each gets its own
    shade, darker as it grows (one band per decade painted them all alike)."""
    J = course_graph()
    recs = records(draw(J, color="grad").source)

    def fill(name):
        return re.search(r'fillcolor="([^"]+)"', recs[name][1]).group(1)

    by_grad = {1: fill("J"), 3: fill("a"), 6: fill("b"), 9: fill("c")}
    assert fill("u") == fill("v") == by_grad[3]
    assert len(set(by_grad.values())) == 4
    assert [GRAD_SHADES.index(by_grad[g]) for g in (1, 3, 6, 9)] == sorted(
        GRAD_SHADES.index(by_grad[g]) for g in (1, 3, 6, 9))
    assert by_grad[9] == GRAD_SHADES[-1]


def test_color_grad_draws_grads_up_to_the_float_maximum():
    x = Value(1e300, label="x")
    y = x * 1.7e308  # dy/dx = 1.7e308, the float maximum's size, and y overflows to inf
    y.backward()
    legend = nodes(draw(y, color="grad").source)["legend"]
    assert ">1 to " in legend and "to 1.7e+308<" in legend


def test_a_masked_edge_says_what_the_backward_pass_uses():
    """An edge label is the backward pass's own record: where the op masks the gradient (a
    gate whose test is 0, a ReLU that is off) the engine adds nothing, and the edge says so,
    where the op's rule alone would say 1."""
    t, x = Value(0.0, label="t"), Value(2.0, label="x")
    J = x.gate(t) * 3
    assert mg.grad(J, x) == 0.0 and OPS["gate"].grads(2.0, 0.0, 0.0)[0] == 1.0
    labels = edge_labels(draw(J, show_local=True).source)
    assert "∂t1/∂x: no flow" in labels and "∂J/∂t1 = 3" in labels
    w = Value(-1.0, label="w")
    h = (w * 2.0).relu()
    h.label = "h"
    out = h + w
    assert "∂h/∂t1: no flow" in edge_labels(draw(out, show_local=True).source)
    assert "∂J/∂w = 1" in edge_labels(draw(out, show_local=True).source)


def test_edge_labels_into_one_op_keep_apart(dot):
    """Two labels that meet at one op never run together: the rendered texts of the labels
    into the same op do not overlap (from the SVG's coordinates)."""
    w1, x1 = Value(0.5, label="w1"), Value(1.0, label="x1")
    J = w1 * x1
    svg = draw(J, show_local=True).pipe(format="svg").decode()
    found = re.findall(r'<text text-anchor="(\w+)" x="([-\d.]+)" y="([-\d.]+)"[^>]*>'
                       r'([^<]*∂[^<]*)</text>', svg)
    assert len(found) == 2
    boxes = []
    for anchor, x, y, text in found:
        width = 6.0 * len(text)  # 10 pt text: a generous 6 pt a character
        left = float(x) - {"start": 0, "middle": width / 2, "end": width}[anchor]
        boxes.append((left, left + width, float(y)))
    (a0, a1, ay), (b0, b1, by) = boxes
    assert abs(ay - by) >= 10 or a1 <= b0 or b1 <= a0


def test_color_grad_marks_inf_and_nan():
    x = Value(0.0, label="x")
    y = x.log()
    y.backward()
    source = draw(y, color="grad").source
    assert NONFINITE_COLOR in records(source)["x"][1]
    assert "inf or nan" in nodes(source)["legend"]


# --- groups --------------------------------------------------------------------------------


def mlp_loss(activation="relu"):
    model = mg.nn.MLP(2, [4, 1], activation=activation, seed=0)
    out = model([0.5, -1.0])
    loss = (out - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return model, out, loss


def test_group_neuron_draws_an_mlp_as_five_neuron_boxes():
    model, out, loss = mlp_loss()
    g = draw(loss, group="neuron")
    boxes = {name: label_of(a) for name, a in nodes(g.source).items() if GROUP_COLOR in a}
    assert sorted(b.split(" | ")[0] for b in boxes.values()) == [
        "L1.n1", "L1.n2", "L1.n3", "L1.n4", "L2.n1"]
    assert all("ReLU(w·x + b)" in b for b in boxes.values() if b.startswith("L1"))
    out_box = next(b for b in boxes.values() if b.startswith("L2.n1"))
    assert f"data {number(out.data)}" in out_box and f"grad {number(out.grad)}" in out_box
    # each hidden neuron feeds the output neuron once; the loss is drawn as usual
    into_out = re.findall(r"^\t(g\d) -> (g\d)$", g.source, flags=re.M)
    assert len(into_out) == 4
    assert "L | data" in g.source and "L2.n1 − 1" in g.source
    assert g.node_ids[out] == next(n for n, b in boxes.items() if b.startswith("L2.n1"))
    full = draw(loss)  # the full graph stays available
    assert full.node_ids[out] in nodes(full.source) and full.node_ids[loss] == "v0"
    assert len(records(full.source)) == full.values == len(mg.topological_order(loss)) > 40


def test_group_layer_and_tanh():
    _, _, loss = mlp_loss("tanh")
    g = draw(loss, group="layer")
    boxes = sorted(label_of(a) for a in nodes(g.source).values() if GROUP_COLOR in a)
    assert boxes[0].startswith("L1 | 4 neurons: tanh(w·x + b)")
    assert boxes[1].startswith("L2 | w·x + b")
    assert len(boxes) == 2


def test_a_weight_penalty_is_not_folded_into_a_neuron():
    model, out, loss = mlp_loss()
    w = model.layers[0].neurons[0].w[0]
    total = loss + w * w
    total.label = "total"
    g = draw(total, group="neuron")
    boxes = [label_of(a) for a in nodes(g.source).values() if GROUP_COLOR in a]
    assert len(boxes) == 5
    assert "L1.n1.w1" in records(g.source)  # the penalised weight is drawn outside its box
    assert all("data" in b for b in boxes)  # and the box still has one output


# --- bad input -----------------------------------------------------------------------------


def test_bad_picture_options_are_one_line_each(course_graph):
    J = course_graph()
    cases = [
        (dict(color="red"), ValueError, "color must be 'kind'"),
        (dict(group="neurons"), ValueError, "group must be None, 'neuron' or 'layer'"),
        (dict(show_local="yes"), TypeError, "show_local must be True or False"),
        (dict(show_local=True, group="neuron"), ValueError, "draw without group="),
        (dict(rankdir="up"), ValueError, "rankdir must be"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=re.escape(message)) as e:
            draw(J, **kwargs)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="found no neuron in this graph"):
        draw(J, group="neuron")  # nothing labelled like a neuron: said, not silently ignored
    with pytest.raises(ValueError, match="no op: there is no edge to label"):
        draw(Value(1.0, label="a"), show_local=True)
    v = Value(1.0)
    v.label = 3
    with pytest.raises(TypeError, match=r"label must be a str, not int \(3\)"):
        draw(v * 2)


def test_color_grad_on_a_traced_function_says_why_not():
    f = mg.trace(lambda a, b: a * b + a)
    f(1.0, 2.0)
    with pytest.raises(ValueError, match="traced function's nodes don't have"):
        draw(f, color="grad")


# --- Chinese labels ------------------------------------------------------------------------


def test_the_drawing_names_cjk_fonts():
    source = draw(Value(1.0, label="损失")).source
    assert "Noto Sans CJK SC" in source
    assert f'fontname="{fonts.FONTNAME}"' in source


def test_chinese_labels_find_their_glyphs_and_render(dot, cjk_font, tmp_path):
    # fontconfig's own answer: a family of the drawing's font list has every character
    named = [f.strip() for f in fonts.FONTNAME.split(",")]
    assert any(family.split(",")[0] in named for family in cjk_font)
    loss = Value(2.0, label="损失")
    weight = Value(0.5, label="权重")
    out = loss * weight
    out.label = "输出"
    out.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing-glyph warning when the font is there
        draw(out, path=tmp_path / "cjk.png")
    assert (tmp_path / "cjk.png").read_bytes().startswith(PNG_MAGIC)
    pdf = draw(out).pipe(format="pdf")
    assert pdf.startswith(b"%PDF") and b"NotoSansCJK" in pdf  # the CJK font is embedded


def test_a_missing_font_is_one_warning_naming_the_package(tmp_path):
    _need_fontconfig()
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig><dir>' + str(tmp_path) +
                    "</dir><cachedir>" + str(tmp_path / "cache") + "</cachedir></fontconfig>")
    code = ("import warnings, microgrid as mg\n"
            "warnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    mg.draw(mg.Value(1.0, label='损失'))\n"
            "    mg.draw(mg.Value(1.0, label='权重'))\n"
            "print(len(w)); print(w[0].message if w else '')\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    count, message = out.stdout.splitlines()[:2]
    assert count == "1"  # once, however many drawings
    assert "损失" in message and "fonts-noto-cjk" in message and "boxes" in message


# --- real pictures of each new kind --------------------------------------------------------


@pytest.mark.parametrize("kind", ["local", "grad", "neuron", "layer", "logistic"])
def test_each_new_kind_of_picture_renders_to_png(dot, kind, course_graph):
    if kind == "local":
        g = draw(course_graph(), show_local=True)
    elif kind == "grad":
        g = draw(deep_sigmoid_and_dead_relu()[0], color="grad")
    elif kind == "logistic":
        g = draw(logistic_sample())
    else:
        g = draw(mlp_loss()[2], group=kind)
    png = g.pipe(format="png")
    assert png.startswith(PNG_MAGIC) and len(png) > 3000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width / height <= MAX_ASPECT + 0.6 and math.isfinite(width)


def test_op_symbols_in_svg_for_operand_order(dot):
    a, b = Value(5.0, label="a"), Value(3.0, label="b")
    svg = draw([a - b, b / a, a**b]).pipe(format="svg").decode()
    for text in (f"a {OPS['sub'].symbol} b", f"b {OPS['div'].symbol} a",
                 f"a {OPS['pow'].symbol} b"):
        assert f">{text}<" in svg
    assert "<a " not in svg  # no links: the step-through page gives every id its own prefix


def test_the_readme_picture_is_current(dot, course_graph):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "](docs/course_graph.svg)" in readme
    committed = (root / "docs" / "course_graph.svg").read_text(encoding="utf-8")
    fresh = draw(course_graph(), show_local=True).pipe(format="svg").decode()

    def texts(svg):
        return sorted(t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))

    assert texts(committed) == texts(fresh)  # regenerate: see this test's drawing
    assert "∂u/∂b = 2" in texts(committed)


def test_hostile_names_in_op_labels_and_edge_labels_show_as_typed(dot, capfd):
    from test_draw import HOSTILE_LABELS, svg_texts

    for label in HOSTILE_LABELS:
        if "\t" in label or "\x00" in label:
            continue
        a, b = Value(1.0, label=label), Value(2.0, label="b")
        out = a - b
        out.backward()
        texts = svg_texts(draw(out, show_local=True).pipe(format="svg").decode())
        name = label.replace("\n", " ")
        assert f"{name} − b".strip() in [t.strip() for t in texts if t], label
        assert f"∂J/∂{name} = 1".strip() in [t.strip() for t in texts if t], label
    assert "syntax error" not in capfd.readouterr().err.lower()


def test_an_op_with_one_node_as_both_inputs_says_which_edge_is_which():
    """a − a and a ^ a: the two edges join the same two nodes, so each label names its operand
    from the op table (minuend, subtrahend; base, exponent)."""
    a = Value(2.0, label="a")
    assert sorted(edge_labels(draw(a - a, show_local=True).source)) == [
        "∂J/∂a (minuend) = 1", "∂J/∂a (subtrahend) = -1"]
    labels = edge_labels(draw(a**a, show_local=True).source)
    assert [label.split(" = ")[0] for label in labels] == ["∂J/∂a (base)", "∂J/∂a (exponent)"]
    assert edge_labels(draw(a * a, show_local=True).source) == ["∂J/∂a = 2"] * 2
