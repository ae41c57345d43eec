"""The step-through page as users meet it: saved, opened in real headless Chromium with the
network off, stepped with its own controls, and read back from what the page shows.

CI installs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run``), so there a missing
browser fails these tests; elsewhere they are skipped with how to install it. Screenshots of
several steps are saved in each test's temporary folder (``--basetemp`` keeps them).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from conftest import headless_chromium, requests_sent

import microgrid as mg
from microgrid import Value

try:
    from selenium.webdriver.common.keys import Keys
except ImportError:  # the browser fixture says how to install it
    Keys = None

INSTALL = ("install Chromium and its driver: apt install chromium chromium-driver "
           "(Debian/Ubuntu), and Selenium: python -m pip install -e '.[dev]'")


def _need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI; {INSTALL}")
    pytest.skip(f"the browser tests need {what}; {INSTALL}")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, driven by Selenium, that can reach no network at all."""
    # belt and braces: no proxy or name can take a request anywhere
    driver = headless_chromium("1400,900", "--proxy-server=http://127.0.0.1:9",
                               "--host-resolver-rules=MAP * ~NOTFOUND")
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
        yield driver
    finally:
        driver.quit()


def _open(driver, path: Path) -> list[str]:
    """Open a saved page; returns the URLs of every request made while loading it."""
    driver.get_log("performance")  # drop what came before
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())
    driver.find_element("css selector", ".mg-step[data-step]")  # the script has run
    return requests_sent(driver)


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _state(driver, widget=None) -> dict:
    """What the page shows now: step, phase, caption, and each Value's name, data and grad."""
    root = widget or driver.find_element("css selector", ".mg-step")
    return driver.execute_script("""
        const root = arguments[0];
        const nodes = {};
        for (const g of root.querySelectorAll("g.node[data-node]")) {
          const text = (c) => {
            const t = g.querySelector("text." + c);
            return t && t.textContent;
          };
          nodes[g.dataset.node] = {name: text("mg-name"), data: text("mg-data"),
                                   grad: text("mg-grad"), note: text("mg-note"),
                                   exact: g.getAttribute("data-grad"),
                                   focus: g.classList.contains("mg-focus")};
        }
        return {step: +root.dataset.step, phase: root.dataset.phase,
                line: root.querySelector(".mg-line").textContent,
                counter: root.querySelector(".mg-counter").textContent,
                slider: +root.querySelector(".mg-slider").value,
                active: root.querySelectorAll("g.edge.mg-active").length, nodes};
    """, root)


def _course():
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return J, {"a": a, "b": b, "c": c, "u": u, "v": v, "J": J}


def _by_name(state: dict) -> dict:
    return {n["name"]: n for n in state["nodes"].values()}


def _shown(text: str, field: str) -> float:
    word, _, number = text.partition(" ")
    assert word == field, text
    return float(number)


def test_stepping_to_the_end_shows_the_engines_grads(browser, tmp_path):
    J, nodes = _course()
    page = tmp_path / "backprop.html"
    mg.step_through(J).save(page)
    requests = _open(browser, page)
    assert requests == [page.resolve().as_uri()], f"the page made requests: {requests}"

    first = _state(browser)
    assert first["step"] == 0 and first["phase"] == "start"
    shown = _by_name(first)
    assert set(shown) == {"a", "b", "c", "J", "v", "t1"}  # u is unlabelled here: t1
    assert shown["a"]["data"] == "data 5" and shown["v"]["data"] == "data ?"
    browser.save_screenshot(str(tmp_path / "step-0-start.png"))

    body = browser.find_element("css selector", "body")
    seen = []
    last = first
    while True:
        body.send_keys(Keys.ARROW_RIGHT)
        state = _state(browser)
        if state["step"] == last["step"]:
            break  # the end: the arrow goes no further
        assert state["step"] == last["step"] + 1 and state["slider"] == state["step"]
        seen.append(state["phase"])
        browser.save_screenshot(str(tmp_path / f"step-{state['step']}-{state['phase']}.png"))
        last = state
    assert seen == ["forward"] * 3 + ["seed"] + ["backward"] * 5 + ["end"]
    browser.save_screenshot(str(tmp_path / "step-end.png"))

    engine = dict(zip(nodes, mg.grad(J, list(nodes.values()))))
    shown = _by_name(last)
    for name, value in (("a", engine["a"]), ("b", engine["b"]), ("c", engine["c"]),
                        ("t1", engine["u"]), ("v", engine["v"]), ("J", engine["J"])):
        assert math.isclose(_shown(shown[name]["grad"], "grad"), value, rel_tol=5e-4), name
        assert float(shown[name]["exact"]) == value, name  # the record's float, bit for bit
    assert {k: _shown(shown[k]["data"], "data") for k in "abcvJ"} == \
        {"a": 5, "b": 3, "c": 2, "v": 11, "J": 33}
    assert all(v.grad == 0.0 for v in nodes.values())  # stepping changed no .grad
    assert not _errors(browser)


def test_a_node_used_twice_shows_its_running_sum(browser, tmp_path):
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    J = b + a
    J.label = "J"
    page = tmp_path / "shared.html"
    mg.step_through(J).save(page)
    _open(browser, page)
    browser.find_element("css selector", ".mg-last").click()
    end = _state(browser)
    assert _shown(_by_name(end)["a"]["grad"], "grad") == mg.grad(J, a) == 7.0
    # walk back from the end until the running sum of a is on screen
    notes = []
    prev = browser.find_element("css selector", ".mg-prev")
    for _ in range(end["step"]):
        prev.click()
        state = _state(browser)
        a_shown = _by_name(state)["a"]
        if a_shown["note"]:
            notes.append(a_shown["note"])
            # the running sum is written in a's grad cell, where no edge crosses it
            assert a_shown["grad"] == a_shown["note"]
            if len(notes) == 1:
                browser.save_screenshot(str(tmp_path / f"running-sum-{state['step']}.png"))
    # a gets 1 from J = b + a, then 3 and 3 from b = a · a, in the engine's order; each step
    # after it shows the sum so far alone
    assert _by_name(end)["a"]["note"] is None and _by_name(end)["a"]["grad"] == "grad 7"
    assert sorted(notes) == sorted(["grad 0 → 1 (+1)", "grad 1 → 4 (+3)", "grad 4 → 7 (+3)"])


def test_controls_slider_home_end_and_play(browser, tmp_path):
    J, _ = _course()
    page = tmp_path / "controls.html"
    mg.step_through(J).save(page)
    _open(browser, page)
    find = browser.find_element
    total = len(mg.step_through(J)) - 1
    body = find("css selector", "body")
    body.send_keys(Keys.END)
    assert _state(browser)["step"] == total
    body.send_keys(Keys.ARROW_LEFT)
    assert _state(browser)["step"] == total - 1
    body.send_keys(Keys.HOME)
    assert _state(browser)["step"] == 0
    browser.execute_script("""const s = arguments[0]; s.value = 5;
                              s.dispatchEvent(new Event('input'));""",
                           find("css selector", ".mg-slider"))
    state = _state(browser)
    assert state["step"] == 5 and state["counter"] == f"step 5 / {total}"
    find("css selector", ".mg-first").click()
    find("css selector", ".mg-play").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: _state(d)["step"] >= 2)
    find("css selector", ".mg-play").click()  # pause
    paused = _state(browser)["step"]
    browser.execute_script("return new Promise(r => setTimeout(r, 2500))")
    assert _state(browser)["step"] == paused


def test_labels_with_html_quotes_and_chinese_show_as_written(browser, tmp_path):
    w = Value(2.0, label='权重 "w" </script><b>')
    x = Value(-1.5, label="x&y")
    J = (w * x).tanh()
    J.label = "损失"
    page = tmp_path / "labels.html"
    mg.step_through(J).save(page)
    requests = _open(browser, page)
    assert requests == [page.resolve().as_uri()]
    find = browser.find_element
    find("css selector", ".mg-last").click()
    names = set(_by_name(_state(browser)))
    assert {'权重 "w" </script><b>', "x&y", "损失"} <= names
    assert browser.find_elements("css selector", "b") == []  # no label became markup
    browser.save_screenshot(str(tmp_path / "labels-end.png"))
    assert not _errors(browser)


def test_the_request_check_sees_a_request(browser, tmp_path):
    """The no-request check can fail: a page that asks for a picture is caught."""
    J, _ = _course()
    text = mg.step_through(J).html()
    text = text[:text.index("<meta http-equiv")] + text[text.index("<meta name="):]  # no CSP
    text = text.replace("</body>", '<img src="https://cdn.example.com/x.png"></body>')
    page = tmp_path / "leaky.html"
    page.write_text(text, encoding="utf-8")
    requests = _open(browser, page)
    assert len(requests) == 2 and requests[1].startswith("https://cdn.example.com/")


def test_two_pages_inline_in_one_notebook_step_independently(browser, tmp_path):
    J, _ = _course()
    a = Value(1.0, label="a")
    K = (a * 2).exp()
    doc = ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
           f"{mg.step_through(J)._repr_html_()}<hr>{mg.step_through(K)._repr_html_()}"
           "</body></html>")
    page = tmp_path / "notebook.html"
    page.write_text(doc, encoding="utf-8")
    _open(browser, page)
    first, second = browser.find_elements("css selector", ".mg-step")
    second.find_element("css selector", ".mg-next").click()
    second.send_keys(Keys.ARROW_RIGHT)  # the arrow keys act on the widget that has focus
    assert _state(browser, second)["step"] == 2
    assert _state(browser, first)["step"] == 0
    assert not _errors(browser)


def test_notebook_08_embeds_a_picture_and_a_working_page(browser, tmp_path):
    """GitHub shows the SVG (it runs no JavaScript); Jupyter runs the page, as Chromium does."""
    try:
        import nbformat
    except ImportError:
        _need("nbformat")
    path = Path(__file__).resolve().parent.parent / "notebooks/08_backprop_step_by_step.ipynb"
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "mg.step_through(" in c.source]
    assert cells, "notebook 08 embeds the step-through"
    kinds = [list(o.get("data", {})) for o in cells[-1].outputs]
    assert any("image/svg+xml" in k for k in kinds) and any("text/html" in k for k in kinds)
    widget = next(o["data"]["text/html"] for o in cells[-1].outputs
                  if "text/html" in o.get("data", {}))
    page = tmp_path / "notebook-08.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    f"{widget}</body></html>", encoding="utf-8")
    requests = _open(browser, page)
    assert requests == [page.resolve().as_uri()]
    root = browser.find_element("css selector", ".mg-step")
    root.find_element("css selector", ".mg-last").click()
    end = _state(browser, root)
    assert end["phase"] == "end"
    shown = {n["name"]: _shown(n["grad"], "grad") for n in end["nodes"].values()}
    # the notebook's last graph: the course listing u = ab, v = u + c, J = 2(v + b)
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    J = 2 * ((a * b + c) + b)
    assert [shown[k] for k in "abc"] == mg.grad(J, [a, b, c])
    browser.save_screenshot(str(tmp_path / "notebook-08-end.png"))
    assert not _errors(browser)
