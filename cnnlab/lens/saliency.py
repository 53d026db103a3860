"""Why this answer: which pixels of a digit push the model towards (or away from) a class.

The gradient of a class's score with respect to the input pixels says, for every pixel, how much the score
would change if that pixel got a little brighter. Large values mark the pixels the answer depends on.
"""

from __future__ import annotations

import numpy as np

from cnnlab.digits.format import NUM_CLASSES, to_model_input
from cnnlab.network.backward import output_gradient
from cnnlab.network.blas import one_blas_thread
from cnnlab.network.forward import Network

KINDS = ("score", "probability")


@one_blas_thread()
def class_gradient(network: Network, image: np.ndarray, target: int, kind: str = "score") -> np.ndarray:
    """How much class `target`'s score (or probability) changes per unit of brightness of each pixel.

    image: uint8 (28, 28), 0–255. kind: "score", the output layer's value before softmax (its gradient does not
    fade when the model is very sure), or "probability", the softmax output. Returns float32 (28, 28):
    d(score) / d(pixel), where a pixel's brightness runs from 0 to 1 as the model reads it. Dropout is off, as
    when the model answers.
    """
    if kind not in KINDS:
        raise ValueError(f"The gradient can be of the class's {' or '.join(KINDS)}, not {kind!r}.")
    if not 0 <= target < NUM_CLASSES:
        raise ValueError(f"The class must be a digit from 0 to 9, not {target}.")
    _, gradient = output_gradient(network, to_model_input(image), np.array([target]), kind)
    return gradient[0, :, :, 0]


def saliency_map(gradient: np.ndarray) -> np.ndarray:
    """The size of each pixel's gradient, scaled so the largest is 1: float32 (28, 28) in [0, 1].

    A gradient of all zeros (possible when every ReLU is off) stays all zeros.
    """
    size = np.abs(np.asarray(gradient, dtype=np.float32))
    largest = float(size.max()) if size.size else 0.0
    return size / largest if largest > 0 else np.zeros_like(size)
