"""The "Watch your digit learn" page through AppTest: the pinned digit at every kept epoch, from the random start
the training kept (epoch 0), for a finished model, a model stored before the start was kept, and a running training.

References: Keras's own network for the same settings and seed, and the NumPy forward pass of the kept weights.
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


@pytest.fixture
def running_job(shipped_model, monkeypatch):
    """A training of TWO_EPOCHS that has begun: the worker's message with its start (epoch 0) arrived, no epoch
    ended yet. The tab chose it; the server has the shipped model, which the other pages show meanwhile."""
    resources.get_service.clear()
    job = Job(config=TWO_EPOCHS, dataset=resources.get_dataset("mnist"), state=JobState.RUNNING)
    job.record_news({"kind": "weights", "epoch": 0,
                     "data": epoch_weights_to_bytes([keras_start(TWO_EPOCHS)], first_epoch=0)})
    monkeypatch.setattr(model_choice, "chosen_job", lambda: job)
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
    assert "Epoch 1 appears here as soon as it ends." in text
    # Epoch 1 ends: the worker's next message, and the page's next run, has a slider from 0 to 1.
    epoch_1 = [values + np.float16(0.25) for values in keras_start(TWO_EPOCHS)]
    running_job.record_news({"kind": "weights", "epoch": 1, "data": epoch_weights_to_bytes([epoch_1])})
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    slider = app.slider(key="watch_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 1, 1)
    predicted, probability = shown_answer(epoch_1, TWO_EPOCHS, digit)
    assert f"After epoch 1: {predicted}" in page_text(app) and probability in page_text(app)
