"""The teacher's page in a real browser: the passcode opens it, and a cancel there reaches the student's page."""

from __future__ import annotations

import pytest

from tests.support.server import ARTIFACTS, AppServer
from tests.support.student import Student

PASSCODE = "heron-42-slate"
# About a minute of training on 2 cores: still running when the teacher cancels it.
LONG_TRAINING = "train?epochs=40&conv=8x5,6x3&dense_units=16&train_size=1000"


@pytest.fixture(scope="module")
def teacher_server(tmp_path_factory, chromium_executable):
    """A server of its own whose host set a teacher's passcode."""
    ARTIFACTS.mkdir(exist_ok=True)
    server = AppServer(ARTIFACTS / "teacher-server.log", tmp_path_factory.mktemp("teacher_models"),
                       settings={"CNNLAB_TEACHER_PASSCODE": PASSCODE})
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


def test_the_teacher_cancels_a_students_training_and_the_students_page_says_so(new_page, teacher_server):
    student = Student(new_page(), teacher_server.url).open(LONG_TRAINING)
    student.page.get_by_role("button", name="Train", exact=True).click()
    student.page.get_by_role("button", name="Cancel training").wait_for()

    teacher = Student(new_page(), teacher_server.url).open("teacher")
    field = teacher.page.get_by_label("Teacher's passcode")
    field.fill("not it")
    teacher.page.get_by_role("button", name="Open").click()
    teacher.page.get_by_text("That passcode is not right").wait_for()
    assert field.input_value() == ""  # the field is emptied after every try
    teacher.page.wait_for_timeout(2_100)  # the pause after one wrong try
    field.fill(PASSCODE)
    teacher.page.get_by_role("button", name="Open").click()
    teacher.page.get_by_text("Trainings on this server").wait_for()
    assert PASSCODE not in teacher.page.content() and PASSCODE not in teacher.page.url
    teacher.page.get_by_text("8 + 6 filters").wait_for()
    teacher.page.get_by_role("button", name="Cancel", exact=True).click()
    teacher.page.get_by_text("Nothing is training or waiting").wait_for(timeout=60_000)

    student.page.get_by_text("Your teacher cancelled this training.").first.wait_for(timeout=60_000)
    student.assert_no_exception()
    teacher.assert_no_exception()
    assert PASSCODE not in teacher_server.log()
