"""The course notebooks: all seven present, committed with their outputs, and each one runs top
to bottom in a fresh kernel.

A notebook is executed from an in-memory copy (the committed file is never rewritten), in
notebooks/ as its working directory, as Jupyter would run it. The kernel imports microgrid from
this checkout, so a change to the package that breaks a notebook fails here.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
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


def _outputs(nb: Any) -> list[Any]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _pictures(nb: Any) -> set[str]:
    return {kind for out in _outputs(nb) for kind in out.get("data", {}) if kind in (SVG, PNG)}


def test_the_seven_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_with_outputs_from_one_run(name):
    nb = _read(name)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), \
        f"{name}: execution counts {counts}; run it top to bottom in a fresh kernel and save"
    errors = [out for out in _outputs(nb) if out.output_type == "error"]
    assert not errors, f"{name} was saved with an error: {errors[0].get('ename')}"
    missing = EXPECTED[name] - _pictures(nb)
    assert not missing, f"{name} has no {', '.join(sorted(missing))} output"


@pytest.mark.parametrize("name", EXPECTED)
def test_outputs_show_nothing_of_the_machine(name):
    for out in _outputs(_read(name)):
        texts = [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
        texts += [v for k, v in out.get("data", {}).items() if k != PNG]
        for text in texts:
            text = "".join(text) if isinstance(text, list) else str(text)
            for private in PRIVATE:
                assert private not in text, f"{name}: an output shows {private!r}"


@pytest.mark.parametrize("name", EXPECTED)
def test_runs_top_to_bottom_in_a_fresh_kernel(name):
    for needed in NEEDS.get(name, ()):
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
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    # a failing cell raises CellExecutionError with the cell's source and traceback
    client.execute(env={**os.environ, "PYTHONPATH": pythonpath})
    missing = EXPECTED[name] - _pictures(nb)
    assert not missing, f"{name} ran but showed no {', '.join(sorted(missing))} output"
