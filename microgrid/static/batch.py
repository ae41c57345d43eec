"""Running a traced function's generated code over a whole batch of samples with NumPy.

The generated code is straight-line arithmetic, so the very lines that run on floats run on
NumPy arrays too, one array holding a quantity for every sample at once (vectorization). This
module does what is around that: it finds the batch in the arguments, hands the code its
columns, runs it a block of rows at a time, and reduces the results to what the course
computes (J = 1/m Σ L, and the gradients of J).

NumPy is imported only when a batch arrives, so ``import microgrid`` needs nothing beyond the
standard library; floats never come here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..i18n import gettext
from .codegen import array_call_namespace, array_namespace

# The generated code runs over the batch a block of rows at a time: its ~2 arrays per op then
# stay in the processor's cache instead of streaming through memory, which measured ~2x faster
# than whole columns at m = 100,000 (benchmarks/trace.py); the per-call cost of each NumPy op
# is still small next to the work at this size.
CHUNK = 8192

_NAMESPACE: dict[str, Any] | None = None
_CALL_NAMESPACE: dict[str, Any] | None = None


class Batch(NamedTuple):
    """A call on a batch: NumPy, the batch size m, and the arguments as given (arrays whole)."""

    np: Any
    m: int
    given: list


def find(args: list, batched: list[tuple[int, str]]) -> Batch:
    """The batch the arguments hold: the size m that the arrays named in ``batch=`` (at the
    positions and with the names in ``batched``) agree on along their first axis."""
    import numpy as np

    shapes = [(name, args[i].shape) for i, name in batched]
    sizes = {shape[0] for _, shape in shapes}
    if len(sizes) > 1:
        each = gettext(", ").join(gettext("{name} has shape {shape}", name=name, shape=shape)
                                  for name, shape in shapes)
        raise ValueError(gettext("the batched arguments disagree on the batch size m (their "
                                 "first axis): {each}", each=each))
    m = sizes.pop()
    if m == 0:
        raise ValueError(gettext("an empty batch: {name} has shape {shape}, and with m = 0 "
                                 "there is nothing to compute", name=shapes[0][0],
                                 shape=shapes[0][1]))
    return Batch(np, m, args)


def columns(np: Any, tree: Any) -> Any:
    """The arguments as the generated code takes them: an ``np.float64`` per shared number (so
    that shared / 0 is inf, as on arrays), a 1-D float array per batched number: for an array
    of shape (m, n), its n columns, as views (copying a large array into contiguous columns
    measured slower than reading them strided)."""
    if type(tree) is list:
        return [columns(np, t) for t in tree]
    if type(tree) is float:
        return np.float64(tree)
    return _split(np.asarray(tree, dtype=np.float64))


def _split(a: Any) -> Any:
    if a.ndim == 1:
        return a
    return [_split(a[:, i]) for i in range(a.shape[1])]


def matrices(batch: Batch, cols: list, positions: list[int]) -> list:
    """The arguments for code with vectors (vectorize.py): the batched lists at ``positions``
    each one n×m array, one sample per column (a view of the m×n array given), the rest as
    ``columns`` made them."""
    out = list(cols)
    for i in positions:
        out[i] = batch.given[i].T
    return out


def first_sample(tree: Any) -> Any:
    """The first sample's numbers, from the columns (the recording runs on them)."""
    if type(tree) is list:
        return [first_sample(t) for t in tree]
    if getattr(tree, "ndim", 0) >= 1:
        return float(tree[0])
    return float(tree)


def namespace(np: Any, calls: bool = False) -> dict[str, Any]:
    """What the generated code calls on arrays (made once); ``calls``: for the call form."""
    global _NAMESPACE, _CALL_NAMESPACE
    if calls:
        if _CALL_NAMESPACE is None:
            _CALL_NAMESPACE = {**array_call_namespace(np), **_vectors(np)}
        return _CALL_NAMESPACE
    if _NAMESPACE is None:
        _NAMESPACE = {**array_namespace(np), **_vectors(np)}
    return _NAMESPACE


def _vectors(np: Any) -> dict[str, Any]:
    """What code with vectors calls (vectorize.py), a batched list being n×rows."""

    def total(q: Any, s: Any) -> Any:  # Σ over the rows of q * s: one matrix product
        return np.dot(q, s) if getattr(s, "ndim", 0) else q.sum(axis=1) * s

    def outer(q: Any, s: Any) -> Any:  # q_j * s for each j: n×rows, a view of rows×n
        return np.multiply.outer(s, np.asarray(q)).T  # (so that it fills rows×n quickly)

    def dot(p: Any, q: Any) -> Any:
        return np.dot(p, q)

    # (Python functions: NumPy called straight from the generated code, which runs without
    # builtins, crashed the interpreter on a list argument)
    return {"dot": dot, "total": total, "outer": outer}


def _chunks(m: int) -> range:
    return range(0, m, CHUNK)


def _rows(tree: Any, start: int, stop: int) -> Any:
    """The arguments for rows start:stop (shared numbers as they are)."""
    if type(tree) is list:
        return [_rows(t, start, stop) for t in tree]
    return tree[..., start:stop] if getattr(tree, "ndim", 0) else tree  # (n×m: columns)


# --- results --------------------------------------------------------------------------------


def values(batch: Batch, fn: Callable, cols: list) -> Any:
    """The per-sample values of the forward code ``fn``, an array of m."""
    np, m = batch.np, batch.m
    out = np.empty(m, dtype=np.float64)
    with np.errstate(all="ignore"):  # inf and nan as IEEE says, silently, as on floats
        for start in _chunks(m):
            stop = min(start + CHUNK, m)
            out[start:stop] = fn(*_rows(cols, start, stop))  # (a number: the same for each)
    return out


def value_and_grad(batch: Batch, fn: Callable, cols: list, wrt: list[int],
                   mean: bool) -> tuple[float, tuple]:
    """The value of the forward-and-backward code ``fn`` summed (averaged) over the batch, and
    the gradients of the arguments at positions ``wrt``, shaped like them: a float per shared
    number (its per-sample gradients summed or averaged), an array of the argument's shape per
    array (the per-sample gradients, over m for the mean)."""
    np, m = batch.np, batch.m
    total = 0.0
    sums = [_accumulator(np, batch.given[i]) for i in wrt]
    with np.errstate(all="ignore"):
        for start in _chunks(m):
            stop = min(start + CHUNK, m)
            out, grads = fn(*_rows(cols, start, stop))
            total += _sum(np, out, stop - start)
            for acc, g in zip(sums, grads):
                _accumulate(np, acc, g, start, stop)
        scale = 1.0 / m if mean else 1.0
        return total * scale, tuple(_finish(acc, m, mean) for acc in sums)


def _sum(np: Any, g: Any, rows: int) -> float:
    """A per-sample quantity summed over rows (a number stands for the same in each row)."""
    return float(np.sum(g)) if getattr(g, "ndim", 0) else float(g) * rows


class _Total:
    """The running sum of a shared number's gradient."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0


def _accumulator(np: Any, given: Any) -> Any:
    if type(given) is list:
        return [_accumulator(np, s) for s in given]
    if type(given) is float:  # a shared number
        return _Total()
    return np.empty(given.shape, dtype=np.float64)  # a batched array: per-sample gradients


def _accumulate(np: Any, acc: Any, g: Any, start: int, stop: int) -> None:
    if type(acc) is list:
        if type(g) is not list:  # a vector gradient, summed over the rows already (total)
            for a, gi in zip(acc, g.tolist()):
                a.value += gi
            return
        for a, gi in zip(acc, g):
            _accumulate(np, a, gi, start, stop)
    elif type(acc) is _Total:
        acc.value += _sum(np, g, stop - start)
    else:
        _fill(acc[start:stop], g)


def _fill(dst: Any, g: Any) -> None:
    if type(g) is list:  # the columns of an (m, n, ...) array
        for i, gi in enumerate(g):
            _fill(dst[:, i], gi)
    else:
        # a per-sample array, or one number for every sample; n×rows from code with vectors
        dst[...] = g.T if getattr(g, "ndim", 0) > 1 else g


def _finish(acc: Any, m: int, mean: bool) -> Any:
    if type(acc) is list:
        return [_finish(a, m, mean) for a in acc]
    if type(acc) is _Total:
        return acc.value / m if mean else acc.value
    if mean:
        acc /= m
    return acc
