"""The screenshot tour (tests/support/tour.py, which scripts/tour.py also takes) as a test, last in the browser run,
when the session's server holds the shipped model, the models the other browser tests trained and a second model of
its own (so that The class's experiments and Compare two models show two models): every page at desktop and phone
width, saved under artifacts/tour/ to look at, with nothing cut off or sticking out, no Python spellings in the text
and alt text on every picture."""

from __future__ import annotations

import pytest

from tests.support.server import ARTIFACTS
from tests.support.student import Student
from tests.support.tour import WIDTHS, take_tour, train_second_model


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_page_reads_whole_at_desktop_and_phone_width(width_name, new_page, app_server):
    # At least two models, for The class's experiments and Compare two models, also when this file runs alone.
    train_second_model(Student(new_page(), app_server.url))
    width, height = WIDTHS[width_name]
    student = Student(new_page(width, height), app_server.url).open()
    faults = take_tour(student, width_name, ARTIFACTS / "tour")
    found = {title: fault for title, fault in faults.items() if any(fault.values())}
    assert found == {}
