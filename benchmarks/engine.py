"""Graph build + backward: microgrid beside micrograd and PyTorch scalars, same workloads.

Each engine runs in its own fresh interpreter (so one library's imports don't weigh on another's
garbage collector), one after the other in this run; the table reports the best of ``--repeat``
timings and the ratios against microgrid. Peers that aren't installed are reported as missing:
    pip install micrograd torch==2.13.0
Run:  python benchmarks/engine.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

WORKER = textwrap.dedent('''
    import gc, json, random, sys, time, tracemalloc
    engine, repeat = sys.argv[1], int(sys.argv[2])
    sys.setrecursionlimit(1_000_000)  # micrograd's backward recurses
    if engine == "microgrid":
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
        loss = loss * (1.0 / m)
        loss.backward()
        return w[0].grad

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
        loss = loss * (1.0 / len(Xm))
        loss.backward()
        return W[0][0][0].grad

    def count_nodes(fn):
        # nodes created by one run = objects of the engine's node type made and kept by the graph
        return None

    result = {}
    for name, fn in [("least_squares", least_squares), ("mlp", mlp)]:
        fn()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result[name] = {"seconds": min(times), "peak_bytes": peak}
    print(json.dumps(result))
''')
