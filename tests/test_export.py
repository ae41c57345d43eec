"""Graduating to PyTorch and JAX: a traced function's exported forward, differentiated by the
framework's own autograd, agrees with ``f.value_and_grad``; a model's torch twin computes and
trains as the model does; and bad input gets one clear line.

PyTorch and JAX are optional: CI installs both, and there a missing one fails these tests;
elsewhere they are skipped with how to install it.
"""

from __future__ import annotations

import importlib
import itertools
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import microgrid as mg
from microgrid.engine import ops as O

RTOL = 1e-12


def need(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        how = "python -m pip install " + ("torch" if name == "torch" else '"jax[cpu]"')
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed in CI; {how}")
        pytest.skip(f"needs {name}: {how}")


@pytest.fixture
def torch():
    return need("torch")


@pytest.fixture
def device(torch):
    """Where the PyTorch side runs: the CPU, or MICROGRID_TEST_DEVICE (``cuda``, ``cuda:1``,
    ``mps``) to run these same checks on an accelerator; asked for and missing is a failure."""
    name = os.environ.get("MICROGRID_TEST_DEVICE", "cpu")
    try:
        torch.empty(1, device=name)
    except (RuntimeError, AssertionError) as err:
        pytest.fail(f"MICROGRID_TEST_DEVICE={name}, but PyTorch can't use it: {err}")
    return torch.device(name)


@pytest.fixture
def jax():
    jax = need("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def assert_same(ours, theirs, what=""):
    """Equal to RTOL relative, with nan, inf and -inf in the same places."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(theirs, dtype=float)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = (a == b) | (np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b)))
    bad = ~(both_nan | close)
    assert not bad.any(), (f"{what}: {bad.sum()} differ, first at {np.argwhere(bad)[0]}: "
                           f"microgrid {a[bad][0]!r}, exported {b[bad][0]!r}")


def loss(w1, w2, b, x1, x2, y):
    a = mg.sigmoid(w1 * x1 + w2 * x2 + b)
    return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))


def two_layer(W1, b1, W2, b2, x, y):
    """Notebook 06's network on one sample: 4 tanh units, a sigmoid output, the course's loss."""
    h = [mg.tanh(sum(w * xi for w, xi in zip(row, x)) + bj) for row, bj in zip(W1, b1)]
    a = mg.sigmoid(sum(w * hj for w, hj in zip(W2, h)) + b2)
    return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))


def torch_value_and_grad(torch, g, params, data, device):
    ts = [torch.tensor(np.asarray(p, dtype=float), dtype=torch.float64, requires_grad=True,
                       device=device) for p in params]
    out = g(*ts, *data)  # the data follows the parameters onto their device
    assert out.device == ts[0].device
    grads = torch.autograd.grad(out.mean(), ts, allow_unused=True)
    return out.cpu(), [np.zeros(t.shape) if d is None else d.cpu().numpy()
                       for t, d in zip(ts, grads)]


def jax_value_and_grad(jax, h, params, data):
    params = [np.asarray(p, dtype=float) for p in params]
    argnums = tuple(range(len(params)))
    value, grads = jax.value_and_grad(lambda *p: h(*p, *data).mean(), argnums=argnums)(*params)
    return value, [np.asarray(d) for d in grads]


# --- the source ---------------------------------------------------------------------------------


def traced_loss():
    f = mg.trace(loss)
    f(0.3, -0.5, 0.1, 1.0, 2.0, 1.0)
    return f


def body(source):
    """The lines of the (last) def, without the def line."""
    lines = source.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("def "))
    return lines[start:]


@pytest.mark.parametrize("target, spelled", [
    ("torch", ["torch.sigmoid(", "torch.log("]),
    ("jax", ["jax.nn.sigmoid(", "jnp.log("]),
])
def test_export_is_the_forward_source_line_for_line(target, spelled):
    f = traced_loss()
    src = f.export(target)
    ours, theirs = body(f.forward_source), body(src)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):  # same variables, same order: only the ops' spelling differs
        assert a.split(" = ")[0] == b.split(" = ")[0]
    assert theirs[0] == "def loss(w1, w2, b, x1, x2, y):"
    for s in spelled:
        assert s in src
    assert "sigmoid(" not in f.forward_source.replace("sigmoid(w1", "")  # (one call in each)
    compile(src, "<export>", "exec")  # a module of its own: imports included


def test_every_op_has_a_spelling_in_each_framework(torch, jax):
    """Each op's torch and jax fields compute its NumPy form, on a batch of one."""
    jnp = jax.numpy
    for op in O.OPS.values():
        x = np.array([0.5, -0.3, 0.0])[: 3 if op.name != "log" else 1]
        with np.errstate(all="ignore"):  # 0/0 and 0 ** -0.3: nan and inf are the point
            want = op.array(np, *[x] * op.arity)
        for template, ns, arr in ((op.torch, {"torch": torch}, torch.tensor),
                                  (op.jax, {"jax": jax, "jnp": jnp}, jnp.asarray)):
            code = template.format(**{k: f"a{k}" for k in "xy"[: op.arity]})
            got = eval(code, {**ns, "ax": arr(x), "ay": arr(x)})
            assert_same(want, np.asarray(got), f"{op.name}: {template}")


def test_a_parameter_named_like_a_framework_module_is_renamed_not_shadowed(torch, jax):
    f = mg.trace(lambda torch, jnp: mg.exp(torch) * jnp)
    f(1.0, 2.0)
    assert "def f(torch_, jnp_):" in f.export("torch") and "torch.exp(torch_)" in f.export("torch")
    assert "jnp.exp(torch_) * jnp_" in f.export("jax")
    assert_same(f(1.0, 2.0), float(f.to_torch()(1.0, 2.0)), "torch")
    assert_same(f(1.0, 2.0), float(f.to_jax()(1.0, 2.0)), "jax")


def test_list_arguments_are_trailing_axes(torch, jax, device):
    def f(W, x):
        return mg.tanh(W[0][0] * x[0] + W[0][1] * x[1]) + W[1][0] * W[1][1] * x[1]

    tf = mg.trace(f)
    W = np.array([[0.5, -0.2], [0.3, 0.7]])
    tf(W.tolist(), [1.0, 2.0])
    src = tf.export("torch")
    assert "W_0, W_1 = W.unbind(-2)" in src and "x_0, x_1 = x.unbind(-1)" in src
    X = np.random.default_rng(1).normal(size=(7, 2))
    tb = mg.trace(f, batch=["x"])  # x: one sample per row
    want = tb(W.tolist(), X)
    assert_same(want, tf.to_torch(device)(W, X).cpu().numpy(), "torch")
    assert_same(want, tf.to_jax()(W, X), "jax")
    # a list of tensors is stacked, so gradients reach each one
    w = [torch.tensor(v, dtype=torch.float64, requires_grad=True, device=device)
         for v in (0.5, -0.2)]
    out = tf.to_torch()([w, [0.3, 0.7]], X).sum()
    dw = torch.autograd.grad(out, w)
    _, (dW, _) = tb.value_and_grad(W.tolist(), X, reduce="sum")
    assert_same(dW[0], [d.item() for d in dw], "dW[0]")
    # and jax.grad takes lists of numbers (pytrees), with a gradient for each entry
    h = tf.to_jax()
    jW = jax.grad(lambda W, X: h(W, X).sum())(W.tolist(), X)
    assert_same(dW, np.array(jW), "dW (jax, lists)")
    assert_same(want, h([[0.5, -0.2], [0.3, 0.7]], [X[:, 0], X[:, 1]]), "columns as a list")


def test_ragged_lists_and_infinite_constants(torch, jax):
    def f(W, x):
        return W[0][0] * W[0][1] + W[1][0] * x + 1 / (x + math.inf)  # 1 / inf is 0

    tf = mg.trace(f)
    W = [[0.5, -0.2], [0.3]]
    tf(W, 1.0)
    src = tf.export("torch")
    assert "W_0, W_1 = W\n" in src and "[W_1_0] = W_1.unbind(-1)" in src
    assert src.startswith("import torch\nfrom math import inf\n")
    X = np.array([0.5, -1.0, 2.0])
    want = mg.trace(f, batch=["x"])(W, X)
    assert np.isfinite(want).all() and "inf" in tf.forward_source
    assert_same(want, tf.to_torch()(W, X).numpy(), "torch")
    assert_same(want, tf.to_jax()(W, X), "jax")


# --- the derivatives: the course's loss and a two-layer network -------------------------------


def batched_loss(*names):
    """The course's loss traced with ``names`` (default x1, x2, y) holding one sample a row."""
    return mg.trace(loss, batch=list(names or ("x1", "x2", "y")))


def course_data(m=1000, seed=0):
    rng = np.random.default_rng(seed)
    X1, X2 = rng.normal(size=m), rng.normal(size=m)
    return X1, X2, (X1 + X2 > 0).astype(float)


def test_the_course_loss_matches_value_and_grad(torch, jax, device):
    f = traced_loss()
    X1, X2, Y = course_data()
    params = [0.3, -0.5, 0.1]
    fb = batched_loss()
    J, grads = fb.value_and_grad(*params, X1, X2, Y)
    value, tgrads = torch_value_and_grad(torch, f.to_torch(), params, (X1, X2, Y), device)
    assert_same(fb(*params, X1, X2, Y), value.detach().numpy(), "per-sample losses")
    assert_same(J, value.mean().item(), "J")
    assert_same(grads[:3], tgrads, "dw1, dw2, db")
    jvalue, jgrads = jax_value_and_grad(jax, f.to_jax(), params, (X1, X2, Y))
    assert_same(J, jvalue, "J (jax)")
    assert_same(grads[:3], jgrads, "dw1, dw2, db (jax)")


def test_inf_and_nan_land_where_they_land_in_microgrid(torch, jax, device):
    """Per sample, every argument batched: a saturated sigmoid (log 0 = -inf, then 0·inf = nan),
    an infinite input, a nan label."""
    f = traced_loss()
    cols = np.array([[0.3, -0.5, 0.1, 1.0, 2.0, 1.0],
                     [50.0, 0.0, 0.0, 1.0, 0.0, 0.0],     # a = 1 exactly, y = 0: L = inf
                     [-800.0, 0.0, 0.0, 1.0, 0.0, 1.0],   # a = 0 exactly, y = 1: L = inf
                     [1.0, 1.0, 0.0, np.inf, 1.0, 1.0],
                     [0.5, 0.5, 0.5, 1.0, 1.0, np.nan],
                     [0.0, 0.0, 0.0, 0.0, 0.0, 0.5]]).T
    cols = [np.ascontiguousarray(c) for c in cols]
    fb = batched_loss("w1", "w2", "b", "x1", "x2", "y")
    _, grads = fb.value_and_grad(*cols, reduce="sum")  # per-sample gradients
    values = fb(*cols)
    assert np.isinf(values).sum() >= 2 and np.isnan(np.array(grads)).any()
    ts = [torch.tensor(c, requires_grad=True, device=device) for c in cols]
    out = f.to_torch()(*ts)
    assert_same(values, out.detach().cpu().numpy(), "values (torch)")
    assert_same(grads, [g.cpu().numpy() for g in torch.autograd.grad(out.sum(), ts)],
                "grads (torch)")
    h = f.to_jax()
    assert_same(values, h(*cols), "values (jax)")
    jgrads = jax.grad(lambda *c: h(*c).sum(), argnums=tuple(range(6)))(*cols)
    assert_same(grads, [np.asarray(g) for g in jgrads], "grads (jax)")


def test_a_two_layer_network_matches_value_and_grad(torch, jax, device):
    rng = np.random.default_rng(2)
    W1, b1, W2, b2 = rng.normal(size=(4, 2)), rng.normal(size=4), rng.normal(size=4), 0.2
    X = rng.normal(size=(500, 2))
    Y = (X[:, 0] * X[:, 1] > 0).astype(float)
    f = mg.trace(two_layer, wrt=["W1", "b1", "W2", "b2"], batch=[4, 5])  # x, y: a row each
    params = [W1.tolist(), b1.tolist(), W2.tolist(), b2]
    J, grads = f.value_and_grad(*params, X, Y)
    value, tgrads = torch_value_and_grad(torch, f.to_torch(), params, (X, Y), device)
    assert_same(J, value.mean().item(), "J")
    for ours, theirs, name in zip(grads, tgrads, ("dW1", "db1", "dW2", "db2")):
        assert_same(ours, theirs, name)
    jvalue, jgrads = jax_value_and_grad(jax, f.to_jax(), params, (X, Y))
    assert_same(J, jvalue, "J (jax)")
    for ours, theirs, name in zip(grads, jgrads, ("dW1", "db1", "dW2", "db2")):
        assert_same(ours, theirs, name + " (jax)")


def test_jax_jit_vmap_and_grad_take_the_exported_function(jax):
    f = traced_loss()
    h = f.to_jax()
    X1, X2, Y = course_data(64)
    J, grads = batched_loss().value_and_grad(0.3, -0.5, 0.1, X1, X2, Y)
    jitted = jax.jit(jax.value_and_grad(lambda *p: h(*p, X1, X2, Y).mean(), argnums=(0, 1, 2)))
    value, jgrads = jitted(0.3, -0.5, 0.1)
    assert_same(J, value, "J under jit")
    assert_same(grads[:3], [float(g) for g in jgrads], "grads under jit")
    per_sample = jax.vmap(jax.grad(h), in_axes=(None, None, None, 0, 0, 0))
    per_sample = per_sample(0.3, -0.5, 0.1, X1, X2, Y)
    assert_same(grads[0], float(np.mean(per_sample)), "vmap(grad) averaged")


# --- every op, at ordinary and at singular points ----------------------------------------------

ORDINARY = [-2.5, -0.7, 0.3, 1.5, 2.0]
SINGULAR = [-np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan]
UPSTREAM = [1.0, -1.5, 0.0, np.inf, -np.inf, np.nan]  # d out/d op: what the op's rule multiplies


def op_program(op):
    """c · op(x[, y]): the op with an upstream gradient c, so that its local derivative meets
    zeros, infinities and nans coming from above."""
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y, "neg": lambda x: -x}.get(op.name)
    fn = fn or getattr(O, op.name)
    if op.arity == 1:
        return lambda x, c: c * fn(x)
    return lambda x, y, c: c * fn(x, y)


def op_points(op, values, upstream):
    grid = itertools.product(*[values] * op.arity, upstream)
    return [np.ascontiguousarray(col) for col in np.array(list(grid)).T]


def microgrid_op(op, cols):
    program = op_program(op)
    f = mg.trace(program)
    f(*[0.7] * len(cols))
    fb = mg.trace(program, batch=list(range(len(cols))))
    values = fb(*cols)
    _, grads = fb.value_and_grad(*cols, reduce="sum")  # all batched: per-sample gradients
    return f, values, list(grads)


def torch_op(torch, f, cols, device):
    ts = [torch.tensor(c, requires_grad=True, device=device) for c in cols]
    out = f.to_torch()(*ts)
    grads = torch.autograd.grad(out.sum(), ts, allow_unused=True)  # step has no gradient path
    return out.detach().cpu().numpy(), [np.zeros_like(c) if g is None else g.cpu().numpy()
                                        for c, g in zip(cols, grads)]


def jax_op(jax, f, cols):
    h = f.to_jax()
    grads = jax.grad(lambda *c: h(*c).sum(), argnums=tuple(range(len(cols))))(*cols)
    with np.errstate(all="ignore"):  # add and mul of NumPy arrays are NumPy's: no JAX call
        values = np.asarray(h(*cols))
    return values, [np.asarray(g) for g in grads]


@pytest.mark.parametrize("name", list(O.OPS))
def test_every_op_at_ordinary_points(name, torch, jax, device):
    op = O.OPS[name]
    values = [v for v in ORDINARY if name != "log" or v > 0]
    cols = op_points(op, values, [1.0, -1.5, 0.25])
    f, values, grads = microgrid_op(op, cols)
    for who, (v, g) in (("torch", torch_op(torch, f, cols, device)),
                        ("jax", jax_op(jax, f, cols))):
        assert_same(values, v, f"{name} values ({who})")
        for i, (ours, theirs) in enumerate(zip(grads, g)):
            assert_same(ours, theirs, f"{name} d{'xyc'[i] if op.arity == 2 else 'xc'[i]} ({who})")


# microgrid masks where PyTorch masks (an inactive ReLU passes no inf or nan from above, pow's
# base gets nothing at a zero exponent), in the traced backward too: the same numbers everywhere
@pytest.mark.parametrize("name", list(O.OPS))
def test_every_op_at_singular_points_against_pytorch(name, torch, device):
    op = O.OPS[name]
    cols = op_points(op, SINGULAR, UPSTREAM)
    f, values, grads = microgrid_op(op, cols)
    v, g = torch_op(torch, f, cols, device)
    assert_same(values, v, f"{name} values")
    for i, (ours, theirs) in enumerate(zip(grads, g)):
        assert_same(ours, theirs, f"{name} gradient of argument {i}")


# JAX's own derivative rules differ from PyTorch's (and microgrid's) at a few singular points:
# the one honest difference of the JAX export, documented in docs/export.md. Each entry: op,
# argument, and where (x[, y], c) it differs; everywhere else JAX agrees with PyTorch exactly.
JAX_DIFFERS = {
    # tanh' as (g + g·tanh)(1 − tanh): an infinite upstream meets tanh ≤ 0 as inf − inf = nan
    ("tanh", 0): lambda x, c: np.isinf(c) & np.isfinite(x) & (x <= 0),
    # relu(nan): JAX passes no gradient, PyTorch passes the upstream one
    ("relu", 0): lambda x, c: np.isnan(x) & (c != 0),
    # d(x^y)/dx at y = 0: PyTorch masks to 0 (upstream included), JAX's c·y·x^(y−1) is nan
    # where c or x^(y−1) is not finite
    ("pow", 0): lambda x, y, c: (y == 0) & ((x == 0) | np.isnan(x) | ~np.isfinite(c)),
    # d(x^y)/dy at x = 0, y < 0: JAX nan (log 0 replaced by 0, times inf), PyTorch ±inf
    ("pow", 1): lambda x, y, c: (x == 0) & (y < 0) & (c != 0) & ~np.isnan(c),
}


@pytest.mark.parametrize("name", list(O.OPS))
def test_every_op_at_singular_points_jax_against_pytorch(name, torch, jax, device):
    op = O.OPS[name]
    cols = op_points(op, SINGULAR, UPSTREAM)
    f = mg.trace(op_program(op))
    f(*[0.7] * len(cols))
    tv, tg = torch_op(torch, f, cols, device)
    jv, jg = jax_op(jax, f, cols)
    assert_same(tv, jv, f"{name} values")
    for i, (t, j) in enumerate(zip(tg, jg)):
        where = JAX_DIFFERS.get((name, i))
        differs = where(*cols) if where else np.zeros(len(t), dtype=bool)
        assert_same(t[~differs], j[~differs], f"{name} gradient of argument {i}")
        if differs.any():  # and the documented difference is real, at every point listed
            same = (np.isnan(t) & np.isnan(j)) | (t == j)
            assert not same[differs].any(), f"{name}: JAX now agrees with PyTorch somewhere"


# --- where it runs ------------------------------------------------------------------------------


def test_torch_runs_where_the_inputs_are(torch):
    """The meta device stands in for a GPU: the same call runs on whatever device holds the
    tensors, and ``device=`` moves numbers and tensors there."""
    f = traced_loss()
    X1, X2, Y = (torch.tensor(c, device="meta") for c in course_data(8))
    out = f.to_torch()(0.3, -0.5, 0.1, X1, X2, Y)
    assert out.device.type == "meta" and out.shape == (8,)
    out = f.to_torch(device="meta")(0.3, -0.5, 0.1, *course_data(8))
    assert out.device.type == "meta" and out.dtype == torch.float64
    cpu = f.to_torch(device="cpu")(0.3, -0.5, 0.1, *course_data(8))
    assert cpu.device.type == "cpu"


def test_jax_device_argument_puts_the_inputs_there(jax):
    f = traced_loss()
    device = jax.devices("cpu")[0]
    out = f.to_jax(device=device)(0.3, -0.5, 0.1, *course_data(8))
    assert out.devices() == {device}
    assert "def loss(" in f.to_jax().source


# --- models -------------------------------------------------------------------------------------


def models():
    return [mg.nn.Neuron(3, "relu", seed=1), mg.nn.Neuron(3, None, seed=2),
            mg.nn.Layer(3, 4, "sigmoid", seed=3), mg.nn.MLP(3, [4, 1], activation="tanh", seed=0),
            mg.nn.MLP(3, [5, 4, 2], activation="relu", seed=4), mg.nn.LogisticRegression(3)]


@pytest.mark.parametrize("i", range(6))
def test_a_model_and_its_torch_twin_compute_the_same(i, torch, device):
    model = models()[i]
    if isinstance(model, mg.nn.LogisticRegression):
        for k, p in enumerate(model.parameters()):
            p.data = 0.1 * k - 0.15
    tm = model.to_torch()
    assert isinstance(tm, torch.nn.Module)
    assert all(p.dtype == torch.float64 for p in tm.parameters())
    tm.to(device)
    X = np.random.default_rng(i).normal(size=(50, 3))
    ours = [model(x) for x in X]
    ours = np.array([[v.data for v in o] if isinstance(o, list) else [o.data] for o in ours])
    assert_same(ours, tm(torch.tensor(X, device=device)).detach().cpu().numpy(), repr(model))
    # trained there (here: moved), then brought back: the model computes what the module does
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(torch.linspace(-0.5, 0.5, p.numel(), dtype=torch.float64).reshape(p.shape))
    model.load_state_dict(mg.nn.state_dict_from_torch(tm))
    ours = [model(x) for x in X]
    ours = np.array([[v.data for v in o] if isinstance(o, list) else [o.data] for o in ours])
    assert_same(ours, tm(torch.tensor(X, device=device)).detach().cpu().numpy(),
                repr(model) + " after loading")


def test_five_sgd_steps_on_both_sides_end_at_the_same_weights(torch, device):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 2))
    Y = (X[:, 0] ** 2 + X[:, 1] ** 2 < 1).astype(float)
    model = mg.nn.MLP(2, [4, 1], activation="tanh", seed=0)
    tm = model.to_torch().to(device)
    Xt, Yt = torch.tensor(X, device=device), torch.tensor(Y, device=device)
    opt = mg.optim.SGD(model.parameters(), lr=0.5)
    topt = torch.optim.SGD(tm.parameters(), lr=0.5)
    bce = torch.nn.BCEWithLogitsLoss()
    for _ in range(5):
        model.zero_grad()
        J = sum(mg.losses.binary_cross_entropy_with_logits(model(x), y)
                for x, y in zip(X, Y)) / len(X)
        J.backward()
        opt.step()
        topt.zero_grad()
        bce(tm(Xt)[:, 0], Yt).backward()
        topt.step()
    theirs = mg.nn.state_dict_from_torch(tm)
    ours = model.state_dict()
    for k in ours:
        a, b = np.array(ours[k]), np.array(theirs[k])
        assert np.max(np.abs(a - b)) <= 1e-10, k
    assert np.max(np.abs(np.array(ours["layers.0.w"]) -
                         np.array(mg.nn.MLP(2, [4, 1], "tanh", seed=0).state_dict()["layers.0.w"]))
                  ) > 1e-3  # the steps moved the weights


# --- bad input: one line each -------------------------------------------------------------------


def one_line(err):
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_exporting_before_the_first_call_says_call_it_once():
    f = mg.trace(loss)
    for call in (lambda: f.export("torch"), f.to_torch, f.to_jax):
        with pytest.raises(ValueError) as err:
            call()
        assert "has not been traced yet" in one_line(err)


def test_an_unknown_target_is_named():
    f = traced_loss()
    with pytest.raises(ValueError) as err:
        f.export("tensorflow")
    assert "'tensorflow'" in one_line(err) and "'torch' or 'jax'" in one_line(err)


def test_without_torch_the_error_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None; sys.modules['jax'] = None\n"
            "import microgrid as mg\n"
            "f = mg.trace(lambda x: mg.exp(x) * 2); f(1.0)\n"
            "print(f.export('torch').splitlines()[0])\n"  # the source needs no torch
            "for call in (f.to_torch, f.to_jax, mg.nn.MLP(2, [1]).to_torch):\n"
            "    try: call()\n"
            "    except ModuleNotFoundError as e: print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}, check=True).stdout
    assert out.splitlines() == ["import torch",
                                'this needs PyTorch: python -m pip install torch',
                                'this needs JAX: python -m pip install "jax[cpu]"',
                                'this needs PyTorch: python -m pip install torch']


def test_an_activation_pytorch_lacks_is_named(torch):
    model = mg.nn.MLP(2, [3, 1], activation="tanh", seed=0)
    for n in model.layers[0].neurons:
        n.activation = "swish"
    with pytest.raises(ValueError) as err:
        model.to_torch()
    assert "'swish'" in one_line(err) and "relu, tanh, sigmoid" in one_line(err)
    model.layers[0].neurons[0].activation = "tanh"
    with pytest.raises(ValueError) as err:
        model.to_torch()
    assert "share an activation" in one_line(err)


def test_a_module_of_another_shape_leaves_the_model_unchanged(torch):
    model = mg.nn.MLP(2, [4, 1], activation="tanh", seed=0)
    before = model.state_dict()
    wider = mg.nn.MLP(2, [8, 1], activation="tanh", seed=1).to_torch()
    with pytest.raises(ValueError) as err:
        model.load_state_dict(mg.nn.state_dict_from_torch(wider))
    assert "layers.0.w has shape (4, 2), the state gives (8, 2)" in one_line(err)
    assert model.state_dict() == before
    with pytest.raises(ValueError) as err:
        model.load_state_dict(mg.nn.state_dict_from_torch(mg.nn.Neuron(2).to_torch()))
    assert "doesn't fit MLP" in one_line(err)
    assert model.state_dict() == before


def test_state_dict_from_torch_names_what_it_cannot_read(torch):
    with pytest.raises(TypeError) as err:
        mg.nn.state_dict_from_torch({"0.weight": 1})
    assert "torch.nn.Module, not dict" in one_line(err)
    conv = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError) as err:
        mg.nn.state_dict_from_torch(conv)
    assert "Conv1d" in one_line(err)
    broken = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1))
    with pytest.raises(ValueError) as err:
        mg.nn.state_dict_from_torch(broken)
    assert "takes 4 inputs after a layer of 3 outputs" in one_line(err)
    # a plain torch MLP made elsewhere reads as an MLP's state
    plain = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    model = mg.nn.MLP(2, [4, 1], activation="tanh", seed=0)
    model.load_state_dict(mg.nn.state_dict_from_torch(plain.double()))
    assert model.state_dict()["layers.1.b"] == [plain[2].bias.item()]


# --- docs/export.md (graduating, linked from the README) runs as written -----------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_blocks():
    """The ``py`` code blocks of docs/export.md, the README's page on graduating, in order."""
    import re

    with open(os.path.join(ROOT, "docs", "export.md"), encoding="utf-8") as file:
        text = file.read()
    return re.findall(r"```py\n(.*?)```", text, re.S)


def run_script(tmp_path, source, argv, env=None, timeout=600):
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1", **(env or {})}
    out = subprocess.run([*argv, str(script)], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_readme_the_calls(tmp_path, torch, jax):
    usage = readme_blocks()[0]
    out = run_script(tmp_path, usage + "\nprint(dw.tolist())\n"
                     "fb = mg.trace(loss, batch=['x1', 'x2', 'y'])\n"
                     "print(list(fb.value_and_grad(0.3, -0.5, 0.1, X1, X2, Y)[1][:3]))\n",
                     [sys.executable])
    assert "torch.sigmoid(w1 * x1 + w2 * x2 + b)" in out
    theirs, ours = (eval(line) for line in out.strip().splitlines()[-2:])
    assert_same(ours, theirs, "dw in docs/export.md")


def test_readme_distributed_data_parallel_runs_on_two_processes(tmp_path, torch):
    """The DDP script of docs/export.md, as torchrun starts it on one machine: two CPU processes
    (gloo) here; on GPUs the same script picks nccl and a device per process."""
    out = run_script(tmp_path, readme_blocks()[1],
                     [sys.executable, "-m", "torch.distributed.run", "--standalone",
                      "--nproc_per_node=2"])
    assert out.count("[") == 1  # printed once, by rank 0: the output bias, trained and back


def test_readme_jax_sharding_splits_the_batch_across_devices(tmp_path, jax):
    """The sharding example of docs/export.md on two CPU devices (XLA can pretend a host has
    several), the same code that spreads the batch over GPUs when JAX sees them."""
    out = run_script(tmp_path, readme_blocks()[2], [sys.executable],
                     env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    devices, numbers = out.strip().split(" devices:")
    assert devices == "2"
    J, dw1, dw2, db = map(float, numbers.split())
    f = batched_loss()
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=2048), rng.normal(size=2048)
    J0, grads = f.value_and_grad(0.3, -0.5, 0.1, X1, X2, (X1 + X2 > 0).astype(float))
    assert_same([J0, *grads[:3]], [J, dw1, dw2, db], "sharded")


def test_a_gradient_inside_a_traced_function_exports_with_its_gates(torch, jax, device):
    """A derivative graph in the forward (grad with create_graph inside the function) holds
    gate ops; PyTorch and JAX spell them as where, and compute the same numbers at the corners."""

    def slope(x, y):
        dx, dy = mg.grad(mg.relu(x) ** y, [x, y], create_graph=True)
        return dx + 2.0 * dy

    f = mg.trace(slope)
    f(0.7, 1.3)
    assert "gate(" in f.forward_source
    cols = op_points(O.POW, SINGULAR, [1.0])[:2]
    fb = mg.trace(slope, batch=["x", "y"])
    fb(np.array([0.7]), np.array([1.3]))  # recorded at the same point
    ours = fb(*cols)
    for k, (x, y) in enumerate(zip(*cols)):
        xs = [mg.Value(x), mg.Value(y)]
        assert_same(ours[k], slope(*xs).data, f"eager at {(x, y)}")
    ts = [torch.tensor(c, device=device) for c in cols]
    out = f.to_torch()(*ts)
    assert out.dtype == torch.float64
    assert_same(ours, out.cpu().numpy(), "torch")
    with np.errstate(all="ignore"):
        assert_same(ours, np.asarray(f.to_jax()(*cols)), "jax")
