"""The first student of the day: a fresh server with an empty model store, a link to the Activations page, a digit
drawn with the mouse. Prints the seconds from opening the link to the prediction, and the server's memory with all
of MNIST and the shipped reference model loaded. Exits 1 when the prediction takes longer than the budget.

    python scripts/bench_first_visit.py [--budget-seconds 5]

Runs from any folder: its first lines put the repository's root on the import path, for `cnnlab` and
`tests.support`.
Needs Playwright (requirements-dev.txt) and Debian's `chromium`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.chromium import CHROMIUM_FLAGS, require_chromium  # noqa: E402 - after the path set-up above
from tests.support.server import AppServer, memory_kib  # noqa: E402

BUDGET_SECONDS = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-seconds", type=float, default=BUDGET_SECONDS)
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    work = Path(tempfile.mkdtemp(prefix="cnnlab-first-visit-"))
    # Its own empty model folder: the server installs the shipped reference model on this first visit.
    with AppServer(work / "server.log", work / "models") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        opened = time.perf_counter()
        page.goto(f"{server.url}/activations")
        page.get_by_text("Draw", exact=True).click(timeout=120_000)
        canvas = page.locator("canvas.upper-canvas")
        canvas.wait_for(timeout=120_000)
        box = canvas.bounding_box()
        drawn = time.perf_counter()
        page.mouse.move(box["x"] + 140, box["y"] + 40)
        page.mouse.down()
        for y in (80, 120, 160, 200, 240):
            page.mouse.move(box["x"] + 139, box["y"] + y, steps=3)
        page.mouse.up()
        released = time.perf_counter()
        page.locator('[data-testid="stMain"] h3', has_text="Prediction: 1").wait_for(timeout=120_000)
        answered = time.perf_counter()
        models = sorted(path.name for path in (work / "models").glob("*.zip"))
        browser.close()
        memory = memory_kib(server.process.pid)
    total = answered - opened
    print(f"link to Activations opened → canvas ready: {drawn - opened:.1f} s")
    print(f"end of the stroke → 'Prediction: 1' on the page: {answered - released:.2f} s")
    print(f"link opened → drawn digit answered: {total:.1f} s (budget ≤ {arguments.budget_seconds:g} s; "
          f"includes drawing the stroke, {released - drawn:.1f} s)")
    print(f"models in the store after the visit: {models}")
    print(f"server memory with all of MNIST and the reference model loaded: VmRSS {memory['VmRSS'] / 1024:.0f} MiB, "
          f"peak {memory['VmHWM'] / 1024:.0f} MiB")
    return 0 if total <= arguments.budget_seconds else 1


if __name__ == "__main__":
    sys.exit(main())
