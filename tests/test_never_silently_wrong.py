"""The teaching views at their edges: never silently wrong, never a traceback where one line is due.

The README's promises checked here, each named in its test: every view names a node the same way
("one name per node, in every view"), in LaTeX too; text is written from the graph and a label
is shown as written, never read as part of a template; the page starts from nothing ("at step 0
no grad shows") and keeps a node's name apart from its data and grad; a name ``explain`` prints
is a key ``compare_grads`` takes; bad input is a clear one-line error; and the views draw and
grade any float, up to the float maximum, ±inf and NaN, as the engine computes them (IEEE, like
PyTorch), without an exception. The views' speed on big graphs is measured by
``benchmarks/views.py``; here a 10^5-use graph only has to finish and the tree's text to grow
linearly.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re

import pytest

# the page test uses the step-through tests' browser fixture: Chromium, network off
from test_stepping_browser import Keys, _by_name, _errors, _open, _state
from test_stepping_browser import browser as browser  # noqa: F401 (a fixture)

import microgrid as mg
from microgrid import Value
from microgrid.cli.commands import main
from microgrid.view.tree import tree

MAX = 1.7976931348623157e308
EXTREMES = [MAX, -MAX, math.inf, -math.inf, math.nan, 0.0, -0.0, 5e-324]
IDS = ["max", "-max", "inf", "-inf", "nan", "0", "-0", "tiny"]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's refusals
            code = e.code
    return code, out.getvalue(), err.getvalue()


# --- names: one per node, in every format ----------------------------------------------------


def test_the_latex_answer_key_keeps_a2_and_the_second_a_apart():
    """README: one name per node, the same in every view, "so no two nodes in one picture or
    one derivation share a name", the LaTeX answer key included. LaTeX writes a label ``a2`` and
    the views' ``a₂`` (the second ``a``) alike, as a_{2}; the second ``a`` must be another
    name there."""
    first, a, again = Value(1.0, label="a2"), Value(2.0, label="a"), Value(3.0, label="a")
    J = first * a * again
    J.label = "J"
    e = mg.explain(J)
    names = list(e.names.values())
    assert len(set(names)) == len(names)
    tex = e.to_latex()
    # each node's own backward line: its gradient, distinct in LaTeX
    heads = re.findall(r"\\frac\{dJ\}\{d(.+?)\} &=", tex)
    assert len(heads) == len(set(heads)) == 5, heads
    grads = dict(zip(names, mg.grad(J, list(e.names))))
    assert r"\frac{dJ}{da_{2}} &= \frac{dJ}{dt_{1}}" in tex  # the label a2
    assert f"= {grads['a2']:g}" in tex.split(r"\frac{dJ}{da_{2}} &=")[1].split("\\\\")[0]
    second = next(n for n in names if n.startswith("a") and n not in ("a", "a2"))
    assert second == "a₃" and f"{grads[second]:g}" in tex  # a₃: a_{3}, its own line
    assert r"\frac{dJ}{da_{3}} &=" in tex


def test_a_label_and_a_views_subscript_never_share_a_latex_name():
    """The same promise over many labels: no two nodes share a name once subscript digits
    read as digits (which is what LaTeX shows)."""
    labels = ["a", "a2", "a", "a₂", "a", "t1", "x1", "a22", "a2"]
    leaves = [Value(float(i + 1), label=s) for i, s in enumerate(labels)]
    J = leaves[0]
    for v in leaves[1:]:
        J = J * v + Value(1.0)
    J.label = "J"
    e = mg.explain(J)
    tex = e.to_latex()
    heads = re.findall(r"^\\frac\{dJ\}\{d(.+?)\} &=", tex, flags=re.M)
    assert len(heads) == len(set(heads)) == len(e.names), sorted(heads)


AWKWARD = ["a", "a", "a2", "{y}", "my loss", "d", "dJ", "J", "x1", "(b)", "L1.n1.w1", "d(a)",
           "a/b", "dx", "ω", "权重"]


@pytest.mark.parametrize("root_label", ["", "J", "dJ", "my loss", "损失"])
def test_every_derivative_explain_prints_is_a_key_compare_grads_takes(root_label):
    """README: compare_grads takes "every name explain prints" (its docstring: the course's
    dJ/db, dJ/d(L1.n1.w1)). Each backward line's left side, keyed with the engine's number,
    grades that node ✓, whatever the labels: the first of two nodes labelled ``a`` (printed
    ``dJ/da``), a root that shares its label with a leaf (``dJ₂/dJ``), labels that read like
    derivatives or templates."""
    leaves = [Value(float(i + 1), label=s) for i, s in enumerate(AWKWARD)]
    J = leaves[0]
    for v in leaves[1:]:
        J = J * v + v
    J.label = root_label
    e = mg.explain(J)
    names = e.names
    backward = list(reversed(mg.topological_order(J)))
    engine = dict(zip(backward, mg.grad(J, backward)))
    lines = e.backward
    assert len(lines) == len(backward)
    for line, node in zip(lines, backward):
        key = line.split(" = ")[0]
        report = mg.compare_grads(J, {key: engine[node]})
        assert [r.name for r in report.rows] == [names[node]], key
        assert report.ok, key
        wrong = mg.compare_grads(J, {key: engine[node] * 2 + 1})
        assert not wrong.ok and wrong.wrong == [names[node]]


def test_a_model_weight_is_graded_by_the_name_explain_prints():
    """README: "every name explain prints is accepted by compare_grads", for a microgrid.nn
    model's weights (``dJ/d(L1.n1.w1)``)."""
    model = mg.nn.MLP(2, [2, 1])
    out = model([Value(1.0), Value(-2.0)])
    L = (out - 1.0) ** 2
    lines = mg.explain(L).backward
    keys = [line.split(" = ")[0] for line in lines]
    assert "dJ/d(L1.n1.w1)" in keys
    w = next(p for p in model.parameters() if p.label == "L1.n1.w1")
    assert mg.compare_grads(L, {"dJ/d(L1.n1.w1)": mg.grad(L, w)}).ok


# --- a label is shown as written ---------------------------------------------------------------


@pytest.mark.parametrize("label", ["{y}", "{x}", "{out}"])
def test_a_placeholder_label_is_named_as_written_in_every_format(label):
    """README: the chain rule is written with the graph's names. Rule templates are filled
    in one pass, so for J = a·b with a labelled "{y}", ∂J/∂b is a's name and ∂J/∂a is b, in the
    text, the LaTeX (and so the Markdown) and the step-through page's captions."""
    a, b = Value(2.0, label=label), Value(3.0, label="b")
    J = a * b
    J.label = "J"
    atom = f"({label})"
    text = mg.explain(J).backward
    assert f"dJ/db = dJ/dJ · ∂J/∂b = 1 · {label} = 1 · 2 = 2" in text
    assert f"dJ/d{atom} = dJ/dJ · ∂J/∂{atom} = 1 · b = 1 · 3 = 3" in text
    tex_label = r"\text{\{" + label[1:-1] + r"\}}"
    tex = mg.explain(J).to_latex()
    assert rf"\frac{{\partial J}}{{\partial b}} = 1 \cdot {tex_label} = 1 \cdot 2 = 2" in tex
    assert rf"\frac{{\partial J}}{{\partial {tex_label}}} = 1 \cdot b = 1 \cdot 3 = 3" in tex
    assert mg.explain(J).to_markdown() == f"$$\n{tex}\n$$"
    page = mg.step_through(J)
    lines = [f["line"] for f in page.frames if f["phase"] == "backward"]
    assert f"dJ/db += dJ/dJ · ∂J/∂b = 1 · {label} = 1 · 2 = 2" in lines
    assert f"dJ/d{atom} += dJ/dJ · ∂J/∂{atom} = 1 · b = 1 · 3 = 3" in lines


def test_a_label_that_is_not_text_is_refused_in_one_line_by_every_view():
    """README: bad input is a clear one-line error naming the problem and the fix. A label
    set to 5 is refused by explain (whole or nodes=...), compare_grads and step_through as draw
    and tree refuse it, not an AttributeError from deep inside."""
    b = Value(3.0, label="b")
    v = Value(2.0)
    v.label = 5
    J = v * b
    views = {"explain": lambda: mg.explain(J), "nodes": lambda: mg.explain(J, nodes=["b"]),
             "compare_grads": lambda: mg.compare_grads(J, {"b": 2}),
             "step_through": lambda: mg.step_through(J), "draw": lambda: mg.draw(J),
             "tree": lambda: tree(J)}
    for name, view in views.items():
        with pytest.raises(TypeError) as caught:
            view()
        message = str(caught.value)
        assert "label must be a str, not int (5)" in message and "str(" in message, name
        assert "\n" not in message, name


# --- what the backward pass uses -----------------------------------------------------------


def test_a_traced_relu_that_is_off_draws_no_flow_on_its_edges():
    """README: an edge label is the local derivative the backward pass uses. In the drawn
    backward of a traced network whose ReLU is off, the backward's gate (t2 = gate(v, t1))
    passes nothing from v, where the gate's rule alone would say 1; so does the ReLU itself."""
    f = mg.trace(lambda w, x, v: mg.relu(w * x) * v)
    assert f.grad(1.0, -2.0, 3.0) == (0.0, 0.0, 0.0)
    assert "t2 = gate(v, t1)" in f.source
    source = mg.draw(f.graph_roots(), show_local=True).source
    labels = [s.strip() for s in re.findall(r'-> \w+ \[label="([^"]*)"', source)]
    assert "∂t2/∂v: no flow" in labels and "∂t1/∂t3: no flow" in labels, labels
    assert "∂dw/∂t2 = -2" in labels and "∂out/∂t1 = 3" in labels  # what does flow is shown


# --- numbers at the extremes ---------------------------------------------------------------


def extreme_graph(x: float) -> tuple[Value, tuple[Value, Value, Value]]:
    """J = a·b + c·a + tanh(a·c) + relu(b/c) with a = b = x and c = 2: x itself is a data and a
    gradient (∂J/∂b = a), and the products overflow or vanish around it."""
    a, b, c = Value(x, label="a"), Value(x, label="b"), Value(2.0, label="c")
    J = a * b + c * a + (a * c).tanh() + (b / c).relu()
    J.label = "J"
    return J, (a, b, c)


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == y


@pytest.mark.parametrize("x", EXTREMES, ids=IDS)
def test_every_view_draws_and_grades_any_float(x):
    """README: numerics follow IEEE like PyTorch, and every view shows what the engine
    computed. At ±1.8e308, ±inf, NaN, ±0 and the smallest subnormal, draw (both colourings,
    with and without local derivatives), explain (text, Markdown, LaTeX, nodes=...), tree,
    the step-through page (and its quiz) and compare_grads all finish; the grader agrees with
    the engine's own numbers and says ✗ to a wrong one."""
    J, (a, b, c) = extreme_graph(x)
    for color in ("kind", "grad"):
        for local in (False, True):
            assert "digraph" in mg.draw(J, color=color, show_local=local).source
    e = mg.explain(J)
    assert len(e.backward) == len(mg.topological_order(J))
    assert e.to_markdown().startswith("$$") and "nan" not in e.to_latex().replace(r"\mathrm{nan}",
                                                                                 "")
    assert mg.explain(J, nodes=["b"]).backward[0].startswith("dJ/db = ")
    J.backward()  # the tree and the drawing show .grad: extreme ones too
    shown = tree(J)
    assert all(name in shown for name in e.names.values())
    assert "digraph" in mg.draw(J, color="grad", show_local=True).source
    for quiz in (False, True):
        page = mg.step_through(J, quiz=quiz)
        assert "<svg" in page.html()
        json.loads(page._data())  # strict JSON: no bare inf or nan
    engine = mg.grad(J, [a, b, c])
    report = mg.compare_grads(J, dict(zip("abc", engine)))
    assert report.ok, str(report)
    assert [r.microgrid for r in report.rows] == pytest.approx(engine, nan_ok=True)
    assert all(same(r.microgrid, g) for r, g in zip(report.rows, engine))
    wrong = mg.compare_grads(J, {"c": -2 * engine[2] - 1 if math.isfinite(engine[2]) else 1.0})
    assert not wrong.ok and str(wrong) and wrong._repr_html_()
    answers = EXTREMES + [1.0, 10**400, -(10**400)]
    for yours_a in answers:  # every slip the diagnosis looks for, on every pair of extremes
        for yours_b in answers:
            report = mg.compare_grads(J, {"a": yours_a, "b": yours_b, "c": yours_a})
            assert str(report) and report._repr_html_()


def test_draw_colours_a_finite_gradient_above_1e308():
    """README: draw(color="grad") shades by |grad| on a log scale. A finite gradient of
    1.8e308 has its shade and the legend's top bin ends at the float maximum (10.0**309
    overflows)."""
    x = Value(1e300, label="x")
    y = x * MAX
    y.label = "y"
    y.backward()
    assert x.grad == MAX and math.isinf(y.data)
    source = mg.draw(y, color="grad").source
    assert "grad 1.798e+308" in source and "to 1.798e+308<" in source


def test_compare_grads_reads_an_int_too_large_for_a_float_as_inf():
    """README: compare_grads reads an int too large for a float as ±inf (as IEEE rounds it),
    not an OverflowError."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    J = a * b
    report = mg.compare_grads(J, {"a": 10**400, "b": -(10**400)})
    assert [r.yours for r in report.rows] == [math.inf, -math.inf] and not report.ok
    assert "inf" in str(report)


@pytest.mark.parametrize("x", EXTREMES, ids=IDS)
def test_the_command_line_draws_and_grades_any_float(x, tmp_path):
    """README (the command line): grad, explain and draw --color grad --local take any float
    a user types (1.7976931348623157e308, -inf, nan, -0, 5e-324) and print or write the
    engine's numbers, exit code 0, no traceback."""
    J, (a, b, c) = extreme_graph(x)
    formula = "a*b+c*a+tanh(a*c)+relu(b/c)"
    given = (f"a={x!r}", f"b={x!r}", "c=2")
    code, out, err = run_cli("grad", formula, *given, "--json")
    assert code == 0, err
    doc = json.loads(out, parse_constant=float)
    engine = mg.grad(J, [a, b, c])
    shown = [float(doc["variables"][n]["grad"]) for n in "abc"]
    assert all(same(s, g) for s, g in zip(shown, engine)), (shown, engine)
    code, out, err = run_cli("explain", formula, *given)
    assert code == 0 and out.count("\n") > 5, err
    for name, extra in (("g.dot", ("--color", "grad", "--local")), ("g.svg", ())):
        target = tmp_path / name
        code, out, err = run_cli("draw", formula, *given, *extra, "-o", str(target))
        assert code == 0 and target.stat().st_size > 0, err


def test_the_command_line_draws_a_finite_gradient_above_1e308(tmp_path):
    """README: ``microgrid draw --color grad`` colours by |grad|; a gradient of 1.8e308 (a
    finite float) is drawn, not an OverflowError."""
    target = tmp_path / "big.dot"
    code, out, err = run_cli("draw", "a*b", "a=1e300", "b=1.7976931348623157e308",
                             "--color", "grad", "-o", str(target))
    assert code == 0, err
    source = target.read_text(encoding="utf-8")
    assert "grad 1.798e+308" in source and "to 1.798e+308<" in source


# --- the step-through page, as a learner opens it ------------------------------------------


def test_the_page_keeps_names_apart_from_fields_and_starts_from_nothing(browser, tmp_path):
    """README (step-through): the page starts with the inputs' data and every grad unknown, and
    fills them in step by step; a node's name is its name. In headless Chromium at 1280×800,
    offline: labels "grad w", "data loss" and "{y}" show as written at step 0, no grad that an
    earlier backward() left shows there, and the caption of ∂t2/∂b names {y} (the label is not
    read again as the template's y)."""
    w, x = Value(2.0, label="grad w"), Value(-1.5, label="data loss")
    a, b = Value(3.0, label="{y}"), Value(0.5, label="b")
    J = w * x + a * b
    J.label = "J"
    J.backward()  # stale grads: the page must not show them before its own backward pass
    assert w.grad == -1.5
    page = tmp_path / "fields.html"
    mg.step_through(J).save(page)
    browser.set_window_size(1280, 800)
    assert _open(browser, page) == [page.resolve().as_uri()]
    first = _by_name(_state(browser))
    assert set(first) == {"grad w", "data loss", "{y}", "b", "t1", "t2", "J"}
    assert first["grad w"]["data"] == "data 2" and first["data loss"]["data"] == "data -1.5"
    assert {n: s["grad"] for n, s in first.items()} == {n: "grad ?" for n in first}
    browser.save_screenshot(str(tmp_path / "step-0.png"))
    lines = []
    body = browser.find_element("css selector", "body")
    while True:
        body.send_keys(Keys.ARROW_RIGHT)
        state = _state(browser)
        lines.append(state["line"])
        if state["phase"] == "end":
            break
    browser.save_screenshot(str(tmp_path / "end.png"))
    assert "dJ/db += dJ/dt2 · ∂t2/∂b = 1 · {y} = 1 · 3 = 3" in lines
    assert "dJ/d({y}) += dJ/dt2 · ∂t2/∂({y}) = 1 · b = 1 · 0.5 = 0.5" in lines
    last = _by_name(state)
    assert last["grad w"]["grad"] == "grad -1.5" and last["{y}"]["grad"] == "grad 0.5"
    assert not _errors(browser)
