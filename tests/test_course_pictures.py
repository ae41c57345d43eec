"""The course's graphs drawn as the course draws them: the sample x1, x2 and the label y of one
sample's logistic regression are named inputs with their values, and the picture fits a
1280×800 screen at the default settings. Read from the DOT text, and from the PNG that
``microgrid demo`` writes with real ``dot``."""

from __future__ import annotations

import re

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
