"""A training job: what one requested training is, how far it got, and how a worker's news moves it on.

The registry (`cnnlab.jobs.registry`) owns the jobs and calls these methods under its lock; pages only read
the fields.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.model_file import epoch_weights_from_bytes
from cnnlab.network.estimate import FORWARD_SHARE
from cnnlab.network.result import TrainResult, history_records
from cnnlab.network.training import TrainingCancelled

if TYPE_CHECKING:  # Dask is imported with the first training, not by a page that only shows a model
    from distributed import Future

logger = logging.getLogger(__name__)

WORKER_RESTARTED_NOTE = "The worker training this model stopped, so the training started again on a fresh one."
WORKER_DIED_MESSAGE = (
    "This training's worker process stopped twice (it may have run out of memory); press Train to try again, "
    "perhaps with fewer filters or training images."
)
CANCELLED_MESSAGE = "Training was cancelled."
TEACHER_CANCELLED_MESSAGE = "Your teacher cancelled this training."

# A job's identity: its settings and the fingerprint of its data. Equal keys are trained once and shared.
JobKey = tuple[TrainConfig, str]


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Job:
    """One requested training and everything a page needs to follow it.

    Written by the service's Dask callbacks, read by page scripts: each field is replaced whole (never mutated
    in place), so a reader sees either the old or the new value, never half of one.
    """

    config: TrainConfig
    dataset: Dataset
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: JobState = JobState.QUEUED
    epoch: int = 0
    batch: int = 0
    batches_per_epoch: int = 0
    last_metrics: dict = field(default_factory=dict)
    # The training's running loss and accuracy as the worker reported them during the epochs (about once a second):
    # {"epoch": fractional epochs done, e.g. 0.25, "loss": …, "accuracy": …}, so a curve moves in the first epoch.
    batch_points: tuple[dict, ...] = ()
    # Per finished epoch: {"epoch": k, "loss": …, "accuracy": …, "val_loss": …, "val_accuracy": …}.
    epochs: tuple[dict, ...] = ()
    # The network's weights after each finished epoch, as they arrive (see `TrainResult.epoch_weights`).
    epoch_weights: tuple[list, ...] = ()
    # Epoch 0, the weights it started from, sent before the first batch (see `TrainResult.initial_weights`).
    initial_weights: list | None = None
    result: TrainResult | None = None
    error: str = ""
    note: str = ""  # something the student should know about a job that went on (a worker restarted)
    worker: str = ""  # the address of the worker training it
    worker_pid: int | None = None  # and that worker's process id (an operator's, or a fault test's, handle)
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    # Seconds of training measured by the worker when it last reported, and when (monotonic) that report came.
    training_seconds: float = 0.0
    # How far the training had got at that report, in epochs, validation included (2.5: half-way through epoch 3).
    epochs_done: float = 0.0
    last_news: float = field(default_factory=time.monotonic)
    future: Future | None = field(default=None, repr=False)
    attempts: int = 1  # tasks this job has been given to the cluster as (a second after its worker died)
    # The browser tabs that asked for this training (opaque ids, never a name); empty for a script's or a test's.
    owners: frozenset[str] = frozenset()
    # Given to the cluster (it waits in the service's own queue, in turn order, until a worker is free).
    sent: bool = False
    # Seconds a worker should need for it, estimated when it was sent; `estimate_measured` is False while that
    # estimate rests on no pace measured on this server (it is then made again after the first epoch).
    estimated_seconds: float = 0.0
    estimate_measured: bool = False
    # How the job ends once its worker has stopped, when the service (not the student) stopped it: (state, sentence).
    stop_reason: tuple[JobState, str] | None = None

    @property
    def key(self) -> JobKey:
        return (self.config, self.dataset.fingerprint)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    def waited_seconds(self, now: float | None = None) -> float:
        """How long it waited before a worker started it (so far, while it still waits)."""
        end = self.started_at or self.finished_at or (time.time() if now is None else now)
        return max(0.0, end - self.submitted_at)

    def running_seconds(self, now: float | None = None) -> float:
        """How long a worker has been on it (0 before it started)."""
        if self.started_at is None:
            return 0.0
        return max(0.0, (self.finished_at or (time.time() if now is None else now)) - self.started_at)

    @property
    def batches_done(self) -> int:
        return max(0, (self.epoch - 1) * self.batches_per_epoch + self.batch)

    @property
    def progress(self) -> float:
        """Share of all batches done, 0.0–1.0."""
        if self.state is JobState.DONE:
            return 1.0
        if not self.batches_per_epoch:
            return 0.0
        return min(1.0, max(0.0, self.batches_done / (self.config.epochs * self.batches_per_epoch)))

    @property
    def training_share(self) -> float:
        """The share of an epoch's time its training batches take; validation takes the rest (a forward pass costs
        about FORWARD_SHARE of a training step per image)."""
        trained, validation = self.config.image_split(self.dataset.train_size)
        return trained / (trained + validation * FORWARD_SHARE)

    @property
    def train_images(self) -> int:
        """How many images one epoch trains on: the chosen number (or all), less those held back to validate."""
        return self.config.image_split(self.dataset.train_size)[0]

    @classmethod
    def from_stored(cls, config: TrainConfig, dataset: Dataset, result: TrainResult) -> Job:
        """A DONE job for a model read back from the store, with the per-epoch records the curves are drawn from."""
        epochs = tuple(history_records(result.history))
        return cls(config=config, dataset=dataset, state=JobState.DONE, epoch=len(epochs), epochs=epochs,
                   result=result, finished_at=result.extras.get("saved_at") or time.time())

    def start_over(self) -> None:
        """Forget the progress of a training whose worker died: it starts again from the first batch."""
        self.note = WORKER_RESTARTED_NOTE
        self.epoch, self.batch, self.batches_per_epoch, self.epochs = 0, 0, 0, ()
        self.epoch_weights, self.batch_points = (), ()

    def record_news(self, message: dict) -> None:
        """Take in one of its worker's messages (see `cnnlab.jobs.task.run_training`): started, a batch, an epoch's
        metrics or its weights. Messages about an epoch already recorded are ignored."""
        self.last_news = time.monotonic()
        kind = message["kind"]
        if kind == "started":
            if self.worker_pid is not None and self.worker_pid != message["pid"]:
                self.start_over()  # Dask gave the training to a new worker after its first one died
            self.worker, self.worker_pid = message["worker"], message["pid"]
            self.state, self.started_at = JobState.RUNNING, time.time()
        elif kind == "batch":
            self.epoch, self.batch = message["epoch"], message["batch"]
            self.batches_per_epoch = message["batches_per_epoch"]
            self.last_metrics = {"loss": message["loss"], "accuracy": message["accuracy"]}
            done = message["epoch"] - 1 + message["batch"] / max(1, message["batches_per_epoch"])
            self.batch_points = (*self.batch_points, {"epoch": done, **self.last_metrics})
            self.training_seconds = message["seconds"]
            self.epochs_done = message["epoch"] - 1 + message["batch"] / max(1, message["batches_per_epoch"]) * (
                self.training_share)
        elif kind == "epoch" and message["epoch"] == len(self.epochs) + 1:
            self.epochs = (*self.epochs, {"epoch": message["epoch"], **message["metrics"]})
            if "seconds" in message:
                self.training_seconds, self.epochs_done = message["seconds"], float(message["epoch"])
        elif kind == "weights" and message["epoch"] == 0:
            self.initial_weights = epoch_weights_from_bytes(message["data"])[0]
        elif kind == "weights" and message["epoch"] == len(self.epoch_weights) + 1:
            self.epoch_weights = (*self.epoch_weights, *epoch_weights_from_bytes(message["data"]))


def outcome_of(error: BaseException | None) -> tuple[JobState, str]:
    """The state and the student's sentence for a training task that raised `error`."""
    if isinstance(error, TrainingCancelled):
        return JobState.CANCELLED, CANCELLED_MESSAGE
    from distributed.scheduler import KilledWorker  # loaded already: a task has run

    if isinstance(error, KilledWorker):
        return JobState.FAILED, WORKER_DIED_MESSAGE
    if isinstance(error, ValueError):  # the engine's sentences for students (e.g. a diverging loss)
        return JobState.FAILED, str(error)
    logger.error("A training failed with an unexpected error: %r", error)
    return JobState.FAILED, f"Training stopped with an unexpected error: {error}"
