"""One reading of a graph, shared by every view: ``r = microgrid.read(J)``.

The views of a graph all need the same few facts: which nodes there are, in which order, what
each is called, which nodes use which, and what the backward pass adds along each edge. A
``Reading`` gathers them once per output, in one walk and one recorded backward pass, and
``draw``, ``tree``, ``explain``, ``step_through``, ``compare_grads`` and the command line all
take it (or build it from a Value), so no view walks the graph on its own and every view shows
the same names and the same numbers:

* ``order``: every node, inputs before results, read as a person reads the expression (the
  left operand's subtree first: for ``w1*x1 + w2*x2``, w1, x1, w1·x1, w2, x2, w2·x2, the sum);
* ``names``: ``view.names.node_names`` over that order (``t1`` is ``w1·x1``, an unlabelled
  output is ``J``);
* ``uses``: for each node, the nodes computed from it, once each, in order;
* ``steps``: the backward pass as records (``engine.steps.backward_steps``), the only source
  of every derivative a view shows, masks and IEEE corners as the engine applies them;
* ``grads``: d output/d node from those records, 0.0 for a node nothing flows back to.

The uses and the backward records are made on first use, so a view that needs neither
(``tree``, a drawing without ``show_local``) costs one walk and the names. Everything is kept
in dicts keyed by the Values themselves (identity: ``Value.__eq__`` compares numbers), so each
fact is a lookup and every view stays linear in the size of the graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

from ..engine.autograd import paused_gc, topological_order
from ..engine.steps import Step, backward_steps
from ..engine.value import Value
from ..i18n import N_, _
from .names import node_names


class Reading:
    """What every view reads from the graph below ``roots``, gathered once (see the module)."""

    def __init__(self, roots: Sequence[Value], order: list[Value]) -> None:
        self.roots = tuple(roots)
        self.root = self.roots[0]  # the output differentiated (the first, for several)
        self.order = order
        self.names = node_names(order, self.roots)
        self._edges: dict[tuple[int, int], Step] | None = None

    def __len__(self) -> int:
        return len(self.order)

    def __repr__(self) -> str:
        return (f"<reading of {self.names[self.root]}: {len(self.order)} Values; "
                "pass it to draw, tree, explain, step_through or compare_grads>")

    @cached_property
    def uses(self) -> dict[Value, list[Value]]:
        """For each node, the nodes computed from it, once each, in order (made once)."""
        uses: dict[Value, list[Value]] = {}
        with paused_gc():  # a list per node and no cycle: nothing for the collector
            for c in self.order:
                x, y = c._x, c._y
                if type(x) is Value:
                    uses.setdefault(x, []).append(c)
                if type(y) is Value and y is not x:  # a * a is one use, with two records
                    uses.setdefault(y, []).append(c)
        return uses

    @cached_property
    def steps(self) -> list[Step]:
        """The backward pass from ``root`` as records, made once (none below a leaf)."""
        return backward_steps(self.root) if self.root._op is not None else []

    @cached_property
    def terms(self) -> dict[Value, list[Step]]:
        """For each node, the records that add to its gradient, in the engine's order."""
        found: dict[Value, list[Step]] = {}
        for s in self.steps:
            found.setdefault(s.node, []).append(s)
        return found

    @cached_property
    def grads(self) -> dict[Value, float]:
        """d root/d node for every node, from the records: the engine's numbers to the bit."""
        found = dict.fromkeys(self.order, 0.0)
        if self.root._op is not None:
            found[self.root] = 1.0
        for s in self.steps:
            found[s.node] = s.after
        return found

    def edge(self, consumer: Value, operand: int) -> Step | None:
        """The record of what flows back from ``consumer`` into its input number ``operand``,
        or None where the engine adds nothing there (a mask: relu off, a gate at 0, step).

        For several outputs the record of the first output whose pass reaches the edge (the
        local derivative and the mask are the edge's own, whatever the output)."""
        if self._edges is None:
            edges: dict[tuple[int, int], Step] = {}
            passes = [self.steps] + [backward_steps(r) for r in self.roots[1:]
                                     if r._op is not None]
            for steps in passes:
                for s in steps:
                    edges.setdefault((id(s.consumer), s.operand), s)
            self._edges = edges
        return self._edges.get((id(consumer), operand))


def read(root: Any, max_nodes: int | None = None, doing: str = "read") -> Reading:
    """The ``Reading`` of the graph below ``root`` (a Value, or several in a sequence).

    A Reading passed in is returned as it is. With ``max_nodes``, a graph of more Values is
    refused in one line before it is read, counting no further than a cap, so that the graph of
    a whole data set is refused in a fraction of a second; ``doing`` names the view in that
    line ("draw", "step through" ...).
    """
    if isinstance(root, Reading):
        if max_nodes is not None and len(root.order) > max_nodes:
            raise ValueError(too_many(len(root.order), max_nodes, doing))
        return root
    roots = _roots(root)
    if max_nodes is not None:
        check_size(roots, max_nodes, doing)
    if len(roots) == 1:
        order = topological_order(roots[0])
    else:
        order = list(dict.fromkeys(v for r in roots for v in topological_order(r)))
    for v in order:
        if type(v.label) is not str:
            raise TypeError(_("a Value's label must be a str, not {kind} ({label}); set "
                              "v.label = str(...)", kind=type(v.label).__name__,
                              label=f"{v.label!r:.40}"))
    with paused_gc():  # a list of uses per node and no cycle: nothing for the collector
        return Reading(roots, order)


def _roots(root: Any) -> list[Value]:
    if type(root) is Value:
        return [root]
    if isinstance(root, Iterable) and not isinstance(root, (str, bytes)):
        roots = list(dict.fromkeys(root))  # the same output twice is read once
        if roots and all(type(v) is Value for v in roots):
            return roots
    raise TypeError(_("read() takes a Value or a sequence of Values, not {kind}",
                      kind=type(root).__name__))


def check_size(roots: Iterable[Value], max_nodes: int, doing: str) -> None:
    """Refuse a graph of more than ``max_nodes`` Values in one line (see ``read``)."""
    cap = max(100 * max_nodes, 100_000)
    seen = {id(r) for r in roots}
    stack = list(roots)
    while stack and len(seen) <= cap:
        for x in stack.pop().inputs:
            if type(x) is Value and id(x) not in seen:
                seen.add(id(x))
                stack.append(x)
    if len(seen) > max_nodes:
        over = len(seen) > cap
        raise ValueError(too_many(cap if over else len(seen), max_nodes, doing, over))


# each view's refusal of an oversized graph, whole: (counted, counted no further than a cap)
TOO_MANY = {
    "read": (N_("the graph has {count} Values, more than max_nodes={limit} Values to read; "
                "read one sample's graph (e.g. the loss of a single example), or raise "
                "max_nodes"),
             N_("the graph has more than {count} Values, more than max_nodes={limit} Values to "
                "read; read one sample's graph (e.g. the loss of a single example), or raise "
                "max_nodes")),
    "draw": (N_("the graph has {count} Values, more than max_nodes={limit} Values to draw; "
                "draw one sample's graph (e.g. the loss of a single example), or raise "
                "max_nodes"),
             N_("the graph has more than {count} Values, more than max_nodes={limit} Values to "
                "draw; draw one sample's graph (e.g. the loss of a single example), or raise "
                "max_nodes")),
    "print": (N_("the graph has {count} Values, more than max_nodes={limit} Values to print; "
                 "print one sample's graph (e.g. the loss of a single example), or raise "
                 "max_nodes"),
              N_("the graph has more than {count} Values, more than max_nodes={limit} Values "
                 "to print; print one sample's graph (e.g. the loss of a single example), or "
                 "raise max_nodes")),
    "step through": (N_("the graph has {count} Values, more than max_nodes={limit} Values to "
                        "step through; step through one sample's graph (e.g. the loss of a "
                        "single example), or raise max_nodes"),
                     N_("the graph has more than {count} Values, more than max_nodes={limit} "
                        "Values to step through; step through one sample's graph (e.g. the "
                        "loss of a single example), or raise max_nodes")),
}


def too_many(count: int, max_nodes: int, doing: str, over: bool = False) -> str:
    """The one line a view (``doing``: "draw", "print", "step through", "read") refuses an
    oversized graph with; ``over``: the graph was counted no further than ``count``."""
    message = TOO_MANY.get(doing, TOO_MANY["read"])[over]
    return _(message, count=f"{count:,}", limit=f"{max_nodes:,}")
