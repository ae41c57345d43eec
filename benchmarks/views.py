"""What each view of a graph costs per node, at 10^4, 10^5 and 10^6 nodes.

Every view reads the graph through one ``microgrid.read`` (order, names, uses, backward
records), kept in dicts keyed by the Values themselves, so each should cost the same per node
at every size. The graph is the worst case the views met: a running sum over samples that uses
one weight ``w`` in every sample (``J = Σ w·x_i``), so ``w`` has as many uses as there are
samples and the sum is as deep as the data set is long. Timed on it:

* ``read``: the topological order, the names and the uses;
* ``backward_steps``: the backward pass as records;
* ``explain(nodes=[w])``: the derivation of one weight used by every sample;
* ``compare_grads`` with a wrong answer for ``w`` (it explains the slip);
* ``tree``: the indented text (depth capped, shared nodes by name);
* ``draw``: the DOT text (``dot`` itself lays out a few thousand nodes at most, so pictures
  are not rendered here: that is Graphviz's time, not microgrid's).

``step_through`` is a drawing rendered by ``dot`` plus frames and is refused past 200 nodes,
so it is not timed at these sizes. Each figure is the best of ``--repeat`` runs (one run at
10^6) of this process's CPU time (what the view costs, not the wait for a shared machine), in
microseconds per node; the last column is the largest size's cost over the smallest's (1.0 is
linear).

Run:  python benchmarks/views.py [--sizes 10000 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import microgrid as mg  # noqa: E402
from microgrid import Value  # noqa: E402
from microgrid.view.tree import tree  # noqa: E402


def running_sum(nodes: int) -> tuple[Value, Value]:
    """J = w·x_1 + w·x_2 + ... with about ``nodes`` Values: one weight used by every sample."""
    rng = random.Random(0)
    w = Value(0.5, label="w")
    total = w * rng.gauss(0, 1)
    for _ in range((nodes - 2) // 2):
        total = total + w * rng.gauss(0, 1)
    total.label = "J"
    return total, w


VIEWS = {
    "read": lambda J, w, n: mg.read(J),
    "backward_steps": lambda J, w, n: mg.backward_steps(J),
    "explain(nodes=[w])": lambda J, w, n: str(mg.explain(J, nodes=[w])),
    "compare_grads (wrong)": lambda J, w, n: str(mg.compare_grads(J, {"w": 0.0})),
    "tree": lambda J, w, n: tree(J, max_nodes=n),
    "draw (DOT text)": lambda J, w, n: mg.draw(J, max_nodes=n).source,
}


def best(view, args: tuple, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        view(*args)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table: dict[str, list[float]] = {name: [] for name in VIEWS}
    counts = []
    for size in args.sizes:
        J, w = running_sum(size)
        n = len(mg.topological_order(J))
        counts.append(n)
        repeat = 1 if n >= 500_000 else args.repeat
        for name, view in VIEWS.items():
            table[name].append(best(view, (J, w, n), repeat) / n * 1e6)
    head = f"{'view':24}" + "".join(f"{f'{n:,} nodes':>16}" for n in counts) + f"{'growth':>9}"
    print("µs per node (best of runs)\n" + head)
    for name, costs in table.items():
        cells = "".join(f"{c:16.2f}" for c in costs)
        print(f"{name:24}{cells}{costs[-1] / costs[0]:9.2f}")


if __name__ == "__main__":
    main()
