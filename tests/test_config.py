"""Training settings: defaults of the reference model, and sentences for impossible values."""

from __future__ import annotations

import pytest

from cnnlab.config import TrainConfig


def test_defaults_are_the_reference_recipe():
    config = TrainConfig()
    assert (config.conv1_filters, config.conv2_filters, config.dropout) == (30, 15, 0.2)
    assert (config.dense_units, config.epochs, config.batch_size) == ((128, 50), 3, 100)
    assert (config.learning_rate, config.seed) == (0.001, 0)


def test_configs_are_hashable_cache_keys():
    assert hash(TrainConfig()) == hash(TrainConfig())
    assert len({TrainConfig(), TrainConfig(), TrainConfig(epochs=4)}) == 2
    with pytest.raises(AttributeError):
        TrainConfig().epochs = 5  # frozen


def test_a_list_of_dense_units_becomes_a_tuple():
    assert TrainConfig(dense_units=[64]).dense_units == (64,)
    hash(TrainConfig(dense_units=[64]))


@pytest.mark.parametrize(
    ("settings", "phrase"),
    [
        ({"conv1_filters": 0}, "filter count must be between 1 and 64"),
        ({"conv2_filters": 65}, "filter count must be between 1 and 64"),
        ({"epochs": 0}, "Epochs must be between 1 and 50"),
        ({"epochs": 51}, "Epochs must be between 1 and 50"),
        ({"epochs": 2.5}, "Epochs must be a whole number"),
        ({"dropout": -0.1}, "Dropout must be between 0 and 0.9"),
        ({"dropout": 0.95}, "Dropout must be between 0 and 0.9"),
        ({"dropout": float("nan")}, "Dropout must be between"),
        ({"batch_size": 0}, "Batch size must be between"),
        ({"learning_rate": 0.0}, "learning rate must be between"),
        ({"dense_units": (128, 0)}, "dense layer's size must be between"),
        ({"dense_units": (8,) * 5}, "at most 4"),
        ({"train_size": 5}, "number of training images must be between"),
        ({"conv1_filters": True}, "whole number"),
        ({"augment": "yes"}, "Augment must be True or False"),
    ],
)
def test_out_of_range_settings_are_refused_with_a_sentence(settings, phrase):
    with pytest.raises(ValueError, match=phrase):
        TrainConfig(**settings)


def test_a_linked_value_the_list_lacks_is_offered_in_order():
    from cnnlab.config import BATCH_SIZES, DENSE_CHOICES, TRAIN_SIZES, choices_with

    assert choices_with(BATCH_SIZES, 100) is BATCH_SIZES
    assert choices_with(BATCH_SIZES, 40) == [16, 32, 40, 50, 64, 100, 128, 200, 256, 512]
    assert choices_with(TRAIN_SIZES, 600) == [600, 1000, 2000, 5000, 10000, 20000, 30000, None]  # None: all, last
    assert choices_with(TRAIN_SIZES, None) is TRAIN_SIZES
    with_100 = choices_with(DENSE_CHOICES, (100,))  # hidden layers are ordered by their total units
    assert (100,) in with_100 and [sum(units) for units in with_100] == sorted(sum(units) for units in with_100)
