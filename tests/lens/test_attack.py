"""The gradient-sign attack: its gradient against finite differences and against `tf.GradientTape`, its result
against the Keras model's own answer and against the attack with TensorFlow's gradients (the page's before), the
budget checked on the uint8 pictures with NumPy; a budget too small is reported, not hidden."""

from __future__ import annotations

import numpy as np
import pytest
from keras_reference import keras_output_gradient

import cnnlab.lens.attack
from cnnlab.digits.format import to_model_input
from cnnlab.lens.attack import fool, target_gradient


def log_probability(model, pixels: np.ndarray, target: int) -> float:
    """log p(target) for float pixels (28, 28) in [0, 1], straight from the Keras model."""
    probabilities = np.asarray(model(pixels[np.newaxis, :, :, np.newaxis].astype(np.float32), training=False))
    return float(np.log(probabilities[0, target].astype(np.float64)))


def read_as(model, image: np.ndarray) -> int:
    """The model's answer for a uint8 (28, 28) digit, read by Keras itself (pixels / 255)."""
    return int(np.argmax(np.asarray(model(image[np.newaxis, :, :, np.newaxis] / 255.0, training=False))))


@pytest.fixture(scope="module")
def model(reference_result):
    """The reference model in Keras, the independent judge of what the network reads."""
    return reference_result.model


@pytest.fixture(scope="module")
def network(reference_result):
    """The same network in NumPy, which the attack runs on."""
    return reference_result.network


@pytest.fixture(scope="module")
def read_correctly(model, sample):
    """Indices of a few test digits (different labels) the model reads correctly."""
    chosen, seen = [], set()
    for index in np.random.default_rng(1).permutation(len(sample.y_test)):
        label = int(sample.y_test[index])
        if label not in seen and read_as(model, sample.x_test[index]) == label:
            chosen.append(int(index))
            seen.add(label)
        if len(chosen) == 4:
            return chosen
    raise AssertionError("the reference model reads too few test digits correctly")


def test_the_gradient_matches_finite_differences(model, network, sample, read_correctly):
    image = sample.x_test[read_correctly[0]]
    target = (int(sample.y_test[read_correctly[0]]) + 3) % 10
    _, gradient = target_gradient(network, image[np.newaxis], target)
    pixels = image.astype(np.float64) / 255.0
    step = 1e-3
    # Pixels with ink only: on the black background many conv outputs are exactly equal (the bias alone), and a max
    # pool over equal values has no derivative, so a central difference there measures half the gradient.
    inked = np.where(pixels > 0.2, np.abs(gradient[0]), 0.0)
    for row, column in np.argwhere(inked >= np.sort(inked.ravel())[-3]):
        up, down = pixels.copy(), pixels.copy()
        up[row, column] += step
        down[row, column] -= step
        slope = (log_probability(model, up, target) - log_probability(model, down, target)) / (2 * step)
        assert gradient[0, row, column] == pytest.approx(slope, rel=0.05, abs=1e-3)


def test_the_attacked_digit_is_read_as_the_target_within_the_budget(model, network, sample, read_correctly):
    successes = 0
    for index in read_correctly:
        image, label = sample.x_test[index], int(sample.y_test[index])
        target = (label + 1) % 10
        budget = 128
        result = fool(network, image, target, budget=budget, steps=10)
        assert result.attacked.dtype == np.uint8 and result.attacked.shape == (28, 28)
        assert np.array_equal(result.original, image)
        change = result.attacked.astype(np.int64) - image.astype(np.int64)
        assert np.abs(change).max() <= budget
        assert result.largest_change == np.abs(change).max()
        if result.succeeded:
            successes += 1
            assert read_as(model, result.attacked) == target, result.message
            assert f"reads {target}" in result.message
        else:
            assert read_as(model, result.attacked) != target
    # Measured: with 128 grey levels and 10 steps the reference model is fooled on 20 of 20 sample digits.
    assert successes >= 3


def test_the_change_found_is_smaller_than_a_generous_budget(network, sample, read_correctly):
    image = sample.x_test[read_correctly[1]]
    target = (int(sample.y_test[read_correctly[1]]) + 1) % 10
    result = fool(network, image, target, budget=200, steps=10)
    assert result.succeeded, result.message
    # Eight budgets are tried at once and the smallest that works is kept, not the whole 200.
    assert result.largest_change < 200


def test_a_budget_too_small_is_a_sentence_not_a_lie(model, network, sample, read_correctly):
    image = sample.x_test[read_correctly[2]]
    label = int(sample.y_test[read_correctly[2]])
    target = (label + 5) % 10
    result = fool(network, image, target, budget=1, steps=3)
    assert not result.succeeded
    assert np.abs(result.attacked.astype(np.int64) - image.astype(np.int64)).max() <= 1
    assert read_as(model, result.attacked) != target
    assert result.message.startswith("Within 1 grey level per pixel, 3 steps did not make the network read")
    assert "Allow a larger change" in result.message


def test_bad_requests_are_sentences(network, sample, read_correctly):
    image = sample.x_test[read_correctly[0]]
    label = int(sample.y_test[read_correctly[0]])
    with pytest.raises(ValueError, match="already reads this digit as"):
        fool(network, image, label)
    with pytest.raises(ValueError, match="budget must be a whole number from 1 to 255"):
        fool(network, image, (label + 1) % 10, budget=0)
    with pytest.raises(ValueError, match="digit to aim for"):
        fool(network, image, 10)
    with pytest.raises(ValueError, match="uint8 28×28"):
        fool(network, image / 255.0, (label + 1) % 10)


def tensorflow_target_gradient(model):
    """`target_gradient` as the page computed it before: probabilities and d log p(target) / d pixel from the Keras
    model and `tf.GradientTape`."""
    def gradient_of(network, images, target):
        probabilities, gradient = keras_output_gradient(model, to_model_input(images), np.full(len(images), target),
                                                        "log_probability")
        return probabilities, gradient[..., 0]

    return gradient_of


@pytest.mark.parametrize(("budget", "steps"), [(96, 10), (200, 4), (8, 3)])
def test_the_attack_finds_what_it_found_with_tensorflows_gradients(model, network, sample, read_correctly, budget,
                                                                   steps, monkeypatch):
    # Three test digits, each aimed at the next digit: the same pictures step by step, so the same result, whether
    # the sign of each pixel's gradient comes from NumPy or from TensorFlow. The small budget fails on all three.
    attacks = [(sample.x_test[index], (int(sample.y_test[index]) + 1) % 10) for index in read_correctly[:3]]
    ours = [fool(network, image, target, budget=budget, steps=steps) for image, target in attacks]
    monkeypatch.setattr(cnnlab.lens.attack, "target_gradient", tensorflow_target_gradient(model))
    theirs = [fool(network, image, target, budget=budget, steps=steps) for image, target in attacks]
    for mine, their in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.attacked, their.attacked)
        assert (mine.attacked_prediction, mine.steps, mine.succeeded) == (their.attacked_prediction, their.steps,
                                                                         their.succeeded)
        np.testing.assert_allclose(mine.attacked_probabilities, their.attacked_probabilities, atol=1e-5)
        assert read_as(model, mine.attacked) == mine.attacked_prediction
    assert [mine.succeeded for mine in ours] == ([False] * 3 if budget == 8 else [True] * 3)
