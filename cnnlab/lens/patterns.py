"""What a filter looks for: the input pattern that excites a unit most, found by gradient ascent from noise.

Start from faint random noise, and repeatedly change the pixels in the direction that raises the unit's value
(`tf.GradientTape`), a little regularised so the picture stays readable: the pixels decay slightly towards black
(an L2 penalty), are blurred a little every few steps (so that pixel-sized noise, which no digit has, does not
grow), and are kept within [0, 1], the range the network was trained on. All units of a layer climb at once, one
picture per unit in one batch, so a layer costs one compiled loop rather than one per filter.

A conv filter has one unit per position of its map; the one climbed is at the centre of the map, and only the
pixels it sees (its receptive field, `receptive_field`) can matter, so the pattern appears there on black. (The mean
over the whole map is no good aim: before the ReLU it depends only on the picture's overall brightness, and after it
a black picture is a trap the ascent cannot leave.) For a dense unit or an output digit, the unit itself. Values are
taken before the ReLU or softmax (see `cnnlab.lens.scores`), so a unit that is off at the start still has a
gradient to climb.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.digits.format import IMAGE_SIZE
from cnnlab.lens.scores import is_conv, layer_scores, scored_layer
from cnnlab.network.backend import load_keras, per_model

if TYPE_CHECKING:
    import keras

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

# Per trained model, per layer name: the compiled ascent, built on first use.


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


def _blur_kernel():
    """A 3×3 blur that keeps most of each pixel (weights 1-2-1 by 1-2-1, centre-heavy), as a conv kernel."""
    row = np.array([1.0, 2.0, 1.0], dtype=np.float32)
    kernel = np.outer(row, row)
    return (kernel / kernel.sum())[:, :, np.newaxis, np.newaxis]


@per_model
def _ascent(model: keras.Model, layer_name: str):
    """The compiled ascent for one layer: (start pictures (n, 28, 28, 1), unit per picture (n,), steps) →
    (final pictures, each unit's score on its picture). Built once per model and layer."""
    load_keras()
    import tensorflow as tf

    blur = tf.constant(_blur_kernel())

    def unit_scores(pixels, units):
        scores = layer_scores(model, layer_name, pixels)
        if len(scores.shape) == 4:
            # A conv filter's unit at the centre of its map (see the module's docstring).
            scores = scores[:, scores.shape[1] // 2, scores.shape[2] // 2, :]
        return tf.reduce_sum(scores * tf.one_hot(units, tf.shape(scores)[1]), axis=1)

    def climb(pixels, units, steps):
        def step_up(step, pixels):
            with tf.GradientTape() as tape:
                tape.watch(pixels)
                total = tf.reduce_sum(unit_scores(pixels, units))
            gradient = tape.gradient(total, pixels)
            # Each picture's gradient scaled to the same size, so weak and strong units climb alike.
            size = tf.sqrt(tf.reduce_mean(tf.square(gradient), axis=[1, 2, 3], keepdims=True)) + 1e-8
            pixels = pixels * (1.0 - DECAY) + STEP_SIZE * gradient / size
            pixels = tf.cond(step % BLUR_EVERY == BLUR_EVERY - 1,
                             lambda: tf.nn.conv2d(pixels, blur, strides=1, padding="SAME"), lambda: pixels)
            return step + 1, tf.clip_by_value(pixels, 0.0, 1.0)

        _, pixels = tf.while_loop(lambda step, _: step < steps, step_up, (tf.constant(0), pixels))
        return pixels, unit_scores(pixels, units)

    # The loop is written as TensorFlow's own while_loop and cond, so the function needs no AutoGraph: its
    # conversion of Python source took most of a second on the page's first view.
    return tf.function(climb, autograph=False, input_signature=[
        tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32), tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([], tf.int32)])


def unit_count(model: keras.Model, layer_name: str) -> int:
    """How many units (filters, dense units or output digits) the layer `layer_name` has."""
    layer = scored_layer(model, layer_name)
    return int(layer.filters if is_conv(layer) else layer.units)


def receptive_field(model: keras.Model, layer_name: str) -> tuple[int, int, int]:
    """(top, left, size) of the square of input pixels that the unit climbed in `layer_name` sees: the centre of a
    conv layer's map (e.g. (12, 12, 5) for conv1 and (10, 10, 10) for conv2), the whole picture for a dense layer.

    Worked back from the centre through each conv (kernel k, stride 1: a span grows by k − 1) and pooling layer
    (window and stride p: a span [a, b] comes from [a·p, b·p + p − 1]) between the input and the layer.
    """
    layer = scored_layer(model, layer_name)
    if not is_conv(layer):
        return 0, 0, IMAGE_SIZE
    height, width = layer.output.shape[1:3]
    rows, columns = [height // 2, height // 2], [width // 2, width // 2]
    path = model.layers[: model.layers.index(layer) + 1]
    for item in reversed(path):
        if is_conv(item):
            if tuple(item.strides) != (1, 1) or item.padding != "valid":
                raise ValueError(f"{item.name} has strides or padding CNN Lab's networks never use.")
            rows[1] += item.kernel_size[0] - 1
            columns[1] += item.kernel_size[1] - 1
        elif isinstance(item, load_keras().layers.MaxPooling2D):
            size = item.pool_size[0]
            rows = [rows[0] * size, rows[1] * size + size - 1]
            columns = [columns[0] * size, columns[1] * size + size - 1]
    return rows[0], columns[0], rows[1] - rows[0] + 1


def preferred_inputs(model: keras.Model, layer_name: str, units: list[int] | None = None, steps: int = STEPS,
                     seed: int = SEED) -> Patterns:
    """The picture each unit of `layer_name` responds to most, from `steps` steps of gradient ascent.

    layer_name: a Conv2D or Dense layer ("conv1", "conv2", "dense1", …, "output"). units: which units (0-based),
    all by default. The same model, layer, units, steps and seed always give the same pictures.
    Returns `Patterns` with uint8 (len(units), 28, 28) images, in the order of `units`.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise ValueError(f"The number of ascent steps must be a whole number from 1 to 1,000, not {steps!r}.")
    count = unit_count(model, layer_name)
    units = list(range(count)) if units is None else [int(unit) for unit in units]
    if not units or not all(0 <= unit < count for unit in units):
        raise ValueError(f"{layer_name} has units 0 to {count - 1}; {units} asks for others.")
    # The ascent runs on the model's own input, floats in [0, 1]; only the finished pictures become uint8 digits.
    start = np.random.default_rng(seed).uniform(*START_NOISE, size=(len(units), 28, 28, 1)).astype(np.float32)
    pixels, scores = _ascent(model, layer_name)(start, np.array(units, dtype=np.int32), np.int32(steps))
    images = np.rint(np.asarray(pixels)[..., 0] * 255.0).astype(np.uint8)
    return Patterns(layer_name, images, np.asarray(scores, dtype=np.float32), tuple(units))
