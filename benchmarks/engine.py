"""Graph build + backward: microgrid beside micrograd and PyTorch scalars, same workloads.

Each engine runs in its own fresh interpreter (so one library's imports don't weigh on another's
garbage collector), one after the other in this run; the table reports the best of ``--repeat``
timings of build + backward (the graph freed after, as in a training step) and of the backward
pass alone, and the ratios against microgrid. With ``--baseline DIR`` the microgrid in DIR runs
too, taking turns with this one (``--rounds``), and so does a timed ``import microgrid``.
Peers that aren't installed are reported as missing:
    pip install micrograd torch==2.13.0
Run:  python benchmarks/engine.py [--repeat 5] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # this checkout's microgrid

WORKER = textwrap.dedent('''
    import json, random, resource, sys, time
    engine, workload, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.setrecursionlimit(1_000_000)  # micrograd's backward recurses
    if engine.startswith("microgrid"):  # "microgrid", or "microgrid-baseline" from another tree
        from microgrid import Value
        relu = lambda v: v.relu()
    elif engine == "micrograd":
        from micrograd.engine import Value
        relu = lambda v: v.relu()
    else:
        import torch
        torch.set_num_threads(1)
        def Value(x):
            return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)
        relu = torch.relu

    rng = random.Random(0)
    m, n = 2000, 10
    X = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(m)]
    Y = [sum(x) * 0.5 + rng.gauss(0, 0.1) for x in X]

    def least_squares():
        w = [Value(0.01 * i) for i in range(n)]
        b = Value(0.0)
        loss = 0.0
        for x, y in zip(X, Y):
            p = b
            for wi, xi in zip(w, x):
                p = p + wi * xi
            loss = loss + (p - y) ** 2
        return loss * (1.0 / m), w[0]

    Xm = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(100)]
    Ym = [1.0 if a * b > 0 else -1.0 for a, b in Xm]
    sizes = [2, 16, 16, 1]
    W = [[[Value(rng.uniform(-1, 1)) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
         for i in range(3)]
    B = [[Value(0.0) for _ in range(sizes[i + 1])] for i in range(3)]

    def mlp():
        loss = 0.0
        for x, y in zip(Xm, Ym):
            h = x
            for li in range(3):
                out = []
                for wrow, bj in zip(W[li], B[li]):
                    s = bj
                    for wij, hi in zip(wrow, h):
                        s = s + wij * hi
                    out.append(relu(s) if li < 2 else s)
                h = out
            loss = loss + (h[0] - y) ** 2
        return loss * (1.0 / len(Xm)), W[0][0][0]

    def peak_rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

    build = {"least_squares": least_squares, "mlp": mlp}[workload]

    def run():
        """(build + backward, backward alone) in seconds, and one weight's gradient."""
        start = time.perf_counter()
        loss, watched = build()
        built = time.perf_counter()
        loss.backward()
        done = time.perf_counter()
        del loss  # the graph is freed inside the timed run, as a training step frees it
        return time.perf_counter() - start, done - built, float(watched.grad)

    before = peak_rss()  # the first run's rise of the high-water mark: its graph's memory
    run()
    peak = peak_rss() - before
    runs = [run() for _ in range(repeat)]
    print(json.dumps({"seconds": min(r[0] for r in runs), "peak_bytes": peak,
                      "backward_seconds": min(r[1] for r in runs), "check": run()[2]}))
''')

# `import microgrid` timed inside a fresh interpreter (its start-up is not counted)
IMPORT = ("import time; start = time.perf_counter(); import microgrid; "
          "print(time.perf_counter() - start)")


def op_count(workload: str) -> int:
    """Arithmetic ops one run performs: the same graph for every engine (micrograd also makes a
    leaf per number operand; microgrid and PyTorch don't)."""
    m, n = 2000, 10
    if workload == "least_squares":
        return m * (2 * n + 3) + 1  # per sample n mul + n add, then -, ** and + into the loss
    sizes = [2, 16, 16, 1]
    per_sample = sum(o * (2 * i + 1) for i, o in zip(sizes, sizes[1:])) + 3  # w·x + b, relu/none
    return 100 * per_sample + 1


def run(engine: str, workload: str, repeat: int, baseline: str | None = None) -> dict | None:
    env = None
    if engine == "microgrid-baseline":  # the same worker, importing microgrid from another tree
        env = {**os.environ, "PYTHONPATH": baseline}
    elif engine == "microgrid":
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", WORKER, engine, workload, str(repeat)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"  {engine}: not measured ({last})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best_of(results: list[dict | None]) -> dict | None:
    """Several runs of one engine as one: the best of each timing."""
    runs = [r for r in results if r is not None]
    if not runs:
        return None
    best = dict(runs[0])
    for key in ("seconds", "backward_seconds"):
        best[key] = min(r[key] for r in runs)
    return best


def import_seconds(tree: str | Path) -> float:
    """``import microgrid`` from ``tree``, timed inside a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return float(subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True,
                                check=True, env=env).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per workload (best kept)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also time the microgrid found in DIR (a checkout of an earlier "
                             "version, e.g. made with `git worktree add DIR v0.1`), before/after")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --baseline: fresh interpreters per microgrid, taking turns "
                             "with the baseline's so that a busy spell of the machine slows both")
    args = parser.parse_args()
    peers = ["micrograd", "torch"]
    ours = ["microgrid", "microgrid-baseline"] if args.baseline else ["microgrid"]
    rounds = args.rounds if args.baseline else 1
    for workload, title in [("least_squares", "least squares, m=2000, n=10"),
                            ("mlp", "MLP 2-16-16-1 (ReLU), 100 samples")]:
        turns: dict[str, list[dict | None]] = {e: [] for e in ours}
        for _ in range(rounds):
            for e in ours:
                turns[e].append(run(e, workload, args.repeat, args.baseline))
        results = {e: best_of(turns[e]) for e in ours}
        results.update({e: run(e, workload, args.repeat) for e in peers})
        mine = results["microgrid"]
        if mine is None:
            raise SystemExit("microgrid itself failed to run")
        ops = op_count(workload)
        print(f"\n{title}: build + backward, {ops:,} ops")
        print(f"  {'engine':<18} {'best time':>10} {'microgrid is':>14} {'backward alone':>15} "
              f"{'peak memory/op':>16}")
        for engine, res in results.items():
            if res is None:
                print(f"  {engine:<18} {'not installed':>10}")
                continue
            r = res
            if abs(r["check"] - mine["check"]) > 1e-6 * max(1.0, abs(r["check"])):
                print(f"  {engine:<18} gives a different gradient: {r['check']} vs {mine['check']}")
            ratio = r["seconds"] / mine["seconds"]
            faster = "-" if engine == "microgrid" else f"{ratio:.2f}x faster"
            print(f"  {engine:<18} {r['seconds'] * 1000:>8.1f}ms {faster:>14} "
                  f"{r['backward_seconds'] * 1000:>13.1f}ms {r['peak_bytes'] / ops:>13.0f} B")
    if args.baseline:
        now, before = [], []
        for _ in range(20):  # taking turns, as above
            now.append(import_seconds(ROOT))
            before.append(import_seconds(args.baseline))
        print(f"\nimport microgrid (best of 20 fresh interpreters): {min(now) * 1000:.2f} ms, "
              f"baseline {min(before) * 1000:.2f} ms ({min(now) / min(before):.2f}x)")

if __name__ == "__main__":
    main()
