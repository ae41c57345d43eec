"""Vectors where the code has vectors: dot products found in a recorded graph.

A traced function that takes lists and sums their products (``for wi, xi in zip(w, x):
z = z + wi * xi``, ``sum(...)``, a neuron's weighted sum) is recorded as a chain of scalar
nodes, ``((b + w_0*x_0) + w_1*x_1) + ...``, which NumPy would run one column at a time. This
pass, over the graph ``codegen`` has rebuilt, finds two patterns and writes them as vectors:

* **a dot product**: a chain of ``add`` nodes, each used only by the next, that ends in
  ``p_0*q_0 + p_1*q_1 + ... + p_(n-1)*q_(n-1)`` where p and q are list arguments of n numbers
  (all of them, in order, each product used only there): the chain becomes
  ``(what came before) + p @ q``. An MLP layer is one such chain per neuron, each on its row of
  the weight matrix, and each row is found the same way;
* **a vector gradient**: when the gradient of every number p_j of a list argument p is
  ``q_j * s`` for one list argument q of the same length and one quantity s (the backward of a
  dot product: ``dw_j = x_j * dz``), the gradient of p is written ``dw = x * dz``.

Anything else is left exactly as it was. The rewritten code is what ``f.source`` shows and what
a batch runs (one matrix product per dot product: BLAS, instead of n NumPy calls); on floats
the code of the chain itself runs, so that a replay adds in the engine's order, exactly.

On a batch a list argument named in ``batch=`` reaches the code as an n×chunk array, one
sample per column, and the shared ones as they are, so ``w @ x`` is one row of per-sample
values. How a vector gradient runs there depends on who varies per sample (``mode``):
``total(x, dz)`` for a shared w and batched x (the gradient summed over the chunk's samples,
x·dzᵀ: one matrix product), ``outer(w, dz)`` for a batched x and shared w, ``x * dz`` when both
are batched, and the numbers one by one when neither is.
"""

from __future__ import annotations

from typing import Any


def recognise(build: Any, lists: dict[str, list[Any]], batched: set[str],
              roots: list[Any], node: Any) -> None:
    """Rewrite each recognised dot-product chain of ``build``'s nodes in place.

    ``lists`` maps each flat list argument (of 2 or more numbers) to its leaf nodes;
    ``batched`` names the ones that hold a batch; ``roots`` are what the code computes (the
    chains' uses are counted from them); ``node`` makes a new node (``op``, ``args``, index).
    """
    where = {id(leaf): (name, j) for name, leaf_nodes in lists.items()
             for j, leaf in enumerate(leaf_nodes)}
    uses = _uses(roots)
    spine: set[int] = set()  # adds already read as part of a longer chain
    for top in reversed(build.nodes):
        if top.op != "add" or id(top) in spine or id(top) not in uses:
            continue
        chain = [top]  # the adds from the top down the left side, each used once
        while True:
            left = chain[-1].args[0]
            if type(left) is not type(top) or left.op != "add" or uses.get(id(left)) != 1:
                break
            chain.append(left)
        spine.update(id(a) for a in chain)
        terms = [chain[-1].args[0]] + [a.args[1] for a in reversed(chain)]
        # the node that sums terms[0..i] is chain[len(chain) - i]; look for a run of products
        for k in range(len(terms) - 1, 0, -1):
            found = _products(terms[: k + 1], where, lists, uses, batched, type(top))
            if found is not None:
                break
        else:
            continue
        p, q, n = found
        target = chain[len(chain) - k]
        dot = node("dot", (), target.index - 0.5)  # reads p and q whole, not their numbers
        # as written (p @ q), then with the shared one first, for a batch (w @ x, x n×chunk)
        dot.vectors = (p, q, *((q, p) if p in batched else (p, q)))
        before = terms[: k + 1 - n]
        if not before:
            target.op, target.args, target.vectors = dot.op, dot.args, dot.vectors
        elif len(before) == 1:
            target.args = (before[0], dot)
        else:
            target.args = (chain[len(chain) - len(before) + 1], dot)


def _products(terms: list, where: dict, lists: dict, uses: dict, batched: set[str],
              node_type: type) -> tuple[str, str, int] | None:
    """(p, q, n) when the last terms are p_0*q_0 ... p_(n-1)*q_(n-1), all of p and q."""
    last = terms[-1]
    pair = _pair(last, where, node_type)
    if pair is None:
        return None
    (p, _), (q, _) = pair
    n = len(lists[p])
    if len(lists[q]) != n or len(terms) < n or (p in batched and q in batched):
        return None
    for j, term in enumerate(terms[len(terms) - n:]):
        pair = _pair(term, where, node_type)
        if pair is None or uses.get(id(term)) != 1:
            return None
        if not ({pair[0], pair[1]} == {(p, j), (q, j)} or (p == q and pair == ((p, j), (p, j)))):
            return None
    return p, q, n


def _pair(term: Any, where: dict, node_type: type) -> tuple | None:
    if type(term) is not node_type or term.op != "mul":
        return None
    x, y = term.args
    if id(x) not in where or id(y) not in where:
        return None
    return where[id(x)], where[id(y)]


def _uses(roots: list[Any]) -> dict[int, int]:
    """How many times each node is read, by the nodes the roots need (and the roots)."""
    uses: dict[int, int] = {}
    seen: set[int] = set()
    stack = []
    for r in roots:
        if hasattr(r, "args"):
            uses[id(r)] = uses.get(id(r), 0) + 1
            stack.append(r)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        for a in n.args:
            if hasattr(a, "args"):
                uses[id(a)] = uses.get(id(a), 0) + 1
                stack.append(a)
    return uses


def gradient(grads: list[Any], lists: dict[str, list[Any]], p: str, batched: set[str],
             node: Any, index: int) -> Any | None:
    """The node ``q * s`` standing for the gradients ``grads`` of list argument ``p``'s numbers
    when each is ``q_j * s`` (see the module's docstring), else None."""
    where = {id(leaf): (name, j) for name, leaf_nodes in lists.items()
             for j, leaf in enumerate(leaf_nodes)}
    q = s = None
    for j, g in enumerate(grads):
        if not hasattr(g, "op") or g.op != "mul":
            return None
        x, y = g.args
        if id(x) in where and where[id(x)][1] == j and (q is None or where[id(x)][0] == q):
            factor, name = y, where[id(x)][0]
        elif id(y) in where and where[id(y)][1] == j and (q is None or where[id(y)][0] == q):
            factor, name = x, where[id(y)][0]
        else:
            return None
        if q is None:
            q, s = name, factor
        elif factor is not s and not (type(factor) is float and factor == s):
            return None
    if q is None or len(lists[q]) != len(grads):
        return None
    if p not in batched:
        mode = "total" if q in batched else "each"
    else:
        mode = "mul" if q in batched else "outer"
    v = node("outer", (*lists[q], s) if mode == "each" else (s,), index)
    v.vectors = (q, mode)
    return v
