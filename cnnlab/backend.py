"""Lazy access to Keras, so that importing `cnnlab` (and opening a page) does not pay TensorFlow's start-up.

TensorFlow takes seconds and hundreds of megabytes to import; only code that really builds or runs a
model should trigger it, by calling `load_keras()`.
"""

from __future__ import annotations

import os
from functools import cache


@cache
def load_keras():
    """Import and return the `keras` module on the TensorFlow backend (imported once per process)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow's C++ start-up notes (CPU instructions, oneDNN) mean nothing to a student.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras
