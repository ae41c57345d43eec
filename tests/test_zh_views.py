"""The views in Chinese, as a learner meets them: the step-through page and its quiz opened in
headless Chromium (network off) at 1280×800, the grader's reports and the exercises, the GIF's
captions, the command line through a GBK (cp936) or UTF-8 pipe and the playground's runner.

English stays the default, ``lang=`` on a view wins over ``set_language``, and a page or a
report keeps the language it was made in. Screenshots of the Chinese pages are saved in the
tests' temporary folder (``MICROGRID_SHOTS=DIR`` saves them there too, to look at).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import course_values
from test_stepping_browser import _errors, _open, _state, browser  # noqa: F401  (a fixture)
from test_stepping_fit import WALK, logistic

import microgrid as mg
from microgrid import Value, i18n
from microgrid.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent


# each test starts from no language chosen and an English environment (conftest.py)
pytestmark = pytest.mark.usefixtures("english_environment")


def course() -> Value:
    return course_values()[0]


def _shot(driver, tmp_path: Path, name: str) -> None:
    driver.save_screenshot(str(tmp_path / name))
    if os.environ.get("MICROGRID_SHOTS"):
        folder = Path(os.environ["MICROGRID_SHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / name, folder / name)


def _screen(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


CONTROLS = """
const root = document.querySelector(".mg-step");
const out = {lang: document.documentElement.lang, widget: root.getAttribute("lang"),
             help: document.querySelector(".mg-help summary").textContent,
             counter: root.querySelector(".mg-counter").textContent,
             phase: root.querySelector(".mg-phase").textContent};
for (const c of ["mg-first", "mg-prev", "mg-play", "mg-next", "mg-last", "mg-zoom-fit",
                 "mg-slider"]) {
  const el = root.querySelector("." + c);
  out[c] = {label: el.getAttribute("aria-label"), title: el.getAttribute("title"),
            text: el.textContent};
}
return out;
"""


# --- the step-through page ---------------------------------------------------------------------


def test_the_page_in_chinese_labels_its_controls_and_shows_the_engines_numbers(browser,  # noqa: F811
                                                                            tmp_path):
    J = course()
    page = mg.step_through(J, lang="zh")
    path = tmp_path / "反向传播.html"
    page.save(path)
    assert _open(browser, path) == [path.resolve().as_uri()]  # nothing else is fetched
    shown = browser.execute_script(CONTROLS)
    assert shown["lang"] == "zh" and shown["widget"] == "zh" and shown["help"] == "怎么看"
    assert shown["mg-next"] == {"label": "下一步", "title": "下一步（→）", "text": "▶"}
    assert shown["mg-prev"]["label"] == "上一步" and shown["mg-first"]["label"] == "从头开始"
    assert shown["mg-last"]["label"] == "跳到最后" and shown["mg-play"]["text"] == "▶ 播放"
    assert shown["mg-play"]["title"] == "播放/暂停（空格）"
    assert shown["mg-zoom-fit"]["text"] == "适应窗口" and shown["mg-slider"]["label"] == "步骤"
    total = len(page.frames) - 1
    assert shown["counter"] == f"第 0 步 / 共 {total} 步" and shown["phase"] == "开始"
    assert browser.find_element("css selector", "h1").text == "J 的前向传播与反向传播"

    browser.find_element("css selector", ".mg-play").click()  # the button says what it does
    assert browser.find_element("css selector", ".mg-play").get_attribute("aria-label") == "暂停"
    browser.find_element("css selector", ".mg-play").click()
    assert browser.find_element("css selector", ".mg-play").text == "▶ 播放"

    backward = [k for k, f in enumerate(page.frames) if f["phase"] == "backward"]
    browser.execute_script("""const s = document.querySelector(".mg-slider");
                              s.value = arguments[0]; s.dispatchEvent(new Event("input"));""",
                           backward[2])
    caption = browser.find_element("css selector", ".mg-phase").text
    assert caption == f"反向传播第 3 步（共 {len(backward)} 步）"
    assert browser.find_element("css selector", ".mg-counter").text == \
        f"第 {backward[2]} 步 / 共 {total} 步"

    browser.find_element("css selector", ".mg-last").click()
    state = _state(browser)
    grads = {n["name"]: n["grad"] for n in state["nodes"].values()}
    engine = dict(zip("abc", mg.grad(J, _leaves(J))))
    assert {k: grads[k] for k in "abc"} == {k: f"grad {engine[k]:g}" for k in "abc"}
    assert state["line"] == "dJ/da = 3, dJ/db = 6, dJ/dc = 9"  # mathematics stays mathematics
    assert browser.find_element("css selector", ".mg-phase").text == "完成"
    assert not _errors(browser)


def _leaves(J: Value) -> list[Value]:
    by_label = {v.label: v for v in mg.topological_order(J)}
    return [by_label[k] for k in "abc"]


def test_english_stays_the_default_and_lang_wins_over_the_setting():
    J = course()
    english = mg.step_through(J).html()
    assert 'aria-label="next"' in english and '<html lang="en">' in english
    set_language("zh")
    chinese = mg.step_through(J)
    assert 'aria-label="下一步"' in chinese.html() and chinese.frames[0]["title"] == "开始"
    again = mg.step_through(J, lang="en")
    assert again.frames[0]["title"] == "Start" and 'aria-label="next"' in again.html()
    set_language(None)
    assert 'aria-label="下一步"' in chinese.html()  # a page keeps the language it was made in
    data = json.loads(chinese.widget().split('class="mg-step-data">')[1].split("</script>")[0])
    assert data["strings"]["step {k} / {n}"] == "第 {k} 步 / 共 {n} 步"
    assert repr(chinese).startswith("<逐步演示：") and repr(again).startswith("<step-through")
    with pytest.raises(ValueError, match=r"^step_through\(\) 需要一个计算图，但 a 是叶子节点"):
        mg.step_through(_leaves(J)[0], lang="zh")
    with pytest.raises(ValueError, match="^step_through\\(\\) needs a graph, but a is a leaf"):
        mg.step_through(_leaves(J)[0])


@pytest.mark.parametrize("graph", ["J", "logistic"])
def test_the_chinese_page_fits_1280x800_at_every_step(browser, tmp_path, graph):  # noqa: F811
    _screen(browser, 1280, 800)
    try:
        root = course() if graph == "J" else logistic()
        page = mg.step_through(root, lang="zh")
        path = tmp_path / f"{graph}.html"
        page.save(path)
        _open(browser, path)
        result = browser.execute_script(WALK)
        assert result["total"] == len(page.frames) - 1
        assert not result["problems"], "\n".join(result["problems"][:20])
        assert not result["scrolls"], "the page itself scrolls: only the picture should"
        middle = next(k for k, f in enumerate(page.frames) if f["phase"] == "backward") + 2
        browser.execute_script("""const s = document.querySelector(".mg-slider");
                                  s.value = arguments[0]; s.dispatchEvent(new Event("input"));""",
                               middle)
        assert browser.find_element("css selector", ".mg-phase").text.startswith("反向传播第 ")
        _shot(browser, tmp_path, f"zh-{graph}-middle.png")
        browser.find_element("css selector", ".mg-last").click()
        _shot(browser, tmp_path, f"zh-{graph}-end.png")
        assert not _errors(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_quiz_in_chinese(browser, tmp_path):  # noqa: F811
    J = course()
    steps = mg.backward_steps(J)
    path = tmp_path / "quiz.html"
    mg.step_through(J, quiz=True, lang="zh").save(path)
    _open(browser, path)
    browser.set_window_size(1280, 800)

    def quiz() -> dict:
        return browser.execute_script("""
            const box = document.querySelector(".mg-quiz");
            return {asking: document.querySelector(".mg-step").getAttribute("data-asking"),
                    ask: box.querySelector(".mg-quiz-ask").textContent,
                    feedback: box.querySelector(".mg-quiz-feedback").textContent,
                    score: box.querySelector(".mg-quiz-score").textContent,
                    button: box.querySelector(".mg-quiz-check").textContent,
                    label: box.querySelector(".mg-quiz-input").getAttribute("aria-label")};""")

    first = quiz()
    assert first["score"] == "得分：答对 0 / 0 题（共 5 题）" and first["button"] == "检查"
    assert first["label"] == "你的答案" and first["feedback"].startswith("反向传播的每一步")
    while quiz()["asking"] is None:
        browser.find_element("css selector", ".mg-next").click()
    assert quiz()["ask"] == "dJ/dv += dJ/dJ · ∂J/∂v = ?"  # the question is mathematics
    box = browser.find_element("css selector", ".mg-quiz-input")
    box.send_keys("abc\n")
    assert quiz()["feedback"] == "请输入一个数，例如 -0.25。"
    box.clear()
    box.send_keys("3\n")
    assert quiz()["feedback"].startswith("✓ 正确：dJ/dv += ")
    browser.find_element("css selector", ".mg-next").click()
    ask = quiz()["ask"]
    right = next(s for s in steps if f"dJ/d{s.node.label} +=" in ask).contribution
    browser.find_element("css selector", ".mg-quiz-input").send_keys(f"{-right:g}\n")
    feedback = quiz()["feedback"]
    assert feedback.startswith("✗ 符号反了：") and "。这一步：dJ/d" in feedback
    assert quiz()["score"] == "得分：答对 1 / 2 题（共 5 题）"
    _shot(browser, tmp_path, "zh-quiz.png")
    assert not _errors(browser)


def test_the_gif_captions_speak_chinese(tmp_path):
    pytest.importorskip("PIL", reason="the GIF needs Pillow: python -m pip install pillow")
    from PIL import Image

    from microgrid.view.stepping.gif import _caption

    page = mg.step_through(course(), lang="zh")
    captions = [_caption(f) for f in page.frames]
    assert captions[0].startswith("开始") and captions[-1].startswith("完成")
    assert any(c.startswith("反向传播第 1 步（共 5 步）") for c in captions)
    page.save(tmp_path / "反向传播.gif")
    with Image.open(tmp_path / "反向传播.gif") as gif:
        assert gif.n_frames == len(page.frames)


# --- the grader and the exercises ------------------------------------------------------------


def test_compare_grads_in_chinese_names_the_slip():
    J = course()
    report = mg.compare_grads(J, {"v": 3, "a": 3, "u": 3, "b": -6, "c": 9}, lang="zh")
    text = str(report)
    head = text.splitlines()[0].split()
    assert head == ["节点", "你的答案", "microgrid", "对错"]
    assert "✗ b: 你的 dJ/db = -6 符号反了：dJ/db = dJ/du · ∂u/∂b" in text
    assert report.slips == {"b": "sign"}  # the kinds are keys, not words
    assert "<th>节点</th>" in report._repr_html_()
    with pytest.raises(ValueError, match="yours 是空的"):
        mg.compare_grads(J, {}, lang="zh")
    set_language("zh")
    english = mg.compare_grads(J, {"b": 2}, lang="en")
    set_language(None)
    assert str(english).startswith("node") and "is missing the factor" in str(english)
    assert str(report) == text  # a report keeps the language it was made in
    follows = str(mg.compare_grads(J, {"v": 1, "a": 1, "u": 1, "b": 2, "c": 3}, lang="zh"))
    assert "a, u, b, c 是从你的 dJ/dv 推出来的：在它的基础上，这几步都是对的。" in follows


def test_an_exercise_in_chinese_asks_hints_and_grades_in_chinese():
    ex = mg.exercise("logistic", seed=7, lang="zh")
    assert ex.question.startswith("单个样本的逻辑回归：z = w1·x1 + w2·x2 + b，a = σ(z)")
    assert ex.question.endswith("求 dL/da、dL/dz、dL/dw1、dL/dw2 和 dL/db。")
    assert mg.exercise("logistic", seed=7).answers() == ex.answers()  # the same exercise
    assert ex.hint().startswith("提示 1：接下来看 dL/da")
    report = ex.check({"z": 1})
    assert str(report).startswith("节点") and "✗ z: 你的 dL/dz = 1 " in str(report)
    assert ex.hint() == "提示 1：看 dL/dz，这是你第一个做错的答案：z 是 a 的输入。"
    assert ex.hint().startswith("提示 2：链式法则，dL/dz = dL/da · ∂a/∂z，其中 ")
    chain = mg.exercise("chain", seed=3, lang="zh")
    assert "，取 " in chain.question and "。求 dJ/d" in chain.question
    assert mg.exercise("chain", seed=3).question.endswith(".")  # English by default


# --- the command line ------------------------------------------------------------------------


def _cli(*args: str, encoding: str, stdin: bytes = b"", **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in (i18n.ENV, *i18n.LOCALE_VARIABLES)}
    r = subprocess.run([sys.executable, "-m", "microgrid", *args], capture_output=True,
                       input=stdin, env={**clean, "PYTHONPATH": str(ROOT),
                                         "PYTHONIOENCODING": encoding, "LANG": "C.UTF-8", **env})
    return r.returncode, r.stdout.decode(encoding), r.stderr.decode(encoding)


@pytest.mark.parametrize("encoding", ["cp936", "utf-8"])
def test_the_command_line_in_chinese_through_a_pipe(encoding, tmp_path):
    code, out, err = _cli("--lang", "zh", "grad", "3*(a+b*c)", "a=5", "b=3", "c=2",
                          encoding=encoding)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3*(a+b*c) = 33" and lines[1].split() == ["变量", "值", "梯度"]
    assert lines[3].split() == ["b", "3", "6"]
    code, out, err = _cli("grad", "3(a+bc)", "a=5", encoding=encoding, MICROGRID_LANG="zh")
    assert code == 2 and out == ""
    assert err == "microgrid grad：错误：乘积要写出 *（第 2 列）：你是想写 3*(a+b*c) 吗？\n"
    code, out, err = _cli("grad", "a*b", "a=1", encoding=encoding, LANG="zh_CN.UTF-8")
    assert code == 2 and err == "microgrid grad：错误：b 没有值：请写成 b=数值\n"
    code, out, err = _cli("--lang", "zh", "grad", "--help", encoding=encoding)
    assert "输出公式的值" in " ".join(out.split())
    page = tmp_path / "反向传播.html"
    code, out, err = _cli("--lang", "zh", "step", "3*(a+b*c)", "a=5", "b=3", "c=2", "-o",
                          str(page), encoding=encoding)
    steps = len(mg.step_through(course())) - 1  # the same graph
    assert code == 0 and out == f"已写入 {page}：共 {steps} 步，先前向传播，后反向传播\n"
    assert 'aria-label="下一步"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["cp936", "utf-8"])
def test_practice_prompts_in_chinese_and_takes_chinese_commands(encoding, tmp_path):
    answers = "提示\n0.6\n1\n答案\n退出\n".encode(encoding)
    code, out, err = _cli("--lang", "zh", "practice", "--kind", "logistic", "--seed", "7", "-o",
                          str(tmp_path / "p.svg"), encoding=encoding, stdin=answers)
    assert code == 0, err
    assert "练习 logistic，种子 7" in out and "单个样本的逻辑回归" in out
    assert "输入 '提示'（或 'hint'）获得提示" in out
    assert "提示 1：接下来看 dL/da" in out  # 提示 asked for a hint
    assert out.rstrip().endswith("dL/dw1 = 退出")  # 退出 stopped it


def test_the_demo_speaks_chinese(tmp_path):
    code, out, err = _cli("--lang", "zh", "demo", "--out", str(tmp_path), "--epochs", "1",
                          encoding="cp936")
    assert code == 0, err
    for line in ("== 1. 计算图 J = 3(a + bc)，取 a=5, b=3, c=2 ==",
                 "== 2. 单个样本的逻辑回归：自动求导与课程公式对照 ==",
                 "微扰检验：把一个输入增加 0.001，J 随之变化 0.001 × 它的梯度",
                 "前向传播：u = bc = 6, v = a + u = 11, J = 3v = 33"):
        assert line in out, out
    assert "测试集准确率 " in out and "训练" in err  # fit's progress bar, on stderr


# --- the playground's runner -----------------------------------------------------------------


def test_the_playground_runs_the_views_in_the_pages_language(dot):
    from microgrid.playground import runner, strings

    code = "import microgrid as mg\na = mg.Value(2.0, label='a')\nJ = 3 * a\nJ.label = 'J'\nJ\n"
    chinese = json.loads(runner.run(code, lang="zh"))
    assert 'aria-label="下一步"' in chinese["step"]["html"]
    english = json.loads(runner.run(code))
    assert 'aria-label="next"' in english["step"]["html"]
    words = strings()
    assert set(words) == {"en", "zh"} and words["zh"]["Run"] == "运行"
    assert words["en"]["Run"] == "Run"
