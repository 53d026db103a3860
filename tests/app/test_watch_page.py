"""The "Watch your digit learn" page through AppTest: the pinned digit at every kept epoch, from the random start
the training kept (epoch 0), for a finished model, a model stored before the start was kept, and a training of this
tab's that is queued or running, followed from the first view on, with the student's epoch kept as epochs arrive.
The Filters page's replay follows a running training the same way.

References: Keras's own network for the same settings and seed, the NumPy forward pass of the kept weights, and the
weights the worker's messages carried.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from helpers import PAGE_MODEL, open_page, page_text, state_with_test_digit

from cnnlab.app import model_choice, resources
from cnnlab.jobs.job import Job, JobState
from cnnlab.jobs.model_file import epoch_weights_to_bytes
from cnnlab.network.backend import load_keras
from cnnlab.network.forward import Network
from cnnlab.network.model import build_model
from cnnlab.words import short_name

TWO_EPOCHS = PAGE_MODEL  # two epochs, so there is an epoch 0, 1 and 2 to watch


def keras_start(config) -> list[np.ndarray]:
    """Keras's own start for `config`, seeded as a training seeds it, rounded to float16 as the training keeps it."""
    load_keras().utils.set_random_seed(config.seed)
    return [values.astype(np.float16) for values in build_model(config).get_weights()]


def shown_answer(weights, config, digit: np.ndarray) -> tuple[int, str]:
    """What the page must say a network holding `weights` answers for `digit`: the digit, and its probability as
    the caption writes it, from the NumPy forward pass of those weights."""
    probabilities = Network(config, [np.asarray(values, dtype=np.float32) for values in weights]).predict_proba(
        digit[np.newaxis])[0]
    predicted = int(probabilities.argmax())
    return predicted, f"with probability {float(probabilities[predicted]):.1%}"


def test_the_slider_walks_the_pinned_digit_from_the_kept_start_to_the_trained_model(trained_service, sample):
    digit = sample.x_test[3]
    job = trained_service.find(TWO_EPOCHS, resources.get_dataset("mnist"))
    for kept, keras_values in zip(job.result.initial_weights, keras_start(TWO_EPOCHS), strict=True):
        np.testing.assert_array_equal(kept, keras_values)  # the stored epoch 0 is Keras's start for the seed
    app = open_page("app_pages/watch.py", chosen=job, **state_with_test_digit(sample, 3))
    assert not app.exception
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 2, 2)
    predicted = int(np.argmax(np.asarray(job.result.model(digit[np.newaxis, ..., np.newaxis] / 255.0))))
    assert f"After epoch 2: {predicted}" in page_text(app)
    slider.set_value(0).run()
    assert not app.exception
    predicted, probability = shown_answer(keras_start(TWO_EPOCHS), TWO_EPOCHS, digit)
    assert f"After epoch 0: {predicted}" in page_text(app) and probability in page_text(app)
    assert "conv1 after epoch 0" in page_text(app)
    assert "stored before CNN Lab kept" not in page_text(app)


def test_a_model_stored_before_its_start_was_kept_begins_at_epoch_1_and_says_so(trained_service, sample,
                                                                                monkeypatch):
    job = trained_service.find(TWO_EPOCHS, resources.get_dataset("mnist"))
    monkeypatch.setattr(job, "result", replace(job.result, initial_weights=None))  # as read from an older file
    app = open_page("app_pages/watch.py", chosen=job, **state_with_test_digit(sample, 3))
    assert not app.exception, [item.value for item in app.exception]
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (1, 2, 2)
    assert "stored before CNN Lab kept the random weights a training starts from" in page_text(app)
    slider.set_value(1).run()
    assert not app.exception and "After epoch 1:" in page_text(app)


THREE_EPOCHS = replace(PAGE_MODEL, epochs=3)  # a running training with epochs still to come after the second


def new_job(config, monkeypatch, state: JobState = JobState.RUNNING) -> Job:
    """A job of `config` in `state` that this tab chose (as pressing Train does), with no news from a worker yet. The
    server has the shipped model, which the other pages show meanwhile."""
    resources.get_service.clear()
    job = Job(config=config, dataset=resources.get_dataset("mnist"), state=state)
    monkeypatch.setattr(model_choice, "chosen_job", lambda: job)
    return job


def send_weights(job: Job, epoch: int, weights) -> None:
    """The worker's message with the network's weights after `epoch` epochs (0: the start, before any batch)."""
    job.record_news({"kind": "weights", "epoch": epoch,
                     "data": epoch_weights_to_bytes([weights], first_epoch=0 if epoch == 0 else 1)})


@pytest.fixture
def running_job(shipped_model, monkeypatch):
    """A training of TWO_EPOCHS that has begun: the worker's message with its start (epoch 0) arrived, no epoch
    ended yet."""
    job = new_job(TWO_EPOCHS, monkeypatch)
    send_weights(job, 0, keras_start(TWO_EPOCHS))
    yield job
    resources.get_service.clear()


def test_a_running_training_shows_its_start_at_once_and_each_epoch_as_it_ends(running_job, sample):
    digit = sample.x_test[5]
    app = open_page("app_pages/watch.py", **state_with_test_digit(sample, 5))
    assert not app.exception, [item.value for item in app.exception]
    assert not app.slider  # one network so far: nothing to slide over
    predicted, probability = shown_answer(keras_start(TWO_EPOCHS), TWO_EPOCHS, digit)
    text = page_text(app)
    assert f"After epoch 0: {predicted}" in text and f"{probability} · training goes on" in text
    assert "Waiting for epoch 1 of 2: it appears here as soon as it ends." in text
    # Epoch 1 ends: the worker's next message, and the page's next run, has a slider from 0 to 1.
    epoch_1 = [values + np.float16(0.25) for values in keras_start(TWO_EPOCHS)]
    send_weights(running_job, 1, epoch_1)
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 1, 1)
    predicted, probability = shown_answer(epoch_1, TWO_EPOCHS, digit)
    assert f"After epoch 1: {predicted}" in page_text(app) and probability in page_text(app)


@pytest.mark.parametrize("ahead", [0, 1])
def test_a_queued_training_is_followed_from_the_first_view_not_the_class_model(ahead, shipped_model, sample,
                                                                               monkeypatch):
    # Pressing Train queues the training; the student goes straight to this page, before any weights exist.
    job = new_job(THREE_EPOCHS, monkeypatch, JobState.QUEUED)
    service = resources.get_service()
    monkeypatch.setattr(service, "queue_position", lambda queued: 1 + ahead)
    other = Job(config=replace(THREE_EPOCHS, seed=1), dataset=job.dataset, state=JobState.RUNNING)
    monkeypatch.setattr(service, "running", lambda: [other] * ahead)  # another tab's training, running
    app = open_page("app_pages/watch.py", **state_with_test_digit(sample, 5))
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    assert "After epoch" not in text  # not the shipped model's epochs, as if the tab had no training
    expected = "Waiting for its turn: number 2 in the queue" if ahead else "Starting: a worker is taking it on"
    assert f"Your model ({short_name(THREE_EPOCHS)}) · {expected}" in text
    # The worker starts it and sends its start: the page's next run (the fragment reruns itself) shows epoch 0.
    job.record_news({"kind": "started", "worker": "tcp://127.0.0.1:1", "pid": 1})
    send_weights(job, 0, keras_start(THREE_EPOCHS))
    app.run()
    predicted, probability = shown_answer(keras_start(THREE_EPOCHS), THREE_EPOCHS, sample.x_test[5])
    assert f"After epoch 0: {predicted}" in page_text(app)
    assert "Waiting for epoch 1 of 3" in page_text(app)
    resources.get_service.clear()


def test_the_students_epoch_is_kept_as_epochs_arrive_and_following_the_newest_is_a_choice(shipped_model, sample,
                                                                                           monkeypatch):
    job = new_job(THREE_EPOCHS, monkeypatch)
    start = keras_start(THREE_EPOCHS)
    after = [[values + np.float16(0.1 * epoch) for values in start] for epoch in (1, 2, 3)]
    send_weights(job, 0, start)
    send_weights(job, 1, after[0])
    app = open_page("app_pages/watch.py", **state_with_test_digit(sample, 5))
    assert app.slider(key="watch_epoch").value == 1 and app.checkbox(key="watch_epoch_follow").value
    app.slider(key="watch_epoch").set_value(0).run()  # the student goes back to the random start
    assert not app.checkbox(key="watch_epoch_follow").value
    send_weights(job, 2, after[1])  # epoch 2 ends while the student looks at epoch 0
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 2, 0)
    predicted, _ = shown_answer(start, THREE_EPOCHS, sample.x_test[5])
    assert f"After epoch 0: {predicted}" in page_text(app)
    app.checkbox(key="watch_epoch_follow").check().run()  # follow the newest epoch again
    assert app.slider(key="watch_epoch").value == 2
    send_weights(job, 3, after[2])
    app.run()
    assert (app.slider(key="watch_epoch").max, app.slider(key="watch_epoch").value) == (3, 3)
    predicted, _ = shown_answer(after[2], THREE_EPOCHS, sample.x_test[5])
    assert f"After epoch 3: {predicted}" in page_text(app)
    resources.get_service.clear()


def replay_kernels(app, filters: int) -> np.ndarray:
    """The weights the Filters page's replay draws (its last grid of kernels) as float32 (5, 5, filters), read from
    the chart's data by each cell's filter, row and column."""
    import pyarrow

    chart = app.get("vega_lite_chart")[2].proto  # conv1's and conv2's grids come first
    table = pyarrow.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()
    kernels = np.full((5, 5, filters), np.nan, dtype=np.float32)
    kernels[table["row"], table["column"], table["filter"] - 1] = table["weight"]
    return kernels


def test_the_filters_replay_follows_the_tabs_running_training_and_keeps_the_students_epoch(shipped_model,
                                                                                          monkeypatch):
    job = new_job(THREE_EPOCHS, monkeypatch)
    start = keras_start(THREE_EPOCHS)
    after = [[values + np.float16(0.1 * epoch) for values in start] for epoch in (1, 2)]
    send_weights(job, 0, start)
    send_weights(job, 1, after[0])
    app = open_page("app_pages/filters.py")
    assert not app.exception, [item.value for item in app.exception]
    assert "Your model as it trains" in page_text(app)
    slider = app.slider(key="filters_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 1, 1)
    # The grid is conv1's kernels after epoch 1 as the worker sent them (float16, widened), filter by filter.
    np.testing.assert_array_equal(replay_kernels(app, 6), np.asarray(after[0][0], np.float32)[:, :, 0, :])
    slider.set_value(0).run()
    send_weights(job, 2, after[1])
    app.run()
    slider = app.slider(key="filters_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 2, 0)
    np.testing.assert_array_equal(replay_kernels(app, 6), np.asarray(start[0], np.float32)[:, :, 0, :])
    resources.get_service.clear()
