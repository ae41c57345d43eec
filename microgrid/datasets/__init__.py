"""Small datasets and helpers for training microgrid models.

The toy generators (moons, flower, blobs) are 2-D, so a learner can plot the
data and the decision boundary. They use only the standard library
(``random.Random(seed)``), so results depend on nothing but the seed.
Everything is returned as plain Python lists (JSON-friendly), because the
scalar engine works on floats, not arrays.

Breast Cancer Wisconsin (Diagnostic) ships as ``breast_cancer.csv`` in this
package. Source: UCI Machine Learning Repository, W. N. Street,
W. H. Wolberg, O. L. Mangasarian (1995), DOI 10.24432/C5DW2B, licensed
CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). The rows and
column names are those of the copy bundled with scikit-learn. See README.md
in this directory.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence
from importlib import resources

__all__ = [
    "load_breast_cancer",
    "make_blobs",
    "make_flower",
    "make_moons",
    "standardize",
    "train_test_split",
]

_BREAST_CANCER_FILE = "breast_cancer.csv"


# ---------------------------------------------------------------- validation
def _check_n(n: object) -> int:
    # bool is a subclass of int, but make_moons(True) is surely a mistake.
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"n must be a positive int, got {n}")
    return n


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _check_noise(noise: object) -> float:
    noise = _check_real("noise", noise)
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    return noise


def _linspace(start: float, stop: float, num: int) -> list[float]:
    """numpy.linspace(start, stop, num) for num >= 0, endpoints included."""
    if num == 1:
        return [float(start)]
    step = (stop - start) / (num - 1) if num > 1 else 0.0
    return [start + i * step for i in range(num)]


def _shuffled(
    X: list[list[float]], y: list[int], rng: random.Random
) -> tuple[list[list[float]], list[int]]:
    order = list(range(len(y)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


# ---------------------------------------------------------------- toy data
def make_moons(
    n: int = 200, noise: float = 0.1, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels 0 (upper) and 1 (lower).

    Not linearly separable, so it shows why a model needs a hidden layer.
    Same geometry as scikit-learn's ``make_moons``: class 0 gets ``n // 2``
    points on the unit upper half circle, class 1 the other ``n - n // 2``
    on a lower half circle centred at (1, 0.5); Gaussian noise with standard
    deviation ``noise`` is added to every coordinate. Rows are shuffled.
    """
    n = _check_n(n)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    n0 = n // 2
    n1 = n - n0
    X: list[list[float]] = []
    y: list[int] = []
    for t in _linspace(0.0, math.pi, n0):
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for t in _linspace(0.0, math.pi, n1):
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1)
    X, y = _shuffled(X, y, rng)
    if noise > 0:
        X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return X, y


def make_flower(
    n: int = 400, petals: int = 4, noise: float = 0.2, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """The planar "flower" from the deep-learning course (planar_utils).

    A classic first example where logistic regression fails and a one-hidden-
    layer network succeeds. For class j (0 or 1) the angles ``t`` are evenly
    spaced over [3.12*j, 3.12*(j+1)], and each point is
    ``(r*sin(t), r*cos(t))`` with ``r = 4*sin(petals*t)``; Gaussian noise of
    standard deviation ``noise`` is added to both ``t`` and ``r``, as in the
    course. ``petals`` is the frequency in ``sin(petals*t)`` (the course's
    4, which draws eight lobes). Class 0 has ``n // 2`` points, class 1
    ``n - n // 2``. Rows are shuffled. The numbers differ from the course's
    numpy-generated ones; only the recipe is the same.
    """
    n = _check_n(n)
    noise = _check_noise(noise)
    if isinstance(petals, bool) or not isinstance(petals, int):
        raise TypeError(f"petals must be an int, got {type(petals).__name__}")
    if petals <= 0:
        raise ValueError(f"petals must be a positive int, got {petals}")
    rng = random.Random(seed)
    a = 4.0  # maximum ray of the flower
    X: list[list[float]] = []
    y: list[int] = []
    for j, count in ((0, n // 2), (1, n - n // 2)):
        for t in _linspace(j * 3.12, (j + 1) * 3.12, count):
            t += rng.gauss(0.0, noise)
            r = a * math.sin(petals * t) + rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(j)
    return _shuffled(X, y, rng)


def make_blobs(
    n: int = 200, seed: int | None = 0, separation: float = 4.0
) -> tuple[list[list[float]], list[int]]:
    """Two Gaussian blobs that a single straight line separates exactly.

    The easy case: a single neuron (logistic regression) should reach 100%
    training accuracy. Each blob has standard deviation 1 per coordinate;
    their centres lie on the diagonal, ``separation`` apart, at
    ``-/+ (separation / 2) * (1, 1) / sqrt(2)`` for labels 0/1. Points that
    would fall on the wrong side of the line ``x1 + x2 = 0`` are redrawn, so
    ``x1 + x2 < 0`` for every label-0 point and ``> 0`` for every label-1
    point. Class 0 has ``n // 2`` points, class 1 ``n - n // 2``. Rows are
    shuffled.
    """
    n = _check_n(n)
    separation = _check_real("separation", separation)
    if separation <= 0:
        raise ValueError(f"separation must be > 0, got {separation}")
    rng = random.Random(seed)
    offset = separation / 2 / math.sqrt(2.0)
    X: list[list[float]] = []
    y: list[int] = []
    for label, count in ((0, n // 2), (1, n - n // 2)):
        centre = offset if label == 1 else -offset
        sign = 1.0 if label == 1 else -1.0
        for _ in range(count):
            while True:
                x1 = rng.gauss(centre, 1.0)
                x2 = rng.gauss(centre, 1.0)
                if sign * (x1 + x2) > 0:
                    break
            X.append([x1, x2])
            y.append(label)
    return _shuffled(X, y, rng)


# ---------------------------------------------------------------- real data
def load_breast_cancer() -> tuple[list[list[float]], list[int], list[str]]:
    """Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 features each.

    A small real dataset for binary classification once the toy ones are
    solved. Returns ``(X, y, feature_names)``: ``X`` is 569 rows of 30
    floats, ``y`` holds ints with scikit-learn's convention
    **0 = malignant (212 rows), 1 = benign (357 rows)**, and
    ``feature_names`` are the 30 column names (e.g. "mean radius").
    The features have very different scales; use ``standardize``.

    Source: UCI Machine Learning Repository, W. N. Street, W. H. Wolberg,
    O. L. Mangasarian (1995), "Breast Cancer Wisconsin (Diagnostic)",
    DOI 10.24432/C5DW2B. License: CC BY 4.0. Rows as shipped with
    scikit-learn; read from the CSV file bundled in this package.
    """
    text = (
        resources.files(__name__)
        .joinpath(_BREAST_CANCER_FILE)
        .read_text(encoding="utf-8")
    )
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if header[-1] != "label":
        raise RuntimeError(f"{_BREAST_CANCER_FILE}: last column must be 'label'")
    feature_names = header[:-1]
    X: list[list[float]] = []
    y: list[int] = []
    for row in reader:
        if not row:
            continue
        X.append([float(v) for v in row[:-1]])
        y.append(int(row[-1]))
    return X, y, feature_names


# ---------------------------------------------------------------- helpers
def train_test_split(
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    test_size: float = 0.2,
    seed: int | None = 0,
) -> tuple[list[list[float]], list[list[float]], list[int], list[int]]:
    """Shuffle and split into ``(X_train, X_test, y_train, y_test)``.

    Held-out data shows whether a model generalises or just memorises.
    ``test_size`` is the fraction of rows for the test set, rounded up (as
    scikit-learn does); both parts must end up non-empty. Rows are copied,
    so editing the result does not change the input.
    """
    test_size = _check_real("test_size", test_size)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same length, got {len(X)} and {len(y)}"
        )
    n = len(y)
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(f"test_size={test_size} leaves no training rows out of {n}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test_idx, train_idx = order[:n_test], order[n_test:]
    return (
        [list(X[i]) for i in train_idx],
        [list(X[i]) for i in test_idx],
        [y[i] for i in train_idx],
        [y[i] for i in test_idx],
    )


def standardize(
    X_train: Sequence[Sequence[float]],
    X_test: Sequence[Sequence[float]] | None = None,
) -> tuple[list[list[float]], list[list[float]] | None, list[float], list[float]]:
    """Scale each feature to mean 0 and standard deviation 1.

    Features on very different scales (areas in the thousands next to
    ratios near 0.01) make gradient descent slow or unstable. Means and
    (population) standard deviations are computed on ``X_train`` only and
    then applied to both sets, so no test information leaks into training.
    A constant feature gets std 1 (it is only centred). Returns
    ``(X_train_scaled, X_test_scaled, means, stds)``; ``X_test_scaled`` is
    ``None`` when ``X_test`` is ``None``.
    """
    if len(X_train) == 0:
        raise ValueError("X_train must have at least one row")
    d = len(X_train[0])
    for row in X_train:
        if len(row) != d:
            raise ValueError(f"X_train rows must all have {d} features, got {len(row)}")
    m = len(X_train)
    means = [sum(row[j] for row in X_train) / m for j in range(d)]
    stds = []
    for j in range(d):
        var = sum((row[j] - means[j]) ** 2 for row in X_train) / m
        std = math.sqrt(var)
        stds.append(std if std > 0 else 1.0)

    def scale(rows: Sequence[Sequence[float]], name: str) -> list[list[float]]:
        out = []
        for row in rows:
            if len(row) != d:
                raise ValueError(
                    f"{name} rows must all have {d} features, got {len(row)}"
                )
            out.append([(row[j] - means[j]) / stds[j] for j in range(d)])
        return out

    train_scaled = scale(X_train, "X_train")
    test_scaled = None if X_test is None else scale(X_test, "X_test")
    return train_scaled, test_scaled, means, stds
