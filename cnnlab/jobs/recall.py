"""Bringing a model back from the store on disk when memory no longer holds it (or never did: a restart).

Loading a model reads megabytes, so it happens outside the registry's lock; one load at a time, and a second look
in memory once it is this load's turn, keep two pages that ask at once from loading the same file twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import Job, JobKey
from cnnlab.jobs.store import ModelStore


class StoreRecall:
    """Loads models from `store` (None: there is nothing to recall) into memory as DONE jobs.

    in_memory: whether memory holds a job for a key already, in any state.
    keep: takes a recalled job into memory, unless memory has one for its key by then.
    Both take the registry's lock themselves; the recall holds only its own, which orders the loads.
    """

    def __init__(self, store: ModelStore | None, in_memory: Callable[[JobKey], bool], keep: Callable[[Job], None]):
        self._store = store
        self._in_memory = in_memory
        self._keep = keep
        self._loading = threading.Lock()

    def recall(self, config: TrainConfig, dataset: Dataset) -> None:
        """Bring the model for these settings and data into memory, if the store holds it and memory does not."""
        if self._store is None:
            return
        key = (config, dataset.fingerprint)
        if self._in_memory(key):
            return
        if not self._store.contains(config, dataset.fingerprint):
            return  # the common miss: one stat, no TensorFlow
        with self._loading:
            if self._in_memory(key):  # another page loaded or submitted it while this one waited
                return
            result = self._store.load(config, dataset.fingerprint)
            if result is not None:
                self._keep(Job.from_stored(config, dataset, result))
