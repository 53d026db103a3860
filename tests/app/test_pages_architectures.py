"""Every page through AppTest for three models of other architectures than the reference model: three conv layers
with "same" padding and stride 2 (tanh, Adam), one 7 × 7 conv layer with average pooling (sigmoid, SGD), and two
conv layers of even kernels with "same" padding and no pooling. Each page runs without an exception and shows what
it shows for the reference model, checked against Keras where it names a number."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import APP, APP_TIMEOUT, keras_layer_outputs, open_page, page_text, trained_in_app_service
from streamlit.testing.v1 import AppTest

from cnnlab.app import resources
from cnnlab.app.page_list import PAGES
from cnnlab.config import TrainConfig
from cnnlab.network.model import build_model

# Small and short, so that the three train in seconds; the architectures are what matters here.
PAGE_ARCHITECTURES = {
    "three same stride 2": TrainConfig(conv_layers=((6, 3), (8, 3), (10, 3)), padding="same", stride=2,
                                       activation="tanh", optimizer="adam", dense_units=(16,), epochs=2,
                                       train_size=600),
    "one 7x7 average": TrainConfig(conv_layers=((5, 7),), pooling="average", activation="sigmoid", optimizer="sgd",
                                   learning_rate=0.03, dense_units=(16,), epochs=2, train_size=600),
    "even kernels no pooling": TrainConfig(conv_layers=((4, 4), (6, 2)), padding="same", pooling="none",
                                           dense_units=(16,), epochs=2, train_size=600),
}
# Every page that shows a model, by its file name; Train, Experiments, Share and Teacher have tests of their own too.
MODEL_PAGES = [page.file for page in PAGES]


@pytest.fixture(scope="module")
def architecture_jobs():
    """The app's service holding one trained model of each of PAGE_ARCHITECTURES, by name."""
    jobs = trained_in_app_service(PAGE_ARCHITECTURES)
    assert all(job.error == "" for job in jobs.values()), [job.error for job in jobs.values()]
    yield jobs
    resources.get_service.clear()


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
@pytest.mark.parametrize("page", MODEL_PAGES)
def test_every_page_shows_a_model_of_another_architecture(page, name, architecture_jobs, digit_state):
    job = architecture_jobs[name]
    app = open_page(page, chosen=job, **digit_state)
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error, [item.value for item in app.error]
    assert page_text(app)


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_the_numpy_network_of_a_trained_model_is_the_keras_network(name, architecture_jobs, digit_state):
    # The pages show `result.network`; Keras, given the same weights, is the referee.
    from cnnlab.app import digit_input

    result = architecture_jobs[name].result
    model = build_model(result.config)
    model.set_weights(result.weights)
    digit = digit_state[digit_input.DIGIT]
    for mine, theirs in zip(result.network.layer_outputs(digit), keras_layer_outputs(model, digit), strict=True):
        np.testing.assert_allclose(mine[0], theirs, rtol=1e-4, atol=1e-5)


def keras_twin_of(result):
    """The Keras model of a trained result's settings, holding its weights: the referee for what the pages show."""
    model = build_model(result.config)
    model.set_weights(result.weights)
    return model


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_prediction_and_its_saliency_map_match_keras(name, architecture_jobs, digit_state):
    from keras_reference import keras_output_gradient

    from cnnlab.app import digit_input
    from cnnlab.digits.format import to_model_input
    from cnnlab.lens.saliency import class_gradient

    result = architecture_jobs[name].result
    model = keras_twin_of(result)
    digit = digit_state[digit_input.DIGIT]
    probabilities = np.asarray(model.predict_on_batch(to_model_input(digit)))[0]
    app = open_page("app_pages/prediction.py", chosen=architecture_jobs[name], **digit_state)
    assert not app.exception
    assert f"Prediction: {int(probabilities.argmax())}" in page_text(app)
    for kind in ("score", "probability"):
        target = int(probabilities.argmax())
        _, theirs = keras_output_gradient(model, to_model_input(digit), [target], kind)
        ours = class_gradient(result.network, digit, target, kind)
        np.testing.assert_allclose(ours, theirs[0, :, :, 0], rtol=1e-4, atol=1e-5 * np.abs(theirs).max())


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_how_one_number_is_made_explains_each_layer_with_keras_values(name, architecture_jobs, digit_state):
    from cnnlab.app import digit_input

    job = architecture_jobs[name]
    model = keras_twin_of(job.result)
    outputs = dict(zip([layer.name for layer in model.layers],
                       keras_layer_outputs(model, digit_state[digit_input.DIGIT]), strict=True))
    app = open_page("app_pages/explorer.py", chosen=job, **digit_state)
    side = outputs["conv1"].shape[0]
    app.slider(key="explorer_row").set_value(side).run()  # the last row: in the padding, where there is some
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    shown = [float(value) for value in re.findall(r"own output at this position is \*\*(-?[0-9.]+)\*\*", text)]
    filter_index = app.slider(key="explorer_filter").value - 1
    column = app.slider(key="explorer_column").value - 1
    assert shown[0] == pytest.approx(float(outputs["conv1"][side - 1, column, filter_index]), abs=1e-4)
    assert "different" not in text
    config = job.config
    assert text.count("the same number") == 1 + (config.pooling != "none" and side % 2 == 0) + (
        len(config.conv_layers) > 1)
    if config.padding == "same":
        assert "“Same” padding puts" in text
    if config.stride > 1:
        assert f"With stride {config.stride}, the window moves {config.stride} pixels" in text
    if config.pooling == "none":
        assert "This network has no pooling" in text
    if len(config.conv_layers) == 1:
        assert "This network has one conv layer" in text


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_evaluation_fooling_and_the_digit_map_agree_with_keras(name, architecture_jobs, digit_state):
    from cnnlab.app import digit_input
    from cnnlab.digits.format import to_model_input
    from cnnlab.lens.attack import fool
    from cnnlab.lens.digit_map import hidden_features
    from cnnlab.lens.evaluation import evaluate
    from cnnlab.network.backend import load_keras

    result = architecture_jobs[name].result
    model = keras_twin_of(result)
    dataset = resources.get_dataset("mnist")
    images, labels = dataset.x_test[:1000], dataset.y_test[:1000]
    theirs = np.asarray(model.predict(to_model_input(images), verbose=0)).argmax(axis=1)
    evaluation = evaluate(result.network, images, labels)
    np.testing.assert_array_equal(evaluation.predictions, theirs)
    # The digit map's features: the layer that feeds the output layer, as Keras computes it.
    feeding = load_keras().Model(model.inputs[0], model.get_layer("output").input)
    np.testing.assert_allclose(hidden_features(result.network, images[:50]),
                               np.asarray(feeding(to_model_input(images[:50]), training=False)), rtol=1e-4, atol=1e-5)
    # The fooled digit is read by Keras as the page's network reads it.
    digit = digit_state[digit_input.DIGIT]
    target = (int(np.asarray(model.predict_on_batch(to_model_input(digit))).argmax()) + 1) % 10
    attack = fool(result.network, digit, target)
    keras_reading = np.asarray(model.predict_on_batch(to_model_input(attack.attacked)))[0]
    np.testing.assert_allclose(attack.attacked_probabilities, keras_reading, atol=1e-5)


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_a_filters_favourite_picture_excites_it_as_much_in_keras(name, architecture_jobs):
    from keras_reference import keras_unit_gradient

    from cnnlab.digits.format import to_model_input
    from cnnlab.lens.patterns import preferred_inputs
    from cnnlab.network.backward import unit_gradient

    result = architecture_jobs[name].result
    model = keras_twin_of(result)
    for layer in [layer.name for layer in result.network.layers if layer.kind == "Conv2D"]:
        patterns = preferred_inputs(result.network, layer, steps=3)
        # The pictures as the page shows them (rounded to whole grey levels), through both networks.
        pixels, units = to_model_input(patterns.images), np.array(patterns.units)
        ours, _ = unit_gradient(result.network, pixels, layer, units)
        theirs, _ = keras_unit_gradient(model, pixels, layer, units)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(patterns.scores, theirs, atol=0.01)  # rounding the pictures moved them so little


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_watch_shows_each_epochs_network_as_keras_runs_it(name, architecture_jobs, digit_state):
    from cnnlab.app import digit_input
    from cnnlab.lens.filter_history import digit_through_epochs

    result = architecture_jobs[name].result
    digit = digit_state[digit_input.DIGIT]
    epochs = digit_through_epochs(result.config, result.epoch_weights, digit, initial_weights=result.initial_weights)
    assert sorted(epochs) == [0, 1, 2]
    model = build_model(result.config)
    for epoch, weights in [(0, result.initial_weights), (1, result.epoch_weights[0])]:
        model.set_weights([np.asarray(values, dtype=np.float32) for values in weights])
        for mine, theirs in zip(epochs[epoch], keras_layer_outputs(model, digit), strict=True):
            np.testing.assert_allclose(mine.output, theirs, rtol=1e-4, atol=1e-5)
    app = open_page("app_pages/watch.py", chosen=architecture_jobs[name], **digit_state)
    conv_and_pool = [layer.name for layer in result.network.layers if layer.kind != "Dropout"][:-2]
    text = page_text(app)
    for layer_name in [name for name in conv_and_pool if name.startswith(("conv", "pool"))]:
        assert f"#### {layer_name} after epoch" in text


@pytest.mark.parametrize("name", list(PAGE_ARCHITECTURES))
def test_filters_shows_every_conv_layer_and_the_share_link_reopens_the_model(name, architecture_jobs):
    from cnnlab.app import model_choice

    job = architecture_jobs[name]
    app = open_page("app_pages/filters.py", chosen=job)
    headings = [element.value for element in app.subheader]
    count = len(job.config.conv_layers)
    assert [heading for heading in headings if heading.endswith("conv layer")] == [
        f"{word} conv layer" for word in ("First", "Second", "Third")[:count]]
    share = open_page("app_pages/share.py", chosen=job)
    query = {name: value if isinstance(value, str) else value[0] for name, value in share.query_params.items()}
    reopened = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    for key, value in query.items():
        reopened.query_params[key] = value
    reopened.run()
    assert not reopened.exception
    assert reopened.session_state[model_choice.MODEL_KEY] == job.key


def test_compare_and_the_class_experiments_tell_architectures_apart(architecture_jobs):
    first, second = architecture_jobs["three same stride 2"], architecture_jobs["one 7x7 average"]
    app = open_page("app_pages/compare.py", chosen=first)
    jobs = [job for job in resources.get_service().finished_jobs()]
    app.selectbox(key="compare_first").set_value(jobs.index(first))
    app.selectbox(key="compare_second").set_value(jobs.index(second)).run()
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    assert "**conv layers**: 6 filters 3×3, 8 filters 3×3, 10 filters 3×3 vs 5 filters 7×7" in text
    assert "**pooling**: max 2 × 2 vs average 2 × 2" in text
    experiments = open_page("app_pages/experiments.py")
    for colour in ("conv layers", "pooling", "padding", "stride", "activation", "optimiser"):
        experiments.selectbox(key="experiments_colour").set_value(colour).run()
        assert not experiments.exception, colour
