"""fit's per-layer gradient history: each layer's gradient norm, and the dead ReLU fraction."""

import math

import microgrid as mg
from microgrid.datasets import make_moons
from microgrid.losses import binary_cross_entropy_with_logits as bce
from microgrid.optim import SGD


def test_full_batch_norms_are_the_gradients_of_the_mean_loss():
    X, y = make_moons(40, seed=1)
    model = mg.nn.MLP(2, [3, 1], activation="tanh", seed=0)
    twin = mg.nn.MLP(2, [3, 1], activation="tanh", seed=0)
    h = mg.train.fit(model, X, y, bce, SGD(model.parameters(), lr=0.1), epochs=1,
                     progress=False)
    J = sum(bce(twin(x), t) for x, t in zip(X, y)) / len(y)
    J.backward()
    for name, layer in zip(["L1", "L2"], twin.layers):
        expected = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert abs(h.grad_norm[name][0] - expected) < 1e-12
    assert h.dead_fraction == {}  # no ReLU layer


def test_dead_relus_are_counted_per_epoch():
    X, y = make_moons(60, seed=2)
    model = mg.nn.MLP(2, [4, 4, 1], seed=0)
    dead = model.layers[0].neurons[0]
    for w in dead.w:
        w.data = 0.0
    dead.b.data = -5.0  # z = -5 on every sample: its gradient is exactly 0
    h = mg.train.fit(model, X, y, bce, SGD(model.parameters(), lr=0.05), epochs=3,
                     batch_size=16, progress=False)
    assert sorted(h.grad_norm) == ["L1", "L2", "L3"]
    assert sorted(h.dead_fraction) == ["L1", "L2"]  # the linear output layer has none
    assert all(len(v) == 3 for v in [*h.grad_norm.values(), *h.dead_fraction.values()])
    assert all(f >= 0.25 for f in h.dead_fraction["L1"])  # at least the one we killed
    assert all(0.0 <= f <= 1.0 for f in h.dead_fraction["L2"])
    assert all(n > 0 for n in h.grad_norm["L3"])


def test_models_without_layers_have_no_per_layer_history():
    X, y = make_moons(20, seed=3)
    model = mg.nn.LogisticRegression(2)
    h = mg.train.fit(model, X, y, mg.losses.binary_cross_entropy,
                     SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert list(h.grad_norm) == ["L1"] and len(h.grad_norm["L1"]) == 2
    w = mg.Value(0.0)
    h = mg.train.fit(lambda x: w * x[0], X, y, mg.losses.mse, SGD([w], lr=0.1), epochs=1,
                     progress=False)
    assert h.grad_norm == {} and h.dead_fraction == {}
