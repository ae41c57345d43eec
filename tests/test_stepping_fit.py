"""The step-through page fits the window and follows the step, as a learner sees it: opened in
headless Chromium (network off) at a laptop's 1280×800 and an old projector's 1024×768, stepped
from the first frame to the last with its own ▶ button, and measured at every step from
``getBoundingClientRect``: the caption and the controls are on screen, the highlighted node
and edges are inside the window, and no text is wider than the cell it sits in.

Three graphs: the course's J = 3(a + bc), one sample's logistic regression (the graph of
``microgrid demo`` and notebook 02, with x1, x2 and y as inputs) and a 2-4-1 network's loss.
"""

from __future__ import annotations

import pytest
from test_stepping_browser import _errors, _open, browser  # noqa: F401  (a fixture)

import microgrid as mg
from microgrid import Value
from microgrid.cli.commands import _demo_logistic

SCREENS = [(1280, 800), (1024, 768)]


def course() -> Value:
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    J = 3 * (a + b * c)
    J.label = "J"
    return J


def logistic() -> Value:
    return _demo_logistic()


def network() -> Value:
    model = mg.nn.MLP(2, [4, 1], activation="tanh", seed=1)
    x1, x2 = Value(0.5, label="x1"), Value(-1.5, label="x2")
    L = mg.losses.binary_cross_entropy_with_logits(model([x1, x2]), 1.0)
    L.label = "L"
    return L


GRAPHS = {"J": course, "logistic": logistic, "network": network}

# Steps through every frame with the page's own ▶ button and measures each one. A cell is the
# part of a record between the lines that divide it (its outline, and the field separators).
WALK = """
const root = document.querySelector(".mg-step");
const vw = window.innerWidth, vh = window.innerHeight;
const inside = (r, box) => r.left >= box.left - 0.5 && r.top >= box.top - 0.5 &&
                           r.right <= box.right + 0.5 && r.bottom <= box.bottom + 0.5;
const screen = {left: 0, top: 0, right: vw, bottom: vh};
function onScreen(el, hitTest) {  // inside the window, and what a click at its centre reaches
  const r = el.getBoundingClientRect();
  if (!inside(r, screen) || r.width === 0) { return false; }
  if (!hitTest) { return true; }
  const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  return hit !== null && (el === hit || el.contains(hit));
}
function cell(g, text) {
  const box = g.querySelector("polygon").getBBox();
  const x = parseFloat(text.getAttribute("x"));
  let left = box.x, right = box.x + box.width;
  for (const line of g.querySelectorAll("polyline")) {
    const b = line.getBBox();
    if (b.width > 0.5) continue;
    if (b.x < x) left = Math.max(left, b.x); else right = Math.min(right, b.x);
  }
  return right - left;
}
const problems = [];
const total = +root.querySelector(".mg-slider").max;
root.querySelector(".mg-first").click();
const top = root.querySelector(".mg-step-graph").getBoundingClientRect().top;
for (let k = 0; k <= total; k++) {
  if (k > 0) root.querySelector(".mg-next").click();
  const step = +root.dataset.step;
  if (step !== k) { problems.push(`step ${k}: the page shows step ${step}`); break; }
  for (const sel of [".mg-step-caption", ".mg-line", ".mg-next", ".mg-prev", ".mg-first",
                     ".mg-last"]) {
    // the line is text that may wrap: the middle of its box can fall between two lines
    if (!onScreen(root.querySelector(sel), sel !== ".mg-line")) {
      problems.push(`step ${k}: ${sel} is off screen`);
    }
  }
  const view = root.querySelector(".mg-step-graph").getBoundingClientRect();
  if (view.top !== top) problems.push(`step ${k}: the picture moved from ${top} to ${view.top}`);
  const hot = [...root.querySelectorAll("g.mg-focus, g.edge.mg-active")];
  for (const g of hot) {
    const r = g.getBoundingClientRect();
    if (!inside(r, screen) || !inside(r, view)) {
      problems.push(`step ${k}: ${g.id} (${g.getAttribute("class")}) is out of view`);
    }
  }
  for (const g of root.querySelectorAll("g.node[data-node]")) {
    for (const t of g.querySelectorAll("text")) {
      const w = t.getBBox().width, room = cell(g, t);
      if (w > room) problems.push(`step ${k}: "${t.textContent}" is ${w} wide, its cell ${room}`);
    }
  }
}
return {problems, total, scrolls: document.documentElement.scrollHeight > vh ||
                                  document.documentElement.scrollWidth > vw};
"""


def _screen(driver, width: int, height: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


@pytest.fixture
def screen(browser):  # noqa: F811
    """Sets the window's inner size; afterwards the browser is as it was."""
    yield lambda w, h: _screen(browser, w, h)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_every_step_is_in_view_with_its_caption_and_controls(browser, screen, tmp_path,  # noqa: F811
                                                             graph, size):
    screen(*size)
    page = mg.step_through(GRAPHS[graph]())
    path = tmp_path / f"{graph}.html"
    page.save(path)
    _open(browser, path)
    result = browser.execute_script(WALK)
    assert result["total"] == len(page.frames) - 1
    assert not result["problems"], "\n".join(result["problems"][:20])
    assert not result["scrolls"], "the page itself scrolls: only the picture should"
    assert not _errors(browser)


def _zoom(driver) -> float:
    return float(driver.find_element("css selector", ".mg-step").get_attribute("data-zoom"))


def test_a_small_graph_shows_whole_at_its_natural_size(browser, screen, tmp_path):  # noqa: F811
    screen(1280, 800)
    path = tmp_path / "J.html"
    mg.step_through(course()).save(path)
    _open(browser, path)
    assert _zoom(browser) == 1.0  # never scaled up past its natural size
    fits = browser.execute_script("""
        const svg = document.querySelector(".mg-step-graph svg").getBoundingClientRect();
        const view = document.querySelector(".mg-step-graph").getBoundingClientRect();
        return svg.left >= view.left && svg.right <= view.right &&
               svg.top >= view.top && svg.bottom <= view.bottom;""")
    assert fits, "the whole of J = 3(a + bc) shows without scrolling"


def test_a_big_graph_is_fitted_then_zoomed_by_hand(browser, screen, tmp_path):  # noqa: F811
    screen(1024, 768)
    path = tmp_path / "network.html"
    page = mg.step_through(network())
    page.save(path)
    _open(browser, path)
    fitted = _zoom(browser)
    assert 0.5 < fitted < 1.0  # shrunk, but not past reading
    find = browser.find_element
    find("css selector", ".mg-zoom-in").click()
    assert _zoom(browser) == pytest.approx(fitted * 1.25, rel=1e-3)
    find("css selector", ".mg-zoom-out").click()
    find("css selector", ".mg-zoom-out").click()
    assert _zoom(browser) < fitted
    browser.execute_script("""
        const view = document.querySelector(".mg-step-graph");
        const r = view.getBoundingClientRect();
        view.dispatchEvent(new WheelEvent("wheel", {deltaY: -200, ctrlKey: true, bubbles: true,
            cancelable: true, clientX: r.left + 50, clientY: r.top + 50}));""")
    wheeled = _zoom(browser)
    assert wheeled > fitted * 0.8  # ctrl + wheel (a touchpad's pinch) zooms in
    find("css selector", ".mg-zoom-fit").click()
    assert _zoom(browser) == fitted
    # zoomed in by hand, the page still follows the step
    for _ in range(3):
        find("css selector", ".mg-zoom-in").click()
    find("css selector", ".mg-last").click()
    for _ in range(len(page.frames) // 3):
        find("css selector", ".mg-prev").click()
    inside = browser.execute_script("""
        const view = document.querySelector(".mg-step-graph").getBoundingClientRect();
        const r = document.querySelector("g.mg-focus").getBoundingClientRect();
        return r.left >= view.left && r.right <= view.right && r.top >= view.top &&
               r.bottom <= view.bottom;""")
    assert inside


def test_the_seed_highlights_only_the_output(browser, screen, tmp_path):  # noqa: F811
    screen(1280, 800)
    J = course()
    page = mg.step_through(J)
    path = tmp_path / "J.html"
    page.save(path)
    _open(browser, path)
    seed = next(k for k, f in enumerate(page.frames) if f["phase"] == "seed")
    browser.execute_script("""const s = document.querySelector(".mg-slider");
                              s.value = arguments[0]; s.dispatchEvent(new Event("input"));""",
                           seed)
    changed = browser.execute_script("""
        return [...document.querySelectorAll("g.node[data-node]")]
          .filter(g => g.querySelector(".mg-changed") || g.classList.contains("mg-focus"))
          .map(g => g.querySelector("text.mg-name").textContent);""")
    assert changed == ["J"]
    assert browser.find_element("css selector", ".mg-line").text == "dJ/dJ = 1"


def test_names_stay_names_and_no_earlier_grad_shows_at_the_start(browser, screen,  # noqa: F811
                                                                 tmp_path):
    screen(1280, 800)
    w, x = Value(2.0, label="grad w"), Value(-1.5, label="data loss")
    J = w * x + w
    J.label = "data J"
    J.backward()  # an earlier backward: its .grad must not show before the backward pass
    path = tmp_path / "names.html"
    mg.step_through(J).save(path)
    _open(browser, path)
    texts = browser.execute_script("""
        return [...document.querySelectorAll("g.node[data-node]")].map(g => ({
          name: g.querySelector("text.mg-name").textContent,
          data: g.querySelector("text.mg-data").textContent,
          grad: g.querySelector("text.mg-grad").textContent}));""")
    names = {t["name"] for t in texts}
    assert {"grad w", "data loss", "data J"} <= names
    assert {t["grad"] for t in texts} == {"grad ?"}
    by_name = {t["name"]: t for t in texts}
    assert by_name["grad w"]["data"] == "data 2" and by_name["data J"]["data"] == "data ?"
