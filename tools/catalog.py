"""The message catalogs: extract, update, check and compile them, in pure Python.

::

    python tools/catalog.py update     # add the code's new sentences to every .po, drop unused
    python tools/catalog.py compile    # .po -> .mo (committed; the wheel ships them)
    python tools/catalog.py check      # what the tests check: complete, used, placeholders, .mo

Wrapping a sentence is one change in the code, ``"..."`` -> ``_("...")`` (``from ..i18n import
_``); then ``update``, translate the new ``msgstr ""`` entries in
``microgrid/locale/zh/LC_MESSAGES/microgrid.po`` (with the words of ``docs/glossary.md``), and
``compile``. The sentences are found by reading the package's Python with ``ast`` (every
``_("...")`` and ``N_("...")`` with a literal string), its scripts (``*.js``) with the
marker the page uses, ``_("...")``, and the comments of the playground's examples.

The compiler writes GNU ``.mo`` files as ``msgfmt`` does (no hash table, which gettext does
not need), byte for byte the same for the same ``.po``, so a test can tell that a committed
``.mo`` is up to date.
"""

from __future__ import annotations

import ast
import string
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "microgrid"
LOCALE = PACKAGE / "locale"
DOMAIN = "microgrid"
MARKERS = ("_", "N_", "gettext")
HEADER = ("Project-Id-Version: microgrid\n"
          "MIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=UTF-8\n"
          "Content-Transfer-Encoding: 8bit\n"
          "Language: {lang}\n")

sys.path.insert(0, str(ROOT))
from microgrid.i18n import script_messages  # noqa: E402 - after the checkout is on the path
from microgrid.playground import comments  # noqa: E402


@dataclass
class Entry:
    msgid: str
    msgstr: str = ""
    places: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)  # the translator's own, "# ..."
    fuzzy: bool = False


# --- the sentences in the code -----------------------------------------------------------


def extract(package: Path = PACKAGE) -> tuple[dict[str, list[str]], list[str]]:
    """({sentence: ["microgrid/x.py:12", ...]}, problems) for every marked sentence.

    A problem is a marker the catalog can't read: ``_(f"...")``, ``_("a" + b)``, a sentence
    with positional ``{}`` placeholders."""
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS and node.args):
                continue
            arg = node.args[0]
            place = f"{where}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, []).append(place)
            elif isinstance(arg, ast.JoinedStr):
                problems.append(f"{place}: {node.func.id}() of an f-string can't be looked up; "
                                "write {name} placeholders and pass name=... to _()")
            elif not isinstance(arg, ast.Name) and not isinstance(arg, ast.Attribute):
                problems.append(f"{place}: {node.func.id}() needs one literal sentence")
        problems += _shadowed(tree, where)
    for path in sorted((package / "playground" / "examples").glob("*.py")):
        where = path.relative_to(package.parent).as_posix()  # the examples' comments
        for first, _, _, message in comments(path.read_text(encoding="utf-8")):
            found.setdefault(message, []).append(f"{where}:{first}")
    for path in sorted(package.rglob("*.js")):
        where = path.relative_to(package.parent).as_posix()
        for message in script_messages(path.read_text(encoding="utf-8")):
            found.setdefault(message, []).append(where)
    for message, places in found.items():
        if any(name == "" or name.isdigit() for name, _, _ in placeholders(message)):
            problems.append(f"{places[0]}: {message!r} has a positional placeholder; "
                            "name it, e.g. {size}")
    return found, problems


def _shadowed(tree: ast.AST, where: str) -> list[str]:
    """Functions that translate with ``_()`` and also assign ``_`` (a throwaway, as in
    ``x, _ = pair``): there ``_`` is no longer the translator, so ``_("...")`` would fail."""
    wrong = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        names = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == "_"]
        stores = [n for n in names if isinstance(n.ctx, ast.Store)]
        calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "_"]
        if stores and calls:
            wrong.append(f"{where}:{stores[0].lineno}: this function translates with _() "
                         "and assigns _ too; name the throwaway something else (e.g. _rest)")
    return wrong


def placeholders(text: str) -> list[tuple[str, str, str]]:
    """The (name, format spec, conversion) of each ``{...}`` in ``text``, sorted."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as e:
        return [("<unbalanced braces: " + str(e) + ">", "", "")]
    return sorted((name, spec or "", conv or "") for _, name, spec, conv in parsed
                  if name is not None)


# --- .po files ---------------------------------------------------------------------------


def _unquote(text: str) -> str:
    body = text.strip()
    if not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"not a quoted string: {text!r}")
    out, chars = [], iter(body[1:-1])
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    for c in chars:
        out.append(escapes.get(next(chars), "?") if c == "\\" else c)
    return "".join(out)


def _quote(text: str) -> str:
    return '"' + (text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
                  .replace("\r", "\\r").replace("\n", "\\n")) + '"'


def read_po(path: Path) -> dict[str, Entry]:
    """{msgid: Entry} of a .po file; the header entry ("") included."""
    entries: dict[str, Entry] = {}
    entry = Entry("")
    key = None
    parts: dict[str, str] = {}

    def finish() -> None:
        nonlocal entry, parts, key
        if "msgid" in parts:
            entry.msgid, entry.msgstr = parts["msgid"], parts.get("msgstr", "")
            entries[entry.msgid] = entry
        entry, parts, key = Entry(""), {}, None

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        try:
            if not line:
                finish()
            elif line.startswith("#~"):
                continue
            elif line.startswith("#"):
                if "msgid" in parts:
                    finish()
                if line.startswith("#:"):
                    entry.places += line[2:].split()
                elif line.startswith("#,"):
                    entry.fuzzy = "fuzzy" in line
                elif not line.startswith(("#.", "#|")):
                    entry.comments.append(line[1:].strip())
            elif line.startswith(("msgid ", "msgstr ")):
                if line.startswith("msgid ") and "msgid" in parts:
                    finish()
                key, _, rest = line.partition(" ")
                parts[key] = _unquote(rest)
            elif line.startswith('"') and key is not None:
                parts[key] += _unquote(line)
            else:
                raise ValueError(f"unexpected {line[:30]!r}")
        except (ValueError, StopIteration) as e:
            raise ValueError(f"{path}:{number}: {e}") from None
    finish()
    return entries


def write_po(path: Path, lang: str, entries: list[Entry]) -> None:
    lines = [f"# microgrid's sentences in the language {lang!r}; the words follow "
             "docs/glossary.md.", "# Updated by tools/catalog.py update; edit the msgstr lines.",
             'msgid ""', 'msgstr ""']
    lines += [_quote(line) for line in HEADER.format(lang=lang).splitlines(keepends=True)]
    for entry in entries:
        lines.append("")
        lines += [f"# {c}" if c else "#" for c in entry.comments]
        lines += [f"#: {place}" for place in entry.places]
        if entry.fuzzy:
            lines.append("#, fuzzy")
        lines += _field("msgid", entry.msgid) + _field("msgstr", entry.msgstr)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _field(key: str, text: str) -> list[str]:
    if len(text) < 70 and "\n" not in text[:-1]:
        return [f"{key} {_quote(text)}"]
    pieces, line = [], ""
    for word in text.replace("\n", "\n\0").replace(" ", " \0").split("\0"):
        if line and len(line) + len(word) > 70:
            pieces.append(line)
            line = ""
        line += word
        if line.endswith("\n"):
            pieces.append(line)
            line = ""
    if line:
        pieces.append(line)
    return [f'{key} ""'] + [_quote(p) for p in pieces]


# --- .mo files ---------------------------------------------------------------------------


def compile_mo(entries: dict[str, Entry]) -> bytes:
    """The GNU .mo of the translated, non-fuzzy entries (and the header), keys sorted."""
    pairs = sorted((e.msgid.encode("utf-8"), e.msgstr.encode("utf-8"))
                   for e in entries.values() if e.msgstr and (not e.fuzzy or not e.msgid))
    n = len(pairs)
    originals_at = 7 * 4
    translations_at = originals_at + n * 8
    data_at = translations_at + n * 8
    tables: list[int] = []
    blob = b""
    for column in (0, 1):
        for pair in pairs:
            tables += [len(pair[column]), data_at + len(blob)]
            blob += pair[column] + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, n, originals_at, translations_at, 0, data_at)
    return head + struct.pack(f"<{len(tables)}I", *tables) + blob


def catalogs() -> dict[str, Path]:
    """{language: its .po file} for every translation in the package."""
    return {p.parent.parent.name: p for p in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


# --- the checks ----------------------------------------------------------------------------


def _shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def problems(lang: str, po: Path, package: Path = PACKAGE) -> list[str]:
    """Everything wrong between the code and one catalog; [] when they agree."""
    found, wrong = extract(package)
    entries = read_po(po)
    entries.pop("", None)
    for message, places in found.items():
        entry = entries.get(message)
        if entry is None or not entry.msgstr or entry.fuzzy:
            wrong.append(f"{places[0]}: no {lang} translation of {message!r} "
                         "(python tools/catalog.py update, then translate it in "
                         f"{_shown(po)})")
        elif placeholders(entry.msgstr) != placeholders(message):
            wrong.append(f"{_shown(po)}: the {lang} translation of "
                         f"{message!r} has the placeholders {placeholders(entry.msgstr)}, "
                         f"not {placeholders(message)}")
    for message in entries:
        if message not in found:
            wrong.append(f"{_shown(po)}: {message!r} is used nowhere in "
                         "the code (python tools/catalog.py update drops it)")
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compile_mo(read_po(po)):
        wrong.append(f"{_shown(mo)} is not compiled from its .po: "
                     "python tools/catalog.py compile")
    return wrong


def update() -> None:
    found, wrong = extract()
    for problem in wrong:
        print(problem, file=sys.stderr)
    for lang, po in catalogs().items():
        old = read_po(po)
        old.pop("", None)
        entries = []
        for message, places in found.items():
            entry = old.pop(message, None) or Entry(message)
            entry.places = sorted({place.rsplit(":", 1)[0] for place in places})
            entries.append(entry)
        for message in old:
            print(f"{lang}: dropped the unused {message!r}")
        write_po(po, lang, entries)
        missing = sum(not e.msgstr for e in entries)
        print(f"{_shown(po)}: {len(entries)} sentences, "
              f"{missing} to translate")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        return 0
    if command == "compile":
        for po in catalogs().values():
            po.with_suffix(".mo").write_bytes(compile_mo(read_po(po)))
            print(f"wrote {po.with_suffix('.mo').relative_to(ROOT).as_posix()}")
        return 0
    if command == "check":
        wrong = [p for lang, po in catalogs().items() for p in problems(lang, po)]
        print("\n".join(wrong) or "the catalogs agree with the code")
        return 1 if wrong else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
