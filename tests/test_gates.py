"""Derivative graphs mask exactly where the float backward does.

Where PyTorch passes no gradient at all (an inactive ReLU, pow's base at a zero exponent) the
float backward adds nothing, so an inf or nan from above gives 0, not 0·inf = nan. The graphs
that ``grad(create_graph=True)`` builds, and therefore ``trace``'s generated code on floats and
on NumPy batches, must give the same numbers there, and stay differentiable: each masked term
is wrapped in the ``gate`` op, which tests its number every time the graph runs.
"""

import itertools
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgrid as mg
from microgrid import OPS, Value
from microgrid.engine import ops as O

SINGULAR = [-math.inf, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, math.inf, math.nan]
UPSTREAM = [1.0, -1.5, 0.0, math.inf, -math.inf, math.nan]
BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y, "gate": O.gate}


def program(op):
    """c · op(x[, y]): the op under an upstream gradient c (inf and nan included)."""
    fn = BINARY.get(op.name) or (lambda x: -x if op.name == "neg" else getattr(O, op.name)(x))
    if op.arity == 1:
        return lambda x, c: c * fn(x)
    return lambda x, y, c: c * fn(x, y)


def points(op):
    return list(itertools.product(*[SINGULAR] * op.arity, UPSTREAM))


def bits(a):
    """The float's bits, every nan alike: 'bit for bit' with nan as one value."""
    return "nan" if a != a else struct.pack("<d", a)


def same_number(a, b):
    """Equal, nan with nan, and a zero of either sign with a zero (the float backward sums
    from 0.0, so its first term -0.0 reads 0.0; the derivative graph keeps the term as is)."""
    return bits(a) == bits(b) or (a == 0 and b == 0)


def eager(fn, args):
    xs = [Value(a) for a in args]
    return mg.grad(fn(*xs), xs)


@pytest.mark.parametrize("name", sorted(OPS))
def test_create_graph_at_the_corners_equals_backward(name):
    op = OPS[name]
    fn = program(op)
    for args in points(op):
        xs = [Value(a) for a in args]
        out = fn(*xs)
        floats = mg.grad(out, xs)
        graph = mg.grad(out, xs, create_graph=True)
        out.backward()
        for i, (f, g, x) in enumerate(zip(floats, graph, xs)):
            assert same_number(g.data, f) and same_number(x.grad, f), (name, args, i, g, f)


def test_the_corners_the_issue_names():
    x = Value(-1.0)
    y = x.relu() ** 0.5  # relu off, and (0 ** 0.5)' = inf from above
    assert mg.grad(y, x) == 0.0 and mg.grad(y, x, create_graph=True).data == 0.0
    a, b = Value(0.0), Value(0.0)
    assert [g.data for g in mg.grad(a ** b, [a, b], create_graph=True)] == [0.0, 0.0]
    a, b = Value(0.0), Value(2.0)
    assert [g.data for g in mg.grad(a ** b, [a, b], create_graph=True)] == [0.0, 0.0]
    a, b = Value(0.0), Value(-1.0)  # 0 ** y for y < 0: no mask, ∂/∂y = inf·(−inf) = −inf
    assert mg.grad(a ** b, b, create_graph=True).data == -math.inf == mg.grad(a ** b, b)


def test_the_mask_is_tested_when_the_graph_runs_not_when_it_is_recorded():
    f = mg.trace(lambda x, c: c * mg.relu(x))
    assert f.value_and_grad(2.0, math.inf) == (math.inf, (math.inf, 2.0))  # recorded: relu on
    assert f.value_and_grad(-2.0, math.inf)[1] == (0.0, 0.0)  # replayed: relu off, masked
    assert "gate(" in f.source


@pytest.mark.parametrize("name", sorted(OPS))
def test_a_traced_op_at_the_corners_equals_eager(name):
    np = pytest.importorskip("numpy")
    op = OPS[name]
    fn = program(op)
    f = mg.trace(fn)
    f(*[0.7] * (op.arity + 1))  # recorded at an ordinary point, replayed at the corners
    pts = points(op)
    for args in pts:
        want = eager(fn, args)
        _, got = f.value_and_grad(*args)
        assert all(map(same_number, got, want)), (name, args, got, want)
    fb = mg.trace(fn, batch=list(range(op.arity + 1)))  # every argument: one sample per row
    fb(*[np.array([0.7])] * (op.arity + 1))  # recorded at the same ordinary point
    cols = [np.array(c) for c in zip(*pts)]
    _, per_sample = fb.value_and_grad(*cols, reduce="sum")
    for k, args in enumerate(pts):
        want = eager(fn, args)
        got = [float(g[k]) for g in per_sample]
        assert all(map(same_number, got, want)), (name, args, got, want)


def test_a_relu_network_on_a_batch_with_an_infinite_sample_equals_eager():
    np = pytest.importorskip("numpy")

    def net(w, b, x):
        return mg.relu(w * x + b) ** 0.5  # (√0)' = inf where the unit is off

    f = mg.trace(net, batch=["x"])
    f(0.5, 0.1, np.array([1.0]))  # recorded with the unit on
    xs = np.array([2.0, -3.0, 0.5, -1.0])
    _, (dw, db, dx) = f.value_and_grad(0.5, 0.1, xs, reduce="sum")
    want = [eager(lambda w, b, x, x0=x0: net(w, b, x), (0.5, 0.1, x0)) for x0 in xs]
    assert dw == pytest.approx(sum(g[0] for g in want), rel=1e-15)
    assert db == pytest.approx(sum(g[1] for g in want), rel=1e-15)
    assert not math.isnan(dw) and not math.isnan(db)
    assert list(dx) == [g[2] for g in want]


def test_gate_passes_nan_and_inf_where_the_test_is_not_zero_and_nothing_where_it_is():
    assert O.gate(math.nan, 2.0) != O.gate(math.nan, 2.0)  # nan passes
    assert O.gate(math.inf, math.nan) == math.inf  # a nan test is not 0
    assert O.gate(math.nan, 0.0) == 0.0 and O.gate(math.inf, -0.0) == 0.0
    v, t = Value(math.inf), Value(0.0)
    assert v.gate(t).data == 0.0
    out = v.gate(t) * math.inf  # an infinite gradient from above meets the gate's 0
    assert mg.grad(out, [v, t]) == [0.0, 0.0]
    assert [g.data for g in mg.grad(out, [v, t], create_graph=True)] == [0.0, 0.0]


# --- second derivatives, away from the corners -----------------------------------------------

smooth = st.floats(0.3, 2.5)


def numeric(f, a, eps=1e-5):
    return (f(a + eps) - f(a - eps)) / (2 * eps)


@settings(max_examples=60, deadline=None)
@given(smooth, smooth, st.sampled_from([-1.0, 1.0]))
def test_second_derivatives_through_gates_match_finite_differences(a, b, sign):
    def first(x0, y0):
        x, y = Value(x0), Value(y0)
        return mg.grad(mg.relu(sign * x * y) ** 1.5 + x ** y, [x, y], create_graph=True)

    x, y = Value(a), Value(b)
    dx, dy = mg.grad(mg.relu(sign * x * y) ** 1.5 + x ** y, [x, y], create_graph=True)
    dxx, dxy = mg.grad(dx, [x, y])
    _, dyy = mg.grad(dy, [x, y])
    assert dxx == pytest.approx(numeric(lambda t: first(t, b)[0].data, a), rel=1e-4, abs=1e-6)
    assert dxy == pytest.approx(numeric(lambda t: first(a, t)[0].data, b), rel=1e-4, abs=1e-6)
    assert dyy == pytest.approx(numeric(lambda t: first(a, t)[1].data, b), rel=1e-4, abs=1e-6)


def test_third_derivative_of_a_traced_gradient():
    f = mg.trace(lambda x: x ** 4.0 + mg.relu(x) * x)
    assert f.value_and_grad(2.0) == (20.0, (36.0,))
    x = Value(2.0)
    d1 = mg.grad(x ** 4.0 + mg.relu(x) * x, x, create_graph=True)
    d2 = mg.grad(d1, x, create_graph=True)
    assert (d1.data, d2.data, mg.grad(d2, x)) == (36.0, 50.0, 48.0)


def test_every_gate_names_a_number_the_op_has():
    for name, op in OPS.items():
        if op.gates is None:
            assert op.masks is None
            continue
        assert len(op.gates) == op.arity, name
        for gate in op.gates:
            assert gate in (None, "always", "out", "x") or (gate == "y" and op.arity == 2), name
    with pytest.raises(ValueError, match="a gate is None, 'always'"):
        O.Op("bad", symbol="b", forward=abs, grads=lambda x, out: (1.0,), code="b({x})",
             array=lambda np, x: x, rule=("1",), operands=("x",), torch="{x}", jax="{x}",
             gates=("z",))
