"""How long trainings take on this cluster: `cnnlab.network.estimate`'s figure, scaled by the pace the workers kept
in the latest training that reported on it."""

from __future__ import annotations

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import Job
from cnnlab.network.estimate import estimated_training_seconds


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
        """A job's remaining seconds: at the pace its own worker has kept once it has run two batches, else the
        whole estimate."""
        if job.batches_done < 2 or job.training_seconds <= 0:
            return self.estimated_seconds(job.config, job.dataset)
        total = job.config.epochs * job.batches_per_epoch
        return (total - job.batches_done) * job.training_seconds / job.batches_done
