"""The arithmetic behind one number: how a single value of a conv or pooling layer's output is made.

A feature map is thousands of numbers, each made by the same small recipe. These functions take one of them
apart: the patch of the layer's input under the filter (with the zeros of "same" padding where it reaches past the
input, and moved by the stride from one output to the next), the filter's weights, their elementwise products, the
sum, the bias and the activation (for a conv layer), or the 2×2 window and its largest value or mean (for pooling).
They use the trained model's own weights, so the result equals the model's own output for that position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.network.forward import Network, activate
from cnnlab.network.model import conv_output_size, same_padding


@dataclass(frozen=True)
class ConvArithmetic:
    """How one value of a conv layer's output is made: sum(patch × kernel) + bias, then the activation.

    layer: the conv layer's name ("conv1", "conv2", …); filter_index, row, column: 0-based position in its output.
    patch: float32 (k, k, input channels), the layer's input under the filter (pixels / 255 for conv1), 0 where
    the patch reaches into the padding. top, left: the input row and column of the patch's first cell (negative
    where it starts in the padding): row × stride − padding before. stride; padding: (zeros before, zeros after)
    along each side. kernel: float32 (k, k, input channels), the filter's weights. products: patch × kernel, same
    shape. channel_sums: float32 (input channels,), the sum of the products for each input channel. total: the sum
    of every product. bias: the filter's bias. before_activation: total + bias. activation: "relu", "tanh" or
    "sigmoid". value: the activation of before_activation, the number in the layer's output.
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
    before_activation: float
    value: float
    activation: str = "relu"
    top: int = 0
    left: int = 0
    stride: int = 1
    padding: tuple[int, int] = (0, 0)
    input_side: int = 0  # the side of the (square) input the layer reads, without its padding

    @property
    def in_padding(self) -> np.ndarray:
        """bool (k, k): the patch's cells that lie in the padding, outside the layer's input (their values are 0)."""
        size = self.patch.shape[0]
        rows, columns = np.arange(self.top, self.top + size), np.arange(self.left, self.left + size)
        outside_rows = (rows < 0) | (rows >= self.input_side)
        outside_columns = (columns < 0) | (columns >= self.input_side)
        return outside_rows[:, np.newaxis] | outside_columns[np.newaxis, :]


@dataclass(frozen=True)
class PoolArithmetic:
    """How one value of a pooling layer's output is made: the largest value in its window, or their mean.

    window: float32 (size, size), the input values the output reads. top, left: the window's corner in the
    input map. kind: "max" or "average". winner: (row, column) of the largest value, within the window (also for
    average pooling, where it decides nothing). value: that largest value, or the window's mean.
    """

    channel: int
    row: int
    column: int
    window: np.ndarray
    top: int
    left: int
    winner: tuple[int, int]
    value: float
    kind: str = "max"


def _check_position(what: str, index: int, limit: int) -> None:
    if not 0 <= index < limit:
        raise ValueError(f"The {what} must be between 1 and {limit}; {index + 1} is out of range.")


def conv_arithmetic(
    network: Network, layer_name: str, layer_input: np.ndarray, filter_index: int, row: int, column: int
) -> ConvArithmetic:
    """Take apart the output value of conv layer `layer_name` at (row, column) of filter `filter_index`.

    layer_input: float32 (height, width, channels), what the layer reads for this digit: the model input
    (28, 28, 1) in [0, 1] for conv1, the layer before's maps (e.g. the pooled (12, 12, filters)) for conv2. Indices
    are 0-based. The layer's stride, padding and activation are the network's.
    """
    layer = network.layer(layer_name)
    if layer.kind != "Conv2D":
        raise ValueError(f"{layer_name} is not a conv layer of this network.")
    kernels, biases = network.parameters(layer_name)
    size, stride = layer.window, layer.stride
    layer_input = np.asarray(layer_input, dtype=np.float32)
    if layer_input.ndim != 3 or layer_input.shape[2] != kernels.shape[2]:
        raise ValueError(f"{layer_name} reads maps with {kernels.shape[2]} channels; got shape {layer_input.shape}.")
    side = layer_input.shape[0]
    _check_position("filter number", filter_index, kernels.shape[3])
    _check_position("row", row, conv_output_size(side, size, stride, layer.padding))
    _check_position("column", column, conv_output_size(layer_input.shape[1], size, stride, layer.padding))
    padding = same_padding(side, size, stride) if layer.padding == "same" else (0, 0)
    padded = np.pad(layer_input, (padding, padding, (0, 0)))
    patch = padded[row * stride : row * stride + size, column * stride : column * stride + size, :]
    kernel = kernels[:, :, :, filter_index].astype(np.float32)
    products = patch * kernel
    channel_sums = products.sum(axis=(0, 1))
    # Summed in float64 so the shown total is the exact sum of the shown products, not a rounding away.
    total = float(products.astype(np.float64).sum())
    bias = float(biases[filter_index])
    value = float(activate(np.asarray(total + bias), layer.activation))
    return ConvArithmetic(
        layer=layer_name, filter_index=filter_index, row=row, column=column, patch=patch, kernel=kernel,
        products=products, channel_sums=channel_sums, total=total, bias=bias, before_activation=total + bias,
        value=value, activation=layer.activation, top=row * stride - padding[0], left=column * stride - padding[0],
        stride=stride, padding=padding, input_side=side,
    )


def pool_arithmetic(maps: np.ndarray, channel: int, row: int, column: int, size: int = 2,
                    kind: str = "max") -> PoolArithmetic:
    """Take apart the pooling output at (row, column) of `channel` (0-based).

    maps: float32 (height, width, channels), the pooling layer's input (conv1's output). Windows are
    size × size and do not overlap (stride = size), as in Keras's MaxPooling2D and AveragePooling2D. kind: "max"
    keeps the largest value of a window, "average" their mean.
    """
    if kind not in ("max", "average"):
        raise ValueError(f"Pooling is max or average, not {kind!r}.")
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"Pooling reads maps of shape (height, width, channels); got {maps.shape}.")
    _check_position("map number", channel, maps.shape[2])
    _check_position("row", row, maps.shape[0] // size)
    _check_position("column", column, maps.shape[1] // size)
    top, left = row * size, column * size
    window = maps[top : top + size, left : left + size, channel]
    winner = np.unravel_index(int(np.argmax(window)), window.shape)
    value = float(window.max()) if kind == "max" else float(window.astype(np.float64).mean())
    return PoolArithmetic(channel=channel, row=row, column=column, window=window, top=top, left=left,
                          winner=(int(winner[0]), int(winner[1])), value=value, kind=kind)


def telling_position(maps: np.ndarray) -> tuple[int, int, int]:
    """Where to start explaining a layer's output: (filter, row, column), 0-based, of the largest value of the first
    filter whose map is not all zero or below (a value a ReLU kept, so every step of the sum shows); (0, centre,
    centre) when every map is. maps: float (height, width, filters), one layer's output for one digit."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"A layer's maps must be (height, width, filters); got shape {maps.shape}.")
    lit = np.flatnonzero(maps.reshape(-1, maps.shape[2]).max(axis=0) > 0)
    if len(lit) == 0:
        return 0, maps.shape[0] // 2, maps.shape[1] // 2
    filter_index = int(lit[0])
    row, column = np.unravel_index(int(np.argmax(maps[:, :, filter_index])), maps.shape[:2])
    return filter_index, int(row), int(column)


def activation_text(step: ConvArithmetic) -> str:
    """The last step of a conv value in words, with its numbers: "ReLU keeps it if positive, else 0:
    max(-0.1234, 0) = **0.0000**", and the like for tanh and sigmoid."""
    before, value = step.before_activation, step.value
    if step.activation == "tanh":
        return f"tanh squashes it into −1 … 1: tanh({before:.4f}) = **{value:.4f}**"
    if step.activation == "sigmoid":
        return f"sigmoid squashes it into 0 … 1: 1 / (1 + e^−({before:.4f})) = **{value:.4f}**"
    return f"ReLU keeps it if positive, else 0: max({before:.4f}, 0) = **{value:.4f}**"


def patch_place_text(step: ConvArithmetic) -> str:
    """Where a conv value's patch sits in the layer's input, and why there: the stride's step and the zero padding,
    as far as the layer has them ("" for a layer of stride 1 without padding, where row r reads from row r)."""
    size = step.patch.shape[0]
    parts = []
    if step.stride > 1:
        parts.append(f"With stride {step.stride}, the window moves {step.stride} pixels from one output value to "
                     f"the next: output row {step.row + 1} reads from input row {step.stride} × {step.row} + 1"
                     f"{' − ' + str(step.padding[0]) if step.padding[0] else ''} = {step.top + 1}.")
    if step.padding != (0, 0):
        before, after = step.padding
        zeros = int(step.in_padding.sum())
        def lines(count: int) -> str:
            return "no zeros" if count == 0 else f"{count} line{'s' if count != 1 else ''} of zeros"

        where = ": its 0s along the edge of the patch, the grey border in the picture" if zeros else ""
        parts.append(f"“Same” padding puts {lines(before)} above and left of the input and {lines(after)} below and "
                     f"right of it, so that the window may hang over the edge; {zeros} of this patch's {size * size} "
                     f"cells are padding{where}.")
    return " ".join(parts)
