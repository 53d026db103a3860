"""Lazy access to Keras, so that importing `cnnlab` (and opening a page) does not pay TensorFlow's start-up.

TensorFlow takes seconds and hundreds of megabytes to import; only code that really builds or runs a
model should trigger it, by calling `load_keras()`.
"""

from __future__ import annotations

import functools
import gc
import os
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

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

    # TensorFlow and Keras add about half a million Python objects that live as long as the process. Frozen, they
    # are left out of every later full garbage collection; and Streamlit runs one after each page run (it calls
    # Keras's clear_session, which collects), which otherwise took about 0.6 s of a core per run on 2 cores and
    # starved the training worker while a page followed it.
    gc.freeze()
    return keras


def per_model(build: Callable[..., T]) -> Callable[..., T]:
    """Decorate `build(model, *names)` so that it runs once per trained model and names; what it built lives as
    long as the model does (compiled gradient functions and sub-models are worth keeping, and cost memory)."""
    built: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @functools.wraps(build)
    def cached(model, *names):
        with lock:
            for_model = built.setdefault(model, {})
            if names not in for_model:
                for_model[names] = build(model, *names)
            return for_model[names]

    return cached
