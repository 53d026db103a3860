"""TensorFlow's own gradients of a Keras model: the independent reference that `cnnlab.network.backward` and the
lens tests are checked against (as micrograd's tests check against PyTorch).

Also `KerasTwin`, a NumPy `Network` with any Keras Sequential's layers and weights, for layer combinations beyond
those the settings build (a pooling after the last conv layer, a different activation per layer, no dropout).
"""

from __future__ import annotations

import numpy as np

from cnnlab.network.backend import load_keras
from cnnlab.network.forward import Network
from cnnlab.network.model import PlannedLayer

# A whole network's output gradients agree to about 8 float32 epsilons (1.2e-7) of the picture's largest score
# gradient (`score_gradient_scales`): the probabilities near 1 are rounded that much, differently by NumPy and by
# TensorFlow, and a probability's gradient multiplies them with the scores' gradients.
OUTPUT_ROUNDING = 1e-6


def keras_pre_activation(layer, values):
    """A Conv2D's or Dense layer's values before its activation, as Keras's own operations compute them."""
    keras = load_keras()
    if isinstance(layer, keras.layers.Conv2D):
        return keras.ops.conv(values, layer.kernel, strides=layer.strides, padding=layer.padding) + layer.bias
    return keras.ops.matmul(values, layer.kernel) + layer.bias


def keras_scores_and_gradient(model, pixels: np.ndarray, layer_name: str,
                              upstream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`layer_name`'s values before its activation for float32 `pixels` (n, 28, 28, 1), and the gradient of
    Σ upstream · those values with respect to the pixels, from `tf.GradientTape`; dropout off (training=False)."""
    load_keras()
    import tensorflow as tf

    pixels = tf.constant(np.asarray(pixels, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        values = pixels
        for layer in model.layers:
            if layer.name == layer_name:
                scores = keras_pre_activation(layer, values)
                break
            values = layer(values, training=False)
        objective = tf.reduce_sum(scores * tf.constant(np.asarray(upstream, dtype=np.float32)))
    return scores.numpy(), tape.gradient(objective, pixels).numpy()


def keras_output_gradient(model, pixels: np.ndarray, targets, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The probabilities (n, 10) and the gradient of each picture's target score, probability or log-probability
    with respect to its pixels (n, 28, 28, 1), as the old TensorFlow code of the lens pages took them."""
    load_keras()
    import tensorflow as tf

    pixels = tf.constant(np.asarray(pixels, dtype=np.float32))
    chosen = tf.one_hot(np.asarray(targets), 10)
    below = load_keras().Model(model.inputs[0], model.get_layer("output").input)
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        scores = keras_pre_activation(model.get_layer("output"), below(pixels, training=False))
        value = {"score": scores, "probability": tf.nn.softmax(scores),
                 "log_probability": tf.nn.log_softmax(scores)}[kind]
        objective = tf.reduce_sum(value * chosen)
    return tf.nn.softmax(scores).numpy(), tape.gradient(objective, pixels).numpy()


def score_gradient_scales(model, pixels: np.ndarray) -> np.ndarray:
    """Per picture, the largest |d score / d pixel| of any class, from TensorFlow: float (n,), the scale that
    OUTPUT_ROUNDING is taken of."""
    scales = [np.abs(keras_output_gradient(model, pixels, np.full(len(pixels), target), "score")[1]).max(axis=(1, 2, 3))
              for target in range(10)]
    return np.max(scales, axis=0)


def keras_unit_gradient(model, pixels: np.ndarray, layer_name: str, units) -> tuple[np.ndarray, np.ndarray]:
    """Each picture's unit's value before its activation (a conv filter at the centre of its map) and its gradient
    with respect to the pixels, from `tf.GradientTape`."""
    scores, _ = keras_scores_and_gradient(model, pixels, layer_name, 0.0)
    upstream = np.zeros(scores.shape, dtype=np.float32)
    pictures, units = np.arange(len(pixels)), np.asarray(units)
    if scores.ndim == 4:
        row, column = scores.shape[1] // 2, scores.shape[2] // 2
        upstream[pictures, row, column, units] = 1
        values = scores[pictures, row, column, units]
    else:
        upstream[pictures, units] = 1
        values = scores[pictures, units]
    return values, keras_scores_and_gradient(model, pixels, layer_name, upstream)[1]


class KerasTwin(Network):
    """A NumPy `Network` running the layers and weights of a Keras Sequential of CNN Lab's layer kinds, whatever
    their strides, padding, pooling and activations. It takes no settings, so the settings' weight check is not run:
    it is test scaffolding for layer combinations the settings do not build."""

    def __init__(self, model):
        keras = load_keras()

        def activation(layer) -> str | None:
            name = layer.activation.__name__
            return None if name == "linear" else name

        self.layers = []
        for layer in model.layers:
            # Keras's own shapes and counts; the multiply-adds are left at 0, which the NumPy passes never read.
            shapes = {"input_shape": tuple(layer.input.shape[1:]), "output_shape": tuple(layer.output.shape[1:]),
                      "parameters": layer.count_params(), "multiply_adds": 0}
            kind = type(layer).__name__
            if isinstance(layer, keras.layers.Conv2D):
                self.layers.append(PlannedLayer(layer.name, kind, **shapes, activation=activation(layer),
                                                window=layer.kernel_size[0], stride=layer.strides[0],
                                                padding=layer.padding, units=layer.filters))
            elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
                if tuple(layer.strides) != tuple(layer.pool_size) or layer.padding != "valid":
                    raise ValueError("CNN Lab's pooling windows sit side by side, with no padding.")
                self.layers.append(PlannedLayer(layer.name, kind, **shapes, window=layer.pool_size[0],
                                                stride=layer.pool_size[0]))
            elif isinstance(layer, keras.layers.Dense):
                self.layers.append(PlannedLayer(layer.name, kind, **shapes, activation=activation(layer),
                                                units=layer.units))
            else:
                self.layers.append(PlannedLayer(layer.name, kind, **shapes))
        self.given = {layer.name: tuple(np.asarray(values, dtype=np.float32) for values in layer.get_weights())
                      for layer in model.layers if layer.get_weights()}

    def parameters(self, layer_name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.given[layer_name]


def random_keras_network(layers: list, seed: int):
    """A Keras Sequential on 28×28×1 input with `layers`, weights and biases drawn at random (seeded), so that
    every layer's gradient is non-trivial; dropout layers pass values through at inference."""
    keras = load_keras()
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), *layers])
    generator = np.random.default_rng(seed)
    model.set_weights([generator.normal(0, 0.4, values.shape).astype(np.float32) for values in model.get_weights()])
    return model
