"""Time per epoch of training logistic regression on the real data, for each way of batching.

The workload is the course's: LogisticRegression(30) with binary cross-entropy and plain SGD on
the Breast Cancer Wisconsin data (all 569 tumours, standardized), trained with batch gradient
descent (all m samples per step), stochastic gradient descent (1 per step) and mini-batches of
32, 64 and 128, through ``microgrid.train.fit(progress=False)``. Every sample is its own graph of
about 63 nodes, so one epoch builds and differentiates some 36,000 nodes whatever the batching;
the batch size changes how many steps (backward passes and updates) that work is cut into.

For scale, the same epoch is timed in NumPy with the course's vectorized formulas (the whole
batch as one matrix product), and, if PyTorch is installed, as the very same per-sample scalar
loop with 0-d float64 tensors (one autograd node per scalar op, as in microgrid).

Run from the repository root:  python benchmarks/training.py [--epochs 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from microgrid.datasets import load_breast_cancer, standardize  # noqa: E402
from microgrid.losses import binary_cross_entropy  # noqa: E402
from microgrid.nn import LogisticRegression  # noqa: E402
from microgrid.optim import SGD  # noqa: E402
from microgrid.train import accuracy, fit  # noqa: E402

MODES = [("batch GD", None), ("SGD", 1), ("mini-batch 32", 32), ("mini-batch 64", 64),
         ("mini-batch 128", 128)]
LR = {None: 1.0, 1: 0.01, 32: 0.3, 64: 0.5, 128: 0.5}


def best_epoch_time(run: Callable[[], None], epochs: int, repeat: int) -> float:
    """Best of ``repeat`` runs of ``epochs`` epochs, per epoch, after one warm-up run."""
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) / epochs


def microgrid_run(X: list, y: list, batch_size: int | None, epochs: int) -> Callable[[], None]:
    def run() -> None:
        model = LogisticRegression(len(X[0]))
        fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=LR[batch_size]),
            epochs=epochs, batch_size=batch_size, seed=0, progress=False)
        run.model = model  # type: ignore[attr-defined]

    return run


def numpy_run(X: list, y: list, batch_size: int | None, epochs: int) -> Callable[[], None]:
    import numpy as np

    A = np.array(X).T  # n × m, the course's layout
    Y = np.array([y], dtype=float)
    n, m = A.shape
    b_size = m if batch_size is None else batch_size

    def run() -> None:
        w, b = np.zeros((n, 1)), 0.0
        rng = random.Random(0)
        order = list(range(m))
        for _ in range(epochs):
            if b_size < m:
                rng.shuffle(order)
            for start in range(0, m, b_size):
                idx = order[start:start + b_size]
                Xb, Yb = A[:, idx], Y[:, idx]
                a = 1 / (1 + np.exp(-(w.T @ Xb + b)))
                w = w - LR[batch_size] * (Xb @ (a - Yb).T) / len(idx)
                b = b - LR[batch_size] * float(np.mean(a - Yb))

    return run


def torch_run(X: list, y: list, batch_size: int | None, epochs: int) -> Callable[[], None]:
    import torch

    torch.set_num_threads(1)
    n, m = len(X[0]), len(X)
    b_size = m if batch_size is None else batch_size

    def run() -> None:
        w = [torch.tensor(0.0, dtype=torch.float64, requires_grad=True) for _ in range(n)]
        b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([*w, b], lr=LR[batch_size])
        rng = random.Random(0)
        order = list(range(m))
        collecting = gc.isenabled()
        gc.disable()  # as fit does
        try:
            for _ in range(epochs):
                if b_size < m:
                    rng.shuffle(order)
                for start in range(0, m, b_size):
                    idx = order[start:start + b_size]
                    opt.zero_grad()
                    losses = []
                    for i in idx:
                        z = b
                        for wk, xk in zip(w, X[i]):
                            z = z + wk * xk
                        a = torch.sigmoid(z)
                        losses.append(-torch.log(a) if y[i] == 1 else -torch.log(1 - a))
                    J = sum(losses[1:], losses[0]) / len(idx)
                    J.backward()
                    opt.step()
        finally:
            if collecting:
                gc.enable()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per mode (best kept)")
    args = parser.parse_args()

    X, y, _ = load_breast_cancer()
    Z, _, _, _ = standardize(X)
    m = len(Z)
    print(f"LogisticRegression({len(Z[0])}) + binary cross-entropy + SGD on the breast cancer "
          f"data, m = {m}, standardized; best of {args.repeat} runs of {args.epochs} epochs")

    peers: dict[str, Callable] = {}
    try:
        import numpy  # noqa: F401

        peers["NumPy vectorized"] = numpy_run
    except ImportError:
        print("(NumPy is not installed: its column is left out)")
    try:
        import torch  # noqa: F401

        peers["PyTorch scalars"] = torch_run
    except ImportError:
        print("(PyTorch is not installed: its column is left out; pip install torch)")

    header = f"{'mode':<15} {'steps/epoch':>11} {'microgrid':>10} {'µs/sample':>10}"
    for name in peers:
        header += f" {name:>17} {'microgrid is':>14}"
    print(f"\n{header}\n{'-' * len(header)}")
    for title, batch_size in MODES:
        steps = math.ceil(m / (m if batch_size is None else batch_size))
        run = microgrid_run(Z, y, batch_size, args.epochs)
        seconds = best_epoch_time(run, args.epochs, args.repeat)
        line = f"{title:<15} {steps:>11} {seconds * 1000:>8.1f}ms {seconds / m * 1e6:>10.1f}"
        for make in peers.values():
            theirs = best_epoch_time(make(Z, y, batch_size, args.epochs), args.epochs,
                                     args.repeat)
            compared = (f"{theirs / seconds:.1f}x faster" if theirs >= seconds
                        else f"{seconds / theirs:.0f}x slower")
            line += f" {theirs * 1000:>15.2f}ms {compared:>14}"
        acc = accuracy(run.model, Z, y)  # type: ignore[attr-defined]
        print(f"{line}   accuracy {acc:.1%}")
    print("\nTimes are per epoch (one pass over the m samples); accuracy is on the training data "
          f"after the last run's {args.epochs} epochs.")


if __name__ == "__main__":
    main()
