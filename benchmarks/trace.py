"""The static graph against its two references: hand-written NumPy, and the eager engine.

1. Logistic regression, n = 10 features and m = 100,000 samples, then n = 1,000 and
   m = 10,000: ``value_and_grad`` of the mean
   cross-entropy over the whole batch, from ``microgrid.trace``, beside the hand-written NumPy
   of the course (a = σ(Xw + b); J = mean of the loss; dw = Xᵀ(a − y)/m; db = mean(a − y)).
   The traced function differentiates w and b only (``wrt``), like the hand-written code; the
   row "all arguments" adds the per-sample gradients of X and y that it doesn't compute.
2. One sample: replaying the traced code on floats, beside building the eager graph of the
   same loss and calling ``backward()``; and the replay on NumPy's float64 scalars (what
   ``list(X[0])`` holds) and on a row ``X[0]`` itself, beside the replay on floats.
3. The batch ``value_and_grad`` of 1., exported (``f.to_jax()`` under ``jax.jit``,
   ``f.to_torch()`` with ``torch.autograd.grad``), at m = 10^5 and 10^6, beside microgrid's
   NumPy path and the hand-written NumPy (skipped without PyTorch and JAX).

Both sides run in this process, one after the other; the table gives the best of ``--repeat``
timings and the ratio (traced / reference: below 1 is faster), as a Markdown table to paste.
Results are compared too, so a fast wrong answer can't pass unnoticed.
With ``--baseline DIR``, the microgrid of another checkout (an earlier version) is loaded beside
this one, as the module ``microgrid_baseline``, and timed in the same race: before and after.
Run:  python benchmarks/trace.py [--repeat 20] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

# The traced code's array ops run on one core; so does the reference's BLAS, unless told
# otherwise (python benchmarks/trace.py --threads 4): one thread also keeps it steady.
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import numpy as np  # noqa: E402  (after the thread settings, which it reads when loaded)

import microgrid as mg  # noqa: E402


def make_loss(mg):
    """The course's logistic loss, on the sigmoid and log of the microgrid ``mg``."""

    def loss(w, b, x, y):
        z = b
        for wi, xi in zip(w, x):
            z = z + wi * xi
        a = mg.sigmoid(z)
        return -(y * mg.log(a) + (1 - y) * mg.log(1 - a))

    return loss


loss = make_loss(mg)
BASELINE = None  # an earlier checkout's microgrid, with --baseline


def load_baseline(path):
    """The microgrid package of the checkout at ``path``, imported as ``microgrid_baseline``
    (its imports are relative, so it runs beside this one in the same process)."""
    import importlib.util

    init = Path(path).resolve() / "microgrid" / "__init__.py"
    if not init.exists():
        raise SystemExit(f"--baseline: no microgrid package in {path}")
    spec = importlib.util.spec_from_file_location("microgrid_baseline", init,
                                                  submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["microgrid_baseline"] = module
    spec.loader.exec_module(module)
    return module


def race(fns, repeat, number=1):
    """Best time per call of each function, taking turns (``number`` calls each per round,
    ``repeat`` rounds), so that a busy spell of the machine slows all of them, not one."""
    for fn in fns:
        fn()  # warm up: records the graph, compiles the code
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


def batch(repeat, m=100_000, n=10):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, n))
    Y = (X @ rng.normal(size=n) + rng.normal(size=m) > 0).astype(float)
    w = (rng.normal(size=n) * 0.1).tolist()
    b = 0.1
    wv = np.array(w)

    def numpy():
        a = 1.0 / (1.0 + np.exp(-(X @ wv + b)))
        J = -np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a))
        d = a - Y
        return J, X.T @ d / m, np.mean(d)

    f = mg.trace(loss, wrt=["w", "b"], batch=["x", "y"])
    f_all = mg.trace(loss, batch=["x", "y"])
    J, (dw, db) = f.value_and_grad(w, b, X, Y)
    J0, dw0, db0 = numpy()
    err = max(abs(J - J0), abs(db - db0), float(np.max(np.abs(np.array(dw) - dw0))))
    fns = [numpy, lambda: f.value_and_grad(w, b, X, Y), lambda: f_all.value_and_grad(w, b, X, Y)]
    if BASELINE is not None:
        g = BASELINE.trace(make_loss(BASELINE), wrt=["w", "b"], batch=["x", "y"])
        g_all = BASELINE.trace(make_loss(BASELINE), batch=["x", "y"])
        fns += [lambda: g.value_and_grad(w, b, X, Y), lambda: g_all.value_and_grad(w, b, X, Y)]
    t_np, t_tr, t_all, *t_base = race(fns, repeat)
    rows = [(f"value_and_grad, m={m:,}, n={n} (w, b)", t_tr, "hand-written NumPy", t_np)]
    if t_base:
        rows.append(("  the same, baseline", t_base[0], "hand-written NumPy", t_np))
    rows.append(("  the same, all arguments (adds dX, dy)", t_all, "hand-written NumPy", t_np))
    if t_base:
        rows.append(("  the same, all arguments, baseline", t_base[1], "hand-written NumPy", t_np))
    return rows, err


def single(repeat, n=10):
    rng = random.Random(0)
    w = [rng.gauss(0, 0.1) for _ in range(n)]
    x = [rng.gauss(0, 1) for _ in range(n)]
    b, y = 0.1, 1.0
    f = mg.trace(loss, wrt=["w", "b"])
    params = [mg.Value(wi) for wi in w]
    bias = mg.Value(b)

    def eager():
        for p in params:
            p.grad = 0.0
        bias.grad = 0.0
        out = loss(params, bias, x, y)
        out.backward()
        return out.data, [p.grad for p in params], bias.grad

    def replay():
        return f.value_and_grad(w, b, x, y)

    row = np.array(x)  # one sample's row, X[0]
    x64, y64 = list(row), np.float64(y)  # NumPy's float64 scalars, as list(X[0]) gives them

    def replay_float64():
        return f.value_and_grad(w, b, x64, y64)

    def replay_row():
        return f.value_and_grad(w, b, row, y64)

    others = []
    if BASELINE is not None:
        g = BASELINE.trace(make_loss(BASELINE), wrt=["w", "b"])
        others = [lambda: g.value_and_grad(w, b, x, y)]
    J, (dw, db) = replay()
    J0, dw0, db0 = eager()
    err = max(abs(J - J0), abs(db - db0), *(abs(p - q) for p, q in zip(dw, dw0)))
    for other in (replay_float64, replay_row):
        J1, (dw1, db1) = other()
        err = max(err, abs(J - J1), abs(db - db1), *(abs(p - q) for p, q in zip(dw, dw1)))
    t_eager, t_replay, t_f64, t_row, *t_base = race(
        [eager, replay, replay_float64, replay_row, *others], repeat * 5, number=200)
    rows = [(f"one sample, n={n}: replay on floats", t_replay, "eager graph + backward()",
             t_eager)]
    if t_base:
        rows.append(("  the same, baseline's replay", t_base[0], "replay on floats", t_replay))
    rows += [("  the same on np.float64s (list(X[0]))", t_f64, "replay on floats", t_replay),
             ("  the same on a row X[0] (an array)", t_row, "replay on floats", t_replay)]
    return rows, err


def exported(repeat, sizes=(100_000, 1_000_000), n=10):
    """The same batch value_and_grad (mean loss; gradients of w and b) exported with
    ``f.to_jax()`` under ``jax.jit`` and ``f.to_torch()`` with ``torch.autograd.grad``, beside
    microgrid's NumPy path and the hand-written NumPy, at each m in ``sizes``. Skipped (with a
    note) where PyTorch or JAX is not installed."""
    try:
        import jax
        import torch
    except ImportError as err:
        print(f"exports: skipped ({err.name} is not installed: "
              'pip install "microgrid[torch,jax]")')
        return [], 0.0
    jax.config.update("jax_enable_x64", True)
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    rows, err = [], 0.0
    for m in sizes:
        more, e = _exported_at(jax, torch, m, n, max(3, repeat // 4))
        rows += more
        err = max(err, e)
    return rows, err


def _exported_at(jax, torch, m, n, repeat):
    """The rows of ``exported`` at one m, and the largest difference from NumPy."""
    err = 0.0
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, n))
    Y = (X @ rng.normal(size=n) + rng.normal(size=m) > 0).astype(float)
    w = list(rng.normal(size=n) * 0.1)
    b = 0.1
    wv = np.array(w)

    def numpy():
        a = 1.0 / (1.0 + np.exp(-(X @ wv + b)))
        J = -np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a))
        d = a - Y
        return J, X.T @ d / m, np.mean(d)

    f = mg.trace(loss, wrt=["w", "b"])
    f(w, b, X[0].tolist(), float(Y[0]))
    h = f.to_jax()
    Xj, Yj, wj = jax.numpy.asarray(X), jax.numpy.asarray(Y), jax.numpy.asarray(wv)
    jitted = jax.jit(jax.value_and_grad(lambda w, b: h(w, b, Xj, Yj).mean(), argnums=(0, 1)))

    def on_jax():
        J, (dw, db) = jitted(wj, b)
        return J.block_until_ready(), dw, db

    g = f.to_torch()
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    wt = torch.tensor(wv, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)

    def on_torch():
        J = g(wt, bt, Xt, Yt).mean()
        dw, db = torch.autograd.grad(J, (wt, bt))
        return J.item(), dw, db

    J0, dw0, db0 = numpy()
    f_batch = mg.trace(loss, wrt=["w", "b"], batch=["x", "y"])

    def on_numpy():
        J, (dw, db) = f_batch.value_and_grad(w, b, X, Y)
        return J, dw, db

    for J, dw, db in (on_numpy(), on_jax(), on_torch()):
        err = max(err, abs(float(J) - J0), abs(float(db) - db0),
                  float(np.max(np.abs(np.asarray(dw) - dw0))))
    t_np, t_mg, t_jax, t_torch = race(
        [numpy, on_numpy, on_jax, on_torch], repeat)
    rows = [(f"m={m:,}, n={n}: microgrid's NumPy path", t_mg, "hand-written NumPy", t_np),
            ("  the same, f.to_jax() under jax.jit", t_jax, "hand-written NumPy", t_np),
            ("  the same, f.to_torch() + autograd", t_torch, "hand-written NumPy", t_np)]
    return rows, err


def clock(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.2f} µs"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", default="1", help="BLAS threads for the NumPy reference")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also time the microgrid of the checkout in DIR (before/after)")
    parser.add_argument("--no-exports", action="store_true", help="skip 3. (PyTorch, JAX)")
    args = parser.parse_args()
    global BASELINE
    if args.baseline:
        BASELINE = load_baseline(args.baseline)
    print(f"BLAS threads for the NumPy reference: {os.environ['OPENBLAS_NUM_THREADS']}")
    rows, err_batch = batch(args.repeat)
    more, err_wide = batch(max(3, args.repeat // 2), m=10_000, n=1_000)
    rows += more
    err_batch = max(err_batch, err_wide)
    more, err_single = single(args.repeat)
    rows += more
    ported, err_exported = ([], 0.0) if args.no_exports else exported(args.repeat)
    rows += ported
    print()
    print(f"| {'case':42} | {'traced':>9} | {'reference':25} | {'time':>9} | {'ratio':>6} |")
    print(f"|{'-' * 44}|{'-' * 10}:|{'-' * 27}|{'-' * 10}:|{'-' * 7}:|")
    for case, t, ref, t_ref in rows:
        print(f"| {case.strip():42} | {clock(t):>9} | {ref:25} | {clock(t_ref):>9} | "
              f"{t / t_ref:6.2f} |")
    print()
    print(f"largest difference from the reference: batch {err_batch:.1e}, "
          f"one sample {err_single:.1e}, exports {err_exported:.1e}")
    print("targets: batch ratio (w, b) <= 1.3 (within 1.3x of NumPy); one-sample ratio <= 0.1 "
          "(10x faster), baseline's replay >= 1 (no slower than before); np.float64 and row "
          "ratios <= 1.5")


if __name__ == "__main__":
    main()
