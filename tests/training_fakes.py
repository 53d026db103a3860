"""Stand-ins for `cnnlab.network.training.train` that a Dask worker process imports by name (this folder is on
its path): a training that crashes, and one that hangs after its first batch."""

from __future__ import annotations

import time


def crash(config, dataset, *, on_epoch_end=None, on_batch_end=None, should_stop=None, on_epoch_weights=None):
    """Fails the way a bug would, after one batch."""
    on_batch_end(1, 1, 10, {"loss": 2.3, "accuracy": 0.1})
    raise RuntimeError("worker exploded")


def hang(config, dataset, *, on_epoch_end=None, on_batch_end=None, should_stop=None, on_epoch_weights=None):
    """Reports one batch, then hangs without ever asking whether to stop, as a deadlocked library would."""
    on_batch_end(1, 1, 10, {"loss": 2.3, "accuracy": 0.1})
    time.sleep(3600)
