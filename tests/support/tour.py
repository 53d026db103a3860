"""A screenshot tour of CNN Lab in one student's tab: every page in the sidebar's order, saved whole as a PNG, with
what a student could not read listed per page (clipped or protruding elements, developer words, pictures without
alt text). The browser tests take the tour; `scripts/tour.py` takes it on a fresh server."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.server import ARTIFACTS
from tests.support.student import PAGE_HEADINGS, Student

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
