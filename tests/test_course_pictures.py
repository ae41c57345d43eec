"""The course's graphs drawn as the course draws them: the sample x1, x2 and the label y of one
sample's logistic regression are named inputs with their values, and the picture fits a
1280×800 screen at the default settings. Read from the DOT text, and from the PNG that
``microgrid demo`` writes with real ``dot``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import microgrid as mg
from microgrid import Value
from microgrid.cli.commands import _demo_logistic, _demo_pictures
from microgrid.view.draw import draw


def records(source: str) -> dict[str, list[str]]:
    """name -> the fields of its record, for every record of a drawing's DOT text."""
    out = {}
    for label in re.findall(r'^\t\w+ \[label="((?:[^"\\]|\\.)*)".*shape=record', source,
                            flags=re.M):
        fields = [f.strip() for f in label.split(" | ")]
        out[fields[0]] = fields
    return out


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_demos_logistic_regression_png_shows_the_sample_and_fits_a_screen(dot, tmp_path,
                                                                               capsys):
    L = _demo_logistic()
    _demo_pictures(tmp_path, {"logistic_regression": (L, {})})
    assert "wrote" in capsys.readouterr().out
    fields = records(draw(L).source)
    # x1, x2 and y are inputs of their own, with their values: dw1 = x1·dz reads off the picture
    assert fields["x1"][:2] == ["x1", "data 1"]
    assert fields["x2"][:2] == ["x2", "data 2"]
    assert fields["y"][:2] == ["y", "data 1"]
    assert {"w1", "w2", "b", "z", "a", "L"} <= set(fields)
    width, height = png_size((tmp_path / "logistic_regression.png").read_bytes())
    assert width <= 1280 and height <= 800, (width, height)
    assert min(width, height) > 400  # fitted, not shrunk to a stamp


def test_a_number_operand_stays_folded_into_its_op(dot):
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    J = 3 * (a + b * c)
    J.label = "J"
    source = draw(J).source
    assert re.search(r'label="× 3"', source)  # 3 is no input of its own
    assert set(records(source)) == {"a", "b", "c", "t1", "t2", "J"}
    # small: drawn at its own size
    assert "rankdir=LR" in source and not re.search(r"\bsize=", source)


def test_an_explicit_direction_is_never_shrunk(dot):
    L = _demo_logistic()
    source = draw(L, rankdir="LR").source
    assert "rankdir=LR" in source and not re.search(r"\bsize=", source)


def _notebook(name: str):
    import nbformat

    path = Path(__file__).resolve().parent.parent / "notebooks" / name
    return nbformat.read(path, as_version=4)


def _svgs(cell) -> list[str]:
    return [o["data"]["image/svg+xml"] for o in cell.get("outputs", [])
            if "image/svg+xml" in o.get("data", {})]


def test_notebook_08_shows_the_slip_with_the_engines_grads():
    """The picture after "the graph shows the slip" is drawn after backward(): b's grad is the
    sum of both paths, 4, where the hand derivation said 2; and the notebook uses only the
    public API."""
    nb = _notebook("08_backprop_step_by_step.ipynb")
    at = next(i for i, c in enumerate(nb.cells)
              if c.cell_type == "markdown" and "shows the slip" in c.source)
    cell = nb.cells[at + 1]
    assert "backward()" in cell.source
    (svg,) = _svgs(cell)
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    J = 2 * ((a * b + c) + b)
    texts = re.findall(r">([^<>]+)</text>", svg)
    b_at = texts.index("b")
    assert texts[b_at + 1:b_at + 3] == ["data 2", f"grad {mg.grad(J, b):g}"] == \
        ["data 2", "grad 4"]
    for code in (c.source for c in nb.cells if c.cell_type == "code"):
        assert "microgrid.view" not in code, code


@pytest.mark.parametrize("name", ["02_logistic_regression_one_sample.ipynb",
                                  "08_backprop_step_by_step.ipynb"])
def test_the_notebooks_logistic_regression_shows_x1_x2_and_y(name):
    nb = _notebook(name)
    pictures = [svg for c in nb.cells if c.cell_type == "code" for svg in _svgs(c)
                if ">w1<" in svg]
    assert pictures
    for svg in pictures:
        texts = re.findall(r">([^<>]+)</text>", svg)
        assert {"x1", "x2", "y", "w1", "w2", "b"} <= set(texts)
