"""Hostile uploads and extreme settings through the pages, as a student meets them (Streamlit's AppTest).

Each case asserts the sentence the student sees (st.error / st.warning) and that the page keeps working
afterwards: a good picture uploaded next is read and predicted.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from helpers import PAGE_MODEL, choose_train_settings, open_page, trained_in_app_service
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnlab.app import model_choice, resources
from cnnlab.config import TrainConfig


def shown(app: AppTest) -> str:
    parts = [*app.markdown, *app.caption, *app.info, *app.error, *app.warning, *app.subheader, *app.success]
    return "\n".join(str(part.value) for part in parts)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def seven_on_paper() -> np.ndarray:
    paper = np.full((120, 100), 255, dtype=np.uint8)
    paper[20:32, 24:75] = 0
    paper[20:100, 63:75] = 0
    return paper


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(
        b"IEND", b"")


@pytest.fixture(scope="module")
def small_model(trained_service):
    """The page tests' small model, trained in the app's own service."""
    return trained_service.find(PAGE_MODEL, resources.get_dataset("mnist"))


# (file name, bytes, what kind of message, a phrase of it). Names end in .png or .jpg because the browser only
# offers those; what is inside is up to the student.
UPLOADS = {
    "a text file renamed": ("homework.png", lambda: b"Dear teacher, my digit is a 7.\n", "error",
                            "not a picture CNN Lab can read"),
    "an empty file": ("empty.png", lambda: b"", "error", "The file is empty"),
    "a truncated PNG": ("cut.png", lambda: _half(png(seven_on_paper())), "error", "damaged or incomplete"),
    "a truncated JPEG": ("cut.jpg", lambda: _half(_jpeg(seven_on_paper())), "error", "damaged or incomplete"),
    "a decompression bomb": ("bomb.png", lambda: png_header_only(100_000, 100_000), "error",
                             "under 16,777,216 pixels"),
    "a huge picture": ("huge.png", lambda: png_header_only(6000, 4000), "error", "6,000×4,000 pixels"),
    "a TIFF renamed": ("scan.png", lambda: _tiff(seven_on_paper()), "error", "PNG, JPG or GIF"),
    "an all-white picture": ("white.png", lambda: png(np.full((60, 60), 255, np.uint8)), "warning",
                             "No digit could be found"),
    "an all-black picture": ("black.png", lambda: png(np.zeros((60, 60), np.uint8)), "warning",
                             "No digit could be found"),
    "a 1×1 picture": ("dot.png", lambda: png(np.zeros((1, 1), np.uint8)), "warning", "No digit could be found"),
}


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG")
    return buffer.getvalue()


def _tiff(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF")
    return buffer.getvalue()


def upload(app: AppTest, name: str, data: bytes) -> None:
    kind = "image/jpeg" if name.endswith(".jpg") else "image/png"
    app.file_uploader(key="activations_upload").set_value((name, data, kind)).run()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", UPLOADS)
def test_a_bad_upload_shows_a_sentence_and_the_page_keeps_working(case, small_model):
    name, make, kind, phrase = UPLOADS[case]
    app = open_page("app_pages/activations.py", **{model_choice.MODEL_KEY: small_model.key})
    app.segmented_control(key="activations_input").set_value("upload").run()
    upload(app, name, make())
    assert not app.exception, [item.value for item in app.exception]
    messages = " ".join(item.value for item in (app.error if kind == "error" else app.warning))
    assert phrase in messages
    assert "Traceback" not in shown(app)
    # The same session then reads a good picture: nothing was left broken.
    upload(app, "seven.png", png(seven_on_paper()))
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error
    assert "Input: your picture seven.png" in shown(app)
    assert "Prediction:" in shown(app)


# --- every Train-page setting at both ends of its range ------------------------------------------------------------

# The Train page's ranges (app_pages/train.py): filters 1–64, epochs 1–30, dropout 0–0.9, batch 16–512,
# learning rate 0.0001–1, dense layers none to 256 → 128 → 64, 600 images to all, seed 0 to 2³¹ − 1, augment on/off.
# The largest learning rate is the divergence test below; every other end trains.
EXTREMES = {
    "smallest": TrainConfig(conv_layers=((1, 5), (1, 3)), dropout=0.0, dense_units=(), epochs=1, batch_size=16,
                            learning_rate=0.0001, train_size=600, seed=0),
    "largest": TrainConfig(conv_layers=((64, 5), (64, 3)), dropout=0.9, dense_units=(256, 128, 64), epochs=1,
                           batch_size=512, learning_rate=0.001, train_size=600, seed=2**31 - 1, augment=True),
    "longest": TrainConfig(conv_layers=((1, 5), (1, 3)), dense_units=(), epochs=30, batch_size=512,
                           train_size=600),
    # The architecture's ends: one 1 × 1 conv layer with stride 2, and three of 64 filters of 7 × 7 with padding.
    "smallest architecture": TrainConfig(conv_layers=((1, 1),), stride=2, pooling="average", activation="sigmoid",
                                         optimizer="sgd", dense_units=(), epochs=1, train_size=600),
    "largest architecture": TrainConfig(conv_layers=((64, 7),) * 3, padding="same", activation="tanh",
                                        optimizer="adam", dense_units=(256, 128, 64), epochs=1, train_size=600),
}
# By hand, from the layer shapes: conv1 f1×(25+1), conv2 f2×(9·f1+1), then the dense layers from 10·10·f2 inputs.
EXPECTED_PARAMETERS = {
    "smallest": 1 * 26 + 1 * (9 * 1 + 1) + 10 * (100 * 1 + 1),
    "largest": 64 * 26 + 64 * (9 * 64 + 1) + 256 * (6400 + 1) + 128 * (256 + 1) + 64 * (128 + 1) + 10 * (64 + 1),
    "longest": 1 * 26 + 1 * (9 * 1 + 1) + 10 * (100 * 1 + 1),
    # conv1 1 × (1 + 1) gives 14 × 14, pooled to 7 × 7 = 49 inputs to the output layer.
    "smallest architecture": 1 * (1 + 1) + 10 * (49 + 1),
    # 28 × 28 → pooled 14 → 14 → pooled 7 → 7: 7 × 7 × 64 = 3,136 values to the dense layers.
    "largest architecture": 64 * (49 + 1) + 2 * 64 * (49 * 64 + 1) + 256 * (3136 + 1) + 128 * (256 + 1)
    + 64 * (128 + 1) + 10 * (64 + 1),
}


@pytest.fixture(scope="module")
def extreme_jobs():
    """The app's service after training every extreme configuration on 600 MNIST digits."""
    yield trained_in_app_service(EXTREMES)
    resources.get_service.clear()


@pytest.mark.slow
@pytest.mark.parametrize("name", EXTREMES)
def test_every_setting_at_either_end_trains(name, extreme_jobs):
    job = extreme_jobs[name]
    assert job.error == "" and job.result is not None
    assert job.result.model.count_params() == EXPECTED_PARAMETERS[name]
    assert len(job.epochs) == job.config.epochs
    assert all(np.isfinite(epoch["loss"]) for epoch in job.epochs)
    assert 0.0 <= job.result.test_accuracy <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("name", EXTREMES)
def test_filters_and_activations_pages_show_an_extreme_model(name, extreme_jobs):
    job = extreme_jobs[name]
    count = job.config.conv_layers[0][0]
    filters = open_page("app_pages/filters.py", **{model_choice.MODEL_KEY: job.key})
    assert not filters.exception, [item.value for item in filters.exception]
    assert f"**{count} filters**" in shown(filters)
    activations = open_page("app_pages/activations.py", **{model_choice.MODEL_KEY: job.key})
    assert not activations.exception, [item.value for item in activations.exception]
    text = shown(activations)
    assert "Prediction:" in text
    assert "#### output ·" in text
    assert ("#### dense1 ·" in text) == bool(job.config.dense_units)


DIVERGING = TrainConfig(conv_layers=((4, 5), (4, 3)), dense_units=(16,), epochs=1, train_size=1000,
                        learning_rate=1.0)


def test_the_largest_learning_rate_stops_the_training_with_advice():
    # (The service turns this sentence into the job's error: tests/jobs/test_service.py.)
    from cnnlab.network.training import TrainingDiverged, train

    with pytest.raises(TrainingDiverged) as stopped:
        train(DIVERGING, resources.get_dataset("mnist"))
    assert "lower the learning rate (it is 1)" in str(stopped.value) and "ran away in epoch 1" in str(stopped.value)


def test_the_train_page_shows_why_a_diverging_training_stopped():
    resources.get_service.clear()
    try:
        app = open_page("app_pages/train.py")
        choose_train_settings(app, DIVERGING)
        app.button(key="train_start").click().run()
        assert not app.exception, [item.value for item in app.exception]
        service = resources.get_service()
        job = service.find(DIVERGING, resources.get_dataset("mnist"))
        assert job is not None and service.wait(job, 300)
        app.run()
        assert not app.exception, [item.value for item in app.exception]
        errors = " ".join(item.value for item in app.error)
        assert "lower the learning rate (it is 1) and train again" in errors
        assert int(app.dataframe[0].value["parameters"].iloc[-1]) > 0  # the page still works
    finally:
        resources.get_service.clear()
