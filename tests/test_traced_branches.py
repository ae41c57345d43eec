"""No code of microgrid decides something from a number that ``trace`` would freeze.

The README promises that a static graph never silently freezes a branch: user code that tests
a traced Value raises. The library's own code must not be the exception, and it can be, quietly,
because ``v.data`` is a plain float that no Value can refuse. So this file walks the package's
source with ``ast`` and finds every decision read from ``.data`` (an ``if``, ``while``,
conditional expression, comparison, ``max``/``min``/``sorted``, directly or through a local
variable assigned from ``.data``). Each must be on the reviewed list below, with the reason it
cannot freeze a traced graph; a new one fails until someone has looked at it. The second half
checks the losses that used to freeze, against eager microgrid and PyTorch.
"""

import ast
import math
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgrid as mg
from microgrid import Value, losses, nn, train

PACKAGE = pathlib.Path(mg.__file__).parent

# (module, function, the decision as ast.unparse writes it) -> why it can't freeze a trace
REVIEWED = {
    ("engine/autograd.py", "_propagate", "not x.data <= 0.0"):
        "the float backward: it adds to .grad, records nothing (trace derives with gate ops)",
    ("engine/autograd.py", "contributions", "masks is not None and masks[0] is not None and "
     "masks[0](xd)"):
        "the float chain rule's mask; create_graph (what trace derives with) builds gate ops",
    ("engine/value.py", "Value.__eq__", "bool(self.data == other)"):
        "after the check that refuses == while trace records",
    ("engine/value.py", "Value.__ne__", "bool(self.data != other)"):
        "after the check that refuses != while trace records",
    ("cli/commands.py", "_grad", "max((_width(r[i]) for r in rows))"):
        "the command line's table: the widths of printed numbers",
    ("losses.py", "binary_cross_entropy", "p.data < 0.0 or p.data > 1.0"):
        "a check: it raises or lets through, the graph after it is the same",
    ("losses.py", "_check_range", "not 0.0 <= number <= 1.0"):
        "a check of the label: it raises or lets through, the graph is the same",
    ("losses.py", "hinge", "number != 1.0 and number != -1.0"):
        "a check of the label: it raises or lets through, the graph is the same",
    ("losses.py", "_neg_log", "not p.data < GRAD_EPS"):
        "eager only: while trace records, _neg_log returns the recorded _where form first",
    ("losses.py", "_neg_log", "max(math.log(p.data) if p.data > 0.0 else -math.inf, LOG_FLOOR)"):
        "eager only (see above): a number for the eager graph's straight line",
    ("losses.py", "binary_cross_entropy_with_logits", "z.data >= 0.0"):
        "eager only: while trace records, the branch-free _with_logits_recorded returns first",
    ("train.py", "_decide", "out.data > threshold"):
        "predict and accuracy refuse while trace records, before they get here",
    ("train.py", "_decide", "max(range(len(scores)), key=scores.__getitem__)"):
        "predict and accuracy refuse while trace records, before they get here",
    ("view/grade.py", "_slip",
     "abs(other.data) != 1 and other.data != s.local and near(y, e - c + u * other.data)"):
        "the grader names a learner's slip from the graph's numbers: a view, records nothing",
    ("view/grade.py", "_slip", "consumer.data != u and near(y, e - c + consumer.data * s.local)"):
        "the grader names a learner's slip from the graph's numbers: a view, records nothing",
    ("view/grade.py", "_slip", "near(y, v.data) and v.data != e"):
        "the grader names a learner's slip from the graph's numbers: a view, records nothing",
    ("view/practice.py", "_network", "w[0].data * x1.data + w[1].data * x2.data + b.data > 0"):
        "an exercise picks friendly numbers before its graph is built: never traced",
}

DECIDING_CALLS = {"max", "min", "sorted", "bool"}


def decisions_on_data(source: str) -> list[tuple[str, str]]:
    """(function, decision) for every decision in ``source`` that reads ``.data``."""
    found: list[tuple[str, str]] = []

    def walk(node: ast.AST, qualname: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = [*qualname, child.name]
                found.extend((".".join(name), d) for d in _decisions(child))
                walk(child, name)
            elif isinstance(child, ast.ClassDef):
                walk(child, [*qualname, child.name])
            else:
                walk(child, qualname)

    tree = ast.parse(source)
    walk(tree, [])
    found.extend(("<module>", d) for d in _decisions(tree, top=True))
    return found


def _own_nodes(fn: ast.AST, top: bool = False):
    """The nodes of fn's own body, not of the functions and classes defined inside it."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _reads_data(node: ast.AST, tainted: set[str]) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.JoinedStr):  # formatting a number for a message decides nothing
            continue
        if isinstance(n, ast.Attribute) and n.attr == "data":
            return True
        if isinstance(n, ast.Name) and n.id in tainted:
            return True
        stack.extend(ast.iter_child_nodes(n))
    return False


def _decisions(fn: ast.AST, top: bool = False) -> list[str]:
    nodes = list(_own_nodes(fn))
    # local names assigned from .data (xd = x.data), and from those by arithmetic (not through
    # a call, whose result may be anything: out = f(*leaves) is a Value, not a number)
    tainted: set[str] = set()
    while True:
        before = len(tainted)
        for n in nodes:
            if not isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or n.value is None:
                continue
            calls = any(isinstance(m, ast.Call) for m in ast.walk(n.value))
            if _reads_data(n.value, set() if calls else tainted):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                for t in targets:
                    names = [t] if isinstance(t, ast.Name) else \
                        [e for e in getattr(t, "elts", []) if isinstance(e, ast.Name)]
                    tainted.update(e.id for e in names)
        if len(tainted) == before:
            break
    candidates = []
    for n in nodes:
        if isinstance(n, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            candidates.append(n.test)
        elif isinstance(n, ast.comprehension):
            candidates.extend(n.ifs)
        elif isinstance(n, ast.Compare):
            candidates.append(n)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                and n.func.id in DECIDING_CALLS:
            candidates.append(n)
    hits = list({id(c): c for c in candidates if _reads_data(c, tainted)}.values())
    inner = {id(m) for h in hits for m in ast.walk(h) if m is not h}
    return [ast.unparse(h) for h in hits if id(h) not in inner]


def package_decisions() -> set[tuple[str, str, str]]:
    out = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        for function, decision in decisions_on_data(path.read_text(encoding="utf-8")):
            out.add((module, function, decision))
    return out


def test_every_decision_on_data_in_the_package_is_reviewed():
    """README: a static graph never silently freezes a branch; microgrid's own code included."""
    unreviewed = sorted(package_decisions() - set(REVIEWED))
    assert not unreviewed, (
        "a decision read from .data, which trace would record once and replay for every input: "
        "make it a recorded op, refuse it while tracing, or add it to REVIEWED with the reason "
        f"it can't run while trace records: {unreviewed}")


def test_every_reviewed_entry_has_a_reason():
    assert all(isinstance(r, str) and len(r) > 10 for r in REVIEWED.values())


def test_the_walk_finds_the_branches_that_froze_the_losses():
    # the code of binary_cross_entropy_with_logits and _neg_log before they were recorded
    old = '''
def binary_cross_entropy_with_logits(z, y):
    if z.data >= 0.0:
        return z
    return -z

def _neg_log(p):
    if not p.data < GRAD_EPS:
        return -p.log()
    d = p.data
    value = -max(math.log(d), LOG_FLOOR)
    return [q for q in p.inputs if d > 0]
'''
    found = decisions_on_data(old)
    assert ("binary_cross_entropy_with_logits", "z.data >= 0.0") in found
    assert ("_neg_log", "not p.data < GRAD_EPS") in found
    assert ("_neg_log", "max(math.log(d), LOG_FLOOR)") in found  # through a local
    assert ("_neg_log", "d > 0") in found
    # and the package test fails on a new one, until it is reviewed
    assert decisions_on_data("def f(z):\n    return 1 if z.data > 0 else 0\n") == [
        ("f", "z.data > 0")]
    assert ("losses.py", "f", "z.data > 0") not in REVIEWED


def test_formatting_a_number_is_not_a_decision():
    source = 'def f(v):\n    text = f"data={v.data:.4g}"\n    if text:\n        return text\n'
    assert decisions_on_data(source) == []
    assert decisions_on_data(source.replace(":.4g", " > 0")) == [("f", "v.data > 0")]


# --- the losses under trace: the eager answer for every later input -------------------------


def _eager(fn, *args):
    vs = [Value(a) for a in args]
    out = fn(*vs)
    return out.data, mg.grad(out, vs)


def _same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def test_logits_loss_recorded_at_1_and_replayed_at_minus_800_is_eager():
    """README: a static graph never silently freezes a branch (recorded at z = 1, replayed at
    z = −800, the loss was inf and the gradients nan)."""
    def loss(w, b, x):
        return losses.binary_cross_entropy_with_logits(w * x + b, 0.0)

    f = mg.trace(loss)
    f(1.0, 0.0, 1.0)  # recorded at z = 1
    for x in (-800.0, -30.0, 0.0, 1e-300, 30.0, 800.0):
        value, grads = f.value_and_grad(1.0, 0.0, x)
        want, want_grads = _eager(loss, 1.0, 0.0, x)
        assert math.isfinite(value) and value == pytest.approx(want, rel=1e-15, abs=0)
        assert list(grads) == pytest.approx(want_grads, rel=1e-15, abs=0)
    value, (dw, db, dx) = f.value_and_grad(1.0, 0.0, -800.0)
    assert value == 0.0 and dw == 0.0 and db == 0.0 and dx == 0.0


def test_probability_loss_recorded_unsaturated_replays_a_saturated_sigmoid_as_eager():
    """README: a static graph never silently freezes a branch (σ(−30) is below 1e-12: the
    replay's gradient was about 10× eager's)."""
    def loss(w, x):
        return losses.binary_cross_entropy(mg.sigmoid(w * x), 1.0)

    f = mg.trace(loss)
    f(1.0, 1.0)
    for x in (-30.0, -60.0, -800.0, 0.0, 2.0, 800.0, 30.0):
        value, grads = f.value_and_grad(1.0, x)
        want, want_grads = _eager(loss, 1.0, x)
        assert _same(value, want), x
        assert all(_same(g, h) for g, h in zip(grads, want_grads)), (x, grads, want_grads)


def test_label_of_0_traced_through_both_ends():
    def loss(w, x):
        return losses.binary_cross_entropy(mg.sigmoid(w * x), 0.0)

    f = mg.trace(loss)
    f(1.0, 1.0)
    for x in (30.0, 800.0, -800.0, 0.5):
        value, grads = f.value_and_grad(1.0, x)
        want, want_grads = _eager(loss, 1.0, x)
        assert _same(value, want) and list(grads) == want_grads, x


@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "binary_cross_entropy"])
def test_a_traced_label_works_per_sample(name):
    """README: pass what should vary as arguments (a label passed as a traced argument was
    refused with advice to use y.data, which froze the first sample's label)."""
    np = pytest.importorskip("numpy")
    fn = getattr(losses, name)
    squash = (lambda z: z) if "logits" in name else mg.sigmoid

    def loss(w, x, y):
        return fn(squash(w * x), y)

    f = mg.trace(loss)
    for x, y in [(0.5, 1.0), (0.5, 0.0), (-3.0, 0.25), (2.0, 1.0), (-800.0, 0.0)]:
        value, grads = f.value_and_grad(1.5, x, y)
        want, want_grads = _eager(loss, 1.5, x, y)
        assert value == pytest.approx(want, rel=1e-12), (x, y)
        assert list(grads) == pytest.approx(want_grads, rel=1e-12, abs=1e-300), (x, y)
    xs, ys = np.array([0.5, 0.5, -3.0]), np.array([1.0, 0.0, 0.25])
    batched = mg.trace(loss, batch=["x", "y"])
    per_sample = batched(1.5, xs, ys)
    assert list(per_sample) == pytest.approx([_eager(loss, 1.5, x, y)[0]
                                              for x, y in zip(xs, ys)], rel=1e-12)


def test_traced_logits_loss_against_pytorch_at_0_and_far_out():
    """dL/dz = σ(z) − y, PyTorch's BCEWithLogits gradient, also at exactly z = 0."""
    torch = pytest.importorskip("torch")
    f = mg.trace(lambda z, y: losses.binary_cross_entropy_with_logits(z, y))
    f(1.0, 0.0)
    for z, y in [(0.0, 0.0), (0.0, 1.0), (0.0, 0.3), (-800.0, 0.0), (-800.0, 1.0),
                 (800.0, 0.5), (-30.0, 1.0), (3.0, 0.7)]:
        value, (dz, dy) = f.value_and_grad(z, y)
        t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        u = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.binary_cross_entropy_with_logits(t, u)
        out.backward()
        assert value == pytest.approx(out.item(), rel=1e-12, abs=1e-300), (z, y)
        assert dz == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300), (z, y)
        assert dy == pytest.approx(u.grad.item(), rel=1e-12, abs=1e-300), (z, y)


@pytest.mark.parametrize("call", [
    lambda m, w: train.accuracy(m, [[w]], [1]),
    lambda m, w: train.predict(m, [[w]])[0] * w,
])
def test_predict_and_accuracy_refuse_while_trace_records(call):
    """README: a static graph never silently freezes a branch (the class each sample gets is
    decided from a number)."""
    model = nn.LogisticRegression(1)
    f = mg.trace(lambda w: call(model, w))
    with pytest.raises(TypeError, match="which a static graph can't record: call it outside"):
        f(1.0)


def test_fit_refuses_while_trace_records():
    model = nn.LogisticRegression(1)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)

    def f(w):
        train.fit(model, [[1.0]], [1], losses.binary_cross_entropy, opt, epochs=1,
                  progress=False)
        return w

    with pytest.raises(TypeError, match=r"fit\(\) trains step by step.*f.value_and_grad"):
        mg.trace(f)(1.0)


_TRACED_LOGITS = mg.trace(lambda z, y: losses.binary_cross_entropy_with_logits(z, y))
_TRACED_PROBABILITY = mg.trace(lambda z, y: losses.binary_cross_entropy(mg.sigmoid(z), y))


@settings(max_examples=300, deadline=None)
@given(z=st.floats(-800, 800), y=st.sampled_from([0.0, 1.0, 0.25, 0.5, 0.9]))
def test_the_recorded_forms_give_the_eager_numbers_everywhere(z, y):
    """Eagerly the loss builds one form for the sign of z (or for p above 1e-12); traced, one
    recorded graph serves every z. Both give the same loss and gradients."""
    for traced, loss in [(_TRACED_LOGITS, losses.binary_cross_entropy_with_logits),
                         (_TRACED_PROBABILITY,
                          lambda z, y: losses.binary_cross_entropy(z.sigmoid(), y))]:
        value, grads = traced.value_and_grad(z, y)
        want, want_grads = _eager(loss, z, y)
        assert value == pytest.approx(want, rel=1e-12, abs=1e-300), (z, y)
        # the recorded form adds terms of size about 1 (max(z, 0) and −y·z): where they cancel
        # to a tiny dz = σ(z) − y, the sum is exact to one rounding of 1 (2^-52), not relative
        assert list(grads) == pytest.approx(want_grads, rel=1e-9, abs=2**-52), (z, y)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_an_optimizer_step_refuses_while_trace_records(optimizer):
    """README: a static graph never silently freezes a branch (a step inside a traced function
    ran once, at recording, and never in a replay)."""
    w = Value(1.0)
    opt = getattr(mg.optim, optimizer)([w], lr=0.1)

    def f(x):
        opt.step()
        return x * 2.0

    with pytest.raises(TypeError, match=r"optimizer.step\(\) changes the parameters' .data"):
        mg.trace(f)(1.0)
    opt.step()  # outside, as ever


def test_every_reviewed_decision_is_still_in_the_package():
    """A reviewed entry whose code is gone would let a new decision of the same text slip in
    unreviewed: the list holds what the package has, no more."""
    stale = sorted(set(REVIEWED) - package_decisions())
    assert not stale, f"REVIEWED names decisions the package no longer has: {stale}"


@pytest.mark.parametrize("differentiate", [
    lambda y, w: mg.grad(y, w),
    lambda y, w: (y.backward(), w.grad)[1],
])
def test_a_float_derivative_inside_a_traced_function_is_refused(differentiate):
    """README, static graphs: a static graph never silently freezes a number of its first call.
    grad() without create_graph (and backward()) inside the function would give w = 5's
    derivative to every later call: trace(lambda w: grad(w*w, w) * w)(5) was 50, replayed at
    w = 3 as 30 instead of 18. Refused in one line naming create_graph=True."""
    def f(w):
        return differentiate(w * w, w) * w

    with pytest.raises(TypeError, match="create_graph=True"):
        mg.trace(f)(5.0)


def test_a_recorded_derivative_inside_a_traced_function_replays_per_call():
    """The way the refusal names works: the derivative is recorded and follows w."""
    f = mg.trace(lambda w: mg.grad(w * w, w, create_graph=True) * w)
    assert f(5.0) == 50.0 and f(3.0) == 18.0
