"""The README's Quickstart, run as a newcomer runs it.

Its two commands are run verbatim in a fresh clone, with ``env -i HOME=$HOME
PATH=/usr/bin:/bin``: the system's own ``python3`` as the only Python (Debian's refuses ``pip
install`` outside a virtual environment, PEP 668, and there is no ``python`` command), nothing
of this session's environment. The first installs and runs the demo; the second runs the
whole test suite, which must pass.

That is a full install and a second run of the suite, so it runs in CI (which has the time and
the network) and wherever MICROGRID_QUICKSTART=1 asks for it. The inner run has neither variable
(``env -i``), so it skips this test instead of starting a third run: no recursion.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def quickstart():
    """The commands of the Quickstart's first code block, one a line."""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    return block.strip().splitlines()


def test_the_quickstart_is_two_one_line_commands_for_any_python3():
    install, test = quickstart()
    assert "microgrid demo" in install and "pytest" in test
    for command in (install, test):
        # no bare `python` (a fresh Debian has only python3), no pip outside a venv (PEP 668)
        for step in command.split("&&"):
            assert step.split()[0] not in ("python", "pip", "pip3"), command
        assert "sudo" not in command and "--break-system-packages" not in command
    assert install.startswith("python3 -m venv .venv && ")
    assert test.startswith(".venv/bin/")


def test_ci_runs_the_quickstart_s_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "sed -n 2p" in ci and 'bash -c "$test_cmd"' in ci
    assert "python3 -m venv .venv" in ci  # where the test command expects the environment
    assert '".[dev,torch,jax,gif]"' in ci  # with everything CI checks


def run(command, cwd, timeout):
    env = {"HOME": os.environ.get("HOME", str(cwd)), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["env", "-i", *[f"{k}={v}" for k, v in env.items()], "bash", "-c",
                           command], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_the_quickstart_in_a_fresh_clone(tmp_path):
    if not (os.environ.get("CI") or os.environ.get("MICROGRID_QUICKSTART")):
        pytest.skip("installs from scratch and runs the whole suite again (minutes): it runs "
                    "in CI, and here with MICROGRID_QUICKSTART=1")
    for tool in ("/usr/bin/python3", "/usr/bin/git"):
        if not os.path.exists(tool):
            pytest.fail(f"{tool} is missing: apt install python3 python3-venv git")
    if not (ROOT / ".git").exists():
        pytest.fail("the Quickstart is run in a git clone of this repository, and this "
                    "folder is not one")
    clone = tmp_path / "microgrid"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    install, test = quickstart()

    first = run(install, clone, timeout=1800)
    assert first.returncode == 0, (first.stdout[-3000:], first.stderr[-3000:])
    assert "test accuracy" in first.stdout
    assert (clone / "microgrid-demo").is_dir()

    second = run(test, clone, timeout=3600)
    summary = second.stdout.strip().splitlines()[-1] if second.stdout.strip() else ""
    assert second.returncode == 0, (summary, second.stdout[-4000:], second.stderr[-2000:])
    assert re.search(r"\d+ passed", summary) and "failed" not in summary, summary
    shutil.rmtree(clone / ".venv", ignore_errors=True)
