"""Training settings: defaults of the reference model, and sentences for impossible values."""

from __future__ import annotations

import pytest

from cnnlab.config import TrainConfig


def test_defaults_are_the_reference_recipe():
    config = TrainConfig()
    assert (config.conv_layers, config.dropout) == (((30, 5), (15, 3)), 0.2)
    assert (config.pooling, config.padding, config.stride, config.activation) == ("max", "valid", 1, "relu")
    assert config.optimizer == "rmsprop"
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
        ({"conv_layers": ((0, 5), (15, 3))}, "Conv layer 1's filter count must be between 1 and 64"),
        ({"conv_layers": ((30, 5), (65, 3))}, "Conv layer 2's filter count must be between 1 and 64"),
        ({"conv_layers": ((30, 8),)}, "Conv layer 1's kernel size must be between 1 and 7"),
        ({"conv_layers": ((30, 0), (4, 4))}, "kernel size must be between 1 and 7"),
        ({"conv_layers": ()}, "1 to 3 pairs of"),
        ({"conv_layers": ((4, 3),) * 4}, "1 to 3 pairs of"),
        ({"conv_layers": (30, 5)}, "pairs of \\(filters, kernel size\\)"),
        ({"conv_layers": ((True, 5),)}, "whole number"),
        ({"pooling": "min"}, "Pooling must be one of max, average, none"),
        ({"padding": "full"}, "Padding must be one of valid, same"),
        ({"stride": 3}, "The stride must be one of 1, 2"),
        ({"stride": True}, "The stride must be one of"),
        ({"activation": "softmax"}, "The activation must be one of relu, tanh, sigmoid"),
        ({"optimizer": "adagrad"}, "The optimiser must be one of rmsprop, adam, sgd"),
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
        ({"augment": "yes"}, "Augment must be True or False"),
    ],
)
def test_out_of_range_settings_are_refused_with_a_sentence(settings, phrase):
    with pytest.raises(ValueError, match=phrase):
        TrainConfig(**settings)


def test_lists_of_conv_layers_become_tuples():
    config = TrainConfig(conv_layers=[[8, 3], [16, 3]])
    assert config.conv_layers == ((8, 3), (16, 3))
    hash(config)


def test_models_stored_before_the_architecture_could_be_chosen_keep_their_record():
    # The record an older CNN Lab wrote for the reference settings: a stored model's file name is a hash of it.
    old = {"conv1_filters": 30, "conv2_filters": 15, "dropout": 0.2, "dense_units": (128, 50), "epochs": 3,
           "batch_size": 100, "learning_rate": 0.001, "seed": 0, "train_size": None, "augment": False,
           "validation_fraction": 0.1}
    assert TrainConfig().to_dict() == old
    assert TrainConfig.from_dict(old) == TrainConfig()
    assert TrainConfig.from_dict({**old, "conv1_filters": 8}).conv_layers == ((8, 5), (15, 3))
    assert TrainConfig.from_dict({"conv2_filters": 4}).conv_layers == ((30, 5), (4, 3))


@pytest.mark.parametrize("config", [
    TrainConfig(conv_layers=((8, 3), (16, 3), (32, 3)), padding="same", stride=2, activation="tanh",
                optimizer="adam"),
    TrainConfig(conv_layers=((10, 7),), pooling="none"),
    TrainConfig(conv_layers=((4, 5), (6, 3)), activation="sigmoid", optimizer="sgd", pooling="average"),
])
def test_any_architecture_reads_back_from_its_record(config):
    import json

    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_conv_layers_given_twice_are_refused():
    with pytest.raises(ValueError, match="twice"):
        TrainConfig.from_dict({"conv_layers": ((4, 3),), "conv1_filters": 8})


def test_a_linked_value_the_list_lacks_is_offered_in_order():
    from cnnlab.config import BATCH_SIZES, DENSE_CHOICES, TRAIN_SIZES, choices_with

    assert choices_with(BATCH_SIZES, 100) is BATCH_SIZES
    assert choices_with(BATCH_SIZES, 40) == [16, 32, 40, 50, 64, 100, 128, 200, 256, 512]
    assert choices_with(TRAIN_SIZES, 600) == [600, 1000, 2000, 5000, 10000, 20000, 30000, None]  # None: all, last
    assert choices_with(TRAIN_SIZES, None) is TRAIN_SIZES
    with_100 = choices_with(DENSE_CHOICES, (100,))  # hidden layers are ordered by their total units
    assert (100,) in with_100 and [sum(units) for units in with_100] == sorted(sum(units) for units in with_100)
