"""The playground: microgrid in a browser page that needs nothing installed, from one folder.

``microgrid playground build -o site/`` writes a static folder: the page (``index.html``,
``playground.js``, ``playground.css`` and ``worker.js``, the files beside this one), CPython
compiled to WebAssembly (Pyodide) and Graphviz compiled to WebAssembly (``@viz-js/viz``), both
from the npm registry at the versions pinned in ``package.json``/``package-lock.json`` here,
and the wheels the page installs into Pyodide: microgrid's own, made from the files of this
package, and graphviz's and tqdm's (``fit(progress=True)``'s bar), made from the installed copies
microgrid uses. ``licenses/`` holds the licenses of Pyodide and viz-js (with those of CPython,
Graphviz and Expat, compiled inside them) and of the two wheels, linked from the page's footer.
Served by any static server (``python3 -m http.server -d site``), the page fetches only from its
own folder.

Python runs in a Web Worker (``worker.js``), so a cell that never ends can be stopped by ending
the worker; the worker runs ``runner.run`` on the code, the real package throughout.

Only the build needs ``node``/``npm``; ``import microgrid`` never touches any of this.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import textwrap
import tokenize
import zipfile
from importlib import metadata, resources
from pathlib import Path

PAGE = ("playground.js", "playground.css", "worker.js")  # copied as they are
PYODIDE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
           "pyodide-lock.json")
VIZ = ("viz.js",)
NPM = {"pyodide": "pyodide", "viz": "@viz-js/viz"}  # the site's folder: the npm package in it
WHEELS = ("graphviz", "tqdm")  # pure-Python packages microgrid imports, as installed here
# What the npm packages carry compiled inside them, which their own notices do not cover:
# {site folder: [(what, where its source is, its license (SPDX), its copyright notice)]}
BUNDLED = {
    "pyodide": [("CPython", "https://github.com/python/cpython", "PSF-2.0",
                 "Copyright (c) 2001 Python Software Foundation; All Rights Reserved")],
    "viz": [("Graphviz", "https://gitlab.com/graphviz/graphviz", "EPL-1.0", ""),
            ("Expat", "https://github.com/libexpat/libexpat", "MIT",
             "Copyright (c) 1998-2000 Thai Open Source Software Center Ltd and Clark Cooper\n"
             "Copyright (c) 2001-2025 Expat maintainers")],
}
NPM_HINT = ("the playground's build needs node and npm: apt install nodejs npm "
            "(or see https://nodejs.org), then run it again")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # zip entries' time: the same files give the same wheel


class PlaygroundError(RuntimeError):
    """The build cannot go on (no npm, the registry unreachable): one line that says why."""


def build(out: str | os.PathLike[str], cache: str | os.PathLike[str] | None = None) -> Path:
    """Write the playground's static folder to ``out`` and return its path.

    The npm packages are installed once into ``cache`` (default
    ``~/.cache/microgrid/playground``, or ``$MICROGRID_PLAYGROUND_CACHE``), in a folder named
    after the lock file's hash, and reused by later builds.
    """
    modules = _node_modules(cache)
    site = Path(out)
    site.mkdir(parents=True, exist_ok=True)
    (site / "pyodide").mkdir(exist_ok=True)
    (site / "viz").mkdir(exist_ok=True)
    (site / "wheels").mkdir(exist_ok=True)
    for name in PYODIDE:
        shutil.copyfile(modules / "pyodide" / name, site / "pyodide" / name)
    for name in VIZ:
        shutil.copyfile(modules / "@viz-js" / "viz" / "dist" / name, site / "viz" / name)
    for name in PAGE:
        (site / name).write_text(_asset(name), encoding="utf-8")
    wheels = [_package_wheel(site / "wheels")]
    wheels += [_installed_wheel(name, site / "wheels") for name in WHEELS]
    for old in (site / "wheels").glob("*.whl"):
        if old.name not in wheels:
            old.unlink()  # an older build's wheel
    versions = {"pyodide": _npm_version(modules / "pyodide"),
                "viz": _npm_version(modules / "@viz-js" / "viz"),
                "microgrid": _version(), **{name: metadata.version(name) for name in WHEELS}}
    licenses = _licenses(modules, site / "licenses")
    licenses.update({name: _wheel_license(name, site / "licenses") for name in WHEELS})
    config = {"wheels": wheels, "versions": versions, "licenses": licenses}
    (site / "playground.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    page = _asset("index.html")
    from ..i18n import languages

    # in each language, the examples as [title, code] pairs, in one order: the same index is
    # the same example, so switching language keeps the example shown
    page = page.replace("{{examples}}", _script_json(
        {lang: list(examples(lang).items()) for lang in languages()}))
    footer = []
    for name, version in versions.items():
        item = html.escape(f"{name} {version}")
        if name in licenses:  # the license's name, a link to its text in licenses/
            spdx, file = licenses[name]
            item += (f' (<a href="licenses/{html.escape(file)}" target="_blank">'
                     f"{html.escape(spdx)}</a>)")
        footer.append(item)
    page = page.replace("{{versions}}", " · ".join(footer))
    page = page.replace("{{strings}}", _script_json(strings()))
    (site / "index.html").write_text(page, encoding="utf-8")
    return site


def strings() -> dict[str, dict[str, str]]:
    """The page's words in every language microgrid speaks: {language: {English: translation}}
    for each ``_("...")`` of ``playground.js``, so the page switches language offline."""
    from ..i18n import languages, page_strings

    script = _asset("playground.js")
    return {lang: page_strings(script, lang) for lang in languages()}


def examples(lang: str = "en") -> dict[str, str]:
    """The course's examples the page offers, by title, in the order of their files in
    ``examples/``: the same code in every language, its comments translated through the
    catalog like any other sentence. The title is the first comment up to its colon."""
    folder = resources.files(__name__).joinpath("examples")
    found = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.is_file() and item.name.endswith(".py"):
            code = _translate_comments(item.read_text(encoding="utf-8"), lang)
            title = re.split("[:：]", code.splitlines()[0].lstrip("# "))[0].rstrip(".")
            found[title] = code
    return found


def comments(code: str) -> list[tuple[int, int, int, str]]:
    """An example's comments as the catalog's sentences: [(first line, last line, column,
    text)]. Whole-line comments one under another are one sentence (their lines joined by
    newlines, so a sentence is never cut in two); a comment after code is one of its own."""
    found: list[tuple[int, int, int, str]] = []
    lines = code.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type != tokenize.COMMENT:
            continue
        (row, col), text = token.start, token.string[1:].strip()
        alone = not lines[row - 1][:col].strip()
        if alone and found and found[-1][1] == row - 1 and found[-1][2] == col and (
                not lines[row - 2][:col].strip()):
            first, _, _, before = found.pop()
            found.append((first, row, col, before + "\n" + text))
        else:
            found.append((row, row, col, text))
    return found


def _translate_comments(code: str, lang: str) -> str:
    """``code`` with each of its comments (see ``comments``) in ``lang``."""
    from ..i18n import _, language

    lines = code.splitlines(keepends=True)
    with language(lang):
        for first, last, col, text in reversed(comments(code)):
            said = _(text).split("\n")
            head = lines[first - 1][:col]
            if head.strip():  # after code: the code, then the comment on the same line
                lines[first - 1] = f"{head}# {said[0]}\n"
            else:
                lines[first - 1:last] = [f"{head}# {line}\n" for line in said]
    return "".join(lines)


# --- npm -------------------------------------------------------------------------------------


def _node_modules(cache: str | os.PathLike[str] | None) -> Path:
    """``node_modules`` with the pinned packages: ``npm ci`` once per lock file."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PlaygroundError(NPM_HINT)
    lock = _asset("package-lock.json")
    root = Path(cache or os.environ.get("MICROGRID_PLAYGROUND_CACHE")
                or Path.home() / ".cache" / "microgrid" / "playground")
    folder = root / hashlib.sha256(lock.encode()).hexdigest()[:16]
    done = folder / "node_modules" / ".microgrid-complete"
    if done.exists():
        return folder / "node_modules"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(_asset("package.json"), encoding="utf-8")
    (folder / "package-lock.json").write_text(lock, encoding="utf-8")
    try:
        proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                               "--loglevel=error"], cwd=folder, capture_output=True, text=True,
                              timeout=600, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        raise PlaygroundError(f"npm ci failed in {folder}: {e}") from None
    if proc.returncode != 0:
        lines = [x for x in (proc.stderr + proc.stdout).splitlines() if x.strip()]
        why = lines[-1].strip() if lines else f"exit code {proc.returncode}"
        raise PlaygroundError(f"npm ci failed in {folder} (is the npm registry reachable?): "
                              f"{why}")
    done.write_text("npm ci finished\n", encoding="utf-8")
    return folder / "node_modules"


def _npm_version(package: Path) -> str:
    return str(json.loads((package / "package.json").read_text(encoding="utf-8"))["version"])


_LICENSE_FILE = re.compile(r"(licen[cs]e|copying|notice)\b", re.I)
_BANNER = re.compile(r"/\*!(.*?)\*/", re.S)  # a bundle's "keep me" comment: its copyright


def _licenses(modules: Path, folder: Path) -> dict[str, tuple[str, str]]:
    """Write the license of each npm package the site ships to ``folder``; returns
    {site folder: (the license's SPDX name, its file in ``folder``)}.

    The file starts with what the package says of itself (name, version, the ``license`` of
    its package.json, and the copyright notice a bundle carries in its first comment), then
    the package's own license files. The packages pinned here (Pyodide 314, viz-js 3) ship no
    license file, only that SPDX name, so the text of the license it names follows instead,
    from ``licenses/`` beside this file; a package whose license has no text there stops the
    build rather than ship without one.
    """
    folder.mkdir(exist_ok=True)
    found = {}
    for name, package in NPM.items():
        root = modules / package
        meta = json.loads((root / "package.json").read_text(encoding="utf-8"))
        spdx = str(meta.get("license", ""))
        home = meta.get("homepage") or meta.get("repository", {}).get("url", "")
        parts = [f"{meta['name']} {meta['version']} (npm), {home}\nLicense: {spdx}\n"]
        shipped = PYODIDE if name == "pyodide" else [f"dist/{f}" for f in VIZ]
        for rel in shipped:
            if rel.endswith((".js", ".mjs")):
                start = (root / rel).read_text(encoding="utf-8", errors="replace")[:4000]
                banner = _BANNER.match(start)
                if banner:
                    parts.append(f"From {package}/{rel}:\n"
                                 + textwrap.dedent(banner.group(1)).strip() + "\n")
        own = sorted(p for p in root.iterdir() if p.is_file() and _LICENSE_FILE.match(p.name))
        if own:
            parts += [p.read_text(encoding="utf-8", errors="replace") for p in own]
        else:
            parts.append(f"The text of {spdx}, the license the package names "
                         f"(the package ships no license file):\n\n"
                         + _license_text(spdx, f"the npm package {package}"))
        for what, source, spdx_inside, notice in BUNDLED.get(name, ()):
            parts.append(f"Inside {package}, in object code form: {what}, under {spdx_inside}; "
                         f"its source is at {source}.\n{notice}\n\nThe text of {spdx_inside}:"
                         f"\n\n" + _license_text(spdx_inside, what))
        file = f"{name}.txt"
        (folder / file).write_text("\n".join(parts), encoding="utf-8")
        found[name] = (spdx, file)
    return found


def _license_text(spdx: str, whose: str) -> str:
    """The text of the license named ``spdx``, from ``licenses/`` beside this file."""
    text = resources.files(__name__).joinpath("licenses", f"{spdx}.txt")
    if not text.is_file():
        raise PlaygroundError(f"{whose} is under {spdx!r}, whose text the build does not have: "
                              f"add it as microgrid/playground/licenses/{spdx}.txt")
    return text.read_text(encoding="utf-8")


def _wheel_license(name: str, folder: Path) -> tuple[str, str]:
    """Write the license of the installed distribution ``name`` (its metadata's license name,
    then the license files it ships) to ``folder``; returns (that name, the file)."""
    dist = metadata.distribution(name)
    spdx = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
    own = [f for f in dist.files or [] if _is_license_file(f.as_posix())]
    if not own:
        raise PlaygroundError(f"the installed {name} lists no license file, so the page cannot "
                              f"be given a copy: python -m pip install --force-reinstall {name}")
    parts = [f"{name} {dist.version} (PyPI), a wheel in wheels/\nLicense: {spdx}\n"]
    parts += [Path(str(dist.locate_file(f))).read_text(encoding="utf-8", errors="replace")
              for f in own]
    file = f"{name}.txt"
    (folder / file).write_text("\n".join(parts), encoding="utf-8")
    return spdx, file


def _is_license_file(rel: str) -> bool:
    """A license file of an installed distribution: under its .dist-info's ``licenses/``
    (PEP 639) or named LICENSE/COPYING/NOTICE in it."""
    return ".dist-info/" in rel and ("/licenses/" in rel
                                     or bool(_LICENSE_FILE.match(rel.rsplit("/", 1)[-1])))


# --- wheels ----------------------------------------------------------------------------------


def _package_wheel(folder: Path) -> str:
    """microgrid's wheel, made from the files of this package (sources and package data)."""
    package = Path(__file__).resolve().parent.parent
    files = {}
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package.parent).as_posix()
        if path.is_file() and "__pycache__" not in rel and not rel.endswith((".pyc", ".pyo")):
            files[rel] = path.read_bytes()
    version = _version()
    meta = (f"Metadata-Version: 2.1\nName: microgrid\nVersion: {version}\n"
            "Requires-Dist: graphviz>=0.20\n")
    return _write_wheel(folder, "microgrid", version, files, meta)


def _installed_wheel(name: str, folder: Path) -> str:
    """A wheel of an installed pure-Python distribution, from its installed files."""
    dist = metadata.distribution(name)
    files = {}
    for f in dist.files or []:
        rel = f.as_posix()
        if ((".dist-info/" in rel and not _is_license_file(rel)) or "__pycache__" in rel
                or rel.startswith("..")):
            continue  # the wheel gets its own METADATA, WHEEL and RECORD; licenses stay
        files[rel] = Path(str(dist.locate_file(f))).read_bytes()
    if not any(rel.endswith(".py") for rel in files):
        raise PlaygroundError(f"the installed {name} does not list its files, so the page "
                              f"cannot be given a copy: python -m pip install {name}")
    meta = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: {name}\n"
    return _write_wheel(folder, name, dist.version, files, meta)


def _write_wheel(folder: Path, name: str, version: str, files: dict[str, bytes],
                 meta: str) -> str:
    """A py3-none-any wheel (PEP 427) of ``files``, with its METADATA, WHEEL and RECORD."""
    info = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = meta.encode("utf-8")
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: microgrid playground\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for rel, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([rel, f"sha256={digest}", len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue().encode("utf-8")
    wheel = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(folder / wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in files.items():
            entry = zipfile.ZipInfo(rel, _EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, data)
    return wheel


def _version() -> str:
    import microgrid

    return str(microgrid.__version__)


# --- helpers ---------------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False)
    return re.sub(r"[<>&]", lambda m: f"\\u{ord(m.group()):04x}", text)
