"""What a filter looks for: each pattern found by gradient ascent excites its unit far more than random pictures
do, checked through the Keras model's own forward pass; conv1's against the best value any picture can give, worked
out with NumPy from its weights; the pictures against the TensorFlow ascent the page ran before; the receptive field
against the pixels TensorFlow's gradient reaches."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import KerasTwin, keras_unit_gradient, random_keras_network

import cnnlab.lens.patterns
from cnnlab.digits.format import to_model_input
from cnnlab.lens.patterns import (
    BLUR_EVERY,
    DECAY,
    SEED,
    START_NOISE,
    STEP_SIZE,
    STEPS,
    preferred_inputs,
    receptive_field,
)
from cnnlab.network.backend import load_keras


def unit_values(model, layer_name: str, images: np.ndarray) -> np.ndarray:
    """The layer's output (after its activation) for uint8 digits, straight from Keras: (n, units), taken at the
    centre of the map for a conv layer."""
    keras = load_keras()
    outputs = np.asarray(keras.Model(model.inputs[0], model.get_layer(layer_name).output)(
        to_model_input(images), training=False))
    if outputs.ndim == 4:
        outputs = outputs[:, outputs.shape[1] // 2, outputs.shape[2] // 2, :]
    return outputs


@pytest.fixture(scope="module")
def noise():
    """64 random pictures, every pixel uniform over 0–255."""
    return np.random.default_rng(5).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)


def own_values(model, layer_name: str, patterns) -> np.ndarray:
    values = unit_values(model, layer_name, patterns.images)
    return values[np.arange(len(patterns.units)), list(patterns.units)]


def test_conv1_patterns_come_close_to_the_best_any_picture_can_do(reference_result, noise):
    model = reference_result.model
    patterns = preferred_inputs(reference_result.network, "conv1")
    assert patterns.images.dtype == np.uint8 and patterns.images.shape == (30, 28, 28)
    weights, bias = model.get_layer("conv1").get_weights()
    # A conv1 unit adds weight × pixel over its 5×5 window: with pixels in [0, 1] the most it can reach is the sum
    # of its positive weights (those pixels white, the rest black) plus its bias.
    best = np.maximum(np.maximum(weights[:, :, 0, :], 0).sum(axis=(0, 1)) + bias, 0)
    own = own_values(model, "conv1", patterns)
    alive = best > 0
    assert alive.sum() >= 25
    assert np.all(own[alive] >= 0.9 * best[alive]), (own / np.maximum(best, 1e-9)).round(2)
    # Against random pictures: a filter whose weights are all positive gets half its best from noise that is grey
    # on average, so about 2× is its ceiling there; every pattern must come near it.
    random_mean = unit_values(model, "conv1", noise).mean(axis=0)
    assert np.all(own[alive] >= 2.0 * random_mean[alive]), (own / random_mean).round(2)


def test_conv2_and_dense_patterns_beat_random_pictures_threefold(reference_result, tiny_result, noise):
    # Measured: the weakest conv2 pattern of the reference model gives 3.6× its unit's mean on noise, and the
    # weakest dense1 pattern of the small model 4.1×; 3× leaves room without accepting a failed ascent.
    for result, layer_name in ((reference_result, "conv2"), (tiny_result, "dense1")):
        model = result.model
        patterns = preferred_inputs(result.network, layer_name)
        own = own_values(model, layer_name, patterns)
        random_mean = unit_values(model, layer_name, noise).mean(axis=0)[list(patterns.units)]
        assert np.all(own > 0)
        assert np.all(own >= 3.0 * random_mean), (layer_name, (own / np.maximum(random_mean, 1e-9)).round(2))


def test_each_output_digits_pattern_is_read_as_that_digit(reference_result):
    patterns = preferred_inputs(reference_result.network, "output")
    probabilities = unit_values(reference_result.model, "output", patterns.images)
    assert list(probabilities.argmax(axis=1)) == list(range(10))
    assert probabilities.max(axis=1).min() >= 0.9


def test_a_conv_unit_sees_only_its_receptive_field(reference_result):
    model, network = reference_result.model, reference_result.network
    assert receptive_field(network, "conv1") == (12, 12, 5)
    assert receptive_field(network, "conv2") == (10, 10, 10)
    assert receptive_field(network, "dense1") == (0, 0, 28)
    image = np.random.default_rng(0).integers(0, 256, size=(28, 28), dtype=np.uint8)
    for layer_name in ("conv1", "conv2"):
        top, left, size = receptive_field(network, layer_name)
        outside = image.copy()
        outside[:, :] = 255 - outside
        outside[top : top + size, left : left + size] = image[top : top + size, left : left + size]
        inside = image.copy()
        inside[top : top + size, left : left + size] = 255 - inside[top : top + size, left : left + size]
        values = unit_values(model, layer_name, np.stack([image, outside, inside]))
        np.testing.assert_allclose(values[1], values[0], atol=1e-5)  # every pixel outside changed: no effect
        assert not np.allclose(values[2], values[0], atol=1e-3)  # the pixels inside matter


def test_chosen_units_come_in_the_asked_order_and_bad_requests_are_sentences(tiny_result, monkeypatch):
    network = tiny_result.network
    patterns = preferred_inputs(network, "dense1", units=[5, 2])
    assert patterns.units == (5, 2) and patterns.images.shape == (2, 28, 28)
    again = preferred_inputs(network, "dense1", units=[5, 2])
    np.testing.assert_array_equal(patterns.images, again.images)  # the same seed gives the same pictures
    # Many units climb a chunk of pictures at a time; each picture has its own gradient and scale, so chunks of 5
    # give the pictures of one batch of 16.
    every = preferred_inputs(network, "dense1")
    monkeypatch.setattr(cnnlab.lens.patterns, "FORWARD_CHUNK", 5)
    np.testing.assert_array_equal(preferred_inputs(network, "dense1").images, every.images)
    with pytest.raises(ValueError, match="no conv or dense layer called 'pool'"):
        preferred_inputs(network, "pool")
    with pytest.raises(ValueError, match="dense1 has units 0 to 15"):
        preferred_inputs(network, "dense1", units=[16])


def tensorflow_ascent(model, layer_name: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ascent as the page ran it before, in TensorFlow: the same start, steps and regularisation, the gradients
    from `tf.GradientTape`, the blur TensorFlow's own "SAME" convolution. Returns (uint8 images, scores)."""
    load_keras()
    import tensorflow as tf

    units = np.arange(count)
    row = np.array([1.0, 2.0, 1.0], dtype=np.float32)
    blur = tf.constant((np.outer(row, row) / 16)[:, :, np.newaxis, np.newaxis])
    start = np.random.default_rng(SEED).uniform(*START_NOISE, size=(count, 28, 28, 1)).astype(np.float32)
    pixels = tf.constant(start)
    for step in range(STEPS):
        gradient = tf.constant(keras_unit_gradient(model, pixels.numpy(), layer_name, units)[1])
        size = tf.sqrt(tf.reduce_mean(tf.square(gradient), axis=[1, 2, 3], keepdims=True)) + 1e-8
        pixels = pixels * (1.0 - DECAY) + STEP_SIZE * gradient / size
        if step % BLUR_EVERY == BLUR_EVERY - 1:
            pixels = tf.nn.conv2d(pixels, blur, strides=1, padding="SAME")
        pixels = tf.clip_by_value(pixels, 0.0, 1.0)
    scores = keras_unit_gradient(model, pixels.numpy(), layer_name, units)[0]
    return np.rint(pixels.numpy()[..., 0] * 255.0).astype(np.uint8), scores


@pytest.mark.parametrize(("layer_name", "count"), [("conv1", 30), ("conv2", 15), ("output", 10)])
def test_the_reference_models_patterns_are_what_tensorflow_computed(reference_result, layer_name, count):
    patterns = preferred_inputs(reference_result.network, layer_name)
    images, scores = tensorflow_ascent(reference_result.model, layer_name, count)
    # Thirty steps of float32 arithmetic in two libraries: a pixel may round to the next grey level, no further.
    difference = np.abs(patterns.images.astype(int) - images.astype(int))
    assert difference.max() <= 1 and np.mean(difference > 0) <= 0.001, (difference.max(), np.mean(difference > 0))
    np.testing.assert_allclose(patterns.scores, scores, rtol=1e-4, atol=1e-5 * np.abs(scores).max())


@pytest.mark.parametrize("shape", ["stride 2, same padding, average pooling", "7×7 stride 2, then stride 2 same"])
def test_the_receptive_field_is_every_pixel_tensorflows_gradient_reaches(shape):
    # Positive weights, tanh and sigmoid (never flat) and average pooling (every value counts): the centre unit's
    # gradient is then non-zero on exactly the pixels it sees, which the field must name.
    layers = load_keras().layers
    stacks = {
        "stride 2, same padding, average pooling": [
            layers.Conv2D(3, 4, strides=2, padding="same", activation="tanh", name="conv1"),
            layers.AveragePooling2D(2, name="pool"),
            layers.Conv2D(2, 3, padding="same", activation="tanh", name="conv2"),
            layers.Flatten(name="flatten"), layers.Dense(10, activation="softmax", name="output")],
        "7×7 stride 2, then stride 2 same": [
            layers.Conv2D(2, 7, strides=2, activation="sigmoid", name="conv1"),
            layers.Conv2D(2, 5, strides=2, padding="same", activation="sigmoid", name="conv2"),
            layers.Flatten(name="flatten"), layers.Dense(10, activation="softmax", name="output")],
    }
    model = random_keras_network(stacks[shape], seed=1)
    model.set_weights([np.abs(values) / 4 for values in model.get_weights()])
    network = KerasTwin(model)
    pixels = np.random.default_rng(2).uniform(0, 1, size=(2, 28, 28, 1)).astype(np.float32)
    for layer_name in ("conv1", "conv2"):
        _, gradient = keras_unit_gradient(model, pixels, layer_name, [0, 1])
        rows, columns = np.nonzero(np.abs(gradient).max(axis=(0, 3)))
        top, left, size = receptive_field(network, layer_name)
        assert (rows.min(), columns.min(), rows.max() - rows.min() + 1) == (top, left, size), layer_name
        assert (rows.max(), columns.max()) == (top + size - 1, left + size - 1), layer_name


def test_the_mosaic_puts_each_pattern_beside_its_kernel():
    from cnnlab.pictures.images import pattern_mosaic

    patterns = np.zeros((7, 5, 5), dtype=np.uint8)
    patterns[3, 2, 4] = 255  # pattern 4: one white pixel, third row, last column
    kernels = np.zeros((5, 5, 7), dtype=np.float32)
    kernels[0, 0, 3] = -2.0  # its kernel: one negative weight, top left
    kernels[1, 1, 0] = 1.0
    mosaic = pattern_mosaic(patterns, kernels, scale=2, gap=8, max_columns=4)
    # Two rows of tiles, 4 then 3; a tile is the pattern (10 px), a 2-px gap, the kernel (10 px); 8 px between tiles.
    assert mosaic.shape == (2 * 10 + 8, 4 * 22 + 3 * 8, 3)
    left = 3 * (22 + 8)
    np.testing.assert_array_equal(mosaic[4:6, left + 8 : left + 10], 255)  # the white pixel, enlarged 2×
    assert mosaic[4:6, left : left + 8].max() == 0
    np.testing.assert_array_equal(mosaic[0, left + 12], [178, 24, 43])  # the full-strength negative weight: red
    # +1 is half the largest |weight|: halfway between white and full blue (33, 102, 172).
    np.testing.assert_allclose(mosaic[2, 12 + 2], [(255 + 33) / 2, (255 + 102) / 2, (255 + 172) / 2], atol=0.5)
    with pytest.raises(ValueError, match="Kernels must be"):
        pattern_mosaic(patterns, kernels[:, :, :3])


def test_the_mosaic_can_frame_each_picture_and_kernel_so_white_edges_stay_visible():
    from cnnlab.pictures.images import pattern_mosaic
    from cnnlab.pictures.palette import FRAME, GAP

    patterns = np.full((2, 5, 5), 255, dtype=np.uint8)  # all white ink, to the edges
    kernels = np.zeros((5, 5, 2), dtype=np.float32)  # all zero: white
    mosaic = pattern_mosaic(patterns, kernels, scale=2, gap=8, frame=1)
    # A tile: the framed pattern (12 px), a 2-px gap, the framed kernel (12 px); 8 px between the two tiles.
    assert mosaic.shape == (12, 2 * 26 + 8, 3)
    grey = [int(FRAME[start : start + 2], 16) for start in (1, 3, 5)]
    white = [int(GAP[1:3], 16)] * 3
    for left in (0, 14, 34, 48):  # each picture's and each kernel's box
        box = mosaic[:, left : left + 12]
        for edge in (box[0], box[-1], box[:, 0], box[:, -1]):
            np.testing.assert_array_equal(edge, np.tile(grey, (12, 1)))
        np.testing.assert_array_equal(box[1:-1, 1:-1], np.full((10, 10, 3), white))
