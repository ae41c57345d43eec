"""The course notebooks: all present, committed with their outputs, and each one runs top to
bottom in a fresh kernel; the same for their Chinese editions in notebooks/zh/, whose code is the
English code plus ``mg.set_language("zh")``.

A notebook is executed from an in-memory copy (the committed file is never rewritten), in
notebooks/ as its working directory, as Jupyter would run it. The kernel imports microgrid from
this checkout, so a change to the package that breaks a notebook fails here.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

SVG, PNG = "image/svg+xml", "image/png"
# each notebook, in reading order, with the kinds of picture it must show: SVG for a graph that
# microgrid.draw renders, PNG for a matplotlib figure
EXPECTED = {
    "01_computation_graph.ipynb": {SVG},
    "02_logistic_regression_one_sample.ipynb": {SVG},
    "03_m_samples_vectorization.ipynb": {PNG},
    "04_gradient_descent_variants.ipynb": {PNG},
    "05_activation_functions.ipynb": {PNG, SVG},
    "06_two_layer_network.ipynb": {PNG, SVG},
    "07_static_vs_dynamic.ipynb": {SVG},
    "08_backprop_step_by_step.ipynb": {SVG},
    "09_graduating.ipynb": {PNG},
    "10_practice.ipynb": {SVG},
}
# what a notebook needs beyond the dev extra: in CI a missing one fails, elsewhere it skips
NEEDS = {"09_graduating.ipynb": ("torch", "jax")}
# the notebooks with a Chinese edition, notebooks/zh/<the same name>
CHINESE = ("01_computation_graph.ipynb", "02_logistic_regression_one_sample.ipynb",
           "03_m_samples_vectorization.ipynb", "04_gradient_descent_variants.ipynb",
           "05_activation_functions.ipynb", "06_two_layer_network.ipynb",
           "07_static_vs_dynamic.ipynb", "08_backprop_step_by_step.ipynb",
           "09_graduating.ipynb", "10_practice.ipynb")
EDITIONS = [*EXPECTED, *(f"zh/{name}" for name in CHINESE)]  # paths under notebooks/
SET_CHINESE = 'mg.set_language("zh")'
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)  # $$display$$ and $inline$ formulas
# text that would reveal the machine a notebook was run on
PRIVATE = ("/work", "/tmp", "/root", "/home/", "/Users/", "ipykernel_", "C:\\")
CELL_TIMEOUT = 120  # seconds; every notebook takes well under a minute in total


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.fail(f"running the notebooks needs {name}: python -m pip install -e '.[dev]'")


def _read(name: str) -> Any:
    return _module("nbformat").read(NOTEBOOKS / name, as_version=4)


def _expected(path: str) -> set[str]:
    """The pictures a notebook must show, the same in either edition."""
    return EXPECTED[Path(path).name]


def _outputs(nb: Any) -> list[Any]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _pictures(nb: Any) -> set[str]:
    return {kind for out in _outputs(nb) for kind in out.get("data", {}) if kind in (SVG, PNG)}


def test_the_seven_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EDITIONS)
def test_committed_with_outputs_from_one_run(name):
    nb = _read(name)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), \
        f"{name}: execution counts {counts}; run it top to bottom in a fresh kernel and save"
    errors = [out for out in _outputs(nb) if out.output_type == "error"]
    assert not errors, f"{name} was saved with an error: {errors[0].get('ename')}"
    missing = _expected(name) - _pictures(nb)
    assert not missing, f"{name} has no {', '.join(sorted(missing))} output"


@pytest.mark.parametrize("name", EDITIONS)
def test_outputs_show_nothing_of_the_machine(name):
    for out in _outputs(_read(name)):
        texts = [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
        texts += [v for k, v in out.get("data", {}).items() if k != PNG]
        for text in texts:
            text = "".join(text) if isinstance(text, list) else str(text)
            for private in PRIVATE:
                assert private not in text, f"{name}: an output shows {private!r}"


@pytest.mark.parametrize("name", EDITIONS)
def test_runs_top_to_bottom_in_a_fresh_kernel(name):
    for needed in NEEDS.get(Path(name).name, ()):
        if importlib.util.find_spec(needed) is None:
            how = f'{name} needs {needed}: python -m pip install -e ".[dev,torch,jax]"'
            if os.environ.get("CI"):
                pytest.fail(how)
            pytest.skip(how)
    nbclient = _module("nbclient")
    nb = _read(name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    folder = str((NOTEBOOKS / name).parent)  # notebooks/ or notebooks/zh/, as Jupyter runs it
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": folder}})
    # a failing cell raises CellExecutionError with the cell's source and traceback
    client.execute(env={**os.environ, "PYTHONPATH": pythonpath})
    missing = _expected(name) - _pictures(nb)
    assert not missing, f"{name} ran but showed no {', '.join(sorted(missing))} output"


def test_the_chinese_editions_are_there():
    assert sorted(p.name for p in (NOTEBOOKS / "zh").glob("*.ipynb")) == sorted(CHINESE)
    assert set(CHINESE) <= set(EXPECTED)


def _code(nb: Any) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", CHINESE)
def test_a_chinese_edition_is_the_english_code_with_chinese_prose(name):
    english, chinese = _read(name), _read(f"zh/{name}")
    code, zh_code = _code(english), _code(chinese)
    assert SET_CHINESE in zh_code[0], f"zh/{name}: its first code cell must {SET_CHINESE}"
    first = [line for line in zh_code[0].splitlines()
             if line.strip() and SET_CHINESE not in line
             and (line != "import microgrid as mg" or line in code[0].splitlines())]
    assert first == [line for line in code[0].splitlines() if line.strip()], \
        f"zh/{name}: the first code cell differs from the English one; translate it again"
    assert zh_code[1:] == code[1:], \
        f"zh/{name}: the code differs from notebooks/{name}; bring the Chinese edition up to date"
    prose = [cell.source for cell in chinese.cells if cell.cell_type == "markdown"]
    originals = [cell.source for cell in english.cells if cell.cell_type == "markdown"]
    assert len(prose) == len(originals)
    for text, original in zip(prose, originals):  # the mathematics stays, in any word order
        assert sorted(MATH.findall(text)) == sorted(MATH.findall(original)), \
            f"zh/{name}: the formulas differ from the English cell {original[:60]!r}"
    for text in prose:
        chinese_text = any("\u4e00" <= c <= "\u9fff" for c in text)
        assert chinese_text, f"zh/{name}: untranslated: {text[:60]!r}"
