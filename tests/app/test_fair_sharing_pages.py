"""The Train page and the teacher's page through AppTest: refusals over the budget (by the sliders and by a link),
a second Train press in the same tab, and the teacher's passcode, cancel, budget and board."""

from __future__ import annotations

from functools import partial

import pytest
import training_fakes
from helpers import APP, APP_TIMEOUT, choose_train_settings, open_page, page_text
from streamlit.testing.v1 import AppTest

from cnnlab.app import model_choice, resources
from cnnlab.config import TrainConfig
from cnnlab.jobs.job import JobState
from cnnlab.jobs.passcode import PASSCODE_VARIABLE
from cnnlab.jobs.service import TrainingService

# The largest settings a link may ask for: about a day of training on a 2-core server.
MAXIMAL_LINK = {"epochs": "50", "batch_size": "1", "conv1_filters": "64", "conv2_filters": "64",
                "dense_units": "1024-1024-1024-1024"}
# Long enough to still run while a test looks at it; no test lets it finish.
LONG = TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=40, train_size=3000)
PASSCODE = "owl-7-quartz"


def open_link(query: dict) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    for name, value in query.items():
        app.query_params[name] = value
    app.run()
    app.switch_page("app_pages/train.py").run()
    return app


def test_a_link_over_the_budget_is_refused_on_the_page_and_one_click_applies_settings_that_fit(empty_service):
    app = open_link(MAXIMAL_LINK)
    assert not app.exception
    warning = " ".join(item.value for item in app.warning)
    assert "a training may take at most about 10 min here" in warning
    assert "nearest settings that fit" in warning
    assert app.button(key="train_start").disabled  # nothing can be queued from here
    app.button(key="train_fit_budget").click().run()
    assert not app.exception and not app.warning
    assert not app.button(key="train_start").disabled
    chosen = TrainConfig(epochs=app.slider(key="train_epochs").value, batch_size=app.select_slider(
        key="train_batch_size").value, train_size=app.select_slider(key="train_size").value,
        conv_layers=((64, 5), (64, 3)), dense_units=(1024,) * 4)
    assert empty_service.estimated_seconds(chosen, resources.get_dataset("mnist")) <= empty_service.budget_seconds
    assert empty_service.unfinished() == []  # applying the settings trained nothing


@pytest.fixture
def endless_service(monkeypatch):
    """The app's service, fresh, whose trainings never end by themselves (a stand-in): a first training is still
    running whatever the host's speed."""
    monkeypatch.setattr(resources, "TrainingService", partial(TrainingService, train_function=training_fakes.endless))
    resources.get_service.clear()
    service = resources.get_service()
    yield service
    resources.get_service.clear()
    service.close()


def test_a_second_train_press_in_the_same_tab_says_so_and_offers_to_swap(endless_service):
    app = open_page("app_pages/train.py")
    choose_train_settings(app, TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=40,
                                           train_size=1000))
    app.button(key="train_start").click().run()
    first = endless_service.own_job(app.session_state[model_choice.TAB_ID])
    assert first is not None and not first.finished
    app.slider(key="train_epochs").set_value(1).run()
    app.button(key="train_start").click().run()
    assert not app.exception
    assert "Each tab trains one model at a time" in page_text(app)
    assert [job.config.epochs for job in endless_service.unfinished()] == [40]  # nothing else was queued
    app.button(key="train_replace").click().run()
    assert not app.exception
    assert endless_service.wait(first, 60) and first.state is JobState.CANCELLED
    second = endless_service.own_job(app.session_state[model_choice.TAB_ID])
    assert second is not None and second.config.epochs == 1 and not second.finished
    endless_service.cancel(second)
    assert endless_service.wait(second, 60)


@pytest.fixture
def teacher_server(empty_service, monkeypatch):
    """A server with a teacher's passcode set in the environment."""
    monkeypatch.setenv(PASSCODE_VARIABLE, PASSCODE)
    resources.get_passcode_gate.clear()
    yield empty_service
    resources.get_passcode_gate.clear()


def open_teacher_page() -> AppTest:
    return open_page("app_pages/teacher.py")


def test_there_is_no_teachers_page_without_a_passcode(empty_service, monkeypatch):
    monkeypatch.delenv(PASSCODE_VARIABLE, raising=False)
    resources.get_passcode_gate.clear()
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("app_pages/teacher.py")


def test_a_wrong_passcode_gets_a_sentence_and_a_pause_and_never_shows_the_passcode(teacher_server):
    app = open_teacher_page()
    app.text_input(key="teacher_passcode_input").input("guess")
    app.button[0].click().run()
    assert "not right" in page_text(app)
    assert "Trainings on this server" not in page_text(app)
    app.text_input(key="teacher_passcode_input").input(PASSCODE)
    app.button[0].click().run()  # within the pause: even the right passcode waits
    assert "wait" in page_text(app) and "Trainings on this server" not in page_text(app)
    assert PASSCODE not in page_text(app) and PASSCODE not in str(dict(app.query_params))


def test_the_teacher_cancels_a_students_training_and_sets_the_budget(teacher_server):
    student = teacher_server.submit(LONG, resources.get_dataset("sample"), owner="a student's tab")
    app = open_teacher_page()
    app.text_input(key="teacher_passcode_input").input(PASSCODE)
    app.button[0].click().run()
    assert not app.exception
    text = page_text(app)
    assert "Trainings on this server" in text and "8 + 6 filters" in text and "a student's tab" not in text
    app.button(key=f"teacher_cancel_{student.id}").click().run()
    assert teacher_server.wait(student, 60)
    assert student.state is JobState.CANCELLED and "teacher cancelled" in student.error
    app.number_input(key="teacher_budget").set_value(2.0)
    app.button(key="teacher_set_budget").click().run()
    assert teacher_server.budget_seconds == 120 and "at most about 2 min" in page_text(app)


def test_the_teacher_takes_models_off_the_board_and_pins_the_class_model(teacher_server):
    mnist = resources.get_dataset("mnist")
    configs = [TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1, train_size=100, seed=seed)
               for seed in (1, 2)]
    for config in configs:
        job = teacher_server.submit(config, mnist)
        assert teacher_server.wait(job, 300) and job.state is JobState.DONE, job.error
    app = open_teacher_page()
    app.text_input(key="teacher_passcode_input").input(PASSCODE)
    app.button[0].click().run()
    records = teacher_server.records(include_hidden=True)
    first = [record.config for record in records].index(configs[0])
    app.selectbox(key="teacher_model").set_value(first).run()
    app.button(key="teacher_pin").click().run()
    assert teacher_server.board.pinned == (configs[0], mnist.fingerprint)
    # A new tab that chose no model shows the class's model, and its sidebar says which.
    visitor = open_page("app_pages/home.py")
    assert "seed 1" in "\n".join(item.value for item in visitor.sidebar.caption)
    app.button(key="teacher_hide").click().run()
    assert [record.config for record in teacher_server.records()] == [configs[1]]
    experiments = open_page("app_pages/experiments.py")
    assert len(experiments.dataframe[0].value) == 1
    app.button(key="teacher_clear").click().run()
    assert teacher_server.records() == []
    assert "No model has been trained" in page_text(open_page("app_pages/experiments.py"))
