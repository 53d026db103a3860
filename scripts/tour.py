"""A screenshot tour of CNN Lab: every page at desktop (1280 px) and phone (390 px) width, in one browser session
per width, saved as full-page PNGs, with what a student could not read listed per page (clipped or protruding
elements, developer words, pictures without alt text). A second model is trained first, in a tab of its own, so
that The class's experiments and Compare two models show two. The browser tests take the tour; run alone, it starts
a fresh server:

    python scripts/tour.py [--out artifacts/tour]

Needs Playwright (requirements-dev.txt) and Debian's `chromium`.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_server import ARTIFACTS, CHROMIUM_FLAGS, PAGE_HEADINGS, AppServer, Student, require_chromium  # noqa: E402

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# Every page's title in the sidebar, in the navigation's order.
PAGE_TITLES = tuple("Home" if path == "" else heading for path, heading in PAGE_HEADINGS.items())  # as the sidebar
# Python's spellings that a student should never read: None, True/False as values (not "True digit"), empty
# tuples and shape tuples, widget keys, a negative zero.
DEVELOPER_WORDS = re.compile(r"\b(None|True|False)\b(?! [a-z])|\(\)|\(\d+, \d+|\(None,|train_[a-z_]+|-0\.00\b")
# Code to take away shows Python on purpose; only its prose is checked.
CODE_PAGES = ("Code to take away",)


def page_file_name(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def developer_words(text: str) -> list[str]:
    """Each line of `text` that holds a developer's spelling, as found."""
    return [line.strip() for line in text.splitlines() if DEVELOPER_WORDS.search(line)]


# A second model beside the shipped one, so that The class's experiments and Compare two models show two: quick to
# train, and named apart from the reference model by its settings.
SECOND_MODEL = "train?epochs=1&train_size=1000&seed=7"


def train_second_model(student: Student) -> None:
    """Train SECOND_MODEL in `student`'s tab (a tab of its own, so the tour's tab keeps the reference model), or
    find it trained already; returns once the Train page shows its test accuracy."""
    student.open(SECOND_MODEL)
    student.page.locator('[data-testid="stMain"]').get_by_role("button", name="Train", exact=True).click()
    student.page.locator('[data-testid="stMain"] [data-testid="stMetric"]', has_text="Test accuracy").wait_for(
        timeout=300_000)


def take_tour(student: Student, width_name: str, folder: Path, label: str = "") -> dict[str, dict[str, list[str]]]:
    """Visit every page through the sidebar, screenshot it whole, and list its faults.

    Returns {page title: {"clipped": [...], "words": [...], "no alt text": [...]}} (empty lists where nothing is
    wrong).
    """
    faults = {}
    for title in PAGE_TITLES:
        student.go_to(title)
        student.assert_no_exception()
        name = f"{page_file_name(title)}-{width_name}" + (f"-{label}" if label else "")
        student.screenshot(str((folder / name).relative_to(ARTIFACTS)), full_page=True)
        text = student.page.locator('[data-testid="stMain"]').inner_text()
        if title in CODE_PAGES:
            text = "\n".join(student.page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p')
                             .all_inner_texts())
        unlabelled = student.page.evaluate(
            "() => [...document.querySelectorAll('[data-testid=\"stMain\"] img')].filter(image => !image.alt)"
            ".map(image => image.closest('[data-testid]').getAttribute('data-testid'))")
        faults[title] = {"clipped": student.clipped_elements(), "words": developer_words(text),
                         "no alt text": unlabelled}
    return faults


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
