"""What a Dask worker process runs for one training, and the messages it sends back while it runs.

The app submits `run_training` with a job id; the worker trains with `cnnlab.network.training.train` and returns the
finished model as one model file's bytes (`cnnlab.jobs.model_file`), so the app only ever stores a whole model.
Progress goes out as Dask events on PROGRESS_TOPIC (the scheduler forwards them to every subscribed app), and a
cancel comes in through a Dask `Event` named after the job, which the training polls between batches.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset, load_dataset
from cnnlab.jobs.model_file import epoch_weights_to_bytes, model_file_bytes
from cnnlab.network.result import TrainResult
from cnnlab.network.training import train

PROGRESS_TOPIC = "cnnlab-progress"
# A batch of the reference model takes about 20 ms here; reporting every one would send 50 messages a second
# through the scheduler for a page that redraws twice a second.
PROGRESS_INTERVAL_SECONDS = 0.2
# Asking the scheduler whether a job was cancelled is a round trip; five times a second is cheap and still stops
# a running training well within a second of the request.
CANCEL_CHECK_SECONDS = 0.2

TrainFunction = Callable[..., TrainResult]


@dataclass(frozen=True)
class BundledData:
    """Data every worker has on disk, named instead of sent: 55 MB of images need not cross the network."""

    source: str
    fingerprint: str


def dataset_payload(dataset: Dataset) -> Dataset | BundledData:
    """What a task carries to name its data: a bundled set by name, an uploaded one whole."""
    if dataset.source == "upload":
        return dataset
    return BundledData(dataset.source, dataset.fingerprint)


def resolve_dataset(payload: Dataset | BundledData) -> Dataset:
    """The dataset a payload names; ValueError if this worker's bundled copy differs from the app's."""
    if isinstance(payload, Dataset):
        return payload
    dataset = load_dataset(payload.source)  # read once per worker process (load_dataset caches it)
    if dataset.fingerprint != payload.fingerprint:
        raise ValueError(
            "This training's worker has other bundled digits than the app (a different CNN Lab version?); "
            "install the same version on every worker."
        )
    return dataset


def cancel_event_name(job_id: str) -> str:
    """The Dask `Event` that, once set, asks the training `job_id` to stop."""
    return f"cnnlab-cancel-{job_id}"


def run_training(
    job_id: str,
    config: TrainConfig,
    payload: Dataset | BundledData,
    train_function: TrainFunction = train,
) -> bytes:
    """Train `config` on the payload's data in this worker; returns the model file's bytes.

    Sends {"job", "kind", "worker", "pid", …} messages on PROGRESS_TOPIC: kind "started" once, "batch" with
    epoch, batch, batches_per_epoch, loss, accuracy and seconds (since the first batch began) at most every
    PROGRESS_INTERVAL_SECONDS and at each epoch's last batch, "epoch" with that epoch's metrics and seconds (validation
    included), and "weights"
    with the network's weights (`cnnlab.jobs.model_file.epoch_weights_to_bytes`), when kept: epoch 0's, the random
    start, before the first batch, then each epoch's as it ends.
    Raises `cnnlab.network.training.TrainingCancelled` once the job's cancel event is set, and whatever the training
    raises (`TrainingDiverged` is a ValueError with a sentence for the student).
    """
    from distributed import Event, get_worker  # in the worker, where Dask is loaded already

    worker = get_worker()
    cancel = Event(cancel_event_name(job_id))
    identity = {"job": job_id, "worker": worker.address, "pid": os.getpid()}

    def send(kind: str, **fields) -> None:
        worker.log_event(PROGRESS_TOPIC, {**identity, "kind": kind, **fields})

    last_sent = last_checked = 0.0
    started: float | None = None
    cancelled = False

    def on_batch_end(epoch: int, batch: int, batches_per_epoch: int, metrics: dict) -> None:
        nonlocal last_sent, started
        now = time.monotonic()
        started = started if started is not None else now
        if now - last_sent >= PROGRESS_INTERVAL_SECONDS or batch == batches_per_epoch:
            last_sent = now
            send("batch", epoch=epoch, batch=batch, batches_per_epoch=batches_per_epoch, seconds=now - started,
                 **metrics)

    def on_epoch_end(epoch: int, metrics: dict) -> None:
        # The epoch's end in the batches' clock, validation included: the pace of whole epochs for time left.
        seconds = time.monotonic() - started if started is not None else 0.0
        send("epoch", epoch=epoch, metrics=metrics, seconds=seconds)

    def on_epoch_weights(epoch: int, weights: list) -> None:
        # As bytes, which every Dask transport carries (the reference model's are 0.4 MB an epoch).
        send("weights", epoch=epoch, data=epoch_weights_to_bytes([weights], first_epoch=epoch))

    def should_stop() -> bool:
        nonlocal last_checked, cancelled
        now = time.monotonic()
        if not cancelled and now - last_checked >= CANCEL_CHECK_SECONDS:
            last_checked = now
            cancelled = cancel.is_set()
        return cancelled

    send("started")
    dataset = resolve_dataset(payload)
    result = train_function(
        config, dataset, on_batch_end=on_batch_end, on_epoch_end=on_epoch_end, should_stop=should_stop,
        on_epoch_weights=on_epoch_weights,
    )
    return model_file_bytes(result, dataset.fingerprint)
