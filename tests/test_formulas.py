"""``f.formulas()``: a traced function's derivatives as the course's simplified formulas.

The formulas are compared as SymPy expressions (their difference simplifies to 0), never as
strings; the batch formulas are computed with NumPy and compared with ``value_and_grad``.
"""

import math
import subprocess
import sys

import pytest

import microgrid as mg

sp = pytest.importorskip("sympy")
np = pytest.importorskip("numpy")

S = sp.Symbol


def equal(a, b):
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


def logistic(w, b, x, y):
    """The course's logistic regression, with the feature loop as the slides write it."""
    z = b
    for wi, xi in zip(w, x):
        z = z + wi * xi
    a = mg.sigmoid(z)
    return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))


def squared(w, b, x, y):
    """The squared error of the gradient-descent slides: J = 1/2 (h(x) - y)^2."""
    h = b
    for wi, xi in zip(w, x):
        h = h + wi * xi
    return (h - y) ** 2 / 2


def cost(a, b, c):
    """J = 3(a + bc), the slides' computation graph."""
    u = b * c
    v = a + u
    J = 3 * v
    return J


def batch_data(m=40, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    Y = (rng.random(m) > 0.5).astype(float)
    return [0.3, -0.2, 0.5][:n], 0.1, X, Y


@pytest.fixture
def logistic_traced():
    f = mg.trace(logistic, batch=["x", "y"])
    f.value_and_grad(*batch_data())
    return f


def test_logistic_gives_the_course_formulas(logistic_traced):
    F = logistic_traced.formulas()
    a, y, z, dz = S("a"), S("y"), S("z"), S("dz")
    w, x = sp.symbols("w_0:3"), sp.symbols("x_0:3")
    assert equal(F.sympy["dz"], a - y)
    assert equal(F.sympy["db"], dz)
    assert F.sympy["dw"].shape == (3, 1)
    for j in range(3):
        assert equal(F.sympy["dw"][j], x[j] * dz)
    assert equal(F.sympy["z"], S("b") + sum(wi * xi for wi, xi in zip(w, x)))
    assert F.sympy["a"] == mg.static.formulas.functions()["sigmoid"](z)  # a stays a
    assert equal(F.sympy["L"], -(y * sp.log(a) + (1 - y) * sp.log(1 - a)))
    # the chain: da, then dz from it, equals the derivative of L through a = σ(z)
    assert equal(F.sympy["da"] * a * (1 - a), a - y)
    # what the text shows, in the order it shows it
    assert [name for name, _, _ in F.lines] == ["z", "a", "L", "da", "dz", "dw", "db"]
    text = str(F)
    assert "z = wᵀx + b" in text and "dz = a - y" in text and "dw = x*dz" in text
    assert "dx" not in text and "dy" not in text  # the data's gradients aren't the course's


def test_squared_error_gives_the_slides_update(logistic_traced):
    f = mg.trace(squared, batch=["x", "y"])
    f.value_and_grad(*batch_data())
    F = f.formulas()
    h, y, dh = S("h"), S("y"), S("dh")
    assert equal(F.sympy["dh"], h - y)
    for j in range(3):  # dw_j = (h(x) - y)·x_j
        assert equal(F.sympy["dw"][j].subs(dh, F.sympy["dh"]), (h - y) * S(f"x_{j}"))
    assert equal(F.sympy["L"], (h - y) ** 2 / 2)


def test_computation_graph_J():
    f = mg.trace(cost)
    f(5.0, 3.0, 2.0)
    F = f.formulas()
    b, c = S("b"), S("c")
    assert equal(F.sympy["db"], 3 * c)
    assert equal(F.sympy["da"], 3)
    assert equal(F.sympy["dc"], 3 * b)
    assert equal(F.sympy["u"], b * c)
    assert equal(F.sympy["J"], 3 * S("v"))
    assert "db = 3*c" in str(F)


def test_formulas_agree_with_the_gradients_numerically():
    """Substituted all the way down, each gradient formula gives value_and_grad's number."""
    def net(w, b, x, y):
        z = w[0] * x[0] + w[1] * x[1] + b
        a = mg.tanh(z)
        e = a - y
        return e * e + 0.5 * mg.exp(-b)

    f = mg.trace(net, wrt=["w", "b"])
    args = ([0.4, -0.7], 0.2, [1.5, -2.0], 0.3)
    _, (dw, db) = f.value_and_grad(*args)
    F = f.formulas()
    values = {"w_0": 0.4, "w_1": -0.7, "b": 0.2, "x_0": 1.5, "x_1": -2.0, "y": 0.3}
    order = [name for name, _, _ in F.lines]
    for name in order:  # each line in the ones before it
        values[name] = F.sympy[name].subs({S(k): v for k, v in values.items()})
    assert float(values["db"]) == pytest.approx(db, rel=1e-12)
    assert [float(v) for v in values["dw"]] == pytest.approx(dw, rel=1e-12)


def test_batch_formulas_are_the_course_layout(logistic_traced):
    B = logistic_traced.formulas(batch=True)
    names = [name for name, _, _ in B.lines]
    assert names == ["Z", "A", "L", "J", "dA", "dZ", "dw", "db"]
    text = str(B)
    assert "Z = wᵀX + b" in text
    assert "dZ = A - Y" in text
    assert "dw = (1/m)·X·dZᵀ" in text
    assert "db = (1/m)·Σ dZ" in text
    assert "one per column" in text and "X is 3×m" in text
    assert equal(B.sympy["dZ"], S("A") - S("Y"))


@pytest.mark.parametrize("fn", [logistic, squared])
def test_batch_formulas_evaluate_to_value_and_grad(fn):
    w, b, X, Y = batch_data(m=57)
    f = mg.trace(fn, wrt=["w", "b"], batch=["x", "y"])
    J, (dw, db) = f.value_and_grad(w, b, X, Y)
    got = f.formulas(batch=True).evaluate(w, b, X, Y)
    assert got["J"] == pytest.approx(J, rel=1e-12)
    assert got["db"] == pytest.approx(db, rel=1e-10, abs=1e-14)
    assert np.allclose(got["dw"], dw, rtol=1e-10, atol=1e-14)
    assert got["dw"].shape == (3,)


def test_markdown_and_latex(logistic_traced):
    F = logistic_traced.formulas()
    tex = F.to_latex()
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert "dz &= a - y" in tex and "w^{T} x + b" in tex and "\\sigma" in tex
    assert F._repr_latex_().startswith("$$")
    md = logistic_traced.formulas(batch=True)._repr_markdown_()
    assert "one per column" in md and "$$" in md and "\\frac{1}{m}" in md


def test_batch_needs_batched_arguments():
    f = mg.trace(cost)
    f(5.0, 3.0, 2.0)
    with pytest.raises(ValueError, match="batch="):
        f.formulas(batch=True)
    with pytest.raises(ValueError, match="batch=True"):
        f.formulas().evaluate(1.0, 2.0, 3.0)


def test_untraced_says_so():
    with pytest.raises(ValueError, match="first call"):
        mg.trace(cost).formulas()


def test_without_sympy_one_line_says_what_to_install(tmp_path):
    (tmp_path / "sympy.py").write_text("raise ImportError('no sympy here')\n")
    code = ("import microgrid as mg\n"
            "f = mg.trace(lambda a, b: a * b)\n"
            "f(1.0, 2.0)\n"
            "try:\n"
            "    f.formulas()\n"
            "except ImportError as err:\n"
            "    print(err)\n")
    import os

    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(mg.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), root])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == 'f.formulas() needs SymPy, an optional extra: ' \
                                 'python -m pip install sympy'


def two_layer(W1, b1, W2, b2, x, y):
    """The course's network: tanh hidden units (one row of W1 each), a sigmoid output."""
    a1 = []
    for i, (row, bi) in enumerate(zip(W1, b1)):
        z = bi
        for wij, xj in zip(row, x):
            z = z + wij * xj
        z.label = f"z1_{i}"
        a = mg.tanh(z)
        a.label = f"a1_{i}"
        a1.append(a)
    z2 = b2
    for wj, aj in zip(W2, a1):
        z2 = z2 + wj * aj
    a2 = mg.sigmoid(z2)
    return -(y * mg.log(a2) + (1 - y) * mg.log(1 - a2))


def test_two_layer_network():
    rng = np.random.default_rng(1)
    W1, b1 = (rng.normal(size=(3, 2)) * 0.5).tolist(), [0.1, -0.2, 0.3]
    W2, b2 = (rng.normal(size=3) * 0.5).tolist(), 0.05
    X, Y = rng.normal(size=(25, 2)), (rng.random(25) > 0.5).astype(float)
    f = mg.trace(two_layer, wrt=["W1", "b1", "W2", "b2"], batch=["x", "y"])
    J, (dW1, db1, dW2, db2) = f.value_and_grad(W1, b1, W2, b2, X, Y)
    F = f.formulas()
    assert equal(F.sympy["dz2"], S("a2") - S("y"))
    assert equal(F.sympy["dz1_0"], (1 - S("a1_0") ** 2) * S("da1_0"))
    assert equal(F.sympy["dW2_1"], S("a1_1") * S("dz2"))
    for j in range(2):  # a row of W1 is a vector: dW1_0 = x * dz1_0
        assert equal(F.sympy["dW1_0"][j], S(f"x_{j}") * S("dz1_0"))
    assert "z1_0 = W1_0ᵀx + b1_0" in str(F) and "dW1_0 = x*dz1_0" in str(F)
    got = f.formulas(batch=True).evaluate(W1, b1, W2, b2, X, Y)
    assert got["J"] == pytest.approx(J, rel=1e-12)
    for i in range(3):
        assert np.allclose(got[f"dW1_{i}"], dW1[i], rtol=1e-10, atol=1e-14)
        assert got[f"db1_{i}"] == pytest.approx(db1[i], rel=1e-10, abs=1e-14)
        assert got[f"dW2_{i}"] == pytest.approx(dW2[i], rel=1e-10, abs=1e-14)
    assert got["db2"] == pytest.approx(db2, rel=1e-10)


def test_batch_formulas_of_named_features():
    """Features as separate numbers (w1*x1 + w2*x2): rows, each a mean of its own."""
    def loss(w1, w2, b, x1, x2, y):
        a = mg.sigmoid(w1 * x1 + w2 * x2 + b)
        return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))

    _, _, X, Y = batch_data(m=30, n=2)
    f = mg.trace(loss, wrt=["w1", "w2", "b"], batch=["x1", "x2", "y"])
    J, (dw1, dw2, db) = f.value_and_grad(0.3, -0.5, 0.1, X[:, 0], X[:, 1], Y)
    per_sample = f.formulas()
    assert equal(per_sample.sympy["dw1"], S("x1") * (S("a") - S("y")))
    B = f.formulas(batch=True)
    assert B.note == "m samples: X1, X2, Y and each per-sample quantity a 1×m row"
    assert "db = (1/m)·Σ (A - Y)" in str(B)
    got = B.evaluate(0.3, -0.5, 0.1, X[:, 0], X[:, 1], Y)
    assert [got["J"], got["dw1"], got["dw2"], got["db"]] == pytest.approx([J, dw1, dw2, db],
                                                                          rel=1e-10)


@pytest.mark.parametrize("name", sorted(mg.engine.ops.OPS))
def test_each_ops_sympy_form_computes_its_forward(name):
    """The op table's ``sympy`` form, evaluated as formulas are (NumPy, with the op table's own
    arrays for σ, relu, step), gives the op's forward; gate gives its value where it passes."""
    from test_ops import op_points

    from microgrid.static.formulas import expression, numpy_functions

    op = mg.engine.ops.OPS[name]
    symbols = sp.symbols("x y")[:op.arity]
    f = sp.lambdify(symbols, expression(name, list(symbols)),
                    modules=[numpy_functions(np), "numpy"])
    for args in op_points(op):
        if name == "gate" and args[1] == 0:
            continue  # the zero test is the derivative's, not the formula's
        assert math.isclose(float(f(*args)), op.forward(*args), rel_tol=1e-12), args

