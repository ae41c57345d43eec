"""The engine against the course's own numbers, known derivatives and IEEE edge cases."""

import math

import pytest

import microgrid as mg
from microgrid import GradcheckError, Value, grad, gradcheck, no_grad


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --- the course's graphs ---------------------------------------------------------------------


def course_graph():
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    v = a + u
    J = 3 * v
    return a, b, c, u, v, J


def test_course_graph_forward_and_backward():
    a, b, c, u, v, J = course_graph()
    assert (u.data, v.data, J.data) == (6.0, 11.0, 33.0)
    J.backward()
    assert (a.grad, b.grad, c.grad, u.grad, v.grad, J.grad) == (3.0, 6.0, 9.0, 3.0, 3.0, 1.0)


def test_course_bump_check():
    # nudging a by 0.001 moves J from 33 to 33.003; b by 0.001 gives 33.006
    def J(a, b, c):
        return 3 * (a + b * c)

    assert close(J(Value(5.001), Value(3.0), Value(2.0)).data, 33.003, 1e-9)
    assert close(J(Value(5.0), Value(3.001), Value(2.0)).data, 33.006, 1e-9)
    assert gradcheck(J, 5.0, 3.0, 2.0)


def test_chain_rule_listing():
    # u = a*b, v = a*b + c, J = 2*(v + b) at a=1, b=2, c=3
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    u = a * b
    v = a * b + c
    J = 2 * (v + b)
    J.backward()
    assert J.data == 14.0
    assert (a.grad, b.grad, c.grad) == (4.0, 4.0, 2.0)
    assert u.grad == 0.0  # u is not below J


def test_logistic_regression_one_sample():
    w1, w2, b = Value(0.3), Value(-0.2), Value(0.1)
    x1, x2, y = 1.5, -2.0, 1.0
    a = (w1 * x1 + w2 * x2 + b).sigmoid()
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.backward()
    dz = a.data - y
    assert close(w1.grad, x1 * dz) and close(w2.grad, x2 * dz) and close(b.grad, dz)
    z = 0.3 * 1.5 + -0.2 * -2.0 + 0.1
    assert close(a.data, 1 / (1 + math.exp(-z)))


@pytest.mark.parametrize("y", [0.0, 1.0])
def test_logistic_dL_da(y):
    a = Value(0.37)
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    L.backward()
    assert close(a.grad, -y / 0.37 + (1 - y) / (1 - 0.37))


def test_logistic_regression_m_samples():
    import random

    rng = random.Random(1)
    m, n = 50, 3
    X = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(m)]
    Y = [float(rng.random() < 0.5) for _ in range(m)]
    w = [Value(rng.gauss(0, 0.5)) for _ in range(n)]
    b = Value(0.2)
    J = 0.0
    dw, db = [0.0] * n, 0.0
    for x, y in zip(X, Y):
        z = sum((wi * xi for wi, xi in zip(w, x)), b)
        a = z.sigmoid()
        J = J - (y * a.log() + (1 - y) * (1 - a).log())
        dz = a.data - y  # the course's loop: dw += x·dz, db += dz
        dw = [dwi + xi * dz for dwi, xi in zip(dw, x)]
        db += dz
    J = J / m
    J.backward()
    for wi, dwi in zip(w, dw):
        assert close(wi.grad, dwi / m, 1e-10)
    assert close(b.grad, db / m, 1e-10)


# --- Value ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("x, expected", [(3, 3.0), (2.5, 2.5), (True, 1.0), (False, 0.0),
                                         (-0.0, -0.0),
                                         pytest.param(10**400, math.inf, id="huge-int")])
def test_value_accepts_numbers(x, expected):
    v = Value(x)
    assert type(v.data) is float and v.data == expected and v.grad == 0.0


def test_value_accepts_numpy_scalars():
    np = pytest.importorskip("numpy")
    for x in (np.float64(1.5), np.float32(1.5), np.int64(3), np.int8(3), np.bool_(True)):
        assert type(Value(x).data) is float and Value(x).data == float(x)


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, [1.0], (1.0,), {}, object()])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_value_rejects_arrays_and_values():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match="ndarray"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        Value(Value(1.0))
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_value_attributes_and_repr():
    a, b, c, u, v, J = course_graph()
    J.label = "J"
    J.backward()
    assert repr(J) == "Value(data=33.0, grad=1.0, label='J')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert a.op == "" and a.inputs == ()
    assert u.op == "mul" and u.inputs == (b, c)
    assert J.op == "mul" and J.inputs == (3.0, v)
    with pytest.raises(AttributeError):
        J.inputs = ()
    with pytest.raises(AttributeError):
        J.extra = 1  # __slots__: no stray attributes


@pytest.mark.parametrize("expr, data, ga, gb", [
    (lambda a, b: a + b, 5.0, 1.0, 1.0),
    (lambda a, b: a - b, -1.0, 1.0, -1.0),
    (lambda a, b: a * b, 6.0, 3.0, 2.0),
    (lambda a, b: a / b, 2 / 3, 1 / 3, -2 / 9),
    (lambda a, b: a**b, 8.0, 12.0, 8 * math.log(2)),
    (lambda a, b: -a + b, 1.0, -1.0, 1.0),
])
def test_binary_ops_values(expr, data, ga, gb):
    a, b = Value(2.0), Value(3.0)
    out = expr(a, b)
    out.backward()
    assert close(out.data, data) and close(a.grad, ga) and close(b.grad, gb)


def test_numbers_on_either_side():
    a = Value(2.0)
    cases = [(a + 1, 3.0), (1 + a, 3.0), (a - 1, 1.0), (1 - a, -1.0), (a * 3, 6.0), (3 * a, 6.0),
             (a / 4, 0.5), (4 / a, 2.0), (a**3, 8.0), (3**a, 9.0), (a**0.5, math.sqrt(2))]
    for v, expected in cases:
        assert close(v.data, expected)
    g = grad(3**a, a)
    assert close(g, 9 * math.log(3))
    assert close(grad(4 / a, a), -1.0)


@pytest.mark.parametrize("bad", ["x", None, [1], 1j])
def test_unsupported_operands_raise_type_error(bad):
    a = Value(1.0)
    for op in (lambda: a + bad, lambda: bad + a, lambda: a * bad, lambda: a / bad,
               lambda: a**bad, lambda: bad - a):
        with pytest.raises(TypeError):
            op()


def test_unary_methods_and_functions_agree():
    for name, deriv in [("exp", math.exp), ("log", lambda x: 1 / x),
                        ("sigmoid", lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2),
                        ("tanh", lambda x: 1 - math.tanh(x) ** 2), ("relu", lambda x: 1.0)]:
        x = Value(0.7)
        y = getattr(x, name)()
        y.backward()
        assert close(x.grad, deriv(0.7))
        fn = getattr(mg, name)
        assert fn(Value(0.7)).data == y.data == fn(0.7)
        assert type(fn(0.7)) is float and type(fn(1)) is float
    with pytest.raises(TypeError, match="str"):
        mg.exp("1")


def test_div_and_power_functions_keep_numbers_as_operands():
    from microgrid.engine.ops import div, power

    v = Value(2.0)
    assert div(1.0, v).inputs == (1.0, v) and div(v, 4).inputs == (v, 4.0)
    assert power(3.0, v).inputs == (3.0, v) and power(v, v).inputs == (v, v)
    assert div(1.0, 0.0) == math.inf and type(power(2, 3)) is float


def test_comparisons_and_truth_are_refused_clearly():
    a = Value(1.0)
    with pytest.raises(TypeError, match=r"\.data"):
        a > 0  # noqa: B015
    with pytest.raises(TypeError, match=r"\.data"):
        bool(a)
    assert a == a and a != Value(1.0)  # identity: Values can key dicts
    assert len({a, Value(1.0)}) == 2


# --- IEEE numerics --------------------------------------------------------------------------


def test_ieee_forward():
    assert mg.exp(1000) == math.inf and mg.exp(Value(1000)).data == math.inf
    assert mg.log(0) == -math.inf and math.isnan(mg.log(-1))
    assert (Value(1.0) / 0).data == math.inf and (Value(-1.0) / 0).data == -math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert (1 / Value(-0.0)).data == -math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(0.0) ** -1).data == math.inf
    assert (Value(-0.0) ** -1).data == -math.inf
    assert (Value(10.0) ** 1000).data == math.inf
    assert (Value(-10.0) ** 1001).data == -math.inf
    assert (9 ** Value(9.0) ** 9.0 ** 9.0).data == math.inf
    assert math.isnan(mg.relu(math.nan)) and math.isnan(mg.sigmoid(math.nan))
    assert mg.tanh(1e6) == 1.0


@pytest.mark.parametrize("z, expected", [(1000.0, 1.0), (-1000.0, 0.0)])
def test_sigmoid_saturates_exactly_with_zero_gradient(z, expected):
    x = Value(z)
    s = x.sigmoid()
    s.backward()
    assert s.data == expected and x.grad == 0.0


def test_sigmoid_small_outputs_keep_precision():
    assert close(mg.sigmoid(-40.0), math.exp(-40.0) / (1 + math.exp(-40.0)))
    assert mg.log(mg.sigmoid(-700.0)) == pytest.approx(-700.0)


def test_relu_derivative_at_zero_is_zero():
    for x0, g in [(0.0, 0.0), (-1.0, 0.0), (2.0, 1.0)]:
        x = Value(x0)
        x.relu().backward()
        assert x.grad == g


def test_ieee_gradients():
    x = Value(0.0)
    x.log().backward()
    assert x.grad == math.inf
    x = Value(1.0)
    y = Value(0.0)
    (x / y).backward()
    assert x.grad == math.inf and y.grad == -math.inf  # d(x/y)/dy = -x/y² at 1/0
    x = Value(1000.0)
    x.exp().backward()
    assert x.grad == math.inf


# --- the backward pass ------------------------------------------------------------------------


def test_backward_twice_gives_exactly_twice():
    a, b, c, u, v, J = course_graph()
    J.backward()
    first = [n.grad for n in (a, b, c, u, v, J)]
    J.backward()
    assert [n.grad for n in (a, b, c, u, v, J)] == [2 * g for g in first]


def test_reused_nodes_are_exact():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad) == (4.0, 2.0)
    a = Value(2.0)
    d = a * a * a + a
    d.backward()
    assert a.grad == 13.0


def test_backward_seed_and_its_errors():
    a = Value(2.0)
    (a * a).backward(0.5)
    assert a.grad == 2.0
    with pytest.raises(TypeError, match="str"):
        (a * a).backward("1")


def test_zero_grad_zeroes_every_node_below():
    a, b, c, u, v, J = course_graph()
    J.backward()
    J.zero_grad()
    assert all(n.grad == 0.0 for n in (a, b, c, u, v, J))


def test_long_chain_is_iterative():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    assert len(mg.topological_order(y)) == 1_000_001


def test_sum_of_many_values():
    vs = [Value(float(i)) for i in range(200_000)]
    s = sum(vs)
    s.backward()
    assert s.data == sum(range(200_000)) and all(v.grad == 1.0 for v in vs[::997])


def test_topological_order_puts_inputs_first():
    a, b, c, u, v, J = course_graph()
    order = mg.topological_order(J)
    assert len(order) == len(set(order)) == 6
    pos = {n: i for i, n in enumerate(order)}
    for n in order:
        for x in n.inputs:
            if isinstance(x, Value):
                assert pos[x] < pos[n]
    assert order[-1] is J


# --- grad() and higher orders --------------------------------------------------------------------


def test_grad_leaves_dot_grad_alone():
    a, b, c, u, v, J = course_graph()
    unrelated = Value(1.0)
    assert grad(J, [c, a, unrelated, b]) == [9.0, 3.0, 0.0, 6.0]
    assert all(n.grad == 0.0 for n in (a, b, c, u, v, J))
    assert grad(J, a) == 3.0
    with pytest.raises(TypeError, match="input 1"):
        grad(J, [a, 2.0])


def test_sigmoid_higher_derivatives():
    x = Value(0.7)
    s = x.sigmoid()
    d1 = grad(s, x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    d3 = grad(d2, x)
    S = s.data
    assert close(d1.data, S * (1 - S))
    assert close(d2.data, S * (1 - S) * (1 - 2 * S))
    assert close(d3, S * (1 - S) * (1 - 6 * S + 6 * S * S), 1e-10)


@pytest.mark.parametrize("name, d2", [
    ("exp", math.exp), ("log", lambda x: -1 / x**2),
    ("tanh", lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)), ("relu", lambda x: 0.0)])
def test_second_derivatives(name, d2):
    x = Value(0.8)
    d1 = grad(getattr(x, name)(), x, create_graph=True)
    assert close(grad(d1, x), d2(0.8), 1e-10)


def test_second_derivative_of_pow_and_div():
    x, y = Value(1.7), Value(2.3)
    gx, gy = grad(x**y, [x, y], create_graph=True)
    assert close(grad(gx, x), y.data * (y.data - 1) * x.data ** (y.data - 2), 1e-10)
    assert close(grad(gy, y), x.data**y.data * math.log(x.data) ** 2, 1e-10)
    q = 1 / x
    assert close(grad(grad(q, x, create_graph=True), x), 2 / x.data**3, 1e-10)


def test_hessian_of_logistic_loss():
    # H = a(1-a) x̃ x̃ᵀ with x̃ = (x1, x2, 1): the Hessian of the logistic loss in (w1, w2, b)
    w1, w2, b = Value(0.3), Value(-0.2), Value(0.1)
    x1, x2, y = 1.5, -2.0, 1.0
    a = (w1 * x1 + w2 * x2 + b).sigmoid()
    L = -(y * a.log() + (1 - y) * (1 - a).log())
    params = [w1, w2, b]
    first = grad(L, params, create_graph=True)
    H = [grad(g, params) for g in first]
    xt = [x1, x2, 1.0]
    s = a.data * (1 - a.data)
    for i in range(3):
        for j in range(3):
            assert close(H[i][j], s * xt[i] * xt[j], 1e-10)


def test_create_graph_results_are_values_even_when_constant():
    x = Value(2.0)
    unrelated = Value(5.0)
    g1, g2 = grad(x * 3, [x, unrelated], create_graph=True)
    assert isinstance(g1, Value) and g1.data == 3.0 and isinstance(g2, Value) and g2.data == 0.0


# --- no_grad --------------------------------------------------------------------------------------


def test_no_grad_context_and_decorator():
    w = Value(1.0)
    with no_grad():
        u = w * 2
        assert not mg.is_recording()
    assert mg.is_recording()
    assert u.op == "" and u.inputs == () and u.data == 2.0

    @no_grad()
    def update(v):
        return v - 0.1 * v

    assert update(w).inputs == ()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert mg.is_recording()
    with no_grad(), no_grad():
        pass
    assert mg.is_recording()


# --- how a node is made, and the recorder hook ----------------------------------------------


def slots(v):
    return {name: getattr(v, name) for name in Value.__slots__ if name != "_adj"}


def test_every_way_of_making_a_node_fills_it_alike():
    from microgrid.engine.value import _fill, _new

    a, b = Value(2.0), Value(3.0)
    nodes = [(a * b, "mul", a, b), (2.0 - a, "sub", 2.0, a), (a.exp(), "exp", a, None),
            (mg.tanh(a), "tanh", a, None)]
    for made, op, x, y in nodes:
        assert slots(made) == slots(_fill(_new(Value), made.data, mg.OPS[op], x, y))
    assert slots(Value(4.0)) == slots(_fill(_new(Value), 4.0, None, None, None))


def test_a_recorder_hears_of_comparisons_and_of_what_no_grad_computes():
    from microgrid.engine.value import recorder

    class Recorder:
        def __init__(self):
            self.heard = []

        def compared(self, value, other):
            self.heard.append(("compared", value, other))

        def unrecorded(self, node):
            self.heard.append(("unrecorded", node.op, node.inputs))
            return node  # kept in the graph

    rec, w = Recorder(), Value(2.0)
    token = recorder.set(rec)
    try:
        assert (w == 2.0) and not (w != w)
        with no_grad():
            kept = w * 3.0
    finally:
        recorder.reset(token)
    assert rec.heard == [("compared", w, 2.0), ("compared", w, w), ("unrecorded", "mul", (w, 3.0))]
    assert kept.op == "mul" and grad(kept, w) == 3.0
    with no_grad():  # no recorder: a leaf, as always
        assert (w * 3.0).op == ""
    assert w == 2.0 and rec.heard[-1][0] == "unrecorded"


def test_a_recorder_may_refuse_a_comparison():
    from microgrid.engine.value import recorder

    class Refusing:
        def compared(self, value, other):
            raise TypeError("no branches here")

    token = recorder.set(Refusing())
    try:
        with pytest.raises(TypeError, match="no branches"):
            assert Value(1.0) in [Value(1.0)]
    finally:
        recorder.reset(token)
    assert Value(1.0) != Value(1.0)


# --- gradcheck ------------------------------------------------------------------------------


def test_gradcheck_passes_on_smooth_functions():
    assert gradcheck(lambda a, b: (a * b).tanh() / b + a**b - (a + 1).log(), 0.5, 1.3)


def test_gradcheck_catches_a_kink():
    # at 0, ReLU's backward says 0 but central differences see the average slope 0.5
    with pytest.raises(GradcheckError, match=r"input 0.*0\.0.*0\.5"):
        gradcheck(lambda a: a.relu(), 0.0)
    with pytest.raises(GradcheckError, match="w"):
        gradcheck(lambda w: (w * 1.0).relu(), Value(0.0, label="w"))


def test_gradcheck_input_errors():
    with pytest.raises(ValueError):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(TypeError):
        gradcheck(lambda a: 1.0, 2.0)
