"""What it costs to keep the backward pass as records, beside the backward pass itself.

``backward_steps`` runs the engine's loop and keeps one ``Step`` per contribution; ``explain``
and ``compare_grads`` read those records. This times them beside ``backward()`` and ``grad()``
on the same graphs, taking turns so that a busy spell of the machine slows all of them:

1. the course's J = 3(a + bc) (5 contributions), what a learner explains;
2. one sample's logistic regression with 30 features (the breast-cancer model, ~150 records);
3. a 100,000-node graph with shared leaves, to show the per-record cost.

The table gives the best of ``--repeat`` timings and the ratio to ``backward()``. The records
are checked against ``grad()`` too, so a fast wrong answer can't pass unnoticed.
Run:  python benchmarks/steps.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import microgrid as mg  # noqa: E402
from microgrid import Value  # noqa: E402


def race(fns, repeat):
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def course():
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    return 3 * (a + b * c), [a, b, c]


def logistic(n=30):
    rng = random.Random(0)
    w = [Value(rng.gauss(0, 0.1), label=f"w{i}") for i in range(n)]
    b = Value(0.0, label="b")
    z = b
    for wi in w:
        z = z + wi * rng.gauss(0, 1)
    a = z.sigmoid()
    y = 1.0
    return -(y * a.log() + (1 - y) * (1 - a).log()), [*w, b]


def shared(n=50_000):
    rng = random.Random(0)
    xs = [Value(rng.random()) for _ in range(100)]
    t = xs[0]
    for i in range(n):
        t = t + xs[i % 100] * xs[(7 * i) % 100]
    return t, xs


def check(root, leaves):
    totals: dict[Value, float] = {}
    for s in mg.backward_steps(root):
        totals[s.node] = totals.get(s.node, 0.0) + s.contribution
    assert [totals.get(v, 0.0) for v in leaves] == mg.grad(root, leaves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'graph':34} {'records':>8} {'backward':>10} {'grad':>10} {'backward_steps':>16} "
          f"{'explain':>10}")
    for name, (root, leaves) in [("J = 3(a + bc)", course()),
                                 ("logistic regression, 30 features", logistic()),
                                 ("100,000 nodes, 100 shared leaves", shared())]:
        check(root, leaves)
        records = len(mg.backward_steps(root))
        size = len(mg.topological_order(root))
        fns = [lambda r=root: r.backward(),
               lambda r=root, lv=leaves: mg.grad(r, lv),
               lambda r=root: mg.backward_steps(r),
               lambda r=root, lv=leaves, n=size: str(mg.explain(r, nodes=lv, max_nodes=n))]
        t = race(fns, args.repeat)
        cells = [f"{t[0] * 1e3:8.3f} ms", f"{t[1] * 1e3:8.3f} ms",
                 f"{t[2] * 1e3:8.3f} ms ({t[2] / t[0]:.1f}×)",
                 f"{t[3] * 1e3:8.3f} ms"]
        print(f"{name:34} {records:8,} {cells[0]:>10} {cells[1]:>10} {cells[2]:>16} "
              f"{cells[3]:>10}")


if __name__ == "__main__":
    main()
