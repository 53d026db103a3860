"""The explained arithmetic of one value, checked against the model's own output and a plain-Python recomputation."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.lens.activations import layer_activations
from cnnlab.lens.arithmetic import conv_arithmetic, pool_arithmetic

# Corners, the middle and a few others; the ReLU both passes and clips among them for the sample digit.
POSITIONS = [(0, 0), (0, 23), (23, 0), (23, 23), (11, 12), (5, 17), (18, 6)]


@pytest.fixture(scope="module")
def digit(sample):
    return sample.x_test[3]


@pytest.fixture(scope="module")
def outputs(tiny_result, digit):
    return {layer.name: layer.output for layer in layer_activations(tiny_result.network, digit)}


def plain_conv_value(image, kernels, biases, filter_index, row, column) -> float:
    """One conv output written out as nested loops in Python floats: image (h, w, c), kernels (k, k, c, f)."""
    size, _, channels, _ = kernels.shape
    total = 0.0
    for i in range(size):
        for j in range(size):
            for channel in range(channels):
                total += float(image[row + i][column + j][channel]) * float(kernels[i][j][channel][filter_index])
    return max(total + float(biases[filter_index]), 0.0)


@pytest.mark.parametrize(("row", "column"), POSITIONS)
def test_conv1_value_equals_the_model_and_a_plain_sum(tiny_result, digit, outputs, row, column):
    kernels, biases = tiny_result.model.get_layer("conv1").get_weights()
    image = digit[..., None] / 255.0
    for filter_index in range(kernels.shape[3]):
        explained = conv_arithmetic(tiny_result.network, "conv1", image, filter_index, row, column)
        assert explained.value == pytest.approx(float(outputs["conv1"][row, column, filter_index]), abs=1e-5)
        assert explained.value == pytest.approx(plain_conv_value(image, kernels, biases, filter_index, row, column),
                                                abs=1e-5)
        assert explained.patch.shape == explained.kernel.shape == explained.products.shape == (5, 5, 1)
        np.testing.assert_allclose(explained.patch[..., 0], digit[row : row + 5, column : column + 5] / 255.0)
        assert explained.total == pytest.approx(float(explained.products.sum()), abs=1e-5)
        assert explained.before_relu == pytest.approx(explained.total + explained.bias)


def test_the_sample_positions_include_clipped_and_passed_values(tiny_result, digit):
    image = digit[..., None] / 255.0
    before = [conv_arithmetic(tiny_result.network, "conv1", image, f, r, c).before_relu
              for r, c in POSITIONS for f in range(6)]
    assert min(before) < 0 < max(before)  # so the ReLU half of the check above is exercised


@pytest.mark.parametrize(("row", "column"), [(0, 0), (9, 9), (4, 7), (7, 2)])
def test_conv2_value_sums_over_every_input_channel(tiny_result, outputs, row, column):
    kernels, biases = tiny_result.model.get_layer("conv2").get_weights()
    pooled = outputs["pool"]
    for filter_index in range(kernels.shape[3]):
        explained = conv_arithmetic(tiny_result.network, "conv2", pooled, filter_index, row, column)
        assert explained.channel_sums.shape == (6,)
        assert explained.value == pytest.approx(float(outputs["conv2"][row, column, filter_index]), abs=1e-5)
        assert explained.value == pytest.approx(plain_conv_value(pooled, kernels, biases, filter_index, row, column),
                                                abs=1e-5)
        # Each channel's share, recomputed on its own from the 3×3 patch of that channel.
        for channel in range(6):
            share = sum(float(pooled[row + i, column + j, channel]) * float(kernels[i, j, channel, filter_index])
                        for i in range(3) for j in range(3))
            assert explained.channel_sums[channel] == pytest.approx(share, abs=1e-5)


@pytest.mark.parametrize(("row", "column"), [(0, 0), (11, 11), (5, 6)])
def test_pool_value_is_the_winner_of_its_window(outputs, row, column):
    conv1 = outputs["conv1"]
    for channel in range(conv1.shape[2]):
        explained = pool_arithmetic(conv1, channel, row, column)
        assert explained.value == pytest.approx(float(outputs["pool"][row, column, channel]), abs=1e-6)
        window = [float(conv1[2 * row + i, 2 * column + j, channel]) for i in range(2) for j in range(2)]
        assert explained.value == max(window)
        winner_row, winner_column = explained.winner
        assert conv1[explained.top + winner_row, explained.left + winner_column, channel] == max(window)
        assert (explained.top, explained.left) == (2 * row, 2 * column)


def test_pool_winner_position_on_a_known_map():
    maps = np.zeros((4, 4, 1), dtype=np.float32)
    maps[3, 2, 0] = 5.0
    explained = pool_arithmetic(maps, 0, 1, 1)
    assert explained.winner == (1, 0) and explained.value == 5.0


def test_positions_outside_the_map_are_a_sentence(tiny_result, digit, outputs):
    image = digit[..., None] / 255.0
    with pytest.raises(ValueError, match="row must be between 1 and 24; 25"):
        conv_arithmetic(tiny_result.network, "conv1", image, 0, 24, 0)
    with pytest.raises(ValueError, match="filter number must be between 1 and 6"):
        conv_arithmetic(tiny_result.network, "conv1", image, 6, 0, 0)
    with pytest.raises(ValueError, match="6 channels"):
        conv_arithmetic(tiny_result.network, "conv2", image, 0, 0, 0)
    with pytest.raises(ValueError, match="not a conv layer"):
        conv_arithmetic(tiny_result.network, "pool", image, 0, 0, 0)
    with pytest.raises(ValueError, match="column must be between 1 and 12"):
        pool_arithmetic(outputs["conv1"], 0, 0, 12)
