"""The command line reads the course's notation, run as a user runs it (``python -m microgrid``).

The README's promises checked here (its section "The command line"): the course's notation is
read as printed (``·`` ``×`` ``÷``, full-width brackets and digits), every product needs its
``*`` and a product without one is refused with the formula to type, a column in an error is
the column of the problem, a value too large for a float is refused in one line naming it, and
flat chains of any length are read (the parser's docstring). Output goes through a pipe in
UTF-8 and in cp936 (a Chinese Windows console), as a learner's terminal receives it.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from microgrid.cli.expr import ExpressionError, parse

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # only so that a hang fails instead of blocking the suite


def cli(*args, encoding="utf-8"):
    """``python -m microgrid ARGS`` with stdout and stderr piped in ``encoding``; returns
    (exit code, stdout, stderr) decoded as a terminal in that encoding would."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": encoding}
    r = subprocess.run([sys.executable, "-m", "microgrid", *args], capture_output=True,
                       timeout=TIMEOUT, env=env)
    return r.returncode, r.stdout.decode(encoding), r.stderr.decode(encoding)


def grads(expression, *variables):
    code, out, err = cli("grad", expression, *variables, "--json")
    assert code == 0, err
    doc = json.loads(out)
    return doc["value"], {n: v["grad"] for n, v in doc["variables"].items()}


def refused(*args, encoding="utf-8"):
    """The one line of a refused command (exit code 2)."""
    code, out, err = cli(*args, encoding=encoding)
    assert code == 2, (code, out, err)
    assert out == "" and err.endswith("\n") and err.count("\n") == 1, err
    return err


COURSE = (33.0, {"a": 3.0, "b": 6.0, "c": 9.0})  # J = 3(a + bc) at a=5, b=3, c=2


@pytest.mark.parametrize("expression", ["3*(a+b·c)", "3*(a+b×c)", "3（a+b*c）".replace("3", "3*"),
                                        "３＊（a＋b・c）".replace("・", "·"), "3⋅(a + b ⋅ c)"])
def test_the_course_notation_is_read_as_printed(expression):
    """README: `·` and `×` are `*`, full-width brackets and digits are their ASCII forms
    (`3*(a+b·c)` used to be read with a variable named `b·c`)."""
    assert grads(expression, "a=5", "b=3", "c=2") == COURSE


def test_division_minus_sign_and_superscripts():
    assert grads("a÷b", "a=1", "b=4") == (0.25, {"a": 0.25, "b": -0.0625})
    assert grads("a − b", "a=3", "b=1") == (2.0, {"a": 1.0, "b": -1.0})
    assert grads("3·a²", "a=2") == (12.0, {"a": 12.0})
    assert grads("x⁻¹", "x=4") == (0.25, {"x": -0.0625})


def test_a_missing_value_names_the_variables_not_the_course_sign():
    """README: b·c is b times c, so the advice names b and c, never `b·c=NUMBER`."""
    err = refused("grad", "3*(a+b·c)", "a=5")
    assert "no value for b, c: give it as b=NUMBER" in err and "b·c" not in err


@pytest.mark.parametrize("expression, suggestion, column", [
    ("3(a+bc)", "3*(a+b*c)", 2),
    ("3(a+b*c)", "3*(a+b*c)", 2),
    ("3（a+b·c）", "3*(a+b*c)", 2),
    ("2a", "2*a", 2),
    ("(a+b)(c+d)", "(a+b)*(c+d)", 6),
    ("x(a+b)", "x*(a+b)", 2),
    ("a + 2b", "a + 2*b", 6),
])
def test_a_product_without_its_star_is_refused_with_the_formula_to_type(expression, suggestion,
                                                                        column):
    """README: every product needs its `*`; `3(a+bc)` is refused with `did you mean
    3*(a+b*c)?` (it used to say `invalid decimal literal` or that only exp, log... can be
    called)."""
    err = refused("grad", expression, "a=1", "b=1", "c=1", "d=1", "x=1")
    assert f"did you mean {suggestion}?" in err
    assert f"(column {column})" in err


def test_help_says_how_to_write_a_product():
    code, out, _ = cli("grad", "--help")
    assert code == 0
    assert "every product needs its *" in " ".join(out.split())
    assert "· × ÷" in out


@pytest.mark.parametrize("expression, column", [
    ("  a+b.c", 5),  # leading spaces count: the column is the one on the screen
    ("３＋b.c", 3),  # one full-width character is one column of the text
    ("学习率 + b.c", 7),
    ("a+b)", 4),
    ("   a+b)", 7),
    ("a+" * 700 + "b.c", 1401),  # the flat reader keeps the columns too
    ("a*" * 700 + "b.c", 1401),
])
def test_a_column_in_an_error_is_the_column_of_the_problem(expression, column):
    """README (the parser): errors name the column of the problem in the text as typed (it
    used to count from the first non-blank character)."""
    with pytest.raises(ExpressionError) as e:
        parse(expression)
    assert f"(column {column})" in str(e.value)


@pytest.mark.parametrize("value", ["1e400", "-1e400", "1" + "0" * 400, "１e400"])
def test_a_value_too_large_for_a_float_is_refused_naming_it(value):
    """README: nothing silently wrong (`a=1e400` used to become inf without a word)."""
    err = refused("grad", "a*b", f"a={value}", "b=2")
    assert f"a={value[:37]}" in err and "too large for a float" in err and "a=inf" in err


def test_inf_typed_as_such_is_taken():
    assert grads("a*b", "a=inf", "b=2")[0] == "inf"


def test_a_flat_product_of_5000_factors_is_read_like_a_flat_sum():
    """The parser: a flat chain a*b*c*... is read term by term at any length (a 5,000-factor
    product used to be refused as nested too deeply)."""
    value, g = grads("*".join(["a"] * 5000), "a=1")
    assert value == 1.0 and g == {"a": 5000.0}
    value, g = grads("+".join(["a*b"] * 3000), "a=2", "b=0.5")
    assert value == 3000.0 and g == {"a": 1500.0, "b": 6000.0}


def test_a_long_mixed_chain_groups_as_python_does():
    import random

    rng = random.Random(0)
    text = "".join(rng.choice(["a", "b", "2", "(a-b)", "-a", "a**2", "b/a"])
                   + rng.choice("+-*/") for _ in range(2000)) + "a"
    values = {"a": 1.5, "b": 0.7}
    assert parse(text)(values) == eval(text, {}, values)  # bit for bit: the same grouping


def test_explain_a_variable_called_out():
    """README: `explain --nodes` names any node (the command's own output was also named
    `out`, so `--nodes out` failed)."""
    code, out, err = cli("explain", "J*out", "J=2", "out=3", "--nodes", "out")
    assert code == 0, err
    line = next(x for x in out.splitlines() if "/dout =" in x)
    assert line.endswith("= 2")  # d(J·out)/d out = J = 2
    code, out, err = cli("explain", "J*out", "J=2", "out=3", "--nodes", "J")
    assert code == 0 and next(x for x in out.splitlines() if "/dJ =" in x).endswith("= 3")


@pytest.mark.parametrize("encoding", ["utf-8", "cp936"])
def test_through_a_pipe_in_utf8_and_cp936(encoding):
    """What a learner's terminal shows: the formula as typed, the table, and the refusal."""
    code, out, err = cli("grad", "3*(a+b·c)", "a=5", "b=3", "c=2", encoding=encoding)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3*(a+b·c) = 33"
    assert [line.split() for line in lines[2:]] == [["a", "5", "3"], ["b", "3", "6"],
                                                   ["c", "2", "9"]]
    err = refused("grad", "3（a+bc）", "a=5", "b=3", "c=2", encoding=encoding)
    assert "did you mean 3*(a+b*c)?" in err
    code, out, err = cli("grad", "３＊（a＋b·c）", "a=5", "b=3", "c=2", encoding=encoding)
    assert code == 0 and out.splitlines()[0] == "３＊（a＋b·c） = 33", (out, err)


def test_nothing_else_changes_meaning():
    # a name of several letters stays one name; functions are still called
    assert parse("out*w1 + exp(ab)").names == ("out", "w1", "ab")
    assert math.isclose(parse("sigmoid(w·x + b)")({"w": 0.5, "x": 2.0, "b": -1.0}), 0.5)


def test_a_full_width_name_given_names_the_variable_the_expression_reads():
    """README, the command line: full-width letters read as their ASCII forms, in the expression
    and in NAME=VALUE alike, so ａ=5 gives the a of 3*(ａ+b) its value."""
    out = subprocess.run([sys.executable, "-m", "microgrid", "grad", "3*(ａ+b)", "ａ=5", "b=1"],
                         capture_output=True, text=True, encoding="utf-8")
    assert out.returncode == 0, out.stderr
    assert "18" in out.stdout
