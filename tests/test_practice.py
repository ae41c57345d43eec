"""mg.exercise: fresh graphs with friendly answers, the same for a seed everywhere; hints,
solution, the Jupyter picture, and ``microgrid practice`` driven with piped answers."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

import microgrid as mg
from microgrid.view.explain import MAX_NODES
from microgrid.view.names import node_names

KINDS = ["chain", "logistic", "network", "vectorized"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def short(x: float) -> bool:
    """At most 4 significant digits (up to float rounding of the engine's arithmetic)."""
    return math.isfinite(x) and math.isclose(x, float(f"{x:.4g}"), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_200_seeds_are_small_and_friendly(kind):
    for seed in range(200):
        depth = 1 + seed % 6
        ex = mg.exercise(kind, seed=seed, depth=depth)
        order = mg.topological_order(ex.root)
        assert len(order) <= MAX_NODES
        answers = ex.answers()
        assert list(answers) == ex.asked and len(ex.asked) >= 2
        assert all(short(g) for g in answers.values()), (seed, answers)
        assert all(v.grad == 0.0 for v in order)  # nothing is differentiated for the learner
        assert ex.check(answers).ok and ex.check({k: float(f"{g:.4g}") for k, g in
                                                  answers.items()}).ok
        names = node_names(order)
        assert all(f"d{names[ex.root]}/d{n}" in ex.question for n in ex.asked), ex.question
        if kind == "chain":
            assert all(short(v.data) for v in order)
            ops = [v for v in order if v._op is not None]
            assert len(ops) == depth
            if depth >= 3:  # a node used twice
                uses = {}
                for v in ops:
                    for x in v.inputs:
                        if type(x) is mg.Value:
                            uses[x] = uses.get(x, 0) + 1
                assert max(uses.values()) >= 2


def fingerprint(ex):
    return (ex.question, ex.asked, [(v.label, v.data, v.op) for v in
                                    mg.topological_order(ex.root)])


def test_the_same_seed_gives_the_same_exercise_everywhere():
    code = ("import microgrid as mg\n"
            "for k in ['chain', 'logistic', 'network', 'vectorized']:\n"
            "    ex = mg.exercise(k, seed=11, depth=4)\n"
            "    print(repr((ex.question, ex.asked, [(v.label, v.data, v.op) for v in "
            "mg.topological_order(ex.root)])))\n")
    runs = []
    for hashseed in ("1", "2"):  # another process, another str hash: the same exercises
        env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONHASHSEED": hashseed}
        runs.append(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                   capture_output=True, text=True).stdout)
    here = "".join(repr(fingerprint(mg.exercise(k, seed=11, depth=4))) + "\n" for k in KINDS)
    assert runs[0] == runs[1] == here
    assert fingerprint(mg.exercise("chain", seed=1)) != fingerprint(mg.exercise("chain", seed=2))
    # a depth only shapes a chain
    assert fingerprint(mg.exercise("network", seed=4, depth=6)) == \
        fingerprint(mg.exercise("network", seed=4))
    ex = mg.exercise("logistic")
    assert fingerprint(mg.exercise("logistic", seed=ex.seed)) == fingerprint(ex)


def test_the_logistic_exercise_is_the_course_graph():
    ex = mg.exercise("logistic", seed=7)
    names = set(node_names(mg.topological_order(ex.root)).values())
    assert {"x1", "x2", "w1", "w2", "b", "y", "z", "a", "L"} <= names
    truth = ex.answers()
    by = {v.label: v for v in mg.topological_order(ex.root)}
    a, y = by["a"].data, by["y"].data
    assert math.isclose(truth["z"], a - y, abs_tol=1e-12)  # dz = a − y
    assert math.isclose(truth["w1"], by["x1"].data * truth["z"], abs_tol=1e-12)
    assert math.isclose(truth["b"], truth["z"], abs_tol=1e-12)
    assert short(a)  # a = σ(z) was picked friendly
    vec = mg.exercise("vectorized", seed=3)
    t = vec.answers()
    by = {v.label: v for v in mg.topological_order(vec.root)}
    assert math.isclose(t["w1"], by["x1_1"].data * t["z_1"] + by["x1_2"].data * t["z_2"],
                        abs_tol=1e-12)
    assert math.isclose(t["z_1"], (by["a_1"].data - by["y_1"].data) / 2, abs_tol=1e-12)


def test_hints_say_more_each_time_and_follow_the_first_wrong_node():
    ex = mg.exercise("chain", seed=5, depth=3)
    first = ex.asked[0]
    h1, h2, h3 = ex.hint(), ex.hint(), ex.hint()
    assert h1.startswith("Hint 1:") and f"/d{first}" in h1
    assert h2.startswith("Hint 2: the chain rule") and "∂" in h2
    assert h3 == "Hint 3: " + mg.explain(ex.root, nodes=[first]).backward[0]
    assert ex.hint().startswith("Hint 3:")  # it stays at the worked line
    answers = ex.answers()
    wrong = ex.asked[2]
    answers[wrong] = -answers[wrong] if answers[wrong] else 1.0
    report = ex.check(answers)
    assert report.first_wrong == wrong
    assert ex.hint().startswith("Hint 1:") and f"/d{wrong}" in repr(ex.hint(wrong)) + ex.hint()
    ex.check(ex.answers())
    assert "All your answers are right" in ex.hint()
    with pytest.raises(ValueError, match="no node named 'zz'"):
        ex.hint("zz")


def test_solution_is_explain_and_the_picture_has_no_grads(dot):
    ex = mg.exercise("network", seed=2)
    assert str(ex.solution()) == str(mg.explain(ex.root))
    page = ex._repr_html_()
    assert page.startswith("<div><svg") and ex.question.split(":")[0] in page
    assert "grad" not in ex._repr_svg_()
    assert "data" in ex._repr_svg_()


def test_the_picture_falls_back_to_the_tree_without_dot(no_dot):
    ex = mg.exercise("chain", seed=1)
    page = ex._repr_html_()
    assert "<pre>" in page and "grad" not in page


def test_bad_arguments_are_one_line():
    for call, kind, pattern in [
        (lambda: mg.exercise("tree"), ValueError, "kind must be one of 'chain'"),
        (lambda: mg.exercise("chain", seed="1"), TypeError, "seed must be an int"),
        (lambda: mg.exercise("chain", depth=0), ValueError, "depth must be an int from 1 to 6"),
        (lambda: mg.exercise("chain", depth=2.0), ValueError, "depth must be an int"),
    ]:
        with pytest.raises(kind, match=pattern) as e:
            call()
        assert "\n" not in str(e.value)


def practice(args, answers, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "microgrid", "practice", *args],
                          input=answers, capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_the_cli_grades_piped_answers(tmp_path, dot):
    ex = mg.exercise("chain", seed=1, depth=3)
    right = ex.answers()
    second = ex.asked[1]
    lines = ["hint", "hint", "hint", "abc", "nosuch = 3",
             *[f"{right[n]:g}" if n != second else f"{-right[second] or 7:g}" for n in ex.asked],
             f"{second} = {right[second]:g}"]
    run = practice(["--kind", "chain", "--depth", "3", "--seed", "1"], "\n".join(lines) + "\n",
                   tmp_path)
    out = run.stdout
    assert run.returncode == 0, run.stderr
    assert "├──" in out and ex.question in out  # the tree and the question
    assert (tmp_path / "practice-chain-1.svg").exists()
    assert "Hint 1:" in out and "Hint 2:" in out and "Hint 3:" in out
    assert "not a number: 'abc'; type one such as -0.25, or 'hint'\n" in out
    assert f"no node named 'nosuch' is asked; the asked ones are {', '.join(ex.asked)}" in out
    assert f"✗ {second}: your dJ/d{second}" in out  # graded, the slip named
    assert out.rstrip().endswith("All right. Well done.")
    assert run.stderr == ""


def test_the_cli_ends_cleanly_at_the_end_of_input(tmp_path, no_dot):
    run = practice(["--kind", "logistic", "--seed", "3"], "0.5\n", tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    assert "(picture:" not in run.stdout  # no dot, no picture, and no error either
    assert "node  yours" in run.stdout  # what was answered is graded
    bad = practice(["--kind", "tree"], "", tmp_path)
    assert bad.returncode == 2 and "invalid choice: 'tree'" in bad.stderr
    assert bad.stderr.count("\n") == 1
