"""A trained network run in NumPy: every layer's output for a few digits, without TensorFlow.

The pages that follow a digit through the network (Activations, Prediction, How one number is made, Compare,
Watch) need one forward pass of a few digits, in milliseconds; Evaluation and the digit map run thousands, a chunk
at a time. NumPy does all of it without importing TensorFlow, which costs a web server seconds of CPU and hundreds
of megabytes on its first visit; the server then needs TensorFlow only for gradients (saliency, a filter's
favourite pattern, fooling the network) and for the random start of a network (Watch's epoch 0). The tests check
every layer against Keras's own outputs for the same weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnlab.config import TrainConfig
from cnnlab.digits.format import to_model_input
from cnnlab.network.model import POOL_SIZE, summarize_config, weight_shapes

# Digits per NumPy pass: the second conv layer's windows of 256 digits take about 30 MB as float32.
FORWARD_CHUNK = 256


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
        """Every layer's output at inference (dropout passes values through), in `summarize_config`'s order.

        images: uint8 (n, 28, 28) or one (28, 28), 0–255. Returns one float32 array per layer, each with the
        batch axis first: (n, 24, 24, 30) for the reference model's conv1 … (n, 10) probabilities for its output.
        Every layer's output for every digit is kept, so this is for a few digits; see `layer_output` for many.
        """
        by_chunk = [self._forward(chunk) for chunk in self._chunks(images)]
        return [np.concatenate(outputs) for outputs in zip(*by_chunk, strict=True)]

    def layer_output(self, images: np.ndarray, layer_name: str) -> np.ndarray:
        """One layer's output for any number of digits, keeping only that layer's (images as `layer_outputs`)."""
        names = [row["layer"] for row in summarize_config(self.config)]
        if layer_name not in names:
            raise ValueError(f"The network has no layer called {layer_name!r}; it has {', '.join(names)}.")
        index = names.index(layer_name)
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
        for row in summarize_config(self.config):
            name, kind = row["layer"], row["kind"]
            if kind == "Conv2D":
                values = relu(cross_correlate(values, *self.parameters(name)))
            elif kind == "MaxPooling2D":
                values = max_pool(values, POOL_SIZE)
            elif kind == "Flatten":
                values = values.reshape(len(values), int(np.prod(values.shape[1:])))
            elif kind == "Dense":
                kernel, bias = self.parameters(name)
                values = values @ kernel + bias
                values = softmax(values) if name == "output" else relu(values)
            # Dropout only acts while training: at inference it passes values through unchanged.
            outputs.append(values)
        return outputs


def cross_correlate(values: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """What a Conv2D layer computes before its activation: stride 1, no padding ("valid").

    values: float32 (n, height, width, channels); kernel: (k, k, channels, filters); bias: (filters,).
    Returns float32 (n, height - k + 1, width - k + 1, filters).
    """
    size = kernel.shape[0]
    windows = sliding_window_view(values, (size, size), axis=(1, 2))  # (n, rows, columns, channels, k, k)
    return np.tensordot(windows, kernel, axes=((4, 5, 3), (0, 1, 2))) + bias


def max_pool(values: np.ndarray, size: int) -> np.ndarray:
    """The largest value of each size × size window, windows side by side; a last partial row or column is
    dropped, as Keras's "valid" pooling does. values: (n, height, width, channels) → (n, height // size, …)."""
    count, height, width, channels = values.shape
    rows, columns = height // size, width // size
    tiles = values[:, : rows * size, : columns * size].reshape(count, rows, size, columns, size, channels)
    return tiles.max(axis=(2, 4))


def relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, 0.0)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from scores along the last axis; shifting by the largest score keeps exp from overflowing."""
    exponentials = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)
