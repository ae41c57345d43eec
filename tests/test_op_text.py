"""Per-op facts live in the op table: no view and no command switches on an op's name."""

from __future__ import annotations

import ast
import pathlib

import microgrid as mg
from microgrid import OPS, Value

PACKAGE = pathlib.Path(mg.__file__).parent
NAMES = set(OPS)


def _op_names(node: ast.AST, constants: dict[str, set[str]]) -> set[str]:
    """The op names a compared expression spells: a string, a literal collection of strings,
    or a module-level name bound to one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value} & NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return set().union(*(_op_names(e, constants) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.Name):
        return constants.get(node.id, set())
    return set()


def _is_op_name(node: ast.AST) -> bool:
    """``op.name``, ``v.op``, ``v._op.name``: an expression that reads an op's name."""
    return isinstance(node, ast.Attribute) and node.attr in ("name", "op")


def switches_on_op_names(source: str) -> list[str]:
    """Each place in ``source`` that compares with an op's name or looks one up in a table of
    its own (``op.name == "mul"``, ``name in ("relu", "tanh")``, ``{"exp": ...}[op.name]``)."""
    tree = ast.parse(source)
    constants: dict[str, set[str]] = {}
    for stmt in tree.body:  # module-level tuples of op names, such as ACTIVATIONS
        if isinstance(stmt, ast.Assign):
            found = _op_names(stmt.value, {})
            for target in stmt.targets:
                if found and isinstance(target, ast.Name):
                    constants[target.id] = found
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            literal = set().union(*(_op_names(s, {}) for s in sides))
            named = set().union(*(_op_names(s, constants) for s in sides))
            if literal or (named and any(_is_op_name(s) for s in sides)):
                found.append(f"line {node.lineno}: compares with {sorted(literal or named)}")
        elif isinstance(node, ast.Dict):
            keys = set().union(*(_op_names(k, {}) for k in node.keys if k is not None))
            if keys:
                found.append(f"line {node.lineno}: a table keyed by {sorted(keys)}")
        elif isinstance(node, ast.Subscript) and _is_op_name(node.slice):
            found.append(f"line {node.lineno}: looks up an op's name")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and node.args and _is_op_name(node.args[0])):
            found.append(f"line {node.lineno}: looks up an op's name")
    return found


def test_no_view_and_no_command_switches_on_an_op_name():
    """The op table holds each op's symbol, formula, rule and TeX: a view or a command that
    needs one reads the op's field, so a new op is one entry and every view shows it."""
    offenders = {}
    for folder in ("view", "cli"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            found = switches_on_op_names(path.read_text(encoding="utf-8"))
            if found:
                offenders[str(path.relative_to(PACKAGE))] = found
    assert offenders == {}


def test_the_check_finds_each_way_of_switching():
    samples = ['if op.name == "mul": pass',
               'x = "neg" != v.op',
               'ACTIVATIONS = ("relu", "tanh")\nok = op.name in ACTIVATIONS',
               'tex = {"exp": "e", "log": "l"}',
               'f = table[op.name]',
               'f = table.get(v._op.name, "")',
               'name = v._op.name\nif name == "add": pass']
    for source in samples:
        assert switches_on_op_names(source), source
    assert not switches_on_op_names('if frame["phase"] == "seed": pass')
    assert not switches_on_op_names('FUNCTIONS = ("exp", "log")\nok = word in FUNCTIONS')


def test_every_op_writes_itself_in_text_and_tex():
    """Each op's formula, rule and TeX come from its entry and name its operands."""
    for op in OPS.values():
        assert "{x}" in op.formula and "{x}" in op.tex, op.name
        assert len(op.tex_rule) == len(op.rule) == op.arity, op.name
    for name in ("div", "pow", "gate"):  # the functions of ops.py are called as the table says
        assert getattr(mg.engine.ops, OPS[name].function).__name__ == OPS[name].function
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    e = mg.explain(x * y)
    assert e.forward == ["J = x · y = 6"]
    assert r"J &= x \cdot y = 6" in e.to_latex()
    e = mg.explain(x / y)
    assert r"\frac{1}{y}" in e.to_latex() and r"-\frac{x}{y^{2}}" in e.to_latex()


def test_a_label_that_looks_like_a_placeholder_stays_a_label():
    """Templates are filled in one pass: a label "{y}" is not read again as the operand y."""
    a, b = Value(2.0, label="{y}"), Value(3.0, label="b")
    J = a * b
    lines = mg.explain(J).backward
    assert "dJ/db = dJ/dJ · ∂J/∂b = 1 · {y} = 1 · 2 = 2" in lines
