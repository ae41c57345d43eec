"""The command line and the formula parser behind it, including hostile input.

The command line is run as a user runs it, ``python -m microgrid ...`` in a subprocess. The
hostile inputs are started all at once and awaited together, so the batch costs about as much
as the slowest of them.
"""

import json
import math
import os
import subprocess
import sys

import pytest

from microgrid import Value
from microgrid.cli import main
from microgrid.cli.expr import MAX_LENGTH, ExpressionError, parse

TIMEOUT = 60  # only so that a hang fails instead of blocking the suite; speed is not asserted
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cli(*args, cwd=None):
    """``python -m microgrid ARGS`` run as a user runs it (from any folder), after fixtures
    such as ``no_dot`` have set up the environment."""
    env = {**os.environ, "PYTHONPATH": _repo_root()}
    return subprocess.run([sys.executable, "-m", "microgrid", *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=env, cwd=cwd)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# --- the parser ----------------------------------------------------------------------------


def test_parse_names_and_value():
    f = parse("3*(a+b*c)")
    assert f.names == ("a", "b", "c")
    assert f({"a": 5.0, "b": 3.0, "c": 2.0}) == 33.0


def test_values_build_one_graph_with_shared_leaves():
    a = Value(2.0, label="a")
    out = parse("a*a + exp(a) - 2**a + sigmoid(a)/tanh(a) + relu(-a) + log(a)")({"a": a})
    out.backward()
    expected = (2 * 2 + math.exp(2) - 2**2 + sigmoid(2) / math.tanh(2) + 0 + math.log(2))
    assert out.data == pytest.approx(expected)
    s, t = sigmoid(2), math.tanh(2)
    dexpected = (2 * 2 + math.exp(2) - 2**2 * math.log(2)
                 + (s * (1 - s) * t - s * (1 - t * t)) / t**2 + 1 / 2)
    assert a.grad == pytest.approx(dexpected)


def test_numbers_are_floats_and_ieee():
    assert parse("9**9**9")({}) == math.inf
    assert math.isnan(parse("log(a)")({"a": -1.0}))
    assert parse("1/0")({}) == math.inf
    assert parse("-a")({"a": 2.0}) == -2.0
    assert parse("+a")({"a": 2.0}) == 2.0
    assert parse("1" + "0" * 400)({}) == math.inf  # an int literal beyond the float range


def test_a_number_operand_stays_a_number_in_the_graph():
    a = Value(1.0, label="a")
    out = parse("2**a")({"a": a})
    assert out.inputs == (2.0, a)


def test_evaluation_is_a_loop():
    # a formula as deep as the parser allows: evaluating it must not recurse
    src = "+".join(["a"] * 400)
    a = Value(1.0, label="a")
    out = parse(src)({"a": a})
    out.backward()
    assert out.data == 400.0 and a.grad == 400.0


@pytest.mark.parametrize("source, message", [
    ("__import__('os').system('true')", "only exp, log, sigmoid, tanh, relu can be called"),
    ("__import__('os')", "unknown function '__import__'"),
    ("import os", "syntax error"),
    ("a.__class__", "attribute access"),
    ("(lambda: 1)()", "only exp, log, sigmoid, tanh, relu can be called"),
    ("lambda: 1", "lambda is not allowed"),
    ("[x for x in (1, 2)]", "comprehension"),
    ("{x: 1 for x in a}", "comprehension"),
    ("foo(a)", "unknown function 'foo'"),
    ("exp(a, a)", "exp() takes exactly one argument, got 2"),
    ("log()", "log() takes exactly one argument, got 0"),
    ("exp(x=a)", "exp() takes no keyword arguments"),
    ("exp(*a)", "'*' unpacking"),
    ("3*(a+", "syntax error"),
    ("a[0]", "indexing"),
    ("a < b", "comparison"),
    ("a and b", "'and'/'or'"),
    ("a if b else c", "'if ... else'"),
    ("(a := 1)", "assignment"),
    ("'text'", "a string"),
    ("f'{a}'", "a string"),
    ("1j", "a complex number"),
    ("True", "True is not allowed"),
    ("None", "None is not allowed"),
    ("a % b", "operator % is not supported"),
    ("a // b", "operator // is not supported"),
    ("~a", "operator ~ is not supported"),
    ("not a", "operator not is not supported"),
    ("(a, b)", "a tuple"),
    ("exp", "exp is a function"),
    ("", "empty"),
    ("   ", "empty"),
    ("(" * 5000 + "a" + ")" * 5000, "parentheses are nested 5,000 deep"),
    ("(" * 5000 + "a", "parentheses are nested 5,000 deep"),
    ("-" * 5000 + "a", "nested too deeply"),
    ("a**" * 3000 + "a", "nested too deeply"),
    ("-" * 1001 + "a", "nests operators more than 1000 deep"),
    ("a**" * 1001 + "a", "nests operators more than 1000 deep"),
    ("a+" * MAX_LENGTH + "a", f"the limit is {MAX_LENGTH:,}"),
    ("a+" * 3000 + "b.c", "attribute access ('.') is not allowed (column 6001)"),
    ("a+" * 3000 + "'x'", "a string is not allowed (column 6001)"),
    ("a+" * 3000 + "a, b", "a tuple (',') is not allowed"),
    ("a+" * 3000, "syntax error"),
    ("1" * 5000, "too many digits"),
    ("a\0b", "null"),
])
def test_parse_refuses(source, message):
    with pytest.raises(ExpressionError) as e:
        parse(source)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    assert isinstance(e.value, ValueError)


def test_a_missing_variable_is_an_error():
    with pytest.raises(ExpressionError, match="no value for b"):
        parse("a + b")({"a": 1.0})


def test_parse_takes_a_string():
    with pytest.raises(TypeError):
        parse(3)


# --- grad and draw, in process --------------------------------------------------------------


def test_grad_prints_value_and_gradient_table(capsys):
    assert main(["grad", "3*(a+b*c)", "a=5", "b=3", "c=2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "3*(a+b*c) = 33"
    assert out[1].split() == ["variable", "value", "gradient"]
    assert [line.split() for line in out[2:]] == [["a", "5", "3"], ["b", "3", "6"],
                                                  ["c", "2", "9"]]


def test_grad_json(capsys):
    assert main(["grad", "log(a) * b", "a=-1", "b=2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["expression"] == "log(a) * b"
    assert doc["value"] == "nan"  # strict JSON has no nan: written as a string
    assert doc["variables"]["a"] == {"value": -1.0, "grad": -2.0}  # d/da = b/a
    assert doc["variables"]["b"] == {"value": 2.0, "grad": "nan"}


def test_grad_of_numbers_only_and_unused_variables(capsys):
    assert main(["grad", "9**9**9"]) == 0
    assert capsys.readouterr().out.strip() == "9**9**9 = inf"
    assert main(["grad", "2*a", "a=1", "z=4"]) == 0
    captured = capsys.readouterr()
    assert "z not used" in captured.err
    assert captured.out.splitlines()[-1].split() == ["z", "4", "0"]


def test_draw_writes_the_dot_text(tmp_path, capsys):
    target = tmp_path / "graph.dot"
    assert main(["draw", "3*(a+b*c)", "a=5", "b=3", "c=2", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    for record in ["a | data 5 | grad 3", "b | data 3 | grad 6",
                   "c | data 2 | grad 9", "J | data 33 | grad 1"]:
        assert record in text
    assert main(["draw", "a*b", "a=5", "b=3", "--no-grad", "--rankdir", "TB",
                 "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "grad" not in text and "rankdir=TB" in text


def test_draw_local_derivatives_grad_colours_and_max_nodes(tmp_path, capsys):
    target = tmp_path / "graph.dot"
    assert main(["draw", "3*(a+b*c)", "a=5", "b=3", "c=2", "--local", "--color", "grad",
                 "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "∂u/∂b = 2" not in text  # unlabelled inner nodes are t1, t2 ...
    assert "/∂b = 2" in text and "/∂a = 1" in text and "|grad|" in text
    big = "+".join(["(" + "+".join(["a*b"] * 40) + ")"] * 30)  # 2,401 Values
    capsys.readouterr()
    assert main(["draw", big, "a=1", "b=2", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "2,401 Values" in err and "raise --max-nodes" in err and len(err.splitlines()) == 1
    assert main(["draw", big, "a=1", "b=2", "--max-nodes", "3000", "-o", str(target)]) == 0
    assert main(["draw", "a", "a=1", "--local", "-o", str(target)]) == 2
    assert "no operation" in capsys.readouterr().err


# --- through a subprocess ----------------------------------------------------------------


def test_python_dash_m_grad():
    r = cli("grad", "3*(a+b*c)", "a=5", "b=3", "c=2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "3*(a+b*c) = 33"
    assert r.stderr == ""


def test_log_of_a_negative_number_is_nan_not_an_error():
    r = cli("grad", "log(a)", "a=-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "log(a) = nan"
    assert r.stdout.splitlines()[2].split() == ["a", "-1", "-1"]  # d log(a)/da = 1/a


def test_draw_png_and_svg(dot, tmp_path):
    for name, check in [("graph.png", lambda b: b.startswith(PNG_MAGIC) and len(b) > 2000),
                        ("graph.svg", lambda b: b"<svg" in b and b"data 33" in b)]:
        r = cli("draw", "3*(a+b*c)", "a=5", "b=3", "c=2", "-o", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
        assert check((tmp_path / name).read_bytes())


def test_draw_without_dot_is_one_line_with_how_to_install(no_dot, tmp_path):
    r = cli("draw", "a*b", "a=1", "b=2", "-o", str(tmp_path / "graph.png"))
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert "apt install graphviz" in r.stderr and "brew" in r.stderr


def test_no_arguments_prints_the_usage_and_the_commands():
    r = cli()
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: microgrid")
    for command in ("grad", "draw", "demo", "--version"):
        assert command in r.stdout


def test_version():
    import microgrid

    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"microgrid {microgrid.__version__}"


def test_a_flat_sum_of_100000_terms_from_stdin():
    n = 100_000
    terms = [f"{i % 7}*x" if i % 2 else f"-y/{i % 5 + 1}" for i in range(n)]
    env = {**os.environ, "PYTHONPATH": _repo_root()}
    r = subprocess.run([sys.executable, "-m", "microgrid", "grad", "-", "x=1.5", "y=2",
                        "--json"], input="+".join(terms), capture_output=True, text=True,
                       env=env, timeout=10 * TIMEOUT)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    value = 0.0
    for i in range(n):  # left to right, as Python adds
        term = (i % 7) * 1.5 if i % 2 else -2 / (i % 5 + 1)
        value = term if i == 0 else value + term
    assert doc["value"] == value
    assert doc["variables"]["x"]["grad"] == sum(i % 7 for i in range(1, n, 2))
    assert doc["variables"]["y"]["grad"] == pytest.approx(
        sum(-1 / (i % 5 + 1) for i in range(0, n, 2)), rel=1e-12)


def test_a_flat_sum_parses_as_python_groups_it():
    for source in ("a - b + c * -d / e ** -2 - -1e-5 + 2E+3 - (a - b)", "a*b - c**-a*b"):
        long = " + ".join([source] * 600)  # past the point where it is read a term at a time
        values = {"a": 1.5, "b": -0.25, "c": 3.0, "d": 0.5, "e": 2.0}
        expected = eval(" + ".join([source] * 300), {}, dict(values))
        got = parse(long)(values)
        assert got == pytest.approx(2 * expected, rel=1e-12)


def test_gradient_table_lines_up_with_wide_names(capsys):
    assert main(["grad", "学习率*x + café", "学习率=0.5", "x=2", "café=1"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    import unicodedata

    def columns(text):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    starts = {columns(line[:line.index(word)]) for line, word in zip(lines, [
        "value", "0.5", "2", "1"])}
    assert len(starts) == 1, lines  # every row's value starts in the same terminal column


def test_demo_survives_an_output_that_is_not_utf8(tmp_path):
    """A Windows console or a cp1252 pipe: what it can't encode (σ, −, ·) is replaced."""
    env = {**os.environ, "PYTHONPATH": _repo_root(), "PYTHONIOENCODING": "cp1252"}
    r = subprocess.run([sys.executable, "-m", "microgrid", "demo", "--epochs", "1", "--out",
                        str(tmp_path)], capture_output=True, env=env, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr.decode("cp1252", errors="replace")[-2000:]
    out = r.stdout.decode("cp1252")
    assert "a = ?(z)" in out and "a ? y" in out  # σ and − are not in cp1252
    assert "x1\xb7dz" in out  # · is, and stays
    check_demo_text(out)
    r = subprocess.run([sys.executable, "-m", "microgrid", "grad", "学习率*2", "学习率=1"],
                       capture_output=True, env=env, timeout=TIMEOUT)
    assert r.returncode == 0 and r.stdout.decode("cp1252").splitlines()[0] == "???*2 = 2"


HOSTILE = {
    "import": ["grad", "__import__('os').system('echo owned')"],
    "import statement": ["grad", "import os"],
    "attribute": ["grad", "a.__class__.__bases__", "a=1"],
    "lambda": ["grad", "(lambda: 1)()"],
    "comprehension": ["grad", "[x for x in (1, 2)]"],
    "unknown name": ["grad", "a + zz", "a=1"],
    "unknown function": ["grad", "open(a)", "a=1"],
    "wrong arity": ["grad", "exp(a, a)", "a=1"],
    "no argument": ["grad", "tanh()"],
    "keyword argument": ["grad", "exp(x=a)", "a=1"],
    "syntax error": ["grad", "3*(a+", "a=1"],
    "5000-deep parentheses": ["grad", "(" * 5000 + "a" + ")" * 5000, "a=1"],
    "5000 unclosed parentheses": ["grad", "(" * 5000 + "a", "a=1"],
    "5000 unary minus": ["grad", "--", "-" * 5000 + "a", "a=1"],
    "5000 unary minus without --": ["grad", "-" * 5000 + "a", "a=1"],
    "3000 powers": ["grad", "a**" * 3000 + "a", "a=1"],
    "60 kB expression": ["grad", "a**" * 20_000 + "a", "a=1"],
    "2 MB expression on stdin": (["grad", "-", "a=1"], "a+" * 1_000_000 + "a"),
    "5000-digit number": ["grad", "1" * 5000],
    "string": ["grad", "'a' * 3"],
    "no equals sign": ["grad", "a*b", "a5", "b=1"],
    "no name": ["grad", "a", "=5"],
    "no value": ["grad", "a", "a="],
    "value not a number": ["grad", "a", "a=b"],
    "two equals signs": ["grad", "a", "a=1=2"],
    "name not an identifier": ["grad", "a", "1a=3"],
    "dotted name": ["grad", "a", "a.b=3"],
    "keyword as name": ["grad", "a", "lambda=3"],
    "function as name": ["grad", "a", "exp=3"],
    "duplicate name": ["grad", "a", "a=1", "a=2"],
    "leading minus without --": ["grad", "-a*b", "a=1", "b=2"],
    "draw: unknown extension": ["draw", "a", "a=1", "-o", "graph.jpeg"],
    "draw: no output": ["draw", "a", "a=1"],
    "draw: too big to draw": ["draw", "+".join("(" + "+".join(["x*2"] * 10) + ")"
                                               for _ in range(150)), "x=1", "-o", "big.png"],
    "unknown command": ["train", "a"],
    "demo: bad epochs": ["demo", "--epochs", "0"],
}


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory):
    """Every hostile command line, started at once; name -> (exit code, stdout, stderr)."""
    cwd = tmp_path_factory.mktemp("hostile")
    env = {**os.environ, "PYTHONPATH": _repo_root()}
    procs = {}
    for name, case in HOSTILE.items():
        args, stdin = case if isinstance(case, tuple) else (case, None)
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "microgrid", *args], cwd=cwd, env=env, text=True,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for name, p in procs.items():
        case = HOSTILE[name]
        out, err = p.communicate(case[1] if isinstance(case, tuple) else None, timeout=TIMEOUT)
        results[name] = (p.returncode, out, err)
    assert not list(cwd.iterdir())  # nothing was written (no graph.jpeg, no "owned" file)
    return results


def _repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_one_line_exit_2(hostile_runs, name):
    code, out, err = hostile_runs[name]
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("microgrid")
    assert "owned" not in out


def test_hostile_messages_name_the_problem(hostile_runs):
    expect = {
        "import": "only exp, log, sigmoid, tanh, relu can be called",
        "attribute": "attribute access",
        "lambda": "only exp, log, sigmoid, tanh, relu can be called",
        "comprehension": "comprehension",
        "unknown name": "no value for zz",
        "unknown function": "unknown function 'open'",
        "wrong arity": "exactly one argument, got 2",
        "keyword argument": "no keyword arguments",
        "5000-deep parentheses": "nested 5,000 deep",
        "5000 unary minus": "nested too deeply",
        "5000-digit number": "too many digits",
        "60 kB expression": "nested too deeply",
        "2 MB expression on stdin": "longer than the limit of 2,000,000 characters",
        "no equals sign": "expected NAME=VALUE, got 'a5'",
        "value not a number": "the value of a is not a number",
        "two equals signs": "the value of a is not a number",
        "name not an identifier": "'1a' is not a variable name",
        "keyword as name": "'lambda' is not a variable name",
        "function as name": "exp is a function",
        "duplicate name": "a is given twice",
        "leading minus without --": "goes after '--'",
        "draw: unknown extension": ".png, .svg, .pdf or .dot",
        "draw: too big to draw": "one sample",
    }
    for name, message in expect.items():
        assert message in hostile_runs[name][2], name


# --- the demo ------------------------------------------------------------------------------


def check_demo_text(out):
    assert "u = bc = 6, v = a + u = 11, J = 3v = 33" in out
    assert "dJ/da = 3, dJ/db = 6, dJ/dc = 9" in out
    assert "a + 0.001 -> J = 33.003" in out
    assert "b + 0.001 -> J = 33.006" in out
    assert "gradcheck (central differences against backward): True" in out
    # the one-sample logistic regression: autograd beside dz = a − y, dw = x·dz, db = dz
    x1, x2, y, z = 1.0, 2.0, 1.0, 0.5 * 1.0 - 0.25 * 2.0 + 0.1
    dz = sigmoid(z) - y
    expected = {"dz": dz, "dw1": x1 * dz, "dw2": x2 * dz, "db": dz}
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in expected}
    for name, value in expected.items():
        autograd, formula = float(rows[name][1]), float(rows[name][-1])
        assert autograd == pytest.approx(value, abs=1e-6), name
        assert formula == pytest.approx(value, abs=1e-6), name
    accuracy = float(out.split("test accuracy")[1].split("%")[0])
    assert 85.0 <= accuracy <= 100.0


def test_demo_with_dot_saves_pngs_and_trains(dot, tmp_path):
    folder = tmp_path / "pictures"
    r = cli("demo", "--out", str(folder), "--epochs", "2")
    assert r.returncode == 0, r.stderr
    check_demo_text(r.stdout)
    for name in ("computation_graph.png", "local_derivatives.png", "logistic_regression.png"):
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2000
        assert f"wrote {folder / name}" in r.stdout
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width <= 3.6 * height and width <= 1280  # fits a screen, text at full size
    assert "2/2" in r.stderr  # the progress bar ran to the end
    assert "Traceback" not in r.stderr


def test_demo_without_dot_writes_dot_files_and_says_how_to_install(no_dot, tmp_path):
    r = cli("demo", "--epochs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    check_demo_text(r.stdout)
    folder = tmp_path / "microgrid-demo"  # the default folder, in the current directory
    assert sorted(p.name for p in folder.iterdir()) == ["computation_graph.dot",
                                                        "local_derivatives.dot",
                                                        "logistic_regression.dot"]
    assert "data 33" in (folder / "computation_graph.dot").read_text(encoding="utf-8")
    notes = [line for line in r.stdout.splitlines() if "apt install graphviz" in line]
    assert len(notes) == 1


def test_an_expression_starting_with_minus_goes_after_double_dash():
    r = cli("grad", "--", "-a*b", "a=1", "b=2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "-a*b = -2"


def test_hostile_errors_stay_short(hostile_runs):
    for name, (_, _, err) in hostile_runs.items():
        assert len(err) < 400, name
