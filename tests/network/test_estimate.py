"""Training-time estimates: the network's multiply-adds against independent counts, and how the estimate scales."""

from __future__ import annotations

import pytest
from architectures import ARCHITECTURES

from cnnlab.config import TrainConfig
from cnnlab.network.estimate import (
    DEFAULT_MULTIPLY_ADDS_PER_SECOND,
    FORWARD_SHARE,
    SECONDS_PER_STEP,
    describe_duration,
    estimated_training_seconds,
    multiply_adds_per_image,
)
from cnnlab.network.model import summarize_config
from cnnlab.network.training import SCORING_BATCH_SIZE


def test_the_default_network_costs_1035900_multiply_adds_per_image():
    # Written out layer by layer: kernel_h × kernel_w × in_channels × out_h × out_w × filters for a conv layer,
    # inputs × outputs for a dense layer; pooling, dropout and flatten multiply nothing.
    conv1 = 5 * 5 * 1 * 24 * 24 * 30
    conv2 = 3 * 3 * 30 * 10 * 10 * 15
    dense1, dense2, output = 1500 * 128, 128 * 50, 50 * 10
    assert multiply_adds_per_image(TrainConfig()) == conv1 + conv2 + dense1 + dense2 + output == 1_035_900


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(conv_layers=((8, 5), (15, 3))),
        TrainConfig(conv_layers=((1, 5), (64, 3)), dense_units=()),
        TrainConfig(conv_layers=((64, 5), (1, 3)), dense_units=(7, 9, 11)),
        TrainConfig(conv_layers=((64, 5), (64, 3)), dense_units=(256, 128, 64)),
        *(config for config, _ in ARCHITECTURES.values()),
    ],
)
def test_multiply_adds_agree_with_a_count_from_the_parameter_table(config):
    # A different route: every weight (a parameter that is not a bias) is used once per output position, and
    # the parameter table is checked against Keras in test_model.py.
    rows = summarize_config(config)
    count = 0
    for row in rows:
        if row["params"] == 0:
            continue
        biases = row["output_shape"][-1]
        positions = row["output_shape"][1] * row["output_shape"][2] if len(row["output_shape"]) == 4 else 1
        count += (row["params"] - biases) * positions
    assert multiply_adds_per_image(config) == count


def test_the_estimate_grows_with_images_epochs_and_network_and_shrinks_with_throughput():
    default = TrainConfig()
    full = estimated_training_seconds(default, 60_000)
    assert estimated_training_seconds(TrainConfig(train_size=1000), 60_000) < full / 10
    assert estimated_training_seconds(TrainConfig(epochs=6), 60_000) > 1.8 * full
    assert estimated_training_seconds(TrainConfig(conv_layers=((64, 5), (64, 3))), 60_000) > 2 * full
    assert estimated_training_seconds(default, 60_000, multiply_adds_per_second=4e9) < full / 2
    # train_size takes at most the images there are; test images add their forward passes.
    capped = estimated_training_seconds(TrainConfig(train_size=10_000), 2_000)
    assert capped == estimated_training_seconds(default, 2_000)
    assert estimated_training_seconds(default, 60_000, test_images=10_000) > full


def test_test_digits_are_counted_in_the_scoring_batches_training_uses():
    # 10,000 test digits in batches of 500 are 20 steps, whatever the training's own batch size; in batches of 1
    # they would be 10,000, each costing SECONDS_PER_STEP.
    small_batches = TrainConfig(batch_size=1)
    with_test = estimated_training_seconds(small_batches, 1_000, test_images=10_000)
    without = estimated_training_seconds(small_batches, 1_000)
    arithmetic = 10_000 * FORWARD_SHARE * multiply_adds_per_image(small_batches) / DEFAULT_MULTIPLY_ADDS_PER_SECOND
    assert with_test - without == pytest.approx(10_000 / SCORING_BATCH_SIZE * SECONDS_PER_STEP + arithmetic)


def test_smaller_batches_cost_more_steps():
    assert estimated_training_seconds(TrainConfig(batch_size=16), 60_000) > estimated_training_seconds(
        TrainConfig(), 60_000)


@pytest.mark.parametrize("images", [0, -5, 1.5, True, "60000"])
def test_a_wrong_number_of_images_is_a_sentence(images):
    with pytest.raises(ValueError, match="number of training images"):
        estimated_training_seconds(TrainConfig(), images)


@pytest.mark.parametrize("rate", [0, -1.0, float("nan"), float("inf"), "fast"])
def test_a_wrong_throughput_is_a_sentence(rate):
    with pytest.raises(ValueError, match="throughput must be a positive number"):
        estimated_training_seconds(TrainConfig(), 1000, multiply_adds_per_second=rate)


@pytest.mark.parametrize(
    "seconds, text",
    [(0.2, "about 1 s"), (4.4, "about 4 s"), (37, "about 40 s"), (89, "about 90 s"), (170, "about 3 min"),
     (7200, "about 2.0 h")],
)
def test_durations_read_as_a_student_would_say_them(seconds, text):
    assert describe_duration(seconds) == text


def test_three_conv_layers_with_same_padding_and_stride_2_cost_38496_multiply_adds():
    # Written out by hand for tests/architectures.py's network: each conv value is a 3 × 3 × input-channels dot
    # product (the padding's zeros included), on maps of 14 × 14, 4 × 4 and 1 × 1; then dense 32 → 32 → 10.
    config = ARCHITECTURES["three same stride 2"][0]
    conv1, conv2, conv3 = 14 * 14 * 8 * 3 * 3 * 1, 4 * 4 * 16 * 3 * 3 * 8, 1 * 1 * 32 * 3 * 3 * 16
    assert multiply_adds_per_image(config) == conv1 + conv2 + conv3 + 32 * 32 + 32 * 10 == 38_496
    # Pooling, padding and stride change the cost as the layers' sizes say: no pooling keeps the maps large.
    unpooled = multiply_adds_per_image(TrainConfig(pooling="none"))
    assert unpooled == 24 * 24 * 30 * 25 + 22 * 22 * 15 * 9 * 30 + 22 * 22 * 15 * 128 + 128 * 50 + 50 * 10
