"""Saliency: the gradient against finite differences of the Keras model's own outputs and against the TensorFlow
version the page used before (`tf.GradientTape`), and the map's shape and range."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import OUTPUT_ROUNDING, keras_output_gradient, score_gradient_scales

from cnnlab.digits.format import to_model_input
from cnnlab.lens.saliency import class_gradient, saliency_map
from cnnlab.network.backend import load_keras

STEP = 1e-3  # brightness on the model's 0–1 scale: small enough to rarely cross a ReLU's kink


@pytest.fixture(scope="module")
def digit(sample):
    return sample.x_test[11]


def probability(model, pixels: np.ndarray, target: int) -> float:
    return float(model.predict_on_batch(pixels)[0, target])


def score(model, pixels: np.ndarray, target: int) -> float:
    """The output layer's value before softmax, recomputed in NumPy from the last hidden layer's values."""
    hidden = load_keras().Model(model.inputs[0], model.get_layer("dense1").output).predict_on_batch(pixels)
    weights, bias = model.get_layer("output").get_weights()
    return float((np.asarray(hidden, dtype=np.float64) @ weights + bias)[0, target])


def candidate_pixels(gradient: np.ndarray) -> list[tuple[int, int]]:
    """The twenty pixels with the largest gradients and three on the plain background corners."""
    largest = np.argsort(np.abs(gradient).ravel())[::-1][:20]
    return [tuple(map(int, np.unravel_index(index, gradient.shape))) for index in largest] + [(0, 0), (0, 27),
                                                                                             (27, 0)]


@pytest.mark.parametrize(("kind", "function"), [("probability", probability), ("score", score)])
def test_gradient_matches_finite_differences(tiny_result, digit, kind, function):
    model = tiny_result.model
    pixels = to_model_input(digit).astype(np.float64)
    target = int(np.argmax(model.predict_on_batch(pixels.astype(np.float32))[0]))
    gradient = class_gradient(tiny_result.network, digit, target, kind=kind)
    assert gradient.shape == (28, 28) and gradient.dtype == np.float32
    scale = float(np.abs(gradient).max())
    assert scale > 0
    centre = function(model, pixels.astype(np.float32), target)
    compared = 0
    for row, column in candidate_pixels(gradient):
        up, down = pixels.copy(), pixels.copy()
        up[0, row, column, 0] += STEP
        down[0, row, column, 0] -= STEP
        forward = (function(model, up.astype(np.float32), target) - centre) / STEP
        backward = (centre - function(model, down.astype(np.float32), target)) / STEP
        # Where the two one-sided slopes differ, a ReLU switches or a pooling window has a tie right at this
        # pixel's value: there is no single derivative to compare with, so the pixel is skipped.
        if abs(forward - backward) > 0.02 * scale:
            continue
        compared += 1
        assert gradient[row, column] == pytest.approx((forward + backward) / 2, abs=0.02 * scale), (row, column)
    assert compared >= 8  # most pixels are smooth; the check must not skip its way to a pass


def test_gradient_of_another_class_differs(tiny_result, digit):
    first = class_gradient(tiny_result.network, digit, 0)
    second = class_gradient(tiny_result.network, digit, 1)
    assert not np.allclose(first, second)


def test_saliency_map_is_in_zero_to_one_with_the_input_shape(tiny_result, digit):
    saliency = saliency_map(class_gradient(tiny_result.network, digit, 3))
    assert saliency.shape == digit.shape and saliency.dtype == np.float32
    assert saliency.min() >= 0 and saliency.max() == pytest.approx(1.0)
    known = saliency_map(np.array([[-4.0, 2.0], [0.0, 1.0]]))
    np.testing.assert_allclose(known, [[1.0, 0.5], [0.0, 0.25]])
    np.testing.assert_array_equal(saliency_map(np.zeros((28, 28))), np.zeros((28, 28)))


def test_bad_requests_are_a_sentence(tiny_result, digit):
    with pytest.raises(ValueError, match="from 0 to 9, not 10"):
        class_gradient(tiny_result.network, digit, 10)
    with pytest.raises(ValueError, match="score or probability, not 'logit'"):
        class_gradient(tiny_result.network, digit, 1, kind="logit")


@pytest.mark.parametrize("kind", ["score", "probability"])
def test_the_reference_models_saliency_is_what_tensorflow_computed(reference_result, sample, kind):
    # Three test digits, each explained for the class it is read as and for the next digit.
    for digit in sample.x_test[:3]:
        pixels = to_model_input(digit)
        predicted = int(np.argmax(reference_result.network.predict_proba(digit)))
        scale = float(score_gradient_scales(reference_result.model, pixels)[0])
        for target in (predicted, (predicted + 1) % 10):
            gradient = class_gradient(reference_result.network, digit, target, kind=kind)
            theirs = keras_output_gradient(reference_result.model, pixels, [target], kind)[1][0, :, :, 0]
            tolerance = OUTPUT_ROUNDING * scale
            np.testing.assert_allclose(gradient, theirs, rtol=1e-4, atol=tolerance)
            # The map is the gradient's size over its largest: it moves by at most twice the gradient's error over
            # that largest value.
            largest = float(np.abs(theirs).max())
            np.testing.assert_allclose(saliency_map(gradient), saliency_map(theirs),
                                       atol=2 * (tolerance + 1e-4 * largest) / largest)
