"""Debian's Chromium for Playwright: where it is, and the flags it needs on this machine (browsers cannot be
downloaded here, so Playwright's own are not used)."""

from __future__ import annotations

import shutil
import sys

# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which fails here.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """Chromium's path; without it, ends the script with a sentence and exit code 2 (the run itself failed)."""
    path = chromium_path()
    if path is None:
        print("Chromium is not installed (Debian package `chromium`).", file=sys.stderr)
        raise SystemExit(2)
    return path
