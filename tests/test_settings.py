"""Loud settings: a misspelt yes/no or a number that is not one stops the start-up, naming the variable."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**variables) -> subprocess.CompletedProcess:
    environment = {**os.environ, **variables}
    return subprocess.run([sys.executable, "-c", "import povertyapp.settings"], cwd=ROOT, env=environment,
                          capture_output=True, text=True)


@pytest.mark.parametrize("variable, value", [("DEBUG", "flase"), ("SECURE_COOKIES", "ja"),
                                             ("EXIT_CHECK_WORKERS", "two"), ("LOGIN_FAILURE_LIMIT", "5x")])
def test_it_refuses_nonsense_with_the_variables_name(variable, value):
    started = start(**{variable: value})
    assert started.returncode != 0
    assert f"{variable}={value!r}" in started.stderr


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_it_reads_the_usual_words_for_no(value):
    assert start(DEBUG=value, SECRET_KEY="x" * 50).returncode == 0
