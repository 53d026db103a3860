"""Why this answer: which pixels of a digit push the model towards (or away from) a class.

The gradient of a class's score with respect to the input pixels says, for every pixel, how much the score
would change if that pixel got a little brighter. Large values mark the pixels the answer depends on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cnnlab.digits.format import NUM_CLASSES, to_model_input
from cnnlab.lens.scores import layer_input_model
from cnnlab.network.backend import load_keras

if TYPE_CHECKING:
    import keras

KINDS = ("score", "probability")

def class_gradient(model: keras.Model, image: np.ndarray, target: int, kind: str = "score") -> np.ndarray:
    """How much class `target`'s score (or probability) changes per unit of brightness of each pixel.

    image: uint8 (28, 28), 0–255. kind: "score", the output layer's value before softmax (its gradient does not
    fade when the model is very sure), or "probability", the softmax output. Returns float32 (28, 28):
    d(score) / d(pixel), where a pixel's brightness runs from 0 to 1 as the model reads it.
    """
    if kind not in KINDS:
        raise ValueError(f"The gradient can be of the class's {' or '.join(KINDS)}, not {kind!r}.")
    if not 0 <= target < NUM_CLASSES:
        raise ValueError(f"The class must be a digit from 0 to 9, not {target}.")
    load_keras()
    import tensorflow as tf

    pixels = tf.convert_to_tensor(to_model_input(image))
    weights, bias = model.get_layer("output").get_weights()
    with tf.GradientTape() as tape:
        tape.watch(pixels)
        # Dropout is off (training=False), as when the model answers.
        scores = tf.matmul(layer_input_model(model, "output")(pixels, training=False), weights) + bias
        chosen = scores[0, target] if kind == "score" else tf.nn.softmax(scores)[0, target]
    return np.asarray(tape.gradient(chosen, pixels))[0, :, :, 0].astype(np.float32)


def saliency_map(gradient: np.ndarray) -> np.ndarray:
    """The size of each pixel's gradient, scaled so the largest is 1: float32 (28, 28) in [0, 1].

    A gradient of all zeros (possible when every ReLU is off) stays all zeros.
    """
    size = np.abs(np.asarray(gradient, dtype=np.float32))
    largest = float(size.max()) if size.size else 0.0
    return size / largest if largest > 0 else np.zeros_like(size)
