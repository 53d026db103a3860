"""Layer outputs checked against NumPy re-computations of each layer's mathematics."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.lens.activations import conv_filters, layer_activations, predict_proba


def cross_correlate(image: np.ndarray, kernels: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Valid cross-correlation, written out: image (h, w, c), kernels (k, k, c, f) → (h-k+1, w-k+1, f)."""
    size = kernels.shape[0]
    height, width = image.shape[0] - size + 1, image.shape[1] - size + 1
    out = np.zeros((height, width, kernels.shape[3]))
    for row in range(height):
        for column in range(width):
            patch = image[row : row + size, column : column + size, :]
            out[row, column] = np.tensordot(patch, kernels, axes=([0, 1, 2], [0, 1, 2])) + bias
    return out


def max_pool_2x2(maps: np.ndarray) -> np.ndarray:
    """The largest of each 2×2 window, written out window by window: maps (h, w, c) → (h // 2, w // 2, c)."""
    height, width, channels = maps.shape
    out = np.zeros((height // 2, width // 2, channels), dtype=maps.dtype)
    for row in range(height // 2):
        for column in range(width // 2):
            out[row, column] = maps[2 * row : 2 * row + 2, 2 * column : 2 * column + 2].max(axis=(0, 1))
    return out


def relu(values: np.ndarray) -> np.ndarray:
    return np.maximum(values, 0)


@pytest.fixture(scope="module")
def digit(sample):
    return sample.x_test[0]


@pytest.fixture(scope="module")
def outputs(tiny_result, digit):
    return {layer.name: layer for layer in layer_activations(tiny_result.network, digit)}


def test_one_entry_per_layer_in_order(tiny_result, digit):
    layers = layer_activations(tiny_result.network, digit)
    assert [layer.name for layer in layers] == ["conv1", "pool", "conv2", "dropout", "flatten", "dense1", "output"]
    assert [layer.kind for layer in layers][:4] == ["Conv2D", "MaxPooling2D", "Conv2D", "Dropout"]
    assert layers[0].shape == (24, 24, 6)
    assert layers[4].shape == (10 * 10 * 4,)


def test_conv1_is_cross_correlation_plus_bias_then_relu(tiny_result, digit, outputs):
    kernels, bias = tiny_result.model.get_layer("conv1").get_weights()
    expected = relu(cross_correlate(digit[..., None] / 255.0, kernels, bias))
    np.testing.assert_allclose(outputs["conv1"].output, expected, atol=1e-5)
    assert (outputs["conv1"].output > 0).any()  # a ReLU map of all zeros would prove little


def test_pooling_is_the_maximum_of_each_2x2_window(outputs):
    np.testing.assert_array_equal(outputs["pool"].output, max_pool_2x2(outputs["conv1"].output))


def test_conv2_sums_over_every_input_channel(tiny_result, outputs):
    kernels, bias = tiny_result.model.get_layer("conv2").get_weights()
    expected = relu(cross_correlate(outputs["pool"].output, kernels, bias))
    np.testing.assert_allclose(outputs["conv2"].output, expected, atol=1e-4)


def test_dropout_passes_values_unchanged_at_inference(outputs):
    np.testing.assert_array_equal(outputs["dropout"].output, outputs["conv2"].output)


def test_flatten_and_dense_layers(tiny_result, outputs):
    flat = outputs["flatten"].output
    np.testing.assert_array_equal(flat, outputs["dropout"].output.reshape(-1))
    weights, bias = tiny_result.model.get_layer("dense1").get_weights()
    np.testing.assert_allclose(outputs["dense1"].output, relu(flat @ weights + bias), atol=1e-4)
    weights, bias = tiny_result.model.get_layer("output").get_weights()
    logits = outputs["dense1"].output @ weights + bias
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(outputs["output"].output, softmax, atol=1e-5)


def test_predict_proba_for_one_and_many(tiny_result, sample, outputs):
    one = predict_proba(tiny_result.network, sample.x_test[0])
    assert one.shape == (1, 10)
    np.testing.assert_allclose(one[0], outputs["output"].output, atol=1e-6)
    many = predict_proba(tiny_result.network, sample.x_test)
    assert many.shape == (1000, 10)
    np.testing.assert_allclose(many.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(many[0], one[0], atol=1e-5)
    assert predict_proba(tiny_result.network, sample.x_test[:0]).shape == (0, 10)


def test_conv_filters_are_the_kernels_in_keras_layout(tiny_result):
    first, second = conv_filters(tiny_result.network, 0), conv_filters(tiny_result.network, 1)
    assert first.shape == (5, 5, 1, 6) and second.shape == (3, 3, 6, 4)
    np.testing.assert_array_equal(first, tiny_result.model.get_layer("conv1").get_weights()[0])
    with pytest.raises(ValueError, match="no conv layer number 2"):
        conv_filters(tiny_result.network, 2)


def test_layer_activations_refuses_a_batch(tiny_result, sample):
    with pytest.raises(ValueError, match="one 28×28 digit"):
        layer_activations(tiny_result.network, sample.x_test[:2])
