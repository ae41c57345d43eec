"""Every entry of the op table, and random graphs built from them, against finite differences.

These tests read ``OPS`` itself, so a new op is checked the moment it is added.
"""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgrid as mg
from microgrid import OPS, Value, grad, gradcheck

# points inside each op's domain where it is smooth
POINTS = {1: [-1.3, -0.4, 0.6, 2.2], 2: [(0.7, 1.9), (1.6, -0.8), (2.5, 0.5)]}
SMOOTH_ONLY_AWAY_FROM = {"relu": 0.0, "step": 0.0}
POSITIVE_X = {"log", "pow"}


def op_points(op):
    for p in POINTS[op.arity]:
        args = p if isinstance(p, tuple) else (p,)
        if op.name in POSITIVE_X and args[0] <= 0:
            continue
        yield args


def apply(op, *args):
    """Apply an OPS entry to Values through the public operators and methods."""
    method = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__",
              "pow": "__pow__", "neg": "__neg__"}.get(op.name, op.name)
    return getattr(args[0], method)(*args[1:])


def test_every_op_is_complete():
    for name, op in OPS.items():
        assert op.name == name and op.symbol and op.arity in (1, 2)
        assert "{x}" in op.code and ("{y}" in op.code) == (op.arity == 2)
        assert callable(op.forward) and callable(op.grads) and callable(op.array)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_forward_through_values_matches_its_rule(name):
    op = OPS[name]
    for args in op_points(op):
        out = apply(op, *[Value(a) for a in args])
        assert out.op == name and out.data == op.forward(*args)


# stop_gradient passes its number and, by definition, no gradient (PyTorch's detach)
DERIVATIVES = sorted(set(OPS) - {"stop_gradient"})


def test_stop_gradient_passes_the_number_and_no_gradient():
    x = Value(3.0)
    y = x * mg.stop_gradient(x * 2.0)  # d/dx = stop(2x) = 6, not 4x = 12
    assert y.data == 18.0 and mg.grad(y, x) == 6.0 and mg.grad(y, x, create_graph=True).data == 6.0
    assert x.detach().op == "stop_gradient" and mg.stop_gradient(2) == 2.0


@pytest.mark.parametrize("name", DERIVATIVES)
def test_op_local_derivatives_match_finite_differences(name):
    op = OPS[name]
    for args in op_points(op):
        analytic = op.grads(*args, op.forward(*args))
        for i in range(op.arity):
            eps = 1e-6
            up = list(args)
            down = list(args)
            up[i] += eps
            down[i] -= eps
            numeric = (op.forward(*up) - op.forward(*down)) / (2 * eps)
            assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (name, args, i)


@pytest.mark.parametrize("name", DERIVATIVES)
def test_op_second_derivatives_match_finite_differences_of_first(name):
    op = OPS[name]
    for args in op_points(op):
        for i in range(op.arity):
            xs = [Value(a) for a in args]
            d1 = grad(apply(op, *xs), xs[i], create_graph=True)
            d2 = grad(d1, xs[i])

            def first(a, args=args, i=i):
                ys = [Value(v) for v in args]
                ys[i] = Value(a)
                return grad(apply(op, *ys), ys[i])

            eps = 1e-5
            numeric = (first(args[i] + eps) - first(args[i] - eps)) / (2 * eps)
            assert d2 == pytest.approx(numeric, rel=1e-4, abs=1e-5), (name, args, i)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_array_forward_matches_float_forward(name):
    np = pytest.importorskip("numpy")
    op = OPS[name]
    pts = list(op_points(op)) + ([(0.0,), (math.inf,), (-math.inf,), (math.nan,)]
                                 if op.arity == 1 else [(0.0, 0.0), (1.0, 0.0), (-8.0, 1 / 3)])
    cols = [np.array([p[i] for p in pts]) for i in range(op.arity)]
    with np.errstate(all="ignore"):
        got = op.array(np, *cols)
    want = [op.forward(*p) for p in pts]
    assert np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)


# --- random expression graphs ------------------------------------------------------------------

UNARY = ["exp", "log", "sigmoid", "tanh", "relu", "neg"]
BINARY = ["add", "sub", "mul", "div", "pow"]


def build_program(seed, xs0, length):
    """A random straight-line program over the inputs, with each op kept inside its domain.

    The choices depend on the starting values only, so the program is fixed afterwards and can
    be replayed at nudged inputs by gradcheck.
    """
    rng = random.Random(seed)
    pool = [Value(x) for x in xs0]
    program = []
    for _ in range(length):
        if rng.random() < 0.4:
            name = rng.choice(UNARY)
            i = rng.randrange(len(pool))
            x = pool[i].data
            ok = {"exp": x < 5, "log": x > 0.2, "relu": abs(x) > 0.05}.get(name, True)
            if ok:
                program.append((name, i, None))
                pool.append(apply(OPS[name], pool[i]))
        else:
            name = rng.choice(BINARY)
            i, j = rng.randrange(len(pool)), rng.randrange(len(pool))
            x, y = pool[i].data, pool[j].data
            ok = {"div": abs(y) > 0.2, "pow": 0.2 < x < 5 and abs(y) < 3}.get(name, True)
            if ok and abs(x) < 1e3 and abs(y) < 1e3:
                program.append((name, i, j))
                pool.append(apply(OPS[name], pool[i], pool[j]))
    return program


def run_program(program, xs):
    pool = list(xs)
    for name, i, j in program:
        args = (pool[i],) if j is None else (pool[i], pool[j])
        pool.append(apply(OPS[name], *args))
    # mix every intermediate into the output so that every node matters
    out = pool[len(xs)] if len(pool) > len(xs) else pool[0] * 1.0
    for v in pool[len(xs) + 1:]:
        out = out + 0.1 * v
    return out


inputs = st.lists(st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 0.05), min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(xs0=inputs, seed=st.integers(0, 10**6), length=st.integers(1, 12))
def test_random_graphs_against_finite_differences(xs0, seed, length):
    program = build_program(seed, xs0, length)
    out = run_program(program, [Value(x) for x in xs0])
    if not math.isfinite(out.data) or abs(out.data) > 1e6:
        return
    assert gradcheck(lambda *xs: run_program(program, xs), *xs0, eps=1e-6, atol=1e-4, rtol=1e-3)


@settings(max_examples=60, deadline=None)
@given(xs0=inputs, seed=st.integers(0, 10**6), length=st.integers(1, 10))
def test_random_graphs_backward_equals_grad_and_create_graph(xs0, seed, length):
    program = build_program(seed, xs0, length)
    xs = [Value(x) for x in xs0]
    out = run_program(program, xs)
    out.backward()
    via_grad = grad(out, xs)
    via_graph = [g.data for g in grad(out, xs, create_graph=True)]
    for x, g1, g2 in zip(xs, via_grad, via_graph):
        assert x.grad == g1
        assert g2 == pytest.approx(g1, rel=1e-12, abs=1e-12, nan_ok=True)


@settings(max_examples=80, deadline=None)
@given(xs0=inputs, seed=st.integers(0, 10**6), length=st.integers(1, 12))
def test_random_graphs_against_pytorch(xs0, seed, length):
    torch = pytest.importorskip("torch")
    program = build_program(seed, xs0, length)
    xs = [Value(x) for x in xs0]
    out = run_program(program, xs)
    out.backward()

    def torch_apply(name, *args):
        if name in ("relu", "sigmoid", "tanh", "exp", "log"):
            return getattr(torch, name)(*args)
        return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                "pow": torch.pow, "neg": torch.neg}[name](*args)

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs0]
    pool = list(ts)
    for name, i, j in program:
        pool.append(torch_apply(name, *((pool[i],) if j is None else (pool[i], pool[j]))))
    tout = pool[len(ts)] if len(pool) > len(ts) else pool[0] * 1.0
    for v in pool[len(ts) + 1:]:
        tout = tout + 0.1 * v
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, nan_ok=True)
    for x, t in zip(xs, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert x.grad == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True)


def test_functions_of_numbers_are_ieee_floats():
    assert mg.exp(-math.inf) == 0.0 and mg.log(math.inf) == math.inf
    assert mg.sigmoid(math.inf) == 1.0 and mg.sigmoid(-math.inf) == 0.0
    assert mg.relu(-3) == 0.0 and mg.tanh(-math.inf) == -1.0
