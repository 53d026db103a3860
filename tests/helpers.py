"""Helpers that several test files share, in a plain module (not conftest.py) so that test files can import it by
name whatever other conftest files pytest has loaded:

- known digits and CSV text that digits/test_datasets.py and digits/test_csv_reader.py build their files from,
  written with the standard `csv` module, independently of the reader under test;
- opening the app's pages with Streamlit's AppTest, and reading what they say;
- the app's own training service, with models of given settings trained;
- waiting for a condition another thread or process brings about.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from cnnlab.config import TrainConfig


def wait_for(condition, timeout: float = 120, what: str = "the condition") -> None:
    """Return as soon as `condition()` is true, asking every 50 ms; fail after `timeout` seconds. For what a training
    on a worker brings about in its own time, so that no test assumes how fast the host is."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(0.05)


def choose_train_settings(app: AppTest, config: TrainConfig) -> AppTest:
    """Set the Train page's widgets to `config`'s epochs, two conv layers' filters, dense layers, training images and
    learning rate, as a student would, then run the page once."""
    app.slider(key="train_epochs").set_value(config.epochs)
    app.slider(key="train_conv1_filters").set_value(config.conv_layers[0][0])
    app.slider(key="train_conv2_filters").set_value(config.conv_layers[1][0])
    app.selectbox(key="train_dense_units").set_value(config.dense_units)
    app.select_slider(key="train_size").set_value(config.train_size)
    app.select_slider(key="train_learning_rate").set_value(config.learning_rate)
    return app.run()


def trained_in_app_service(configs: dict[str, TrainConfig]) -> dict:
    """The app's training service, started afresh, after training each of `configs` on the bundled MNIST: the
    finished jobs by the same names. The caller clears `resources.get_service` when done."""
    from cnnlab.app import resources

    resources.get_service.clear()
    service = resources.get_service()
    dataset = resources.get_dataset("mnist")
    jobs = {name: service.submit(config, dataset) for name, config in configs.items()}
    for name, job in jobs.items():
        assert service.wait(job, 600), f"{name} did not finish within 10 minutes"
    return jobs


def fill_the_disk_while_writing(monkeypatch, share: float) -> None:
    """Make `cnnlab.jobs.files` (every file CNN Lab writes whole) write only `share` of a file's bytes, then fail as
    a full disk does."""
    import builtins
    import errno

    class HalfWriter:
        def __init__(self, *arguments, **keywords):
            self.file = builtins.open(*arguments, **keywords)  # noqa: SIM115 - closed by __exit__

        def write(self, data):
            self.file.write(data[: int(len(data) * share)])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exception):
            self.file.close()

    monkeypatch.setattr("cnnlab.jobs.files.open", HalfWriter, raising=False)


APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
HOME = "app_pages/home.py"
APP_TIMEOUT = 120  # seconds; the first run of a page imports TensorFlow


def open_page(page: str, chosen=None, **state) -> AppTest:
    """The app opened at its entry point (which sets up navigation), then switched to `page` (e.g.
    "app_pages/train.py"), with `state` put in the session first. chosen: a job whose model this tab chose (as
    pressing Train does), or None for a tab that chose nothing."""
    if chosen is not None:
        from cnnlab.app import model_choice

        state[model_choice.MODEL_KEY] = chosen.key
    app = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    if page != HOME:
        app.switch_page(page).run()
    return app


def page_text(app: AppTest) -> str:
    """Everything a page says in text: markdown, captions, headings, and its info, success, warning and error boxes."""
    parts = [element.value for element in [*app.markdown, *app.caption, *app.info, *app.error, *app.subheader,
                                            *app.title, *app.success, *app.warning]]
    return "\n".join(str(part) for part in parts)

KAGGLE_TRAIN_HEADER = ["label"] + [f"pixel{index}" for index in range(784)]
KAGGLE_TEST_HEADER = [f"pixel{index}" for index in range(784)]


def small_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Known random digits: images uint8 (count, 28, 28) including 0 and 255, labels cycling 0–9."""
    generator = np.random.default_rng(seed)
    images = generator.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = np.arange(count) % 10
    return images, labels


def csv_text(rows: list[list], header: list[str] | None = None, line_ending: str = "\n") -> str:
    """CSV text written by the standard csv module, independent of the reader under test."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_ending)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def layout_text(layout: str, images: np.ndarray, labels: np.ndarray) -> str:
    """The digits as CSV text in one layout: "kaggle train", "kaggle test" (no labels) or header-less."""
    pixels = images.reshape(len(images), 784).tolist()
    labelled = [[int(label), *row] for label, row in zip(labels, pixels, strict=True)]
    if layout == "kaggle train":
        return csv_text(labelled, KAGGLE_TRAIN_HEADER)
    if layout == "kaggle test":
        return csv_text(pixels, KAGGLE_TEST_HEADER)
    return csv_text(labelled)  # header-less MNIST CSV


# The small model the page tests train: one for every page test file, so the second file to ask for it finds it
# in the session's model folder instead of training it again.
PAGE_MODEL = TrainConfig(conv_layers=((6, 5), (4, 3)), dense_units=(16,), epochs=2, train_size=600)


def app_service_with(config):
    """The app's training service, emptied, then holding one model trained with `config` on the bundled MNIST,
    as after a student pressed Train. The caller clears it again (`resources.get_service.clear()`) when done."""
    from cnnlab.app import resources

    resources.get_service.clear()
    service = resources.get_service()
    job = service.submit(config, resources.get_dataset("mnist"))
    assert service.wait(job, 300) and job.error == "", job.error
    return service


def keras_layer_outputs(model, image: np.ndarray) -> list[np.ndarray]:
    """Every layer's output for one uint8 28×28 digit as Keras itself computes it (the independent reference for
    CNN Lab's NumPy forward pass): one float32 array per layer of `model.layers`, without the batch axis."""
    from cnnlab.network.backend import load_keras

    keras = load_keras()
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    pixels = (np.asarray(image, dtype=np.float32) / 255.0)[np.newaxis, ..., np.newaxis]
    return [np.asarray(output)[0] for output in probe(pixels, training=False)]


def state_with_test_digit(dataset, index: int) -> dict:
    """Session state in which the pages' input digit is test digit `index` of `dataset`, as "Random digit" sets it."""
    from cnnlab.app import digit_input

    return {digit_input.DIGIT: dataset.x_test[index], digit_input.DIGIT_ORIGIN: f"test digit #{index}",
            digit_input.DIGIT_LABEL: int(dataset.y_test[index])}
