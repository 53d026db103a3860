"""What a filter looks for: the input pattern that excites a unit most, found by gradient ascent from noise.

Start from faint random noise, and repeatedly change the pixels in the direction that raises the unit's value (its
gradient, from `cnnlab.network.backward`), a little regularised so the picture stays readable: the pixels decay
slightly towards black (an L2 penalty), are blurred a little every few steps (so that pixel-sized noise, which no
digit has, does not grow), and are kept within [0, 1], the range the network was trained on. All units of a layer
climb at once, one picture per unit in one NumPy batch, so a step costs one pass forward and back for the layer.

A conv filter has one unit per position of its map; the one climbed is at the centre of the map, and only the
pixels it sees (its receptive field, `receptive_field`) can matter, so the pattern appears there on black. (The mean
over the whole map is no good aim: before the ReLU it depends only on the picture's overall brightness, and after it
a black picture is a trap the ascent cannot leave.) For a dense unit or an output digit, the unit itself. Values are
taken before the ReLU or softmax (see `cnnlab.lens.scores`), so a unit that is off at the start still has a
gradient to climb.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.digits.format import IMAGE_SIZE
from cnnlab.lens.scores import is_conv, scored_layer
from cnnlab.network.backward import unit_gradient
from cnnlab.network.blas import one_blas_thread
from cnnlab.network.forward import FORWARD_CHUNK, POOL_KINDS, Network, cross_correlate, same_padding

# Measured on the reference model: 30 steps bring every conv1 filter's pattern to at least 91 % of the best value
# any picture can give it (the sum of its positive weights plus its bias); more steps add little.
STEPS = 30
STEP_SIZE = 0.1  # in pixel units (0–1) per step, for a gradient scaled to a root-mean-square of 1
# The share of each pixel's brightness taken away per step, an L2 penalty's pull towards black: pixels the unit
# does not see fade to the black background of an MNIST digit (30 steps leave a fifth of the starting noise).
DECAY = 0.05
BLUR_EVERY = 4  # steps between two light blurs
START_NOISE = (0.0, 0.2)  # the starting pictures: faint uniform noise, darker than any ink
SEED = 0


@dataclass(frozen=True)
class Patterns:
    """The preferred input of every unit of one layer.

    layer: the layer's name. images: uint8 (n, 28, 28), 0–255, one picture per unit (filter, dense unit or output
    digit). scores: float32 (n,), each unit's value before its activation (at the map's centre for a conv filter)
    on its own picture. units: the units' 0-based numbers, in the order of `images`.
    """

    layer: str
    images: np.ndarray
    scores: np.ndarray
    units: tuple[int, ...]


def _blur_kernel() -> np.ndarray:
    """A 3×3 blur that keeps most of each pixel (weights 1-2-1 by 1-2-1, centre-heavy), as a conv kernel: float32
    (3, 3, 1, 1) summing to 1."""
    row = np.array([1.0, 2.0, 1.0], dtype=np.float32)
    kernel = np.outer(row, row)
    return (kernel / kernel.sum())[:, :, np.newaxis, np.newaxis]


def climb(network: Network, layer_name: str, pixels: np.ndarray, units: np.ndarray,
          steps: int) -> tuple[np.ndarray, np.ndarray]:
    """`steps` steps of the regularised ascent (see the module's docstring), every picture towards its own unit.

    pixels: float32 (n, 28, 28, 1) in [0, 1], the starting pictures. units: int (n,), one unit of `layer_name` per
    picture. Returns (the final pictures, float32 (n, 28, 28, 1) in [0, 1]; each unit's value before its
    activation on its picture, float32 (n,)).
    """
    blur, no_bias = _blur_kernel(), np.zeros(1, dtype=np.float32)
    for step in range(steps):
        _, gradient = unit_gradient(network, pixels, layer_name, units)
        # Each picture's gradient scaled to the same size, so weak and strong units climb alike.
        size = np.sqrt(np.mean(np.square(gradient), axis=(1, 2, 3), keepdims=True)) + np.float32(1e-8)
        pixels = pixels * np.float32(1.0 - DECAY) + np.float32(STEP_SIZE) * gradient / size
        if step % BLUR_EVERY == BLUR_EVERY - 1:
            # Zeros around the picture, as the black background beyond its edge.
            pixels = cross_correlate(pixels, blur, no_bias, padding="same")
        pixels = np.clip(pixels, 0.0, 1.0)
    return pixels, unit_gradient(network, pixels, layer_name, units)[0]


def unit_count(network: Network, layer_name: str) -> int:
    """How many units (filters, dense units or output digits) the layer `layer_name` has."""
    scored_layer(network, layer_name)
    return len(network.parameters(layer_name)[1])


def receptive_field(network: Network, layer_name: str) -> tuple[int, int, int]:
    """(top, left, size) of the square of input pixels that the unit climbed in `layer_name` sees: the centre of a
    conv layer's map (e.g. (12, 12, 5) for conv1 and (10, 10, 10) for conv2), the whole picture for a dense layer.

    Worked back from the centre through each conv layer (kernel k, stride s, z zeros of "same" padding before the
    first row: a span [a, b] comes from [a·s − z, b·s − z + k − 1]) and pooling layer (window and stride p: from
    [a·p, b·p + p − 1]) between the input and the layer, then cut to the picture (padding is no pixel).
    """
    layer = scored_layer(network, layer_name)
    if not is_conv(layer):
        return 0, 0, IMAGE_SIZE
    path = network.layers[: network.layers.index(layer) + 1]
    # The input size of every layer on the way, and the last one's output: square maps, so one side says it.
    sides = [item.input_shape[0] for item in path] + [path[-1].output_shape[0]]
    first = last = sides[-1] // 2
    for item, side in zip(reversed(path), reversed(sides[:-1]), strict=True):
        if is_conv(item):
            before = same_padding(side, item.window, item.stride)[0] if item.padding == "same" else 0
            first, last = first * item.stride - before, last * item.stride - before + item.window - 1
        elif item.kind in POOL_KINDS:
            first, last = first * item.window, last * item.window + item.window - 1
    first, last = max(first, 0), min(last, IMAGE_SIZE - 1)
    return first, first, last - first + 1


@one_blas_thread()
def preferred_inputs(network: Network, layer_name: str, units: list[int] | None = None, steps: int = STEPS,
                     seed: int = SEED) -> Patterns:
    """The picture each unit of `layer_name` responds to most, from `steps` steps of gradient ascent.

    layer_name: a Conv2D or Dense layer ("conv1", "conv2", "dense1", …, "output"). units: which units (0-based),
    all by default. The same model, layer, units, steps and seed always give the same pictures.
    Returns `Patterns` with uint8 (len(units), 28, 28) images, in the order of `units`.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise ValueError(f"The number of ascent steps must be a whole number from 1 to 1,000, not {steps!r}.")
    count = unit_count(network, layer_name)
    units = list(range(count)) if units is None else [int(unit) for unit in units]
    if not units or not all(0 <= unit < count for unit in units):
        raise ValueError(f"{layer_name} has units 0 to {count - 1}; {units} asks for others.")
    # The ascent runs on the model's own input, floats in [0, 1]; only the finished pictures become uint8 digits.
    start = np.random.default_rng(seed).uniform(*START_NOISE, size=(len(units), 28, 28, 1)).astype(np.float32)
    # FORWARD_CHUNK pictures at a time: a thousand dense units at once would hold gigabytes of conv windows.
    climbed = [climb(network, layer_name, start[first : first + FORWARD_CHUNK],
                     np.array(units[first : first + FORWARD_CHUNK]), steps)
               for first in range(0, len(units), FORWARD_CHUNK)]
    pixels, scores = (np.concatenate(parts) for parts in zip(*climbed, strict=True))
    images = np.rint(pixels[..., 0] * 255.0).astype(np.uint8)
    return Patterns(layer_name, images, scores.astype(np.float32), tuple(units))


def usual_unit_values(network: Network, layer_name: str, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How strongly each unit of `layer_name` answers real digits, to set a favourite picture's value against: the
    median and the highest of its values (after its activation, as the network passes them on) over `images`,
    uint8 (n, 28, 28). Returns two float32 (units,) arrays; a conv filter's value is the largest in its map."""
    values = network.layer_output(images, layer_name)
    values = values.reshape(len(values), -1, values.shape[-1]).max(axis=1) if values.ndim == 4 else values
    return np.median(values, axis=0).astype(np.float32), values.max(axis=0).astype(np.float32)
