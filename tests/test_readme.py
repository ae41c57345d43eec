"""The README's examples run as written: the REPL session as a doctest, the code blocks in order."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks(kind):
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_repl_session():
    sessions = [b for b in blocks("python") if b.lstrip().startswith(">>>")]
    assert sessions, "the README shows a REPL session"
    for text in sessions:
        test = doctest.DocTestParser().get_doctest(text, {}, "README", str(README), 0)
        result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test)
        assert result.failed == 0


def test_code_blocks_run_in_order(tmp_path, monkeypatch, dot):
    monkeypatch.chdir(tmp_path)  # the examples save pictures into the working directory
    namespace = {}
    for text in blocks("python"):
        if text.lstrip().startswith(">>>"):
            for example in doctest.DocTestParser().get_examples(text):
                exec(example.source, namespace)
        else:
            exec(text, namespace)
    assert (tmp_path / "graph.png").stat().st_size > 1000
