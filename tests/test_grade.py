"""compare_grads: a hand derivation graded against the engine, as text and as HTML."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microgrid as mg
from microgrid import Value


def test_the_issue_example(course_graph):
    J = course_graph()
    report = mg.compare_grads(J, {"a": 3, "b": 2, "c": 9})
    assert not report.ok and not report and report.wrong == ["b"]
    assert str(report) == (
        "node  yours  microgrid  ok\n"
        "a     3      3          ✓\n"
        "b     2      6          ✗\n"
        "c     9      9          ✓\n"
        "\n"
        "✗ b: your dJ/db = 2 is missing the factor dJ/du = 3: "
        "dJ/db = dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6")
    assert report.first_wrong == "b" and report.slips == {"b": "factor"}
    assert repr(report) == str(report)
    assert [(r.name, r.yours, r.microgrid, r.ok) for r in report.rows] == [
        ("a", 3.0, 3.0, True), ("b", 2.0, 6.0, False), ("c", 9.0, 9.0, True)]
    assert mg.compare_grads(J, {"a": 3, "b": 6, "c": 9}).ok


def course_listing():
    """The course's listing: u = a·b, v = a·b + c, J = 2(v + b) at a=1, b=2, c=3."""
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    u = a * b
    u.label = "u"
    v = u + c
    v.label = "v"
    J = 2 * (v + b)
    J.label = "J"
    return J, a, b, c


def test_the_course_listing_and_its_slip():
    J, a, b, c = course_listing()
    hand = {"v": 2, "u": 2, "c": 2, "b": 1 * 2, "a": 2 * 2}  # db = 1 * du forgets b's own term
    report = mg.compare_grads(J, hand)
    assert report.wrong == ["b"]
    why = report.why["b"]
    assert why.startswith("your dJ/db = 2 leaves out the term through t")
    assert "; b is used 2 times (by t" in why and "so dJ/db is the sum of 2 terms: " in why
    assert why.endswith("= 2 + 2 = 4")
    assert "✗ b: your dJ/db = 2 leaves out the term" in str(report)
    assert report.first_wrong == "b" and report.slips == {"b": "missing term"}


def test_keys_may_be_the_course_names_of_gradients():
    J, a, b, c = course_listing()
    report = mg.compare_grads(J, {"da": 4, "dJ/db": 2, "c": 2, "dt1": 2})
    assert [r.name for r in report.rows] == ["a", "b", "c", "t1"] and report.wrong == ["b"]
    d = Value(1.0, label="d")
    K = d * 3  # a label that starts with d is itself first
    assert mg.compare_grads(K, {"d": 3}).ok
    with pytest.raises(ValueError, match="no node labelled 'dq' in the graph of J"):
        mg.compare_grads(J, {"dq": 1})


def test_keys_may_be_values_and_the_tolerance_is_relative_past_one():
    J, a, b, c = course_listing()
    assert mg.compare_grads(J, {a: 4.0000001, b: 4, c: np.float64(2)}).ok
    assert not mg.compare_grads(J, {a: 4.0001}).ok
    assert mg.compare_grads(J, {a: 4.0001}, tol=1e-3).ok
    big = Value(3.0, label="big")
    K = big * 1e9
    assert mg.compare_grads(K, {"big": 1e9 + 100}).ok  # 1e-7 of the gradient
    assert not mg.compare_grads(K, {"big": 1e9 + 1e4}).ok


def test_inf_and_nan_match_only_themselves():
    a = Value(0.0, label="a")
    J = a.log() * 1.0 + a * math.nan
    J.label = "J"
    assert mg.compare_grads(J, {"a": math.nan}).ok
    assert not mg.compare_grads(J, {"a": 1.0}).ok
    b = Value(0.0, label="b")
    K = b.log()
    assert mg.compare_grads(K, {"b": math.inf}).ok
    assert not mg.compare_grads(K, {"b": -math.inf}).ok
    assert not mg.compare_grads(K, {"b": 1e308}).ok


def test_html_table():
    J, *_ = course_listing()
    page = mg.compare_grads(J, {"a": 4, "b": 2})._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 3
    assert "<td>b</td><td>2</td><td>4</td>" in page and "✗" in page and "✓" in page
    assert "b is used 2 times" in page
    a = Value(1.0, label="<a&b>")
    assert "&lt;a&amp;b&gt;" in mg.compare_grads(a * 2, {"<a&b>": 2})._repr_html_()


def test_bad_input_is_one_line_naming_it(course_graph):
    J = course_graph()
    a1, a2 = Value(1.0, label="a"), Value(2.0, label="a")
    K = a1 * a2
    cases = [
        (lambda: mg.compare_grads(3, {"a": 1}), TypeError,
         r"^compare_grads\(\) takes a Value, not int$"),
        (lambda: mg.compare_grads(Value(2.0, label="a"), {"a": 1}), ValueError, "is a leaf"),
        (lambda: mg.compare_grads(J, {"q": 1}), ValueError,
         r"no node labelled 'q' in the graph of J; its labels are "),
        (lambda: mg.compare_grads(K, {"a": 1}), ValueError,
         r"the label 'a' is used by 2 nodes \(a, a₂\); key them by the Value itself"),
        (lambda: mg.compare_grads(J, {"b": "6"}), TypeError,
         r"your gradient for b is str \('6'\), not a number"),
        (lambda: mg.compare_grads(J, {"b": True}), TypeError, "bool"),
        (lambda: mg.compare_grads(J, {"b": None}), TypeError, "NoneType"),
        (lambda: mg.compare_grads(J, {3: 1}), TypeError, r"keys are labels \(str\) or Values"),
        (lambda: mg.compare_grads(J, {Value(1.0): 1}), ValueError, "not in the graph of J"),
        (lambda: mg.compare_grads(J, [("a", 3)]), TypeError, "must map labels"),
        (lambda: mg.compare_grads(J, {}), ValueError, "yours is empty"),
        (lambda: mg.compare_grads(J, {"a": 3}, tol=-1), ValueError, "tol must be a number >= 0"),
    ]
    for call, kind, pattern in cases:
        with pytest.raises(kind, match=pattern) as e:
            call()
        assert "\n" not in str(e.value)
    assert mg.compare_grads(K, {a1: 2, a2: 1}).ok


def test_grading_changes_nothing(course_graph):
    J = course_graph()
    nodes = mg.topological_order(J)
    state = [(v.data, v.grad, v.label) for v in nodes]
    str(mg.compare_grads(J, {"a": 1, "b": 2, "c": 3}))
    assert [(v.data, v.grad, v.label) for v in nodes] == state
    fresh = course_listing()[0]
    mg.compare_grads(fresh, {"a": 0})
    assert all(v.grad == 0.0 for v in mg.topological_order(fresh))


def test_chinese_labels_line_up_in_a_terminal():
    w = Value(2.0, label="权重")
    L = (w * w).log()
    L.label = "损失"
    assert str(mg.compare_grads(L, {"权重": 1, "损失": 1})).splitlines() == [
        "node  yours  microgrid  ok",
        "权重  1      1          ✓",
        "损失  1      1          ✓",
    ]


def test_every_name_explain_prints_is_a_key():
    """Every name ``explain`` prints is accepted by compare_grads, parenthesised ones too."""
    w = Value(2.0, label="L1.n1.w1")
    x = Value(3.0, label="x")
    loss = w * x
    loss.label = "my loss"
    printed = mg.explain(loss).backward
    keys = [line.split(" = ")[0] for line in printed]
    assert "d(my loss)/d(L1.n1.w1)" in keys
    report = mg.compare_grads(loss, {k: 1.0 for k in keys})
    assert sorted(r.name for r in report.rows) == ["L1.n1.w1", "my loss", "x"]
    assert mg.compare_grads(loss, {"d(my loss)/d(L1.n1.w1)": 3, "dx": 2}).ok


def test_an_int_too_large_for_a_float_is_graded_as_inf(course_graph):
    J = course_graph()
    report = mg.compare_grads(J, {"a": 10**400, "b": -(10**400), "c": 9})
    assert [r.yours for r in report.rows] == [math.inf, -math.inf, 9.0]
    assert report.wrong == ["a", "b"] and report.first_wrong in ("a", "b")
    assert "inf" in str(report)
    x = Value(1.0, label="x")
    assert mg.compare_grads(x.log() * 0.0 + 1e308 * x * 10, {"x": 10**400}).ok
