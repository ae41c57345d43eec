"""The backward pass written out in the course's notation, one line per node.

::

    >>> print(J.explain())
    u = b · c = 6
    v = a + u = 11
    J = 3 · v = 33
    <BLANKLINE>
    dJ/dJ = 1
    dJ/dv = dJ/dJ · ∂J/∂v = 1 · 3 = 3
    dJ/du = dJ/dv · ∂v/∂u = 3 · 1 = 3
    dJ/dc = dJ/du · ∂u/∂c = 3 · b = 3 · 3 = 9
    dJ/db = dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6
    dJ/da = dJ/dv · ∂v/∂a = 3 · 1 = 3

The forward lines say what each node is, in the order the expression is read; the backward
lines, in the order the engine completes each gradient (the forward order reversed), are the
chain rule with symbols, then the local rule with the graph's names, then numbers, then the
result. A node used by several others gets one term per use and their sum. Everything is read
from the graph's one ``Reading`` (``microgrid.read``): its backward records (the engine's own
arithmetic, so every result is ``grad()``'s to the bit) and its names, so ``t1`` here is the
``t1`` of the tree, the drawing and the step-through page. How each op is written (``b · c``,
its rule, its LaTeX) is its entry in the op table.

``step_line``, ``running_sum`` and ``forward_line`` give the single lines the step-through page
shows, so the page and this text use the same words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..engine.autograd import paused_gc
from ..engine.steps import Step
from ..engine.value import Value
from ..i18n import N_, get_language, gettext, language, speaks
from .names import fill
from .reading import Reading, read

MAX_NODES = 200  # lines past this are no longer read; explain(nodes=[...]) picks a few
# a node every use of which masks the gradient (relu at x ≤ 0, step): the engine adds nothing
NO_FLOW = N_("every use of it passes no gradient back")
MAX_TERMS = 8  # a node used more often shows its first and last terms, and how many between


@speaks
def explain(root: Value | Reading, nodes: Sequence[Value | str] | None = None,
            max_nodes: int = MAX_NODES, *, lang: str | None = None) -> Explanation:
    """The worked derivation of every gradient below ``root`` (a Value, or its
    ``microgrid.read``), in backward order.

    ``str()`` of the result is plain text, Jupyter shows it as rendered math, ``.to_markdown()``
    and ``.to_latex()`` give an answer key to paste. ``nodes`` (Values, or labels and the names
    the drawing shows, such as ``"t1"``) limits the backward lines to those nodes. A graph of
    more than ``max_nodes`` Values is refused unless ``nodes`` is given: nobody reads a
    thousand-line derivation, and the nodes you care about are usually few. Nothing in the
    graph changes (no ``.grad``, no label). The connecting words are in ``lang`` ("zh", "en"),
    else the current language; the mathematics is the same in every language.
    """
    if type(root) is not Value and not isinstance(root, Reading):
        raise TypeError(gettext("explain() takes a Value, not {kind}", kind=type(root).__name__))
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(gettext("max_nodes must be a positive int, not {value}",
                                 value=repr(max_nodes)))
    reading = read(root)
    root, order, names = reading.root, reading.order, reading.names
    if root._op is None:
        raise ValueError(gettext("explain(): the root is a leaf (a Value no op made, or one made "
                                 "under no_grad()), so there is nothing to derive; pass the "
                                 "output of an expression"))
    if nodes is None:
        if len(order) > max_nodes:
            raise ValueError(gettext("the graph has {count} Values, more than max_nodes={limit}; "
                                     "explain chosen nodes with nodes=[...] (e.g. the "
                                     "parameters), or raise max_nodes", count=f"{len(order):,}",
                                     limit=f"{max_nodes:,}"))
        chosen = None
    else:
        chosen = set(find_nodes(nodes, order, names, root, "explain"))
    with paused_gc():  # lists of records per node and no cycle: nothing for the collector
        return Explanation(reading, chosen)


class Explanation:
    """The derivation ``explain()`` returns: text by ``str()``, math in Jupyter.

    ``forward`` and ``backward`` hold the lines as plain text, for a program to read; ``lang``
    is the language of their words, fixed when it was made (LaTeX and Markdown keep it too).
    """

    def __init__(self, reading: Reading, chosen: set[Value] | None) -> None:
        self.lang = get_language()
        self.reading = reading
        self.root = root = reading.root
        self.names = names = reading.names
        order, terms, uses = reading.order, reading.terms, reading.uses
        backward = [v for v in reversed(order) if chosen is None or v in chosen]
        self._rows = [(v, terms.get(v, []), _cut(v, terms.get(v, []), uses)) for v in backward]
        # the forward lines of every op node a backward line names
        shown = set(backward)
        if chosen is not None:
            shown |= {s.consumer for v in backward for s in terms.get(v, [])}
            shown |= {c for _, _, cut in self._rows for c in cut}
        self._forward = [v for v in order if v._op is not None and v in shown]
        self.forward = [forward_line(v, names) for v in self._forward]
        self.backward = [_text_line(v, ts, root, names, cut) for v, ts, cut in self._rows]

    def __str__(self) -> str:
        parts = ["\n".join(self.forward), "\n".join(self.backward)]
        return "\n\n".join(p for p in parts if p)

    __repr__ = __str__  # the REPL shows the derivation itself

    def to_latex(self) -> str:
        """An ``aligned`` block (forward, then backward), for a LaTeX document or MathJax."""
        with language(self.lang):
            return self._latex()

    def _latex(self) -> str:
        forward = " \\\\\n".join(_tex_forward(v, self.names) for v in self._forward)
        backward = " \\\\\n".join(_tex_line(v, ts, self.root, self.names, cut)
                                 for v, ts, cut in self._rows)
        body = " \\\\[6pt]\n".join(part for part in (forward, backward) if part)
        return "\\begin{aligned}\n" + body + "\n\\end{aligned}"

    def to_markdown(self) -> str:
        """The derivation as a Markdown math block (GitHub, Jupyter and most wikis render it)."""
        return "$$\n" + self.to_latex() + "\n$$"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


# --- single lines: shared with the step-through page -----------------------------------------


def graph_names(root: Value) -> dict[Value, str]:
    """The names every view gives the nodes below ``root``: its ``Reading``'s, the root last."""
    return read(root).names


def forward_line(node: Value, names: dict[Value, str]) -> str:
    """What ``node`` is: ``"u = b · c = 6"``, or ``"a = 5"`` for a leaf."""
    name = names[node]
    if node._op is None:
        return f"{name} = {num(node.data)}"
    return f"{name} = {_formula(node, names)} = {num(node.data)}"


def step_line(step: Step, names: dict[Value, str], root: Value | None = None) -> str:
    """One addition of the backward pass: ``"dJ/db += dJ/du · ∂u/∂b = 3 · c = 3 · 2 = 6"``.

    ``root`` defaults to the last node of ``names`` (as ``graph_names(root)`` gives them).
    """
    r = names[root] if root is not None else next(reversed(names.values()))
    head = f"{_d(r, names[step.node])} +="
    parts = [_symbols([step], r, names), *_numbers([step], names)]
    parts.append(num(step.contribution))
    return head + " " + " = ".join(parts)


def running_sum(step: Step) -> str:
    """The receiving node's adjoint around one step: ``"grad 2 → 14 (+12)"``."""
    c = num(step.contribution)
    sign = "" if c.startswith("-") else "+"
    return f"grad {num(step.before)} → {num(step.after)} ({sign}{c})"


def named_rule(step: Step, names: dict[Value, str]) -> str:
    """The step's local rule with the graph's names in: ``"c"`` for ∂(b·c)/∂b, ``"3"`` for
    ∂(3·v)/∂v (a number operand stays a number)."""
    return fill(step.rule_template, step.consumer, lambda v: _name_text(v, names))


def num(x: float) -> str:
    """A number as the views show it: 4 significant digits, like the drawing."""
    if x == 0:
        return "0"  # -0.0 too: a learner's "0"
    return f"{x:.4g}"


# --- finding nodes by label ------------------------------------------------------------------


def find_nodes(keys: Iterable[Any], order: list[Value], names: dict[Value, str], root: Value,
               who: str, what: str = "nodes", derivatives: bool = False) -> list[Value]:
    """The Values that ``keys`` name: Values of the graph, labels, or the views' names (t1).

    With ``derivatives``, a key that names no node but does once ``d`` or ``dJ/d`` is taken
    off (``"db"``, ``"dJ/db"``: how the course writes a gradient) means that node. A label used
    by two nodes, a label nobody has, a Value from another graph or a key of another type is a
    one-line ``ValueError``/``TypeError`` naming it.
    """
    if isinstance(keys, (str, Value)):
        keys = [keys]
    members = set(order)
    by_label: dict[str, list[Value]] = {}
    for v in order:
        if v.label:
            by_label.setdefault(v.label, []).append(v)
    by_name = {n: v for v, n in names.items()}

    def lookup(text: str) -> Value | None:
        same = by_label.get(text, [])
        if len(same) > 1:
            others = ", ".join(names[v] for v in same)
            raise ValueError(gettext("{who}(): the label {label} is used by {count} nodes "
                                     "({names}); key them by the Value itself", who=who,
                                     label=repr(text), count=len(same), names=others))
        return same[0] if same else by_name.get(text)

    found = []
    for key in keys:
        if type(key) is Value:
            if key not in members:
                raise ValueError(gettext("{who}(): {key} is not in the graph of {root}", who=who,
                                         key=repr(key), root=names[root]))
            found.append(key)
        elif type(key) is str:
            node = lookup(key)
            if node is None and derivatives:
                for prefix in (f"d{names[root]}/d", "d"):
                    if key.startswith(prefix) and len(key) > len(prefix):
                        node = lookup(key[len(prefix):])
                        if node is not None:
                            break
            if node is None:
                labels = [names[v] for v in order if v.label]
                shown = ", ".join(labels[:12]) + (" ..." if len(labels) > 12 else "")
                raise ValueError(gettext("{who}(): no node labelled {key} in the graph of "
                                         "{root}; its labels are {labels}", who=who,
                                         key=repr(key), root=names[root], labels=shown)
                                 if labels else
                                 gettext("{who}(): no node labelled {key} in the graph of "
                                         "{root}; label the Values or pass them", who=who,
                                         key=repr(key), root=names[root]))
            found.append(node)
        else:
            raise TypeError(gettext("{who}(): {what} are labels (str) or Values, not {kind} "
                                    "({key})", who=who, what=what, kind=type(key).__name__,
                                    key=f"{key!r:.40}"))
    return found


# --- plain text ------------------------------------------------------------------------------


def _cut(node: Value, steps: list[Step], uses: dict[Value, list[Value]]) -> list[Value]:
    """The nodes computed from ``node`` that send nothing back to it: where an op masks its
    gradient (relu at x ≤ 0, step), the engine adds nothing, and the line says so."""
    got = {s.consumer for s in steps}
    return [c for c in uses.get(node, []) if c not in got]


def _text_line(node: Value, steps: list[Step], root: Value, names: dict[Value, str],
               cut: Sequence[Value] = ()) -> str:
    r, n = names[root], names[node]
    if node is root:
        return f"{_d(r, n)} = 1"
    note = gettext("; ").join(gettext("{definition} passes no gradient back here",
                                      definition=f"{names[c]} = {_formula(c, names)}")
                              for c in cut)
    if not steps:
        return f"{_d(r, n)} = 0" + gettext(" ({note})", note=note or gettext(NO_FLOW))
    parts = [_d(r, n), _symbols(steps, r, names), *_numbers(steps, names)]
    if len(steps) > 1:
        parts.append(_sum([s.contribution for s in steps]))
    parts.append(num(steps[-1].after))
    return " = ".join(parts) + (gettext(" ({note})", note=note) if note else "")


def _symbols(steps: list[Step], r: str, names: dict[Value, str]) -> str:
    return _terms(steps, lambda s: f"{_d(r, names[s.consumer])} · "
                                   f"{_partial(names[s.consumer], names[s.node])}")


def _numbers(steps: list[Step], names: dict[Value, str]) -> list[str]:
    """The terms with the rules named (when a rule says more than its number), then numbers."""
    numbers = _terms(steps, lambda s: f"{_factor(s.upstream)} · {_factor(s.local)}")
    rules = _terms(steps, lambda s: f"{_factor(s.upstream)} · {_wrap(named_rule(s, names))}")
    return [numbers] if rules.replace("−", "-") == numbers else [rules, numbers]


def _terms(steps: list[Any], show: Any, middle: Any = None, signed: bool = False) -> str:
    """The terms of a sum, joined by +; past ``MAX_TERMS`` the middle ones are counted, not
    shown. ``signed`` writes a negative term as ``- 2`` rather than ``+ -2``."""
    shown = [show(s) for s in steps] if len(steps) <= MAX_TERMS else \
        [show(s) for s in steps[:3]] + [(middle or _middle)(len(steps) - 4), show(steps[-1])]
    text = shown[0]
    for t in shown[1:]:
        text += f" - {t[1:]}" if signed and t.startswith("-") else f" + {t}"
    return text


def _middle(n: int) -> str:
    return gettext("… ({count} more) …", count=n)


def _sum(values: list[float], show: Any = num, middle: Any = None) -> str:
    return _terms(values, show, middle, signed=True)


def _d(r: str, n: str) -> str:
    return f"d{_atom(r)}/d{_atom(n)}"


def _partial(c: str, n: str) -> str:
    return f"∂{_atom(c)}/∂{_atom(n)}"


def _atom(name: str) -> str:
    """A name as it can stand after d or ∂: in parentheses if it has spaces or operators."""
    return name if re.fullmatch(r"[\w₀-₉′']+", name) else f"({name})"


def _factor(x: float) -> str:
    t = num(x)
    return f"({t})" if t.startswith("-") else t


def _wrap(rule: str) -> str:
    """A rule as a factor: in parentheses when it is a sum, a quotient or a product."""
    depth = 0
    for ch in rule:
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch in " +−-/·^":
            return f"({rule})"
    return rule


def _name_text(x: Value | float, names: dict[Value, str]) -> str:
    return names[x] if isinstance(x, Value) else _factor(x)


def _formula(node: Value, names: dict[Value, str]) -> str:
    """What ``node`` computes, as the op table writes it: ``b · c``, ``σ(z)``, ``−v``."""
    op: Any = node._op
    return fill(op.formula, node, lambda v: _name_text(v, names))


# --- LaTeX -----------------------------------------------------------------------------------

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
                "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "~": r"\~{}"}
_UNSUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def tex_name(name: str) -> str:
    """A node's name in LaTeX: ``a``, ``t_{1}``, ``a_{2}`` (for ``a₂``), ``\\mathrm{loss}``."""
    m = re.fullmatch(r"([A-Za-z]+)([0-9₀-₉]*)", name)
    if m:
        letters, digits = m.groups()
        base = letters if len(letters) == 1 else rf"\mathrm{{{letters}}}"
        return base + (f"_{{{digits.translate(_UNSUBSCRIPT)}}}" if digits else "")
    return r"\text{" + "".join(_TEX_SPECIAL.get(c, c) for c in name) + "}"


def tex_num(x: float) -> str:
    if math.isnan(x):
        return r"\mathrm{nan}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    t = num(x)
    if "e" in t:
        mantissa, exponent = t.split("e")
        t = rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return t


def _tex_factor(x: float) -> str:
    t = tex_num(x)
    return f"({t})" if t.startswith("-") else t


def _tex_operand(x: Value | float, names: dict[Value, str]) -> str:
    return tex_name(names[x]) if isinstance(x, Value) else _tex_factor(x)


def _tex_rule(step: Step, names: dict[Value, str]) -> str:
    """The step's local rule in LaTeX (the op table's ``tex_rule``) with the graph's names."""
    op: Any = step.consumer._op
    return fill(op.tex_rule[step.operand], step.consumer,
                lambda v: _tex_operand(v, names)).strip()


def _tex_d(r: str, n: str) -> str:
    return rf"\frac{{d{tex_name(r)}}}{{d{tex_name(n)}}}"


def _tex_line(node: Value, steps: list[Step], root: Value, names: dict[Value, str],
              cut: Sequence[Value] = ()) -> str:
    r = names[root]
    head = _tex_d(r, names[node]) + " &= "
    if node is root:
        return head + "1"
    note = (r"\text{" + gettext("; ") + "}").join(
        _tex_sentence(N_("{definition} passes no gradient back here"),
                      definition=f"{tex_name(names[c])} = {_tex_formula(c, names)}")
        for c in cut)
    note = r" \quad " + _tex_sentence(N_(" ({note})"), note=note) if note else ""
    if not steps:
        return head + "0" + (note or r" \quad \text{" + gettext(" ({note})",
                                                                  note=gettext(NO_FLOW)).lstrip()
                             + "}")
    symbols = _terms(steps, lambda s: _tex_d(r, names[s.consumer]) + r" \cdot \frac{\partial "
                     + tex_name(names[s.consumer]) + r"}{\partial " + tex_name(names[s.node])
                     + "}", _tex_middle)
    numbers = _terms(steps, lambda s: f"{_tex_factor(s.upstream)} \\cdot {_tex_factor(s.local)}",
                     _tex_middle)
    rules = _terms(steps, lambda s: f"{_tex_factor(s.upstream)} \\cdot "
                   f"{_tex_wrap(_tex_rule(s, names))}", _tex_middle)
    parts = [symbols] + ([numbers] if len(_numbers(steps, names)) == 1 else [rules, numbers])
    if len(steps) > 1:
        parts.append(_sum([s.contribution for s in steps], tex_num, _tex_middle))
    parts.append(tex_num(steps[-1].after))
    return head + " = ".join(parts) + note


def _tex_middle(n: int) -> str:
    return r"\ldots \text{ " + gettext("({count} more)", count=n) + r" } \ldots"


def _tex_sentence(message: str, **maths: str) -> str:
    """A sentence around formulas in LaTeX: its translation's words in ``\\text{}``, each
    ``{name}`` placeholder replaced by the LaTeX ``maths[name]``, in the translation's order."""
    parts = re.split(r"\{(\w+)\}", gettext(message).lstrip())  # after \quad: no space
    return "".join(maths[part] if i % 2 else r"\text{" + part + "}"
                   for i, part in enumerate(parts) if i % 2 or part)


def _tex_wrap(rule: str) -> str:
    """A rule as a factor: in parentheses when, outside its own brackets, it adds, subtracts,
    divides or multiplies."""
    depth = 0
    for i, ch in enumerate(rule):
        depth += ch in "({"
        depth -= ch in ")}"
        if depth == 0 and (ch in "+-/" or rule.startswith(r"\cdot", i)):
            return rf"\left({rule}\right)"
    return rule


def _tex_forward(node: Value, names: dict[Value, str]) -> str:
    return f"{tex_name(names[node])} &= {_tex_formula(node, names)} = {tex_num(node.data)}"


def _tex_formula(node: Value, names: dict[Value, str]) -> str:
    """What ``node`` computes in LaTeX, as the op table's ``tex`` writes it."""
    op: Any = node._op
    return fill(op.tex, node, lambda v: _tex_operand(v, names))
