"""The NumPy backward pass checked against TensorFlow's `GradientTape`: each layer kind alone on small random
tensors, with the strides, padding, pooling kinds and activations the next settings will offer; then whole
networks, the shipped reference model and random networks of those other shapes.

Tolerance: rtol 1e-4 and atol 1e-5 on float32, as for the forward pass; for whole networks the absolute part is
scaled by the size of the gradient being compared (a probability's gradient can be 10,000 times smaller than a
score's, and float32 rounds the probabilities themselves to about 1e-7, so no two programs agree closer than that).
"""

from __future__ import annotations

import numpy as np
import pytest
from architectures import ARCHITECTURES
from helpers import keras_layer_outputs
from keras_reference import (
    OUTPUT_ROUNDING,
    KerasTwin,
    keras_output_gradient,
    keras_scores_and_gradient,
    keras_unit_gradient,
    random_keras_network,
    score_gradient_scales,
)

from cnnlab.digits.format import to_model_input
from cnnlab.network.backend import load_keras
from cnnlab.network.backward import (
    activation_backward,
    cross_correlate_backward,
    dense_backward,
    log_softmax,
    log_softmax_backward,
    output_gradient,
    pool_backward,
    scores_and_backward,
    unit_gradient,
)
from cnnlab.network.forward import Network, activate, cross_correlate, pool
from cnnlab.network.model import build_model

RTOL, ATOL = 1e-4, 1e-5


def tape_gradient(function, values: np.ndarray, upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow's function(values), and the gradient of Σ upstream · function(values) with respect to values."""
    load_keras()
    import tensorflow as tf

    values = tf.constant(values)
    with tf.GradientTape() as tape:
        tape.watch(values)
        output = function(values)
        objective = tf.reduce_sum(output * upstream)
    return np.asarray(output), tape.gradient(objective, values).numpy()


def close(ours: np.ndarray, theirs: np.ndarray, scale: float = 1.0) -> None:
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL * scale)


# Every kernel size, stride and padding the next settings offer, on a 11 × 10 input (not square, so that rows and
# columns cannot be swapped unnoticed) with 3 channels.
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5, 6, 7])
def test_conv_layer_matches_keras_forward_and_backward(kernel_size, stride, padding):
    keras = load_keras()
    generator = np.random.default_rng(kernel_size * 10 + stride)
    values = generator.normal(size=(2, 11, 10, 3)).astype(np.float32)
    kernel = generator.normal(size=(kernel_size, kernel_size, 3, 4)).astype(np.float32)
    bias = generator.normal(size=4).astype(np.float32)
    layer = keras.layers.Conv2D(4, kernel_size, strides=stride, padding=padding)
    layer.build((None, 11, 10, 3))
    layer.set_weights([kernel, bias])
    output_shape = tuple(layer.compute_output_shape((2, 11, 10, 3)))
    upstream = generator.normal(size=output_shape).astype(np.float32)
    theirs, their_gradient = tape_gradient(layer, values, upstream)
    close(cross_correlate(values, kernel, bias, stride, padding), theirs)
    close(cross_correlate_backward(upstream, kernel, values.shape, stride, padding), their_gradient)


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("kind", ["max", "average"])
def test_pooling_matches_keras_including_ties(kind, size):
    keras = load_keras()
    generator = np.random.default_rng(size)
    # Whole numbers 0–3 on a 9 × 8 input: most windows hold their largest value more than once, and a last partial
    # row (and, for size 3, column) is left out of every window.
    values = generator.integers(0, 4, size=(2, 9, 8, 3)).astype(np.float32)
    layer = (keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D)(size)
    upstream = generator.normal(size=(2, 9 // size, 8 // size, 3)).astype(np.float32)
    theirs, their_gradient = tape_gradient(layer, values, upstream)
    close(pool(values, size, kind), theirs)
    ours = pool_backward(upstream, values, size, kind)
    close(ours, their_gradient)
    if kind == "max":
        # Each window's gradient goes whole to one of its values, the same one as TensorFlow's.
        np.testing.assert_array_equal(ours, their_gradient)
        assert np.count_nonzero(ours) == upstream.size


def test_max_pooling_sends_a_tied_windows_gradient_to_its_first_largest_value_row_by_row():
    # The rule itself, worked by hand: a window [[1, 3], [3, 3]] passes its gradient to the 3 at the top right.
    values = np.array([[1, 3], [3, 3]], dtype=np.float32)[np.newaxis, :, :, np.newaxis]
    gradient = pool_backward(np.full((1, 1, 1, 1), 5.0, dtype=np.float32), values, 2)
    np.testing.assert_array_equal(gradient[0, :, :, 0], [[0, 5], [0, 0]])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softmax"])
def test_activations_match_keras_forward_and_backward(activation):
    keras = load_keras()
    generator = np.random.default_rng(3)
    values = generator.normal(0, 4, size=(4, 6)).astype(np.float32)
    values[0, :3] = 0.0  # a ReLU's kink: TensorFlow passes no gradient there
    values[1, :3] = [30.0, -30.0, 12.0]  # saturated tanh and sigmoid, a very sure softmax
    upstream = generator.normal(size=values.shape).astype(np.float32)
    theirs, their_gradient = tape_gradient(keras.activations.get(activation), values, upstream)
    ours = activate(values, activation)
    close(ours, theirs)
    close(activation_backward(upstream, ours, activation), their_gradient)


def test_dense_and_log_softmax_match_tensorflow():
    load_keras()
    import tensorflow as tf

    generator = np.random.default_rng(4)
    values = generator.normal(size=(3, 7)).astype(np.float32)
    kernel = generator.normal(size=(7, 5)).astype(np.float32)
    upstream = generator.normal(size=(3, 5)).astype(np.float32)
    _, their_gradient = tape_gradient(lambda inputs: tf.matmul(inputs, kernel), values, upstream)
    close(dense_backward(upstream, kernel), their_gradient)
    scores = np.array([[50.0, -50.0, 0.0, 1.0, 2.0], [0.1, 0.2, 0.3, 0.4, 0.5], [-3, 9, 1, 1, 0]], dtype=np.float32)
    theirs, their_gradient = tape_gradient(tf.nn.log_softmax, scores, upstream)
    close(log_softmax(scores), theirs)
    assert np.isfinite(log_softmax(scores)).all()  # -100 where the softmax itself rounds to 0
    close(log_softmax_backward(upstream, scores), their_gradient)


@pytest.fixture(scope="module")
def pictures(sample):
    """Three test digits and one picture of uniform noise, as model input: float32 (4, 28, 28, 1) in [0, 1]."""
    noise = np.random.default_rng(6).integers(0, 256, size=(1, 28, 28), dtype=np.uint8)
    return to_model_input(np.concatenate([sample.x_test[:3], noise]))


def check_output_gradients(network, model, pixels: np.ndarray) -> None:
    """Every kind of output gradient, for every target class of every picture, against TensorFlow's."""
    rows = np.repeat(np.arange(len(pixels)), 10)
    targets = np.tile(np.arange(10), len(pixels))
    scales = score_gradient_scales(model, pixels)[rows]
    for kind in ("score", "probability", "log_probability"):
        probabilities, gradient = output_gradient(network, pixels[rows], targets, kind)
        their_probabilities, their_gradient = keras_output_gradient(model, pixels[rows], targets, kind)
        close(probabilities, their_probabilities)
        assert gradient.dtype == np.float32 and np.abs(their_gradient).max() > 0
        for row, scale in enumerate(scales.ravel()):
            np.testing.assert_allclose(gradient[row], their_gradient[row], rtol=RTOL, atol=OUTPUT_ROUNDING * scale,
                                       err_msg=f"{kind} of {targets[row]} for picture {rows[row]}")


def check_unit_gradients(network, model, pixels: np.ndarray, layer_names: list[str]) -> None:
    """Each layer's units (a conv filter at its map's centre), one per picture, against TensorFlow's."""
    for layer_name in layer_names:
        count = len(network.parameters(layer_name)[1])
        units = np.arange(len(pixels)) * 7 % count
        values, gradient = unit_gradient(network, pixels, layer_name, units)
        their_values, their_gradient = keras_unit_gradient(model, pixels, layer_name, units)
        close(values, their_values)
        assert np.abs(their_gradient).max() > 0, layer_name
        close(gradient, their_gradient, scale=float(np.abs(their_gradient).max()))


def test_the_reference_models_gradients_match_tensorflow(reference_result, pictures):
    network, model = reference_result.network, reference_result.model
    check_output_gradients(network, model, pictures)
    check_unit_gradients(network, model, pictures, ["conv1", "conv2", "dense1", "dense2", "output"])


def test_any_upstream_gradient_goes_back_through_the_reference_model_as_in_tensorflow(reference_result, pictures):
    # Not only one unit at a time: a random mix of every value of conv2's map.
    scores, backward = scores_and_backward(reference_result.network, pictures, "conv2")
    upstream = np.random.default_rng(8).normal(size=scores.shape).astype(np.float32)
    their_scores, their_gradient = keras_scores_and_gradient(reference_result.model, pictures, "conv2", upstream)
    close(scores, their_scores)
    close(backward(upstream), their_gradient, scale=float(np.abs(their_gradient).max()))
    with pytest.raises(ValueError, match="the scores' shape"):
        backward(upstream[:, 1:])


def other_networks():
    """Random networks of the shapes the next settings offer: strides, "same" padding (with an even kernel, whose
    padding is lopsided), average pooling, a last partial pooling row, three conv layers, no pooling, tanh and
    sigmoid. Built when called, so that collecting the tests does not import TensorFlow."""
    layers = load_keras().layers
    return {
        "stride 2 same tanh, average pool, sigmoid": [
            layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh", name="conv1"),
            layers.AveragePooling2D(2, name="pool"),
            layers.Conv2D(3, 2, padding="same", activation="sigmoid", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),  # 7 × 7 into 3 × 3: the last row and column are dropped
            layers.Dropout(0.3, name="dropout"), layers.Flatten(name="flatten"),
            layers.Dense(6, activation="tanh", name="dense1"), layers.Dense(10, activation="softmax", name="output")],
        "three conv layers, 7×7 stride 2": [
            layers.Conv2D(5, 7, strides=2, activation="sigmoid", name="conv1"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Conv2D(4, 1, activation="relu", name="conv2"),
            layers.Conv2D(3, 3, strides=2, padding="same", activation="tanh", name="conv3"),
            layers.Flatten(name="flatten"), layers.Dense(10, activation="softmax", name="output")],
        "no pooling": [
            layers.Conv2D(3, 4, strides=2, activation="relu", name="conv1"),
            layers.Conv2D(2, 5, padding="same", activation="relu", name="conv2"),
            layers.Flatten(name="flatten"), layers.Dense(8, activation="sigmoid", name="dense1"),
            layers.Dense(10, activation="softmax", name="output")],
    }


def check_network_against_keras(network, model, digits, pictures) -> None:
    """Every layer's output for `digits`, then the gradients of the outputs and of every conv and dense unit, against
    the Keras model holding the same weights."""
    for index, digit in enumerate(digits):
        ours = network.layer_outputs(digit)
        for layer, mine, theirs in zip(network.layers, ours, keras_layer_outputs(model, digit), strict=True):
            np.testing.assert_allclose(mine[0], theirs, rtol=RTOL, atol=ATOL, err_msg=f"{layer.name}, digit {index}")
    check_output_gradients(network, model, pictures)
    check_unit_gradients(network, model, pictures, [layer.name for layer in network.layers
                                                    if layer.kind in ("Conv2D", "Dense")])


@pytest.mark.parametrize("name", ["stride 2 same tanh, average pool, sigmoid", "three conv layers, 7×7 stride 2",
                                  "no pooling"])
def test_networks_of_other_shapes_match_tensorflow_forward_and_backward(name, pictures, sample):
    model = random_keras_network(other_networks()[name], seed=len(name))
    network = KerasTwin(model)
    check_network_against_keras(network, model, sample.x_test[:2], pictures)


@pytest.mark.parametrize("name", [name for name in ARCHITECTURES if name != "reference"])
def test_networks_the_settings_build_match_tensorflow_forward_and_backward(name, pictures, sample):
    # The network of each architecture the Train page offers, as `Network` runs it from its settings (not a twin
    # read from Keras's layers), against the Keras model `build_model` makes of the same settings.
    # Keras's own starting weights, with a little noise so that the biases are not all zero.
    config = ARCHITECTURES[name][0]
    model = build_model(config)
    generator = np.random.default_rng(len(name))
    model.set_weights([values + generator.normal(0, 0.05, values.shape).astype(np.float32)
                       for values in model.get_weights()])
    network = Network(config, model.get_weights())
    check_network_against_keras(network, model, sample.x_test[:2], pictures)


def test_output_gradient_asks_for_a_known_kind(reference_result, pictures):
    with pytest.raises(ValueError, match="score, probability, log_probability, not 'logit'"):
        output_gradient(reference_result.network, pictures, np.zeros(len(pictures), dtype=int), "logit")
