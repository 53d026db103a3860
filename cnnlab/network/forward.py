"""A trained network run in NumPy: every layer's output for a few digits, without TensorFlow.

The pages that follow a digit through the network (Activations, Prediction, How one number is made, Compare,
Watch) need one forward pass of a few digits, in milliseconds; Evaluation and the digit map run thousands, a chunk
at a time. NumPy does all of it without importing TensorFlow, which costs a web server seconds of CPU and hundreds
of megabytes on its first visit. The gradients the lens pages take (saliency, a filter's favourite pattern, fooling
the network) run backwards through the same layers in `cnnlab.network.backward`. The tests check every layer against
Keras's own outputs for the same weights.

Each layer is a `cnnlab.network.model.PlannedLayer`, and its work split in two: `Network.pre_activation` (the
convolution, pooling, weighted sum, …) and `activate` (the activation function), so the backward pass can undo them
one at a time. The layer functions take a conv stride and padding, a pooling kind and the activations relu, tanh and
sigmoid, although `cnnlab.network.model.plan_layers` says which of them the settings chose.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.network.model import (
    PlannedLayer,
    conv_output_size,
    plan_layers,
    same_padding,
    weight_shapes,
)

# Digits per NumPy pass: the second conv layer's windows of 256 digits take about 30 MB as float32.
FORWARD_CHUNK = 256
# Keras's pooling layers, by the kind of summary they take of each window.
POOL_KINDS = {"MaxPooling2D": "max", "AveragePooling2D": "average"}


class Network:
    """The weights of a trained network of `config`'s shape, as `keras.Model.get_weights()` lists them.

    weights: float32 arrays, kernel then bias for conv1, conv2, each hidden dense layer and the output layer
    (`cnnlab.network.model.weight_shapes` gives their shapes). Raises ValueError when they do not fit the settings.
    """

    def __init__(self, config: TrainConfig, weights: Sequence[np.ndarray]):
        expected = [shape for _, kernel, bias in weight_shapes(config) for shape in (kernel, bias)]
        found = [tuple(np.shape(values)) for values in weights]
        if found != expected:
            raise ValueError(f"These weights do not fit the settings: their shapes are {found}, "
                             f"the settings need {expected}.")
        self.config = config
        self.weights = [np.asarray(values, dtype=np.float32) for values in weights]
        names = [name for name, _, _ in weight_shapes(config)]
        self._parameters = {name: (self.weights[2 * index], self.weights[2 * index + 1])
                            for index, name in enumerate(names)}
        self.layers = plan_layers(config)

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of the settings and every weight: equal for the same network, different for any other, so it
        names the network in caches of what it computes."""
        digest = hashlib.sha256(repr(self.config).encode())
        for values in self.weights:
            digest.update(values.tobytes())
        return digest.hexdigest()[:32]

    def layer(self, layer_name: str) -> PlannedLayer:
        """The layer called `layer_name`; a ValueError naming the network's layers when there is none."""
        for layer in self.layers:
            if layer.name == layer_name:
                return layer
        raise ValueError(f"The network has no layer called {layer_name!r}; it has "
                         f"{', '.join(layer.name for layer in self.layers)}.")

    def parameters(self, layer_name: str) -> tuple[np.ndarray, np.ndarray]:
        """(kernel, bias) of a layer that learns ("conv1", "conv2", "dense1", …, "output"), float32."""
        if layer_name not in self._parameters:
            raise ValueError(f"The network has no layer with weights called {layer_name!r}; it has "
                             f"{', '.join(self._parameters)}.")
        return self._parameters[layer_name]

    def count_params(self) -> int:
        """How many numbers the network learnt (203,933 for the reference model)."""
        return sum(values.size for values in self.weights)

    def layer_outputs(self, images: np.ndarray) -> list[np.ndarray]:
        """Every layer's output at inference (dropout passes values through), in `plan_layers`' order.

        images: uint8 (n, 28, 28) or one (28, 28), 0–255. Returns one float32 array per layer, each with the
        batch axis first: (n, 24, 24, 30) for the reference model's conv1 … (n, 10) probabilities for its output.
        Every layer's output for every digit is kept, so this is for a few digits; see `layer_output` for many.
        """
        by_chunk = [self._forward(chunk) for chunk in self._chunks(images)]
        return [np.concatenate(outputs) for outputs in zip(*by_chunk, strict=True)]

    def layer_output(self, images: np.ndarray, layer_name: str) -> np.ndarray:
        """One layer's output for any number of digits, keeping only that layer's (images as `layer_outputs`)."""
        index = self.layers.index(self.layer(layer_name))
        return np.concatenate([self._forward(chunk)[index] for chunk in self._chunks(images)])

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """The ten class probabilities per digit: float32 (n, 10), rows summing to 1 (images as `layer_outputs`)."""
        return self.layer_output(images, "output")

    @staticmethod
    def _chunks(images: np.ndarray) -> list[np.ndarray]:
        """The digits as model input, FORWARD_CHUNK at a time (one empty chunk for no digits)."""
        pixels = to_model_input(images)
        return [pixels[start : start + FORWARD_CHUNK] for start in range(0, len(pixels), FORWARD_CHUNK)] or [pixels]

    def _forward(self, values: np.ndarray) -> list[np.ndarray]:
        """The layers applied in order to float32 (n, 28, 28, 1) model input; returns each layer's output."""
        outputs = []
        for layer in self.layers:
            values = activate(self.pre_activation(layer, values), layer.activation)
            outputs.append(values)
        return outputs

    def pre_activation(self, layer: PlannedLayer, values: np.ndarray) -> np.ndarray:
        """What `layer` computes from its input `values` (float32, batch axis first) before its activation function:
        the whole output of a layer that has none. Dropout only acts while training: at inference it passes values
        through unchanged."""
        if layer.kind == "Conv2D":
            return cross_correlate(values, *self.parameters(layer.name), layer.stride, layer.padding)
        if layer.kind in POOL_KINDS:
            return pool(values, layer.window, POOL_KINDS[layer.kind])
        if layer.kind == "Flatten":
            return values.reshape(len(values), int(np.prod(values.shape[1:])))
        if layer.kind == "Dense":
            kernel, bias = self.parameters(layer.name)
            return values @ kernel + bias
        return values


def cross_correlate(values: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int = 1,
                    padding: str = "valid") -> np.ndarray:
    """What a Conv2D layer computes before its activation: each window of the input times the kernel, plus the bias.

    values: float32 (n, height, width, channels); kernel: (k, k, channels, filters); bias: (filters,). stride: the
    step between windows. padding: "valid" (windows inside the input only) or "same" (zeros around it, see
    `same_padding`). Returns float32 (n, rows, columns, filters), rows = `conv_output_size(height, k, stride,
    padding)` (height - k + 1 for the defaults).
    """
    size = kernel.shape[0]
    rows = conv_output_size(values.shape[1], size, stride, padding)
    columns = conv_output_size(values.shape[2], size, stride, padding)
    if padding == "same":
        values = np.pad(values, ((0, 0), same_padding(values.shape[1], size, stride),
                                 same_padding(values.shape[2], size, stride), (0, 0)))
    windows = sliding_window_view(values, (size, size), axis=(1, 2))  # (n, positions, positions, channels, k, k)
    windows = windows[:, : (rows - 1) * stride + 1 : stride, : (columns - 1) * stride + 1 : stride]
    return np.tensordot(windows, kernel, axes=((4, 5, 3), (0, 1, 2))) + bias


def pool_tiles(values: np.ndarray, size: int) -> np.ndarray:
    """The size × size windows of `values` (n, height, width, channels), side by side: (n, rows, size, columns,
    size, channels) with rows = height // size, columns = width // size; a last partial row or column is dropped,
    as Keras's "valid" pooling does."""
    count, height, width, channels = values.shape
    rows, columns = height // size, width // size
    return values[:, : rows * size, : columns * size].reshape(count, rows, size, columns, size, channels)


def pool(values: np.ndarray, size: int, kind: str = "max") -> np.ndarray:
    """The largest ("max") or mean ("average") value of each size × size window, windows side by side (see
    `pool_tiles`). values: (n, height, width, channels) → (n, height // size, width // size, channels)."""
    if kind not in ("max", "average"):
        raise ValueError(f"Pooling is max or average, not {kind!r}.")
    tiles = pool_tiles(values, size)
    return tiles.max(axis=(2, 4)) if kind == "max" else tiles.mean(axis=(2, 4), dtype=values.dtype)


def max_pool(values: np.ndarray, size: int) -> np.ndarray:
    """`pool` of kind "max"."""
    return pool(values, size, "max")


def activate(values: np.ndarray, activation: str | None) -> np.ndarray:
    """`activation` ("relu", "tanh", "sigmoid", "softmax", or None for none) applied to a layer's values."""
    if activation is None:
        return values
    if activation not in ACTIVATIONS:
        raise ValueError(f"The activation must be one of {', '.join(ACTIVATIONS)}, not {activation!r}.")
    return ACTIVATIONS[activation](values)


def relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, 0.0)


def sigmoid(values: np.ndarray) -> np.ndarray:
    """1 / (1 + e^−x), in [0, 1]; written with tanh, which never overflows where e^−x would (x below −88 in
    float32)."""
    return (0.5 * np.tanh(0.5 * values) + 0.5).astype(values.dtype, copy=False)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from scores along the last axis; shifting by the largest score keeps exp from overflowing."""
    exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


ACTIVATIONS = {"relu": relu, "tanh": np.tanh, "sigmoid": sigmoid, "softmax": softmax}
