"""A screenshot tour of CNN Lab: every page at desktop (1280 px) and phone (390 px) width, in one browser session
per width, saved as full-page PNGs, with what a student could not read listed per page (clipped or protruding
elements, developer words, pictures without alt text). A second model is trained first, in a tab of its own, so
that The class's experiments and Compare two models show two. The browser tests take the same tour
(`tests/support/tour.py`); run alone, it starts a fresh server:

    python scripts/tour.py [--out artifacts/tour]

Runs from any folder: its first lines put the repository's root on the import path, for `tests.support`.
Needs Playwright (requirements-dev.txt) and Debian's `chromium`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

# The repository's root goes first on the import path, so that this script finds `cnnlab` and the helpers the
# tests share (`tests.support`) however it is started.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.chromium import CHROMIUM_FLAGS, require_chromium  # noqa: E402 - after the path set-up above
from tests.support.server import ARTIFACTS, AppServer  # noqa: E402
from tests.support.student import Student  # noqa: E402
from tests.support.tour import WIDTHS, take_tour, train_second_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "tour")
    parser.add_argument("--width", choices=list(WIDTHS), action="append", help="only these widths (default: all)")
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    work = Path(tempfile.mkdtemp(prefix="cnnlab-tour-"))
    found = 0
    with AppServer(work / "server.log", work / "models") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        trainer = browser.new_context()
        train_second_model(Student(trainer.new_page(), server.url))
        trainer.close()
        for width_name in arguments.width or list(WIDTHS):
            width, height = WIDTHS[width_name]
            context = browser.new_context(viewport={"width": width, "height": height})
            student = Student(context.new_page(), server.url).open()
            for title, faults in take_tour(student, width_name, arguments.out.resolve()).items():
                for kind, lines in faults.items():
                    for line in lines:
                        found += 1
                        print(f"{width_name} · {title} · {kind}: {line}")
            context.close()
        browser.close()
    print(f"{found} faults; screenshots in {arguments.out}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
