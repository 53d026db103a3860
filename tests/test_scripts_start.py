"""Every command in scripts/ starts from any folder: `python scripts/<name>.py --help` prints its usage. Each script
puts the repository's root on the import path in its first lines; one that did not would fail here, on its first
import of `cnnlab`, `tests.support` or another script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The scripts with options; the others (make_sample.py, make_app_icon.py) do their work as soon as they start.
COMMANDS = sorted(path for path in (ROOT / "scripts").glob("*.py") if "argparse" in path.read_text())


@pytest.mark.parametrize("script", COMMANDS, ids=lambda path: path.name)
def test_the_script_starts_from_another_folder(script, tmp_path):
    # No PYTHONPATH from the test session: the script must find the repository's modules by itself.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    finished = subprocess.run([sys.executable, str(script), "--help"], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.startswith("usage:"), finished.stdout[:500]
