"""The arithmetic behind one number: how a single value of a conv or pooling layer's output is made.

A feature map is thousands of numbers, each made by the same small recipe. These functions take one of them
apart: the patch of the layer's input under the filter, the filter's weights, their elementwise products,
the sum, the bias and the ReLU (for a conv layer), or the 2×2 window and its winner (for max pooling).
They use the trained model's own weights, so the result equals the model's own output for that position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.network.forward import Network
from cnnlab.network.model import summarize_config


@dataclass(frozen=True)
class ConvArithmetic:
    """How one value of a conv layer's output is made: sum(patch × kernel) + bias, then ReLU.

    layer: the conv layer's name ("conv1", "conv2"); filter_index, row, column: 0-based position in its output.
    patch: float32 (k, k, input channels), the layer's input under the filter (pixels / 255 for conv1).
    kernel: float32 (k, k, input channels), the filter's weights. products: patch × kernel, same shape.
    channel_sums: float32 (input channels,), the sum of the products for each input channel.
    total: the sum of every product. bias: the filter's bias. before_relu: total + bias.
    value: max(before_relu, 0), the number in the layer's output.
    """

    layer: str
    filter_index: int
    row: int
    column: int
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    total: float
    bias: float
    before_relu: float
    value: float


@dataclass(frozen=True)
class PoolArithmetic:
    """How one value of a max-pooling layer's output is made: the largest value in its window.

    window: float32 (size, size), the input values the output reads. top, left: the window's corner in the
    input map. winner: (row, column) of the largest value, within the window. value: that largest value.
    """

    channel: int
    row: int
    column: int
    window: np.ndarray
    top: int
    left: int
    winner: tuple[int, int]
    value: float


def _check_position(what: str, index: int, limit: int) -> None:
    if not 0 <= index < limit:
        raise ValueError(f"The {what} must be between 1 and {limit}; {index + 1} is out of range.")


def conv_arithmetic(
    network: Network, layer_name: str, layer_input: np.ndarray, filter_index: int, row: int, column: int
) -> ConvArithmetic:
    """Take apart the output value of conv layer `layer_name` at (row, column) of filter `filter_index`.

    layer_input: float32 (height, width, channels), what the layer reads for this digit: the model input
    (28, 28, 1) in [0, 1] for conv1, the pooled maps (12, 12, filters) for conv2. Indices are 0-based.
    Only 'valid' convolutions with stride 1 (the ones CNN Lab builds) are supported.
    """
    kinds = {row["layer"]: row["kind"] for row in summarize_config(network.config)}
    if kinds.get(layer_name) != "Conv2D":
        raise ValueError(f"{layer_name} is not a conv layer of this network.")
    kernels, biases = network.parameters(layer_name)
    size = kernels.shape[0]
    layer_input = np.asarray(layer_input, dtype=np.float32)
    if layer_input.ndim != 3 or layer_input.shape[2] != kernels.shape[2]:
        raise ValueError(f"{layer_name} reads maps with {kernels.shape[2]} channels; got shape {layer_input.shape}.")
    height, width = layer_input.shape[0] - size + 1, layer_input.shape[1] - size + 1
    _check_position("filter number", filter_index, kernels.shape[3])
    _check_position("row", row, height)
    _check_position("column", column, width)
    patch = layer_input[row : row + size, column : column + size, :]
    kernel = kernels[:, :, :, filter_index].astype(np.float32)
    products = patch * kernel
    channel_sums = products.sum(axis=(0, 1))
    # Summed in float64 so the shown total is the exact sum of the shown products, not a rounding away.
    total = float(products.astype(np.float64).sum())
    bias = float(biases[filter_index])
    return ConvArithmetic(
        layer=layer_name, filter_index=filter_index, row=row, column=column, patch=patch, kernel=kernel,
        products=products, channel_sums=channel_sums, total=total, bias=bias, before_relu=total + bias,
        value=max(total + bias, 0.0),
    )


def pool_arithmetic(maps: np.ndarray, channel: int, row: int, column: int, size: int = 2) -> PoolArithmetic:
    """Take apart the max-pooling output at (row, column) of `channel` (0-based).

    maps: float32 (height, width, channels), the pooling layer's input (conv1's output). Windows are
    size × size and do not overlap (stride = size), as in Keras's MaxPooling2D.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"Pooling reads maps of shape (height, width, channels); got {maps.shape}.")
    _check_position("map number", channel, maps.shape[2])
    _check_position("row", row, maps.shape[0] // size)
    _check_position("column", column, maps.shape[1] // size)
    top, left = row * size, column * size
    window = maps[top : top + size, left : left + size, channel]
    winner = np.unravel_index(int(np.argmax(window)), window.shape)
    return PoolArithmetic(channel=channel, row=row, column=column, window=window, top=top, left=left,
                          winner=(int(winner[0]), int(winner[1])), value=float(window.max()))


def telling_position(maps: np.ndarray) -> tuple[int, int, int]:
    """Where to start explaining a layer's output: (filter, row, column), 0-based, of the largest value of the first
    filter whose map is not all zero (a value the ReLU kept, so every step of the sum shows); (0, centre, centre)
    when every map is zero. maps: float (height, width, filters), one layer's output for one digit."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"A layer's maps must be (height, width, filters); got shape {maps.shape}.")
    lit = np.flatnonzero(maps.reshape(-1, maps.shape[2]).max(axis=0) > 0)
    if len(lit) == 0:
        return 0, maps.shape[0] // 2, maps.shape[1] // 2
    filter_index = int(lit[0])
    row, column = np.unravel_index(int(np.argmax(maps[:, :, filter_index])), maps.shape[:2])
    return filter_index, int(row), int(column)
