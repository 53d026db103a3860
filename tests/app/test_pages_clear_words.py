"""Words and numbers a class found confusing, through AppTest on a fresh server with the shipped reference model:
the Train page's times ("ready" for settings already trained, a first guess before any training here) and the images
kept aside to validate, a queued training that is starting rather than "number 1 in the queue", the loss curves
explained, Fool the network's count of weights, How one number is made opening on a value the ReLU kept, the dense
unit's value set against real digits', the conv1 maps download without a digit picked, and uploads of the wrong
kind answered in a sentence.

References: counts made by hand (60,000 images, 10 % kept aside; the reference model's 203,933 parameters), a NumPy
cross-correlation of the digit with the model's conv1 kernels, and Keras's own dense layer over the test digits.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from helpers import open_page, page_text

from cnnlab.app import digit_input, model_choice, resources
from cnnlab.config import TrainConfig
from cnnlab.jobs.job import Job, JobState


@pytest.fixture
def fresh_server(shipped_model, empty_service):
    """A server on its first visit: the shipped reference model, nothing trained here yet."""
    return empty_service


def times_line(app) -> str:
    return next(item.value for item in app.caption if item.value.startswith("Time to train, roughly"))


def test_the_train_page_says_ready_for_trained_settings_and_how_many_images_validate(fresh_server):
    app = open_page("app_pages/train.py")
    assert not app.exception, [item.value for item in app.exception]
    times = times_line(app)
    assert "**all 60,000: ready**" in times  # the shipped model has the default settings
    assert "1,000: about" in times and "before its first, a guess from the computer CNN Lab was measured on" in times
    assert "10% are kept aside to check the network after each epoch: here it learns from 54,000 and is " \
           "checked on 6,000" in times
    sidebar = "\n".join(str(item.value) for item in app.sidebar.caption)
    assert "54,000 training images (6,000 more kept aside to validate)" in sidebar
    # The trained model's loss curves, with a sentence on why its training loss starts above its validation loss.
    assert "The training loss is the average over the whole epoch" in page_text(app)
    app.select_slider(key="train_size").set_value(1000).run()
    assert "here it learns from 900 and is checked on 100" in times_line(app)


@pytest.mark.parametrize(("ahead", "expected"), [(0, "Starting: a worker is taking it on"),
                                                 (1, "Waiting for its turn: number 2 in the queue")])
def test_a_queued_training_with_nothing_ahead_says_it_is_starting(ahead, expected, fresh_server, monkeypatch):
    config = TrainConfig(seed=201)
    dataset = resources.get_dataset("mnist")
    job = Job(config=config, dataset=dataset, state=JobState.QUEUED)
    other = Job(config=TrainConfig(seed=5), dataset=dataset, state=JobState.RUNNING)
    find = fresh_server.find
    monkeypatch.setattr(fresh_server, "find", lambda wanted, data: job if wanted == config else find(wanted, data))
    monkeypatch.setattr(fresh_server, "queue_position", lambda queued: 1 + ahead)
    monkeypatch.setattr(fresh_server, "running", lambda: [other] * ahead)
    monkeypatch.setattr(fresh_server, "seconds_left", lambda waiting: 30.0)
    app = open_page("app_pages/train.py", chosen=job)
    assert not app.exception, [item.value for item in app.exception]
    assert f"{expected} · about 30 s left." in [item.value for item in app.info]
    assert any(item.value.startswith(f"Your model · {expected}.") for item in app.sidebar.info)
    assert "number 1 in the queue" not in page_text(app)


def test_fool_the_network_counts_the_pixels_and_the_weights_right(fresh_server, digit_state):
    app = open_page("app_pages/attack.py", **digit_state)
    assert not app.exception, [item.value for item in app.exception]
    # 30 × 26 + 15 × (30 × 9 + 1) + 128 × (15 × 10 × 10 + 1) + 50 × 129 + 10 × 51, counted by hand.
    weights = 30 * 26 + 15 * (30 * 9 + 1) + 128 * (1500 + 1) + 50 * 129 + 10 * 51
    assert weights == 203_933
    assert f"it passes the 784 pixels through {weights:,} learnt weights" in page_text(app)
    assert "hundreds of thousands of weighted pixels" not in page_text(app)


def conv1_by_hand(digit: np.ndarray, kernels: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """conv1's output for one digit, with NumPy's sliding windows: float (24, 24, filters), after the ReLU."""
    windows = np.lib.stride_tricks.sliding_window_view(digit.astype(np.float64) / 255.0, (5, 5))
    return np.maximum(np.einsum("ijkl,klf->ijf", windows, kernels[:, :, 0, :]) + biases, 0.0)


def test_how_one_number_is_made_opens_on_a_value_the_relu_kept(fresh_server):
    dataset = resources.get_dataset("mnist")
    result = model_choice.class_job().result
    kernels, biases = (np.asarray(values, dtype=np.float64) for values in result.weights[:2])
    # A test digit whose filter 1 reads 0 in the middle of the map, where the page opened before.
    index = next(index for index in range(100)
                 if conv1_by_hand(dataset.x_test[index], kernels, biases)[11, 11, 0] == 0)
    digit = dataset.x_test[index]
    app = open_page("app_pages/explorer.py", **{digit_input.DIGIT: digit, digit_input.DIGIT_ORIGIN: "a test digit",
                                                digit_input.DIGIT_LABEL: int(dataset.y_test[index])})
    assert not app.exception, [item.value for item in app.exception]
    maps = conv1_by_hand(digit, kernels, biases)
    filter_index = app.slider(key="explorer_filter").value - 1
    row, column = app.slider(key="explorer_row").value - 1, app.slider(key="explorer_column").value - 1
    assert maps[row, column, filter_index] > 0
    assert maps[row, column, filter_index] == pytest.approx(maps[:, :, filter_index].max(), abs=1e-5)
    shown = re.search(r"max\((-?[0-9.]+), 0\) = \*\*([0-9.]+)\*\*", page_text(app))
    assert float(shown.group(2)) == pytest.approx(maps[row, column, filter_index], abs=1e-4)


def test_a_dense_units_value_is_set_against_its_values_for_test_digits(fresh_server):
    app = open_page("app_pages/patterns.py")
    app.selectbox(key="patterns_dense_layer").set_value("dense2")
    app.run()
    app.number_input(key="patterns_unit").set_value(7).run()
    assert not app.exception, [item.value for item in app.exception]
    # Keras's own dense2 over the first 1,000 test digits: unit 7's median and largest value.
    from cnnlab.network.backend import load_keras

    model = model_choice.class_job().result.model
    probe = load_keras().Model(model.inputs[0], model.get_layer("dense2").output)
    digits = resources.get_dataset("mnist").x_test[:1000]
    values = np.asarray(probe(digits[..., None].astype(np.float32) / 255.0, training=False))[:, 6]
    text = page_text(app)
    assert (f"on 1,000 test digits it reaches **{np.median(values):.2f}** for a typical one (the median) and "
            f"**{values.max():.2f}** at most") in text


def test_the_conv1_maps_download_is_there_before_any_digit_was_picked(fresh_server):
    app = open_page("app_pages/share.py")
    assert not app.exception, [item.value for item in app.exception]
    labels = [button.proto.label for button in app.get("download_button")]
    assert "conv1 maps of the current digit (PNG)" in labels
    assert "Input: test digit #" in page_text(app)  # and which digit the maps are of


def test_a_text_file_uploaded_for_a_picture_gets_a_sentence_not_a_red_mark(fresh_server):
    app = open_page("app_pages/activations.py")
    app.segmented_control(key="activations_input").set_value("upload").run()
    uploader = app.file_uploader(key="activations_upload")
    assert "PNG, JPG, JPEG, GIF" in uploader.label
    uploader.set_value(("notes.txt", b"seven, I think", "text/plain")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert "not a picture CNN Lab can read" in " ".join(item.value for item in app.error)


def test_a_csv_saved_as_text_is_read_and_a_picture_for_the_csv_gets_a_sentence(fresh_server, sample):
    app = open_page("app_pages/train.py")
    app.radio(key=model_choice.DATASET_CHOICE).set_value("upload").run()
    rows = [[int(label), *image.ravel().tolist()] for image, label in zip(sample.x_train[:300], sample.y_train[:300],
                                                                          strict=True)]
    text = "label," + ",".join(f"pixel{index}" for index in range(784)) + "\n"
    text += "\n".join(",".join(str(value) for value in row) for row in rows) + "\n"
    app.file_uploader(key="train_csv").set_value(("digits.txt", text.encode(), "text/plain")).run()
    assert not app.exception and not app.error, [item.value for item in [*app.exception, *app.error]]
    assert app.session_state[model_choice.UPLOADED_DATASET].train_size + \
        app.session_state[model_choice.UPLOADED_DATASET].test_size == 300
    app.file_uploader(key="train_csv").set_value(("digit.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert any("digit.png was not used" in item.value for item in app.error)


def test_the_shipped_models_images_are_counted_as_by_hand():
    # 60,000 MNIST training images, 10 % held back: what the sentences above rest on.
    assert TrainConfig().image_split(60_000) == (54_000, 6_000)
    assert replace(TrainConfig(), train_size=1000).image_split(60_000) == (900, 100)
