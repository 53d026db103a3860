"""Run by every embedded worker process as it starts (Dask's `preload`): Keras and TensorFlow are imported and the
bundled digits read before the first training arrives, not while a student waits for them (seconds on a 2-core
host)."""

from __future__ import annotations

from cnnlab.digits.datasets import load_dataset
from cnnlab.network.backend import load_keras


def dask_setup(worker) -> None:
    """Dask calls this as the worker starts. Both stay in the process: Keras is imported once (`load_keras`), the
    digits are cached (`load_dataset`)."""
    load_keras()
    load_dataset("mnist")
