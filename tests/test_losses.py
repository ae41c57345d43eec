"""microgrid.losses: values and gradients at known points, finite differences, edge cases."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgrid import Value, grad, gradcheck
from microgrid.losses import binary_cross_entropy, binary_cross_entropy_with_logits, hinge, mse

bce, bce_logits = binary_cross_entropy, binary_cross_entropy_with_logits


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def value_and_grad(loss, x, y):
    v = Value(x)
    out = loss(v, y)
    return out.data, grad(out, v)


# --- binary cross-entropy on probabilities ----------------------------------------------------


@pytest.mark.parametrize("p, y", [(0.5, 1), (0.5, 0), (0.8, 1), (0.8, 0), (0.1, 0.3), (0.9, 0.75),
                                  (1e-6, 1), (1 - 1e-6, 0)])
def test_bce_is_the_course_formula_with_its_derivative(p, y):
    loss, dp = value_and_grad(bce, p, y)
    assert loss == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)), rel=1e-12)
    assert dp == pytest.approx(-y / p + (1 - y) / (1 - p), rel=1e-9)  # the course's da


def test_bce_known_numbers():
    assert bce(Value(0.5), 1).data == math.log(2)
    assert bce(Value(0.25), 0).data == pytest.approx(math.log(4 / 3), rel=1e-15)
    assert bce(0.5, 0) == math.log(2)  # a plain number gives a float
    assert type(bce(0.5, 0)) is float


@pytest.mark.parametrize("z", [-27.0, -3.0, -0.5, 0.0, 0.7, 4.0, 27.0])
@pytest.mark.parametrize("y", [0, 1, 0.25])
def test_bce_through_a_sigmoid_gives_dz_equal_a_minus_y(z, y):
    zv = Value(z)
    a = zv.sigmoid()
    dz = grad(bce(a, y), zv)
    assert dz == pytest.approx(sigmoid(z) - y, rel=1e-9, abs=1e-15)


def test_bce_through_a_saturated_sigmoid_loses_its_gradient_as_in_pytorch():
    # σ(−40) ≈ 4e-18 is below 1e-12: the slope is bounded by 1e12, so dz = −1e12·σ'(z), tiny,
    # where the true a − y is −1. That is why scores should go to bce_with_logits.
    zv = Value(-40.0)
    dz = grad(bce(zv.sigmoid(), 1), zv)
    s = sigmoid(-40.0)
    assert dz == pytest.approx(-1e12 * s * (1 - s), rel=1e-12)
    assert grad(bce_logits(zv, 1), zv) == pytest.approx(-1.0)


@pytest.mark.parametrize("p, y, loss, sign", [(0.0, 1, 100.0, -1), (1.0, 0, 100.0, +1),
                                              (0.0, 0, 0.0, +1), (1.0, 1, 0.0, -1)])
def test_bce_is_finite_at_p_0_and_1_like_pytorch(p, y, loss, sign):
    value, dp = value_and_grad(bce, p, y)
    assert value == loss  # log is floored at -100, as in PyTorch's BCELoss
    assert math.isfinite(dp)
    if loss:  # wrong and certain: the gradient points back, with PyTorch's bound 1/1e-12
        assert dp == sign * 1e12
    else:  # right and certain: the true derivative of −log p (or −log(1−p)), ∓1
        assert dp == sign


def test_bce_near_0_keeps_the_value_with_a_bounded_slope():
    value, dp = value_and_grad(bce, 1e-20, 1)
    assert value == pytest.approx(-math.log(1e-20), rel=1e-12)
    assert dp == -1e12
    value, _ = value_and_grad(bce, 1e-60, 1)
    assert value == 100.0  # -log(1e-60) = 138 is above the floor
    value, dp = value_and_grad(bce, 1 - 1e-13, 0)
    assert value == pytest.approx(-math.log(1e-13), rel=1e-3) and dp == 1e12


def test_bce_with_a_hard_label_builds_only_the_term_that_counts():
    p = Value(0.3)
    assert bce(p, 1).op == "neg" and bce(p, 1).inputs[0].op == "log"
    assert bce(p, 0).inputs[0].inputs[0].op == "sub"  # −log(1 − p)


@pytest.mark.parametrize("p, y, error, match", [
    (1.5, 1, ValueError, r"p must be a probability in \[0, 1\], got 1.5"),
    (-0.1, 0, ValueError, "p must be a probability"),
    (0.5, 2, ValueError, r"y must be in \[0, 1\], got 2"),
    (0.5, -1, ValueError, r"y must be in \[0, 1\]"),
    (0.5, "1", TypeError, "the label y must be a number, not str"),
    ("0.5", 1, TypeError, "prediction must be a Value or a number"),
])
def test_bce_refuses_bad_input(p, y, error, match):
    with pytest.raises(error, match=match):
        bce(Value(p) if isinstance(p, float) else p, y)


def test_bce_nan_propagates():
    assert math.isnan(bce(Value(math.nan), 1).data)


# --- binary cross-entropy on logits -------------------------------------------------------------


@pytest.mark.parametrize("z", [-20.0, -2.0, -0.3, 0.0, 0.3, 2.0, 20.0])
@pytest.mark.parametrize("y", [0, 1, 0.3])
def test_bce_with_logits_equals_bce_of_the_sigmoid(z, y):
    loss, dz = value_and_grad(bce_logits, z, y)
    a = sigmoid(z)
    # −(y·log a + (1−y)·log(1−a)) with log a = −log(1 + e^−z) and log(1−a) = −log(1 + e^z)
    expected = y * math.log1p(math.exp(-z)) + (1 - y) * math.log1p(math.exp(z))
    assert loss == pytest.approx(expected, rel=1e-9)
    assert dz == pytest.approx(a - y, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("z, y, loss", [(1000.0, 0, 1000.0), (-1000.0, 1, 1000.0),
                                        (1000.0, 1, 0.0), (-1000.0, 0, 0.0),
                                        (1e308, 0, 1e308), (-1e308, 1, 1e308),
                                        (math.inf, 0, math.inf), (-math.inf, 0, 0.0)])
def test_bce_with_logits_is_stable_for_any_z(z, y, loss):
    value, dz = value_and_grad(bce_logits, z, y)
    assert value == loss
    assert dz == pytest.approx(sigmoid(z) - y, abs=1e-15)


def test_bce_with_logits_known_number_and_float_in_float_out():
    assert bce_logits(0.0, 1) == math.log(2)
    assert bce_logits(Value(0.0), 0).data == math.log(2)
    assert type(bce_logits(3, 1)) is float


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-700, 700), y=st.floats(0, 1))
def test_bce_with_logits_gradient_is_sigmoid_minus_y_everywhere(z, y):
    value, dz = value_and_grad(bce_logits, z, y)
    assert math.isfinite(value) and value >= 0.0
    assert dz == pytest.approx(sigmoid(z) - y, rel=1e-9, abs=1e-12)


def test_bce_with_logits_refuses_bad_labels():
    with pytest.raises(ValueError, match=r"y must be in \[0, 1\]"):
        bce_logits(Value(0.0), -1)
    with pytest.raises(TypeError, match="label y must be a number"):
        bce_logits(Value(0.0), None)


# --- mse and hinge -------------------------------------------------------------------------------


def test_mse_value_and_gradient():
    loss, dp = value_and_grad(mse, 2.5, 1)
    assert loss == 2.25 and dp == 3.0  # (p − y)², 2(p − y)
    assert mse(0.5, -0.5) == 1.0


@pytest.mark.parametrize("score, y, loss, dscore", [
    (0.3, 1, 0.7, -1.0), (-0.3, -1, 0.7, 1.0), (2.0, 1, 0.0, 0.0), (-2.0, -1, 0.0, 0.0),
    (0.5, -1, 1.5, 1.0), (-1.0, 1, 2.0, -1.0), (1.0, 1, 0.0, 0.0),  # at the hinge: 0 like ReLU
])
def test_hinge_values_and_gradients(score, y, loss, dscore):
    value, d = value_and_grad(hinge, score, y)
    assert value == pytest.approx(loss, abs=1e-15) and d == dscore


@pytest.mark.parametrize("y", [0, 0.5, 2, -2])
def test_hinge_needs_labels_plus_minus_one(y):
    with pytest.raises(ValueError, match=r"y must be -1 or \+1"):
        hinge(Value(0.0), y)


# --- all of them against finite differences ---------------------------------------------------


@pytest.mark.parametrize("loss, points", [
    (bce, [(0.2, 1), (0.7, 0), (0.4, 0.6), (0.999, 1), (0.01, 0)]),
    (bce_logits, [(-5.0, 1), (-0.4, 0), (0.0, 0.5), (0.3, 1), (8.0, 0), (40.0, 0.2)]),
    (mse, [(0.0, 1), (-3.0, 2.5), (1e3, 0)]),
    (hinge, [(0.2, 1), (-0.7, -1), (3.0, 1), (0.4, -1)]),
])
def test_gradcheck(loss, points):
    for x, y in points:
        assert gradcheck(lambda v, y=y: loss(v, y), x)


def test_losses_compose_into_a_batch_mean():
    ps = [Value(0.2), Value(0.9), Value(0.6)]
    ys = [0, 1, 1]
    losses = [bce(p, y) for p, y in zip(ps, ys)]
    J = sum(losses[1:], losses[0]) / 3
    J.backward()
    for p, y in zip(ps, ys):
        assert p.grad == pytest.approx((-y / p.data + (1 - y) / (1 - p.data)) / 3, rel=1e-12)


# --- PyTorch as an extra oracle (the tests above check the same things without it) -------------


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    # (Not at p = y = 0 or 1: PyTorch's gradient formula (p − y)/p(1 − p) gives 0/0 there and
    # reports 0; microgrid gives the true derivative of −log p at p = 1, which is −1.)

    def torch_value_and_grad(f, x, y):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        out = f(t, torch.tensor(float(y), dtype=torch.float64))
        out.backward()
        return out.item(), t.grad.item()

    cases = [
        (bce, F.binary_cross_entropy, [(0.3, 1), (0.3, 0), (0.6, 0.2), (0.0, 1), (1.0, 0),
                                       (1e-20, 1), (1e-13, 1)]),
        (bce_logits, F.binary_cross_entropy_with_logits,
         [(-3.0, 1), (2.0, 0), (0.0, 0.4), (50.0, 0), (-800.0, 1), (800.0, 0.5)]),
        (mse, F.mse_loss, [(0.3, 1), (-2.0, 0.5)]),
        (hinge, lambda s, y: torch.relu(1 - y * s), [(0.3, 1), (2.0, -1), (-4.0, -1)]),
    ]
    for ours, theirs, points in cases:
        for x, y in points:
            value, d = value_and_grad(ours, x, y)
            t_value, t_d = torch_value_and_grad(theirs, x, y)
            assert value == pytest.approx(t_value, rel=1e-12, abs=1e-15), (ours.__name__, x, y)
            # (PyTorch's bound 1e-12 on p(1-p) is a float32 constant: 1e-12 within 4e-9)
            assert d == pytest.approx(t_d, rel=1e-8, abs=1e-15), (ours.__name__, x, y)


# --- a label given as a Value (a traced argument, one per sample) -------------------------------


@pytest.mark.parametrize("z, y", [(0.7, 1.0), (-2.0, 0.0), (0.0, 0.3), (30.0, 0.6)])
def test_a_value_label_gets_its_own_gradient_like_pytorch(z, y):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for ours, theirs, x in [(bce_logits, F.binary_cross_entropy_with_logits, z),
                            (bce, F.binary_cross_entropy, sigmoid(z))]:
        xv, yv = Value(x), Value(y)
        out = ours(xv, yv)
        dx, dy = grad(out, [xv, yv])
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        u = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        expected = theirs(t, u)
        expected.backward()
        assert out.data == pytest.approx(expected.item(), rel=1e-12)
        assert dx == pytest.approx(t.grad.item(), rel=1e-8, abs=1e-15)
        assert dy == pytest.approx(u.grad.item(), rel=1e-8, abs=1e-15)


def test_a_value_label_is_checked_and_a_number_prediction_with_it_gives_a_value():
    with pytest.raises(ValueError, match=r"y must be in \[0, 1\], got 2.0"):
        bce(Value(0.5), Value(2.0))
    with pytest.raises(ValueError, match=r"y must be -1 or \+1, got 0.5"):
        hinge(Value(0.5), Value(0.5))
    y = Value(1.0)
    out = bce_logits(0.0, y)  # a number prediction with a Value label: in the graph
    assert type(out) is Value and grad(out, y) == -0.0
