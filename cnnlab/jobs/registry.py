"""Every job this server holds in memory (waiting, running, finished or failed) and the one lock they change under.

Pages read jobs while Dask's threads report on them, so every change to a job and to the collections holding it
happens here, under `_lock`, and anyone waiting for a job is woken when it ends. The registry knows nothing of Dask
or the disk: its methods say what the service should then do on the cluster (send these jobs, stop that one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.job import CANCELLED_MESSAGE, Job, JobKey, JobState
from cnnlab.jobs.model_cache import MODELS_IN_MEMORY, ModelCache
from cnnlab.jobs.pace import Pace
from cnnlab.jobs.training_queue import TrainingQueue
from cnnlab.jobs.watchdog import jobs_to_stop
from cnnlab.network.result import TrainResult

# A worker that dies during a training (killed, out of memory) costs the training one retry on another worker; a
# second death ends it with a sentence. The registry counts this itself (Dask's own retries are off, see
# `cnnlab.jobs.cluster.ALLOWED_FAILURES`), so every death is counted exactly once.
RETRIES_AFTER_A_DEAD_WORKER = 1
CANCELLED_BEFORE_START_MESSAGE = "Training was cancelled before it started."


class JobRegistry:
    """The jobs in memory: unfinished ones in a `TrainingQueue`, finished ones in a `ModelCache` of `max_models`,
    and the last failure or cancellation per key until its settings are asked for again.

    pace: the workers' measured pace, which news and finished jobs update and the estimates read.
    """

    def __init__(self, pace: Pace, max_models: int = MODELS_IN_MEMORY, trainings_per_tab: int = 1):
        self._pace = pace
        self._lock = threading.Condition()
        self._queue = TrainingQueue(trainings_per_tab)
        self._finished = ModelCache(max_models)
        self._failed: dict[JobKey, Job] = {}

    # --- reading -------------------------------------------------------------------------------------------

    def lookup(self, key: JobKey) -> Job | None:
        """The job for `key`, in any state, or None."""
        with self._lock:
            return self._lookup(key)

    def _lookup(self, key: JobKey) -> Job | None:
        return self._finished.get(key) or self._queue.get(key) or self._failed.get(key)

    def dataset_with(self, fingerprint: str) -> Dataset | None:
        """The data set of that fingerprint, if a job here trains or trained on it, else None."""
        with self._lock:
            jobs = [*self._queue.jobs(), *self._finished.jobs(), *self._failed.values()]
        return next((job.dataset for job in jobs if job.dataset.fingerprint == fingerprint), None)

    def finished_jobs(self) -> list[Job]:
        """Finished jobs, most recently used first."""
        with self._lock:
            return self._finished.jobs()

    def running(self) -> list[Job]:
        with self._lock:
            return self._queue.running()

    def unfinished(self) -> list[Job]:
        """The running jobs, then the waiting ones in the order they will start."""
        with self._lock:
            return self._queue.in_order()

    def own_job(self, owner: str) -> Job | None:
        with self._lock:
            return self._queue.owned_by(owner)

    def queue_position(self, job: Job) -> int:
        with self._lock:
            return self._queue.position(job)

    def seconds_left(self, job: Job, count_workers: Callable[[], int]) -> float:
        """About how many seconds until `job` has finished; `count_workers` is asked only for a waiting job, and
        outside the lock (it may ask the scheduler)."""
        with self._lock:
            if job.finished:
                return 0.0
            if job.state is JobState.RUNNING:
                return self._pace.seconds_left(job)
            ahead = self._queue.ahead_of(job)
        workers = max(1, count_workers())
        return sum(self._pace.seconds_left(other) for other in ahead) / workers + self._pace.seconds_left(job)

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until `job` has finished; True if it did within `timeout` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: job.finished, timeout)

    # --- asking for jobs -----------------------------------------------------------------------------------

    def ready_or_shared(self, key: JobKey, owner: str | None) -> Job | None:
        """The finished job for `key` (now the most recently used), or its unfinished one, which `owner` joins;
        None when a new job is needed. Raises `OneTrainingEach` when `owner` has its share of other jobs."""
        with self._lock:
            if (finished := self._finished.use(key)) is not None:
                return finished
            self._queue.check_share(owner, key)
            job = self._queue.get(key)
            if job is not None and owner:
                job.owners = job.owners | {owner}
            return job

    def add(self, config: TrainConfig, dataset: Dataset, owner: str | None) -> Job:
        """A new job for these settings and data, waiting its turn, or the unfinished one that was added meanwhile;
        `owner` joins it. Raises `OneTrainingEach` when `owner` has its share of other jobs."""
        key = (config, dataset.fingerprint)
        with self._lock:
            self._queue.check_share(owner, key)
            job = self._queue.get(key)
            if job is None:
                self._failed.pop(key, None)
                job = Job(config=config, dataset=dataset)
                self._queue.add(job)
            if owner:
                job.owners = job.owners | {owner}
            return job

    def keep_recalled(self, job: Job) -> None:
        """Keep a finished job read back from the store, unless a job for its key came meanwhile."""
        with self._lock:
            if self._lookup(job.key) is None:
                self._finished.put(job.key, job)

    # --- the jobs' lives -----------------------------------------------------------------------------------

    def has_waiting(self) -> bool:
        with self._lock:
            return self._queue.has_waiting()

    def start_next(self, slots: int) -> list[Job]:
        """The waiting jobs to give the cluster now (see `TrainingQueue.start_next`), each with its estimate."""
        with self._lock:
            chosen = self._queue.start_next(slots)
            for job in chosen:
                self._pace.set_estimate(job)
            return chosen

    def record_news(self, message: dict) -> None:
        """A worker's message about a job (see `cnnlab.jobs.task.run_training`)."""
        with self._lock:
            job = self._queue.with_id(message.get("job"))
            if job is None or job.finished:
                return  # another app replica's job, or one that ended meanwhile
            job.record_news(message)
            if message["kind"] == "batch":
                self._pace.measure(job)
            self._lock.notify_all()

    def cancel(self, job: Job, owner: str | None, reason: str) -> bool | None:
        """Cancel a job for `owner` (None: for everyone): one that waits ends now, a running one is marked to end
        with `reason` once its worker stops. A job other tabs asked for too goes on for them.

        Returns None when nothing more is to be done, else whether a worker had started the job.
        """
        with self._lock:
            if job.finished:
                return None
            if owner is not None and job.owners - {owner}:
                job.owners = job.owners - {owner}
                return None
            started = job.state is JobState.RUNNING
            if started:
                job.stop_reason = (JobState.CANCELLED, reason)
            else:
                self._end(job, JobState.CANCELLED,
                          CANCELLED_BEFORE_START_MESSAGE if reason == CANCELLED_MESSAGE else reason)
            return started

    def retry(self, job: Job) -> bool:
        """Make a job whose worker died wait to be sent again, unless it was retried already or has ended."""
        with self._lock:
            if job.finished or job.attempts >= 1 + RETRIES_AFTER_A_DEAD_WORKER:
                return False
            job.attempts += 1
            job.start_over()
            job.state, job.worker_pid = JobState.QUEUED, None
            return True

    def finish(self, job: Job, state: JobState, error: str, result: TrainResult | None) -> None:
        """Record how a job's task ended, unless a cancel or a hang ended the job already; a job the service
        stopped ends as it said (`Job.stop_reason`)."""
        with self._lock:
            job.future = None  # lets Dask forget the task
            if state is JobState.CANCELLED and job.stop_reason is not None:
                state, error = job.stop_reason
            if not job.finished:
                job.result = result
                self._end(job, state, error)

    def stop_overdue(self, hang_seconds: float,
                     budget_seconds: float) -> tuple[list[tuple[Job, str]], list[tuple[Job, str]]]:
        """End the running jobs that sent no news for `hang_seconds` or passed their time (see
        `cnnlab.jobs.watchdog.jobs_to_stop`) with their sentences; returns (hung, overrunning) for the service to
        stop on the cluster."""
        with self._lock:
            for job in self._queue.jobs():
                self._pace.refresh_estimate(job)
            hung, overrunning = jobs_to_stop(self._queue.jobs(), hang_seconds, budget_seconds)
            for job, sentence in hung + overrunning:
                self._end(job, JobState.FAILED, sentence)
            return hung, overrunning

    def _end(self, job: Job, state: JobState, error: str) -> None:
        """Record a job's end (caller holds the lock) and wake anyone waiting on it."""
        job.state, job.error, job.finished_at = state, error, time.time()
        self._queue.remove(job)
        if state is JobState.DONE:
            self._pace.remember(job)
            self._finished.put(job.key, job)
        else:
            self._failed[job.key] = job
        self._lock.notify_all()
