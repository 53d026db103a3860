"""The CNN itself: building it from a `TrainConfig`, and the one conversion from digits to its input."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from cnnlab.config import TrainConfig
from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES
from cnnlab.network.backend import load_keras
from cnnlab.words import shape_text

if TYPE_CHECKING:
    import keras

# The reference model's fixed shapes: the settings choose the filter counts and the dense layers, not these.
CONV1_KERNEL = 5
CONV2_KERNEL = 3
POOL_SIZE = 2


def build_model(config: TrainConfig | None = None) -> keras.Model:
    """Build and compile the network described by `config` (the reference model by default).

    Input float32 (None, 28, 28, 1) in [0, 1]; output (None, 10) softmax probabilities.
    Layer names are stable ("conv1", "pool", "conv2", "dropout", "flatten", "dense1", …, "output")
    because pages and tests address layers by name.
    """
    config = config or TrainConfig()
    keras = load_keras()
    layers = keras.layers
    hidden = [layers.Dense(units, activation="relu", name=f"dense{index}",
                           kernel_initializer=_initializer(keras, config, 2 + index))
              for index, units in enumerate(config.dense_units, start=1)]
    # A Sequential that starts with keras.Input: `model.layers` is then exactly the computing layers (no
    # InputLayer), so the tutorial's `model.layers[0]` is conv1 and `activations[7]` the softmax.
    model = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit"),
            layers.Conv2D(config.conv1_filters, CONV1_KERNEL, activation="relu", name="conv1",
                          kernel_initializer=_initializer(keras, config, 1)),
            layers.MaxPooling2D(POOL_SIZE, name="pool"),
            layers.Conv2D(config.conv2_filters, CONV2_KERNEL, activation="relu", name="conv2",
                          kernel_initializer=_initializer(keras, config, 2)),
            # The seed makes the training-mode mask reproducible, which the dropout demo relies on.
            layers.Dropout(config.dropout, seed=config.seed, name="dropout"),
            layers.Flatten(name="flatten"),
            *hidden,
            layers.Dense(NUM_CLASSES, activation="softmax", name="output",
                         kernel_initializer=_initializer(keras, config, 99)),
        ],
        name="cnnlab",
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _initializer(keras, config: TrainConfig, layer_number: int):
    """Keras's default kernel initializer (Glorot uniform) with a seed of its own for each layer.

    Unseeded, Keras draws initial weights from a seed taken from Python's global `random` module, which other
    threads of the same process (Dask's and Streamlit's event loops) also draw from: the same settings then gave
    different weights from run to run inside a worker. A seed per layer makes them depend on the settings alone.
    """
    return keras.initializers.GlorotUniform(seed=config.seed * 1000 + layer_number)


def model_summary(model: keras.Model) -> list[dict]:
    """The summary table students read: one row per layer.

    Returns [{"layer": name, "kind": class name, "output_shape": (None, …), "params": int}, …].
    """
    return [
        {
            "layer": layer.name,
            "kind": type(layer).__name__,
            "output_shape": (None, *layer.output.shape[1:]),
            "params": int(layer.count_params()),
        }
        for layer in model.layers
    ]


def summarize_config(config: TrainConfig) -> list[dict]:
    """The summary table for settings not yet trained, computed by arithmetic alone (no TensorFlow).

    Lets the Train page update the parameter count on every slider move without building a model.
    Same row format as `model_summary`, without the input layer.
    """
    rows = []
    conv1_size = IMAGE_SIZE - CONV1_KERNEL + 1
    rows.append(_row("conv1", "Conv2D", (conv1_size, conv1_size, config.conv1_filters),
                     config.conv1_filters * (CONV1_KERNEL * CONV1_KERNEL * 1 + 1)))
    pooled = conv1_size // POOL_SIZE
    rows.append(_row("pool", "MaxPooling2D", (pooled, pooled, config.conv1_filters), 0))
    conv2_size = pooled - CONV2_KERNEL + 1
    rows.append(_row("conv2", "Conv2D", (conv2_size, conv2_size, config.conv2_filters),
                     config.conv2_filters * (CONV2_KERNEL * CONV2_KERNEL * config.conv1_filters + 1)))
    rows.append(_row("dropout", "Dropout", (conv2_size, conv2_size, config.conv2_filters), 0))
    width = conv2_size * conv2_size * config.conv2_filters
    rows.append(_row("flatten", "Flatten", (width,), 0))
    for index, units in enumerate(config.dense_units, start=1):
        rows.append(_row(f"dense{index}", "Dense", (units,), (width + 1) * units))
        width = units
    rows.append(_row("output", "Dense", (NUM_CLASSES,), (width + 1) * NUM_CLASSES))
    return rows


def weight_shapes(config: TrainConfig) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """The shapes of the learnt weights, in the order `model.get_weights()` lists them, by arithmetic alone.

    Returns [(layer name, kernel shape, bias shape), …] for the layers that learn: conv kernels are
    (height, width, input channels, filters), dense kernels (inputs, units); biases are (filters,) or (units,).
    """
    shapes = [("conv1", (CONV1_KERNEL, CONV1_KERNEL, 1, config.conv1_filters), (config.conv1_filters,)),
              ("conv2", (CONV2_KERNEL, CONV2_KERNEL, config.conv1_filters, config.conv2_filters),
               (config.conv2_filters,))]
    pooled = (IMAGE_SIZE - CONV1_KERNEL + 1) // POOL_SIZE
    width = (pooled - CONV2_KERNEL + 1) ** 2 * config.conv2_filters
    for index, units in enumerate((*config.dense_units, NUM_CLASSES), start=1):
        name = f"dense{index}" if index <= len(config.dense_units) else "output"
        shapes.append((name, (width, units), (units,)))
        width = units
    return shapes


def summary_table(config: TrainConfig) -> pd.DataFrame:
    """The summary students read on the Train page: columns layer, type, output shape (as text, "24 × 24 × 30"),
    parameters; one row per layer and a last row "total" with the sum of the parameters."""
    rows = summarize_config(config)
    frame = pd.DataFrame({
        "layer": [row["layer"] for row in rows],
        "type": [row["kind"] for row in rows],
        "output shape": [shape_text(row["output_shape"][1:]) for row in rows],
        "parameters": [row["params"] for row in rows],
    })
    total = pd.DataFrame({"layer": ["total"], "type": [""], "output shape": [""],
                          "parameters": [int(frame["parameters"].sum())]})
    return pd.concat([frame, total], ignore_index=True)


def _row(name: str, kind: str, shape: tuple[int, ...], params: int) -> dict:
    return {"layer": name, "kind": kind, "output_shape": (None, *shape), "params": params}
