"""Tests for microgrid.datasets (toy generators, breast cancer, helpers)."""

import json
import math
import statistics

import pytest

from microgrid.datasets import (
    load_breast_cancer,
    make_blobs,
    make_flower,
    make_moons,
    standardize,
    train_test_split,
)

GENERATORS = [make_moons, make_flower, make_blobs]


def _is_plain(X, y):
    return (
        type(X) is list
        and type(y) is list
        and all(type(row) is list for row in X)
        and all(type(v) is float for row in X for v in row)
        and all(type(label) is int for label in y)
    )


# ------------------------------------------------------------ toy generators
@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [1, 2, 7, 200])
def test_shapes_labels_and_balance(make, n):
    X, y = make(n=n)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 for row in X)
    assert set(y) <= {0, 1}
    assert y.count(0) == n // 2
    assert y.count(1) == n - n // 2
    assert _is_plain(X, y)
    json.dumps([X, y])  # JSON-friendly


@pytest.mark.parametrize("make", GENERATORS)
def test_default_sizes(make):
    X, y = make()
    expected = 400 if make is make_flower else 200
    assert len(X) == expected
    assert y.count(0) == y.count(1) == expected // 2


@pytest.mark.parametrize("make", GENERATORS)
def test_deterministic_given_seed_and_differs_across_seeds(make):
    assert make(n=50, seed=3) == make(n=50, seed=3)
    assert make(n=50, seed=3)[0] != make(n=50, seed=4)[0]


@pytest.mark.parametrize("make", GENERATORS)
def test_rows_are_shuffled(make):
    _, y = make(n=100)
    # Not all of class 0 first: a prefix (minibatch) should see both classes.
    assert y != sorted(y)
    assert set(y[:20]) == {0, 1}


def test_moons_without_noise_lie_on_half_circles():
    X, y = make_moons(n=101, noise=0.0)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper unit half circle at the origin
            assert math.isclose(a * a + b * b, 1.0, abs_tol=1e-12)
            assert b >= -1e-12
        else:  # lower half circle centred at (1, 0.5)
            assert math.isclose((a - 1) ** 2 + (b - 0.5) ** 2, 1.0, abs_tol=1e-12)
            assert b <= 0.5 + 1e-12


def test_moons_noise_moves_points_off_the_circles():
    X, y = make_moons(n=200, noise=0.1)
    radii = [math.hypot(a, b) for (a, b), label in zip(X, y) if label == 0]
    assert statistics.pstdev(radii) > 0.03
    assert abs(statistics.mean(radii) - 1.0) < 0.05


def test_moons_are_not_linearly_separable_by_a_simple_line():
    # The point of moons: the class means sit close together, the shapes interleave.
    X, y = make_moons(n=200, noise=0.0)
    xs0 = [a for (a, _), label in zip(X, y) if label == 0]
    xs1 = [a for (a, _), label in zip(X, y) if label == 1]
    assert min(xs1) < max(xs0) and min(xs0) < max(xs1)


def test_flower_without_noise_follows_the_course_recipe():
    # Class j: t in [3.12 j, 3.12 (j + 1)], point = r (sin t, cos t) with
    # r = 4 sin(petals t). Recover t from the point (up to the pi shift a
    # negative r causes) and check both the curve and the class's t range.
    for petals in (4, 3):
        X, y = make_flower(n=200, petals=petals, noise=0.0)
        for (a, b), label in zip(X, y):
            if math.hypot(a, b) < 1e-9:
                continue  # r == 0: the angle is undefined
            theta = math.atan2(a, b) % (2 * math.pi)
            matches = []
            for t in (theta, (theta + math.pi) % (2 * math.pi)):
                r = 4 * math.sin(petals * t)
                if math.dist((r * math.sin(t), r * math.cos(t)), (a, b)) < 1e-9:
                    matches.append(t)
            assert matches, (a, b)
            lo, hi = 3.12 * label - 1e-9, 3.12 * (label + 1) + 1e-9
            assert any(lo <= t <= hi for t in matches), (a, b, label)


def test_flower_radius_bounded_and_origin_present():
    X, y = make_flower(n=400, noise=0.0)
    assert max(math.hypot(a, b) for a, b in X) <= 4.0 + 1e-12
    # t = 0 starts class 0, where r = 4 sin(0) = 0.
    assert any(label == 0 and math.hypot(a, b) < 1e-12 for (a, b), label in zip(X, y))


def test_flower_default_is_noisy_but_bounded():
    X, _ = make_flower()
    radii = [math.hypot(a, b) for a, b in X]
    assert max(radii) < 6.0
    assert max(radii) > 3.5


def test_blobs_are_separated_by_the_diagonal_line():
    for seed in range(5):
        for separation in (4.0, 1.0, 0.2):
            X, y = make_blobs(n=200, seed=seed, separation=separation)
            for (a, b), label in zip(X, y):
                assert (a + b > 0) == (label == 1)


def test_blobs_centres_follow_separation():
    X, y = make_blobs(n=2000, separation=6.0)
    c0 = [statistics.mean(r[j] for r, label in zip(X, y) if label == 0) for j in (0, 1)]
    c1 = [statistics.mean(r[j] for r, label in zip(X, y) if label == 1) for j in (0, 1)]
    assert math.dist(c0, c1) == pytest.approx(6.0, abs=0.2)
    expected = 3.0 / math.sqrt(2.0)
    assert c1 == pytest.approx([expected, expected], abs=0.1)
    assert c0 == pytest.approx([-expected, -expected], abs=0.1)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [0, -1, -200])
def test_non_positive_n_raises(make, n):
    with pytest.raises(ValueError, match="n"):
        make(n=n)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n", [2.0, 200.5, "200", None, True])
def test_non_int_n_raises_type_error(make, n):
    with pytest.raises(TypeError, match="n must be an int"):
        make(n=n)


@pytest.mark.parametrize("make", [make_moons, make_flower])
@pytest.mark.parametrize("noise", [-0.1, -1, float("nan"), float("inf")])
def test_bad_noise_raises(make, noise):
    with pytest.raises(ValueError, match="noise"):
        make(noise=noise)


@pytest.mark.parametrize("petals", [0, -2])
def test_flower_bad_petals(petals):
    with pytest.raises(ValueError, match="petals"):
        make_flower(petals=petals)


@pytest.mark.parametrize("separation", [0, -1.0])
def test_blobs_bad_separation(separation):
    with pytest.raises(ValueError, match="separation"):
        make_blobs(separation=separation)


def test_error_messages_are_one_line():
    with pytest.raises(ValueError) as info:
        make_moons(n=-5)
    assert "\n" not in str(info.value)
    assert "-5" in str(info.value)


# ------------------------------------------------------------ breast cancer
# First and last rows of wdbc.data from the UCI repository (ID and M/B removed).
UCI_FIRST_ROW = [
    17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871,
    1.095, 0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003,
    0.006193, 25.38, 17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601,
    0.1189,
]  # fmt: skip
UCI_LAST_ROW = [
    7.76, 24.54, 47.92, 181, 0.05263, 0.04362, 0, 0, 0.1587, 0.05884, 0.3857,
    1.428, 2.548, 19.15, 0.007189, 0.00466, 0, 0, 0.02676, 0.002783, 9.456, 30.37,
    59.16, 268.6, 0.08996, 0.06444, 0, 0, 0.2871, 0.07039,
]  # fmt: skip


def test_breast_cancer_shape_and_classes():
    X, y, names = load_breast_cancer()
    assert len(X) == len(y) == 569
    assert all(len(row) == 30 for row in X)
    assert len(names) == 30 and len(set(names)) == 30
    assert y.count(0) == 212  # malignant
    assert y.count(1) == 357  # benign
    assert set(y) == {0, 1}
    assert _is_plain(X, y)
    assert all(type(name) is str for name in names)
    assert all(math.isfinite(v) for row in X for v in row)


def test_breast_cancer_known_values_without_sklearn():
    X, y, names = load_breast_cancer()
    assert X[0] == UCI_FIRST_ROW
    assert y[0] == 0  # first UCI row is "M" -> malignant -> 0
    assert X[-1] == UCI_LAST_ROW
    assert y[-1] == 1  # last UCI row is "B" -> benign -> 1
    assert names[:4] == ["mean radius", "mean texture", "mean perimeter", "mean area"]
    assert names[-1] == "worst fractal dimension"
    # Min/max from the dataset description (UCI / scikit-learn DESCR).
    col = names.index("mean radius")
    assert min(r[col] for r in X) == 6.981 and max(r[col] for r in X) == 28.11
    col = names.index("worst area")
    assert min(r[col] for r in X) == 185.2 and max(r[col] for r in X) == 4254.0
    assert sum(r[names.index("mean radius")] for r in X) == pytest.approx(8038.429)


def test_breast_cancer_returns_fresh_lists():
    X, y, names = load_breast_cancer()
    X[0][0] = -1.0
    y[0] = 99
    names[0] = "changed"
    X2, y2, names2 = load_breast_cancer()
    assert X2[0][0] == 17.99 and y2[0] == 0 and names2[0] == "mean radius"


def test_breast_cancer_matches_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_breast_cancer()
    X, y, names = load_breast_cancer()
    assert names == [str(name) for name in ref.feature_names]
    assert y == [int(v) for v in ref.target]
    assert X == ref.data.tolist()
    assert list(ref.target_names) == ["malignant", "benign"]


# ------------------------------------------------------------ train_test_split
def test_split_sizes_and_no_overlap():
    X = [[float(i), float(-i)] for i in range(100)]
    y = [i % 2 for i in range(100)]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=1)
    assert len(X_tr) == len(y_tr) == 75
    assert len(X_te) == len(y_te) == 25
    ids_tr = {row[0] for row in X_tr}
    ids_te = {row[0] for row in X_te}
    assert not ids_tr & ids_te
    assert ids_tr | ids_te == set(range(100))
    # Rows and labels stay paired.
    for row, label in zip(X_tr + X_te, y_tr + y_te):
        assert label == int(row[0]) % 2 and row[1] == -row[0]


def test_split_rounds_test_size_up_and_shuffles():
    X = [[float(i)] for i in range(10)]
    _, _, y_tr, y_te = train_test_split(X, list(range(10)), test_size=0.15)
    assert len(y_te) == 2 and len(y_tr) == 8  # ceil(0.15 * 10) == 2
    X = [[float(i)] for i in range(569)]
    _, _, y_tr, y_te = train_test_split(X, list(range(569)))
    assert len(y_te) == 114  # ceil(0.2 * 569)
    assert y_tr != sorted(y_tr)  # shuffled, not a slice of the input order
    assert sorted(y_tr + y_te) == list(range(569))


def test_split_deterministic_and_seed_dependent():
    X, y = make_moons(n=100)
    assert train_test_split(X, y, seed=5) == train_test_split(X, y, seed=5)
    assert train_test_split(X, y, seed=5)[1] != train_test_split(X, y, seed=6)[1]


def test_split_copies_rows():
    X = [[1.0], [2.0], [3.0], [4.0], [5.0]]
    y = [0, 1, 0, 1, 0]
    X_tr, X_te, _, _ = train_test_split(X, y)
    (X_tr + X_te)[0][0] = 100.0
    assert 100.0 not in [row[0] for row in X]


@pytest.mark.parametrize("test_size", [0, 0.0, 1, 1.0, -0.2, 1.5, float("nan")])
def test_split_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split([[0.0]] * 10, [0] * 10, test_size=test_size)


def test_split_bad_lengths_and_too_small():
    with pytest.raises(ValueError, match="same length"):
        train_test_split([[0.0]] * 3, [0] * 4)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split([[0.0]], [0], test_size=0.5)


# ------------------------------------------------------------ standardize
def test_standardize_train_mean_zero_std_one():
    X, y, _ = load_breast_cancer()
    X_tr, X_te, _, _ = train_test_split(X, y, seed=0)
    Z_tr, Z_te, means, stds = standardize(X_tr, X_te)
    assert len(Z_tr) == len(X_tr) and len(Z_te) == len(X_te)
    assert len(means) == len(stds) == 30
    for j in range(30):
        column = [row[j] for row in Z_tr]
        assert statistics.fmean(column) == pytest.approx(0.0, abs=1e-9)
        assert statistics.pstdev(column) == pytest.approx(1.0, rel=1e-9)
        assert means[j] == pytest.approx(statistics.fmean(r[j] for r in X_tr))
        assert stds[j] == pytest.approx(statistics.pstdev([r[j] for r in X_tr]))
    # Test set uses the *train* statistics, so it is not exactly centred.
    for row, z in zip(X_te, Z_te):
        assert z == pytest.approx([(v - m) / s for v, m, s in zip(row, means, stds)])
    assert any(abs(statistics.fmean(row[j] for row in Z_te)) > 1e-6 for j in range(30))


def test_standardize_small_known_values_and_constant_column():
    X = [[1.0, 5.0], [3.0, 5.0]]
    Z, Z_test, means, stds = standardize(X)
    assert Z_test is None
    assert means == [2.0, 5.0]
    assert stds == [1.0, 1.0]  # second column is constant -> std 1 (only centred)
    assert Z == [[-1.0, 0.0], [1.0, 0.0]]
    assert X == [[1.0, 5.0], [3.0, 5.0]]  # input untouched


def test_standardize_bad_input():
    with pytest.raises(ValueError, match="X_train"):
        standardize([])
    with pytest.raises(ValueError, match="X_train"):
        standardize([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="X_test"):
        standardize([[1.0, 2.0], [3.0, 4.0]], [[1.0]])
