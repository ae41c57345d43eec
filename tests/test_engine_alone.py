"""The engine stands alone: ``microgrid/engine/`` imports nothing from ``static/`` or ``view/``
at module level (the lazy ``Value.tree()``/``Value.explain()`` conveniences excepted), so it can
be read and tested by itself."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "microgrid" / "engine"


def module_level_imports(path):
    """Every module a file imports outside any function, as the dotted path it names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.ImportFrom):
                found.append("." * child.level + (child.module or ""))
            elif isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            visit(child)

    visit(tree)
    return found


def test_the_engine_imports_nothing_of_static_or_view_at_module_level():
    wrong = []
    for path in sorted(ENGINE.glob("*.py")):
        for name in module_level_imports(path):
            parts = name.lstrip(".").split(".")
            upward = name.startswith("..") or (parts[0] == "microgrid" and parts[1:2] != ["engine"])
            if upward or "static" in parts or "view" in parts:
                wrong.append(f"{path.name}: {name}")
    assert not wrong, wrong


def test_the_checker_sees_a_module_level_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nif True:\n    from ..static.trace import trace\n"
                   "def f():\n    from ..view.tree import tree\n")
    assert module_level_imports(bad) == ["os", "..static.trace"]


def engine_alone(body: str) -> str:
    """A script that loads ``microgrid/engine/`` as a package of its own, named
    ``engine_alone`` and bound to ``engine``, then runs ``body``."""
    return textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location(
            "engine_alone", {str(ENGINE / "__init__.py")!r},
            submodule_search_locations=[{str(ENGINE)!r}])
        engine = importlib.util.module_from_spec(spec)
        sys.modules["engine_alone"] = engine
        spec.loader.exec_module(engine)
    """) + textwrap.dedent(body)


def test_the_engine_runs_loaded_as_a_package_of_its_own(tmp_path):
    """Loaded under another name, with no microgrid package around it: the course's graph is
    built and differentiated, no_grad works, and no module of static/ or view/ is loaded."""
    script = engine_alone("""
        Value = engine.Value
        a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
        J = 3 * (a + b * c)
        J.backward()
        with engine.no_grad():
            assert (a * b).op == ""
        steps = engine.backward_steps(J)
        print(J.data, a.grad, b.grad, c.grad, len(steps), engine.grad(J, b),
              sorted(m for m in sys.modules if "microgrid" in m or "static" in m
                     or m.startswith("engine_alone.") and m.split(".")[1] not in
                     ("autograd", "gradcheck", "gradmode", "i18n", "ops", "steps",
                                                "value")))
    """)
    out = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["33.0", "3.0", "6.0", "9.0", "5", "6.0", "[]"]
