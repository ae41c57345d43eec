"""The playground as a learner meets it: the built static folder served from 127.0.0.1, opened
in headless Chromium at 1280×800 with every other host unreachable, each course example picked,
run, drawn and stepped through, a shared link opened, and bad input shown in one line.

The folder is ``site/`` when ``.ci/run`` has built it from this checkout, else a build into a
temporary folder (``npm`` fetches the pinned Pyodide and Graphviz once into its cache). CI
installs node, npm, Chromium and its driver, so there a missing one fails these tests; elsewhere
they are skipped with how to install it. Screenshots are saved in the tests' temporary folder.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import http.server
import io
import json
import math
import os
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import headless_chromium, requests_sent

import microgrid as mg
from microgrid.playground import NPM_HINT, _package_wheel, examples, runner

ROOT = Path(__file__).resolve().parent.parent
INSTALL = ("install Chromium and its driver: apt install chromium chromium-driver "
           "(Debian/Ubuntu), and Selenium: python -m pip install -e '.[dev]'")
START_S = 180  # Pyodide's first start on a loaded CI machine; a laptop takes a few seconds
RUN_S = 60


def _need(what: str, hint: str = INSTALL) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI; {hint}")
    pytest.skip(f"the playground tests need {what}; {hint}")


# --- without a browser: the runner, the wheel, the command line ------------------------------


def _local(code: str) -> tuple[object, str]:
    """Run ``code`` here, as the page runs it: its statements, then its last line's value."""
    tree = ast.parse(code)
    last = ast.Expression(tree.body.pop().value)
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "<example>", "exec"), namespace)
        value = eval(compile(last, "<example>", "eval"), namespace)
    return value, out.getvalue()


def test_examples_are_the_course_ones_and_end_with_their_graph():
    found = examples()
    assert list(found) == ["J = 3(a + bc)", "Logistic regression", "u = ab", "2-2-1 network"]
    for title, code in found.items():
        value, _ = _local(code)
        assert type(value) is mg.Value and value._op is not None, title
    labels = {v.label for v in mg.topological_order(_local(found["Logistic regression"])[0])}
    assert {"x1", "x2", "y", "w1", "w2", "b", "z", "a", "L"} <= labels
    J = _local(found["J = 3(a + bc)"])[0]
    grads = {v.label: v.grad for v in mg.topological_order(J)}
    assert (grads["a"], grads["b"], grads["c"]) == (3.0, 6.0, 9.0)


def test_the_chinese_examples_are_the_same_code_with_comments_from_the_catalog():
    """In Chinese each example is the same code (the same syntax tree, the same output), its
    comments translated through the catalog: a run of whole-line comments is one sentence,
    a comment after code one of its own."""
    import ast

    from microgrid.playground import comments

    cjk = re.compile("[\u4e00-\u9fff]")
    english, chinese = list(examples().items()), list(examples("zh").items())
    assert [t for t, _ in chinese] == ["J = 3(a + bc)", "逻辑回归", "u = ab", "2-2-1 网络"]
    for (title, en), (_, zh) in zip(english, chinese):
        assert ast.dump(ast.parse(en)) == ast.dump(ast.parse(zh)), title
        assert _local(zh)[1] == _local(en)[1], title
        theirs, mine = comments(en), comments(zh)
        assert [(c[0], c[2]) for c in mine] == [(c[0], c[2]) for c in theirs], title
        for (_, _, _, said), (_, _, _, text) in zip(mine, theirs):
            # in Chinese, but for a comment that is a formula alone
            assert cjk.search(said) or (said == text and not re.search("[a-z]{4}", text)), said
    code = "x = 1  # after code\n# one\n# sentence\n\n# another\ny = x  # and this\n"
    assert comments(code) == [(1, 1, 7, "after code"), (2, 3, 0, "one\nsentence"),
                              (5, 5, 0, "another"), (6, 6, 7, "and this")]


def test_runner_shows_the_last_lines_views_and_its_errors_in_one_line(dot):
    result = json.loads(runner.run(examples()["J = 3(a + bc)"]))
    assert result["error"] is None
    assert "dJ/da = 3.0" in result["output"]
    assert "<svg" in result["graph"]["svg"] and "grad 9" in result["graph"]["svg"]
    assert str(mg.explain(_local(examples()["J = 3(a + bc)"])[0])) == result["explain"]["text"]
    assert "microgridStepThrough" in result["step"]["html"]

    result = json.loads(runner.run("import microgrid as mg\nx = mg.Value(1.0)\nx + 'a'\n"))
    assert result["error"]["line"] == ("TypeError: unsupported operand type(s) for +: "
                                       "'Value' and 'str'")
    assert 'File "<playground>", line 3' in result["error"]["traceback"]
    assert "runner.py" not in result["error"]["traceback"]  # the learner's frames only
    result = json.loads(runner.run("def f(:\n    pass\n"))
    assert result["error"]["line"] == "SyntaxError: invalid syntax (line 1)"

    sent: list[str] = []  # while a long run goes on, what it has printed so far
    result = json.loads(runner.run("import time\nprint('first')\ntime.sleep(0.3)\n"
                                   "print('second')\n", sent.append))
    assert result["output"] == "first\nsecond\n"
    assert "".join(sent).startswith("first\n") and result["output"].startswith("".join(sent))

    result = json.loads(runner.run("print('x' * 3_000_000)\n"))
    kept = runner.MAX_OUTPUT
    assert result["output"].startswith("x" * kept)
    assert result["output"].endswith(f"output truncated: {3_000_001 - kept:,} more characters "
                                     f"not shown (the playground keeps the first {kept:,})")


def test_the_wheel_holds_this_checkouts_package(tmp_path):
    name = _package_wheel(tmp_path)
    with zipfile.ZipFile(tmp_path / name) as z:
        names = set(z.namelist())
        assert z.read("microgrid/view/stepping/page.js") == \
            (ROOT / "microgrid/view/stepping/page.js").read_bytes()
        info = f"microgrid-{mg.__version__}.dist-info"
        record = z.read(f"{info}/RECORD").decode()
    assert {"microgrid/__init__.py", "microgrid/playground/runner.py",
            "microgrid/view/stepping/page.css", f"{info}/WHEEL"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert len(record.splitlines()) == len(names)
    assert _package_wheel(tmp_path) == name  # the same files make the same wheel
    with zipfile.ZipFile(tmp_path / name) as z:
        assert set(z.namelist()) == names


def test_nothing_outside_the_playground_knows_about_the_browser():
    """The browser only chooses the renderer (runner.use_renderer); the package is the same."""
    hits = []
    for path in (ROOT / "microgrid").rglob("*.py"):
        if "playground" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text(encoding="utf-8")
        for word in ("pyodide", "emscripten", "wasm32"):
            if word in text.lower():
                hits.append(f"{path.relative_to(ROOT)}: {word}")
        if re.search(r"^\s*(import|from)\s+(js|pyodide)\b", text, re.M):
            hits.append(f"{path.relative_to(ROOT)}: imports the browser's modules")
    assert hits == []
    source = (ROOT / "microgrid/playground/runner.py").read_text(encoding="utf-8")
    assert "graphviz.Digraph.pipe = pipe" in source
    assert not re.search(r"^\s*(import|from)\s+(js|pyodide)\b", source, re.M)


def test_build_without_npm_says_what_to_run(tmp_path, monkeypatch, capsys):
    from microgrid.cli import main

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["playground", "build", "-o", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err == f"microgrid playground: error: {NPM_HINT}\n"


# --- the built site in Chromium ---------------------------------------------------------------


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The static folder: ``site/`` if built from this checkout's files, else a fresh build."""
    built = ROOT / "site"
    config = built / "playground.json"
    if config.exists():
        fresh = tmp_path_factory.mktemp("wheel")
        wheel = _package_wheel(fresh)
        if (built / "wheels" / wheel).read_bytes() == (fresh / wheel).read_bytes():
            return built
    if shutil.which("npm") is None or shutil.which("node") is None:
        _need("node and npm", NPM_HINT)
    from microgrid.playground import build

    return build(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def server(site):
    """A static server of the folder on 127.0.0.1, as ``python3 -m http.server`` serves it."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def _chromium(netlog: Path | None = None):
    # no proxy or name can take a request anywhere but 127.0.0.1; a net log, when asked for,
    # holds every request of the browser, the worker's too
    driver = headless_chromium(
        "1280,800", "--disable-features=AutofillServerCommunication,OptimizationHints",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        *([f"--log-net-log={netlog}"] if netlog is not None else []))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = _chromium()
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, script: str, timeout: float, what: str):
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; the page "
                                 f"says: {driver.find_element('id', 'status').text!r}")
        time.sleep(0.1)


def _runs(driver) -> int:
    return int(driver.execute_script("return +(document.body.dataset.runs || 0)"))


def _open(driver, url: str) -> None:
    """Open the page and wait for Python to be ready and the first run (an example) shown."""
    driver.get("about:blank")
    driver.get(url)
    _wait(driver, "return document.body.dataset.runs === '1' && "
          "document.body.dataset.state === 'ready'", START_S, "Python to start")


def _after(driver, runs: int, timeout: float = RUN_S) -> dict:
    """Wait for the run after ``runs`` to be shown; returns the page's results."""
    _wait(driver, f"return +(document.body.dataset.runs || 0) > {runs} && "
          "document.body.dataset.state === 'ready'", timeout, "the run to finish")
    return driver.execute_script("""
        const text = (id) => document.getElementById(id).textContent;
        const error = document.getElementById("error");
        const nodes = {};
        for (const g of document.querySelectorAll("#graph svg g.node")) {
          nodes[g.querySelector("title").textContent] =
            [...g.querySelectorAll("text")].map((t) => t.textContent);
        }
        return {
          error: error.hidden ? null : error.querySelector("summary").textContent,
          traceback: error.hidden ? null : (error.querySelector("pre") || {}).textContent,
          open: error.hidden ? null : error.querySelector("details").open,
          output: text("output"), explain: text("explain"), value: text("value"),
          refused: [...document.querySelectorAll(".refused")].map((p) => p.textContent),
          nodes: nodes, step: !!document.querySelector("#step iframe"),
          timing: window.microgridPlayground.runs.at(-1),
        };
    """)


def _run(driver, code: str, timeout: float = RUN_S) -> dict:
    runs = _runs(driver)
    driver.execute_script("document.getElementById('code').value = arguments[0]", code)
    driver.find_element("id", "run").click()
    return _after(driver, runs, timeout)


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def _check_drawing(shown: dict, root: mg.Value) -> None:
    """Each Value's box in the page's SVG says the engine's data and grad (as draw prints them)."""
    ids = mg.draw(root).node_ids
    assert len(shown) >= len(ids)
    for v, name in ids.items():
        texts = shown[name]
        data = [_number(t[5:]) for t in texts if t.startswith("data ")]
        grad = [_number(t[5:]) for t in texts if t.startswith("grad ")]
        assert len(data) == 1 and len(grad) == 1, texts
        assert math.isclose(data[0], v.data, rel_tol=1e-3, abs_tol=1e-4), (name, texts, v)
        assert math.isclose(grad[0], v.grad, rel_tol=1e-3, abs_tol=1e-4), (name, texts, v)


def _step_to_end(driver) -> int:
    """Press ▶ in the step-through frame until its last step; returns how many steps."""
    driver.find_element("css selector", '.tabs [data-tab="step"]').click()
    driver.switch_to.frame(driver.find_element("css selector", "#step iframe"))
    try:
        root = driver.find_element("css selector", ".mg-step[data-step]")
        last = int(driver.find_element("css selector", ".mg-slider").get_attribute("max"))
        for k in range(1, last + 1):
            driver.find_element("css selector", ".mg-next").click()
            assert root.get_attribute("data-step") == str(k)
        assert root.get_attribute("data-phase") == "end"
        return last
    finally:
        driver.switch_to.default_content()


def test_each_example_runs_draws_the_engines_grads_and_steps_to_the_end(browser, server,
                                                                          tmp_path):
    from selenium.webdriver.support.select import Select

    _open(browser, server)
    select = Select(browser.find_element("id", "example"))
    for i, (title, code) in enumerate(examples().items()):
        runs = _runs(browser)
        if i == 0:  # the first example runs as the page opens
            assert select.first_selected_option.text == title
            runs -= 1
        else:
            select.select_by_index(i)
        shown = _after(browser, runs)
        assert browser.find_element("id", "code").get_attribute("value") == code
        root, printed = _local(code)
        assert shown["error"] is None, (title, shown["error"])
        assert shown["output"] == printed
        assert shown["value"] == f"→ {root!r}"
        _check_drawing(shown["nodes"], root)
        assert shown["explain"] == str(mg.explain(root))
        assert shown["step"]
        browser.find_element("css selector", '.tabs [data-tab="graph"]').click()
        browser.save_screenshot(str(tmp_path / f"example-{i}.png"))
        steps = _step_to_end(browser)
        assert steps == len(mg.step_through(root)) - 1
        browser.save_screenshot(str(tmp_path / f"example-{i}-end.png"))
    # Ctrl+Enter in the editor runs too
    from selenium.webdriver.common.keys import Keys

    runs = _runs(browser)
    code = browser.find_element("id", "code")
    code.send_keys(Keys.CONTROL, Keys.ENTER)
    assert _after(browser, runs)["error"] is None
    outside = [u for u in requests_sent(browser) if not u.startswith((server, "data:", "about:"))]
    assert outside == []


def test_a_shared_link_opens_the_code_and_runs_it(browser, server):
    _open(browser, server)
    code = ("import microgrid as mg\n"
            "x = mg.Value(2.0, label='温度')  # a label in Chinese, through the link\n"
            "y = x * x + 1\ny.backward()\nprint('dy/dx =', x.grad)\ny\n")
    shown = _run(browser, code)
    assert shown["output"] == "dy/dx = 4.0\n"
    browser.find_element("id", "link").click()
    link = browser.execute_script("return location.href")
    assert link.startswith(server) and "#code=" in link
    browser.get("about:blank")
    browser.get(link)
    _wait(browser, "return document.body.dataset.runs === '1' && "
          "document.body.dataset.state === 'ready'", START_S, "the linked code to run")
    assert browser.find_element("id", "code").get_attribute("value") == code
    picker = browser.find_element("id", "example")  # not one of the examples: the neutral entry
    assert picker.get_attribute("value") == "" and picker.text.splitlines()[-1] == "—"
    shown = _after(browser, 0)
    assert shown["output"] == "dy/dx = 4.0\n"
    _check_drawing(shown["nodes"], _local(code)[0])
    assert "温度" in "".join(sum(shown["nodes"].values(), []))


def test_bad_input_is_one_line_and_the_page_stays_usable(browser, server, tmp_path):
    _open(browser, server)
    good = examples()["J = 3(a + bc)"]

    # code that raises: the exception's own line, the traceback folded under it
    shown = _run(browser, "import microgrid as mg\na = mg.Value(1.0)\nb = a + 'x'\nb\n")
    assert shown["error"] == "TypeError: unsupported operand type(s) for +: 'Value' and 'str'"
    assert shown["open"] is False and 'File "<playground>", line 3' in shown["traceback"]
    browser.save_screenshot(str(tmp_path / "raises.png"))

    # a graph of 10^5 nodes: draw's own refusal, and explain's and step_through's
    big = ("import microgrid as mg\nx = mg.Value(1.0, label='x')\ns = x\n"
           "for i in range(100_000):\n    s = s + x\ns.backward()\ns\n")
    shown = _run(browser, big, timeout=120)
    root = _local(big)[0]
    refusals = []
    for view in (mg.draw, mg.explain, mg.step_through):
        with pytest.raises(ValueError) as e:
            view(root)
        refusals.append(f"ValueError: {e.value}")
    assert shown["error"] is None and shown["refused"] == refusals
    browser.save_screenshot(str(tmp_path / "refused.png"))
    assert all("\n" not in line for line in refusals)

    # megabytes of output: the start, then one line that says how much was left out
    shown = _run(browser, "print('x' * 5_000_000)\n")
    kept = runner.MAX_OUTPUT
    assert shown["output"] == "x" * kept + (
        f"\n… output truncated: {5_000_001 - kept:,} more characters not shown (the "
        f"playground keeps the first {kept:,})")

    # a loop that never ends: Stop ends it, Python restarts, and the next run works
    runs = _runs(browser)
    browser.execute_script("document.getElementById('code').value = "
                           "'i = 0\\nwhile True:\\n    print(i)\\n    i += 1\\n'")
    browser.find_element("id", "run").click()
    _wait(browser, "return document.body.dataset.state === 'running'", 10, "the run to start")
    time.sleep(1.0)
    assert browser.find_element("id", "stop").is_enabled()
    browser.find_element("id", "stop").click()
    summary = browser.find_element("css selector", "#error summary").text
    browser.save_screenshot(str(tmp_path / "stopped.png"))
    assert re.fullmatch(r"stopped after \d+\.\d s: the run was ended and Python restarted",
                        summary)
    assert _runs(browser) == runs
    printed = browser.find_element("id", "output").text  # what it printed before Stop
    assert printed.startswith("0\n1\n2\n3\n") and "output truncated" not in printed
    _wait(browser, "return document.body.dataset.state === 'ready'", START_S, "Python again")
    shown = _run(browser, good)
    assert shown["error"] is None
    _check_drawing(shown["nodes"], _local(good)[0])


def test_nothing_is_fetched_from_anywhere_but_the_site(server, tmp_path):
    """Chromium's own log of every request, the worker's included, after a run and a link."""
    netlog = tmp_path / "netlog.json"
    driver = _chromium(netlog)
    try:
        _open(driver, server)
        _run(driver, examples()["Logistic regression"])
        driver.find_element("id", "link").click()
        link = driver.execute_script("return location.href")
        driver.get("about:blank")
        driver.get(link)
        _wait(driver, "return document.body.dataset.runs === '1'", START_S, "the link to run")
    finally:
        driver.quit()
    events = json.loads(netlog.read_text(encoding="utf-8"))["events"]
    page = set()
    for event in events:
        params = event.get("params", {})
        if "url" not in params or "initiator" not in params:
            continue
        # the browser's own chatter (updates, time) has no origin; the page's requests do
        if params["initiator"] != "not an origin" or "127.0.0.1" in str(
                params.get("network_isolation_key")):
            page.add(params["url"])
    assert any(u.endswith("/pyodide/pyodide.asm.wasm") for u in page)  # the worker's seen
    assert any(u.endswith("-py3-none-any.whl") for u in page)
    assert sorted(u for u in page if not u.startswith(server)) == []


def test_the_language_comes_from_the_address_and_the_switch_changes_it(browser, server):
    from selenium.webdriver.support.select import Select

    def page() -> dict:
        return browser.execute_script("""
            const tab = (t) => document.querySelector('.tabs [data-tab="' + t + '"]').textContent;
            const frame = document.querySelector("#step iframe");
            return {lang: document.documentElement.lang, run: document.getElementById("run")
                    .textContent, step: tab("step"), chosen: document.getElementById("lang")
                    .value, html: frame ? frame.srcdoc : "", url: location.href};""")

    def example() -> tuple[str, str]:
        return browser.execute_script("""const s = document.getElementById("example");
            return [s.options[s.selectedIndex].textContent, document.getElementById("code")
                    .value];""")

    _open(browser, server + "?lang=zh")
    shown = page()
    assert shown["lang"] == "zh-CN" and shown["run"] == "▶ 运行" and shown["step"] == "逐步演示"
    assert shown["chosen"] == "zh" and 'aria-label="下一步"' in shown["html"]
    assert example() == list(next(iter(examples("zh").items())))  # the example in Chinese
    assert _step_to_end(browser) > 0  # the Chinese page steps to the engine's end
    picker = Select(browser.find_element("id", "example"))
    runs = _runs(browser)
    picker.select_by_index(1)
    _after(browser, runs)
    assert example() == list(list(examples("zh").items())[1])
    runs = _runs(browser)
    Select(browser.find_element("id", "lang")).select_by_value("en")  # the switch re-runs
    _after(browser, runs)
    shown = page()
    assert shown["lang"] == "en" and shown["run"] == "▶ Run" and shown["step"] == "Step through"
    assert 'aria-label="next"' in shown["html"] and shown["url"].endswith("?lang=en")
    assert example() == list(list(examples().items())[1])  # the same example, now in English
    assert [o.text for o in picker.options if o.get_attribute("value")] == list(examples())


def test_fit_shows_its_progress_bar_and_the_picker_says_when_the_code_is_edited(browser, server):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    _open(browser, server)
    select = Select(browser.find_element("id", "example"))
    assert select.first_selected_option.text == next(iter(examples()))
    editor = browser.find_element("id", "code")
    editor.send_keys(Keys.CONTROL, Keys.END)
    editor.send_keys("\n# mine")
    assert select.first_selected_option.text == "—"  # edited: no longer the example
    assert "—" not in [o.text for o in select.options if o.is_enabled()]  # and not offered
    code = ("import microgrid as mg\nfrom microgrid import datasets, losses, nn, optim, train\n"
            "X, y = datasets.make_flower(40, seed=0)\nnet = nn.MLP(2, [4, 1], seed=0)\n"
            "h = train.fit(net, X, y, losses.binary_cross_entropy_with_logits,\n"
            "              optim.SGD(net.parameters(), lr=1.2), epochs=30, progress=True)\n"
            "print(h.epoch_loss[-1])\n")
    shown = _run(browser, code)
    assert shown["error"] is None
    bar, last = shown["output"].splitlines()
    # one line, drawn again in place (no carriage returns or copies left), at its end
    assert re.match(r"fit: 100%\|█+\| 30/30 ", bar), bar
    assert "\r" not in shown["output"] and "Warning" not in shown["output"]
    assert math.isclose(float(last), float(_local(code)[1]), rel_tol=1e-9)
    runs = _runs(browser)
    select.select_by_index(0)  # an example picked again: its title, its code
    _after(browser, runs)
    assert select.first_selected_option.text == next(iter(examples()))


def test_the_licenses_of_pyodide_and_viz_are_in_the_site_and_linked_from_the_footer(server):
    from urllib.request import urlopen

    page = urlopen(server).read().decode("utf-8")
    footer = re.search(r"<footer>(.*?)</footer>", page, re.S).group(1)
    links = dict(re.findall(r'\b(pyodide|viz) [\d.]+ \(<a href="(licenses/[\w.-]+)"', footer))
    assert set(links) == {"pyodide", "viz"}
    config = json.loads(urlopen(server + "playground.json").read())
    for name, link in links.items():
        spdx = config["licenses"][name][0]
        text = urlopen(server + link).read().decode("utf-8")
        assert f">{spdx}</a>" in footer and f"License: {spdx}" in text
        assert text.startswith(("pyodide " if name == "pyodide" else "@viz-js/viz ")
                               + config["versions"][name] + " (npm)")
        license_text = (ROOT / "microgrid/playground/licenses" / f"{spdx}.txt").read_text()
        assert license_text.strip() in text  # the whole text of the license the package names
    viz = urlopen(server + links["viz"]).read().decode("utf-8")
    assert "Copyright (c) Michael Daines" in viz  # viz.js's own notice, Graphviz's named in it
    assert "Graphviz" in viz


def test_what_pyodide_and_viz_carry_compiled_and_the_wheels_have_their_licenses(site, server):
    """CPython inside Pyodide, Graphviz and Expat inside viz.js are shipped as object code: each
    one's license and source are in licenses/; the graphviz and tqdm wheels keep their license
    files and are linked from the footer with the license their metadata names."""
    import zipfile
    from importlib import metadata
    from urllib.request import urlopen

    from microgrid.playground import BUNDLED

    config = json.loads(urlopen(server + "playground.json").read())
    for name, parts in BUNDLED.items():
        text = urlopen(server + "licenses/" + config["licenses"][name][1]).read().decode("utf-8")
        for what, source, spdx, notice in parts:
            assert f"{what}, under {spdx}; its source is at {source}" in text
            assert notice in text
            license_text = (ROOT / "microgrid/playground/licenses" / f"{spdx}.txt").read_text()
            assert license_text.strip() in text
    # the notice given for CPython is the one the shipped interpreter prints
    wasm = (site / "pyodide" / "pyodide.asm.wasm").read_bytes()
    assert BUNDLED["pyodide"][0][3].split(";")[0].encode() in wasm
    page = urlopen(server).read().decode("utf-8")
    footer = re.search(r"<footer>(.*?)</footer>", page, re.S).group(1)
    for name in ("graphviz", "tqdm"):
        dist = metadata.distribution(name)
        spdx, file = config["licenses"][name]
        assert spdx and f'{name} {dist.version} (<a href="licenses/{file}"' in footer
        text = urlopen(server + "licenses/" + file).read().decode("utf-8")
        own = [f for f in dist.files if "/licenses/" in f.as_posix()]
        assert own and all(f.read_text().strip() in text for f in own)
        wheel = next(w for w in config["wheels"] if w.startswith(name + "-"))
        names = zipfile.ZipFile(site / "wheels" / wheel).namelist()
        assert all(f.as_posix() in names for f in own)
