"""Share and keep: settings to a link and back, and PNG files read by Pillow (the .keras file has its own tests,
network/test_keras_file.py)."""

from __future__ import annotations

import io
from dataclasses import fields
from urllib.parse import parse_qsl, urlencode

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cnnlab import config as ranges
from cnnlab.config import TrainConfig
from cnnlab.pictures.images import kernel_mosaic, png_bytes
from cnnlab.pictures.links import config_from_query, config_to_query


def test_the_reference_model_needs_no_settings_in_the_link():
    assert config_to_query(TrainConfig()) == {}
    assert config_from_query({}) == TrainConfig()


def test_changed_settings_are_written_as_plain_text():
    config = TrainConfig(conv_layers=((4, 5), (15, 3)), epochs=1, dense_units=(64, 32), dropout=0.35,
                         learning_rate=0.0003, train_size=600, augment=True)
    assert config_to_query(config) == {"conv": "4x5,15x3", "epochs": "1", "dense_units": "64-32",
                                       "dropout": "0.35", "learning_rate": "0.0003", "train_size": "600",
                                       "augment": "yes"}
    architecture = TrainConfig(conv_layers=((16, 3), (32, 3), (64, 3)), pooling="average", padding="same", stride=2,
                               activation="tanh", optimizer="adam")
    assert config_to_query(architecture) == {"conv": "16x3,32x3,64x3", "pool": "average", "padding": "same",
                                             "stride": "2", "activation": "tanh", "optimizer": "adam"}
    assert config_to_query(TrainConfig(dense_units=())) == {"dense_units": "none"}


@pytest.mark.parametrize("config", [
    TrainConfig(conv_layers=((4, 5), (15, 3)), epochs=1),
    TrainConfig(dense_units=(), augment=True, seed=7, batch_size=32, validation_fraction=0.2),
    TrainConfig(dense_units=(256, 128, 64), dropout=0.0, learning_rate=1.0, train_size=20_000),
    TrainConfig(conv_layers=((16, 3), (32, 3), (64, 3)), padding="same", activation="tanh", optimizer="adam"),
    TrainConfig(conv_layers=((7, 7),), pooling="none", stride=2, activation="sigmoid", optimizer="sgd"),
])
def test_a_link_opens_the_same_settings(config):
    assert config_from_query(config_to_query(config)) == config


# Every valid value of each setting, drawn from cnnlab.config's own ranges and choices.
VALID_VALUES = {
    "conv_layers": st.lists(st.tuples(st.integers(*ranges.FILTERS_RANGE), st.integers(*ranges.KERNEL_SIZE_RANGE)),
                            min_size=ranges.CONV_LAYERS_RANGE[0], max_size=ranges.CONV_LAYERS_RANGE[1]).map(tuple),
    "pooling": st.sampled_from(ranges.POOLINGS),
    "padding": st.sampled_from(ranges.PADDINGS),
    "stride": st.sampled_from(ranges.STRIDES),
    "activation": st.sampled_from(ranges.ACTIVATIONS),
    "dropout": st.floats(*ranges.DROPOUT_RANGE),
    "dense_units": st.lists(st.integers(*ranges.DENSE_UNITS_RANGE), max_size=ranges.MAX_DENSE_LAYERS).map(tuple),
    "optimizer": st.sampled_from(ranges.OPTIMIZERS),
    "epochs": st.integers(*ranges.EPOCHS_RANGE),
    "batch_size": st.integers(*ranges.BATCH_SIZE_RANGE),
    "learning_rate": st.floats(*ranges.LEARNING_RATE_RANGE),
    "seed": st.integers(*ranges.SEED_RANGE),
    "train_size": st.none() | st.integers(ranges.MIN_TRAIN_SIZE, 10_000_000),  # TrainConfig's own upper bound
    "augment": st.booleans(),
    "validation_fraction": st.floats(*ranges.VALIDATION_FRACTION_RANGE),
}


def test_every_setting_has_values_to_try():
    assert set(VALID_VALUES) == {field.name for field in fields(TrainConfig)}, "a new setting needs a strategy here"


# No deadline: each example takes microseconds, and a busy shared host must not make the test flaky.
@settings(deadline=None)
@given(st.fixed_dictionaries(VALID_VALUES).map(lambda values: TrainConfig(**values)))
def test_any_valid_settings_survive_the_address_bar(config):
    # Through the URL's own encoding too, as a shared link travels.
    query = dict(parse_qsl(urlencode(config_to_query(config)), keep_blank_values=True))
    assert config_from_query(query) == config


def test_a_learning_rate_of_many_digits_opens_the_same_model():
    config = TrainConfig(learning_rate=0.0012345678)
    assert config_to_query(config) == {"learning_rate": "0.0012345678"}
    assert config_from_query(config_to_query(config)).learning_rate == 0.0012345678


def test_ordinary_numbers_stay_short():
    config = TrainConfig(learning_rate=1.0, dropout=0.5, validation_fraction=0.25)
    assert config_to_query(config) == {"learning_rate": "1", "dropout": "0.5", "validation_fraction": "0.25"}
    assert config_to_query(TrainConfig(learning_rate=1e-5)) == {"learning_rate": "1e-05"}


def test_a_hand_written_link_is_read():
    query = {"conv": "16x3,32x3,64X3", "padding": "same", "activation": "Tanh", "optimizer": "adam", "epochs": "1"}
    assert config_from_query(query) == TrainConfig(conv_layers=((16, 3), (32, 3), (64, 3)), padding="same",
                                                   activation="tanh", optimizer="adam", epochs=1)


def test_a_link_written_before_the_conv_layers_could_be_chosen_still_opens_its_model():
    query = {"conv1_filters": "8", "dense_units": "none", "train_size": "all", "augment": "no", "utm": "x"}
    assert config_from_query(query) == TrainConfig(conv_layers=((8, 5), (15, 3)), dense_units=())
    assert config_from_query({"conv2_filters": "4"}) == TrainConfig(conv_layers=((30, 5), (4, 3)))
    # Edited by hand to name the conv layers both ways: the newer form wins.
    assert config_from_query({"conv": "7x7", "conv1_filters": "8"}) == TrainConfig(conv_layers=((7, 7),))


@pytest.mark.parametrize(("query", "message"), [
    ({"epochs": "three"}, "epochs is 'three', which is not a valid value"),
    ({"dense_units": "128-x"}, "dense units is '128-x'"),
    ({"augment": "maybe"}, "augment is 'maybe'"),
    ({"conv1_filters": "500"}, "between 1 and 64"),  # parsed fine, refused by TrainConfig's own check
    ({"conv": "30x5,15"}, "conv is '30x5,15'.*such as 30x5,15x3"),
    ({"conv": "30x9"}, "kernel size must be between 1 and 7"),
    ({"pool": "min"}, "Pooling must be one of max, average, none"),
    ({"stride": "two"}, "stride is 'two'"),
])
def test_a_broken_link_is_a_sentence(query, message):
    with pytest.raises(ValueError, match=message):
        config_from_query(query)


def test_png_bytes_read_back_by_pillow():
    picture = np.zeros((4, 6, 3), dtype=np.uint8)
    picture[1, 2] = (10, 200, 30)
    read = np.asarray(Image.open(io.BytesIO(png_bytes(picture))))
    np.testing.assert_array_equal(read, picture)
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png_bytes(grey)))), grey)
    with pytest.raises(ValueError, match="uint8"):
        png_bytes(np.zeros((3, 3), dtype=np.float32))


def test_kernel_mosaic_colours_and_layout():
    kernels = np.zeros((2, 2, 1, 3), dtype=np.float32)
    kernels[0, 0, 0, 0] = 1.0  # full blue
    kernels[1, 1, 0, 2] = -0.5  # half red
    mosaic = kernel_mosaic(kernels, scale=3, gap=1)
    assert mosaic.shape == (6, 3 * 6 + 2, 3)  # one row of three 6-pixel tiles with 1-pixel gaps
    np.testing.assert_array_equal(mosaic[0, 0], [33, 102, 172])
    np.testing.assert_array_equal(mosaic[5, 14 + 5], [216, 140, 149])
    np.testing.assert_array_equal(mosaic[0, 7], [255, 255, 255])  # zero weight is white
    np.testing.assert_array_equal(mosaic[:, 6], np.full((6, 3), 255))  # the gap
