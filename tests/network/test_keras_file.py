"""The `.keras` file the Share page offers: written by Keras in a child process, so the server never imports
TensorFlow; Keras loads it back and it answers as the NumPy network does.

References: `keras.saving.load_model` in this test process, against the server's own NumPy forward pass.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cnnlab.digits.format import to_model_input
from cnnlab.network import keras_file
from cnnlab.network.backend import load_keras
from cnnlab.network.keras_file import keras_file_bytes

# A server's part, in a process of its own (this test process imported TensorFlow long ago): the shipped model read
# from its file in NumPy, then its .keras file asked for.
SERVER_WRITES_THE_KERAS_FILE = """
import sys
from pathlib import Path
from cnnlab.config import TrainConfig
from cnnlab.jobs.model_file import read_model_file
from cnnlab.jobs.reference import REFERENCE_MODEL_PATH
from cnnlab.network.keras_file import keras_file_bytes
fingerprint = __import__("json").loads(__import__("zipfile").ZipFile(REFERENCE_MODEL_PATH).read("metadata.json"))[
    "fingerprint"]
result = read_model_file(REFERENCE_MODEL_PATH.read_bytes(), TrainConfig(), fingerprint)
Path(sys.argv[1]).write_bytes(keras_file_bytes(result.config, result.weights))
print("tensorflow imported:", "tensorflow" in sys.modules, "keras imported:", "keras" in sys.modules)
"""


def load_keras_bytes(content: bytes, folder):
    path = folder / "downloaded.keras"
    path.write_bytes(content)
    return load_keras().saving.load_model(path)


def test_a_server_gets_the_keras_file_without_importing_tensorflow(earlier_process, reference_result, sample,
                                                                   tmp_path):
    written = tmp_path / "from-the-server.keras"
    finished = earlier_process(SERVER_WRITES_THE_KERAS_FILE, str(written))
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "tensorflow imported: False keras imported: False" in finished.stdout, finished.stdout
    model = load_keras_bytes(written.read_bytes(), tmp_path)
    digits = sample.x_test[:50]
    np.testing.assert_allclose(model.predict(to_model_input(digits), verbose=0),
                               reference_result.network.predict_proba(digits), atol=1e-5)
    for loaded, stored in zip(model.get_weights(), reference_result.weights, strict=True):
        np.testing.assert_array_equal(loaded, stored)


def test_the_keras_file_of_a_small_model_answers_as_its_numpy_network(tiny_result, sample, tmp_path):
    model = load_keras_bytes(keras_file_bytes(tiny_result.config, tiny_result.weights), tmp_path)
    for loaded, trained in zip(model.get_weights(), tiny_result.weights, strict=True):
        np.testing.assert_array_equal(loaded, trained)
    digits = sample.x_test[:50]
    np.testing.assert_allclose(model.predict(to_model_input(digits), verbose=0),
                               tiny_result.network.predict_proba(digits), atol=1e-5)


def test_weights_that_do_not_fit_the_settings_are_a_sentence(tiny_result):
    with pytest.raises(ValueError, match=r"^Keras could not write the \.keras file: ValueError"):
        keras_file_bytes(tiny_result.config, tiny_result.weights[:-1])


def test_a_child_that_cannot_start_is_a_sentence(tiny_result, monkeypatch):
    monkeypatch.setattr(keras_file.sys, "executable", str(sys.prefix) + "/no-such-python")
    with pytest.raises(ValueError, match="The process that writes the .keras file could not start"):
        keras_file_bytes(tiny_result.config, tiny_result.weights)


def test_the_keras_file_of_another_architecture_builds_its_layers(sample, tmp_path):
    # Three conv layers with "same" padding, stride 2, tanh and Adam: the file holds that network, as Keras reads it.
    from architectures import ARCHITECTURES

    from cnnlab.network.forward import Network
    from cnnlab.network.model import build_model

    config, table = ARCHITECTURES["three same stride 2"]
    weights = [np.random.default_rng(1).normal(0, 0.1, values.shape).astype(np.float32)
               for values in build_model(config).get_weights()]
    model = load_keras_bytes(keras_file_bytes(config, weights), tmp_path)
    assert [layer.name for layer in model.layers] == [row[0] for row in table]
    assert model.get_layer("conv3").padding == "same" and model.get_layer("conv3").strides == (2, 2)
    assert type(model.optimizer).__name__ == "Adam"
    digits = sample.x_test[:20]
    np.testing.assert_allclose(model.predict(to_model_input(digits), verbose=0),
                               Network(config, weights).predict_proba(digits), atol=1e-5)
