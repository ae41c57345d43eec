"""The step-through's frames, page and GIF, read as data (the browser tests open the page).

Every number a frame shows must be the engine's: the backward frames are checked against
``backward_steps`` and ``grad``, never against a derivation of the test's own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import course_values

import microgrid as mg
from microgrid import Value
from microgrid.view.stepping import _fill, _scripted_svg

ROOT = Path(__file__).resolve().parent.parent


def course():
    J, a, b, c, u, v = course_values()
    return J, (a, b, c, u, v)


def page_data(html: str) -> dict:
    text = re.search(r'<script type="application/json" class="mg-step-data">(.*?)</script>',
                     html, re.S).group(1)
    return json.loads(text)


def final_grads(page) -> dict[str, str]:
    """Each node's exact grad after the last frame, as the page's script would compute it."""
    exact: dict[str, str] = {}
    for f in page.frames:
        exact.update(f.get("exact", {}))
    return exact


def test_frames_forward_then_backward_from_the_engines_records(dot):
    J, (a, b, c, u, v) = course()
    page = mg.step_through(J)
    phases = [f["phase"] for f in page.frames]
    steps = mg.backward_steps(J)
    assert phases == ["start"] + ["forward"] * 3 + ["seed"] + ["backward"] * len(steps) + ["end"]
    backward = [f for f in page.frames if f["phase"] == "backward"]
    ids = page_ids(page)
    for f, s in zip(backward, steps):
        assert f["focus"] == ids[s.node.label] and f["from"] == ids[s.consumer.label]
        assert f["exact"] == {f["focus"]: repr(s.after)}
        assert f["edges"], "a backward step highlights the edge it flows along"
    exact = final_grads(page)
    nodes = [a, b, c, u, v, J]
    for node, g in zip(nodes, mg.grad(J, nodes)):
        assert float(exact[ids[node.label]]) == g  # bit for bit
    forward = [f for f in page.frames if f["phase"] == "forward"]
    assert [f["data"] for f in forward] == [{ids["u"]: "data 6"}, {ids["v"]: "data 11"},
                                            {ids["J"]: "data 33"}]


def test_a_shared_node_shows_its_running_sum(dot):
    a = Value(2.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    page = mg.step_through(c)
    ids = page_ids(page)
    notes = [f["note"][ids["a"]] for f in page.frames if ids["a"] in f.get("note", {})]
    assert notes == ["grad 0 → 2 (+2)", "grad 2 → 4 (+2)"]
    assert float(final_grads(page)[ids["a"]]) == mg.grad(c, a) == 4.0


def test_a_times_a_highlights_each_operands_own_edge(dot):
    a = Value(3.0, label="a")
    J = a * a
    J.label = "J"
    page = mg.step_through(J)
    back = [f for f in page.frames if f["phase"] == "backward"]
    assert len(back) == 2 and back[0]["edges"] != back[1]["edges"]
    into = [i for i, (tail, head) in enumerate(page.edges) if tail == page_ids(page)["a"]]
    assert {back[0]["edges"][0], back[1]["edges"][0]} == set(into)


def page_ids(page) -> dict[str, str]:
    return {name: node for node, name in page.names.items()}


def test_stepping_leaves_every_grad_as_it_was(dot):
    J, nodes = course()
    J.backward()
    before = [n.grad for n in (*nodes, J)]
    mg.step_through(J).html()
    assert [n.grad for n in (*nodes, J)] == before


def test_unlabelled_nodes_get_the_names_every_view_shares(dot):
    x, y = Value(1.0), Value(2.0)
    J = (x * y).exp()
    page = mg.step_through(J)
    assert sorted(page.names.values()) == sorted(mg.read(J).names.values())
    assert set(page.names.values()) == {"x1", "x2", "t1", "J"}  # an unlabelled output is J


def test_the_svg_has_ids_and_tagged_texts_for_every_value(dot):
    J, _ = course()
    page = mg.step_through(J)
    for node in page.names:
        group = re.search(rf'<g id="mg-node-{node}" class="node" data-node="{node}">(.*?)</g>',
                          page.svg, re.S)
        assert group, node
        for cls in ("mg-name", "mg-data", "mg-grad"):
            assert f'class="{cls}"' in group.group(1), (node, cls)
    assert len(re.findall(r'class="edge" data-edge="\d+"', page.svg)) == len(page.edges)
    assert not page.svg.startswith("<?xml")


def test_svg_tagging_knows_data_and_grad_by_their_place_not_their_words():
    """A record's texts come in field order: the last two are data and grad, whatever the name
    says; a name that reads like a field stays a name."""
    svg = ('<svg width="10pt" height="5pt"><g id="graph0" class="graph">'
           '<g id="node1" class="node">\n<title>v0</title>\n<polygon/>'
           '<text x="1">grad w</text><text x="2">data 5</text><text x="3">grad 0</text></g>'
           '<g id="edge1" class="edge">\n<title>v1&#45;&gt;v0</title>\n<path/></g></g></svg>')
    out, edges = _scripted_svg(svg, {"v0", "v1"})
    assert '<text class="mg-name" x="1">grad w</text>' in out
    assert '<text class="mg-data" x="2">data 5</text>' in out
    assert '<text class="mg-grad" x="3">grad 0</text>' in out
    assert edges == [("v1", "v0")]
    start = {"data": {"v0": "data ?"}, "grad": {"v0": "grad ?"}}
    out, _ = _scripted_svg(svg, {"v0", "v1"}, start)  # the first frame, for viewers without JS
    assert '<text class="mg-name" x="1">grad w</text>' in out
    assert '<text class="mg-data" x="2">data ?</text>' in out
    assert '<text class="mg-grad" x="3">grad ?</text>' in out


def test_names_like_fields_stay_names_and_no_earlier_grad_shows(dot):
    w, x = Value(2.0, label="grad w"), Value(-1.5, label="data loss")
    J = w * x + w
    J.label = "data J"
    J.backward()  # an earlier backward() must not show before the page's backward pass
    page = mg.step_through(J)
    assert set(page.names.values()) == {"grad w", "data loss", "data J", "t1"}
    ids = page_ids(page)
    for name in ("grad w", "data loss", "data J"):
        group = re.search(rf'data-node="{ids[name]}">(.*?)</g>', page.svg, re.S).group(1)
        texts = dict((c, t) for c, t in re.findall(r'<text class="(mg-\w+)"[^>]*>(.*?)</text>',
                                                   group))
        assert texts["mg-name"] == name
        assert texts["mg-grad"] == "grad ?"  # not the .grad that backward() left
    assert page.start["grad"] == {node: "grad ?" for node in page.names}
    # the record of each Value in the DOT is written from its fields: name | data | grad
    labels = re.findall(r'label="([^"]*)"', page.drawing.source)
    assert any(lab.startswith("grad w | data 2 | grad ") for lab in labels)


def test_the_seed_writes_only_the_roots_grad(dot):
    """dJ/dJ = 1 changes J alone; the others' zeros are written in without a highlight."""
    J, (a, b, c, u, v) = course()
    page = mg.step_through(J)
    ids = page_ids(page)
    (seed,) = [f for f in page.frames if f["phase"] == "seed"]
    assert seed["grad"] == {ids["J"]: "grad 1"} and seed["focus"] == ids["J"]
    assert seed["zero"] == {ids[n]: "grad 0" for n in "abcuv"}
    assert seed["edges"] == [] and seed["line"] == "dJ/dJ = 1"


def test_every_cell_is_laid_out_for_its_widest_text(dot):
    """The DOT record of a node used twice has room for its running sum, the longest text its
    grad cell shows at any step."""
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    J = b + a
    J.label = "J"
    page = mg.step_through(J)
    notes = [f["note"][page_ids(page)["a"]] for f in page.frames if f.get("note")]
    widest = max(notes, key=len)
    assert f'label="a | data 3 | {widest}"' in page.drawing.source


def test_labels_cannot_break_out_of_the_page(dot):
    w = Value(2.0, label='</script><script>alert("x")</script> 权重 & "q"')
    J = w * 3
    J.label = "<!-- J"
    html = mg.step_through(J).html()
    data = page_data(html)
    assert '</script><script>alert("x")</script> 权重 & "q"' in data["names"].values()
    body = html[html.index("<body>"):]
    assert body.count("<script") == 2  # the JSON and the page's script, nothing from a label
    assert "<!-- J" not in html.replace("&lt;!-- J", "")


def test_template_filling_reads_nothing_twice():
    assert _fill("{{a}}-{{b}}", a="{{b}}", b="x") == "{{b}}-x"


def test_the_saved_page_is_one_file_that_fetches_nothing(dot, tmp_path):
    J, _ = course()
    path = tmp_path / "backprop.html"
    mg.step_through(J).save(path)
    html = path.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for pattern in (r"\bsrc=", r"\bhref=", r"url\(", r"@import", r"<link", r"<iframe",
                    r"fetch\(", r"XMLHttpRequest"):
        assert not re.search(pattern, html), pattern
    assert "microgridStepThrough" in html and "mg-slider" in html  # the assets are inlined


def test_each_inline_widget_has_its_own_ids(dot):
    J, _ = course()
    one, two = mg.step_through(J)._repr_html_(), mg.step_through(J)._repr_html_()
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_two = set(re.findall(r'id="([^"]+)"', two))
    assert ids_one and not ids_one & ids_two
    assert "data-standalone=\"false\"" in one


def test_bad_input_is_one_clear_line(dot, tmp_path):
    with pytest.raises(TypeError, match=r"^step_through\(\) takes a Value, not float$"):
        mg.step_through(3.0)
    with pytest.raises(ValueError, match="a is a leaf"):
        mg.step_through(Value(1.0, label="a"))
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.01
    with pytest.raises(ValueError, match="more than max_nodes=200 Values.*one sample's graph"):
        mg.step_through(y)
    assert len(mg.step_through(y, max_nodes=400).frames) > 600
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        mg.step_through(y, max_nodes=0)
    J, _ = course()
    with pytest.raises(ValueError, match=r"use a file name ending in \.html or \.gif"):
        mg.step_through(J).save(tmp_path / "x.png")


def test_repr_says_what_it_is_and_how_to_save(dot):
    J, _ = course()
    assert repr(mg.step_through(J)) == ("<step-through of 6 Values: 3 forward and 5 backward "
                                        "steps; .save('backprop.html') writes the page>")


def test_gif_has_one_image_per_frame(dot, tmp_path):
    _need_pillow()
    from PIL import Image
    J, _ = course()
    page = mg.step_through(J)
    path = tmp_path / "backprop.gif"
    page.save(path)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == len(page.frames)
        assert im.info.get("loop") == 0
        frames = []
        for k in (0, 5, len(page.frames) - 1):
            im.seek(k)
            frames.append(im.convert("RGB"))
            frames[-1].save(tmp_path / f"frame-{k}.png")
    assert frames[0].tobytes() != frames[1].tobytes() != frames[2].tobytes()
    # the highlight red of a backward step is on frame 5 and on no frame of the start
    red = (0xD6, 0x27, 0x28)
    assert _has(frames[1], red) and not _has(frames[0], red)


def _has(image, colour) -> bool:
    colours = image.getcolors(maxcolors=1 << 24)
    return any(max(abs(p - q) for p, q in zip(px, colour)) < 8 for _, px in colours)


def test_cli_step_writes_the_page(dot, tmp_path):
    out = tmp_path / "backprop.html"
    run = subprocess.run([sys.executable, "-m", "microgrid", "step", "3*(a+b*c)", "a=5", "b=3",
                          "c=2", "-o", str(out)], capture_output=True, text=True, cwd=ROOT,
                         env={**_env(), "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out}")
    data = page_data(out.read_text(encoding="utf-8"))
    assert set(data["names"].values()) == {"a", "b", "c", "t1", "t2", "J"}
    assert data["frames"][-1]["line"] == "dJ/da = 3, dJ/db = 6, dJ/dc = 9"


@pytest.mark.parametrize("args, message", [
    (["a", "a=1", "-o", "x.html"], "just the variable a"),
    (["3+4", "-o", "x.html"], "no variable"),
    (["a*b", "a=1", "b=2", "-o", "x.png"], "ending in .html or .gif"),
    (["a*b", "a=1", "-o", "x.html"], "no value for b"),
])
def test_cli_step_bad_input_is_one_line_exit_2(tmp_path, args, message):
    run = subprocess.run([sys.executable, "-m", "microgrid", "step", *args], capture_output=True,
                         text=True, cwd=tmp_path, env={**_env(), "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and message in run.stderr, run.stderr


def _env() -> dict[str, str]:
    return dict(os.environ)


def test_inf_and_nan_show_as_the_engine_computes_them(dot):
    x = Value(0.0, label="x")
    J = x.log() * 2  # log(0) = -inf; its local derivative 1/x = inf
    J.label = "J"
    page = mg.step_through(J)
    html = page.html()  # strict JSON inside: a stray float inf would have raised
    assert "data -inf" in json.dumps(page_data(html)["frames"], ensure_ascii=False)
    assert final_grads(page)[page_ids(page)["x"]] == repr(mg.grad(J, x)) == "inf"


def test_a_gif_of_too_many_steps_is_refused_in_one_line(dot, tmp_path):
    x = Value(1.0, label="x")
    y = x
    for _ in range(80):
        y = y * 1.01
    with pytest.raises(ValueError, match=r"more than a GIF's 150; save it as \.html"):
        mg.step_through(y).save(tmp_path / "long.gif")


def test_a_node_no_gradient_reaches_reads_0(dot):
    w, x = Value(2.0, label="w"), Value(-1.0, label="x")
    J = (w * x).relu()  # relu at a negative input passes nothing back
    J.label = "J"
    page = mg.step_through(J)
    exact = final_grads(page)
    ids = page_ids(page)
    assert [float(exact[ids[k]]) for k in ("w", "x")] == mg.grad(J, [w, x]) == [0.0, 0.0]
    assert page.frames[-1]["line"] == "dJ/dw = 0, dJ/dx = 0"


def _every_op(x: Value, y: Value) -> dict[str, Value]:
    """One small graph per op of the table, with a number operand on either side too."""
    return {"add": x + y, "sub": 2 - x, "mul": x * 3, "div": x / y, "pow": x ** y,
            "neg": -x, "exp": x.exp(), "log": x.log(), "sigmoid": x.sigmoid(),
            "tanh": x.tanh(), "relu": x.relu(), "step": (x * y).step() + x,
            "stop_gradient": x.detach() * y + x, "gate": (x * y).gate(x - 1.5) + x.gate(y)}


def test_every_op_steps_through_with_the_engines_grads(dot):
    x, y = Value(1.5, label="x"), Value(0.5, label="y")
    graphs = _every_op(x, y)
    made = {v.op for J in graphs.values() for v in mg.topological_order(J) if v.op}
    assert made == set(mg.OPS), "a new op needs a graph here"
    for name, J in graphs.items():
        page = mg.step_through(J)
        ids = page_ids(page)
        exact = final_grads(page)
        for leaf in (x, y):
            if leaf.label in ids:
                assert float(exact[ids[leaf.label]]) == mg.grad(J, leaf), (name, leaf.label)
        back = [f for f in page.frames if f["phase"] == "backward"]
        assert len(back) == len(mg.backward_steps(J)), name
        assert all(f["line"] for f in page.frames), name


def test_cli_step_writes_a_gif(dot, tmp_path):
    _need_pillow()
    out = tmp_path / "backprop.gif"
    run = subprocess.run([sys.executable, "-m", "microgrid", "step", "sigmoid(w*x+b)", "w=0.5",
                          "x=2", "b=-1", "-o", str(out)], capture_output=True, text=True,
                         cwd=ROOT, env={**_env(), "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert out.read_bytes()[:6] == b"GIF89a"


def _need_pillow() -> None:
    """Pillow paints the GIF: CI installs it (the gif extra), so there it must be present."""
    if importlib.util.find_spec("PIL") is None:
        if os.environ.get("CI"):
            pytest.fail("Pillow is missing in CI: python -m pip install -e '.[gif]'")
        pytest.skip("the GIF needs Pillow: python -m pip install -e '.[gif]'")
