"""The network's architecture against the reference model's published summary table."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.model import build_model, model_summary, summarize_config, summary_table, to_model_input

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
        TrainConfig(conv1_filters=8),
        TrainConfig(conv1_filters=1, conv2_filters=64, dense_units=()),
        TrainConfig(conv1_filters=64, conv2_filters=1, dense_units=(7, 9, 11)),
    ],
)
def test_summary_before_training_agrees_with_keras(config):
    # The Train page shows the arithmetic table before any model exists; Keras is the referee.
    keras_rows = model_summary(build_model(config))
    assert summarize_config(config) == keras_rows


def test_eight_filters_shrink_the_first_layer_to_208_parameters():
    rows = {row["layer"]: row["params"] for row in summarize_config(TrainConfig(conv1_filters=8))}
    assert rows["conv1"] == 8 * (5 * 5 + 1)
    assert rows["conv2"] == 15 * (3 * 3 * 8 + 1)


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
    assert table.loc[table["layer"] == "flatten", "output shape"].item() == "(None, 1500)"
