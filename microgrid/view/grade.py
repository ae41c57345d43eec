"""Grade a hand derivation: a learner's gradients beside the engine's, and the step that went wrong.

::

    >>> mg.compare_grads(J, {"v": 1, "a": 1, "u": 1, "b": 2, "c": 3})
    node  yours  microgrid  ok
    v     1      3          ✗
    ...
    <BLANKLINE>
    ✗ v: your dJ/dv = 1 is missing the factor ∂J/∂v = 3: dJ/dv = dJ/dJ · ∂J/∂v = 1 · 3 = 3
      a, u, b, c follow from your dJ/dv: worked on from it, they are right.

A slip made early in a derivation makes every gradient below it wrong, so marking them all ✗
says little. The grader walks the nodes in backward order (the order the engine completes their
gradients), finds the first wrong one, and then recomputes each later node from the learner's
own numbers above it: one that matches *follows from* the earlier slip, one that does not is
wrong on its own, and gets its own diagnosis. A diagnosis names the slip in the course's words:
a flipped sign, a missing or extra factor, a term missing from the sum of a node used more than
once, a value where a derivative belongs, the operands of −, ÷ or ^ swapped, or rounding.

Everything is read from the engine: its gradients from ``grad()``, the local derivatives and the
terms of each sum from ``backward_steps`` (nothing here differentiates on its own), and the names
from ``node_names``, the ones the drawing shows. Nothing in the graph changes.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..engine.autograd import grad
from ..engine.ops import is_number
from ..engine.steps import Step
from ..engine.value import Value
from ..i18n import _, get_language, language
from .explain import (
    _atom,
    _d,
    _factor,
    _partial,
    _terms,
    _text_line,
    _wrap,
    find_nodes,
    named_rule,
    num,
)
from .names import fill
from .reading import Reading, read

TOL = 1e-6

# the kinds of slip a diagnosis names (``GradReport.slips``)
SIGN, FACTOR, TERM, VALUE, SWAPPED, ROUNDING, OTHER = (
    "sign", "factor", "missing term", "value", "swapped", "rounding", "other")


def compare_grads(root: Value | Reading, yours: Mapping[Any, Any], tol: float = TOL,
                  lang: str | None = None) -> GradReport:
    """Your d root/d node for each key of ``yours`` against the engine's.

    Keys are labels (``"b"``), the course's names for gradients (``"db"`` or ``"dJ/db"``), the
    names the views give unlabelled nodes (``"t1"``), every name ``explain`` prints
    (``"dJ/d(L1.n1.w1)"``), or Values.

    A row is ✓ when ``|yours − microgrid| <= tol · max(1, |microgrid|)`` (an absolute tolerance
    near zero, a relative one for large gradients); inf matches the same inf and nan matches
    nan; an int too large for a float is read as ±inf. The report prints as a table, shows as an
    HTML table in Jupyter, ``.ok`` is True when every row matches, ``.first_wrong`` names the
    first wrong node in backward order (None when all match) and ``.slips`` the kind of each
    slip found. ``lang`` ("zh", "en") is the language of the table and the diagnoses (else
    the current one, ``mg.set_language``).
    """
    with language(lang):
        return _compare_grads(root, yours, tol)


def _compare_grads(root: Value | Reading, yours: Mapping[Any, Any], tol: float) -> GradReport:
    if isinstance(root, Reading):  # the graph already read for another view
        reading = root
        root = reading.root
    elif type(root) is not Value:
        raise TypeError(f"compare_grads() takes a Value, not {type(root).__name__}")
    else:
        reading = read(root)
    if root._op is None:
        raise ValueError(_("compare_grads(): the root is a leaf (a Value no op made, or one "
                           "made under no_grad()), so it has no gradients to compare; pass the "
                           "output of an expression"))
    if not isinstance(yours, Mapping):
        raise TypeError("compare_grads(): yours must map labels (or Values) to numbers, e.g. "
                        f"{{'a': 3, 'b': 6}}, not {type(yours).__name__}")
    if not yours:
        raise ValueError(_("compare_grads(): yours is empty; give your gradients as "
                           "{example}", example="{'a': 3, 'b': 6}"))
    if not is_number(tol) or isinstance(tol, bool) or not tol >= 0:
        raise ValueError(f"compare_grads(): tol must be a number >= 0, not {tol!r}")
    tol = _float(tol)
    order, names = reading.order, reading.names
    keys = _printed_names(list(yours), order, names, root)
    nodes = find_nodes(keys, order, names, root, "compare_grads", what="keys",
                       derivatives=True)
    mine = []
    for key, node in zip(yours, nodes):
        value = yours[key]
        if not is_number(value) or isinstance(value, bool):
            raise TypeError(_("compare_grads(): your gradient for {node} is {kind} ({value}), "
                              "not a number", node=names[node], kind=type(value).__name__,
                              value=f"{value!r:.40}"))
        mine.append(_float(value))
    engine = grad(root, nodes)
    rows = [Row(names[v], y, e, _close(y, e, tol)) for v, y, e in zip(nodes, mine, engine)]
    report = GradReport(names[root], rows, {})
    if not report.ok:
        given = {v: y for v, y in zip(nodes, mine)}
        wrong = {v for v, row in zip(nodes, rows) if not row.ok}
        _diagnose(report, reading, given, wrong, tol)
    return report


class Row:
    """One node's line of the report: its name, your number, the engine's, and whether they
    match."""

    __slots__ = ("name", "yours", "microgrid", "ok")

    def __init__(self, name: str, yours: float, microgrid: float, ok: bool) -> None:
        self.name = name
        self.yours = yours
        self.microgrid = microgrid
        self.ok = ok

    def __repr__(self) -> str:
        return (f"Row({self.name!r}, yours={self.yours!r}, microgrid={self.microgrid!r}, "
                f"ok={self.ok})")


class GradReport:
    """What ``compare_grads`` returns: ``.ok``, ``.rows``, ``.wrong`` (the names that differ),
    ``.first_wrong`` (the first of them in backward order, or None), ``.why`` (name -> the
    diagnosis of each node wrong on its own), ``.slips`` (name -> its kind: ``"sign"``,
    ``"factor"``, ``"missing term"``, ``"value"``, ``"swapped"``, ``"rounding"`` or
    ``"other"``) and ``.follows`` (name -> the earlier wrong node it follows from); ``str()`` is
    the table and then the diagnoses."""

    def __init__(self, root: str, rows: list[Row], why: dict[str, str]) -> None:
        self.root = root
        self.rows = rows
        self.why = why
        self.slips: dict[str, str] = {}
        self.follows: dict[str, str] = {}
        self.first_wrong: str | None = None
        self.ok = all(r.ok for r in rows)
        self.wrong = [r.name for r in rows if not r.ok]
        self.lang = get_language()  # the report prints in the language it was made in

    def __bool__(self) -> bool:
        return self.ok

    def notes(self) -> list[tuple[str, str]]:
        """The lines under the table: (the name it is about, the text), in backward order."""
        with language(self.lang):
            return self._notes()

    def _notes(self) -> list[tuple[str, str]]:
        out = []
        for name, line in self.why.items():
            out.append((name, f"✗ {name}: {line}"))
            table = [row.name for row in self.rows]  # in the order of your table
            after = [n for n in table if self.follows.get(n) == name]
            if after:
                them = ", ".join(after)
                d = f"d{_atom(self.root)}/d{_atom(name)}"
                out.append((name, "  " + (
                    _("{node} follows from your {d}: worked on from it, it is right.",
                      node=them, d=d) if len(after) == 1 else
                    _("{nodes} follow from your {d}: worked on from it, they are right.",
                      nodes=them, d=d))))
        return out

    def __str__(self) -> str:
        with language(self.lang):
            table = [(_("node"), _("yours"), "microgrid", _("ok"))]
        table += [(r.name, _num(r.yours), _num(r.microgrid), "✓" if r.ok else "✗")
                  for r in self.rows]
        widths = [max(_width(t[i]) for t in table) for i in range(4)]
        lines = ["  ".join(c + " " * (w - _width(c)) for c, w in zip(t, widths)).rstrip()
                 for t in table]
        notes = self.notes()
        if notes:
            lines.append("")
            lines += [text for _name, text in notes]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        with language(self.lang):
            heads = (_("node"), _("yours"), "microgrid", _("ok"))
        head = "".join(f"<th>{e(h)}</th>" for h in heads)
        body = []
        for r in self.rows:
            mark = ('<span style="color:#1a7f37">✓</span>' if r.ok
                    else '<span style="color:#cf222e">✗</span>')
            body.append(f"<tr><td>{e(r.name)}</td><td>{e(_num(r.yours))}</td>"
                        f"<td>{e(_num(r.microgrid))}</td><td>{mark}</td></tr>")
        notes = "".join(f"<p><code>{e(text)}</code></p>" for _name, text in self.notes())
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                + notes)


# --- the diagnosis ---------------------------------------------------------------------------


def _diagnose(report: GradReport, reading: Reading, given: dict[Value, float],
              wrong: set[Value], tol: float) -> None:
    """Fill ``report``'s first_wrong, why, slips and follows.

    One walk in backward order. ``known`` is each node's gradient as the learner's derivation
    has it (their number where they gave one, else worked on from their numbers above), and
    ``expect`` what the node's gradient is when worked on from the learner's numbers above it.
    A wrong node whose answer is its ``expect`` follows from an earlier slip (``cause`` is the
    first wrong node above it); otherwise the slip is at this node, and ``_slip`` names it.
    """
    root, order, names = reading.root, reading.order, reading.names
    terms = reading.terms
    known: dict[Value, float] = {root: given.get(root, 1.0)}
    cause: dict[Value, Value | None] = {root: root if root in wrong else None}
    constants = _Constants(reading)
    for v in reversed(order):
        if v is root:
            continue
        ts = terms.get(v, [])
        e = 0.0
        above = None
        for s in ts:  # the engine's sum, in its order, on the learner's numbers
            e += s.local * known[s.consumer]
            c = cause.get(s.consumer)
            if c is not None and above is None:
                above = c
        known[v] = given.get(v, e)
        cause[v] = above
        if v not in wrong:
            continue
        name = names[v]
        if report.first_wrong is None:
            report.first_wrong = name
        if above is not None and _close(given[v], e, tol):
            report.follows[name] = names[above]
            continue
        cause[v] = v
        kind, text = _slip(v, given[v], e, ts, known, names, root, constants, tol)
        report.slips[name] = kind
        report.why[name] = text
    if root in wrong:  # the seed: d root/d root is 1
        r = names[root]
        report.first_wrong = r
        report.slips[r] = OTHER
        report.why = {r: _("your {d} = {yours}, but the gradient of {root} with respect to "
                           "itself is 1", d=f"d{_atom(r)}/d{_atom(r)}", yours=num(given[root]),
                           root=r), **report.why}


def _slip(v: Value, y: float, e: float, ts: list[Step], known: dict[Value, float],
          names: dict[Value, str], root: Value, constants: _Constants,
          tol: float) -> tuple[str, str]:
    """The kind of slip that turns the right ``e`` into the learner's ``y`` at ``v``, and a
    sentence naming it, then the worked line."""
    r, n = names[root], names[v]
    d = _d(r, n)
    line = worked_line(v, ts, known, names, root, None if ts else constants.reading.uses)
    mine = {"d": d, "yours": _num(y), "line": line}  # every sentence starts from "your dJ/dx"

    def near(a: float, b: float) -> bool:
        return math.isfinite(a) and math.isfinite(b) and _close(a, b, max(tol, 1e-9))

    if not (math.isfinite(y) and math.isfinite(e)):
        return OTHER, _("your {d} = {yours}, but {line}", **mine)  # inf or nan: no slip
    ups = [known[s.consumer] for s in ts]
    parts = [u * s.local for s, u in zip(ts, ups)]
    for s, u, c in zip(ts, ups, parts):  # − ÷ ^ read the other way round
        flipped = _swapped_local(s)
        if flipped is not None and flipped != s.local and near(y, e - c + u * flipped):
            op = _symbol(s.consumer)
            return SWAPPED, _("your {d} = {yours} takes the operands of {op} the wrong way "
                              "round: {consumer} = {formula}, so {partial} = {rule}: {line}",
                              op=op, consumer=names[s.consumer],
                              formula=_formula(s.consumer, names),
                              partial=_partial(names[s.consumer], n),
                              rule=_rule_value(s, names), **mine)
    if e != 0 and near(y, -e):
        return SIGN, _("your {d} = {yours} has the wrong sign: {line}", **mine)
    if len(ts) > 1:
        uses = ", ".join(names[s.consumer] for s in ts[:4])
        if len(ts) > 4:
            uses = _("{uses} and {more} more", uses=uses, more=len(ts) - 4)
        head = _("{node} is used {count} times (by {uses}), so {d} is the sum of {count} terms",
                 node=n, count=len(ts), uses=uses, d=d)
        by_part: dict[float, Step] = {}
        for s, c in zip(ts, parts):
            by_part.setdefault(_key(c), s)
        left_out = by_part.get(_key(e - y))
        if left_out is not None:
            c = left_out.local * known[left_out.consumer]
            return TERM, _("your {d} = {yours} leaves out the term through {consumer} "
                           "({term}); {why}: {line}", consumer=names[left_out.consumer],
                           term=num(c), why=head, **mine)
        only = by_part.get(_key(y))
        if only is not None:
            return TERM, _("your {d} = {yours} is only the term through {consumer}; {why}: "
                           "{line}", consumer=names[only.consumer], why=head, **mine)
    if e != 0 and y != e and _rounded(y, e, exact=True):
        return ROUNDING, _rounding(mine, e, tol)
    if near(y, v.data) and v.data != e:
        return VALUE, _("your {d} = {yours} is the value of {node}, not its gradient: {line}",
                        node=n, **mine)
    for s, u, c in zip(ts, ups, parts):
        consumer = s.consumer
        cn = names[consumer]
        if consumer.data != u and near(y, e - c + consumer.data * s.local):
            return VALUE, _("your {d} = {yours} uses the value of {consumer} ({value}) where "
                            "{up} = {upstream} belongs: {line}", consumer=cn,
                            value=num(consumer.data), up=_d(r, cn), upstream=num(u), **mine)
        for other, who in ((consumer, cn), (v, n)):
            if abs(other.data) != 1 and other.data != s.local and near(y, e - c + u * other.data):
                return VALUE, _("your {d} = {yours} uses the value of {node} ({value}) where "
                                "the local derivative {partial} = {rule} belongs: {line}",
                                node=who, value=num(other.data), partial=_partial(cn, n),
                                rule=_rule_value(s, names), **mine)
    if e != 0 and y != 0:
        ratio, inverse = y / e, e / y  # each on its own: at the float's ends one is 0 or inf
        # this node's own factors (each local derivative, each gradient from above), found by
        # value: one dict, and the words only for the one that matches
        own: dict[float, tuple[Step, float | None]] = {}
        for s, u in zip(ts, ups):
            for f, up in ((s.local, None), (u, u)):
                if f != 0 and abs(f) != 1 and math.isfinite(f):
                    own.setdefault(_key(f), (s, up))
        for f, missing in ((inverse, True), (ratio, False)):
            found = own.get(_key(f)) if math.isfinite(f) else None
            if found is not None:
                s, up = found
                cn = names[s.consumer]
                what = (f"{_partial(cn, n)} = {_rule_value(s, names)}" if up is None
                        else f"{_d(r, cn)} = {num(up)}")
                return FACTOR, (
                    _("your {d} = {yours} is missing the factor {factor}: {line}", factor=what,
                      **mine) if missing else
                    _("your {d} = {yours} has an extra factor {factor}: {line}", factor=what,
                      **mine))
        what = constants.find(inverse)
        if what:
            return FACTOR, _("your {d} = {yours} is missing a factor {factor}: {line}",
                             factor=what, **mine)
        what = constants.find(ratio)
        if what:
            return FACTOR, _("your {d} = {yours} has an extra factor {factor}: {line}",
                             factor=what, **mine)
    if e != 0 and y != e and _rounded(y, e):
        return ROUNDING, _rounding(mine, e, tol)
    return OTHER, (_("your {d} = {yours}, but {line}", **mine) if ts else line)


def _rounding(mine: dict[str, str], e: float, tol: float) -> str:
    return _("your {d} = {yours} is close to {d} = {right} but outside the tolerance "
             "(±{tol} · max(1, |{d}|)); keep more digits: {line}", right=_num(e),
             tol=f"{tol:g}", **mine)


def worked_line(v: Value, ts: list[Step], known: dict[Value, float], names: dict[Value, str],
                root: Value, consumers: dict[Value, list[Value]] | None = None) -> str:
    """``v``'s line of the derivation, as ``explain`` writes it, with the upstream gradients
    the learner's derivation has (``known``): what the step should have given from there.
    ``consumers`` (the reading's ``uses``) names the uses that mask."""
    r, n = names[root], names[v]
    if not ts:  # every use masks it (relu at x <= 0): explain's line, naming those uses
        if consumers is None:
            consumers = read(root).uses
        cut = list({id(c): c for c in consumers.get(v, [])}.values())  # each once, in order
        return _text_line(v, ts, root, names, cut)
    ups = {id(s): known[s.consumer] for s in ts}
    symbols = _terms(ts, lambda s: f"{_d(r, names[s.consumer])} · "
                                   f"{_partial(names[s.consumer], n)}")
    rules = _terms(ts, lambda s: f"{_factor(ups[id(s)])} · {_wrap(named_rule(s, names))}")
    numbers = _terms(ts, lambda s: f"{_factor(ups[id(s)])} · {_factor(s.local)}")
    parts = [_d(r, n), symbols] + ([numbers] if rules.replace("−", "-") == numbers
                                   else [rules, numbers])
    total = 0.0
    for s in ts:
        total += s.local * ups[id(s)]
    if len(ts) > 1:
        parts.append(_terms([s.local * ups[id(s)] for s in ts], num, signed=True))
    parts.append(num(total))
    return " = ".join(parts)


def step_slips(step: Step, names: dict[Value, str], root: Value,
               running: bool = False) -> list[tuple[float, str, str]]:
    """The wrong numbers a learner is likely to give for one backward step, each with its kind
    and a sentence naming the slip: what the step-through page's quiz matches a wrong answer
    against. ``running`` asks for the node's new gradient (its running sum) rather than the
    step's contribution, as for a node used more than once."""
    r, n, cn = names[root], names[step.node], names[step.consumer]
    u, local = step.upstream, step.local
    c = step.contribution
    base = step.before if running else 0.0
    up = _d(r, cn)
    part = _partial(cn, n)
    rule = f"{part} = {_rule_value(step, names)}"
    found: list[tuple[float, str, str]] = []

    def add(wrong: float, kind: str, text: str) -> None:
        wrong = base + wrong  # what the learner would type: finite (the page's data is JSON)
        if math.isfinite(wrong) and wrong != base + c:
            found.append((wrong, kind, text))

    flipped = _swapped_local(step)
    if flipped is not None:
        add(u * flipped, SWAPPED, _("the operands of {op} are the other way round: "
                                    "{consumer} = {formula}, so {rule}",
                                    op=_symbol(step.consumer), consumer=cn,
                                    formula=_formula(step.consumer, names), rule=rule))
    add(-c, SIGN, _("the sign is flipped: {up} · {partial} = {upstream} · {local}", up=up,
                    partial=part, upstream=_factor(u), local=_factor(local)))
    add(local, FACTOR, _("the factor {up} = {upstream} is missing: multiply the local "
                         "derivative by the gradient from above", up=up, upstream=num(u)))
    add(u, FACTOR, _("the factor {rule} is missing", rule=rule))
    add(step.consumer.data * local, VALUE,
        _("that uses the value of {consumer} ({value}) where {up} = {upstream} belongs",
          consumer=cn, value=num(step.consumer.data), up=up, upstream=num(u)))
    add(u * step.consumer.data, VALUE,
        _("that uses the value of {consumer} ({value}) where the local derivative {rule} "
          "belongs", consumer=cn, value=num(step.consumer.data), rule=rule))
    if running:
        found.append((c, TERM, _("{node} already holds {before} from its other uses: add this "
                                 "term, {before} + {term}", node=n, before=num(step.before),
                                 term=num(c))))
    return found


class _Constants:
    """The numbers of the graph a factor can come from: every local derivative of the backward
    pass and every number operand, found by value in one dict (a slip's factor is looked up,
    not searched for)."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading  # its uses name the uses that mask, when a slip needs them
        self.names = reading.names
        self.order = reading.order
        self.steps = reading.steps
        self.found: dict[float, Any] | None = None  # made on the first look-up

    def _build(self) -> dict[float, Any]:
        self.found = {}
        for v in self.order:
            for x in v.inputs:
                if type(x) is not Value:
                    self._add(float(x), v)
        for s in self.steps:
            self._add(s.local, s)
        return self.found

    def _add(self, f: float, where: Any) -> None:
        if math.isfinite(f) and f != 0 and abs(f) != 1:
            self.found.setdefault(_key(f), where)  # type: ignore[union-attr]

    def find(self, f: float) -> str:
        if not math.isfinite(f):
            return ""
        found = self.found if self.found is not None else self._build()
        where = found.get(_key(f))
        if where is None:
            return ""
        if type(where) is Value:  # a number operand
            return _("{number} (from {node} = {formula})", number=num(f),
                     node=self.names[where], formula=_formula(where, self.names))
        return f"{_partial(self.names[where.consumer], self.names[where.node])} = " \
               f"{_rule_value(where, self.names)}"


def _key(f: float) -> float:
    return float(f"{f:.9g}")


def _rule_value(step: Step, names: dict[Value, str]) -> str:
    rule = named_rule(step, names)
    value = num(step.local)
    return value if rule.replace("−", "-") == value else f"{rule} = {value}"


def _swapped_local(step: Step) -> float | None:
    """∂consumer/∂node if the consumer's operands were the other way round (x − y read as
    y − x, x/y as y/x, x^y as y^x), from the op's own rule; None for an op whose operands can
    be swapped (the op table's ``symmetric``). A learner's slip, never a gradient."""
    op: Any = step.consumer._op
    if op.arity != 2 or op.symmetric:
        return None
    x, y = (i.data if type(i) is Value else float(i) for i in step.consumer.inputs)
    swapped = op.grads(y, x, op.forward(y, x))  # the node now stands at the other place
    return float(swapped[1 - step.operand])


def _symbol(node: Value) -> str:
    op: Any = node._op
    return str(op.symbol)


def _formula(node: Value, names: dict[Value, str]) -> str:
    """``b · c``: the op table's formula with the operands' names (a number as itself)."""
    return fill(node._op.formula, node,  # type: ignore[union-attr]
                lambda v: names[v] if type(v) is Value else num(float(v)))


def _rounded(y: float, e: float, exact: bool = False) -> bool:
    """``y`` is ``e`` rounded to 2 to 6 significant digits; unless ``exact``, also to 1 digit,
    or within half a percent of it."""
    if any(float(f"{e:.{k}g}") == y for k in range(2, 7)):
        return True
    return not exact and (abs(y - e) <= 0.005 * abs(e) or float(f"{e:.1g}") == y)


def _printed_names(keys: list[Any], order: list[Value], names: dict[Value, str],
                   root: Value) -> list[Any]:
    """Keys as ``explain`` prints them (``dJ/d(L1.n1.w1)``, ``d(my loss)/dw``, ``dJ₂/da`` for
    the first of two nodes labelled ``a``) turned into the Values they name: the views' names
    are unique, so a printed derivative names one node even where its label alone would not. A
    label or a plain name stays as it is, for ``find_nodes``."""
    if not any(type(k) is str and ("(" in k or "/" in k) for k in keys):
        return keys
    r = _atom(names[root])
    printed: dict[str, Value] = {}
    for v, n in names.items():
        printed.setdefault(f"d{r}/d{_atom(n)}", v)
        if _atom(n) != n:
            printed.setdefault(f"d{_atom(n)}", v)
    labels = {n for n in names.values()}
    return [printed.get(k, k) if type(k) is str and k not in labels else k for k in keys]


def _float(x: Any) -> float:
    """A number as a float; an int too large for one is ±inf, as IEEE rounds it."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _close(yours: float, engine: float, tol: float) -> bool:
    if math.isnan(engine) or math.isnan(yours):
        return math.isnan(engine) and math.isnan(yours)
    if math.isinf(engine) or math.isinf(yours):
        return yours == engine
    return abs(yours - engine) <= tol * max(1.0, abs(engine))


def _num(x: float) -> str:
    return f"{x:.10g}"


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese labels (损失) take two per character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
