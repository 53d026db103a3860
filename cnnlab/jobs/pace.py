"""How long trainings take on this cluster: `cnnlab.network.estimate`'s figure, scaled by the pace the workers kept
in the latest training that reported on it. The pace of the latest finished training is kept in a small file beside
the models, so a restarted server estimates at its own pace from its first training on."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.files import write_atomically
from cnnlab.jobs.job import Job
from cnnlab.network.estimate import FORWARD_SHARE, estimated_training_seconds

# After the last test digit is scored, the worker writes the model file and the server reads it back: about a
# second, whatever the network.
FINISHING_SECONDS = 1.0

logger = logging.getLogger(__name__)


class Pace:
    """The workers' measured time against the estimate (1.0 until measured; 0.5: twice as fast as estimated).

    The registry calls `measure` under its lock as batches arrive; the estimates read one float, so they need none.
    """

    def __init__(self, path: Path | None = None) -> None:
        """path: where the pace of finished trainings is kept (None: in memory only)."""
        self.factor = 1.0
        self.measured = False  # True once a training on this server (now or before a restart) has set `factor`
        self._path = path
        if path is not None and path.exists():
            try:
                factor = float(json.loads(path.read_text())["factor"])
                if math.isfinite(factor) and factor > 0:
                    self.factor, self.measured = factor, True
            except (OSError, ValueError, TypeError, KeyError) as error:
                logger.warning("The kept training pace in %s could not be read (%s); estimating without it.",
                               path, error)

    def remember(self, job: Job) -> None:
        """Take a finished training's whole time as the pace from now on, and keep it for after a restart."""
        if job.result is None or job.result.seconds <= 0:
            return
        self.factor = job.result.seconds / self.estimated_seconds(job.config, job.dataset, 1.0)
        self.measured = True
        if self._path is None:
            return
        try:
            write_atomically(self._path, json.dumps({"factor": self.factor}).encode())
        except OSError as error:
            logger.warning("The training pace could not be kept in %s (%s).", self._path, error)

    def estimated_seconds(self, config: TrainConfig, dataset: Dataset, factor: float | None = None) -> float:
        """About how many seconds a worker needs to train `config` on `dataset` from the start."""
        predicted = estimated_training_seconds(config, dataset.train_size, test_images=dataset.test_size)
        return predicted * (self.factor if factor is None else factor)

    def set_estimate(self, job: Job) -> None:
        """Give a job about to start its estimate at the current pace, noting whether that pace was measured."""
        job.estimated_seconds = self.estimated_seconds(job.config, job.dataset)
        job.estimate_measured = self.measured

    def refresh_estimate(self, job: Job) -> None:
        """Make again, at the measured pace, the estimate of a started job made before this server's pace was known,
        once the job has finished an epoch."""
        if job.sent and not job.estimate_measured and job.epochs and self.measured:
            self.set_estimate(job)

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
