"""Languages: the catalogs agree with the code, the language is chosen in the documented order,
and the Chinese reaches a learner: in the package as installed from a wheel, in fit's progress
bar and on the command line through a GBK (cp936) or UTF-8 pipe."""

from __future__ import annotations

import asyncio
import gettext as stdlib_gettext
import importlib.util
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

import microgrid as mg
from microgrid import i18n
from microgrid.i18n import _, get_language, language, page_strings, resolve, set_language

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("catalog", ROOT / "tools" / "catalog.py")
catalog = importlib.util.module_from_spec(_spec)
sys.modules["catalog"] = catalog  # dataclasses look their module up there
_spec.loader.exec_module(catalog)

LANG_HELP = ("the language to speak: {languages} (default: the MICROGRID_LANG variable, else "
             "the system's locale)")


# each test starts from no language chosen and an English environment (conftest.py)
pytestmark = pytest.mark.usefixtures("english_environment")


# --- the catalogs against the code ----------------------------------------------------------


@pytest.mark.parametrize("lang", sorted(catalog.catalogs()))
def test_every_sentence_is_translated_used_and_compiled(lang):
    wrong = catalog.problems(lang, catalog.catalogs()[lang])
    assert not wrong, "\n".join(wrong)


def test_there_is_a_chinese_catalog_and_english_needs_none():
    assert "zh" in catalog.catalogs()
    assert i18n.languages() == ("en", "zh")


def _package(tmp_path: Path, source: str, script: str = "") -> Path:
    package = tmp_path / "microgrid"
    package.mkdir()
    (package / "module.py").write_text(source, encoding="utf-8")
    if script:
        (package / "page.js").write_text(script, encoding="utf-8")
    return package


def _po(tmp_path: Path, entries: dict[str, str]) -> Path:
    po = tmp_path / "microgrid.po"
    catalog.write_po(po, "zh", [catalog.Entry(k, v) for k, v in entries.items()])
    po.with_suffix(".mo").write_bytes(catalog.compile_mo(catalog.read_po(po)))
    return po


def test_the_check_sees_a_missing_an_unused_and_a_wrong_translation(tmp_path):
    package = _package(tmp_path, 'from .i18n import _\n\n'
                       'def f(n):\n    return _("{n} steps, forward then backward", n=n)\n\n'
                       'def g():\n    return _("new sentence")\n',
                       script='button.title = _("Next step");\n')
    po = _po(tmp_path, {"{n} steps, forward then backward": "{count} 步：先前向，后反向",
                        "Next step": "下一步", "an old sentence": "旧句子"})
    wrong = "\n".join(catalog.problems("zh", po, package))
    assert "module.py:7: no zh translation of 'new sentence'" in wrong
    assert "'an old sentence' is used nowhere" in wrong
    assert "placeholders [('count', '', '')], not [('n', '', '')]" in wrong
    assert "Next step" not in wrong  # the script's sentence is found and translated
    fixed = _po(tmp_path, {"{n} steps, forward then backward": "共 {n} 步：先前向，后反向",
                           "Next step": "下一步", "new sentence": "新句子"})
    assert catalog.problems("zh", fixed, package) == []


def test_the_check_refuses_what_a_catalog_cannot_hold(tmp_path):
    package = _package(tmp_path, 'from .i18n import _\n\n'
                       'def f(n):\n    return _(f"{n} steps")\n\n'
                       'def g(n):\n    return _("{} steps".format(n))\n\n'
                       'def h(n):\n    return _("{} steps", n)\n\n'
                       'def k(pairs):\n    for _, b in pairs:\n        print(b)\n'
                       '    return _("done")\n')
    found, wrong = catalog.extract(package)
    text = "\n".join(wrong)
    assert "module.py:4: _() of an f-string" in text
    assert "module.py:7: _() needs one literal sentence" in text
    assert "'{} steps' has a positional placeholder" in text
    assert "module.py:13: this function translates with _() and assigns _ too" in text


def test_a_stale_compiled_catalog_is_caught(tmp_path):
    package = _package(tmp_path, 'from .i18n import _\nx = _("fit")\n')
    po = _po(tmp_path, {"fit": "训练"})
    assert catalog.problems("zh", po, package) == []
    po.write_text(po.read_text(encoding="utf-8").replace("训练", "拟合"), encoding="utf-8")
    assert any("is not compiled from its .po" in p for p in catalog.problems("zh", po, package))


def test_the_compiled_catalog_reads_back_through_the_standard_gettext(tmp_path):
    entries = {"fit": "训练", 'say "{x}"\nthen\ttab \\ back': "说“{x}”\n然后\t制表 \\ 反斜杠",
               "long " * 30: "长" * 90}
    po = _po(tmp_path, entries)
    assert {k: v.msgstr for k, v in catalog.read_po(po).items() if k} == entries
    with open(po.with_suffix(".mo"), "rb") as f:
        translations = stdlib_gettext.GNUTranslations(f)
    for english, chinese in entries.items():
        assert translations.gettext(english) == chinese
    assert translations.info()["content-type"] == "text/plain; charset=UTF-8"


# --- which language -------------------------------------------------------------------------


def test_english_is_the_default_and_translation_fills_placeholders_afterwards():
    assert get_language() == "en"
    assert _(LANG_HELP, languages="en, zh").startswith("the language to speak: en, zh")
    set_language("zh")
    assert _("fit") == "训练"
    text = _(LANG_HELP, languages="en, zh")
    assert "en, zh" in text and "语言" in text and "{" not in text
    assert _("a sentence no catalog has") == "a sentence no catalog has"


@pytest.mark.parametrize("value, expected", [
    ("zh_CN.UTF-8", "zh"), ("zh_TW.UTF-8", "zh"), ("zh_HK", "zh"), ("zh", "zh"),
    ("zh_CN.GB2312", "zh"), ("en_US.UTF-8", "en"), ("fr_FR.UTF-8", "en"), ("C", "en"),
    ("POSIX", "en"),
])
def test_the_system_locale_decides_when_nothing_else_does(monkeypatch, value, expected):
    monkeypatch.setenv("LANG", value)
    assert get_language() == expected
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")  # LC_ALL wins over LANG, as in POSIX
    assert get_language() == "en"
    monkeypatch.setenv("LANGUAGE", f"{value}:en")  # GNU's list of preferences: the first
    assert get_language() == expected


def test_the_order_lang_then_block_then_set_language_then_environment(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert get_language() == "zh"
    monkeypatch.setenv("MICROGRID_LANG", "en")  # microgrid's own variable beats the locale
    assert get_language() == "en"
    monkeypatch.setenv("MICROGRID_LANG", "klingon")  # a request it can't meet: English
    assert get_language() == "en"
    monkeypatch.setenv("MICROGRID_LANG", "zh")
    mg.set_language("en")  # the program's choice beats the environment
    assert get_language() == "en"
    with mg.language("zh") as lang:  # a block beats the program's choice
        assert lang == "zh" and get_language() == "zh"
        assert resolve("en") == "en"  # and a view's lang= beats everything
        assert resolve(None) == "zh"
        with language(None):  # a view's lang=None keeps what is in effect
            assert get_language() == "zh"
    assert get_language() == "en"
    mg.set_language(None)
    assert get_language() == "zh"


def test_a_language_without_a_catalog_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"^microgrid has no catalog for the language 'fr': "
                       r"it speaks 'en', 'zh'$"):
        set_language("fr")
    with pytest.raises(TypeError, match="lang must be a language code"):
        resolve(1)
    assert resolve("zh-Hans") == resolve("ZH_cn") == "zh"


def test_a_block_belongs_to_its_thread_and_set_language_to_every_thread():
    seen: dict[str, str] = {}
    started, checked = threading.Event(), threading.Event()

    def other() -> None:
        started.wait()
        seen["during"] = _("fit")
        checked.set()

    thread = threading.Thread(target=other)
    thread.start()
    with language("zh"):
        started.set()
        checked.wait()
        assert _("fit") == "训练"
    thread.join()
    assert seen["during"] == "fit"

    set_language("zh")
    thread = threading.Thread(target=lambda: seen.update(after=_("fit")))
    thread.start()
    thread.join()
    assert seen["after"] == "训练"


def test_a_block_belongs_to_its_asyncio_task():
    async def speak(lang: str, pause: float) -> str:
        with language(lang):
            await asyncio.sleep(pause)
            return _("fit")

    async def both() -> list[str]:
        return list(await asyncio.gather(speak("zh", 0.02), speak("en", 0.01)))

    assert asyncio.run(both()) == ["训练", "fit"]


def test_a_page_gets_the_translations_of_its_script_as_a_dict():
    script = ('btn.textContent = _("fit");\nlabel = _(\'epoch\') + x;\n'
              'help = _("a sentence no catalog has", {n: 3});\nother_("not this");\n')
    assert page_strings(script, "zh") == {"fit": "训练", "epoch": "轮",
                                          "a sentence no catalog has":
                                          "a sentence no catalog has"}
    assert page_strings(script) == {"fit": "fit", "epoch": "epoch",
                                    "a sentence no catalog has": "a sentence no catalog has"}


# --- where a learner meets it ----------------------------------------------------------------


def test_fit_describes_its_progress_bar_in_the_language(capsys):
    from microgrid.losses import binary_cross_entropy
    from microgrid.nn import LogisticRegression
    from microgrid.optim import SGD

    model = LogisticRegression(1)
    with language("zh"):
        mg.train.fit(model, [[0.0], [1.0]], [0.0, 1.0], binary_cross_entropy,
                     SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    bar = capsys.readouterr().err
    assert "训练" in bar and "2/2" in bar and "轮/s" in bar


def test_the_wheel_carries_the_compiled_catalog(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("microgrid_autodiff-*.whl"))
    assert "microgrid/locale/zh/LC_MESSAGES/microgrid.mo" in zipfile.ZipFile(wheel).namelist()
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import microgrid as mg, microgrid.i18n as i; mg.set_language('zh'); "
            "print(i.__file__, i.gettext('fit'))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=tmp_path,
                         env={**env, "PYTHONPATH": str(site), "PYTHONIOENCODING": "utf-8"})
    path, word = out.stdout.decode("utf-8").split()
    assert Path(path).is_relative_to(site) and word == "训练"


def test_an_editable_install_finds_the_compiled_catalog(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                          "--no-build-isolation", "--prefix", str(tmp_path), "-e", str(ROOT)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    site = next(tmp_path.glob("lib*/python*/site-packages"), None) or tmp_path / "Lib/site-packages"
    # -S: only the editable install's site folder, not the one microgrid is installed in here
    code = (f"import site; site.addsitedir({str(site)!r}); import microgrid.i18n as i; "
            "i.set_language('zh'); print(i.__file__, i.gettext('fit'))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": "", "PYTHONIOENCODING": "utf-8"})
    path, word = out.stdout.decode("utf-8").split()
    assert Path(path) == ROOT / "microgrid" / "i18n.py" and word == "训练"


def _cli(*args: str, encoding: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items()
             if k not in (i18n.ENV, *i18n.LOCALE_VARIABLES)}
    return subprocess.run([sys.executable, "-m", "microgrid", *args], capture_output=True,
                          env={**clean, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": encoding,
                               "LANG": "C.UTF-8", **env})


@pytest.mark.parametrize("encoding", ["cp936", "utf-8"])
def test_the_command_line_speaks_chinese_through_a_gbk_or_utf8_pipe(encoding):
    chinese = _(LANG_HELP, languages="en, zh")
    with language("zh"):
        chinese = _(LANG_HELP, languages="en, zh")
    for args, env in ((("--lang", "zh", "--help"), {}), (("--help",), {"MICROGRID_LANG": "zh"}),
                      (("--help",), {"LANG": "zh_CN.UTF-8"}), (("--lang=zh_CN", "--help"), {})):
        r = _cli(*args, encoding=encoding, **env)
        assert r.returncode == 0, r.stderr.decode(encoding, errors="replace")
        out = " ".join(r.stdout.decode(encoding).split())  # argparse wraps the help
        assert chinese in out, (args, env, out)
    r = _cli("--lang", "en", "--help", encoding=encoding, MICROGRID_LANG="zh")
    assert "the language to speak: en, zh" in " ".join(r.stdout.decode(encoding).split())


def test_an_unknown_language_on_the_command_line_is_one_line_and_exit_2():
    r = _cli("--lang", "fr", "grad", "a*b", "a=2", "b=3", encoding="utf-8")
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == ("microgrid: error: microgrid has no catalog for the language "
                                 "'fr': it speaks 'en', 'zh'\n")
    r = _cli("grad", "a*b", "a=2", "b=3", encoding="utf-8", MICROGRID_LANG="fr")
    assert r.returncode == 0 and r.stdout.decode().startswith("a*b = 6")  # a request: English


def test_the_chinese_readme_runs_and_its_links_lead_somewhere():
    import doctest
    import re

    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    session = re.findall(r"```python\n(>>> .*?)```", text, re.S)[0]
    test = doctest.DocTestParser().get_doctest(session, {}, "README.zh-CN", None, 0)
    assert doctest.DocTestRunner().run(test).failed == 0
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert "notebooks/zh/01_computation_graph.ipynb" in links and "README.md" in links
    for link in links:
        assert (ROOT / link).exists(), f"README.zh-CN.md links to {link}, which is not there"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "[中文说明](README.zh-CN.md)" in readme.split("\n\n", 2)[1]  # at the top
