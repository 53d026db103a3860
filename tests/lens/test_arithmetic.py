"""The explained arithmetic of one value, checked against the model's own output and a plain-Python recomputation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from architectures import ARCHITECTURES

from cnnlab.lens.activations import layer_activations
from cnnlab.lens.arithmetic import activation_text, conv_arithmetic, patch_place_text, pool_arithmetic
from cnnlab.network.model import same_padding

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
        assert explained.before_activation == pytest.approx(explained.total + explained.bias)


def test_the_sample_positions_include_clipped_and_passed_values(tiny_result, digit):
    image = digit[..., None] / 255.0
    before = [conv_arithmetic(tiny_result.network, "conv1", image, f, r, c).before_activation
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


def keras_network_of(name: str):
    """(NumPy network, Keras layer outputs for a digit, the digit as input) of one of tests/architectures.py's
    networks, with Keras's starting weights and a little noise (so biases are not all zero)."""
    from cnnlab.network.forward import Network
    from cnnlab.network.model import build_model

    config = ARCHITECTURES[name][0]
    model = build_model(config)
    generator = np.random.default_rng(3)
    model.set_weights([values + generator.normal(0, 0.05, values.shape).astype(np.float32)
                       for values in model.get_weights()])
    return Network(config, model.get_weights()), model


def padded_plain_value(image, kernels, biases, filter_index, row, column, stride, before, activation) -> float:
    """One conv output in Python floats, the input read through explicit zero padding (`before` zeros above and
    left) and moved `stride` pixels per output."""
    size, _, channels, _ = kernels.shape
    total = 0.0
    for i in range(size):
        for j in range(size):
            y, x = row * stride + i - before, column * stride + j - before
            if 0 <= y < image.shape[0] and 0 <= x < image.shape[1]:
                for channel in range(channels):
                    total += float(image[y][x][channel]) * float(kernels[i][j][channel][filter_index])
    total += float(biases[filter_index])
    return {"relu": max(total, 0.0), "tanh": math.tanh(total), "sigmoid": 1 / (1 + math.exp(-total))}[activation]


@pytest.mark.parametrize("name", [name for name in ARCHITECTURES if name != "reference"])
def test_conv_values_with_padding_stride_and_any_activation_equal_keras(name, sample):
    network, model = keras_network_of(name)
    from helpers import keras_layer_outputs

    digit = sample.x_test[3]
    outputs = dict(zip([layer.name for layer in model.layers], keras_layer_outputs(model, digit), strict=True))
    names = [layer.name for layer in network.layers]
    for layer_name in [name for name in names if name.startswith("conv")][:2]:
        described = network.layer(layer_name)
        reads = digit[..., None] / 255.0 if layer_name == "conv1" else outputs[names[names.index(layer_name) - 1]]
        kernels, biases = network.parameters(layer_name)
        side = outputs[layer_name].shape[0]
        before = (same_padding(reads.shape[0], described.window, described.stride)[0]
                  if described.padding == "same" else 0)
        for row, column in {(0, 0), (side - 1, side - 1), (0, side - 1), (side // 2, side // 3)}:
            for filter_index in (0, kernels.shape[3] - 1):
                explained = conv_arithmetic(network, layer_name, reads, filter_index, row, column)
                keras_value = float(outputs[layer_name][row, column, filter_index])
                assert explained.value == pytest.approx(keras_value, abs=1e-4), (layer_name, row, column)
                assert explained.value == pytest.approx(padded_plain_value(
                    reads, kernels, biases, filter_index, row, column, described.stride, before,
                    described.activation), abs=1e-4)
                assert (explained.top, explained.left) == (row * described.stride - before,
                                                           column * described.stride - before)
                # The cells in the padding read zeros.
                assert np.all(explained.patch[explained.in_padding] == 0)


def test_a_patch_over_the_edge_of_same_padding_says_where_it_sits():
    network, _ = keras_network_of("even kernels same no pooling sigmoid")
    image = np.ones((28, 28, 1), dtype=np.float32)
    explained = conv_arithmetic(network, "conv1", image, 0, 27, 0)  # 4 × 4 kernel: 1 zero before, 2 after
    assert explained.padding == (1, 2) and (explained.top, explained.left) == (26, -1)
    # Input rows 26 and 27 and columns 0 to 2 are inside; the two rows below and the column left of it are not.
    assert explained.in_padding.sum() == 2 * 4 + 2
    np.testing.assert_array_equal(explained.in_padding[:, 0], True)
    np.testing.assert_array_equal(explained.in_padding[2:, :], True)
    np.testing.assert_array_equal(explained.patch[..., 0], np.where(explained.in_padding, 0.0, 1.0))
    text = patch_place_text(explained)
    assert "1 line of zeros above and left of the input and 2 lines of zeros below and right" in text
    assert f"{int(explained.in_padding.sum())} of this patch's 16 cells are padding" in text
    assert activation_text(explained).startswith("sigmoid squashes it into 0 … 1: 1 / (1 + e^−(")
    strided, _ = keras_network_of("stride 2 valid 1x1 then 7x7")
    step = conv_arithmetic(strided, "conv1", image, 0, 5, 3)
    assert "output row 6 reads from input row 2 × 5 + 1 = 11" in patch_place_text(step)


@pytest.mark.parametrize(("row", "column"), [(0, 0), (10, 10), (3, 8)])
def test_an_average_pooling_value_is_the_mean_of_its_window(row, column):
    maps = np.random.default_rng(row).normal(size=(22, 22, 3)).astype(np.float32)
    explained = pool_arithmetic(maps, 2, row, column, kind="average")
    window = [float(maps[2 * row + i, 2 * column + j, 2]) for i in range(2) for j in range(2)]
    assert explained.value == pytest.approx(sum(window) / 4, abs=1e-6)
    assert explained.kind == "average"
