"""microgrid.train: batch / stochastic / mini-batch gradient descent, on toy and real data."""

import math
import random

import pytest

import microgrid as mg
from microgrid import Value
from microgrid.datasets import load_breast_cancer, make_moons, standardize, train_test_split
from microgrid.losses import binary_cross_entropy, binary_cross_entropy_with_logits, hinge, mse
from microgrid.nn import MLP, LogisticRegression
from microgrid.optim import SGD, Adam
from microgrid.train import History, accuracy, fit, predict


@pytest.fixture(scope="module")
def cancer():
    """Breast cancer data, split 80/20 with each split seed and standardized on the train part."""
    X, y, _ = load_breast_cancer()
    splits = {}
    for seed in (0, 1, 2):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=seed)
        Ztr, Zte, _, _ = standardize(Xtr, Xte)
        splits[seed] = (Ztr, Zte, ytr, yte)
    return splits


LR, EPOCHS = 1.0, 20


@pytest.fixture(scope="module")
def trained(cancer):
    """Logistic regression trained full-batch from zeros on each split: (model, history)."""
    runs = {}
    for seed, (Ztr, _, ytr, _) in cancer.items():
        model = LogisticRegression(30)
        history = fit(model, Ztr, ytr, binary_cross_entropy, SGD(model.parameters(), lr=LR),
                      epochs=EPOCHS, progress=False)
        runs[seed] = model, history
    return runs


def course_logistic_regression(X, Y, lr, epochs):
    """The course's vectorized batch gradient descent, in NumPy; X is n × m, Y is 1 × m."""
    np = pytest.importorskip("numpy")
    n, m = X.shape
    w, b = np.zeros((n, 1)), 0.0
    for _ in range(epochs):
        A = 1 / (1 + np.exp(-(w.T @ X + b)))
        dw = X @ (A - Y).T / m
        db = np.mean(A - Y)
        w, b = w - lr * dw, b - lr * db
    return w, b


# --- full batch: the course's update, number for number -------------------------------------


@pytest.mark.parametrize("split", [0, 1, 2])
def test_full_batch_logistic_regression_is_the_course_numpy_code(cancer, trained, split):
    np = pytest.importorskip("numpy")
    Ztr, Zte, ytr, yte = cancer[split]
    model, history = trained[split]
    w, b = course_logistic_regression(np.array(Ztr).T, np.array([ytr], dtype=float), LR, EPOCHS)
    assert [p.data for p in model.w] == pytest.approx(w.ravel().tolist(), rel=1e-7, abs=1e-9)
    assert model.b.data == pytest.approx(b, rel=1e-7, abs=1e-9)
    ours = [model(x).data for x in Zte]
    theirs = (1 / (1 + np.exp(-(w.T @ np.array(Zte).T + b)))).ravel()
    assert ours == pytest.approx(theirs.tolist(), rel=1e-7, abs=1e-9)
    assert predict(model, Zte) == (theirs > 0.5).astype(int).tolist()
    assert len(history.step_loss) == EPOCHS and history.epoch_loss == history.step_loss
    assert history.epoch_loss[0] == pytest.approx(math.log(2))  # from zeros every a is 1/2


def test_held_out_accuracy_on_the_real_data(cancer, trained):
    scores = []
    for seed, (Ztr, Zte, ytr, yte) in cancer.items():
        model, history = trained[seed]
        assert history.epoch_loss[-1] < 0.2 * history.epoch_loss[0]
        assert accuracy(model, Ztr, ytr) >= 0.97
        scores.append(accuracy(model, Zte, yte))
    # 114 held-out tumours per split: 93.9%, 96.5%, 99.1% (mean 96.5%); split 0 is the hardest
    assert min(scores) >= 0.93
    assert sum(scores) / len(scores) >= 0.95


def test_one_full_batch_step_from_zeros_by_hand():
    # from zeros a = 1/2 for every sample, so dw = 1/m Σ x(1/2 − y) and db = mean(1/2 − y)
    X = [[1.0, 2.0], [-3.0, 0.5], [0.25, -1.0]]
    y = [1, 0, 1]
    model = LogisticRegression(2)
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.3), epochs=1,
        progress=False)
    for k in range(2):
        dw = sum(x[k] * (0.5 - t) for x, t in zip(X, y)) / 3
        assert model.w[k].data == pytest.approx(-0.3 * dw, rel=1e-15)
    assert model.b.data == pytest.approx(-0.3 * sum(0.5 - t for t in y) / 3, rel=1e-15)


# --- stochastic and mini-batch gradient descent --------------------------------------------------


@pytest.mark.parametrize("batch_size, epochs, lr", [(1, 2, 0.05), (32, 4, 0.5), (64, 6, 0.5),
                                                    (128, 10, 0.5)])
def test_stochastic_and_mini_batch_runs_train(cancer, batch_size, epochs, lr):
    Ztr, Zte, ytr, yte = cancer[1]
    model = LogisticRegression(30)
    history = fit(model, Ztr, ytr, binary_cross_entropy, SGD(model.parameters(), lr=lr),
                  epochs=epochs, batch_size=batch_size, progress=False)
    steps = math.ceil(len(Ztr) / batch_size)
    assert history.steps_per_epoch == steps and history.batch_size == batch_size
    assert len(history.step_loss) == epochs * steps and len(history.epoch_loss) == epochs
    assert history.epoch_loss[-1] < history.epoch_loss[0] < math.log(2)
    assert history.step_loss[0] == pytest.approx(math.log(2))  # the very first step, from zeros
    assert accuracy(model, Ztr, ytr) >= 0.97
    assert accuracy(model, Zte, yte) >= 0.95


def test_each_step_loss_is_its_batch_mean_and_epoch_loss_the_sample_mean():
    # m = 5, b = 2: batches of 2, 2 and 1; mse of a model that ignores its weights
    X = [[float(i)] for i in range(5)]
    y = [0.0, 1.0, 0.0, 1.0, 0.0]
    model = LogisticRegression(1)  # a = 1/2 at the start, and lr tiny: the losses stay ≈ 1/4
    history = fit(model, X, y, mse, SGD(model.parameters(), lr=1e-300), epochs=1, batch_size=2,
                  shuffle=False, progress=False)
    assert history.step_loss == [0.25, 0.25, 0.25]
    assert history.epoch_loss == [0.25]
    model = MLP(1, [1], seed=0)  # a line: the loss of each batch is known exactly
    w, b = model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].b.data
    history = fit(model, X, y, mse, SGD(model.parameters(), lr=1e-300), epochs=1, batch_size=2,
                  shuffle=False, progress=False)
    per_sample = [(w * x[0] + b - t) ** 2 for x, t in zip(X, y)]
    expected = [(per_sample[0] + per_sample[1]) / 2, (per_sample[2] + per_sample[3]) / 2,
                per_sample[4]]
    assert history.step_loss == pytest.approx(expected, rel=1e-12)
    assert history.epoch_loss[0] == pytest.approx(sum(per_sample) / 5, rel=1e-12)


def test_sgd_without_shuffling_is_the_plain_loop():
    X, y = make_moons(30, noise=0.1, seed=4)
    model = MLP(2, [4, 1], activation="tanh", seed=1)
    twin = MLP(2, [4, 1], activation="tanh", seed=1)
    fit(model, X, y, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1), epochs=2,
        batch_size=1, shuffle=False, progress=False)
    opt = SGD(twin.parameters(), lr=0.1)
    for _ in range(2):
        for x, t in zip(X, y):
            opt.zero_grad()
            binary_cross_entropy_with_logits(twin(x), t).backward()
            opt.step()
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]


def test_shuffling_is_reproducible_from_the_seed():
    X, y = make_moons(40, noise=0.1, seed=0)

    def run(seed, shuffle=True):
        model = MLP(2, [4, 1], seed=0)
        h = fit(model, X, y, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1),
                epochs=2, batch_size=8, shuffle=shuffle, seed=seed, progress=False)
        return h.step_loss, [p.data for p in model.parameters()]

    assert run(3) == run(3)
    assert run(3) != run(4)
    assert run(3, shuffle=False) == run(4, shuffle=False)


def test_the_order_of_each_epoch_is_random_random_shuffle_of_the_seed():
    # a model that records which samples each step saw
    seen = []

    def model(x):
        seen.append(int(x[0]))
        return Value(0.5) * 1.0 + w

    w = Value(0.0)
    X = [[float(i)] for i in range(7)]
    fit(model, X, [0] * 7, mse, SGD([w], lr=0.01), epochs=2, batch_size=3, seed=11,
        progress=False)
    rng, order, expected = random.Random(11), list(range(7)), []
    for _ in range(2):
        rng.shuffle(order)
        expected += order
    assert seen == expected


# --- an MLP on moons -------------------------------------------------------------------------


def test_mlp_with_adam_fits_the_moons():
    X, y = make_moons(100, noise=0.15, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, binary_cross_entropy_with_logits,
                  Adam(model.parameters(), lr=0.02), epochs=30, batch_size=10, progress=False)
    assert history.epoch_loss[-1] < 0.1 * history.epoch_loss[0]
    assert accuracy(model, X, y, threshold=0.0) >= 0.97


def test_hinge_training_with_labels_plus_minus_one():
    X, y = make_moons(60, noise=0.1, seed=2)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [8, 1], seed=0)
    fit(model, X, y, hinge, Adam(model.parameters(), lr=0.05), epochs=25, batch_size=10,
        progress=False)
    assert accuracy(model, X, y, threshold=0.0) >= 0.9


# --- inputs -------------------------------------------------------------------------------------


def test_numpy_arrays_and_lists_give_the_same_run():
    np = pytest.importorskip("numpy")
    X, y = make_moons(20, noise=0.1, seed=1)

    def run(X, y):
        model = MLP(2, [3, 1], seed=0)
        h = fit(model, X, y, binary_cross_entropy_with_logits, SGD(model.parameters(), lr=0.1),
                epochs=2, batch_size=4, progress=False)
        return h.step_loss, [p.data for p in model.parameters()]

    assert run(np.array(X), np.array(y)) == run(X, y)
    assert run([tuple(r) for r in X], tuple(y)) == run(X, y)
    assert run(np.array(X, dtype=np.float64), np.array(y, dtype=np.int8)) == run(X, y)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"X": [[1.0], [2.0]], "y": [1]}, ValueError, "X has 2 samples but y has 1 labels"),
    ({"X": [], "y": []}, ValueError, "X is empty"),
    ({"epochs": 0}, ValueError, "epochs must be at least 1, got 0"),
    ({"epochs": 2.0}, TypeError, "epochs must be an int"),
    ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
    ({"batch_size": -3}, ValueError, "batch_size must be at least 1"),
    ({"batch_size": 2.5}, TypeError, "batch_size must be an int or None"),
    ({"X": [[1.0], [2.0, 3.0]], "y": [0, 1]}, ValueError, "equal lengths"),
    ({"X": [[1.0], ["a"]], "y": [0, 1]}, TypeError, r"X\[1\] holds a str"),
    ({"X": [1.0, 2.0], "y": [0, 1]}, TypeError, r"X\[0\] must be a sequence"),
    ({"X": "ab", "y": [0, 1]}, TypeError, "X must be a list of samples"),
    ({"y": [0, "1"]}, TypeError, r"y\[1\] must be a number"),
    ({"loss": None}, TypeError, "loss must be a function"),
    ({"optimizer": object()}, TypeError, "optimizer must have step"),
    ({"loss": lambda p, t: 0.0}, TypeError, "must give a Value"),
])
def test_bad_arguments_are_refused(kwargs, error, match):
    model = LogisticRegression(1)
    args = {"X": [[1.0], [2.0]], "y": [0, 1], "loss": binary_cross_entropy,
            "optimizer": SGD(model.parameters(), lr=0.1), "epochs": 1}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        fit(model, progress=False, **args)


def test_shape_mistakes_from_the_course_layout_are_explained():
    np = pytest.importorskip("numpy")
    model = LogisticRegression(3)
    opt = SGD(model.parameters(), lr=0.1)
    X = np.zeros((3, 4))  # the course's n × m layout
    with pytest.raises(ValueError, match="X looks transposed"):
        fit(model, X, np.zeros(4), binary_cross_entropy, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"y must be 1-D.*\(1, 4\)"):
        fit(model, X.T, np.zeros((1, 4)), binary_cross_entropy, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="X must be 2-D"):
        fit(model, np.zeros(4), np.zeros(4), binary_cross_entropy, opt, epochs=1, progress=False)


def test_a_batch_larger_than_the_data_is_one_full_batch():
    model = LogisticRegression(1)
    h = fit(model, [[1.0], [2.0]], [0, 1], binary_cross_entropy, SGD(model.parameters(), lr=0.1),
            epochs=3, batch_size=128, progress=False)
    assert h.batch_size == 2 and h.steps_per_epoch == 1 and len(h.step_loss) == 3


def test_garbage_collection_is_back_on_after_fit_even_when_it_fails():
    import gc

    model = LogisticRegression(1)
    with pytest.raises(TypeError):
        fit(model, [[1.0]], [0], lambda p, t: 1.0, SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False)
    assert gc.isenabled()


# --- progress bar, history --------------------------------------------------------------------


def test_progress_bar_on_and_off(capsys):
    model = LogisticRegression(1)
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, [[1.0], [2.0]], [0, 1], binary_cross_entropy, opt, epochs=3)
    err = capsys.readouterr().err
    assert "fit" in err and "3/3" in err and "loss=" in err
    fit(model, [[1.0], [2.0]], [0, 1], binary_cross_entropy, opt, epochs=3, progress=False)
    assert capsys.readouterr() == ("", "")


def test_history_repr_and_type():
    model = LogisticRegression(1)
    h = fit(model, [[1.0], [2.0], [3.0]], [0, 1, 1], binary_cross_entropy,
            SGD(model.parameters(), lr=0.1), epochs=2, batch_size=2, progress=False)
    assert isinstance(h, History)
    assert repr(h).startswith("History(2 epochs of 2 steps, batch_size=2, final loss ")


# --- predict and accuracy -------------------------------------------------------------------


def test_predict_thresholds_one_output_and_takes_argmax_of_several():
    model = LogisticRegression(1)
    model.load_state_dict({"w": [1.0], "b": 0.0})
    assert predict(model, [[-2.0], [0.0], [0.1], [3.0]]) == [0, 0, 1, 1]  # a > 0.5, as the course
    assert predict(model, [[-2.0], [0.0]], threshold=0.2) == [0, 1]  # σ(−2) ≈ 0.12

    def three(x):
        return [Value(x[0]), Value(x[1]), Value(0.0)]

    assert predict(three, [[1.0, 2.0], [-1.0, -2.0], [5.0, 1.0]]) == [1, 2, 0]
    assert accuracy(three, [[1.0, 2.0], [-1.0, -2.0]], [1, 0]) == 0.5


def test_accuracy_with_labels_0_1_and_plus_minus_1():
    model = LogisticRegression(1)
    model.load_state_dict({"w": [1.0], "b": 0.0})
    X = [[-2.0], [-1.0], [1.0], [2.0]]
    assert accuracy(model, X, [0, 0, 1, 1]) == 1.0
    assert accuracy(model, X, [0, 1, 1, 1]) == 0.75
    assert accuracy(model, X, [-1, -1, 1, -1]) == 0.75
    with pytest.raises(ValueError, match="labels must be 0/1 or -1/"):
        accuracy(model, X, [0, 2, 1, 1])
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        accuracy(model, X, [0, 1, 1])


def test_predict_records_no_graph():
    model = LogisticRegression(2)
    outputs = []
    predict(lambda x: outputs.append(model(x)) or outputs[-1], [[1.0, 2.0]])
    assert outputs[0].op == "" and outputs[0].inputs == ()


def test_the_submodules_are_reachable_from_the_package():
    assert mg.nn.MLP is MLP and mg.train.fit is fit and mg.optim.Adam is Adam
    assert mg.losses.mse is mse and mg.datasets.make_moons is make_moons
