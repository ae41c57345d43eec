"""The package's architecture stays as drawn: imports point down, toward the engine.

Rooms, from the ground up (docs/internals.md, "How the code is laid out"):

- ``i18n``: the languages, standard library only; every room may use it.
- ``engine``: Value, the op table, the backward pass, grad mode, gradcheck. Imports nothing
  else of microgrid.
- ``view``, ``static`` and the training modules (``nn``, ``losses``, ``optim``, ``train``,
  ``datasets``): each imports the engine and itself; training may reach the static graph's
  exports (``Module.to_torch``).
- ``cli``: may import everything above.
- the package's ``__init__``/``__main__``: the front door, may import everything.
- ``playground``: the browser page, which runs the package as a learner does: everything but
  the command line.

The one way back up is a lazy import inside a few documented ``Value`` conveniences.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microgrid"

TRAINING = {"nn", "losses", "optim", "train", "datasets"}
ALLOWED = {
    "engine": {"engine"},
    "view": {"engine", "view"},
    "static": {"engine", "static"},
    "learn": {"engine", "learn", "static"},
    "cli": {"engine", "view", "static", "learn", "cli", "playground"},
    "top": {"engine", "view", "static", "learn", "cli", "top"},
    # the browser page: runs the package as a learner does (import microgrid), beside cli
    "playground": {"engine", "view", "static", "learn", "top", "playground"},
}
# the languages: the mechanism is the engine's (engine/i18n.py, the standard library only, so
# the engine's errors are translated too); i18n.py gives every room the same functions
ALLOWED["i18n"] = {"engine"}
for _imports in ALLOWED.values():
    _imports.add("i18n")
ALLOWED["engine"] = {"engine"}  # the engine uses its own i18n, never the room above it
# (module, function) pairs whose body may import a room above: Value's conveniences
UPWARD = {
    ("engine/value.py", "tree"),
    ("engine/value.py", "explain"),
}


def room(parts: tuple[str, ...]) -> str:
    """The room of a module, from its path inside the package (``("engine", "value")``)."""
    if not parts or parts[0] in ("__init__", "__main__"):
        return "top"
    if parts[0] in TRAINING:
        return "learn"
    return parts[0]


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path):
    """(module parts imported, the function it happens in or None) for each microgrid import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = here[:-1] if here[-1] != "__init__" else here[:-1]

    def visit(node: ast.AST, function: str | None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from visit(child, function or child.name)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[: len(package) - (child.level - 1)]
                    target = (*base, *(child.module.split(".") if child.module else ()))
                    if not child.module:  # from . import x
                        for alias in child.names:
                            yield (*target, alias.name), function
                        continue
                    yield target, function
                elif child.module and child.module.split(".")[0] == "microgrid":
                    yield tuple(child.module.split(".")[1:]), function
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "microgrid":
                        yield tuple(alias.name.split(".")[1:]), function
            yield from visit(child, function)

    yield from visit(tree, None)


def test_rooms_import_only_downward():
    wrong = []
    for path in modules():
        rel = path.relative_to(PACKAGE)
        here = room(rel.with_suffix("").parts)
        for target, function in imported(path):
            there = room(target)
            if there in ALLOWED[here]:
                continue
            if function is not None and (rel.as_posix(), function) in UPWARD:
                continue
            wrong.append(f"{rel.as_posix()} ({here}) imports {'.'.join(target)} ({there})"
                         + (f" in {function}()" if function else ""))
    assert not wrong, "imports pointing up:\n" + "\n".join(wrong)


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "microgrid"
    (fake / "engine").mkdir(parents=True)
    (fake / "engine" / "bad.py").write_text("from ..view.draw import draw\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(AssertionError, match="engine/bad.py"):
        test_rooms_import_only_downward()


def test_every_room_is_a_package_with_a_docstring():
    for name in ("engine", "view", "static", "cli"):
        init = PACKAGE / name / "__init__.py"
        assert init.exists(), f"microgrid/{name}/ has no __init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), name


def test_import_microgrid_loads_only_the_standard_library():
    code = ("import sys, microgrid; "
            "print(sorted({m.split('.')[0] for m in sys.modules}"
            " - set(sys.stdlib_module_names) - {'__main__'}))")
    # -S: no site-packages hooks (.pth files load modules of their own before microgrid does)
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert eval(out.stdout) == ["microgrid"]


def package_data() -> set[str]:
    """Every file in the package that is not Python source: it must ship in the wheel."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}


def test_the_wheel_ships_every_data_file(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("microgrid_autodiff-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = package_data()
    assert "microgrid/datasets/breast_cancer.csv" in expected
    assert "microgrid/py.typed" in expected  # PEP 561: type checkers read the annotations
    missing = expected - names
    assert not missing, f"the wheel lacks {sorted(missing)}: list them in package-data"
    sources = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py")}
    assert sources <= names, f"the wheel lacks {sorted(sources - names)}"
