"""The teaching pages through Streamlit's AppTest: first visit without a model, then with one."""

from __future__ import annotations

import re

import numpy as np
import pytest
import streamlit as st
from helpers import APP, APP_TIMEOUT, PAGE_MODEL, open_page, page_text
from streamlit.testing.v1 import AppTest

from cnnlab.app import digit_input, model_choice, resources
from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.lens.activations import layer_activations

TINY = PAGE_MODEL
TEACHING_PAGES = ["explorer", "evaluation", "robustness", "compare", "share"]


def no_exception(app: AppTest) -> bool:
    return not app.exception


@pytest.mark.parametrize("page", TEACHING_PAGES)
def test_first_visit_without_a_model_offers_training(page, empty_service):
    app = open_page(f"app_pages/{page}.py")
    assert no_exception(app), [item.value for item in app.exception]
    assert "needs a trained model" in page_text(app)
    assert app.button(key=f"{page}_train_default").label == "Train the default model"


def shown_numbers(text: str, phrase: str) -> list[float]:
    """The bold numbers after `phrase` in the page's text, e.g. the model's own output values."""
    return [float(value) for value in re.findall(re.escape(phrase) + r" \*\*(-?[0-9.]+)\*\*", text)]


def test_explorer_explains_conv1_pool_and_conv2_with_the_models_numbers(trained_service, digit_state):
    app = open_page("app_pages/explorer.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    assert no_exception(app), [item.value for item in app.exception]
    app.slider(key="explorer_filter").set_value(3)
    app.slider(key="explorer_row").set_value(10)
    app.slider(key="explorer_column").set_value(14)
    app.slider(key="explorer_conv2_filter").set_value(2)
    app.slider(key="explorer_conv2_row").set_value(4)
    app.slider(key="explorer_conv2_column").set_value(7)
    app.run()
    assert no_exception(app), [item.value for item in app.exception]
    text = page_text(app)
    assert text.count("the same number") == 3 and "different" not in text
    # The values the page names, checked against the layer outputs computed here, outside the page.
    layers = {layer.name: layer.output for layer in
              layer_activations(trained_service.finished_jobs()[0].result.network, digit_state[digit_input.DIGIT])}
    conv1, pool, conv2 = shown_numbers(text, "own output at this position is")
    assert conv1 == pytest.approx(layers["conv1"][9, 13, 2], abs=1e-4)
    assert pool == pytest.approx(layers["pool"][4, 6, 2], abs=1e-4)
    assert pool == pytest.approx(layers["conv1"][8:10, 12:14, 2].max(), abs=1e-4)
    assert conv2 == pytest.approx(layers["conv2"][3, 6, 1], abs=1e-4)
    assert "rows 9–10 and columns 13–14" in text
    assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) >= 6


def test_explorer_reaches_the_last_row_and_column(trained_service, digit_state):
    app = open_page("app_pages/explorer.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    app.slider(key="explorer_row").set_value(24)
    app.slider(key="explorer_column").set_value(24)
    app.slider(key="explorer_conv2_row").set_value(10)
    app.run()
    assert no_exception(app), [item.value for item in app.exception]
    assert page_text(app).count("the same number") == 3


def test_explorer_picks_a_digit_on_a_first_visit(trained_service):
    app = open_page("app_pages/explorer.py", chosen=trained_service.finished_jobs()[0])
    assert no_exception(app), [item.value for item in app.exception]
    assert "true label" in page_text(app)
    assert isinstance(app.session_state[digit_input.DIGIT], np.ndarray)


def test_filters_page_replays_the_learning_epoch_by_epoch(trained_service):
    app = open_page("app_pages/filters.py", chosen=trained_service.finished_jobs()[0])
    assert no_exception(app), [item.value for item in app.exception]
    slider = app.slider(key="filters_epoch")
    assert (slider.min, slider.max, slider.value) == (0, 2, 2)
    charts_before = len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart"))
    snapshots = np.asarray(trained_service.finished_jobs()[0].result.filter_snapshots, dtype=np.float64)
    moved = np.abs(snapshots[2] - snapshots[1]).mean() / np.abs(snapshots[0]).mean()
    assert f"During epoch 2 the weights moved by {moved:.0%}" in page_text(app)
    slider.set_value(0).run()
    assert no_exception(app), [item.value for item in app.exception]
    assert "Before training" in page_text(app)
    assert len(app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")) == charts_before


def test_evaluation_page_counts_and_opens_a_digit_in_activations(trained_service):
    dataset = resources.get_dataset("mnist")
    model = trained_service.finished_jobs()[0].result.model
    predictions = model.predict(to_model_input(dataset.x_test), verbose=0).argmax(axis=1)
    app = open_page("app_pages/evaluation.py", chosen=trained_service.finished_jobs()[0])
    assert no_exception(app), [item.value for item in app.exception]
    assert app.metric[0].value == f"{(predictions == dataset.y_test).mean():.2%}"
    assert app.metric[2].value == f"{int((predictions != dataset.y_test).sum()):,}"
    # The pickers start on the most frequent mistake, counted here with NumPy.
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (dataset.y_test, predictions), 1)
    best = int(np.argmax(np.diag(counts)))  # the digit read correctly most often
    np.fill_diagonal(counts, 0)
    true, predicted = np.unravel_index(counts.argmax(), counts.shape)
    assert (app.selectbox(key="evaluation_true").value, app.selectbox(key="evaluation_predicted").value) == (
        true, predicted)
    assert f"**{counts[true, predicted]:,}** test digits {true} were read as {predicted}" in page_text(app)
    # A square of right answers, then the first digit of it opened in Activations.
    true = best
    app.selectbox(key="evaluation_true").set_value(true)
    app.selectbox(key="evaluation_predicted").set_value(true).run()
    assert no_exception(app), [item.value for item in app.exception]
    assert f"test digits {true} were read correctly" in page_text(app)
    open_buttons = [button for button in app.button if button.key.startswith("evaluation_open_")]
    assert 0 < len(open_buttons) <= 12
    index = int(open_buttons[0].key.removeprefix("evaluation_open_"))
    assert dataset.y_test[index] == true and predictions[index] == true
    open_buttons[0].click().run()
    assert no_exception(app), [item.value for item in app.exception]
    np.testing.assert_array_equal(app.session_state[digit_input.DIGIT], dataset.x_test[index])
    assert app.session_state[digit_input.DIGIT_LABEL] == true
    assert f"Input: test digit #{index:,} · true label: {true}" in page_text(app)  # the Activations page


def test_evaluation_page_says_when_a_square_is_empty(trained_service):
    app = open_page("app_pages/evaluation.py", chosen=trained_service.finished_jobs()[0])
    dataset = resources.get_dataset("mnist")
    model = trained_service.finished_jobs()[0].result.model
    predictions = model.predict(to_model_input(dataset.x_test), verbose=0).argmax(axis=1)
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (dataset.y_test, predictions), 1)
    true, predicted = map(int, np.argwhere(counts == 0)[0])
    app.selectbox(key="evaluation_true").set_value(true)
    app.selectbox(key="evaluation_predicted").set_value(predicted).run()
    assert no_exception(app)
    assert f"No test digit {true} was" in page_text(app)


def image_captions(app: AppTest) -> list[str]:
    return [caption for element in app.get("image") for caption in element.captions]


def test_prediction_page_explains_why_with_the_gradient(trained_service, digit_state):
    app = open_page("app_pages/prediction.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    assert no_exception(app), [item.value for item in app.exception]
    model = trained_service.finished_jobs()[0].result.model
    predicted = int(model.predict(to_model_input(digit_state[digit_input.DIGIT]), verbose=0).argmax())
    assert app.selectbox(key="prediction_why_digit").format_func(None) == f"the prediction ({predicted})"
    captions = image_captions(app)
    assert f"Where the score of {predicted} is decided" in captions
    assert "More ink here: blue raises it, red lowers it" in captions
    other = (predicted + 1) % 10
    app.selectbox(key="prediction_why_digit").set_value(other)
    app.radio(key="prediction_why_kind").set_value("probability").run()
    assert no_exception(app), [item.value for item in app.exception]
    # Whether any pixel moves that probability, asked of TensorFlow directly: the page draws the map, or says not.
    import tensorflow as tf

    pixels = tf.constant(to_model_input(digit_state[digit_input.DIGIT]))
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        probability = model(pixels, training=False)[0, other]
    if np.any(tape.gradient(probability, pixels).numpy()):
        assert f"Where the probability of {other} is decided" in image_captions(app)
    else:
        assert f"The probability of {other} does not change with any pixel" in page_text(app)


def test_robustness_page_follows_the_sliders(trained_service, digit_state):
    digit = digit_state[digit_input.DIGIT]
    model = trained_service.finished_jobs()[0].result.model
    app = open_page("app_pages/robustness.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    assert no_exception(app), [item.value for item in app.exception]
    assert any("Still read as" in text for text in [item.value for item in app.markdown])
    app.slider(key="robustness_shift_right").set_value(3)
    app.checkbox(key="robustness_erase_on").check().run()
    app.slider(key="robustness_erase").set_value((12, 15)).run()
    assert no_exception(app), [item.value for item in app.exception]
    # The same change made here with NumPy slicing: three pixels to the right, rows 12–15 blacked out.
    expected = np.zeros_like(digit)
    expected[:, 3:] = digit[:, :-3]
    expected[12:16] = 0
    before = int(model.predict(to_model_input(digit), verbose=0).argmax())
    probabilities = model.predict(to_model_input(expected), verbose=0)[0]
    after = int(probabilities.argmax())
    sentence = (f"Still read as **{after}**" if after == before else f"Now read as **{after}**")
    assert any(sentence in item.value and f"({probabilities[after]:.0%} sure)" in item.value for item in app.markdown)
    app.button(key="robustness_reset").click().run()
    assert no_exception(app)
    assert app.slider(key="robustness_shift_right").value == 0
    assert not app.checkbox(key="robustness_erase_on").value
    app.slider(key="robustness_rotation").set_value(-45)
    app.slider(key="robustness_scale").set_value(0.5).run()
    assert no_exception(app), [item.value for item in app.exception]


def open_link(query: dict) -> AppTest:
    """The Share page opened straight from a link carrying `query`, as a student following it would."""
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    app.switch_page("app_pages/share.py")
    for name, value in query.items():
        app.query_params[name] = value
    return app.run()


def test_share_page_puts_the_settings_in_the_address_and_offers_downloads(trained_service, digit_state):
    app = open_page("app_pages/share.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    assert no_exception(app), [item.value for item in app.exception]
    # TINY's settings that differ from the reference model, written out by hand.
    expected = {"conv": "6x5,4x3", "dense_units": "16", "epochs": "2", "train_size": "600"}
    assert {name: app.query_params[name][0] if isinstance(app.query_params[name], list) else app.query_params[name]
            for name in app.query_params} == expected
    code = app.code[0].value
    assert code.endswith("?conv=6x5%2C4x3&dense_units=16&epochs=2&train_size=600")
    labels = [element.proto.label for element in app.get("download_button")]
    assert labels == ["conv1 filters (PNG)", "conv1 maps of the current digit (PNG)"]
    # The .keras file is written only when asked for (Keras runs in a process of its own for it).
    assert app.button(key="share_prepare_model").label == "Prepare the trained model (.keras)"


@pytest.fixture
def keras_files_written(monkeypatch):
    """Every .keras file the Share page has Keras write, in order, through the real `keras_file_bytes`; Streamlit's
    data caches emptied first, so that no earlier test's file is reused."""
    from cnnlab.network import keras_file

    st.cache_data.clear()
    written = []
    real = keras_file.keras_file_bytes

    def recorded(config, weights):
        written.append(real(config, weights))
        return written[-1]

    monkeypatch.setattr(keras_file, "keras_file_bytes", recorded)
    return written


def test_the_keras_file_is_written_once_per_model_and_answers_as_the_page_does(trained_service, digit_state,
                                                                               keras_files_written, sample, tmp_path):
    job = trained_service.finished_jobs()[0]
    for _ in range(2):  # two students' tabs ask for the same model's file
        app = open_page("app_pages/share.py", chosen=job, **digit_state)
        app.button(key="share_prepare_model").click().run()
        assert no_exception(app), [item.value for item in app.exception]
        assert [element.proto.label for element in app.get("download_button")][0] == "Trained model (.keras)"
        app.run()  # the tab's later runs keep offering it
        assert [element.proto.label for element in app.get("download_button")][0] == "Trained model (.keras)"
    assert len(keras_files_written) == 1
    path = tmp_path / "downloaded.keras"
    path.write_bytes(keras_files_written[0])
    from cnnlab.network.backend import load_keras

    model = load_keras().saving.load_model(path)
    digits = sample.x_test[:20]
    np.testing.assert_allclose(model.predict(to_model_input(digits), verbose=0),
                               job.result.network.predict_proba(digits), atol=1e-5)


def test_a_keras_file_that_cannot_be_written_is_a_sentence(trained_service, digit_state, monkeypatch):
    from cnnlab.network import keras_file

    st.cache_data.clear()
    monkeypatch.setattr(keras_file.sys, "executable", "/no/such/python")
    app = open_page("app_pages/share.py", chosen=trained_service.finished_jobs()[0], **digit_state)
    app.button(key="share_prepare_model").click().run()
    assert no_exception(app), [item.value for item in app.exception]
    assert "The process that writes the .keras file could not start" in " ".join(item.value for item in app.error)
    assert "Trained model (.keras)" not in [element.proto.label for element in app.get("download_button")]
    assert app.button(key="share_prepare_model")  # offered again, to try once more


def test_a_broken_link_is_a_sentence(trained_service):
    app = open_link({"epochs": "lots"})
    assert no_exception(app), [item.value for item in app.exception]
    warnings = " ".join(str(item.value) for item in app.sidebar.warning)
    assert "The link's epochs is 'lots', which is not a valid value. This tab shows the reference model" in warnings


def test_a_link_to_other_settings_opens_them_ready_to_train_and_then_in_use(trained_service):
    app = open_link({"conv1_filters": "3", "epochs": "1", "dense_units": "16", "train_size": "600"})
    assert no_exception(app), [item.value for item in app.exception]
    assert "these settings (**3 + 15 filters · hidden layers 16 · dropout 0.2 · 1 epoch" in page_text(app)
    assert "not trained on this server yet" in page_text(app)
    app.switch_page("app_pages/train.py").run()
    assert app.slider(key="train_conv1_filters").value == 3 and app.select_slider(key="train_size").value == 600
    app.button(key="train_start").click().run()
    assert no_exception(app), [item.value for item in app.exception]
    wanted = TrainConfig(conv_layers=((3, 5), (15, 3)), epochs=1, dense_units=(16,), train_size=600)
    job = trained_service.find(wanted, resources.get_dataset("mnist"))
    assert job is not None and trained_service.wait(job, 300) and job.error == ""
    app.switch_page("app_pages/filters.py").run()
    assert no_exception(app), [item.value for item in app.exception]
    assert app.session_state[model_choice.MODEL_KEY] == job.key
    assert "**3 filters**" in page_text(app)  # the pages show the link's model now
    assert any("3 + 15 filters" in str(item.value) for item in app.sidebar.caption)


SMALLER = TrainConfig(conv_layers=((3, 5), (4, 3)), dense_units=(16,), epochs=1, train_size=600)


@pytest.fixture
def two_models(trained_service):
    """The module's trained model and a second, smaller one: 3 filters, 1 epoch."""
    job = trained_service.submit(SMALLER, resources.get_dataset("mnist"))
    assert trained_service.wait(job, 300) and job.error == ""
    return trained_service


def test_compare_page_asks_for_a_second_model(trained_service, monkeypatch):
    only_one = trained_service.finished_jobs()[:1]
    monkeypatch.setattr(trained_service, "finished_jobs", lambda: only_one)
    app = open_page("app_pages/compare.py", chosen=trained_service.finished_jobs()[0])
    assert no_exception(app), [item.value for item in app.exception]
    assert "only one trained model" in page_text(app)


@pytest.mark.slow
def test_compare_page_puts_two_models_side_by_side(two_models, digit_state):
    app = open_page("app_pages/compare.py", chosen=two_models.finished_jobs()[0], **digit_state)
    assert no_exception(app), [item.value for item in app.exception]
    configs = [job.config for job in two_models.finished_jobs()]
    app.selectbox(key="compare_first").set_value(configs.index(SMALLER))
    app.selectbox(key="compare_second").set_value(configs.index(TINY)).run()
    assert no_exception(app), [item.value for item in app.exception]
    text = page_text(app)
    assert ("**conv layers**: 3 filters 5×5, 4 filters 3×3 vs 6 filters 5×5, 4 filters 3×3" in text
            and "**epochs**: 1 vs 2" in text)
    dataset = resources.get_dataset("mnist")
    right = {}
    for job in two_models.finished_jobs():
        if job.config not in (SMALLER, TINY):
            continue
        predictions = job.result.model.predict(to_model_input(dataset.x_test), verbose=0).argmax(axis=1)
        right[job.config.conv_layers[0][0]] = predictions == dataset.y_test
    both, neither = int((right[3] & right[6]).sum()), int((~right[3] & ~right[6]).sum())
    assert f"**{both:,}** both read correctly" in text and f"**{neither:,}** neither" in text
    assert len([metric for metric in app.metric if metric.label == "Test accuracy"]) == 3  # two + the sidebar
    assert text.count("Prediction:") == 2
    app.selectbox(key="compare_second").set_value(configs.index(SMALLER)).run()
    assert "Pick two different models" in page_text(app)
