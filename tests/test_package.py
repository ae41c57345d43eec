"""The package as a user meets it: what ``import microgrid`` loads, what tab completion shows,
and what a type checker reads."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import microgrid

ROOT = Path(__file__).resolve().parent.parent
ENGINE = {"microgrid", "microgrid.engine", "microgrid.engine.autograd",
          "microgrid.engine.gradcheck", "microgrid.engine.ops", "microgrid.engine.value"}


def engine_only(modules):
    return ENGINE <= modules and all(m == "microgrid" or m.startswith("microgrid.engine.")
                                     or m == "microgrid.engine" for m in modules)


def loaded_after(code):
    """The microgrid modules loaded after running ``code`` in a fresh interpreter."""
    script = (f"import sys\n{code}\n"
              "print(sorted(m for m in sys.modules if m.startswith('microgrid')))")
    out = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return set(eval(out.stdout.strip().splitlines()[-1]))


def test_import_microgrid_loads_the_engine_alone():
    assert engine_only(loaded_after("import microgrid"))
    assert engine_only(loaded_after("from microgrid import Value, grad, exp, no_grad, gradcheck"))


@pytest.mark.parametrize("name, module", [
    ("trace", "microgrid.static.trace"), ("TracedFunction", "microgrid.static.trace"),
    ("draw", "microgrid.view.draw"), ("GraphvizNotFound", "microgrid.view.draw"),
    ("nn", "microgrid.nn"), ("datasets", "microgrid.datasets"),
    ("explain", "microgrid.view.explain"), ("step_through", "microgrid.view.stepping"),
])
def test_the_rest_loads_on_first_use(name, module):
    loaded = loaded_after(f"import microgrid\nmicrogrid.{name}")
    assert module in loaded
    assert loaded_after(f"from microgrid import {name}") >= {module}


def test_dir_lists_the_public_names_and_submodules_not_helpers():
    names = dir(microgrid)
    for name in ("nn", "losses", "optim", "train", "datasets", "Value", "grad", "trace",
                 "draw", "__version__"):
        assert name in names, name
    for helper in ("Any", "import_module", "TYPE_CHECKING", "annotations"):
        assert helper not in names, helper
    assert all(hasattr(microgrid, name) for name in microgrid.__all__)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="module 'microgrid' has no attribute 'trac'"):
        microgrid.trac  # noqa: B018


def test_version_is_the_package_version():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert microgrid.__version__ == version


USER_SCRIPT = '''\
import microgrid as mg
from microgrid import Value


def loss(w: Value, x: float) -> Value:
    return (w * x).sigmoid()


w = Value(0.5, label="w")
out = loss(w, 2.0)
out.backward()
slope: float = w.grad
grads = mg.grad(out, [w])
picture = mg.draw(out)
f = mg.trace(lambda a, b: a * b, batch=["b"])
value = f(1.0, [2.0, 3.0])
model = mg.nn.LogisticRegression(3)
params = model.parameters()
print(mg.__version__, slope, grads, picture, value, params, mg.exp(1.0))
'''


def test_mypy_strict_reads_the_annotations_of_an_installed_microgrid(tmp_path):
    """As installed: microgrid in a site-packages (where mypy needs the py.typed marker to
    read it at all), and a user's script checked with --strict reports nothing."""
    if importlib.util.find_spec("mypy") is None:
        if os.environ.get("CI"):
            pytest.fail("mypy is not installed in CI; it is in the dev extra: "
                        "pip install -e '.[dev]'")
        pytest.skip("needs mypy: pip install mypy")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    (Path(site.stdout.strip()) / "microgrid").symlink_to(ROOT / "microgrid")
    (tmp_path / "user.py").write_text(USER_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          "--python-executable", str(python), "user.py"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0 and "Success: no issues found" in out.stdout, out.stdout
