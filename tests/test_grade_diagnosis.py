"""compare_grads's diagnosis: the first wrong node in backward order, what follows from it, and
the slip named, on every kind of exercise.

Each test writes a learner's derivation with one slip made on purpose: the slipped node's
number is wrong in that way, and every node below it is worked on from the learner's own
numbers (upstream × local derivative, summed over the uses, as a learner does by hand). The
grader must then point at the slipped node, name the slip, and say that the rest follow."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgrid as mg
from microgrid import Value
from microgrid.view.names import node_names

KINDS = ["chain", "logistic", "network", "vectorized"]


def derivation(root, slip_at=None, slip=None):
    """The learner's gradients of every node: the chain rule from the records, with ``slip``
    (a function of the node's steps and the upstream numbers) replacing the number at
    ``slip_at``; nodes below it are worked on from that wrong number."""
    steps = mg.backward_steps(root)
    terms = {}
    for s in steps:
        terms.setdefault(s.node, []).append(s)
    known = {root: 1.0}
    for v in reversed(mg.topological_order(root)):
        if v is root:
            continue
        ts = terms.get(v, [])
        right = 0.0
        for s in ts:
            right += known[s.consumer] * s.local
        known[v] = slip(v, ts, known, right) if v is slip_at else right
    return known


def sign(v, ts, known, right):
    return -right


def missing_local(v, ts, known, right):
    """dJ/du · ∂u/∂v with the local factor left out (one use)."""
    return known[ts[0].consumer]


def missing_term(v, ts, known, right):
    return sum(known[s.consumer] * s.local for s in ts[:-1])


def value_for_upstream(v, ts, known, right):
    """The consumer's value where its gradient belongs."""
    return ts[0].consumer.data * ts[0].local


def swapped(v, ts, known, right):
    """∂(x − y)/∂y taken as +1 (the operands of − the other way round)."""
    total = 0.0
    for s in ts:
        local = -s.local if s.consumer.op == "sub" else s.local
        total += known[s.consumer] * local
    return total


def rounding(v, ts, known, right):
    return float(f"{right:.2g}")


def applies(kind, v, ts, known, right):
    """Whether the slip changes this node's number, as that kind of slip can."""
    if not ts or right == 0 or not all(math.isfinite(known[s.consumer]) for s in ts):
        return False
    if kind == "missing term":
        return len(ts) > 1 and ts[-1].contribution != 0
    if kind == "factor":
        return len(ts) == 1 and abs(ts[0].local) not in (0.0, 1.0) and known[ts[0].consumer] \
            not in (0.0, ts[0].consumer.data)
    if kind == "value":
        c = ts[0].consumer
        return (len(ts) == 1 and c.data not in (known[c], 0.0)
                and c.data * ts[0].local not in (v.data, right, -right))
    if kind == "swapped":
        return any(s.consumer.op == "sub" and s.operand == 1 and s.contribution != 0
                   for s in ts)
    if kind == "rounding":
        return abs(float(f"{right:.2g}") - right) > 1e-5 * max(1, abs(right))
    # a sign flipped through − is the operands swapped: the sign slip is tested elsewhere
    return not any(s.consumer.op in ("sub", "div", "pow") for s in ts)


SLIPS = {"sign": sign, "factor": missing_local, "missing term": missing_term,
         "value": value_for_upstream, "swapped": swapped, "rounding": rounding}


def find_case(kind, slip_kind):
    """The first exercise of ``kind`` (by seed) with a labelled node the slip applies to."""
    for seed in range(200):
        ex = mg.exercise(kind, seed=seed, depth=4)
        truth = derivation(ex.root)
        names = node_names(mg.topological_order(ex.root))
        for v in reversed(mg.topological_order(ex.root)):
            if names[v] not in ex.asked:
                continue
            ts = [s for s in mg.backward_steps(ex.root) if s.node is v]
            if applies(slip_kind, v, ts, truth, truth[v]):
                return ex, v
    raise AssertionError(f"no {kind} exercise has a node for a {slip_kind} slip")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("slip_kind", list(SLIPS))
def test_each_slip_on_each_kind_is_named(kind, slip_kind):
    ex, node = find_case(kind, slip_kind)
    names = node_names(mg.topological_order(ex.root))
    learner = derivation(ex.root, node, SLIPS[slip_kind])
    # the learner answers what is asked, and the node they slipped at
    shown = [v for v in mg.topological_order(ex.root) if names[v] in ex.asked or v is node]
    report = ex.check({names[v]: learner[v] for v in shown})
    name = names[node]
    assert report.first_wrong == name, str(report)
    assert report.slips == {name: slip_kind}, str(report)
    # every other wrong row follows from the slip
    assert set(report.follows) == set(report.wrong) - {name}
    assert all(cause == name for cause in report.follows.values())
    text = str(report)
    assert f"✗ {name}: your d{names[ex.root]}/d{name} = " in text
    if report.follows:
        assert "follow" in text
    words = {"sign": "wrong sign", "factor": "factor", "missing term": "leaves out the term",
             "value": "uses the value of", "swapped": "the wrong way round",
             "rounding": "outside the tolerance"}[slip_kind]
    assert words in report.why[name]
    # every name in the report is one the learner used or the picture shows
    for mentioned in re.findall(r"[d∂]([\w₀-₉]+)/[d∂]([\w₀-₉]+)", text):
        assert set(mentioned) <= set(names.values()), mentioned


def test_correct_answers_always_pass():
    for kind in KINDS:
        for seed in range(30):
            ex = mg.exercise(kind, seed=seed, depth=1 + seed % 6)
            report = ex.check(ex.answers())
            assert report.ok and report.first_wrong is None and not report.why
            assert "✗" not in str(report)
            # the answers as a learner writes them, 4 significant digits, pass too
            assert ex.check({k: float(f"{g:.4g}") for k, g in ex.answers().items()}).ok


def test_the_course_graph_missing_factor_three_points_at_v():
    """Forgetting the 3 of J = 3(a + bc) marks everything ✗, but the slip is at v."""
    from conftest import course_values

    J, *_ = course_values()
    report = mg.compare_grads(J, {"v": 1, "a": 1, "u": 1, "b": 2, "c": 3})
    assert report.first_wrong == "v" and report.slips == {"v": "factor"}
    assert report.follows == {"a": "v", "u": "v", "b": "v", "c": "v"}
    assert "missing the factor ∂J/∂v = 3" in report.why["v"]
    assert "a, u, b, c follow from your dJ/dv" in str(report)
    # a second slip below the first is wrong on its own, and says so
    report = mg.compare_grads(J, {"v": 1, "a": 1, "u": 1, "b": 2, "c": -3})
    assert report.follows == {"a": "v", "u": "v", "b": "v"}
    assert report.slips == {"v": "factor", "c": "sign"}


def test_the_issue_logistic_sign_slip():
    """dz = y − a instead of a − y: the sign, and dw1, dw2, db follow from it."""
    ex = mg.exercise("logistic", seed=7)
    truth = ex.answers()
    answers = {"z": -truth["z"], "w1": -truth["w1"], "w2": -truth["w2"], "b": -truth["b"]}
    report = ex.check(answers)
    assert report.first_wrong == "z" and report.slips == {"z": "sign"}
    assert set(report.follows) == {"w1", "w2", "b"}


@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 10**6), depth=st.integers(1, 6),
       pick=st.integers(0, 10**6), factor=st.sampled_from([-1.0, 2.0, 0.5, 3.0, 1.1, -0.25]),
       carry=st.booleans())
def test_first_wrong_on_random_graphs(kind, seed, depth, pick, factor, carry):
    """One node's answer perturbed: it is first_wrong, whether the learner carries the wrong
    number on (then the rest follow) or not (then the rest are right)."""
    ex = mg.exercise(kind, seed=seed, depth=depth)
    names = node_names(mg.topological_order(ex.root))
    truth = derivation(ex.root)
    candidates = [v for v in reversed(mg.topological_order(ex.root))
                  if v is not ex.root and truth[v] != 0]
    node = candidates[pick % len(candidates)]
    if carry:
        learner = derivation(ex.root, node, lambda v, ts, known, right: right * factor)
    else:
        learner = dict(truth)
        learner[node] = truth[node] * factor
    report = ex.check({names[v]: learner[v] for v in candidates})
    assert report.first_wrong == names[node]
    assert names[node] in report.slips
    if carry:
        assert set(report.follows) == set(report.wrong) - {names[node]}
    else:
        assert report.wrong == [names[node]]


def test_compare_grads_is_linear_in_uses():
    """A weight used by 100,000 samples, graded wrong: finishes (no list membership through
    Value.__eq__), and names the missing term."""
    w = Value(2.0, label="w")
    total = w * 1.0
    for _ in range(100_000 - 1):
        total = total + w * 1.0
    total.label = "J"
    report = mg.compare_grads(total, {"w": 100_000 - 1})
    assert report.first_wrong == "w" and report.slips == {"w": "missing term"}
    assert "… (" in report.why["w"]  # the middle terms counted, not printed


def test_a_huge_int_answer_is_inf_and_diagnosed():
    x = Value(2.0, label="x")
    J = x * 3
    J.label = "J"
    report = mg.compare_grads(J, {"x": 10**400})
    assert report.rows[0].yours == math.inf and report.first_wrong == "x"
    assert report.why["x"].startswith("your dJ/dx = inf, but dJ/dx = ")
