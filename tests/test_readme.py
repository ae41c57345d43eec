"""The README's examples run as written: the REPL session as a doctest, the code blocks in order.

The same holds for the pages under ``docs/`` that the README links to: their ``python`` blocks
run here, in order, one namespace per page. Their ``py`` blocks are the exports to PyTorch and
JAX (one of them a script for several processes), which ``tests/test_export.py`` runs.
"""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def blocks(kind, path=README):
    return re.findall(rf"```{kind}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def run_in_order(texts, namespace):
    for text in texts:
        if text.lstrip().startswith(">>>"):
            for example in doctest.DocTestParser().get_examples(text):
                exec(example.source, namespace)
        else:
            exec(text, namespace)


def test_repl_session():
    sessions = [b for b in blocks("python") if b.lstrip().startswith(">>>")]
    assert sessions, "the README shows a REPL session"
    for text in sessions:
        test = doctest.DocTestParser().get_doctest(text, {}, "README", str(README), 0)
        result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test)
        assert result.failed == 0


def test_code_blocks_run_in_order(tmp_path, monkeypatch, dot):
    monkeypatch.chdir(tmp_path)  # the examples save pictures into the working directory
    run_in_order(blocks("python"), {})
    assert (tmp_path / "graph.png").stat().st_size > 1000
    assert (tmp_path / "logistic.png").stat().st_size > 1000


def pages():
    return sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("page", [p for p in pages() if blocks("python", p)],
                         ids=lambda p: p.name)
def test_the_docs_code_blocks_run_in_order(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_in_order(blocks("python", page), {})


def test_every_python_block_of_the_docs_is_run_somewhere():
    """A block moved out of the README keeps being run: as ``python`` here, or as ``py`` in
    docs/export.md by tests/test_export.py; nowhere else may Python hide from the tests."""
    assert blocks("python", DOCS / "guarantees.md"), "docs/guarantees.md shows its example"
    assert len(blocks("py", DOCS / "export.md")) == 3  # the calls, DDP, JAX sharding
    for page in [README, *pages()]:
        kinds = set(re.findall(r"^```(\w+)$", page.read_text(encoding="utf-8"), re.M))
        allowed = {"python", "text"} | ({"py"} if page.name == "export.md" else set())
        assert kinds <= allowed, f"{page.name} has code blocks no test runs: {kinds - allowed}"


def test_the_links_between_the_pages_lead_somewhere():
    for page in [README, ROOT / "README.zh-CN.md", ROOT / "CONTRIBUTING.md", *pages()]:
        for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in link:
                continue
            target = (page.parent / link).resolve()
            assert target.exists(), f"{page.relative_to(ROOT)} links to {link}, not there"
