"""The network's architecture against the reference model's published summary table, and against summaries worked
out by hand for five other architectures (tests/architectures.py)."""

from __future__ import annotations

import numpy as np
import pytest
from architectures import ARCHITECTURES, TOTALS

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.network.model import (
    NetworkTooSmall,
    build_model,
    model_summary,
    plan_layers,
    summarize_config,
    summary_table,
    weight_shapes,
)

# The reference model's summary, as the original tutorial prints it (layer kind, output shape, params).
REFERENCE_TABLE = [
    ("Conv2D", (None, 24, 24, 30), 780),
    ("MaxPooling2D", (None, 12, 12, 30), 0),
    ("Conv2D", (None, 10, 10, 15), 4065),
    ("Dropout", (None, 10, 10, 15), 0),
    ("Flatten", (None, 1500), 0),
    ("Dense", (None, 128), 192128),
    ("Dense", (None, 50), 6450),
    ("Dense", (None, 10), 510),
]


def test_default_model_matches_the_reference_table():
    model = build_model(TrainConfig())
    rows = [(row["kind"], row["output_shape"], row["params"]) for row in model_summary(model)]
    assert rows == REFERENCE_TABLE
    assert model.count_params() == 203_933


def test_default_model_is_compiled_as_the_reference():
    model = build_model()
    assert type(model.optimizer).__name__ == "RMSprop"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)
    assert model.input_shape == (None, 28, 28, 1)
    dropout = model.get_layer("dropout")
    assert dropout.rate == pytest.approx(0.2)
    assert model.get_layer("output").activation.__name__ == "softmax"


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(),
        TrainConfig(conv_layers=((8, 5), (15, 3))),
        TrainConfig(conv_layers=((1, 5), (64, 3)), dense_units=()),
        TrainConfig(conv_layers=((64, 5), (1, 3)), dense_units=(7, 9, 11)),
        TrainConfig(conv_layers=((3, 7), (5, 6), (2, 5)), padding="same", stride=2, pooling="none"),
        TrainConfig(conv_layers=((64, 7),), stride=2, dense_units=(1024,)),
    ],
)
def test_summary_before_training_agrees_with_keras(config):
    # The Train page shows the arithmetic table before any model exists; Keras is the referee.
    keras_rows = model_summary(build_model(config))
    assert summarize_config(config) == keras_rows


def test_eight_filters_shrink_the_first_layer_to_208_parameters():
    rows = {row["layer"]: row["params"] for row in summarize_config(TrainConfig(conv_layers=((8, 5), (15, 3))))}
    assert rows["conv1"] == 8 * (5 * 5 + 1)
    assert rows["conv2"] == 15 * (3 * 3 * 8 + 1)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_the_plan_and_the_table_agree_with_the_summaries_worked_out_by_hand(name):
    config, table = ARCHITECTURES[name]
    assert [(layer.name, layer.kind, layer.output_shape, layer.parameters) for layer in plan_layers(config)] == table
    shown = summary_table(config)
    assert list(shown["layer"]) == [row[0] for row in table] + ["total"]
    assert list(shown["parameters"]) == [row[3] for row in table] + [TOTALS[name]]
    learning = [row for row in table if row[1] in ("Conv2D", "Dense")]
    assert [layer_name for layer_name, _, _ in weight_shapes(config)] == [row[0] for row in learning]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_keras_builds_the_networks_worked_out_by_hand(name):
    config, table = ARCHITECTURES[name]
    model = build_model(config)
    summary = [(row["layer"], row["kind"], row["output_shape"][1:], row["params"]) for row in model_summary(model)]
    assert summary == table
    assert model.count_params() == TOTALS[name]
    assert [tuple(values.shape) for values in model.get_weights()] == [
        shape for _, kernel, bias in weight_shapes(config) for shape in (kernel, bias)]
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            assert (layer.strides, layer.padding) == ((config.stride,) * 2, config.padding)
            assert layer.activation.__name__ == config.activation
        elif layer.name.startswith("dense"):
            assert layer.activation.__name__ == config.activation
    optimizer = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}[config.optimizer]
    assert type(model.optimizer).__name__ == optimizer
    assert float(model.optimizer.learning_rate) == pytest.approx(config.learning_rate)
    if config.optimizer == "sgd":
        assert model.optimizer.momentum == pytest.approx(0.9)


@pytest.mark.parametrize(("config", "layer", "settings"), [
    # 28 → 22 → pooled 11 → 5 → pooled 2: too small for a 7 × 7 kernel.
    (TrainConfig(conv_layers=((8, 7), (8, 7), (8, 7))), "conv layer 3 would get a 2 × 2 input",
     ["a kernel size of at most 2 for conv layer 3", 'padding "same"', 'pooling "none"', "2 conv layers"]),
    # 28 → 11 → pooled 5 → 1: nothing left for the pooling after conv2.
    (TrainConfig(conv_layers=((4, 7), (4, 5), (4, 1)), stride=2),
     "the pooling after conv layer 2 would get a 1 × 1 input", ["stride 1", 'pooling "none"', 'padding "same"']),
    # A single layer whose kernel is larger than the digit never fits: 7 ≤ 28 always does, so take it to 2 × 2.
    (TrainConfig(conv_layers=((4, 7), (4, 7)), stride=2), "conv layer 2 would get a 5 × 5 input",
     ["a kernel size of at most 5 for conv layer 2", "stride 1"]),
])
def test_a_network_that_shrinks_a_digit_to_nothing_is_a_sentence(config, layer, settings):
    with pytest.raises(NetworkTooSmall) as refusal:
        plan_layers(config)
    assert layer in str(refusal.value)
    for setting in settings:
        assert setting in str(refusal.value)
    with pytest.raises(ValueError):
        summarize_config(config)


def test_model_input_is_pixels_over_255():
    images = np.array([[[0, 255] * 14] * 28], dtype=np.uint8)
    converted = to_model_input(images)
    assert converted.shape == (1, 28, 28, 1) and converted.dtype == np.float32
    assert converted[0, 0, 0, 0] == 0.0 and converted[0, 0, 1, 0] == 1.0
    assert to_model_input(images[0]).shape == (1, 28, 28, 1)


def test_model_input_refuses_other_sizes():
    with pytest.raises(ValueError, match="28×28"):
        to_model_input(np.zeros((2, 32, 32), dtype=np.uint8))


def test_summary_table_reads_like_the_reference_summary():
    table = summary_table(TrainConfig())
    assert list(table["layer"]) == ["conv1", "pool", "conv2", "dropout", "flatten", "dense1", "dense2", "output",
                                    "total"]
    # The reference model's table, as given in the README.
    assert list(table["parameters"]) == [780, 0, 4065, 0, 0, 192128, 6450, 510, 203933]
    assert table.loc[table["layer"] == "flatten", "output shape"].item() == "1,500"
    assert table.loc[table["layer"] == "conv1", "output shape"].item() == "24 × 24 × 30"


def numpy_forward(weights: list[np.ndarray], image: np.ndarray) -> list[np.ndarray]:
    """The reference network's forward pass written out in NumPy, layer by layer, for one image (28, 28, 1) in
    [0, 1]: an independent referee for Keras (cross-correlation, 2×2 max, row-major flatten, dense, softmax)."""
    conv1_kernel, conv1_bias, conv2_kernel, conv2_bias, *dense = weights

    def conv(inputs, kernel, bias):
        size = kernel.shape[0]
        side = inputs.shape[0] - size + 1
        out = np.zeros((side, side, kernel.shape[3]), dtype=np.float64)
        for row in range(side):
            for column in range(side):
                patch = inputs[row : row + size, column : column + size, :]
                out[row, column] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2]))
        return np.maximum(out + bias, 0)

    conv1 = conv(image, conv1_kernel, conv1_bias)
    pooled = conv1.reshape(12, 2, 12, 2, -1).max(axis=(1, 3))
    conv2 = conv(pooled, conv2_kernel, conv2_bias)
    outputs = [conv1, pooled, conv2, conv2, conv2.reshape(-1)]  # dropout passes everything at inference
    values = outputs[-1]
    for index in range(0, len(dense), 2):
        values = values @ dense[index] + dense[index + 1]
        if index < len(dense) - 2:
            values = np.maximum(values, 0)
        else:
            values = np.exp(values - values.max()) / np.exp(values - values.max()).sum()
        outputs.append(values)
    return outputs


def test_the_tutorials_own_code_runs_on_a_model_saved_as_keras_and_loaded_back(tmp_path, sample):
    from cnnlab.network.backend import load_keras
    from cnnlab.network.keras_file import keras_file_bytes

    keras = load_keras()
    built = build_model(TrainConfig())
    # Random weights and biases (a fresh model's biases are all zero, which would hide a missing bias).
    generator = np.random.default_rng(0)
    built.set_weights([generator.normal(0, 0.1, weight.shape).astype(np.float32) for weight in built.get_weights()])
    path = tmp_path / "cnnlab_model.keras"
    path.write_bytes(keras_file_bytes(TrainConfig(), built.get_weights()))  # the Share page's .keras download
    model = keras.models.load_model(path)
    img = to_model_input(sample.x_test[0])  # (1, 28, 28, 1), as the tutorial's reshaped test image

    # The tutorial's code, unchanged in substance.
    filters = model.layers[0].get_weights()[0][:, :, 0, :]
    layer_outputs = [layer.output for layer in model.layers]
    activation_model = keras.Model(inputs=model.inputs, outputs=layer_outputs)
    activations = activation_model.predict(img, verbose=0)

    assert len(model.layers) == 8
    assert [layer.name for layer in model.layers] == ["conv1", "pool", "conv2", "dropout", "flatten", "dense1",
                                                      "dense2", "output"]
    assert filters.shape == (5, 5, 30)
    np.testing.assert_array_equal(filters, built.get_weights()[0][:, :, 0, :])
    assert [activation.shape for activation in activations] == [
        (1, 24, 24, 30), (1, 12, 12, 30), (1, 10, 10, 15), (1, 10, 10, 15), (1, 1500), (1, 128), (1, 50), (1, 10)]
    assert activations[7].shape == (1, 10) and activations[7].sum() == pytest.approx(1.0, abs=1e-5)
    expected = numpy_forward(built.get_weights(), img[0].astype(np.float64))
    for layer_index, (activation, reference) in enumerate(zip(activations, expected, strict=True)):
        np.testing.assert_allclose(activation[0], reference, rtol=1e-4, atol=1e-5, err_msg=f"layer {layer_index}")
