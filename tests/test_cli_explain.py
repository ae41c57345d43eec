"""``microgrid explain``: the derivation on the command line, with the same one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from microgrid.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_course_formula(capsys):
    assert main(["explain", "3*(a+b*c)", "a=5", "b=3", "c=2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["t1 = b · c = 6", "t2 = a + t1 = 11", "J = 3 · t2 = 33"]
    assert "dJ/db = dJ/dt1 · ∂t1/∂b = 3 · c = 3 · 2 = 6" in out
    assert "dJ/dc = dJ/dt1 · ∂t1/∂c = 3 · b = 3 · 3 = 9" in out
    assert out[-1] == "dJ/da = dJ/dt2 · ∂t2/∂a = 3 · 1 = 3"  # backward: the reverse of forward


def test_an_unlabelled_output_has_one_name_in_python_and_on_the_command_line(capsys):
    """One naming everywhere: the command line's J is Python's J, in draw as in explain."""
    import microgrid as mg

    a, b, c = (mg.Value(v, label=n) for v, n in ((5.0, "a"), (3.0, "b"), (2.0, "c")))
    J = 3 * (a + b * c)
    python = str(mg.explain(J)).splitlines()
    assert main(["explain", "3*(a+b*c)", "a=5", "b=3", "c=2"]) == 0
    assert capsys.readouterr().out.splitlines() == python
    K = a * b
    K.label = ""
    assert mg.read(K).names[K] == "J"
    assert main(["explain", "J*out", "J=2", "out=3", "--nodes", "out"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "dout₂/dout = dout₂/dout₂ · ∂out₂/∂out = 1 · J = 1 · 2 = 2"


def test_chosen_nodes_and_formats(capsys):
    assert main(["explain", "a*a + b", "a=2", "b=1", "--nodes", "a"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == ("dJ/da = dJ/dt1 · ∂t1/∂a + dJ/dt1 · ∂t1/∂a = 1 · a + 1 · a = "
                         "1 · 2 + 1 · 2 = 2 + 2 = 4")
    assert main(["explain", "a*b", "a=2", "b=3", "--format", "latex"]) == 0
    assert capsys.readouterr().out.startswith("\\begin{aligned}\n")
    assert main(["explain", "a*b", "a=2", "b=3", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("$$\n\\begin{aligned}\n")
    assert main(["explain", "J*2", "J=2"]) == 0  # a variable named J: the output is "out"
    assert "dout/dJ = dout/dout · ∂out/∂J = 1 · 2 = 2" in capsys.readouterr().out


BIG = "+".join(["a*2"] * 150)


@pytest.mark.parametrize("args, message", [
    (["a", "a=1"], "the formula is a number or a single variable"),
    (["2*3"], "the formula is a number or a single variable"),
    (["a*b", "a=1", "b=2", "--nodes", "q"], "no node labelled 'q' in the graph of J"),
    (["a*b", "a=1", "b=2", "--nodes", ","], "--nodes needs names"),
    (["a*b", "a=1"], "no value for b"),
    (["exp(a, a)", "a=1"], "exp"),
    ([BIG, "a=1"], "the graph has 300 Values, more than --max-nodes 200; explain chosen "
                   "nodes with --nodes a,b, or raise --max-nodes"),
    (["a*b", "a=1", "b=2", "--max-nodes", "0"], "expected a positive integer"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    env = {**os.environ, "PYTHONPATH": ROOT}
    r = subprocess.run([sys.executable, "-m", "microgrid", "explain", *args], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("microgrid explain: error: ")
    assert message in r.stderr and "explain():" not in r.stderr


def test_a_big_graph_with_chosen_nodes_or_a_raised_limit(capsys):
    assert main(["explain", BIG, "a=1", "--nodes", "a"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("= 300")
    assert main(["explain", BIG, "a=1", "--max-nodes", "300"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 299 + 1 + 300  # forward, blank, backward
