"""explain(): the chain rule per node, as text, Markdown and LaTeX, and the page's single lines."""

from __future__ import annotations

import math
import operator

import pytest

import microgrid as mg
from microgrid import OPS, Value
from microgrid.view.explain import (
    forward_line,
    graph_names,
    named_rule,
    num,
    running_sum,
    step_line,
    tex_name,
)
from microgrid.view.names import node_names

COURSE = """\
u = b · c = 6
v = a + u = 11
J = 3 · v = 33

dJ/dJ = 1
dJ/dv = dJ/dJ · ∂J/∂v = 1 · 3 = 3
dJ/du = dJ/dv · ∂v/∂u = 3 · 1 = 3
dJ/dc = dJ/du · ∂u/∂c = 3 · b = 3 · 3 = 9
dJ/db = dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6
dJ/da = dJ/dv · ∂v/∂a = 3 · 1 = 3"""


def test_the_course_graph(course_graph):
    J = course_graph()
    assert str(mg.explain(J)) == COURSE
    assert str(J.explain()) == COURSE
    assert repr(J.explain()) == COURSE  # what the REPL shows


def test_a_node_used_twice_shows_the_sum_of_its_terms():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    x = a * b
    x.label = "x"
    y = a * a
    y.label = "y"
    J = 2 * x + y
    J.label = "J"
    line = next(ln for ln in J.explain().backward if ln.startswith("dJ/da ="))
    assert line == ("dJ/da = dJ/dy · ∂y/∂a + dJ/dy · ∂y/∂a + dJ/dx · ∂x/∂a = 1 · a + 1 · a + 2 · b"
                    " = 1 · 2 + 1 · 2 + 2 · 3 = 2 + 2 + 6 = 10")
    assert mg.grad(J, a) == 10


def test_b_is_a_plus_a_and_c_is_b_plus_b():
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    assert mg.explain(c).backward == [
        "dc/dc = 1",
        "dc/db = dc/dc · ∂c/∂b + dc/dc · ∂c/∂b = 1 · 1 + 1 · 1 = 1 + 1 = 2",
        "dc/da = dc/db · ∂b/∂a + dc/db · ∂b/∂a = 2 · 1 + 2 · 1 = 2 + 2 = 4",
    ]


def test_numbers_stay_numbers_on_either_side():
    v = Value(2.0, label="v")
    J = (10 - v) / 4
    J.label = "J"
    e = mg.explain(J)
    assert e.forward == ["t1 = 10 − v = 8", "J = t1 ÷ 4 = 2"]
    assert e.backward[1] == "dJ/dt1 = dJ/dJ · ∂J/∂t1 = 1 · (1/4) = 1 · 0.25 = 0.25"
    assert e.backward[2] == "dJ/dv = dJ/dt1 · ∂t1/∂v = 0.25 · (-1) = -0.25"


def test_the_names_are_the_drawings():
    x = Value(1.0)  # unlabelled leaf: x1
    J = (x * 2).exp() + x
    names = node_names(mg.topological_order(J), [J])
    assert graph_names(J) == names == mg.read(J).names
    assert names[J] == "J"  # an unlabelled output: the course's J, as on the command line
    text = str(mg.explain(J))
    for v, name in names.items():
        if v is not J:
            assert f"d{names[J]}/d{name} =" in text


def test_the_results_are_the_engines_grads():
    w, x, b = Value(0.5, label="w"), Value(-1.5, label="x"), Value(0.25, label="b")
    L = -((w * x + b).sigmoid().log())
    L.label = "L"
    e = mg.explain(L)
    want = dict(zip("wxb", mg.grad(L, [w, x, b])))
    for name, g in want.items():
        line = next(ln for ln in e.backward if ln.startswith(f"dL/d{name} ="))
        assert line.endswith(f"= {num(g)}")


def apply(op, x, y):
    if op.arity == 2:
        return {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                "div": operator.truediv, "pow": operator.pow, "gate": Value.gate}[op.name](x, y)
    return operator.neg(x) if op.name == "neg" else getattr(x, op.name)()


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_reads_in_text_and_latex(name):
    op = OPS[name]
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    out = apply(op, x, y)
    out.label = "f"
    e = mg.explain(out)
    text, tex = str(e), e.to_latex()
    assert "{" not in text and "}" not in text
    assert not set("·−σ²∂") & set(tex), tex
    for row in tex.split("\n")[1:-1]:
        mathtext(row)


def mathtext(row: str) -> None:
    """Parse one row of the aligned block as math (matplotlib's TeX subset): a typo fails."""
    from matplotlib.mathtext import MathTextParser

    row = row.replace("&", "").removesuffix(r"\\[6pt]").removesuffix(r"\\").strip()
    MathTextParser("path").parse(f"${row}$")


def test_latex_and_markdown_of_the_course_graph(course_graph):
    e = course_graph().explain()
    tex = e.to_latex()
    assert tex.startswith("\\begin{aligned}\n") and tex.endswith("\n\\end{aligned}")
    assert (r"\frac{dJ}{db} &= \frac{dJ}{du} \cdot \frac{\partial u}{\partial b} = 3 \cdot c"
            r" = 3 \cdot 2 = 6") in tex
    assert e.to_markdown() == "$$\n" + tex + "\n$$"
    assert e._repr_markdown_() == e.to_markdown()
    for row in tex.split("\n")[1:-1]:
        mathtext(row)


def test_tex_names():
    assert [tex_name(n) for n in ("a", "t1", "a₂", "loss", "w12", "my loss", "x_1")] == [
        "a", "t_{1}", "a_{2}", r"\mathrm{loss}", "w_{12}", r"\text{my loss}", r"\text{x\_1}"]


def test_inf_and_nan_read_as_such():
    a = Value(0.0, label="a")
    J = a.log() * 2
    J.label = "J"
    e = mg.explain(J)
    assert e.forward[0] == "t1 = log(a) = -inf"
    assert e.backward[-1] == "dJ/da = dJ/dt1 · ∂t1/∂a = 2 · (1/a) = 2 · inf = inf"
    assert r"\infty" in e.to_latex()
    b = Value(math.nan, label="b")
    assert str(mg.explain(b * 1.0)).endswith("= 1 · 1 = 1")


# --- the single lines of the step-through page ------------------------------------------------


def test_step_lines_say_what_each_addition_is(course_graph):
    J = course_graph()
    names = graph_names(J)
    steps = mg.backward_steps(J)
    assert [step_line(s, names) for s in steps] == [
        "dJ/dv += dJ/dJ · ∂J/∂v = 1 · 3 = 3",
        "dJ/da += dJ/dv · ∂v/∂a = 3 · 1 = 3",
        "dJ/du += dJ/dv · ∂v/∂u = 3 · 1 = 3",
        "dJ/db += dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6",
        "dJ/dc += dJ/du · ∂u/∂c = 3 · b = 3 · 3 = 9",
    ]
    assert step_line(steps[3], names, root=J) == step_line(steps[3], names)
    assert [named_rule(s, names) for s in steps] == ["3", "1", "1", "c", "b"]
    assert {forward_line(v, names) for v in mg.topological_order(J)} == {
        "a = 5", "b = 3", "c = 2", "u = b · c = 6", "v = a + u = 11", "J = 3 · v = 33"}


def test_running_sums_of_a_shared_node():
    a = Value(2.0, label="a")
    J = a * 1.0 + a * 6.0
    steps = [s for s in mg.backward_steps(J) if s.node is a]
    assert [running_sum(s) for s in steps] == ["grad 0 → 6 (+6)", "grad 6 → 7 (+1)"]
    b = Value(1.0, label="b")
    assert running_sum(mg.backward_steps(b * -2.0)[0]) == "grad 0 → -2 (-2)"


# --- choosing nodes, limits, bad input --------------------------------------------------------


def big_graph(n: int = 300) -> tuple[Value, Value]:
    w = Value(0.5, label="w")
    total = w * 0.0
    for i in range(n):
        total = total + w * float(i)
    total.label = "J"
    return total, w


def test_a_large_graph_is_refused_in_one_line_and_chosen_nodes_are_explained():
    J, w = big_graph()
    with pytest.raises(ValueError) as e:
        mg.explain(J)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("the graph has 602 Values, more than max_nodes=200;")
    assert "nodes=[...]" in message
    e = mg.explain(J, nodes=[w])
    assert len(e.backward) == 1 and e.backward[0].endswith(f"= {num(mg.grad(J, w))}")
    # 301 uses of w: the first three terms, how many more, and the last
    # (named left to right: t1 = w·0, t2 = w·0, t3 = t1 + t2, t4 = w·1 ... t600 = w·299)
    assert e.backward[0].startswith("dJ/dw = dJ/dt600 · ∂t600/∂w + dJ/dt598 · ∂t598/∂w + "
                                    "dJ/dt596 · ∂t596/∂w + … (297 more) … + dJ/dt1 · ∂t1/∂w = ")
    mathtext(e.to_latex().split("\n")[-2])
    assert mg.explain(J, nodes=["w"]).backward == e.backward
    assert len(mg.explain(J, max_nodes=1000).backward) == 602


def test_bad_input_is_one_line_naming_the_problem(course_graph):
    J = course_graph()
    cases = [
        (lambda: mg.explain(3.0), TypeError, r"^explain\(\) takes a Value, not float$"),
        (lambda: mg.explain(Value(1.0)), ValueError, "the root is a leaf"),
        (lambda: mg.explain(J, nodes=["q"]), ValueError,
         "no node labelled 'q' in the graph of J; its labels are a, b, c, u, v, J"),
        (lambda: mg.explain(J, nodes=[Value(1.0)]), ValueError, "is not in the graph of J"),
        (lambda: mg.explain(J, nodes=[3]), TypeError,
         "labels \\(str\\) or Values, not int \\(3\\)"),
        (lambda: mg.explain(J, max_nodes=0), ValueError, "max_nodes must be a positive int"),
    ]
    for call, kind, pattern in cases:
        with pytest.raises(kind, match=pattern) as e:
            call()
        assert "\n" not in str(e.value)
    a1, a2 = Value(1.0, label="a"), Value(2.0, label="a")
    K = a1 * a2
    with pytest.raises(ValueError, match=r"the label 'a' is used by 2 nodes \(a, a₂\)"):
        mg.explain(K, nodes=["a"])
    # the views' names work too; a₂ is the second a read left to right (a2), and K is J
    assert mg.explain(K, nodes=["a₂"]).backward == [
        "dJ/da₂ = dJ/dJ · ∂J/∂a₂ = 1 · a = 1 · 1 = 1"]


def test_explaining_changes_nothing(course_graph):
    J = course_graph()
    nodes = mg.topological_order(J)
    for i, v in enumerate(nodes):
        v.grad = 100.0 + i  # whatever the user had there
    state = [(v.data, v.grad, v.label, v.inputs) for v in nodes]
    str(mg.explain(J))
    mg.explain(J).to_markdown()
    assert [(v.data, v.grad, v.label, v.inputs) for v in nodes] == state


def test_a_masked_use_is_named_and_a_node_no_gradient_reaches_reads_zero():
    # where an op masks its gradient (relu at x <= 0) the engine adds nothing, so there is no
    # step; the line says which use sent nothing back, in text and in LaTeX
    x = Value(-1.0, label="x")
    h = x.relu()
    h.label = "h"
    J = h * 3 + x
    J.label = "J"
    e = J.explain()
    assert e.backward[-1] == ("dJ/dx = dJ/dJ · ∂J/∂x = 1 · 1 = 1 "
                              "(h = ReLU(x) passes no gradient back here)")
    z = Value(-2.0, label="z")
    K = z.relu() * 2
    K.label = "K"
    e = mg.explain(K, nodes=["z"])
    assert e.forward == ["t1 = ReLU(z) = 0"]
    assert e.backward == ["dK/dz = 0 (t1 = ReLU(z) passes no gradient back here)"]
    for row in [*J.explain().to_latex().split("\n")[1:-1], *e.to_latex().split("\n")[1:-1]]:
        mathtext(row)
    assert mg.compare_grads(K, {"z": 1}).why["z"] == e.backward[0]
