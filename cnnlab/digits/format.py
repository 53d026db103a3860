"""The digit format every part of CNN Lab shares, and the one place pixels become the network's floats.

Outside the network a digit is uint8 (28, 28) in 0–255, white ink on black, as MNIST stores it; a set of digits is
uint8 (n, 28, 28), and labels are whole numbers 0–9.
"""

from __future__ import annotations

import numpy as np

IMAGE_SIZE = 28  # pixels on each side
PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE  # 784, a CSV row's pixel columns
NUM_CLASSES = 10  # the digits 0–9


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Turn digits into what the network reads: the one place pixels become floats.

    images: uint8 (n, 28, 28) or (28, 28), 0–255 (white ink on black, as MNIST).
    Returns float32 (n, 28, 28, 1) in [0, 1].
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"Digits must be {IMAGE_SIZE}×{IMAGE_SIZE} pixels; got an array of shape {images.shape}.")
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]
