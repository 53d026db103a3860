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


def endless(config, dataset, *, on_epoch_end=None, on_batch_end=None, should_stop=None, on_epoch_weights=None):
    """Reports a batch every 0.1 s and never ends by itself, only when asked to stop: a training longer than any
    budget on any host, however fast."""
    from cnnlab.network.training import TrainingCancelled

    batch = 0
    while not should_stop():
        batch += 1
        on_batch_end(1, min(batch, 999), 1000, {"loss": 2.3, "accuracy": 0.1})
        time.sleep(0.1)
    raise TrainingCancelled("Training was cancelled.")
