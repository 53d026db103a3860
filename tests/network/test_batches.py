"""Which images train and in what batches: a balanced subset, validation held apart, and batches that are exactly
the chosen digits, scaled to [0, 1], in an order drawn from the seed.

References: label counts worked out by hand, and the pixels divided by 255 here, not by `to_model_input`.
"""

from __future__ import annotations

import numpy as np

from cnnlab.config import TrainConfig
from cnnlab.network.backend import load_keras
from cnnlab.network.batches import make_batches, split_indices


def test_a_subset_keeps_every_digit_in_balance():
    labels = np.repeat(np.arange(10), 100)
    config = TrainConfig(train_size=200, validation_fraction=0.0)
    chosen, held_back = split_indices(labels, config)
    assert len(chosen) == 200 and len(held_back) == 0
    assert np.bincount(labels[chosen], minlength=10).tolist() == [20] * 10
    again, _ = split_indices(labels, config)
    np.testing.assert_array_equal(chosen, again)


def test_validation_images_are_never_trained_on():
    labels = np.repeat(np.arange(10), 50)
    trained, validated = split_indices(labels, TrainConfig(validation_fraction=0.2))
    assert len(validated) == 100 and len(trained) == 400
    assert not set(trained) & set(validated)


def epoch_of(batches) -> tuple[np.ndarray, np.ndarray]:
    """Every batch of one epoch, joined: float images (n, 28, 28, 1) and labels (n,)."""
    items = [batches[index] for index in range(len(batches))]
    return np.concatenate([images for images, _ in items]), np.concatenate([labels for _, labels in items])


def test_the_batches_are_the_chosen_digits_scaled_to_0_1():
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    labels = np.arange(40) % 10
    chosen = np.array([3, 17, 5, 38, 22, 9, 0])
    batches = make_batches(load_keras(), images, labels, TrainConfig(batch_size=3), shuffle=False, indices=chosen)
    assert len(batches) == 3  # 7 digits in batches of at most 3
    assert [len(batches[index][1]) for index in range(3)] == [3, 3, 1]
    batch_images, batch_labels = epoch_of(batches)
    assert batch_images.dtype == np.float32 and batch_images.shape == (7, 28, 28, 1)
    np.testing.assert_allclose(batch_images[..., 0], images[chosen] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(batch_labels, labels[chosen])


def test_shuffled_batches_hold_every_chosen_digit_once_in_an_order_the_seed_draws():
    images = np.repeat(np.arange(30, dtype=np.uint8)[:, None, None], 28 * 28, axis=1).reshape(30, 28, 28)
    labels = np.arange(30)  # the label names the digit, so the order can be read off the labels
    chosen = np.arange(0, 30, 2)
    config = TrainConfig(batch_size=4, augment=False)
    batches = make_batches(load_keras(), images, labels, config, shuffle=True, indices=chosen)
    first = epoch_of(batches)[1]
    assert sorted(first) == list(chosen)
    batches.on_epoch_end()
    second = epoch_of(batches)[1]
    assert sorted(second) == list(chosen) and not np.array_equal(first, second)  # a new order every epoch
    again = make_batches(load_keras(), images, labels, config, shuffle=True, indices=chosen)
    np.testing.assert_array_equal(epoch_of(again)[1], first)  # the same seed, the same order
