"""A training job: what one requested training is, and how far it got (the service writes it, pages read it)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from distributed import Future

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.network.training import TrainResult

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
    last_news: float = field(default_factory=time.monotonic)
    future: Future | None = field(default=None, repr=False)
    attempts: int = 1  # tasks this job has been given to the cluster as (a second after its worker died)

    @property
    def key(self) -> JobKey:
        return (self.config, self.dataset.fingerprint)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

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
    def train_images(self) -> int:
        """How many images one epoch trains on: the chosen number (or all), less those held back to validate."""
        return self.config.image_split(self.dataset.train_size)[0]
