"""The ``microgrid`` command line: differentiate and draw a formula, or walk the course's demo.

::

    microgrid grad "3*(a+b*c)" a=5 b=3 c=2          # the value and each variable's gradient
    microgrid grad "log(a)" a=-1 --json             # the same as JSON
    microgrid draw "3*(a+b*c)" a=5 b=3 c=2 -o graph.png
    microgrid explain "3*(a+b*c)" a=5 b=3 c=2       # the chain rule, node by node
    microgrid step "3*(a+b*c)" a=5 b=3 c=2 -o backprop.html   # forward and backward, step by step
    microgrid demo                                  # the course from J = 3(a+bc) to training
    microgrid practice --kind chain --depth 3 --seed 1   # derive a fresh exercise, graded

Formulas are read by ``microgrid.expr`` (a whitelist, never ``eval``). Anything wrong with the
command (a bad formula, a malformed ``name=value``) is one line on stderr and exit code 2; a
problem of the machine (no ``dot``, a file that cannot be written) is one line and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, NoReturn

from ..engine.value import Value
from ..i18n import _, language, languages, resolve
from .expr import FUNCTIONS, MAX_LENGTH, ExpressionError, check_value, parse

USAGE_ERROR = 2
MACHINE_ERROR = 1


class UsageError(ValueError):
    """The command line itself is wrong: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (not usage + message) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        if "unrecognized arguments: -" in message:
            hint = _(" (an expression starting with '-' goes after '--', e.g. -- \"-a*b\")")
        message = _one_line(message)
        if len(message) > 200:  # argparse repeats the arguments, which may be huge
            message = message[:200] + "..."
        self.exit(USAGE_ERROR, _("{prog}: error: {message}", prog=self.prog,
                                 message=message + hint) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0, 1 for the machine, 2 for usage)."""
    _tolerant_output()
    try:  # --lang comes first: the help and every message speak it
        lang = _language_of(sys.argv[1:] if argv is None else argv)
    except ValueError as e:
        return _fail("microgrid", e, USAGE_ERROR)
    with language(lang):
        return _main(argv)


def _language_of(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` before the command (checked), or None: MICROGRID_LANG, then
    the system locale."""
    pre = _Parser(prog="microgrid", add_help=False)
    pre.add_argument("--lang")
    known, _rest = pre.parse_known_args(list(argv))
    return None if known.lang is None else resolve(known.lang)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `microgrid`: what it can do
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except ValueError as e:  # ExpressionError, UsageError, a graph over draw()'s max_nodes ...
        return _fail(args.prog, e, USAGE_ERROR)
    except (RuntimeError, OSError) as e:  # no `dot`, a file that cannot be written
        return _fail(args.prog, e, MACHINE_ERROR)
    except KeyboardInterrupt:
        return 130


def _parser() -> _Parser:
    parser = _Parser(prog="microgrid", description=_(
        "A scalar autodiff engine for learning how neural networks are trained: differentiate "
        "and draw formulas."))
    package = sys.modules[__name__.split(".")[0]]  # loaded before its command line, always
    parser.add_argument("--version", action="version", version=f"microgrid {package.__version__}")
    parser.add_argument("--lang", metavar="LANG", help=_(
        "the language to speak: {languages} (default: the MICROGRID_LANG variable, else the "
        "system's locale)", languages=", ".join(languages())))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                title=_("commands"))
    functions = " ".join(FUNCTIONS)
    formula = _("a formula of numbers, variables, + - * / ** and {functions} (quote it), "
                "e.g. '3*(a+b*c)'; the course's · × ÷ −, a² and full-width （）３ are read as "
                "* * / -, a**2 and ( ) 3; every product needs its * (3*(a+b*c), not 3(a+bc)); "
                "- reads it from stdin", functions=functions)

    p = sub.add_parser("grad", help=_("print a formula's value and each variable's gradient"),
                       description=_("Print the formula's value and d(formula)/d(variable) for "
                                     "each variable, computed by backward()."))
    p.add_argument("expression", metavar="EXPR", help=formula)
    p.add_argument("variables", metavar="NAME=VALUE", nargs="*", help=_("each variable's value"))
    p.add_argument("--json", action="store_true",
                   help=_("print JSON (inf and nan as the strings \"inf\", \"-inf\", \"nan\")"))
    p.set_defaults(run=_grad, prog="microgrid grad")

    p = sub.add_parser("draw", help=_("draw a formula's graph with each node's data and grad"),
                       description=_("Save the formula's computation graph after backward(): "
                                     "every value with its data and grad, every op between."))
    p.add_argument("expression", metavar="EXPR", help=formula)
    p.add_argument("variables", metavar="NAME=VALUE", nargs="*", help=_("each variable's value"))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=_("the picture to write: .png, .svg, .pdf, or .dot for the DOT text"))
    p.add_argument("--rankdir", default=None, choices=("LR", "RL", "TB", "BT"),
                   help=_("direction of the graph (default: LR, inputs on the left, unless "
                          "that is wider than 3:1, then TB)"))
    p.add_argument("--no-grad", action="store_true", help=_("show data only"))
    p.add_argument("--local", action="store_true",
                   help=_("write each edge's local derivative d(out)/d(in) on it"))
    p.add_argument("--color", default="kind", choices=("kind", "grad"),
                   help=_("fill by kind (leaves, outputs) or by |grad| on a log scale"))
    p.add_argument("--max-nodes", type=_positive_int, default=2000, metavar="N",
                   help=_("refuse graphs of more than N values (default 2000)"))
    p.set_defaults(run=_draw, prog="microgrid draw")

    p = sub.add_parser("explain", help=_("print the chain rule worked out for every node"),
                       description=_("Print the backward pass in the course's notation: for "
                                     "each node, d(output)/d(node) as upstream gradient times "
                                     "local derivative, with symbols, then numbers."))
    p.add_argument("expression", metavar="EXPR", help=formula)
    p.add_argument("variables", metavar="NAME=VALUE", nargs="*", help=_("each variable's value"))
    p.add_argument("--nodes", metavar="NAMES", default=None,
                   help=_("only these nodes, comma-separated (e.g. a,b or t1)"))
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text",
                   help=_("plain text (default), or Markdown/LaTeX math for an answer key"))
    p.add_argument("--max-nodes", type=_positive_int, default=None, metavar="N",
                   help=_("refuse graphs of more Values than this (default 200) unless "
                          "--nodes"))
    p.set_defaults(run=_explain, prog="microgrid explain")

    p = sub.add_parser("demo", help=_("walk the course end to end: computation graph, logistic "
                                      "regression by hand and by autograd, pictures, training "
                                      "on real data"),
                       description=_("The course end to end, printed and drawn."))
    p.add_argument("--out", default="microgrid-demo", metavar="DIR",
                   help=_("folder for the pictures (default ./microgrid-demo)"))
    p.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                   help=_("epochs of training on the breast cancer data"))
    p.set_defaults(run=_demo, prog="microgrid demo")

    p = sub.add_parser("step", help=_("write a page that steps through the forward and "
                                      "backward pass of a formula"),
                       description=_("Write one self-contained page (.html) that steps through "
                                     "the formula's forward pass, then its backward pass one "
                                     "contribution at a time; or an animated GIF of the same "
                                     "steps (.gif, needs Pillow)."))
    p.add_argument("expression", metavar="EXPR", help=formula)
    p.add_argument("variables", metavar="NAME=VALUE", nargs="*", help=_("each variable's value"))
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=_("the page to write (.html), or an animated GIF (.gif)"))
    p.set_defaults(run=_step, prog="microgrid step")

    p = sub.add_parser("practice", help=_("derive the gradients of a fresh exercise by hand "
                                          "and have them graded"),
                       description=_("An exercise on a fresh graph: the graph as a tree (and a "
                                     "picture where Graphviz exists), then one answer per line; "
                                     "answers are graded and the first slip is named."))
    p.add_argument("--kind", default="chain", choices=["chain", "logistic", "network",
                                                       "vectorized"],
                   help=_("the kind of exercise (default chain)"))
    p.add_argument("--depth", type=_positive_int, default=3, help=_(
        "ops from a leaf to J in a chain (1 to 6, default 3)"))
    p.add_argument("--seed", type=int, default=None,
                   help=_("the same seed gives the same exercise"))
    p.add_argument("-o", "--output", default=None, metavar="FILE", help=_(
        "where to write the picture (default practice-KIND-SEED.svg)"))
    p.set_defaults(run=_practice, prog="microgrid practice")

    p = sub.add_parser("playground", help=_("build the browser playground: one static folder "
                                            "that runs microgrid with nothing installed"),
                       description=_("Build the playground, a page that runs microgrid in the "
                                     "browser (Python and Graphviz as WebAssembly), as one "
                                     "static folder; serve it with python3 -m http.server -d "
                                     "DIR. Needs node and npm."))
    p.add_argument("action", choices=("build",), help=_("build the static folder"))
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help=_("the folder to write"))
    p.set_defaults(run=_playground, prog="microgrid playground")
    return parser


def _playground(args: argparse.Namespace) -> int:
    from ..playground import build

    site = build(args.output)
    print(_("wrote {site}/: serve it with python3 -m http.server -d {site} 8000", site=site))
    return 0


# --- microgrid grad / draw -------------------------------------------------------------------


def _evaluate(args: argparse.Namespace) -> tuple[Any, dict[str, Value]]:
    """Parse the formula and the variables, build the graph and run backward()."""
    args.expression = _read_expression(args.expression)
    expression = parse(args.expression)
    leaves = _variables(args.variables)
    missing = [n for n in expression.names if n not in leaves]
    if missing:
        raise UsageError(_("no value for {names}: give it as {name}=NUMBER",
                           names=", ".join(missing), name=missing[0]))
    unused = [n for n in leaves if n not in expression.names]
    if unused:
        print(_("{prog}: warning: {names} not used in the formula (gradient 0)",
                prog=args.prog, names=", ".join(unused)), file=sys.stderr)
    out = expression(leaves)
    if type(out) is Value:
        out.backward()
    return out, leaves


def _read_expression(text: str) -> str:
    """The formula itself, or for "-" the formula read from stdin (no more than the limit)."""
    if text != "-":
        return text
    source = sys.stdin.read(MAX_LENGTH + 1)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(_("the expression on stdin is longer than the limit of "
                                "{limit} characters", limit=f"{MAX_LENGTH:,}"))
    return source.strip()


def _variables(items: Sequence[str]) -> dict[str, Value]:
    leaves: dict[str, Value] = {}
    for item in items:
        name, eq, text = item.partition("=")
        # read as the expression is: ａ=5 names the a of "3*(ａ+b)", whose letters NFKC folds
        name = unicodedata.normalize("NFKC", name).strip()
        if not eq or not name:
            raise UsageError(_("expected NAME=VALUE, got {item}", item=_short(item)))
        if not name.isidentifier() or name in ("True", "False", "None") or _is_keyword(name):
            raise UsageError(_("{name} is not a variable name (in {item})", name=_short(name),
                               item=_short(item)))
        if name in FUNCTIONS:
            raise UsageError(_("{name} is a function, not a variable name", name=name))
        if name in leaves:
            raise UsageError(_("{name} is given twice", name=name))
        try:
            value = float(text)
        except ValueError:
            raise UsageError(_("the value of {name} is not a number: {text}", name=name,
                               text=_short(text))) from None
        check_value(name, text, value)  # 1e400: too large for a float, not silently inf
        leaves[name] = Value(value, label=name)
    return leaves


def _grad(args: argparse.Namespace) -> int:
    out, leaves = _evaluate(args)
    value = out.data if type(out) is Value else out
    if args.json:
        doc = {
            "expression": args.expression,
            "value": _json_number(value),
            "variables": {n: {"value": _json_number(v.data), "grad": _json_number(v.grad)}
                          for n, v in leaves.items()},
        }
        print(json.dumps(doc, ensure_ascii=False))
        return 0
    print(f"{args.expression.strip()} = {_num(value)}")
    if leaves:
        rows = [(_("variable"), _("value"), _("gradient"))]
        rows += [(_as_printed(n), _num(v.data), _num(v.grad)) for n, v in leaves.items()]
        widths = [max(_width(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            print("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip())
    return 0


def _draw(args: argparse.Namespace) -> int:
    from ..view.draw import _format_of, draw

    _format_of(args.output)  # a bad extension is reported before any work
    out, _leaves = _evaluate(args)
    if type(out) is not Value:  # a formula of numbers only: one node, its value
        out = Value(out)
    if args.local and out._op is None:
        raise UsageError(_("--local labels edges with local derivatives, but the formula has "
                           "no operation: there is no edge to label"))
    try:
        draw(out, rankdir=args.rankdir, show_grad=not args.no_grad, max_nodes=args.max_nodes,
             path=args.output, show_local=args.local, color=args.color)
    except ValueError as e:  # too big: say it with the option's own name
        raise UsageError(str(e).replace("max_nodes=", "--max-nodes ")
                         .replace("raise max_nodes", "raise --max-nodes")) from None
    print(_("wrote {path}", path=args.output))
    return 0


def _explain(args: argparse.Namespace) -> int:
    from ..view.explain import MAX_NODES, explain
    from ..view.reading import read

    out, leaves = _evaluate(args)
    if type(out) is not Value or out._op is None:
        raise UsageError(_("the formula is a number or a single variable: there is no chain "
                           "rule to show; give a formula such as '3*(a+b*c)'"))
    reading = read(out)  # names the output J (out if J is a variable), as in Python
    nodes = None
    if args.nodes is not None:
        nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
        if not nodes:
            raise UsageError(_("--nodes needs names, e.g. --nodes a,b"))
    limit = MAX_NODES if args.max_nodes is None else args.max_nodes
    size = len(reading.order)
    if nodes is None and size > limit:
        raise UsageError(_("the graph has {size} Values, more than --max-nodes {limit}; "
                           "explain chosen nodes with --nodes a,b, or raise --max-nodes",
                           size=f"{size:,}", limit=f"{limit:,}"))
    try:
        text = explain(reading, nodes, max_nodes=max(limit, size))
    except ValueError as e:  # a name in --nodes that the formula has not
        raise UsageError(str(e).removeprefix("explain(): ")) from None
    print({"text": str, "markdown": type(text).to_markdown,
           "latex": type(text).to_latex}[args.format](text))
    return 0


# --- microgrid demo --------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    """The course end to end: each step prints what the course computes by hand beside what
    the engine computes, so a learner can check one against the other."""
    from pathlib import Path

    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    J = _demo_graph()
    L = _demo_logistic()
    _demo_pictures(folder, {"computation_graph": (J, {}),
                            "local_derivatives": (J, {"show_local": True}),
                            "logistic_regression": (L, {})})
    _demo_training(DEMO_EPOCHS if args.epochs is None else args.epochs)
    return 0


DEMO_EPOCHS = 30  # a few seconds on a laptop; the test accuracy has long settled by then
DEMO_BATCH = 64
DEMO_LR = 0.1


def _title(text: str) -> None:
    print(f"\n== {text} ==")


def _demo_graph() -> Value:
    from ..engine.gradcheck import gradcheck

    _title(_("1. The computation graph J = 3(a + bc) at a=5, b=3, c=2"))
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    J.backward()
    print(_("forward:  {line}", line=f"u = bc = {u.data:g}, v = a + u = {v.data:g}, "
                                      f"J = 3v = {J.data:g}"))
    print(_("backward: {line}", line=f"dJ/da = {a.grad:g}, dJ/db = {b.grad:g}, "
                                      f"dJ/dc = {c.grad:g}"))
    print(_("bump check: nudge one input by 0.001 and watch J move by 0.001 × its gradient"))

    def f(a: Any, b: Any, c: Any) -> Any:
        return 3 * (a + b * c)

    h = 0.001
    bumped = {"a": f(5.0 + h, 3.0, 2.0), "b": f(5.0, 3.0 + h, 2.0), "c": f(5.0, 3.0, 2.0 + h)}
    for name, leaf in (("a", a), ("b", b), ("c", c)):
        up = bumped[name]
        print(f"  {name} + 0.001 -> J = {up:.6g}   (J' - J) / 0.001 = {(up - J.data) / h:.4f}"
              "   " + _("backward: {grad}", grad=f"{leaf.grad:g}"))
    print(_("gradcheck (central differences against backward): {result}",
            result=gradcheck(f, a, b, c)))
    print(J.tree())
    return J


def _demo_logistic() -> Value:
    _title(_("2. Logistic regression on one sample: autograd beside the course's formulas"))
    # the sample and its label are labelled Values too, so the picture shows them as the
    # course's figure does (inputs x1, x2, y beside w1, w2, b) and dw1 = x1·dz can be read off it
    x1, x2, y = Value(1.0, label="x1"), Value(2.0, label="x2"), Value(1.0, label="y")
    w1, w2, b = Value(0.5, label="w1"), Value(-0.25, label="w2"), Value(0.1, label="b")
    z = w1 * x1 + w2 * x2 + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    L = -(y * a.log() + (1.0 - y) * (1.0 - a).log())  # L(a, y) = −(y log a + (1−y) log(1−a))
    L.label = "L"
    L.backward()
    print(f"x1={x1.data:g}, x2={x2.data:g}, y={y.data:g}; w1={w1.data:g}, w2={w2.data:g}, "
          f"b={b.data:g}")
    print(_("forward:  {line}", line=f"z = w1·x1 + w2·x2 + b = {z.data:.4f}, "
                                      f"a = σ(z) = {a.data:.4f}, L = {L.data:.4f}"))
    dz = a.data - y.data
    rows = [("", "autograd", _("course formula")),
            ("dz", f"{z.grad:.6f}", f"a − y   = {dz:.6f}"),
            ("dw1", f"{w1.grad:.6f}", f"x1·dz   = {x1.data * dz:.6f}"),
            ("dw2", f"{w2.grad:.6f}", f"x2·dz   = {x2.data * dz:.6f}"),
            ("db", f"{b.grad:.6f}", f"dz      = {dz:.6f}")]
    for r in rows:
        print(f"  {r[0]:<4} {r[1]:>10}   {r[2]}")
    return L


def _demo_pictures(folder: Any, graphs: dict[str, tuple[Value, dict[str, Any]]]) -> None:
    from ..view.draw import INSTALL_HINT, GraphvizNotFound, draw

    _title(_("3. Pictures of both graphs (and J's local derivatives on its edges), in "
             "{folder}/", folder=folder))
    missing = False
    for name, (root, options) in graphs.items():
        graph = draw(root, **options)
        target = folder / f"{name}.png"
        try:
            target.write_bytes(graph.pipe(format="png"))
        except GraphvizNotFound:
            missing = True
            target = folder / f"{name}.dot"
            target.write_text(graph.source, encoding="utf-8")
        print(_("wrote {path}", path=target))
    if missing:
        print(_("(the .dot files are the graphs' text; for PNG pictures {hint})",
                hint=_(INSTALL_HINT)))



def _demo_training(epochs: int) -> None:
    """Logistic regression on real data: the same model as step 2, one weight per feature."""
    from ..datasets import load_breast_cancer, standardize, train_test_split
    from ..losses import binary_cross_entropy
    from ..nn import LogisticRegression
    from ..optim import SGD
    from ..train import accuracy, fit

    X, y, features = load_breast_cancer()
    _title(_("4. Logistic regression on the breast cancer data ({samples} tumours, "
             "{features} features)", samples=len(X), features=len(features)))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
    Z_train, Z_test, _mean, _std = standardize(X_train, X_test)  # test scaled with train's numbers
    model = LogisticRegression(len(features))  # weights start at 0, as in the course
    optimizer = SGD(model.parameters(), lr=DEMO_LR)
    print(_("{train} training and {test} test samples, features standardized; mini-batches "
            "of {batch}, SGD lr={lr}, {epochs} epochs", train=len(Z_train), test=len(Z_test),
            batch=DEMO_BATCH, lr=DEMO_LR, epochs=epochs))
    sys.stdout.flush()  # the progress bar goes to stderr: keep the two in order
    history = fit(model, Z_train, y_train, binary_cross_entropy, optimizer, epochs=epochs,
                  batch_size=DEMO_BATCH, seed=0, progress=True)
    sys.stderr.flush()
    print(_("mean loss: first epoch {first}, last {last}", first=f"{history.epoch_loss[0]:.4f}",
            last=f"{history.epoch_loss[-1]:.4f}"))
    print(_("train accuracy {accuracy}", accuracy=f"{accuracy(model, Z_train, y_train):.1%}"))
    print(_("test accuracy  {accuracy}", accuracy=f"{accuracy(model, Z_test, y_test):.1%}"))


# --- microgrid step --------------------------------------------------------------------------


def _step(args: argparse.Namespace) -> int:
    from ..view.stepping import step_through

    ext = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
    if ext not in ("html", "htm", "gif"):  # a bad extension is reported before any work
        raise UsageError(_("cannot tell the format of {path}: use a file name ending in .html "
                           "or .gif", path=_short(args.output)))
    out, leaves = _evaluate(args)
    if type(out) is not Value:
        raise UsageError(_("the formula has no variable, so there is no graph to step "
                           "through: give one, e.g. '3*(a+b*c)' a=5 b=3 c=2"))
    if out._op is None:
        raise UsageError(_("the formula is just the variable {name}: there is no op to step "
                           "through; write an expression such as '3*{name}'", name=out.label))
    # the course's name for the output, so the page reads dJ/da; the formula is its title
    name = "J"
    while name in leaves:
        name += "'"
    out.label = name
    page = step_through(out)
    page.title = f"{out.label} = {args.expression.strip()}"
    page.save(args.output)
    print(_("wrote {path}: {count} steps, forward then backward", path=args.output,
            count=len(page) - 1))
    return 0


# --- microgrid practice ----------------------------------------------------------------------


def _practice(args: argparse.Namespace) -> int:
    """Ask for each gradient in turn, grade, and offer hints; exits 0 at the end of input."""
    import shutil

    from ..view.practice import exercise

    ex = exercise(args.kind, seed=args.seed, depth=args.depth)
    print(_("Exercise {kind}, seed {seed}, depth {depth}", kind=args.kind, seed=ex.seed,
            depth=ex.depth) if ex.kind == "chain" else
          _("Exercise {kind}, seed {seed}", kind=args.kind, seed=ex.seed))
    print(ex.tree())
    if shutil.which("dot"):
        path = args.output or f"practice-{ex.kind}-{ex.seed}.svg"
        ex.draw(path=path)
        print(_("(picture: {path})", path=path))
    print(ex.question)
    print(_("Type a number for each gradient, or NAME = NUMBER for any of them; 'hint' helps "
            "(three times for more), 'solution' shows the worked derivation, 'quit' stops."))
    r = ex.names[ex.root]
    answers: dict[str, float] = {}
    lines = iter(sys.stdin.readline, "")
    echo = not sys.stdin.isatty()  # piped answers are shown after their prompts
    while True:
        todo = [n for n in ex.asked if n not in answers]
        if not todo:
            report = ex.check(answers)
            print(report)
            if report.ok:
                print(_("All right. Well done."))
                return 0
            for row in report.rows:  # ask again for the wrong ones
                if not row.ok:
                    answers.pop(row.name, None)
            print(_("Correct the ✗ rows ('hint' helps)."))
            continue
        current = todo[0]
        print(f"d{r}/d{current} = ", end="", flush=True)
        line = next(lines, None)
        if line is None:  # end of input
            print()
            if answers:
                print(ex.check(answers))
            return 0
        text = line.strip()
        if echo:
            print(text)
        if not text:
            continue
        word = text.lower()
        if word in ("quit", "q", "exit", _("quit")):
            return 0
        if word in ("hint", _("hint")):
            print(ex.hint(current))
            continue
        if word in ("solution", _("solution")):
            print(ex.solution())
            continue
        name, _eq, number = text.rpartition("=")
        name = name.strip() or current
        if name not in ex.asked:
            name = next((n for n in ex.asked if name in (f"d{n}", f"d{r}/d{n}")), name)
        if name not in ex.asked:
            print(_("no node named {name} is asked; the asked ones are {asked}",
                    name=_short(name), asked=", ".join(ex.asked)))
            continue
        try:
            value = float(number.strip().replace("−", "-"))
        except ValueError:
            print(_("not a number: {text}; type one such as -0.25, or 'hint'",
                    text=_short(number.strip())))
            continue
        answers[name] = value


# --- helpers ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for a wide character (CJK), none for a
    combining mark, so that a table with 学习率 or café lines up."""
    import unicodedata

    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _as_printed(text: str) -> str:
    """``text`` as stdout will show it: with ``?`` for what its encoding lacks."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, errors="replace").decode(encoding)
    except LookupError:
        return text


def _tolerant_output() -> None:
    """Print what the terminal can show and replace the rest (with ``?``), never crash: a
    Windows console or a pipe in cp1252 can't encode σ, − or 学习率, which the output uses."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None or not hasattr(stream, "reconfigure"):
            continue
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8") and getattr(stream, "errors", "") == "strict":
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # closed, or already written to in a way that forbids
                pass


def _fail(prog: str, error: BaseException, code: int) -> int:
    print(_("{prog}: error: {message}", prog=prog, message=_one_line(str(error))),
          file=sys.stderr)
    return code


def _num(x: float) -> str:
    return f"{x:.10g}"


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)  # strict JSON has no inf or nan


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _is_keyword(name: str) -> bool:
    import keyword

    return keyword.iskeyword(name)


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a positive integer, got {text}",
                                           text=repr(text))) from None
    if n < 1:
        raise argparse.ArgumentTypeError(_("expected a positive integer, got {text}", text=n))
    return n


if __name__ == "__main__":
    sys.exit(main())
