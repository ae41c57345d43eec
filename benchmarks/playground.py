"""The playground in headless Chromium: time to the first result after the page opens, and
later runs of each course example.

The static folder is built from this checkout (``microgrid playground build``; needs node and
npm, and the npm registry the first time), served from 127.0.0.1, and opened in ``--opens``
fresh headless Chromium profiles, twice each: a first visit, then again with the browser's cache
warm (as a class's second lesson). "ready" is when Python has started and imported microgrid;
"first result" is when the first example's graph, derivation and step-through are on the page.
Later runs press Run on each example ``--repeat`` times: the median of the page's own timings.
Run:  python benchmarks/playground.py [--opens 3] [--repeat 5] [--site DIR]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's microgrid

from microgrid.playground import build, examples  # noqa: E402


def serve(site: Path) -> str:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/"


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("google-chrome")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    return driver


def wait(driver, script: str, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for: {script}")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--site", default=None, help="a built folder (default: build one now)")
    args = parser.parse_args()
    site = Path(args.site) if args.site else build(Path(tempfile.mkdtemp()) / "site")
    url = serve(site)

    opens = []
    for _ in range(args.opens):
        driver = chromium()
        try:
            for kind in ("first visit", "again"):  # a fresh profile, then its cache warm
                driver.get("about:blank")
                driver.get(url)
                wait(driver, "return document.body.dataset.runs === '1'")
                opens.append((kind, driver.execute_script("""
                    const p = window.microgridPlayground;
                    return {ready: p.readyMs, first: performance.now(), phases: p.phases};""")))
        finally:
            driver.quit()
    print(f"page open to first result (headless Chromium, {args.opens} fresh profiles, each "
          "opened twice):")
    for kind, o in opens:
        phases = ", ".join(f"{k} {v / 1000:.2f}" for k, v in sorted(o["phases"].items(),
                                                                   key=lambda kv: kv[1]))
        print(f"  {kind:11}  Python ready {o['ready'] / 1000:5.2f} s, first result "
              f"{o['first'] / 1000:5.2f} s   (worker, s: {phases})")

    driver = chromium()
    try:
        driver.get(url)
        wait(driver, "return document.body.dataset.runs === '1'")
        print(f"later runs, median of {args.repeat} (ms): total = Python + drawing "
              "(draw + step_through's SVG) + explain + showing")
        for i, title in enumerate(examples()):
            driver.execute_script("const s = document.getElementById('example');"
                                  "s.selectedIndex = arguments[0];"
                                  "document.getElementById('code').value = "
                                  "JSON.parse(document.getElementById('examples').textContent)"
                                  "[s.value];", i)
            times = []
            for _ in range(args.repeat):
                runs = driver.execute_script("return +document.body.dataset.runs")
                driver.find_element("id", "run").click()
                wait(driver, f"return +document.body.dataset.runs > {runs} && "
                     "document.body.dataset.state === 'ready'")
                times.append(driver.execute_script(
                    "return window.microgridPlayground.runs.at(-1)"))
            med = {k: statistics.median(t[k] for t in times) for k in times[0]}
            print(f"  {title:22} total {med['total']:6.0f}   Python {med['python']:5.0f}   "
                  f"draw {med['draw']:5.0f}   step {med['step']:5.0f}   "
                  f"explain {med['explain']:4.0f}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
