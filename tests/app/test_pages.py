"""Every page through Streamlit's AppTest: first visit without a model, with a model, inputs, bad files."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import APP, APP_TIMEOUT, PAGE_MODEL, choose_train_settings, open_page, page_text, state_with_test_digit
from streamlit.testing.v1 import AppTest

from cnnlab.app import model_choice, resources
from cnnlab.config import TrainConfig

PAGES = [f"app_pages/{name}.py" for name in ("home", "train", "filters", "activations", "prediction")]
TINY = PAGE_MODEL
# By hand: conv1 6×(25+1), conv2 4×(6×9+1), dense 16×(4×10×10+1), output 10×(16+1).
TINY_PARAMETERS = 6 * 26 + 4 * 55 + 16 * 401 + 10 * 17


@pytest.mark.parametrize("page", PAGES)
def test_first_visit_without_a_model_never_fails(page, empty_service):
    app = open_page(page)
    assert not app.exception, [item.value for item in app.exception]
    if page in ("app_pages/filters.py", "app_pages/activations.py", "app_pages/prediction.py"):
        assert "needs a trained model" in page_text(app)
        assert app.button(key=f"{page.split('/')[1][:-3]}_train_default").label == "Train the default model"


def test_one_click_trains_the_default_model_in_the_background(empty_service, monkeypatch):
    # The button must start the service's job without training inside the script run.
    submitted = []
    monkeypatch.setattr(empty_service, "submit", lambda config, dataset, owner=None: submitted.append(config) or
                        SimpleNamespace(key=(config, dataset.fingerprint)))
    app = open_page("app_pages/filters.py")
    app.button(key="filters_train_default").click().run()
    assert submitted == [TrainConfig()]


def test_home_page_explains_and_shows_digits(empty_service):
    app = open_page("app_pages/home.py")
    assert "convolutional neural network" in page_text(app)
    assert "No model trained yet" in page_text(app)


def test_train_page_table_follows_the_sliders_before_training(empty_service):
    app = open_page("app_pages/train.py")
    table = app.dataframe[0].value
    assert int(table["parameters"].iloc[-1]) == 203_933
    app.slider(key="train_conv1_filters").set_value(8).run()
    table = app.dataframe[0].value
    assert int(table.loc[table["layer"] == "conv1", "parameters"].iloc[0]) == 8 * 26
    assert int(table.loc[table["layer"] == "conv2", "parameters"].iloc[0]) == 15 * (9 * 8 + 1)


def test_train_settings_survive_a_visit_to_another_page(empty_service):
    app = open_page("app_pages/train.py")
    app.slider(key="train_epochs").set_value(7)
    app.selectbox(key="train_dense_units").set_value((64,))
    app.run()
    app.switch_page("app_pages/home.py").run()
    app.switch_page("app_pages/train.py").run()
    assert not app.exception
    assert app.slider(key="train_epochs").value == 7
    assert app.selectbox(key="train_dense_units").value == (64,)
    table = app.dataframe[0].value
    assert int(table.loc[table["layer"] == "dense1", "parameters"].iloc[0]) == 64 * (1500 + 1)


def test_train_page_offers_1000_to_all_training_images_with_the_time_each_takes(empty_service):
    app = open_page("app_pages/train.py")
    assert not app.exception, [item.value for item in app.exception]
    choice = app.select_slider(key="train_size")
    assert choice.value is None  # every training image
    assert list(choice.options) == ["1,000", "2,000", "5,000", "10,000", "20,000", "30,000", "all 60,000"]
    assert list(app.radio(key=model_choice.DATASET_CHOICE).options) == [
        "MNIST: 70,000 handwritten digits that come with CNN Lab",
        "My own CSV file of digits (Kaggle “Digit Recognizer” format)"]
    text = page_text(app)
    assert "Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0)" in text
    times = next(item.value for item in app.caption if item.value.startswith("Time to train, roughly"))
    for label in ("1,000: about", "30,000: about", "**all 60,000: about"):  # the chosen one in bold
        assert label in times
    choice.set_value(1000).run()
    times = next(item.value for item in app.caption if item.value.startswith("Time to train, roughly"))
    assert "**1,000: about" in times and "**all" not in times
    assert "download" not in page_text(app).lower() and "offline" not in page_text(app).lower()


def test_train_page_reuses_a_model_with_the_same_settings(trained_service):
    app = open_page("app_pages/train.py", chosen=trained_service.finished_jobs()[0])
    choose_train_settings(app, TINY)
    assert int(app.dataframe[0].value["parameters"].iloc[-1]) == TINY_PARAMETERS
    app.button(key="train_start").click().run()
    assert not app.exception
    assert "already trained" in "\n".join(item.value for item in app.success)
    assert trained_service.running() == []  # nothing new was queued


def test_filters_page_shows_both_layers(trained_service):
    app = open_page("app_pages/filters.py", chosen=trained_service.finished_jobs()[0])
    assert not app.exception
    text = page_text(app)
    assert "6 filters" in text and "6 × (5×5 + 1) = **156 learnt parameters**" in text
    assert "4 filters" in text
    app.slider(key="filters_channel").set_value(3).run()
    assert not app.exception


def test_activations_page_walks_a_random_digit_through_every_layer(trained_service):
    app = open_page("app_pages/activations.py", chosen=trained_service.finished_jobs()[0])
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    assert "true label" in text
    for name in ("conv1", "pool", "conv2", "dropout", "flatten", "dense1", "output"):
        assert f"#### {name} ·" in text
    assert "Prediction:" in text
    learnt_from = int(TINY.train_size * (1 - TINY.validation_fraction))  # 540 of the 600 images; 60 validate
    filters = TINY.conv_layers[0][0]
    assert f"{filters} × {learnt_from:,} = {filters * learnt_from:,} activation maps" in text
    app.toggle(key="activations_dropout_training").set_value(True).run()
    assert "Training mode" in page_text(app)


def fake_canvas(monkeypatch, pixels: np.ndarray) -> None:
    """Stand in for the browser-side canvas (AppTest cannot load components): it "returns" `pixels`."""
    module = SimpleNamespace(st_canvas=lambda **kwargs: SimpleNamespace(image_data=pixels))
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", module)


def drawn_one() -> np.ndarray:
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    canvas[40:240, 130:150, :3] = 255
    return canvas


def test_activations_page_reads_the_canvas(trained_service, monkeypatch):
    fake_canvas(monkeypatch, drawn_one())
    app = open_page("app_pages/activations.py", chosen=trained_service.finished_jobs()[0])
    app.segmented_control(key="activations_input").set_value("draw").run()
    assert not app.exception, [item.value for item in app.exception]
    assert "Input: your drawing" in page_text(app)
    assert "Prediction:" in page_text(app)


def test_an_empty_canvas_asks_for_a_drawing(trained_service, monkeypatch):
    fake_canvas(monkeypatch, np.zeros((280, 280, 4), dtype=np.uint8))
    app = open_page("app_pages/activations.py", chosen=trained_service.finished_jobs()[0])
    app.segmented_control(key="activations_input").set_value("draw").run()
    assert not app.exception
    assert "Draw one digit" in page_text(app)
    # The random digit shown before is not passed off as the drawing.
    assert "Prediction:" not in page_text(app) and "test digit #" not in page_text(app)


def test_prediction_page_charts_the_current_digit(trained_service):
    app = open_page("app_pages/prediction.py", chosen=trained_service.finished_jobs()[0],
                    **state_with_test_digit(resources.get_dataset("mnist"), 5))
    assert not app.exception, [item.value for item in app.exception]
    text = page_text(app)
    assert "Prediction:" in text and "Runner-up" in text and "test digit #5" in text
    assert len(app.get("vega_lite_chart")) == 1  # the probability bars


def test_a_bad_csv_upload_shows_the_sentence_and_keeps_the_data(empty_service):
    app = open_page("app_pages/train.py")
    app.radio(key=model_choice.DATASET_CHOICE).set_value("upload").run()
    app.file_uploader(key="train_csv").set_value(("bad.csv", b"label,pixel0\n3,12\n", "text/csv")).run()
    assert not app.exception, [item.value for item in app.exception]
    errors = " ".join(item.value for item in app.error)
    assert "bad.csv was not used" in errors and "784" in errors
    assert model_choice.UPLOADED_DATASET not in app.session_state  # nothing half-read replaces the data
    assert int(app.dataframe[0].value["parameters"].iloc[-1]) == 203_933  # the page still works


def test_a_good_csv_upload_becomes_the_training_data(empty_service, sample):
    rows = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    for image, label in zip(sample.x_train[:60], sample.y_train[:60], strict=True):
        rows.append(f"{label}," + ",".join(str(value) for value in image.ravel()))
    app = open_page("app_pages/train.py")
    app.radio(key=model_choice.DATASET_CHOICE).set_value("upload").run()
    app.file_uploader(key="train_csv").set_value(("digits.csv", "\n".join(rows).encode(), "text/csv")).run()
    assert not app.exception, [item.value for item in app.exception]
    assert not app.error
    dataset = app.session_state[model_choice.UPLOADED_DATASET]
    assert dataset.source == "upload" and len(dataset.y_train) + len(dataset.y_test) == 60


def test_the_train_button_trains_in_a_worker_never_in_the_server(empty_service, monkeypatch, sample):
    import cnnlab.network.training

    def train_in_the_server(*arguments, **keywords):
        raise AssertionError("The web server's process trained a model.")

    monkeypatch.setattr(cnnlab.network.training, "train", train_in_the_server)
    app = open_page("app_pages/train.py")
    app.slider(key="train_epochs").set_value(1)
    app.slider(key="train_conv1_filters").set_value(3)
    app.select_slider(key="train_size").set_value(1000)
    app.run()
    app.button(key="train_start").click().run()
    assert not app.exception
    job = empty_service.find(TrainConfig(conv_layers=((3, 5), (15, 3)), epochs=1, train_size=1000),
                             model_choice.chosen_dataset())
    assert job is not None
    assert empty_service.wait(job, 300) and job.state.value == "done", job.error


def test_a_shared_link_sets_the_train_sliders(empty_service):
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    app.query_params["conv1_filters"] = "4"
    app.query_params["epochs"] = "2"
    app.query_params["dense_units"] = "64"
    app.run()
    app.switch_page("app_pages/train.py").run()
    assert not app.exception
    assert app.slider(key="train_conv1_filters").value == 4
    assert app.slider(key="train_epochs").value == 2
    table = app.dataframe[0].value
    # By hand: conv2 15 × (4 × 9 + 1), dense1 64 × (1,500 + 1).
    assert int(table.loc[table["layer"] == "conv2", "parameters"].iloc[0]) == 15 * 37
    assert int(table.loc[table["layer"] == "dense1", "parameters"].iloc[0]) == 64 * 1501
    # The student can still move a slider afterwards: the link is applied once, not on every run.
    app.slider(key="train_epochs").set_value(5).run()
    assert app.slider(key="train_epochs").value == 5


def sidebar_text(app) -> str:
    sidebar = app.sidebar
    return "\n".join(str(item.value) for item in [*sidebar.caption, *sidebar.metric, *sidebar.warning, *sidebar.info])


def test_a_tab_never_shows_another_students_model(empty_service, shipped_model, sample):
    # `empty_service` was made before `shipped_model` put the shipped model within reach: its store is empty.
    mnist = resources.get_dataset("mnist")
    tiny = empty_service.submit(TINY, mnist)  # another student's model
    assert empty_service.wait(tiny, 300) and tiny.error == ""
    # Without a reference model, a new tab offers to train one; it does not borrow the other student's.
    assert "needs a trained model" in page_text(open_page("app_pages/filters.py"))
    # The server restarts and finds the shipped reference model: every new tab shows it.
    resources.get_service.clear()
    service = resources.get_service()
    service.submit(TINY, mnist)  # the other student goes back to TINY, the most recently used model
    app = open_page("app_pages/filters.py")
    assert "30 filters" in page_text(app) and "6 filters" not in page_text(app)
    # Uploading a CSV to train on changes the data offered, not the model this tab shows.
    rows = ["label," + ",".join(f"pixel{i}" for i in range(784))]
    rows += [f"{label}," + ",".join(map(str, image.ravel())) for image, label in
             zip(sample.x_train[:60], sample.y_train[:60], strict=True)]
    app.switch_page("app_pages/train.py").run()
    app.radio(key=model_choice.DATASET_CHOICE).set_value("upload").run()
    app.file_uploader(key="train_csv").set_value(("digits.csv", "\n".join(rows).encode(), "text/csv")).run()
    assert not app.exception
    assert "30 + 15 filters" in sidebar_text(app) and "6 + 4 filters" not in sidebar_text(app)


def test_the_address_carries_the_tabs_model_so_a_reload_comes_back_to_its_training(empty_service):
    app = open_page("app_pages/train.py")
    app.slider(key="train_conv1_filters").set_value(3)
    app.slider(key="train_epochs").set_value(4)
    app.run()
    assert dict(app.query_params) == {}  # the reference model's settings: a plain address
    app.button(key="train_start").click().run()
    assert not app.exception
    # AppTest gives each parameter's value as a string or a list of strings: "".join reads either.
    wanted = {"conv": "3x5,15x3", "epochs": "4"}
    assert {name: "".join(values) for name, values in app.query_params.items()} == wanted
    # The address survives a page switch (Streamlit empties it; the app writes it back).
    app.switch_page("app_pages/activations.py").run()
    assert {name: "".join(values) for name, values in app.query_params.items()} == wanted
    # A reload: a new session opened on the same address shows the same settings and follows the same training.
    reloaded = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    for name, value in wanted.items():
        reloaded.query_params[name] = value
    reloaded.run()
    reloaded.switch_page("app_pages/train.py").run()
    assert not reloaded.exception
    assert reloaded.slider(key="train_conv1_filters").value == 3 and reloaded.slider(key="train_epochs").value == 4
    config = TrainConfig(conv_layers=((3, 5), (15, 3)), epochs=4)
    job = empty_service.find(config, resources.get_dataset("mnist"))
    assert job is not None and reloaded.session_state[model_choice.MODEL_KEY] == job.key
    assert job.finished or reloaded.button(key="train_cancel")  # its training is on the page, cancellable
    empty_service.cancel(job)


def test_a_broken_address_is_a_sentence_and_the_reference_model_is_shown(empty_service):
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    app.query_params["epochs"] = "many"
    app.run()
    assert not app.exception
    assert "The link's epochs is 'many', which is not a valid value." in sidebar_text(app)
    assert model_choice.MODEL_KEY not in app.session_state


