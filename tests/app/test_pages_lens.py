"""The pages that look into a trained network through Streamlit's AppTest: first visit without a model, then with a
small trained one."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import PAGE_MODEL, open_page, page_text
from streamlit.testing.v1 import AppTest

from cnnlab.app import digit_input, resources

TINY = PAGE_MODEL
LENS_PAGES = ["takeaway", "patterns", "attack", "digit_map"]


def errors_of(app: AppTest) -> list[str]:
    return [item.value for item in app.exception]


@pytest.mark.parametrize("page", LENS_PAGES)
def test_first_visit_works_at_once_with_the_shipped_model(page, shipped_model, empty_service):
    app = open_page(f"app_pages/{page}.py")
    assert not app.exception, errors_of(app)
    assert "needs a trained model" not in page_text(app)
    assert "Test accuracy" in "\n".join(str(metric.label) for metric in app.sidebar.get("metric"))


def test_takeaway_offers_the_models_script_and_notebook(trained_service):
    app = open_page("app_pages/takeaway.py", chosen=trained_service.finished_jobs()[0])
    assert not app.exception, errors_of(app)
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Jupyter notebook (.ipynb)", "Python script (.py)"]
    shown = app.code[0].value
    assert "# ((6, 5), (4, 3)), max pooling, hidden dense layers (16,)." in shown
    assert "EPOCHS = 2" in shown and "TRAIN_SIZE = 600" in shown
    # The page names the same parameter count as the hand-made sum for these settings.
    total = 6 * 26 + 4 * (9 * 6 + 1) + (400 + 1) * 16 + (16 + 1) * 10
    assert f"{total:,} parameters" in page_text(app)
    assert not app.error


def test_attack_page_fools_the_model_within_the_budget_and_opens_the_result(trained_service, digit_state):
    app = open_page("app_pages/attack.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    assert not app.exception, errors_of(app)
    model = trained_service.finished_jobs()[0].result.model
    predicted = int(np.argmax(model(digit_state[digit_input.DIGIT][None, :, :, None] / 255.0, training=False)))
    assert predicted not in app.selectbox(key="attack_target").options
    target = (predicted + 2) % 10
    app.selectbox(key="attack_target").set_value(target)
    app.slider(key="attack_budget").set_value(160)
    app.run()
    assert not app.exception, errors_of(app)
    assert len(app.success) == 1, page_text(app)
    assert f"the network reads {target}" in app.success[0].value
    assert "adversarial example" in page_text(app)
    app.button(key="attack_open").click().run()
    assert not app.exception, errors_of(app)
    fooled = app.session_state[digit_input.DIGIT]
    # The digit now in use is a real uint8 picture within the budget, and the model reads it as the target.
    assert fooled.dtype == np.uint8 and fooled.shape == (28, 28)
    assert np.abs(fooled.astype(int) - digit_state[digit_input.DIGIT].astype(int)).max() <= 160
    assert int(np.argmax(model(fooled[None, :, :, None] / 255.0, training=False))) == target
    assert app.session_state[digit_input.DIGIT_ORIGIN] == f"your digit changed to read as {target}"
    assert app.session_state[digit_input.DIGIT_LABEL] == digit_state[digit_input.DIGIT_LABEL]
    assert f"Prediction: {target}" in [heading.value for heading in app.subheader]


def test_attack_page_says_when_the_budget_is_too_small(trained_service, digit_state):
    app = open_page("app_pages/attack.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    app.slider(key="attack_budget").set_value(1)
    app.slider(key="attack_steps").set_value(2)
    app.run()
    assert not app.exception, errors_of(app)
    assert len(app.warning) == 1 and "did not make the network read" in app.warning[0].value
    assert not [button for button in app.button if button.key == "attack_open"]


def image_captions(app: AppTest) -> list[str]:
    return [caption for element in app.get("image") for caption in element.captions]


def test_patterns_page_shows_every_conv_filter_and_the_chosen_dense_unit(trained_service):
    app = open_page("app_pages/patterns.py", chosen=trained_service.finished_jobs()[0])
    assert not app.exception, errors_of(app)
    captions = image_captions(app)
    assert any(caption.startswith("Filters 1–6, left to right: the 5×5 picture") for caption in captions), captions
    assert any(caption.startswith("Filters 1–4: the 10×10 pixels") for caption in captions), captions
    # The output digits' pictures, and what the model reads in them (computed here too, outside the page).
    from cnnlab.lens.patterns import preferred_inputs

    result = trained_service.finished_jobs()[0].result
    pictures = preferred_inputs(result.network, "output").images
    read = result.model(pictures[..., None] / 255.0, training=False).numpy().argmax(axis=1)
    assert any(f"It reads them as {', '.join(str(digit) for digit in read)}." in caption for caption in captions)
    app.selectbox(key="patterns_dense_layer").set_value("dense1")
    app.run()
    app.number_input(key="patterns_unit").set_value(16).run()
    assert not app.exception, errors_of(app)
    assert "Unit 16 of dense1 reaches" in page_text(app)


def test_digit_map_page_maps_every_test_digit_and_a_click_opens_one_in_activations(trained_service):
    app = open_page("app_pages/digit_map.py", chosen=trained_service.finished_jobs()[0])
    assert not app.exception, errors_of(app)
    from cnnlab.lens.digit_map import chosen_digits

    dataset = resources.get_dataset("mnist")
    model = trained_service.finished_jobs()[0].result.model
    picked = chosen_digits(len(dataset.y_test))
    answers = model(dataset.x_test[picked][..., None] / 255.0, training=False).numpy().argmax(axis=1)
    mistakes = int((answers != dataset.y_test[picked]).sum())
    assert f"{len(picked):,} of the {len(dataset.y_test):,} test digits · {mistakes:,} read wrongly" in page_text(app)
    chart = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert len(chart) == 1
    app.segmented_control(key="digit_map_method").set_value("tsne").run()
    assert not app.exception, errors_of(app)
    assert "t-SNE" in page_text(app)
    # A click on the point of test digit #123, as the browser reports it.
    app.session_state["digit_map_chart"] = {"selection": {"digit": [{"index": 123}]}}
    app.run()
    assert not app.exception, errors_of(app)
    assert app.session_state[digit_input.DIGIT_ORIGIN] == "test digit #123"
    assert app.session_state[digit_input.DIGIT_LABEL] == int(dataset.y_test[123])
    assert (app.session_state[digit_input.DIGIT] == dataset.x_test[123]).all()
    assert "Activations" in [title.value for title in app.title]
