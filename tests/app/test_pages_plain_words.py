"""A student's afternoon, page by page, through AppTest: no developer spellings on any page, honest answers on
pictures that are not digits, and the same picture types offered as accepted."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from helpers import app_service_with, open_page, page_text, state_with_test_digit
from PIL import Image

from cnnlab.app import resources
from cnnlab.config import TrainConfig
from cnnlab.digits.preprocess import ACCEPTED_FORMATS
from tests.support.tour import DEVELOPER_WORDS  # the browser tour's list of Python spellings

SMALL = TrainConfig(conv_layers=((4, 5), (3, 3)), dense_units=(), epochs=1, train_size=1000, augment=True)
PAGES = ["home", "train", "filters", "activations", "prediction", "watch", "explorer", "evaluation", "robustness",
         "compare", "experiments", "share"]


@pytest.fixture(scope="module")
def small_service():
    """A server holding a model with no hidden layers and augmentation on: the settings most often spelt as Python."""
    yield app_service_with(SMALL)
    resources.get_service.clear()


def digit_state() -> dict:
    return state_with_test_digit(resources.get_dataset("mnist"), 7)


@pytest.mark.parametrize("page", PAGES)
def test_no_page_speaks_python(page, small_service):
    app = open_page(f"app_pages/{page}.py", chosen=small_service.finished_jobs()[0], **digit_state())
    assert not app.exception, [item.value for item in app.exception]
    sidebar = "\n".join(str(item.value) for item in [*app.sidebar.caption, *app.sidebar.markdown])
    found = [line for line in (page_text(app) + "\n" + sidebar).splitlines() if DEVELOPER_WORDS.search(line)]
    assert found == []
    assert "no hidden layers" in sidebar and "augmented" in sidebar  # every setting is in the summary


def test_activations_headings_read_as_sizes_and_the_output_layer_is_drawn(small_service):
    app = open_page("app_pages/activations.py", chosen=small_service.finished_jobs()[0], **digit_state())
    headings = [item.value for item in app.markdown if str(item.value).startswith("####")]
    assert "#### conv1 · Conv2D · 24 × 24 × 4 values" in headings
    assert "#### flatten · Flatten · 300 values" in headings
    assert not any("(" in heading for heading in headings)
    assert len(app.get("vega_lite_chart") or app.get("arrow_vega_lite_chart")) == 1  # the output layer's bars


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def test_noise_is_answered_with_a_caveat_not_a_bare_prediction(small_service):
    app = open_page("app_pages/activations.py", chosen=small_service.finished_jobs()[0])
    app.segmented_control(key="activations_input").set_value("upload").run()
    noise = np.random.default_rng(3).integers(0, 256, size=(400, 400), dtype=np.uint8)
    app.file_uploader(key="activations_upload").set_value(("noise.png", _png(noise), "image/png")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert any(item.value.startswith("Prediction:") for item in app.subheader)
    warnings = " ".join(item.value for item in app.warning)
    assert "does not look like a handwritten digit" in warnings


def test_the_uploader_offers_every_picture_type_the_reader_accepts(small_service):
    app = open_page("app_pages/activations.py", chosen=small_service.finished_jobs()[0])
    app.segmented_control(key="activations_input").set_value("upload").run()
    # Any file is taken (one of another kind gets a sentence); the label names every type the reader accepts.
    uploader = app.get("file_uploader")[0]
    assert not uploader.proto.type
    offered = re.search(r"\(([A-Z, ]+)\)", uploader.proto.label).group(1).split(", ")
    extensions = {"PNG": "PNG", "JPG": "JPEG", "JPEG": "JPEG", "GIF": "GIF"}
    assert {extensions[ending] for ending in offered} == set(ACCEPTED_FORMATS)
    # And a GIF is read, as the error message for other files promises.
    buffer = io.BytesIO()
    seven = np.full((120, 120), 255, dtype=np.uint8)
    seven[20:30, 20:100] = 0
    seven[30:100, 80:90] = 0
    Image.fromarray(seven).save(buffer, "GIF")
    app.file_uploader(key="activations_upload").set_value(("seven.gif", buffer.getvalue(), "image/gif")).run()
    assert not app.exception and not app.error
    assert "Input: your picture seven.gif" in page_text(app)
