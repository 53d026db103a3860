"""Lazy access to Keras, so that importing `cnnlab` (and opening a page) does not pay TensorFlow's start-up.

TensorFlow takes seconds and hundreds of megabytes to import; only code that really builds or trains a Keras
model should trigger it, by calling `load_keras()`. The web server runs trained networks, forward and backward, in
NumPy (`forward`, `backward`).
"""

from __future__ import annotations

import functools
import gc
import os
import threading

# The training worker and the pages' script threads may all reach for Keras first at the same moment. One
# import at a time: TensorFlow's import graph is large and circular, and concurrent first imports of it are
# where Python's per-module import locks are weakest.
_IMPORT_LOCK = threading.Lock()


def load_keras():
    """Import and return the `keras` module on the TensorFlow backend (imported once per process)."""
    with _IMPORT_LOCK:
        return _import_keras()


@functools.cache
def _import_keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow's C++ start-up notes (CPU instructions, oneDNN) mean nothing to a student.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    # TensorFlow and Keras add about 430,000 Python objects that live as long as the process (a training worker, or
    # a test process). Frozen, they are left out of every later full garbage collection, which then takes well
    # under a millisecond instead of about 230 ms; Python runs such collections by itself while a model trains.
    gc.freeze()
    return keras

