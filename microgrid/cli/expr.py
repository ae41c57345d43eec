"""Formulas typed as text, such as ``"3*(a+b*c)"``, turned into a microgrid graph.

The command line needs to read a formula from a stranger, so this is not ``eval``: the text is
parsed by ``ast`` and only a whitelist gets through (numbers, names, ``+ - * / **``, unary
minus, parentheses, and ``exp log sigmoid tanh relu`` of one argument). Everything else is
refused with a one-line ``ExpressionError`` before a single op runs, with the column of the
problem in the text as typed.

The course's notation is read as it is printed: ``·`` and ``×`` are ``*``, ``÷`` is ``/``, ``−``
is ``-``, a superscript is a power (``a²`` is ``a**2``), and full-width brackets, digits and
operators (``3（a+b＊c）``) are their ASCII forms (Unicode NFKC). A product must be written
with ``*``: ``3(a+bc)`` and ``2a`` are refused with the formula to type, ``did you mean
3*(a+b*c)?``, because a name may have several letters (``w1``, ``out``) and ``bc`` could be one.

Numbers are floats and the arithmetic is the engine's IEEE-safe ops, so ``9**9**9`` is ``inf``
at once rather than a billion-digit integer, and ``log(-1)`` is ``nan``. Evaluation is a loop,
not recursion, and a flat chain of + - * / is read without recursion too, at any length.
"""

from __future__ import annotations

import ast
import gc
import keyword
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..engine import ops
from ..engine.ops import OPS
from ..engine.value import Value
from ..i18n import N_, _

FUNCTIONS = ("exp", "log", "sigmoid", "tanh", "relu")  # each the name of a one-input op in OPS
MAX_LENGTH = 2_000_000  # characters: a generated sum of 100,000 terms fits, read from stdin
FLAT = 500  # more + - * / than this: read as a flat chain at once (see _parse_flat)
MAX_DEPTH = 100  # parentheses (and so calls) nested inside each other
MAX_TREE_DEPTH = 1000  # operators nested inside each other, e.g. -(-(-a)) or a**a**a, the
# same limit on every interpreter. A flat chain such as a+b+c+... or a*b*c*... doesn't nest in
# this sense: it is read term by term and computed in a loop, at any length.

Number = Value | float

# The five operators of the whitelist: the op that does the arithmetic on two floats (IEEE-safe),
# and Python's operator, which on a Value builds the node.
_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("add", operator.add),
    ast.Sub: ("sub", operator.sub),
    ast.Mult: ("mul", operator.mul),
    ast.Div: ("div", operator.truediv),
    ast.Pow: ("pow", operator.pow),
}
_SYMBOL = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
           ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~",
           ast.Not: "not"}
_REFUSED = {
    ast.Attribute: N_("attribute access ('.')"),
    ast.Subscript: N_("indexing ('[...]')"),
    ast.Lambda: N_("lambda"),
    ast.ListComp: N_("a comprehension"),
    ast.SetComp: N_("a comprehension"),
    ast.DictComp: N_("a comprehension"),
    ast.GeneratorExp: N_("a comprehension"),
    ast.Compare: N_("a comparison"),
    ast.BoolOp: N_("'and'/'or'"),
    ast.IfExp: N_("'if ... else'"),
    ast.NamedExpr: N_("assignment (':=')"),
    ast.JoinedStr: N_("a string"),
    ast.Tuple: N_("a tuple (',')"),
    ast.List: N_("a list"),
    ast.Set: N_("a set"),
    ast.Dict: N_("a dict"),
    ast.Starred: N_("'*' unpacking"),
    ast.Await: N_("'await'"),
}
_HINT = N_("allowed are numbers, names, + - * / **, and exp log sigmoid tanh relu of one "
           "argument")


class ExpressionError(ValueError):
    """A formula that is not allowed or not well formed; the message is one line."""


class Expression:
    """A parsed, checked formula: call it with the variables' values to compute it.

    >>> f = parse("3*(a+b*c)")
    >>> f.names
    ('a', 'b', 'c')
    >>> f({"a": 5.0, "b": 3.0, "c": 2.0})
    33.0
    """

    __slots__ = ("source", "names", "_body")

    def __init__(self, source: str, names: tuple[str, ...], body: ast.expr) -> None:
        self.source = source
        self.names = names  # the variables it uses, in order of first appearance
        self._body = body

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __call__(self, values: Mapping[str, Number]) -> Number:
        """The formula's value: a Value if any variable is a Value (a graph to differentiate),
        else a float. Every use of a name is the same node, so its gradients add up."""
        missing = [n for n in self.names if n not in values]
        if missing:
            raise ExpressionError(_("no value for {names}: give it as {name}=NUMBER",
                                    names=", ".join(missing), name=missing[0]))
        results: list[Number] = []
        stack: list[tuple[ast.expr, bool]] = [(self._body, False)]
        while stack:  # post-order: a node is computed once its inputs are on `results`
            node, ready = stack.pop()
            if isinstance(node, ast.Constant):
                results.append(_to_float(node.value))
            elif isinstance(node, ast.Name):
                v = values[node.id]
                results.append(v if type(v) is Value else _to_float(v))
            elif not ready:
                stack.append((node, True))
                if isinstance(node, ast.BinOp):
                    stack.append((node.right, False))
                    stack.append((node.left, False))
                elif isinstance(node, ast.UnaryOp):
                    stack.append((node.operand, False))
                else:
                    stack.append((node.args[0], False))  # type: ignore[attr-defined]
            elif isinstance(node, ast.BinOp):
                y = results.pop()
                x = results.pop()
                name, python_op = _BINARY[type(node.op)]
                if type(x) is float and type(y) is float:
                    results.append(OPS[name].forward(x, y))
                else:
                    results.append(python_op(x, y))
            elif isinstance(node, ast.UnaryOp):
                if isinstance(node.op, ast.USub):
                    results.append(-results.pop())
            else:
                fn = getattr(ops, node.func.id)  # type: ignore[attr-defined]
                results.append(fn(results.pop()))
        return results[0]


def parse(source: str) -> Expression:
    """Check ``source`` against the whitelist and return it as an ``Expression``.

    Raises ``ExpressionError`` (a ``ValueError``) with a one-line message for anything else:
    imports, attributes, lambdas, unknown names of functions, wrong arity, keyword arguments,
    syntax errors, a product without ``*``, nesting too deep to be a formula or text too long
    to be one. A column in a message counts the characters of ``source`` from 1.
    """
    if not isinstance(source, str):
        raise TypeError(f"an expression is a str, not {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(_("the expression is {length} characters long; the limit is "
                                "{limit}", length=f"{len(source):,}", limit=f"{MAX_LENGTH:,}"))
    text, where = _course_notation(source)
    if not text.strip():
        raise ExpressionError(_("the expression is empty"))
    depth = deepest = 0
    for ch in text:  # checked before parsing: the parser itself recurses on parentheses
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise ExpressionError(_("parentheses are nested {depth} deep; the limit is {limit}",
                                depth=f"{deepest:,}", limit=MAX_DEPTH))
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    column = _Columns(stripped, lead, where)
    try:
        paused = gc.isenabled()
        gc.disable()  # a long formula is a million small objects: don't walk them meanwhile
        try:
            if sum(map(stripped.count, "+-*/")) > FLAT:
                body = _parse_flat(stripped, column)
            else:
                body = ast.parse(stripped, mode="eval").body
        except RecursionError:  # a long flat chain: Python's parser recurses on each operator
            body = _parse_flat(stripped, column)
        finally:
            if paused:
                gc.enable()
    except ExpressionError:
        raise
    except SyntaxError as e:
        if "digits" in e.msg and "limit" in e.msg:  # Python's cap on int literal length
            raise ExpressionError(_("a number in the expression has too many digits; write "
                                    "it with an exponent, e.g. 1e5000")) from None
        _refuse_implicit_products(stripped, column)
        if e.offset is None:
            at = ""
        elif e.offset < 1:  # Python's "at the end of the text"
            at = _at(column(stripped.count(chr(10)) + 1, len(stripped)))
        else:
            at = _at(column(e.lineno or 1, e.offset - 1))
        raise ExpressionError(_("syntax error: {message}{at}", message=_one_line(e.msg),
                                at=at)) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_("the expression is nested too deeply to parse")) from None
    except ValueError as e:  # e.g. a NUL character
        raise ExpressionError(_("cannot parse the expression: {message}",
                                message=_one_line(str(e)))) from None
    try:
        names = _check(body, column)
    except _NotAFunction:  # 3(a+b), a(b+c), (a+b)(c+d): a product without its *
        _refuse_implicit_products(stripped, column)
        raise
    return Expression(source, names, body)


def evaluate(source: str, values: Mapping[str, Number]) -> Number:
    """``parse(source)(values)``: the value of a formula for the given variables."""
    return parse(source)(values)


# Python's tokens, as far as the split below needs them: numbers (with exponents, whose sign
# is no operator), names, the operators, anything else one character at a time.
_TOKEN = re.compile(r"""
    (?P<number>0[xXoObB][\w]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)
  | (?P<name>\w+)
  | (?P<space>\s+)
  | (?P<op>\*\*|.)""", re.VERBOSE | re.DOTALL)


def _parse_flat(text: str, column: _Columns) -> ast.expr:
    """A long flat chain ``t1 + t2 - t3 ...`` whose terms may be ``f1 * f2 / f3 ...``, which
    Python's parser builds by recursion and refuses beyond about a thousand operators, parsed
    in one pass without recursion.

    Each + - * / that joins two operands outside parentheses becomes a comma, so that ``ast``
    reads a flat tuple of the operands, every one where it was in ``text``; the operands are
    then chained as Python groups them, products first and then sums, left to right (``a - b
    + c`` is ``(a - b) + c``, bit for bit the same sum)."""
    chars = list(text)
    ops: list[str] = []
    depth, last, comma = 0, "op", -1
    for t in _TOKEN.finditer(text):
        kind = t.lastgroup
        if kind == "space":
            continue
        token = t.group()
        if kind == "op":
            if token in "([":
                depth += 1
            elif token in ")]":
                depth -= 1
            elif depth == 0 and len(token) == 1 and token in "+-*/" and last != "op":
                ops.append(token)  # binary: after an operand
                chars[t.start()] = ","
            elif depth == 0 and token == "," and comma < 0:
                comma = t.start()
            last = "operand" if token in ")]'\"" else "op"  # a string is refused later
        else:
            last = "operand"
    if comma >= 0:
        raise ExpressionError(_("a tuple (',') is not allowed{at}; {hint}",
                                at=_at(column(*_position(text, comma))), hint=_(_HINT)))
    tree = ast.parse("".join(chars), mode="eval").body
    if not ops:
        return tree
    elts = tree.elts if isinstance(tree, ast.Tuple) else [tree]
    if len(elts) != len(ops) + 1 or any(isinstance(e, ast.Starred) for e in elts):
        raise ExpressionError(_("syntax error: an operator without an operand"))
    total: ast.expr | None = None
    pending, product = "+", elts[0]
    for op, e in zip(ops, elts[1:]):
        if op in "*/":
            product = _binop(product, op, e)
        else:
            total = product if total is None else _binop(total, pending, product)
            pending, product = op, e
    return product if total is None else _binop(total, pending, product)


_OPS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div}


def _binop(left: ast.expr, op: str, right: ast.expr) -> ast.BinOp:
    return ast.BinOp(left=left, op=_OPS[op](), right=right, lineno=left.lineno,
                     col_offset=left.col_offset)


def _position(text: str, index: int) -> tuple[int, int]:
    """(line from 1, character column from 0) of ``text[index]``."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start


class _Columns:
    """Turns a position of the parsed text into the column of the text as typed."""

    def __init__(self, stripped: str, lead: int, where: Sequence[int]) -> None:
        self.stripped, self.lead, self.where = stripped, lead, where

    def __call__(self, lineno: int, offset: int, utf8: bool = False) -> int:
        """The 1-based column in the source of (line, offset) of the stripped text; offset
        counts characters, or UTF-8 bytes as ``ast``'s col_offset does."""
        lines = self.stripped.split("\n")
        lineno = min(max(lineno, 1), len(lines))
        line = lines[lineno - 1]
        if utf8:
            offset = len(line.encode()[:offset].decode(errors="ignore"))
        index = sum(len(x) + 1 for x in lines[:lineno - 1]) + min(max(offset, 0), len(line))
        index += self.lead
        return (self.where[index] if index < len(self.where) else len(self.where)) + 1

    def of(self, node: ast.AST) -> str:
        """" (column N)" of a node (only for a message: it costs a search)."""
        return _at(self(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), True))


# The course's signs, read as Python's
_SIGNS = {"·": "*", "×": "*", "÷": "/", "−": "-", "⋅": "*", "∙": "*"}


def _course_notation(source: str) -> tuple[str, Sequence[int]]:
    """``source`` with the course's signs and full-width forms as ASCII (NFKC), and, for each
    character of the result, the index in ``source`` it came from (for columns)."""
    if source.isascii():
        return source, range(len(source))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(source):
        if ch in _SUPERSCRIPTS:  # a², x⁻¹: a power, not a name a2
            ch = _SUPERSCRIPTS[ch] if i and source[i - 1] in _SUPERSCRIPTS else \
                "**" + _SUPERSCRIPTS[ch]
        ch = _SIGNS.get(ch, ch)
        if not ch.isascii():
            ch = unicodedata.normalize("NFKC", ch)
        out.append(ch)
        where.extend([i] * len(ch))
    return "".join(out), where


_SUPERSCRIPTS = {c: d for c, d in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")}


def _refuse_implicit_products(text: str, column: _Columns) -> None:
    """Raise, with the formula to type, where two operands meet without ``*`` (``3(a+b)``,
    ``2a``, ``(a+b)(c+d)``, ``a(b+c)`` for a one-letter ``a``); return if there is none."""
    tokens = [t for t in _TOKEN.finditer(text) if t.lastgroup != "space"]
    if any(t.lastgroup == "name" and keyword.iskeyword(t.group()) for t in tokens):
        return  # (lambda: 1)(), 2 if a else b: not a formula, refused as what it is
    missing: list[int] = []
    for before, t in zip(tokens, tokens[1:]):
        b, kind, token = before.group(), t.lastgroup, t.group()
        if before.lastgroup == "number" or b == ")":  # 2a, 3(a+b), (a+b)c, (a+b)(c+d)
            found = kind in ("number", "name") or token == "("
        else:  # a(b+c) for a one-letter a; exp(x) is a call, sin(x) an unknown function
            found = before.lastgroup == "name" and token == "(" and len(b) == 1
        if found:
            missing.append(t.start())
    if not missing:
        return
    pieces, last, at = [], 0, set(missing)
    for t in tokens:
        if t.start() in at:
            pieces.append(text[last:t.start()].rstrip() + "*")
            last = t.start()
        token = t.group()
        if t.lastgroup == "name" and token.isalpha() and token.isascii() and len(token) > 1 \
                and token not in FUNCTIONS:  # bc, as the course writes b·c
            pieces.append(text[last:t.start()] + "*".join(token))
            last = t.end()
    pieces.append(text[last:])
    line, offset = _position(text, missing[0])
    typed = "".join(pieces)
    if len(typed) > 200:  # a message stays one short line
        typed = typed[:197] + "..."
    raise ExpressionError(_("a product needs its *{at}: did you mean {typed}?",
                            at=_at(column(line, offset)), typed=typed))


class _NotAFunction(ExpressionError):
    """A call of something that is not one of the functions."""


def _check(body: ast.expr, column: _Columns | None = None) -> tuple[str, ...]:
    """Refuse anything outside the whitelist; return the variable names used, in order.
    ``column`` gives a node's column in the text as typed."""

    def at() -> str:  # where the node is, worked out only for a message
        return column.of(node) if column is not None else ""

    names: dict[str, None] = {}
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError(_("the expression nests operators more than {limit} deep",
                                    limit=MAX_TREE_DEPTH))
        if isinstance(node, ast.Constant):
            value = node.value
            if type(value) not in (int, float):
                raise ExpressionError(_("{what} is not allowed{at}; {hint}",
                                        what=_constant(value), at=at(), hint=_(_HINT)))
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExpressionError(_("{name} is a function: call it as {name}(x)",
                                        name=node.id))
            names[node.id] = None
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(_("operator {op} is not supported{at}; {hint}",
                                        op=_SYMBOL.get(type(node.op), "?"), at=at(),
                                        hint=_(_HINT)))
            stack.append((node.right, depth + 1))
            # a chain a+b+c+... nests to the left: its left side is computed in the same loop
            flat = type(node.op) is not ast.Pow
            stack.append((node.left, depth if flat else depth + 1))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(_("operator {op} is not supported{at}; {hint}",
                                        op=_SYMBOL.get(type(node.op), "?"), at=at(),
                                        hint=_(_HINT)))
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise _NotAFunction(_("only {functions} can be called{at}",
                                      functions=", ".join(FUNCTIONS), at=at()))
            if func.id not in FUNCTIONS:
                raise _NotAFunction(_("unknown function {name}{at}; the functions are "
                                      "{functions}", name=repr(func.id), at=at(),
                                      functions=", ".join(FUNCTIONS)))
            if node.keywords:
                raise ExpressionError(_("{name}() takes no keyword arguments{at}",
                                        name=func.id, at=at()))
            if len(node.args) != 1:
                raise ExpressionError(_("{name}() takes exactly one argument, got {count}{at}",
                                        name=func.id, count=len(node.args), at=at()))
            stack.append((node.args[0], depth + 1))
        else:
            refused = _REFUSED.get(type(node))
            what = _(refused) if refused else type(node).__name__
            raise ExpressionError(_("{what} is not allowed{at}; {hint}", what=what, at=at(),
                                    hint=_(_HINT)))
    return tuple(names)


def _at(column: int) -> str:
    """" (column 7)": where in the typed text a message points, in the current language."""
    return _(" (column {column})", column=column)


def _to_float(x: Any) -> float:
    try:
        return float(x)
    except OverflowError:  # an integer literal beyond the float range
        return math.inf if x > 0 else -math.inf


def check_value(name: str, text: str, value: float) -> None:
    """Refuse a value typed as ``name=text`` whose number is beyond the float range: ``1e400``
    or a 400-digit integer would silently be inf (``inf`` typed as such is taken)."""
    if math.isinf(value) and "inf" not in text.lower():
        raise ExpressionError(_("{name}={text} is too large for a float (the largest is about "
                                "1.8e308); give {name}=inf for infinity", name=name,
                                text=_short(text)))


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _constant(value: Any) -> str:
    if isinstance(value, (str, bytes)):
        return _("a string")
    if isinstance(value, complex):
        return _("a complex number")
    return repr(value)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
