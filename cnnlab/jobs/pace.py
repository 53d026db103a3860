"""How long trainings take on this cluster: `cnnlab.network.estimate`'s figure, scaled by the pace the workers kept
in the latest training that reported on it."""

from __future__ import annotations

import time

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import Job
from cnnlab.network.estimate import FORWARD_SHARE, estimated_training_seconds

# After the last test digit is scored, the worker writes the model file and the server reads it back: about a
# second, whatever the network.
FINISHING_SECONDS = 1.0


class Pace:
    """The workers' measured time against the estimate (1.0 until measured; 0.5: twice as fast as estimated).

    The service calls `measure` under its lock as batches arrive; the estimates read one float, so they need none.
    """

    def __init__(self) -> None:
        self.factor = 1.0
        self.measured = False  # True once a training on this server has set `factor`

    def estimated_seconds(self, config: TrainConfig, dataset: Dataset, factor: float | None = None) -> float:
        """About how many seconds a worker needs to train `config` on `dataset` from the start."""
        predicted = estimated_training_seconds(config, dataset.train_size, test_images=dataset.test_size)
        return predicted * (self.factor if factor is None else factor)

    def measure(self, job: Job) -> None:
        """Compare a running job's time so far with its estimate, for the estimates that follow."""
        if job.training_seconds < 1.0 or not job.progress:  # too little to measure; start-up costs dominate
            return
        self.factor = job.training_seconds / (self.estimated_seconds(job.config, job.dataset, 1.0) * job.progress)
        self.measured = True

    def seconds_left(self, job: Job) -> float:
        """A job's remaining seconds: the whole estimate until its worker has run two batches; then its remaining
        epochs (validation included) at the pace of those done so far, plus the final scoring of the test digits,
        less the time since its worker last reported."""
        if job.batches_done < 2 or job.training_seconds <= 0 or job.epochs_done <= 0:
            return self.estimated_seconds(job.config, job.dataset)
        seconds_per_epoch = job.training_seconds / job.epochs_done
        trained, validation = job.config.image_split(job.dataset.train_size)
        # Scoring the test digits, in epochs: a forward pass of each, against an epoch's training and validation.
        scoring = job.dataset.test_size * FORWARD_SHARE / (trained + validation * FORWARD_SHARE)
        left = (job.config.epochs - job.epochs_done + scoring) * seconds_per_epoch + FINISHING_SECONDS
        return max(0.0, left - (time.monotonic() - job.last_news))
