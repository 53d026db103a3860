"""The code to take away: the generated Keras script runs on its own, offline, and builds the network with the
settings' parameter count; the notebook is valid and holds the same program."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace

import nbformat
import numpy as np
import pytest
from architectures import ARCHITECTURES, TOTALS

from cnnlab.config import TrainConfig
from cnnlab.network.takeaway import DIGITS_VARIABLE, keras_notebook, keras_script, program_sections

# Not the default settings, so that a script that ignored them would show it.
SMALL = TrainConfig(conv_layers=((8, 5), (6, 3)), dropout=0.3, dense_units=(32, 16), epochs=1, batch_size=50,
                    learning_rate=0.002, seed=3, validation_fraction=0.2)


# Two architectures of another shape, whose parameters were counted by hand in tests/architectures.py.
OTHER_SHAPES = {name: replace(ARCHITECTURES[name][0], epochs=1) for name in ("three same stride 2",
                                                                            "one 7x7 average tanh")}


def parameters_by_hand(config: TrainConfig) -> int:
    """The parameter count worked out on paper: conv1 5×5×1 weights + a bias per filter, conv2 3×3×conv1
    weights + a bias per filter on the 12×12 pooled maps, giving 10×10×conv2 values to the dense layers; or the
    hand-counted total of one of OTHER_SHAPES."""
    for name, other in OTHER_SHAPES.items():
        if config == other:
            return TOTALS[name]
    (conv1_filters, _), (conv2_filters, _) = config.conv_layers
    total = conv1_filters * (5 * 5 + 1) + conv2_filters * (3 * 3 * conv1_filters + 1)
    width = 10 * 10 * conv2_filters
    for units in (*config.dense_units, 10):
        total += (width + 1) * units
        width = units
    return total


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory, sample):
    """500 training and 100 test digits from the bundled sample (drawn at random, so every digit appears), saved
    as the .npz the script reads when CNNLAB_DIGITS points to it."""
    generator = np.random.default_rng(0)
    train = generator.choice(len(sample.y_train), 500, replace=False)
    test = generator.choice(len(sample.y_test), 100, replace=False)
    path = tmp_path_factory.mktemp("digits") / "digits.npz"
    np.savez(path, x_train=sample.x_train[train], y_train=sample.y_train[train], x_test=sample.x_test[test],
             y_test=sample.y_test[test])
    return path


def run_script(path, digits_file) -> subprocess.CompletedProcess:
    environment = {**os.environ, DIGITS_VARIABLE: str(digits_file), "MPLBACKEND": "Agg",
                   "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": "tensorflow"}
    # Run from the file's own folder, so it cannot lean on the cnnlab package next to the tests.
    return subprocess.run([sys.executable, str(path)], cwd=path.parent, env=environment, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("config", [SMALL, TrainConfig(epochs=1, augment=True, train_size=300),
                                    *OTHER_SHAPES.values()],
                         ids=["small", "reference-augmented", *OTHER_SHAPES])
def test_the_script_trains_one_epoch_offline_with_the_settings_parameter_count(config, digits_file, tmp_path):
    path = tmp_path / "cnnlab_model.py"
    path.write_text(keras_script(config))
    run = run_script(path, digits_file)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "import cnnlab" not in path.read_text() and "from cnnlab" not in path.read_text()
    count = int(re.search(r"^Parameters: ([\d,]+)$", run.stdout, re.MULTILINE).group(1).replace(",", ""))
    assert count == parameters_by_hand(config)
    expected_train = 500 if config.train_size is None else config.train_size
    assert f"training digits: ({expected_train}, 28, 28, 1)  test digits: (100, 28, 28, 1)" in run.stdout
    accuracy = float(re.search(r"^Test accuracy: ([\d.]+)%$", run.stdout, re.MULTILINE).group(1))
    assert 0 <= accuracy <= 100
    assert re.search(r"^The network reads this digit as \d - its label is \d$", run.stdout, re.MULTILINE)


def test_the_script_carries_every_setting():
    script = keras_script(SMALL)
    for line in ('PADDING = "valid"', "STRIDE = 1", 'ACTIVATION = "relu"', "DROPOUT = 0.3", "EPOCHS = 1",
                 "BATCH_SIZE = 50", "LEARNING_RATE = 0.002", "SEED = 3", "TRAIN_SIZE = None",
                 "VALIDATION_FRACTION = 0.2"):
        assert f"\n{line}" in script
    # The architecture is in a comment: the layers themselves are written out one by one.
    assert "# ((8, 5), (6, 3)), max pooling, hidden dense layers (32, 16).\n" in script
    assert "layers.Conv2D(8, kernel_size=(5, 5)" in script and "layers.Conv2D(6, kernel_size=(3, 3)" in script
    assert "layers.RandomRotation" not in script
    assert "keras.Sequential(" in script and "keras.Input(shape=(28, 28, 1))" in script
    assert "RMSprop" in script and "sparse_categorical_crossentropy" in script
    assert "keras.datasets.mnist.load_data()" in script
    compile(script, "cnnlab_model.py", "exec")


def test_the_script_writes_out_the_layers_of_another_architecture():
    config = OTHER_SHAPES["three same stride 2"]
    script = keras_script(config)
    for line in ('layers.Conv2D(8, kernel_size=(3, 3), strides=STRIDE, padding=PADDING, activation=ACTIVATION, '
                 'name="conv1")', 'layers.MaxPooling2D(pool_size=(2, 2), name="pool2")', 'name="conv3")',
                 'layers.Dense(32, activation=ACTIVATION, name="dense1")', 'PADDING = "same"', "STRIDE = 2",
                 'ACTIVATION = "tanh"', "keras.optimizers.Adam(learning_rate=LEARNING_RATE)", "(3, 3, 1, 8)",
                 "(14, 14, 8)"):
        assert line in script
    assert "RMSprop" not in script
    sgd = keras_script(replace(config, optimizer="sgd"))
    assert "keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9)" in sgd
    one_layer = keras_script(OTHER_SHAPES["one 7x7 average tanh"])
    assert 'layers.AveragePooling2D(pool_size=(2, 2), name="pool")' in one_layer


def test_the_notebook_is_valid_and_its_code_cells_are_the_script(tmp_path):
    notebook = nbformat.reads(keras_notebook(SMALL), as_version=4)
    nbformat.validate(notebook)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code == [section.code for section in program_sections(SMALL)]
    # The same program: the script is the code cells in order, each after its title as a comment.
    script = keras_script(SMALL)
    body = script[script.index('"""\n', 3) + 4:]
    assert body == "".join(f"\n# {section.title}\n{cell}\n" for section, cell in
                           zip(program_sections(SMALL), code, strict=True))
    assert notebook.metadata.kernelspec.name == "python3"
    assert any("## The network" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_anything_but_settings_is_a_sentence():
    with pytest.raises(ValueError, match="TrainConfig"):
        keras_script({"epochs": 3})
