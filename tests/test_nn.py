"""microgrid.nn: what the models compute, their parameters, and saving/restoring them."""

import json
import math
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgrid import Value, topological_order
from microgrid.nn import MLP, Layer, LogisticRegression, Module, Neuron


def bits(x):
    return struct.pack("<d", x)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# --- logistic regression: the course's model -----------------------------------------------------


def test_logistic_regression_starts_at_zero_and_predicts_one_half():
    model = LogisticRegression(3)
    assert [p.data for p in model.parameters()] == [0.0, 0.0, 0.0, 0.0]
    a = model([1.0, -2.0, 3.0])
    assert a.data == 0.5
    assert a.op == "sigmoid"


def test_logistic_regression_computes_sigmoid_of_wx_plus_b_and_its_gradient():
    model = LogisticRegression(2)
    model.load_state_dict({"w": [0.5, -1.5], "b": 0.25})
    x = [2.0, 3.0]
    a = model(x)
    z = 0.5 * 2.0 - 1.5 * 3.0 + 0.25
    assert a.data == pytest.approx(sigmoid(z), rel=1e-15)
    a.backward()  # da/dw_k = σ'(z)·x_k, da/db = σ'(z)
    s = sigmoid(z) * (1 - sigmoid(z))
    assert [w.grad for w in model.w] == pytest.approx([s * 2.0, s * 3.0], rel=1e-12)
    assert model.b.grad == pytest.approx(s, rel=1e-12)


def test_logistic_regression_labels_read_like_the_course():
    model = LogisticRegression(3)
    assert [p.label for p in model.parameters()] == ["w1", "w2", "w3", "b"]
    assert model.state_dict() == {"w": [0.0, 0.0, 0.0], "b": 0.0}


# --- MLP -----------------------------------------------------------------------------------------


def test_mlp_same_seed_same_model_other_seed_other_model():
    a, b, c = MLP(2, [16, 16, 1], seed=7), MLP(2, [16, 16, 1], seed=7), MLP(2, [16, 16, 1], seed=8)
    assert [bits(p.data) for p in a.parameters()] == [bits(p.data) for p in b.parameters()]
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]
    assert a([0.3, -0.2]).data == b([0.3, -0.2]).data


def test_mlp_parameter_count_and_initial_scale():
    model = MLP(3, [4, 5, 2], seed=0)
    assert len(model.parameters()) == (3 + 1) * 4 + (4 + 1) * 5 + (5 + 1) * 2
    # every layer starts within ±1/√nin, so wide layers don't blow up the scores
    for layer, nin in zip(model.layers, [3, 4, 5]):
        for p in layer.parameters():
            assert abs(p.data) <= 1 / math.sqrt(nin)


def test_mlp_output_is_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, Value) for o in out)
    # a hidden layer of one unit still feeds the next layer
    assert isinstance(MLP(2, [1, 1], seed=0)([1.0, 2.0]), Value)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_hidden_layers_use_the_activation_and_the_last_layer_is_linear(activation):
    model = MLP(2, [3, 4, 1], activation=activation, seed=1)
    out = model([0.5, -1.0])
    assert out.op == "add"  # w·h + b, no activation on the output
    ops = [node.op for node in topological_order(out)]
    assert ops.count(activation) == 3 + 4
    # the same number by hand
    h = [0.5, -1.0]
    act = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh, "sigmoid": sigmoid}[activation]
    for i, layer in enumerate(model.layers):
        zs = [sum(w.data * x for w, x in zip(n.w, h)) + n.b.data for n in layer.neurons]
        h = zs if i == len(model.layers) - 1 else [act(z) for z in zs]
    assert out.data == pytest.approx(h[0], rel=1e-12, abs=1e-15)


def test_mlp_labels_name_layer_neuron_and_weight():
    model = MLP(2, [3, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["L1.n1.w1", "L1.n1.w2", "L1.n1.b"]
    assert labels[-1] == "L2.n1.b"
    assert len(set(labels)) == len(labels)


def test_gradients_reach_every_parameter_and_zero_grad_clears_them():
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    model([0.7, -0.4]).backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_neuron_and_layer_on_their_own():
    n = Neuron(2, "relu", seed=0)
    assert [p.label for p in n.parameters()] == ["w1", "w2", "b"]
    z = n.w[0].data * 1.0 + n.w[1].data * 2.0 + n.b.data
    assert n([1.0, 2.0]).data == pytest.approx(max(z, 0.0), rel=1e-15)
    assert Neuron(2, seed=0)([1.0, 2.0]).op == "add"  # no activation: linear
    layer = Layer(2, 3, "tanh", seed=0)
    out = layer([1.0, 2.0])
    assert len(out) == 3 and all(o.op == "tanh" for o in out)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert len(layer.parameters()) == 9


# --- inputs --------------------------------------------------------------------------------------


def test_models_take_lists_tuples_numpy_rows_and_values():
    np = pytest.importorskip("numpy")
    model = MLP(3, [4, 1], seed=0)
    x = [0.5, -1.0, 2.0]
    expected = model(x).data
    assert model(tuple(x)).data == expected
    assert model(np.array(x)).data == expected
    assert model(np.array(x, dtype=np.float32)).data == pytest.approx(expected, rel=1e-6)
    assert model([1, 2, 3]).data == model([1.0, 2.0, 3.0]).data
    xs = [Value(v) for v in x]
    out = model(xs)
    assert out.data == expected
    out.backward()  # the input Values get gradients too (saliency)
    assert any(v.grad != 0.0 for v in xs)


def test_wrong_inputs_are_refused_clearly():
    model = LogisticRegression(3)
    with pytest.raises(ValueError, match="expects 3 features per sample, got 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="expects 2 features"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="sequence of 3 numbers"):
        model(3.0)
    with pytest.raises(TypeError, match="sequence"):
        model("abc")
    with pytest.raises(TypeError):
        model([1.0, "a", 2.0])


def test_a_2d_array_is_refused_as_one_sample():
    np = pytest.importorskip("numpy")
    with pytest.raises(ValueError, match=r"one sample.*shape \(2, 3\)"):
        LogisticRegression(3)(np.zeros((2, 3)))


@pytest.mark.parametrize("make, error, match", [
    (lambda: MLP(0, [1]), ValueError, "nin must be at least 1"),
    (lambda: MLP(2.0, [1]), TypeError, "nin must be an int"),
    (lambda: MLP(2, []), TypeError, "sizes must be a non-empty list"),
    (lambda: MLP(2, 3), TypeError, "sizes must be a non-empty list"),
    (lambda: MLP(2, [4, 0]), ValueError, r"sizes\[1\] must be at least 1"),
    (lambda: MLP(2, [1], activation="softmax"), ValueError, "activation must be one of"),
    (lambda: MLP(2, [1], activation=None), ValueError, "activation must be one of"),
    (lambda: MLP(2, [1], seed="a"), TypeError, "seed must be an int"),
    (lambda: LogisticRegression(0), ValueError, "n_features must be at least 1"),
    (lambda: LogisticRegression(True), TypeError, "n_features must be an int"),
    (lambda: Neuron(2, "gelu"), ValueError, "activation must be one of"),
    (lambda: Layer(2, 0), ValueError, "nout must be at least 1"),
])
def test_bad_constructor_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


# --- state_dict ----------------------------------------------------------------------------------


def _scramble(model, seed):
    """Give every parameter an awkward float (many digits, tiny, huge), as after training."""
    rng = random.Random(seed)
    for p in model.parameters():
        p.data = rng.choice([rng.gauss(0, 1), rng.gauss(0, 1) * 1e-300, rng.gauss(0, 1) * 1e300,
                             rng.random() / 3])


def _is_plain(d):
    if isinstance(d, dict):
        return all(type(k) is str and _is_plain(v) for k, v in d.items())
    if isinstance(d, list):
        return all(_is_plain(v) for v in d)
    return type(d) is float


@pytest.mark.parametrize("make", [lambda: MLP(3, [5, 4, 1], seed=0), lambda: MLP(2, [3, 2]),
                                  lambda: LogisticRegression(4), lambda: Neuron(3),
                                  lambda: Layer(3, 2)])
def test_state_dict_survives_a_json_round_trip_bit_exactly(make):
    model = make()
    _scramble(model, 1)
    state = model.state_dict()
    assert _is_plain(state)
    restored = make()
    restored.load_state_dict(json.loads(json.dumps(state)))
    assert [bits(p.data) for p in restored.parameters()] == \
           [bits(p.data) for p in model.parameters()]
    x = [0.1 * (i + 1) for i in range(_nin(model))]
    assert bits(_scalar(restored(x))) == bits(_scalar(model(x)))


def _nin(model):
    if isinstance(model, MLP):
        return model.nin
    if isinstance(model, Layer):
        return len(model.neurons[0].w)
    return len(model.w)


def _scalar(out):
    return out.data if isinstance(out, Value) else out[0].data


def test_state_dict_layout():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state) == ["layers.0.w", "layers.0.b", "layers.1.w", "layers.1.b"]
    assert len(state["layers.0.w"]) == 3 and len(state["layers.0.w"][0]) == 2  # nout × nin
    assert state["layers.0.w"][1][0] == model.layers[0].neurons[1].w[0].data
    assert len(state["layers.1.b"]) == 1


def test_state_dict_is_a_copy():
    model = LogisticRegression(2)
    state = model.state_dict()
    state["w"][0] = 5.0
    assert model.w[0].data == 0.0


@pytest.mark.parametrize("edit, error, match", [
    (lambda s: s.pop("layers.1.b"), ValueError, r"missing \['layers.1.b'\]"),
    (lambda s: s.update(extra=[1.0]), ValueError, r"unexpected \['extra'\]"),
    (lambda s: s["layers.0.w"].pop(), ValueError, r"layers.0.w has shape \(3, 2\).*\(2, 2\)"),
    (lambda s: s["layers.0.w"][2].append(1.0), ValueError, r"layers.0.w\[2\] has shape \(2,\)"),
    (lambda s: s.update({"layers.1.b": 1.0}), ValueError, r"layers.1.b has shape \(1,\)"),
    (lambda s: s["layers.0.b"].__setitem__(0, "1.0"), TypeError, r"layers.0.b\[0\] must be a num"),
    (lambda s: s["layers.0.b"].__setitem__(0, [1.0]), TypeError, r"must be a number, not list"),
])
def test_load_state_dict_refuses_a_state_that_does_not_fit_and_changes_nothing(edit, error, match):
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    state = MLP(2, [3, 1], seed=1).state_dict()
    edit(state)
    with pytest.raises(error, match=match):
        model.load_state_dict(state)
    assert [p.data for p in model.parameters()] == before


def test_load_state_dict_needs_a_dict():
    with pytest.raises(TypeError, match="takes a dict"):
        LogisticRegression(2).load_state_dict([0.0, 0.0, 0.0])


def test_a_module_without_parameters():
    m = Module()
    assert m.parameters() == [] and m.state_dict() == {}
    with pytest.raises(NotImplementedError):
        m([1.0])


@settings(max_examples=30, deadline=None)
@given(nin=st.integers(1, 4), sizes=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       seed=st.integers(0, 2**32), activation=st.sampled_from(["relu", "tanh", "sigmoid"]))
def test_any_mlp_round_trips_and_counts_its_parameters(nin, sizes, seed, activation):
    model = MLP(nin, sizes, activation=activation, seed=seed)
    dims = [nin, *sizes]
    assert len(model.parameters()) == sum((dims[i] + 1) * dims[i + 1] for i in range(len(sizes)))
    _scramble(model, seed)
    copy = MLP(nin, sizes, activation=activation, seed=seed + 1)
    copy.load_state_dict(json.loads(json.dumps(model.state_dict())))
    assert [bits(p.data) for p in copy.parameters()] == [bits(p.data) for p in model.parameters()]
