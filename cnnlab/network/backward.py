"""The network run backwards in NumPy: how a chosen value of any layer changes with every input pixel.

The lens pages ask three kinds of gradient of a trained network: which pixels a class's score or probability
depends on (saliency), which way to change a picture to excite one unit (a filter's favourite pattern), and which
way to change a digit to raise another digit's log-probability (fooling the network). All three are the chain rule
taken back through the layers of `cnnlab.network.forward`, one layer at a time, so a web server answers them in
milliseconds without importing TensorFlow.

Each layer's backward function takes d(objective)/d(its output) and returns d(objective)/d(its input), batch axis
first, float32. Where a derivative has a kink (a ReLU at exactly 0, a max-pooling window whose largest value is
shared) they choose what TensorFlow chooses, so the numbers match the Keras model's `tf.GradientTape`: a ReLU
passes nothing at 0, and a pooling window passes its gradient to the first of its largest values, row by row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnlab.digits.format import NUM_CLASSES
from cnnlab.network.forward import POOL_KINDS, Network, activate, pool_tiles, same_padding, softmax

# The values of an objective that a gradient can be asked of, at the output layer.
OUTPUT_KINDS = ("score", "probability", "log_probability")


def cross_correlate_backward(gradient: np.ndarray, kernel: np.ndarray, input_shape: tuple[int, ...],
                             stride: int = 1, padding: str = "valid") -> np.ndarray:
    """d/d(input) of a Conv2D layer's values before its activation (`forward.cross_correlate`).

    gradient: float32 (n, rows, columns, filters), d(objective)/d(the layer's values). kernel: (k, k, channels,
    filters). input_shape: (n, height, width, channels), the shape of the layer's input. stride and padding as the
    forward pass had them. Returns float32 `input_shape`: each input value collects gradient × weight from every
    window it was part of. Inputs that no window covered (a "valid" stride's leftovers) get 0.
    """
    count, height, width, channels = input_shape
    size = kernel.shape[0]
    (top, bottom), (left, right) = ((same_padding(height, size, stride), same_padding(width, size, stride))
                                    if padding == "same" else ((0, 0), (0, 0)))
    rows, columns = gradient.shape[1:3]
    # What each window sends back to each of its k × k × channels inputs: gradient × weight, summed over filters.
    sent = np.tensordot(gradient, kernel, axes=((3,), (3,)))  # (n, rows, columns, k, k, channels)
    padded = np.zeros((count, height + top + bottom, width + left + right, channels), dtype=np.float32)
    # Kernel weight (i, j) met input (row · stride + i, column · stride + j) in window (row, column): one strided
    # slice of the padded input per weight.
    for i in range(size):
        for j in range(size):
            padded[:, i : i + (rows - 1) * stride + 1 : stride, j : j + (columns - 1) * stride + 1 : stride] += (
                sent[:, :, :, i, j])
    return padded[:, top : top + height, left : left + width]


def pool_backward(gradient: np.ndarray, values: np.ndarray, size: int, kind: str = "max") -> np.ndarray:
    """d/d(input) of a pooling layer (`forward.pool`).

    gradient: float32 (n, rows, columns, channels), d(objective)/d(the pooled values). values: the layer's input,
    (n, height, width, channels). size: the window and stride. kind: "max", where a window's gradient goes to its
    largest value (the first one, reading row by row, when several are equal, as TensorFlow does), or "average",
    where it is shared equally by the window's size² values. Returns float32 of `values`' shape; a last partial
    row or column, which pooling dropped, gets 0.
    """
    if kind not in ("max", "average"):
        raise ValueError(f"Pooling is max or average, not {kind!r}.")
    count, height, width, channels = values.shape
    rows, columns = gradient.shape[1:3]
    tiles = pool_tiles(values, size)  # (n, rows, size, columns, size, channels)
    if kind == "max":
        largest = tiles.max(axis=(2, 4))
        spread = np.zeros(tiles.shape, dtype=np.float32)
        taken = np.zeros(largest.shape, dtype=bool)  # windows whose largest value has had its gradient
        for i in range(size):
            for j in range(size):
                here = (tiles[:, :, i, :, j] == largest) & ~taken
                spread[:, :, i, :, j] = np.where(here, gradient, np.float32(0))
                taken |= here
    else:
        spread = np.broadcast_to((gradient / np.float32(size * size))[:, :, np.newaxis, :, np.newaxis, :], tiles.shape)
    spread = spread.reshape(count, rows * size, columns * size, channels)
    if spread.shape == values.shape:
        return spread
    result = np.zeros(values.shape, dtype=np.float32)
    result[:, : rows * size, : columns * size] = spread
    return result


def activation_backward(gradient: np.ndarray, output: np.ndarray, activation: str | None) -> np.ndarray:
    """d/d(the values before the activation), from d(objective)/d(its `output`), float32 of the same shape.

    activation: "relu" (passes the gradient where the output is above 0), "tanh" (× 1 − output²), "sigmoid"
    (× output · (1 − output)), "softmax" along the last axis (output · (gradient − Σ gradient · output)), or None.
    """
    if activation is None:
        return gradient
    if activation == "relu":
        return np.where(output > 0, gradient, np.float32(0))
    if activation == "tanh":
        return gradient * (1 - output * output)
    if activation == "sigmoid":
        return gradient * output * (1 - output)
    if activation == "softmax":
        return output * (gradient - (gradient * output).sum(axis=-1, keepdims=True))
    raise ValueError(f"There is no backward pass for the activation {activation!r}.")


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """log(softmax(scores)) along the last axis, finite even where the softmax rounds a probability to 0."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def log_softmax_backward(gradient: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """d/d(scores) of `log_softmax(scores)`, from d(objective)/d(its output): gradient − softmax · Σ gradient."""
    return gradient - softmax(scores) * gradient.sum(axis=-1, keepdims=True)


def dense_backward(gradient: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """d/d(input) of a Dense layer's values before its activation: (n, units) @ kernel.T → (n, inputs)."""
    return gradient @ kernel.T


def scores_and_backward(network: Network, pixels: np.ndarray,
                        layer_name: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """`layer_name`'s values before its activation function (its "scores"), and the way back from them to the pixels.

    pixels: float32 (n, 28, 28, 1) in [0, 1], the network's input (`cnnlab.digits.format.to_model_input`, or a
    picture being optimised). Dropout passes values through, as at inference. Returns (scores, backward): scores
    float32 (n, rows, columns, filters) for a Conv2D layer, (n, units) for a Dense one; backward(d(objective) /
    d(scores)), an array of the scores' shape, gives d(objective)/d(pixels), float32 (n, 28, 28, 1).
    """
    target = network.layer(layer_name)
    path = network.layers[: network.layers.index(target) + 1]
    # Each layer's input, and its output after the activation (which the activation's derivative is written in).
    inputs, outputs = [], []
    values = np.asarray(pixels, dtype=np.float32)
    for layer in path:
        inputs.append(values)
        values = network.pre_activation(layer, values)
        if layer is not target:
            values = activate(values, layer.activation)
            outputs.append(values)
    scores = values

    def backward(gradient: np.ndarray) -> np.ndarray:
        gradient = np.asarray(gradient, dtype=np.float32)
        if gradient.shape != scores.shape:
            raise ValueError(f"The gradient must have the scores' shape {scores.shape}, not {gradient.shape}.")
        for index in reversed(range(len(path))):
            layer = path[index]
            if layer is not target:
                gradient = activation_backward(gradient, outputs[index], layer.activation)
            gradient = _pre_activation_backward(network, layer, gradient, inputs[index])
        return gradient

    return scores, backward


def _pre_activation_backward(network: Network, layer, gradient: np.ndarray, values: np.ndarray) -> np.ndarray:
    """d/d(input `values`) of `network.pre_activation(layer, values)`, from d(objective)/d(its result)."""
    if layer.kind == "Conv2D":
        kernel = network.parameters(layer.name)[0]
        return cross_correlate_backward(gradient, kernel, values.shape, layer.stride, layer.padding)
    if layer.kind in POOL_KINDS:
        return pool_backward(gradient, values, layer.window, POOL_KINDS[layer.kind])
    if layer.kind == "Flatten":
        return gradient.reshape(values.shape)
    if layer.kind == "Dense":
        return dense_backward(gradient, network.parameters(layer.name)[0])
    return gradient  # Dropout, at inference


def output_gradient(network: Network, pixels: np.ndarray, targets: np.ndarray,
                    kind: str = "score") -> tuple[np.ndarray, np.ndarray]:
    """The ten probabilities per picture, and d(the target class's value)/d(pixels).

    pixels: float32 (n, 28, 28, 1) in [0, 1]. targets: one class 0–9 per picture, int (n,). kind: "score", the
    output layer's value before its softmax; "probability", the softmax's; or "log_probability", its logarithm
    (finite where a very sure softmax rounds the target's probability to 0). Returns (probabilities float32
    (n, 10), rows summing to 1; gradient float32 (n, 28, 28, 1)), each picture's gradient of its own target only.
    """
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"The gradient can be of the class's {', '.join(OUTPUT_KINDS)}, not {kind!r}.")
    scores, backward = scores_and_backward(network, pixels, "output")
    chosen = np.eye(NUM_CLASSES, dtype=np.float32)[np.asarray(targets)]  # d(objective)/d(each class's value)
    probabilities = softmax(scores)
    if kind == "probability":
        chosen = activation_backward(chosen, probabilities, "softmax")
    elif kind == "log_probability":
        chosen = log_softmax_backward(chosen, scores)
    return probabilities, backward(chosen)


def unit_gradient(network: Network, pixels: np.ndarray, layer_name: str,
                  units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each picture's unit's value before its activation, and its gradient with respect to the pixels.

    pixels: float32 (n, 28, 28, 1) in [0, 1]. layer_name: a Conv2D or Dense layer. units: one unit per picture,
    int (n,): a dense unit, or a conv filter, whose value is taken at the centre of its map (row rows // 2, column
    columns // 2). Returns (values float32 (n,), gradient float32 (n, 28, 28, 1)).
    """
    scores, backward = scores_and_backward(network, pixels, layer_name)
    units = np.asarray(units)
    pictures = np.arange(len(units))
    chosen = np.zeros_like(scores)
    if scores.ndim == 4:
        row, column = scores.shape[1] // 2, scores.shape[2] // 2
        chosen[pictures, row, column, units] = 1
        return scores[pictures, row, column, units], backward(chosen)
    chosen[pictures, units] = 1
    return scores[pictures, units], backward(chosen)
