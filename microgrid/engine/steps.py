"""The backward pass as data: one record per contribution, in the order the engine adds them.

``backward()`` walks the graph from the output down and, at every node, adds *upstream adjoint ×
local derivative* to each of its inputs' adjoints. That loop leaves only the totals in ``.grad``.
``backward_steps(root)`` walks the same order, takes each node's terms from the same function
(``autograd.contributions``, the chain rule at one node) and keeps each addition as a ``Step``,
so a view can show how the totals came about: which edge carried what, by which rule, and how a
node used twice sums two terms. The explanation (``microgrid.explain``), the step-through page
and the grader (``microgrid.compare_grads``) all read these records.

Nothing a user sees changes: the adjoints live in a dict of this pass, not in ``.grad`` (only
the engine's own topological sort marks the nodes, as every pass does). The terms are the
engine's own, added in the engine's order, so summing a node's contributions in order
reproduces ``grad()`` bit for bit, inf and nan included.
"""

from __future__ import annotations

from typing import NamedTuple

from .autograd import contributions, paused_gc, topological_order
from .i18n import _
from .ops import Op
from .value import Value


class Step(NamedTuple):
    """One contribution of the backward pass: ``node``'s adjoint += ``upstream`` × ``local``.

    ``consumer`` is the node computed from ``node`` (``node`` is its input number ``operand``,
    0 or 1; both, one after the other, for ``a * a``). ``upstream`` is d root/d consumer, complete
    when the step runs; ``local`` is ∂consumer/∂node at the current values, from the op's
    ``grads``; ``contribution`` is their product exactly as the engine computes it; ``before``
    and ``after`` are ``node``'s adjoint around this addition.

    The rule is text from the op table (``OPS[op].rule``). ``rule_template`` is that text as
    stored, with ``{x}``, ``{y}`` (and ``{out}``) standing for the consumer's operands (and
    result); ``rule`` fills them with the op's own letters, ``"y"`` for ∂(x·y)/∂x, ``"1/x"``,
    ``"y·x^(y−1)"``, ``"σ(1−σ)"``. Naming the operands as the picture does (``"c"`` for
    ∂(b·c)/∂b) needs the names of the whole graph, which are a view's business:
    ``microgrid.view.explain.named_rule(step, names)`` fills the template with them.

    A named tuple: immutable, cheap to make (a backward pass of a million contributions makes a
    million of them), and its fields are read by name.
    """

    index: int  # type: ignore[assignment]  # the field, not tuple.index: records are read by name
    node: Value
    consumer: Value
    operand: int
    upstream: float
    local: float
    rule: str
    contribution: float
    before: float
    after: float
    rule_template: str

    def __repr__(self) -> str:
        def name(v: Value) -> str:
            return repr(v.label) if v.label else f"<{v.op or 'leaf'} {v.data:.4g}>"

        return (f"Step({self.index}: {name(self.node)} += {self.upstream:.4g} × "
                f"{self.local:.4g} [{self.rule}] = {self.contribution:.4g} from "
                f"{name(self.consumer)}, {self.before:.4g} → {self.after:.4g})")


def backward_steps(root: Value) -> list[Step]:
    """Every addition the backward pass from ``root`` makes, in order, as ``Step`` records.

    The adjoint of ``root`` itself is 1 (its seed, not a contribution). For every other node,
    ``sum`` of its steps' ``contribution`` in order, starting from 0.0, is ``grad(root, node)``
    bit for bit, and its last step's ``after`` is that number. Where an op cuts its gradient
    (its ``gates`` in the table, such as relu at x ≤ 0) the engine adds nothing, so there is
    no step: a node reached only through such uses has none, and gradient 0.

    A loop, like ``backward()``: graphs of any depth work. No ``.grad`` and no label changes.
    """
    if type(root) is not Value:
        raise TypeError(_("backward_steps() takes a Value, not {kind}",
                          kind=type(root).__name__))
    if root._op is None:
        raise ValueError(_leaf_message("backward_steps"))
    order = topological_order(root)  # the engine's own order: the sums depend on it
    adjoint: dict[Value, float] = {root: 1.0}
    get = adjoint.get
    steps: list[Step] = []
    append = steps.append
    new = tuple.__new__  # Step(...) without the named tuple's keyword-handling wrapper
    with paused_gc():  # a record per edge and no cycle: nothing for the collector
        for consumer in reversed(order):
            op = consumer._op
            if op is None:
                continue
            g = get(consumer, 0.0)
            rules = _rules(op)
            for operand, node, local, contribution in contributions(consumer, g):
                before = get(node, 0.0)
                after = before + contribution
                adjoint[node] = after
                text, template = rules[operand]
                append(new(Step, (len(steps), node, consumer, operand, g, local, text,
                                  contribution, before, after, template)))
    return steps


_RULES: dict[Op, tuple[tuple[str, str], ...]] = {}


def _rules(op: Op) -> tuple[tuple[str, str], ...]:
    """Per operand, the op's rule with its own letters and as stored (made once per op)."""
    found = _RULES.get(op)
    if found is None:
        found = _RULES[op] = tuple(
            (t.replace("{x}", "x").replace("{y}", "y").replace("{out}", "out"), t)
            for t in op.rule)
    return found


def _leaf_message(who: str) -> str:
    return _("{who}(): the root is a leaf (a Value no op made, or one made under no_grad()), "
             "so there is no backward pass to show; pass the output of an expression", who=who)
