"""microgrid.optim: updates checked against hand-computed numbers."""

import math

import pytest

from microgrid import Value
from microgrid.optim import SGD, Adam


def run(opt, params, grads):
    """Apply one step per row of ``grads`` (one gradient per parameter); return the data."""
    history = []
    for row in grads:
        opt.zero_grad()
        for p, g in zip(params, row):
            p.grad = g
        opt.step()
        history.append([p.data for p in params])
    return history


def test_sgd_is_w_minus_lr_dw():
    w, b = Value(1.0), Value(-2.0)
    history = run(SGD([w, b], lr=0.1), [w, b], [[0.5, -4.0], [1.0, 1.0]])
    assert history[0] == [1.0 - 0.1 * 0.5, -2.0 + 0.1 * 4.0]
    assert history[1] == [1.0 - 0.1 * 0.5 - 0.1 * 1.0, -2.0 + 0.1 * 4.0 - 0.1 * 1.0]


def test_sgd_momentum_by_hand():
    # v := 0.9·v + g; w := w − 0.1·v, from w = 1 and gradients 1, 2, −1
    w = Value(1.0)
    history = run(SGD([w], lr=0.1, momentum=0.9), [w], [[1.0], [2.0], [-1.0]])
    v1 = 1.0
    v2 = 0.9 * v1 + 2.0  # 2.9
    v3 = 0.9 * v2 - 1.0  # 1.61
    expected = [1.0 - 0.1 * v1, 1.0 - 0.1 * v1 - 0.1 * v2, 1.0 - 0.1 * (v1 + v2 + v3)]
    assert [h[0] for h in history] == pytest.approx(expected, rel=1e-15)
    assert [round(x, 12) for x in expected] == [0.9, 0.61, 0.449]


def test_adam_first_step_is_lr_times_the_sign_of_the_gradient():
    # after one step the bias-corrected m̂ = g and ŝ = g², so the step is lr·g/(|g| + eps)
    params = [Value(0.0), Value(0.0), Value(0.0)]
    run(Adam(params, lr=0.01), params, [[3.0, -1e-3, 250.0]])
    assert [p.data for p in params] == pytest.approx([-0.01, 0.01, -0.01], rel=1e-5)


def test_adam_two_steps_by_hand():
    w = Value(0.5)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    history = run(Adam([w], lr=lr, betas=(b1, b2), eps=eps), [w], [[2.0], [-1.0]])
    m1, s1 = (1 - b1) * 2.0, (1 - b2) * 4.0
    w1 = 0.5 - lr * (m1 / (1 - b1)) / (math.sqrt(s1 / (1 - b2)) + eps)
    m2, s2 = b1 * m1 + (1 - b1) * -1.0, b2 * s1 + (1 - b2) * 1.0
    w2 = w1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(s2 / (1 - b2**2)) + eps)
    assert history[0][0] == pytest.approx(w1, rel=1e-14)
    assert history[1][0] == pytest.approx(w2, rel=1e-14)
    # m2 = 0.9·0.2 − 0.1 = 0.08 > 0: the second step still goes down, momentum wins
    assert w2 < w1 < 0.5


def test_adam_with_zero_eps_and_zero_gradient_gives_nan_not_an_exception():
    w = Value(1.0)
    run(Adam([w], lr=0.1, eps=0.0), [w], [[0.0]])
    assert math.isnan(w.data)


def test_updates_are_not_part_of_any_graph_and_zero_grad_clears():
    w = Value(2.0, label="w")
    loss = (w - 5.0) ** 2
    loss.backward()
    for opt in (SGD([w], lr=0.1, momentum=0.5), Adam([w])):
        opt.step()
        assert w.op == "" and w.inputs == () and w.label == "w"
    assert w.grad != 0.0
    opt.zero_grad()
    assert w.grad == 0.0


@pytest.mark.parametrize("opt", [lambda ps: SGD(ps, lr=0.02), lambda ps: SGD(ps, 0.01, 0.9),
                                 lambda ps: Adam(ps, lr=0.1)])
def test_they_minimize_a_quadratic(opt):
    x, y = Value(3.0), Value(-2.0)
    o = opt([x, y])
    for _ in range(300):
        o.zero_grad()
        f = (x - 1.0) ** 2 + 10 * (y + 0.5) ** 2
        f.backward()
        o.step()
    assert x.data == pytest.approx(1.0, abs=1e-2) and y.data == pytest.approx(-0.5, abs=1e-2)


@pytest.mark.parametrize("make, error, match", [
    (lambda p: SGD(p, lr=0), ValueError, "lr must be > 0, got 0.0"),
    (lambda p: SGD(p, lr=-0.1), ValueError, "lr must be > 0"),
    (lambda p: SGD(p, lr=math.nan), ValueError, "lr must be finite"),
    (lambda p: SGD(p, lr="0.1"), TypeError, "lr must be a number, not str"),
    (lambda p: SGD(p, lr=True), TypeError, "lr must be a number"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum must be in"),
    (lambda p: Adam(p, lr=0.0), ValueError, "lr must be > 0"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), ValueError, r"betas\[0\] must be in \[0, 1\)"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), ValueError, r"betas\[1\] must be in"),
    (lambda p: Adam(p, betas=0.9), TypeError, "betas must be a pair"),
    (lambda p: Adam(p, eps=-1e-8), ValueError, "eps must be >= 0"),
    (lambda p: SGD([], lr=0.1), ValueError, "empty list of parameters"),
    (lambda p: SGD([p[0], 1.0], lr=0.1), TypeError, r"params\[1\] is a float, not a Value"),
    (lambda p: SGD([p[0], p[0]], lr=0.1), ValueError, "appears twice"),
    (lambda p: SGD(p[0], lr=0.1), TypeError, "iterable of Values"),
    (lambda p: SGD(3, lr=0.1), TypeError, "iterable of Values, not int"),
])
def test_bad_arguments_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make([Value(1.0), Value(2.0)])


def test_params_can_be_any_iterable():
    a, b = Value(1.0), Value(2.0)
    opt = SGD((p for p in [a, b]), lr=0.5)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == (0.5, 1.5)


# --- PyTorch as an extra oracle (hand-computed tests above check the same without it) ------------


@pytest.mark.parametrize("name, kwargs", [("SGD", {"lr": 0.05, "momentum": 0.9}),
                                          ("Adam", {"lr": 0.03, "betas": (0.8, 0.99),
                                                    "eps": 1e-6})])
def test_trajectories_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    start = [1.5, -0.7, 0.2]

    def f(x, y, z):
        return (x - 1.0) ** 2 * 3.0 + (x * y) + (z + 0.3) ** 4

    ours = [Value(v) for v in start]
    opt = {"SGD": SGD, "Adam": Adam}[name](ours, **kwargs)
    theirs = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    t_opt = getattr(torch.optim, name)([theirs], **kwargs)
    for _ in range(25):
        opt.zero_grad()
        f(*ours).backward()
        opt.step()
        t_opt.zero_grad()
        f(theirs[0], theirs[1], theirs[2]).backward()
        t_opt.step()
    assert [p.data for p in ours] == pytest.approx(theirs.tolist(), rel=1e-10, abs=1e-12)
