"""Dot products recognised in a traced graph (``microgrid.static.vectorize``).

The eager engine is the oracle: random traced programs, with sums of products that the pass
recognises and ones it must leave alone, run on a batch and give what the eager graph gives
sample by sample (to rounding: a matrix product adds in its own order).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgrid as mg

np = pytest.importorskip("numpy")

small = st.floats(-2, 2, allow_nan=False, allow_infinity=False)

# how the program sums w_j * x_j, and whether the pass should see a dot product in it
SUMS = {
    "loop": True,  # z = b; for wi, xi in zip(w, x): z = z + wi * xi
    "sum": True,  # sum((wi * xi for ...), b)
    "sum then bias": True,  # sum(wi * xi for ...) + b
    "x times w": True,  # xi * wi, the other order
    "reversed": False,  # the features backwards: not p_0*q_0 + ... + p_(n-1)*q_(n-1)
    "partial": False,  # one feature left out
    "product reused": False,  # w_0 * x_0 also used elsewhere
}
POST = {
    "sigmoid": mg.sigmoid,
    "tanh": mg.tanh,
    "square": lambda z: z * z,
    "scale": lambda z: 0.5 * z - 1,
    "relu": mg.relu,
}


def program(how, post, uses_x0):
    def fn(w, b, x, y):
        n = len(w)
        products = [wi * xi for wi, xi in zip(w, x)]
        if how == "loop":
            z = b
            for wi, xi in zip(w, x):
                z = z + wi * xi
        elif how == "sum":
            z = sum((wi * xi for wi, xi in zip(w, x)), b)
        elif how == "sum then bias":
            z = sum(wi * xi for wi, xi in zip(w, x)) + b
        elif how == "x times w":
            z = b
            for wi, xi in zip(w, x):
                z = z + xi * wi
        elif how == "reversed":
            z = b
            for j in reversed(range(n)):
                z = z + w[j] * x[j]
        elif how == "partial":
            z = b
            for j in range(n - 1):
                z = z + w[j] * x[j]
        else:  # "product reused"
            z = b
            for p in products:
                z = z + p
            z = z + products[0] * 0.25
        for name in post:
            z = POST[name](z)
        if uses_x0:
            z = z + x[0] * w[0] * y  # a feature on its own, beside the vector
        return (z - y) ** 2

    return fn


def eager_mean(fn, w, b, X, Y):
    """Per sample on the eager engine, then the mean, as value_and_grad's reduce="mean"."""
    m = len(Y)
    J, dw, db, dX, dY = 0.0, np.zeros(len(w)), 0.0, np.zeros_like(X), np.zeros(m)
    for i in range(m):
        wv, bv = [mg.Value(v) for v in w], mg.Value(b)
        xv, yv = [mg.Value(float(v)) for v in X[i]], mg.Value(float(Y[i]))
        out = fn(wv, bv, xv, yv)
        grads = mg.grad(out, wv + [bv] + xv + [yv])
        J += out.data
        dw += grads[: len(w)]
        db += grads[len(w)]
        dX[i] = grads[len(w) + 1: -1]
        dY[i] = grads[-1]
    return J / m, dw / m, db / m, dX / m, dY / m


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_programs_on_a_batch_equal_eager(data):
    n = data.draw(st.integers(1, 4))
    m = data.draw(st.integers(1, 7))
    how = data.draw(st.sampled_from(sorted(SUMS)))
    if how == "partial" and n == 1:
        how = "loop"
    post = data.draw(st.lists(st.sampled_from(sorted(POST)), max_size=3))
    uses_x0 = data.draw(st.booleans())
    w = data.draw(st.lists(small, min_size=n, max_size=n))
    b = data.draw(small)
    X = np.array(data.draw(st.lists(st.lists(small, min_size=n, max_size=n),
                                    min_size=m, max_size=m)))
    Y = np.array(data.draw(st.lists(small, min_size=m, max_size=m)))
    check_batch(how, post, uses_x0, w, b, X, Y)


def check_batch(how, post, uses_x0, w, b, X, Y):
    n = len(w)
    fn = program(how, post, uses_x0)

    f = mg.trace(fn, batch=["x", "y"])
    J, (dw, db, dX, dY) = f.value_and_grad(w, b, X, Y)
    J0, dw0, db0, dX0, dY0 = eager_mean(fn, w, b, X, Y)
    close = dict(rel=1e-9, abs=1e-12)
    assert J == pytest.approx(J0, **close)
    assert dw == pytest.approx(list(dw0), **close)
    assert db == pytest.approx(db0, **close)
    np.testing.assert_allclose(dX, dX0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dY, dY0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(f(w, b, X, Y), [_eager_value(fn, w, b, r, y)
                                               for r, y in zip(X, Y)], rtol=1e-9, atol=1e-12)
    # the pass sees a dot product exactly where the sum is one, of two lists of 2 or more
    # (x_0 * w_0 read again by the term of uses_x0: a product used twice is left alone)
    recognised = SUMS[how] and n > 1 and not (uses_x0 and how == "x times w")
    assert ("w @ x" in f.source or "x @ w" in f.source) == recognised, f.source
    if n > 1 and not uses_x0 and how not in ("partial", "product reused"):
        assert "dw = x * " in f.source, f.source  # every dw_j is x_j times one quantity
    if not recognised and (uses_x0 or how in ("partial", "product reused")):
        assert f.source == f.scalar_source  # nothing recognised: exactly the code of today


def _eager_value(fn, w, b, row, y):
    return fn([mg.Value(v) for v in w], mg.Value(b), [mg.Value(float(v)) for v in row],
              mg.Value(float(y))).data


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_programs_on_floats_are_exactly_eager(data):
    """A recognised program replays on one sample exactly as the eager engine computes it."""
    n = data.draw(st.integers(2, 4))
    how = data.draw(st.sampled_from(sorted(SUMS)))
    post = data.draw(st.lists(st.sampled_from(sorted(POST)), max_size=3))
    fn = program(how, post, data.draw(st.booleans()))
    w = data.draw(st.lists(small, min_size=n, max_size=n))
    x = data.draw(st.lists(small, min_size=n, max_size=n))
    b, y = data.draw(small), data.draw(small)
    f = mg.trace(fn)
    value, (dw, db, dx, dy) = f.value_and_grad(w, b, x, y)
    leaves = [mg.Value(v) for v in w + [b] + x + [y]]
    out = fn(leaves[:n], leaves[n], leaves[n + 1: 2 * n + 1], leaves[-1])
    grads = [g.data for g in mg.grad(out, leaves, create_graph=True)]
    assert value == out.data
    assert dw + [db] + dx + [dy] == grads


def test_the_course_loop_reads_as_vectors():
    def loss(w, b, x, y):
        z = b
        for wi, xi in zip(w, x):
            z = z + wi * xi
        a = mg.sigmoid(z)
        return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))

    f = mg.trace(loss, wrt=["w", "b"], batch=["x", "y"])
    X = np.random.default_rng(0).normal(size=(20, 3))
    f.value_and_grad([0.1, 0.2, 0.3], 0.0, X, np.ones(20))
    lines = [line.strip() for line in f.source.splitlines()]
    assert "z = b + w @ x" in lines
    assert "dw = x * dz" in lines and "db = dz" in lines
    assert lines[-1] == "return out, (dw, db)"
    assert "w_0" not in f.source  # no unpacking where no single number is read
    assert "w_0 * x_0" in f.scalar_source  # what runs on floats


def test_both_lists_batched_are_left_alone():
    def f(w, x):
        return w[0] * x[0] + w[1] * x[1]

    t = mg.trace(f, batch=["w", "x"])
    W = np.arange(6.0).reshape(3, 2)
    value, (dW, dX) = t.value_and_grad(W, W + 1)
    assert "@" not in t.source
    np.testing.assert_allclose(dW, (W + 1) / 3)


def test_a_gradient_for_an_unbatched_list_is_summed_right():
    """x shared, nothing batched but y: dw = x * dz summed over samples where dz varies."""
    def loss(w, x, y):
        z = 0.0
        for wi, xi in zip(w, x):
            z = z + wi * xi
        return (z - y) ** 2

    t = mg.trace(loss, batch=["y"])
    Y = np.array([1.0, 2.0, -1.0])
    w, x = [0.5, -1.0], [2.0, 3.0]
    value, (dw, dx, dy) = t.value_and_grad(w, x, Y)
    z = 0.5 * 2 - 3
    assert dw == pytest.approx([np.mean(2 * (z - Y)) * 2, np.mean(2 * (z - Y)) * 3])
    assert dx == pytest.approx([np.mean(2 * (z - Y)) * 0.5, -np.mean(2 * (z - Y))])


def layer(W, c, V, x, y):
    """An MLP layer: unit i reads row W[i] (a dot product each), then a linear output unit."""
    hidden = []
    for row, ci in zip(W, c):
        z = ci
        for wij, xj in zip(row, x):
            z = z + wij * xj
        hidden.append(mg.tanh(z))
    out = 0.0
    for vi, hi in zip(V, hidden):
        out = out + vi * hi
    return (out - y) ** 2


@pytest.mark.parametrize("wrt", [None, ["W", "c", "V"]])
def test_an_mlp_layer_reads_as_one_dot_product_per_row(wrt):
    rng = np.random.default_rng(3)
    W, c = (rng.normal(size=(3, 4)) * 0.5).tolist(), [0.1, -0.2, 0.3]
    V, X, Y = rng.normal(size=3).tolist(), rng.normal(size=(9, 4)), rng.normal(size=9)
    f = mg.trace(layer, wrt=wrt, batch=["x", "y"])
    value, grads = f.value_and_grad(W, c, V, X, Y)
    for i in range(3):
        assert f"W[{i}] @ x" in f.source and f"dW_{i} = x * " in f.source
    # against the same function replayed sample by sample on floats (exactly the eager numbers)
    g = mg.trace(layer, wrt=wrt)
    per_sample = [g.value_and_grad(W, c, V, list(x), float(y)) for x, y in zip(X, Y)]
    assert value == pytest.approx(np.mean([v for v, _ in per_sample]), rel=1e-12)
    for k, got in enumerate(grads):
        expected = np.mean([np.asarray(gs[k], dtype=float) for _, gs in per_sample], axis=0)
        if wrt is None and k >= 3:  # dx, dy: per sample, over m
            expected = np.array([np.asarray(gs[k], dtype=float) for _, gs in per_sample]) / 9
        np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-10,
                                   atol=1e-14)
