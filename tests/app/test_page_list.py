"""The page list: every script in app_pages/ once, each with an address of its own."""

from __future__ import annotations

from pathlib import Path

from cnnlab.app.page_list import PAGES, TEACHER_PAGE, page_at

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_script_is_listed_once():
    listed = [page.file for page in (*PAGES, TEACHER_PAGE)]
    scripts = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "app_pages").glob("*.py"))
    assert sorted(listed) == scripts


def test_addresses_are_unique_and_home_is_the_root():
    paths = [page.url_path for page in (*PAGES, TEACHER_PAGE)]
    assert len(set(paths)) == len(paths)
    assert page_at("") is PAGES[0] and PAGES[0].shown_heading == "CNN Lab"
    assert page_at("filters").title == "Filters" and page_at("filters").shown_heading == "Filters"
