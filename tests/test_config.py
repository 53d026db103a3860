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
