"""The pages that look into a trained network (issue 14, items 3–6) through Streamlit's AppTest: first visit
without a model, then with a small trained one."""

from __future__ import annotations

import pytest
from helpers import app_service_with, open_page, page_text
from streamlit.testing.v1 import AppTest

from cnnlab import ui
from cnnlab.config import TrainConfig

TINY = TrainConfig(conv1_filters=6, conv2_filters=4, dense_units=(16,), epochs=2, train_size=600)
LENS_PAGES = ["takeaway"]


def errors_of(app: AppTest) -> list[str]:
    return [item.value for item in app.exception]


@pytest.fixture(scope="module")
def trained_service():
    """The app's service holding one small trained model (two epochs), as after a student pressed Train."""
    yield app_service_with(TINY)
    ui.get_service.clear()


@pytest.fixture
def digit_state():
    dataset = ui.get_dataset("sample")
    return {ui.DIGIT: dataset.x_test[7], ui.DIGIT_ORIGIN: "test digit #7", ui.DIGIT_LABEL: int(dataset.y_test[7])}


@pytest.mark.parametrize("page", LENS_PAGES)
def test_first_visit_without_a_model_offers_training(page, empty_service):
    app = open_page(f"app_pages/{page}.py")
    assert not app.exception, errors_of(app)
    assert "needs a trained model" in page_text(app)
    assert app.button(key=f"{page}_train_default").label == "Train the default model"


def test_takeaway_offers_the_models_script_and_notebook(trained_service):
    app = open_page("app_pages/takeaway.py")
    assert not app.exception, errors_of(app)
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Jupyter notebook (.ipynb)", "Python script (.py)"]
    shown = app.code[0].value
    assert "CONV1_FILTERS = 6" in shown and "CONV2_FILTERS = 4" in shown and "DENSE_UNITS = (16,)" in shown
    assert "EPOCHS = 2" in shown and "TRAIN_SIZE = 600" in shown
    # The page names the same parameter count as the hand-made sum for these settings.
    total = 6 * 26 + 4 * (9 * 6 + 1) + (400 + 1) * 16 + (16 + 1) * 10
    assert f"{total:,} parameters" in page_text(app)
    assert not app.error
