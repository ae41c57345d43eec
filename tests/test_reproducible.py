"""Property-based tests are reproducible: the same examples in every CI run, and a failure
anywhere prints the example and how to replay it."""

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent


def profile_in(env):
    code = ("import sys; sys.path.insert(0, 'tests'); import conftest; "
            "from hypothesis import settings as s; "
            "print(s.default.derandomize, s.default.print_blob, s.default.database)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), **env}, check=True)
    return out.stdout.split()


def test_every_run_prints_the_failing_example_and_its_blob():
    assert settings.default.print_blob


def test_ci_draws_the_same_examples_every_run():
    derandomize, blob, database = profile_in({"CI": "true", "HYPOTHESIS_PROFILE": ""})
    assert derandomize == "True" and blob == "True" and database == "None"


def test_elsewhere_examples_vary_unless_asked_for_the_ci_profile():
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    code = ("import sys; sys.path.insert(0, 'tests'); import conftest; "
            "from hypothesis import settings as s; print(s.default.derandomize)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env={**env, "PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.split() == ["False"]
    assert profile_in({"HYPOTHESIS_PROFILE": "ci"})[0] == "True"
