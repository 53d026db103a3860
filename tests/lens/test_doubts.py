"""When an answer should not be trusted: pictures unlike any MNIST digit, and answers the network is unsure of."""

from __future__ import annotations

import numpy as np

from cnnlab.digits.datasets import load_dataset
from cnnlab.lens.sentences import MNIST_INK_SHARE, answer_doubts

SURE = np.array([0.01] * 9 + [0.91])


def test_the_ink_range_is_mnists_own():
    mnist = load_dataset("mnist")
    ink = np.concatenate([(mnist.x_train > 127).mean(axis=(1, 2)), (mnist.x_test > 127).mean(axis=(1, 2))])
    low, high = MNIST_INK_SHARE
    assert low <= ink.min() < low + 0.001 and high - 0.001 < ink.max() <= high


def test_a_real_digit_read_with_confidence_raises_no_doubt(sample):
    assert answer_doubts(sample.x_test[0], SURE) == []


def test_noise_is_not_a_digit_whatever_the_network_says():
    noise = np.random.default_rng(0).integers(0, 256, size=(28, 28), dtype=np.uint8)
    doubts = answer_doubts(noise, SURE)
    assert len(doubts) == 1 and "does not look like a handwritten digit" in doubts[0]
    assert f"{(noise > 127).mean():.0%} of the picture is ink, more than" in doubts[0]
    dot = np.zeros((28, 28), dtype=np.uint8)
    dot[14, 14] = 255
    assert "less than" in answer_doubts(dot, SURE)[0]


def test_an_answer_under_one_half_is_unsure_and_names_the_runner_up(sample):
    probabilities = np.array([0.05, 0.05, 0.05, 0.386, 0.05, 0.05, 0.05, 0.05, 0.264, 0.05])
    doubts = answer_doubts(sample.x_test[0], probabilities)
    assert doubts == ["The network is unsure: its answer 3 has only 39%; next comes 8 with 26%."]
