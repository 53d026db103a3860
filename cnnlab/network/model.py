"""The CNN itself: its layers worked out from a `TrainConfig` by arithmetic alone (`plan_layers`), the Keras model
built from them (`build_model`), and the summary table students read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from cnnlab.config import PADDINGS, TrainConfig
from cnnlab.digits.format import IMAGE_SIZE, NUM_CLASSES
from cnnlab.network.backend import load_keras
from cnnlab.words import shape_text

if TYPE_CHECKING:
    import keras

# Pooling windows are 2 × 2 and sit side by side (stride 2, no padding), whatever the settings.
POOL_SIZE = 2
# Keras's class for each pooling setting.
POOL_CLASSES = {"max": "MaxPooling2D", "average": "AveragePooling2D"}
# The seed number of each learning layer's initial weights (see `_initializer`): the conv layers and the dense layers
# keep the numbers the seed's network gave them, so its settings still draw the same weights; a third conv layer,
# added later, takes one no other layer has.
OUTPUT_SEED_NUMBER = 99
CONV3_SEED_NUMBER = 7
# SGD steps with momentum, as courses usually teach it; RMSprop and Adam use Keras's defaults.
SGD_MOMENTUM = 0.9


@dataclass(frozen=True)
class PlannedLayer:
    """One layer of the network a `TrainConfig` describes, worked out by arithmetic alone (no TensorFlow).

    name: "conv1", "pool", "dropout", "flatten", "dense1", …, "output" (see `plan_layers`). kind: Keras's class
    ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout", "Flatten", "Dense"). input_shape, output_shape: one
    digit's, without the batch axis ((28, 28, 1) → (24, 24, 30) for the reference model's conv1). parameters: the
    numbers it learns. multiply_adds: the products one digit's forward pass takes in it (a conv output value is a
    kernel × kernel × input channels dot product, a dense one an input-width dot product; pooling, dropout and
    flatten take none). activation: a Conv2D's or Dense layer's ("relu", "tanh", "sigmoid", "softmax"), else None.
    window: a Conv2D's kernel size or a pooling layer's window, 0 for the others. stride: its step (a pooling
    window's is its size). padding: a Conv2D's, "valid" or "same" (pooling is always "valid"). units: a Conv2D's
    filters or a Dense layer's units, 0 for the others.
    """

    name: str
    kind: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: int
    multiply_adds: int
    activation: str | None = None
    window: int = 0
    stride: int = 1
    padding: str = "valid"
    units: int = 0

    @property
    def weight_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """(kernel shape, bias shape) as Keras stores a Conv2D's ((k, k, input channels, filters), (filters,)) or a
        Dense layer's ((inputs, units), (units,)); None for a layer that learns nothing."""
        if self.kind == "Conv2D":
            return (self.window, self.window, self.input_shape[-1], self.units), (self.units,)
        if self.kind == "Dense":
            return (self.input_shape[0], self.units), (self.units,)
        return None

    @property
    def padding_sides(self) -> tuple[int, int]:
        """(before, after): the zeros added at each end of a row or column (0, 0 but for a "same" Conv2D)."""
        if self.kind == "Conv2D" and self.padding == "same":
            return same_padding(self.input_shape[0], self.window, self.stride)
        return 0, 0


class NetworkTooSmall(ValueError):
    """Settings whose layers shrink a digit to nothing before the last conv layer; the message says which layer and
    what to change."""


def same_padding(size: int, kernel_size: int, stride: int) -> tuple[int, int]:
    """(before, after): the zeros "same" padding adds on each side of a row or column of `size` values, as Keras
    (and TensorFlow) place them: enough for ceil(size / stride) outputs, the odd one after."""
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + kernel_size - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: str = "valid") -> int:
    """How many outputs a conv layer gives along a side of `size` inputs: ⌊(size + padding − kernel) / stride⌋ + 1,
    which is ceil(size / stride) for "same" padding; 0 or less when the kernel does not fit."""
    if padding not in PADDINGS:
        raise ValueError(f"Padding must be {' or '.join(PADDINGS)}, not {padding!r}.")
    if padding == "same":
        return -(-size // stride)
    return (size - kernel_size) // stride + 1


def pool_output_size(size: int) -> int:
    """How many outputs a 2 × 2 pooling layer gives along a side of `size` inputs (a last odd one is dropped)."""
    return size // POOL_SIZE


def plan_layers(config: TrainConfig | None = None) -> list[PlannedLayer]:
    """Every layer `build_model(config)` makes, in order, with its shapes, parameters and multiply-adds.

    The one place the network's shape is worked out: the Train page's table and output-size formulas, the weights'
    shapes a stored model is checked against, the NumPy network's layers and the time estimates all read it.
    Conv layers are "conv1", "conv2", "conv3"; a pooling layer follows each but the last (the only one, in a network
    of one), called "pool" when there is one and "pool1", "pool2" after conv1, conv2 when there are two. Then
    "dropout", "flatten", "dense1" … and "output". Raises `NetworkTooSmall` when a layer would get a digit shrunk
    below its window.
    """
    config = config or TrainConfig()
    conv_count = len(config.conv_layers)
    pooled_after = [] if config.pooling == "none" else [number for number in range(1, conv_count + 1)
                                                         if number < conv_count or conv_count == 1]
    layers = []
    shape = (IMAGE_SIZE, IMAGE_SIZE, 1)
    for number, (filters, kernel_size) in enumerate(config.conv_layers, start=1):
        side = conv_output_size(shape[0], kernel_size, config.stride, config.padding)
        if side < 1:
            raise NetworkTooSmall(_too_small_for_kernel(config, number, shape[0], kernel_size))
        output = (side, side, filters)
        window_values = kernel_size * kernel_size * shape[2]  # the inputs one output value is a dot product of
        layers.append(PlannedLayer(f"conv{number}", "Conv2D", shape, output, filters * (window_values + 1),
                                   side * side * filters * window_values, config.activation, kernel_size,
                                   config.stride, config.padding, filters))
        shape = output
        if number in pooled_after:
            if shape[0] < POOL_SIZE:
                raise NetworkTooSmall(_too_small_for_pooling(config, number, shape[0]))
            name = "pool" if len(pooled_after) == 1 else f"pool{number}"
            output = (pool_output_size(shape[0]), pool_output_size(shape[1]), shape[2])
            layers.append(PlannedLayer(name, POOL_CLASSES[config.pooling], shape, output, 0, 0, window=POOL_SIZE,
                                       stride=POOL_SIZE))
            shape = output
    layers.append(PlannedLayer("dropout", "Dropout", shape, shape, 0, 0))
    width = shape[0] * shape[1] * shape[2]
    layers.append(PlannedLayer("flatten", "Flatten", shape, (width,), 0, 0))
    names = [f"dense{index}" for index in range(1, len(config.dense_units) + 1)] + ["output"]
    activations = [config.activation] * len(config.dense_units) + ["softmax"]
    for name, units, activation in zip(names, (*config.dense_units, NUM_CLASSES), activations, strict=True):
        layers.append(PlannedLayer(name, "Dense", (width,), (units,), (width + 1) * units, width * units, activation,
                                   units=units))
        width = units
    return layers


def _too_small_for_kernel(config: TrainConfig, number: int, side: int, kernel_size: int) -> str:
    """Why conv layer `number` cannot run on a `side` × `side` input, and which settings would let it."""
    changes = [f"a kernel size of at most {side} for conv layer {number}", 'padding "same"']
    if number > 1:
        changes += _shrinking_settings(config) + [f"{number - 1} conv layer{'s' if number > 2 else ''}"]
    return (f"These settings make no network: conv layer {number} would get a {side} × {side} input, smaller than its "
            f"{kernel_size} × {kernel_size} kernel, so it would have nothing left to look at. Choose "
            f"{_either(changes)}.")


def _too_small_for_pooling(config: TrainConfig, number: int, side: int) -> str:
    """Why the pooling after conv layer `number` cannot run on a `side` × `side` input, and what would let it."""
    changes = _shrinking_settings(config) + [f"a smaller kernel for conv layer {number}"]
    if config.padding == "valid":
        changes.append('padding "same"')
    if len(config.conv_layers) > 1:
        changes.append(f"{number} conv layer{'s' if number > 1 else ''}")
    return (f"These settings make no network: the pooling after conv layer {number} would get a {side} × {side} "
            f"input, smaller than its {POOL_SIZE} × {POOL_SIZE} window. Choose {_either(changes)}.")


def _shrinking_settings(config: TrainConfig) -> list[str]:
    """The settings that halve a digit's size on its way through the network, as the change that stops them."""
    return (["stride 1"] if config.stride > 1 else []) + (['pooling "none"'] if config.pooling != "none" else [])


def _either(choices: list[str]) -> str:
    """"a, b or c"."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def build_model(config: TrainConfig | None = None) -> keras.Model:
    """Build and compile the network described by `config` (the reference model by default).

    Input float32 (None, 28, 28, 1) in [0, 1]; output (None, 10) softmax probabilities. The layers are
    `plan_layers(config)`'s, with its names ("conv1", "pool", "conv2", "dropout", "flatten", "dense1", …, "output"
    for the reference model), because pages and tests address layers by name. Raises `NetworkTooSmall` for
    settings that make no network.
    """
    config = config or TrainConfig()
    keras = load_keras()
    # A Sequential that starts with keras.Input: `model.layers` is then exactly the computing layers (no
    # InputLayer), so the tutorial's `model.layers[0]` is conv1 and `activations[7]` the softmax.
    model = keras.Sequential([keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="digit"),
                              *(_keras_layer(keras, config, layer) for layer in plan_layers(config))],
                             name="cnnlab")
    model.compile(optimizer=_optimizer(keras, config), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _keras_layer(keras, config: TrainConfig, layer: PlannedLayer):
    """The Keras layer of one planned layer."""
    layers = keras.layers
    if layer.kind == "Conv2D":
        number = int(layer.name.removeprefix("conv"))
        seed_number = number if number <= 2 else CONV3_SEED_NUMBER
        return layers.Conv2D(layer.units, layer.window, strides=layer.stride, padding=layer.padding,
                             activation=layer.activation, name=layer.name,
                             kernel_initializer=_initializer(keras, config, seed_number))
    if layer.kind == "MaxPooling2D":
        return layers.MaxPooling2D(layer.window, name=layer.name)
    if layer.kind == "AveragePooling2D":
        return layers.AveragePooling2D(layer.window, name=layer.name)
    if layer.kind == "Dropout":
        # The seed makes the training-mode mask reproducible, which the dropout demo relies on.
        return layers.Dropout(config.dropout, seed=config.seed, name=layer.name)
    if layer.kind == "Flatten":
        return layers.Flatten(name=layer.name)
    number = OUTPUT_SEED_NUMBER if layer.name == "output" else 2 + int(layer.name.removeprefix("dense"))
    return layers.Dense(layer.units, activation=layer.activation, name=layer.name,
                        kernel_initializer=_initializer(keras, config, number))


def _optimizer(keras, config: TrainConfig):
    """The optimiser the settings name, at their learning rate (SGD with SGD_MOMENTUM)."""
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=config.learning_rate)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=SGD_MOMENTUM)
    return keras.optimizers.RMSprop(learning_rate=config.learning_rate)


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
    """The summary table for settings not yet trained, from `plan_layers` (no TensorFlow).

    Lets the Train page update the parameter count on every slider move without building a model.
    Same row format as `model_summary`, without the input layer.
    """
    return [_row(layer.name, layer.kind, layer.output_shape, layer.parameters) for layer in plan_layers(config)]


def weight_shapes(config: TrainConfig) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    """The shapes of the learnt weights, in the order `model.get_weights()` lists them, from `plan_layers`.

    Returns [(layer name, kernel shape, bias shape), …] for the layers that learn: conv kernels are
    (height, width, input channels, filters), dense kernels (inputs, units); biases are (filters,) or (units,).
    """
    return [(layer.name, *layer.weight_shapes) for layer in plan_layers(config) if layer.weight_shapes is not None]


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
