"""scripts/test.sh runs all three stages even when one fails, prints each stage's result, and fails if any did.

Run with a stand-in Python (CNNLAB_TEST_PYTHON) and `chromium` first on PATH, so nothing is installed and no test
runs twice."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
if [ "$1 $2" = "-m pytest" ]; then
    case " $* " in
        *" -m slow "*) exit "$SLOW_STATUS" ;;
        *" -m browser "*) exit 0 ;;
        *) exit "$QUICK_STATUS" ;;
    esac
fi
exit 0
"""


def run_test_script(tmp_path: Path, quick_status: int, slow_status: int) -> tuple[subprocess.CompletedProcess, list]:
    bin_directory = tmp_path / "bin"
    bin_directory.mkdir()
    for name, text in (("python3", FAKE_PYTHON), ("chromium", "#!/bin/sh\nexit 0\n")):
        (bin_directory / name).write_text(text)
        (bin_directory / name).chmod(0o755)
    calls = tmp_path / "calls.txt"
    environment = {**os.environ, "PATH": f"{bin_directory}:{os.environ['PATH']}", "CALLS": str(calls),
                   "CNNLAB_TEST_PYTHON": str(bin_directory / "python3"),
                   "QUICK_STATUS": str(quick_status), "SLOW_STATUS": str(slow_status)}
    finished = subprocess.run(["bash", str(ROOT / "scripts" / "test.sh")], env=environment, capture_output=True,
                              text=True, timeout=60)
    return finished, [line for line in calls.read_text().splitlines() if line.startswith("-m pytest")]


@pytest.mark.parametrize(("quick", "slow", "expected"), [(0, 0, 0), (1, 0, 1), (0, 1, 1)])
def test_every_stage_runs_and_any_failure_fails_the_script(tmp_path, quick, slow, expected):
    finished, pytest_runs = run_test_script(tmp_path, quick, slow)
    assert len(pytest_runs) == 3  # quick, slow and browser, whatever failed before
    assert "-m slow" in pytest_runs[1] and "-m browser" in pytest_runs[2]
    assert (finished.returncode != 0) == bool(expected)
    summary = finished.stdout.split("Test stages:")[1]
    assert ("quick tests: FAILED" in summary) == bool(quick)
    assert ("slow tests: FAILED" in summary) == bool(slow)
    assert "browser tests: passed" in summary
