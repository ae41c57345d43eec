"""The derivation, the drawings and the engine's errors in Chinese, as a learner meets them.

``explain`` writes its connecting words in the course's Chinese (the mathematics stays
mathematics) in text, Markdown and LaTeX, and ``lang="en"`` wins over ``set_language("zh")``;
``draw``'s legend and edge labels are Chinese in the DOT and in the rendered picture (the PDF
embeds the CJK font only when there is Chinese to show); the engine's own errors (no_grad, a
branch in a traced function, comparisons) and every view's refusal of an oversized graph are
whole Chinese sentences, each view its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_engine_alone import engine_alone
from test_pictures import PNG_MAGIC, cjk_font  # noqa: F401  (a fixture)

import microgrid as mg
from microgrid import Value
from microgrid.i18n import language, set_language
from microgrid.view.tree import tree

CJK = re.compile(r"[\u4e00-\u9fff]")


# each test starts from no language chosen and an English environment (conftest.py)
pytestmark = pytest.mark.usefixtures("english_environment")


def masked() -> Value:
    """J = relu(a·b) + 2a at a = -5: the relu passes no gradient back, so the words show."""
    a, b = Value(-5.0, label="a"), Value(3.0, label="b")
    h = (a * b).relu()
    h.label = "h"
    J = h + a * 2
    J.label = "J"
    return J


def running_sum(n: int = 12) -> Value:
    x = Value(2.0, label="x")
    s = Value(0.0, label="s")
    for i in range(n):
        s = s + x * i
    return s


# --- explain -------------------------------------------------------------------------------


def test_explain_speaks_chinese_and_the_mathematics_stays():
    english = mg.explain(masked())
    set_language("zh")
    chinese = mg.explain(masked())
    assert "dJ/dt1 = 0（h = ReLU(t1) 不把梯度传回这里）" in chinese.backward
    assert "dJ/dt1 = 0 (h = ReLU(t1) passes no gradient back here)" in english.backward
    # the same derivation: every line without words is the same in both languages
    assert chinese.forward == english.forward
    plain = [line for line in english.backward if "(" not in line or "passes" not in line]
    assert plain and all(line in chinese.backward for line in plain)
    long = next(line for line in mg.explain(running_sum()).backward if line.startswith("dJ/dx"))
    assert "……（还有 8 项）……" in long and "more" not in long


def test_lang_en_wins_over_set_language_and_an_explanation_keeps_its_language():
    set_language("zh")
    english = mg.explain(masked(), lang="en")
    assert not any(CJK.search(line) for line in english.backward)
    assert "passes no gradient back here" in str(english)
    chinese = masked().explain()  # Value.explain follows the setting too
    set_language(None)  # made in Chinese, its LaTeX and Markdown stay Chinese
    tex = chinese.to_latex()
    assert r"\text{（}h = \operatorname{ReLU}(t_{1})\text{ 不把梯度传回这里}\text{）}" in tex
    assert "不把梯度传回这里" in chinese.to_markdown() == chinese._repr_markdown_()
    assert "passes" in english.to_latex() and not CJK.search(english.to_latex())
    assert CJK.search(masked().explain(lang="zh").to_latex())
    long = mg.explain(running_sum(), lang="zh").to_latex()
    assert r"\ldots \text{ （还有 8 项） } \ldots" in long


def test_explain_refuses_in_the_language_asked():
    with pytest.raises(ValueError, match=r"^计算图有 602 个 Value，超过了 max_nodes=200；"
                                         r"请用 nodes=\[\.\.\.\] 只推导选定的节点"):
        mg.explain(running_sum(300), lang="zh")
    with pytest.raises(ValueError, match="^the graph has 602 Values, more than max_nodes=200;"):
        with language("zh"):
            mg.explain(running_sum(300), lang="en")
    with pytest.raises(ValueError, match=r"^explain\(\)：根节点是叶子节点"):
        mg.explain(Value(1.0), lang="zh")
    with pytest.raises(ValueError, match=r"^explain\(\)：J 的计算图里没有标签为 'q' 的节点；"
                                         r"它的标签有 a, b, h, J"):
        mg.explain(masked(), nodes=["q"], lang="zh")
    with pytest.raises(ValueError, match="no catalog for the language 'fr'"):
        mg.explain(masked(), lang="fr")


def test_the_step_through_lines_come_out_in_the_pages_language():
    """The page's derivation lines are explain's: language-free mathematics, the same in both
    pages; the page's own words around them are Chinese."""
    J = masked()
    J.backward()
    zh, en = mg.step_through(J, lang="zh"), mg.step_through(J, lang="en")
    derivation = [k for k, f in enumerate(en.frames) if f["phase"] in ("forward", "backward")]
    assert len(derivation) >= 9
    assert [zh.frames[k]["line"] for k in derivation] == [en.frames[k]["line"] for k in derivation]
    assert zh.frames[-1]["title"] == "完成" and en.frames[-1]["title"] != "完成"
    assert not any(CJK.search(f["line"] or "") for f in en.frames)


# --- draw ----------------------------------------------------------------------------------


def test_the_grad_legend_and_no_flow_label_are_chinese_in_the_dot():
    J = masked()
    J.backward()
    with language("zh"):
        source = mg.draw(J, color="grad", show_local=True).source
        english = mg.draw(J, color="grad", show_local=True, lang="en").source
    assert "<b>|grad|</b>（对数刻度）" in source and "恰好为 0：没有梯度" in source
    assert re.search(r"\d 至 \d", source) and "∂h/∂t1：梯度不回传" in source
    assert "(log scale)" in english and "exactly 0: no gradient" in english
    assert "∂h/∂t1: no flow" in english and not CJK.search(english)
    model = mg.nn.MLP(2, [3, 1], seed=0)
    out = model([Value(1.0, label="x1"), Value(2.0, label="x2")])
    assert "3 个神经元：ReLU(w·x + b)" in mg.draw(out, group="layer", lang="zh").source


def test_the_chinese_legend_renders_with_the_cjk_font(dot, cjk_font, tmp_path):  # noqa: F811
    """Only the legend and an edge label are Chinese here (the labels are Latin): the PDF
    embeds the CJK font in Chinese and not in English, and the PNG is a picture."""
    J = masked()
    J.backward()
    chinese = mg.draw(J, color="grad", show_local=True, lang="zh")
    english = mg.draw(J, color="grad", show_local=True, lang="en")
    assert b"NotoSansCJK" in chinese.pipe(format="pdf")
    assert b"NotoSansCJK" not in english.pipe(format="pdf")
    mg.draw(J, color="grad", show_local=True, lang="zh", path=tmp_path / "图例.png")
    assert (tmp_path / "图例.png").read_bytes().startswith(PNG_MAGIC)
    if os.environ.get("MICROGRID_SHOTS"):  # to look at
        folder = Path(os.environ["MICROGRID_SHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "zh-legend.png").write_bytes((tmp_path / "图例.png").read_bytes())


def test_draws_one_line_errors_in_chinese(tmp_path):
    J = masked()
    with pytest.raises(ValueError, match=r"^color 必须是 'kind'.*不能是 'blue'$"):
        mg.draw(J, color="blue", lang="zh")
    with pytest.raises(ValueError, match=r"^无法判断 '.*x\.gif' 的格式：请用以 \.png"):
        mg.draw(J, path=tmp_path / "x.gif", lang="zh")
    with pytest.raises(ValueError, match=r"^color must be 'kind'"):
        with language("zh"):
            mg.draw(J, color="blue", lang="en")


# --- every view's refusal of an oversized graph ----------------------------------------------


@pytest.mark.parametrize("view, can, do", [
    (lambda g: mg.draw(g, max_nodes=10, lang="zh"), "画出", "画"),
    (lambda g: tree(g, max_nodes=10, lang="zh"), "打印", "打印"),
    (lambda g: mg.step_through(g, max_nodes=10, lang="zh"), "逐步演示", "逐步演示"),
])
def test_an_oversized_graph_is_refused_in_one_chinese_sentence_per_view(view, can, do):
    with pytest.raises(ValueError) as caught:
        view(running_sum(10))
    message = str(caught.value)
    assert "\n" not in message
    assert message == (f"计算图有 22 个 Value，超过了可{can}的 max_nodes=10 个；请{do}单个样本的"
                       "计算图（例如一个样本的损失），或调大 max_nodes")


def test_each_view_has_its_own_whole_sentence_in_english_too():
    for view, doing in ((mg.draw, "draw"), (tree, "print"), (mg.step_through, "step through")):
        with pytest.raises(ValueError) as caught:
            view(running_sum(10), max_nodes=10)
        assert str(caught.value) == (
            f"the graph has 22 Values, more than max_nodes=10 Values to {doing}; {doing} one "
            "sample's graph (e.g. the loss of a single example), or raise max_nodes")


def test_a_label_that_is_not_text_is_refused_in_chinese():
    v = Value(1.0) * 2
    v.label = 7
    with pytest.raises(TypeError, match=r"^Value 的标签必须是 str，不能是 int（7）"):
        tree(v, lang="zh")


# --- the engine ----------------------------------------------------------------------------


def test_the_engines_no_grad_error_in_chinese():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    with mg.no_grad():
        y = a * b
    set_language("zh")
    with pytest.raises(RuntimeError, match=r"^backward\(\)：这个 Value 是在 no_grad\(\) 里算出"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"^grad\(\)：这个 Value 是在 no_grad\(\) 里"):
        mg.grad(y, [a])
    with pytest.raises(TypeError, match=r"^Value 之间不能用 < > <= >= 比较；请比较它们的 \.data$"):
        a < b  # noqa: B015
    with pytest.raises(TypeError, match=r"^Value 的真假没有明确含义"):
        bool(a)
    with pytest.raises(TypeError, match=r"^Value\(\) 接受实数（int、float、bool），不接受 str$"):
        Value("3")
    with pytest.raises(TypeError, match=r"^请写 `with mg.no_grad\(\):`，要带括号"):
        with mg.no_grad:  # type: ignore[attr-defined]
            pass
    set_language("en")
    with pytest.raises(RuntimeError, match=r"^backward\(\): this Value was computed inside"):
        y.backward()


def test_a_traced_branch_is_refused_in_chinese_naming_the_line():
    def loss(w, x, y):
        z = w * x
        if y > 0.5:
            return -z
        return z

    f = mg.trace(loss)
    with pytest.raises(TypeError) as caught:
        with language("zh"):
            f(0.5, 2.0, 1.0)
    line = loss.__code__.co_firstlineno + 2
    assert str(caught.value).startswith(f"依赖数据的控制流无法追踪：loss 在 loss() 第 {line} 行"
                                        "判断或比较了一个被追踪的 Value")
    assert "静态图只记录一条路径" in str(caught.value)
    with pytest.raises(TypeError, match=rf"compares a traced Value in loss\(\), line {line} "):
        f(0.5, 2.0, 1.0)


def test_the_engine_alone_speaks_chinese_from_the_catalog_beside_it(tmp_path):
    """Loaded as a package of its own, the engine still finds microgrid/locale next to it."""
    script = engine_alone("""
        with engine.no_grad():
            y = engine.Value(2.0) * 3
        try:
            y.backward()
        except RuntimeError as err:
            print(err)
    """)
    env = {**os.environ, "MICROGRID_LANG": "zh", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, cwd=tmp_path,
                         env=env)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    assert out.stdout.decode("utf-8").startswith("backward()：这个 Value 是在 no_grad() 里算出来的")


def test_fit_and_the_optimizer_refuse_in_chinese():
    model = mg.nn.LogisticRegression(2)
    with language("zh"):
        with pytest.raises(ValueError, match=r"^X 有 2 个样本，而 y 有 3 个标签$"):
            mg.train.fit(model, [[1.0, 2.0], [3.0, 4.0]], [1, 0, 1],
                         mg.losses.binary_cross_entropy, mg.optim.SGD(model.parameters(), 0.1),
                         epochs=1)
        with pytest.raises(ValueError, match=r"^模型要求每个样本有 2 个特征，实际是 3 个$"):
            model([1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match=r"^优化器拿到的参数列表是空的$"):
            mg.optim.SGD([], lr=0.1)
        with pytest.raises(ValueError, match=r"^binary_cross_entropy：p 必须是 \[0, 1\] 中的概率"):
            mg.losses.binary_cross_entropy(Value(1.5), 1.0)


def test_the_batch_formulas_note_in_chinese():
    def logistic(w, b, x, y):
        a = (w[0] * x[0] + w[1] * x[1] + b).sigmoid()
        return -(y * a.log() + (1 - y) * (1 - a).log())

    f = mg.trace(logistic, batch=["x", "y"])
    f([0.1, 0.2], 0.0, [[1.0, 2.0], [0.5, -1.0]], [1.0, 0.0])
    english = f.formulas(batch=True).note
    with language("zh"):
        chinese = f.formulas(batch=True).note
    assert english.startswith("m samples, one per column (X is 2×m; Y and each per-sample")
    assert chinese.startswith("m 个样本，每列一个（X 是 2×m；Y 以及每个逐样本的量都是 1×m 的"
                              "行向量）")


def test_fits_history_and_data_errors_in_chinese():
    model = mg.nn.LogisticRegression(2)
    X, y = [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], [1, 0, 1]
    h = mg.train.fit(model, X, y, mg.losses.binary_cross_entropy,
                     mg.optim.SGD(model.parameters(), 0.1), epochs=3, batch_size=2,
                     progress=False)
    english = repr(h)
    assert english == (f"History(3 epochs of 2 steps, batch_size=2, final loss "
                       f"{h.epoch_loss[-1]:.6g})")
    with language("zh"):
        chinese = repr(h)
        assert repr(mg.train.History()) == "History(共 0 轮，每轮 0 步，batch_size=0)"
        with pytest.raises(ValueError, match=r"^X 的各行长度必须相同：X\[0\] 有 2 个特征，"
                                             r"X\[1\] 却有 1 个$"):
            mg.train.predict(model, [[1.0, 2.0], [3.0]])
    assert chinese == (f"History(共 3 轮，每轮 2 步，batch_size=2，最终损失 "
                       f"{h.epoch_loss[-1]:.6g})")


def test_the_missing_font_warning_in_chinese(monkeypatch):
    from microgrid.view import fonts

    def no_font_has_them():
        monkeypatch.setattr(fonts, "_has_fontconfig", lambda: True)
        monkeypatch.setattr(fonts, "_covered", lambda chars: [])
        monkeypatch.setattr(fonts, "_checked", {})
        monkeypatch.setattr(fonts, "_warned", False)

    no_font_has_them()
    with pytest.warns(fonts.MissingGlyphWarning) as english:
        assert fonts.check_labels(["ᚠᚢ"]) == ["ᚠ", "ᚢ"]
    no_font_has_them()
    with language("zh"), pytest.warns(fonts.MissingGlyphWarning) as chinese:
        fonts.check_labels(["ᚠᚢ"])
    assert str(english[0].message) == (
        "no installed font has the characters 'ᚠᚢ' of a label, so PNG and PDF show them as "
        "boxes; install a font that has them, e.g. Noto CJK for Chinese: apt install "
        "fonts-noto-cjk, dnf install google-noto-sans-cjk-fonts, brew install --cask "
        "font-noto-sans-cjk (other scripts: the fonts-noto package)")
    assert str(chinese[0].message) == (
        "已安装的字体都没有标签中的字符 'ᚠᚢ'，PNG 和 PDF 会把它们显示成方框；请安装含有这些字符的"
        "字体，中文可用 Noto CJK：apt install fonts-noto-cjk、dnf install "
        "google-noto-sans-cjk-fonts 或 brew install --cask font-noto-sans-cjk（其他文字可装 "
        "fonts-noto 软件包）")


def test_traces_argument_errors_in_chinese():
    def J(a, b, c):
        return 3 * (a + b * c)

    with language("zh"):
        with pytest.raises(TypeError, match=r"^wrt 需要一个由参数名或参数位置组成的列表，"
                                            r"例如 wrt=\['a'\]$"):
            mg.trace(J, wrt="a")
        with pytest.raises(ValueError, match=r"^batch：J 没有参数 'x'（它的参数是 "
                                             r"\['a', 'b', 'c'\]）$"):
            mg.trace(J, batch=["x"])
        f = mg.trace(J, wrt=[5])
        with pytest.raises(ValueError, match=r"^wrt：J 只有 3 个参数，没有位置为 5 的参数$"):
            f.grad(5.0, 3.0, 2.0)
    with pytest.raises(ValueError, match=r"^wrt: J has 3 arguments, no 5$"):
        f.grad(5.0, 3.0, 2.0)


def test_state_dicts_and_exercises_refuse_in_chinese():
    model = mg.nn.MLP(2, [3, 1], seed=0)
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    with language("zh"):
        with pytest.raises(ValueError, match=r"^load_state_dict\(\)：state 与 MLP 不匹配：缺少 "):
            model.load_state_dict({})
        with pytest.raises(ValueError, match=r"^load_state_dict\(\)：这个 state 对应 2 个参数，"
                                             r"而这个优化器有 13 个$"):
            opt.load_state_dict({**opt.state_dict(), "parameters": 2})
        with pytest.raises(TypeError, match=r"^exercise\(\)：seed 必须是 int，不能是 str$"):
            mg.exercise("chain", seed="1")
    with pytest.raises(TypeError, match=r"^exercise\(\): seed must be an int, not str$"):
        mg.exercise("chain", seed="1")


def test_the_playgrounds_syntax_error_names_the_line_in_chinese():
    import json

    from microgrid.playground.runner import run

    assert json.loads(run("x = (", lang="zh"))["error"]["line"].endswith("（第 1 行）")
    assert json.loads(run("x = (", lang="en"))["error"]["line"].endswith(" (line 1)")
