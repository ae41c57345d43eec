"""Shared fixtures."""

import json
import os
import shutil

import pytest
from hypothesis import settings

from microgrid import Value

# Property-based tests: in CI every run draws the same examples (derandomize), so a failure
# there is a failure on every rerun and on a developer's machine with HYPOTHESIS_PROFILE=ci;
# elsewhere they explore new examples each run. Either way a failure prints the falsifying
# example and the @reproduce_failure blob that replays it.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or
                      ("ci" if os.environ.get("CI") else "dev"))

INSTALL = ("install Graphviz's `dot`: apt install graphviz, brew install graphviz, "
           "conda install -c conda-forge graphviz or choco install graphviz")


@pytest.fixture
def dot():
    """The path of Graphviz's ``dot``, for tests that render real pictures.

    CI installs Graphviz, so there a missing ``dot`` is a failure, never a skip; elsewhere the
    test is skipped with how to install it.
    """
    path = shutil.which("dot")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"Graphviz's `dot` is not on PATH in CI; {INSTALL}")
        pytest.skip(f"rendering needs Graphviz's `dot`; {INSTALL}")
    return path


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """PATH holds only an empty folder, so no ``dot`` can be found (works on every machine)."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def course_values():
    """The course's J = 3(a + bc) at a=5, b=3, c=2, labelled, not yet differentiated:
    ``(J, a, b, c, u, v)``. Test modules import it (``from conftest import course_values``)."""
    a, b, c = Value(5.0, label="a"), Value(3.0, label="b"), Value(2.0, label="c")
    u = b * c
    u.label = "u"
    v = a + u
    v.label = "v"
    J = 3 * v
    J.label = "J"
    return J, a, b, c, u, v


@pytest.fixture
def course_graph():
    """Builds the course's J = 3(a + bc) at a=5, b=3, c=2, labelled and differentiated."""

    def build():
        J = course_values()[0]
        J.backward()
        return J

    return build


@pytest.fixture
def english_environment(monkeypatch):
    """No language chosen and an English environment (no MICROGRID_LANG, LANG=C.UTF-8), for the
    tests of languages: each starts from there and leaves no choice behind."""
    from microgrid import i18n

    for name in (i18n.ENV, *i18n.LOCALE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    i18n.set_language(None)
    yield
    i18n.set_language(None)


CHROMIUM_INSTALL = ("install Chromium and its driver: apt install chromium chromium-driver "
                    "(Debian/Ubuntu), and Selenium: python -m pip install -e '.[dev]'")


def headless_chromium(window: str, *arguments: str):
    """Headless Chromium driven by Selenium, with the browser's own background traffic off, a
    window of ``window`` ("1280,800") and ``arguments`` added (how requests are stopped).

    CI installs Chromium, its driver and Selenium, so there a missing one is a failure, never a
    skip; elsewhere the test is skipped with how to install them.
    """

    def need(what: str) -> None:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing in CI; {CHROMIUM_INSTALL}")
        pytest.skip(f"the browser tests need {what}; {CHROMIUM_INSTALL}")

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need("Selenium")
    binary = shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if binary is None:
        need("Chromium")
    if driver_path is None:
        need("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={window}", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", *arguments):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def requests_sent(driver) -> list[str]:
    """The URLs the page asked for since the log was last read (from the performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
