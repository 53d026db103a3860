"""A process-wide training service: one background worker, a queue, shared results.

Why it exists: Streamlit reruns a page's script on every click, which would abort a `model.fit` running
inside the script. Here training runs in a worker thread that belongs to the process, so a click, a page
switch or a closed tab never loses it, and every student's session sees the same jobs.

- Jobs are keyed by (TrainConfig, dataset fingerprint): identical settings are trained once and shared.
- One training at a time (Keras seeding is process-wide and the machine has few cores); the rest queue.
- Finished models are kept in a bounded most-recently-used cache and, given a `ModelStore`, on disk: after a
  restart a page finds its model without retraining, and learns which trainings the restart cut short.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from cnnlab.config import TrainConfig
from cnnlab.data import Dataset
from cnnlab.store import ModelStore
from cnnlab.train import TrainingCancelled, TrainResult
from cnnlab.train import train as train_model

WORKER_NAME = "cnnlab-trainer"
DEFAULT_MAX_MODELS = 8
INTERRUPTED_MESSAGE = "This training was interrupted by a server restart; press Train to start it again."
WORKER_DIED_MESSAGE = "This training stopped because the server's training thread ended; press Train to start it again."

logger = logging.getLogger(__name__)

JobKey = tuple[TrainConfig, str]


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Running in an earlier server process when it stopped; `submit` starts it again.
    INTERRUPTED = "interrupted"


@dataclass
class Job:
    """One requested training and everything a page needs to follow it.

    Written by the worker thread, read by page scripts: each field is replaced whole (never mutated in
    place), so a reader sees either the old or the new value, never half of one.
    """

    config: TrainConfig
    dataset: Dataset
    state: JobState = JobState.QUEUED
    epoch: int = 0
    batch: int = 0
    batches_per_epoch: int = 0
    last_metrics: dict = field(default_factory=dict)
    # Per finished epoch: {"epoch": k, "loss": …, "accuracy": …, "val_loss": …, "val_accuracy": …}.
    epochs: tuple[dict, ...] = ()
    result: TrainResult | None = None
    error: str = ""
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def key(self) -> JobKey:
        return (self.config, self.dataset.fingerprint)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED)

    @property
    def progress(self) -> float:
        """Share of all batches done, 0.0–1.0."""
        if self.state is JobState.DONE:
            return 1.0
        if not self.batches_per_epoch:
            return 0.0
        done = (self.epoch - 1) * self.batches_per_epoch + self.batch
        return min(1.0, max(0.0, done / (self.config.epochs * self.batches_per_epoch)))


TrainFunction = Callable[..., TrainResult]


class TrainingService:
    """Trains models one at a time in a background thread and keeps the latest few.

    train_function: `cnnlab.train.train` or a stand-in with the same signature (tests use fakes).
    max_models: how many finished models to keep in memory; the least recently used is dropped first.
    store: where finished models are also saved, and looked up when they are not in memory; None keeps
        nothing beyond this process.
    """

    def __init__(
        self,
        train_function: TrainFunction = train_model,
        max_models: int = DEFAULT_MAX_MODELS,
        store: ModelStore | None = None,
    ):
        if max_models < 1:
            raise ValueError("The service must keep at least one finished model.")
        self._train = train_function
        self._max_models = max_models
        self._store = store
        self._lock = threading.Condition()
        self._queue: deque[Job] = deque()
        self._active: dict[JobKey, Job] = {}  # queued or running
        self._finished: OrderedDict[JobKey, Job] = OrderedDict()  # done, most recent last
        self._failed: dict[JobKey, Job] = {}  # last failure or cancellation per key, until resubmitted
        self._running: Job | None = None
        self._worker: threading.Thread | None = None
        # Loading from disk can take seconds (it may import TensorFlow), so it happens outside `_lock`, one
        # load at a time, which keeps two pages from loading the same file twice.
        self._store_lock = threading.Lock()
        # Keys an earlier process was training when it stopped, read once: they stay until trained again.
        self._interrupted: set[JobKey] = set(store.interrupted()) if store is not None else set()

    # --- asking for models -------------------------------------------------------------------------------

    def submit(self, config: TrainConfig, dataset: Dataset) -> Job:
        """The job for these settings: a finished one at once (from memory or the store), a queued/running one
        shared, or a new one."""
        key = (config, dataset.fingerprint)
        self._recall(config, dataset)
        with self._lock:
            if key in self._finished:
                self._finished.move_to_end(key)
                return self._finished[key]
            if key in self._active:
                return self._active[key]
            self._failed.pop(key, None)
            self._interrupted.discard(key)
            job = Job(config=config, dataset=dataset)
            self._active[key] = job
            self._queue.append(job)
            self._ensure_worker()
            self._lock.notify_all()
            return job

    def find(self, config: TrainConfig, dataset: Dataset) -> Job | None:
        """The job for these settings in any state, or None if they were never submitted (or evicted).

        A model saved by an earlier process comes back as a DONE job; a training an earlier process did not
        finish comes back as an INTERRUPTED job whose `error` says so.
        """
        key = (config, dataset.fingerprint)
        self._recall(config, dataset)
        with self._lock:
            return self._lookup(key)

    def result(self, config: TrainConfig, dataset: Dataset) -> TrainResult | None:
        """The trained model for these settings, if one is ready."""
        job = self.find(config, dataset)
        return job.result if job is not None and job.state is JobState.DONE else None

    def latest(self) -> Job | None:
        """The most recently used finished job, or None."""
        with self._lock:
            return next(reversed(self._finished.values()), None)

    def finished_jobs(self) -> list[Job]:
        """Finished jobs, most recently used first."""
        with self._lock:
            return list(reversed(self._finished.values()))

    def queue_position(self, job: Job) -> int:
        """0 while the job runs, 1 for the first waiting job, and so on; -1 once it is not queued."""
        with self._lock:
            if job is self._running:
                return 0
            try:
                return self._queue.index(job) + 1
            except ValueError:
                return -1

    def running(self) -> Job | None:
        with self._lock:
            return self._running

    def cancel(self, job: Job) -> None:
        """Stop a queued job now, or a running one after its current batch."""
        with self._lock:
            job.cancel_requested.set()
            if job in self._queue:
                self._queue.remove(job)
                self._end(job, JobState.CANCELLED, "Training was cancelled before it started.")

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until `job` has finished (tests and scripts); True if it did within `timeout` seconds.

        The model is saved to the store just after; `join_worker` waits for that too.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not job.finished:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._lock.wait(remaining)
            return True

    def join_worker(self, timeout: float | None = None) -> None:
        """Wait for the worker thread to exit (it does once the queue is empty and the last model is saved)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    # --- the worker --------------------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        # A worker lives only while there is work, so an idle server holds no training thread.
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name=WORKER_NAME, daemon=True)
            self._worker.start()

    def _work(self) -> None:
        job: Job | None = None
        try:
            while True:
                with self._lock:
                    if not self._queue:
                        self._worker = None
                        return
                    job = self._queue.popleft()
                    self._running = job
                    job.state, job.started_at = JobState.RUNNING, time.time()
                    self._lock.notify_all()
                self._use_store("mark_running", job.config, job.dataset.fingerprint)
                state, error, result = self._run(job)
                with self._lock:
                    job.result = result
                    self._end(job, state, error)
                    self._running = None
                # Saved after the job is marked done, so no page waits for the disk (usually a few hundredths of a
                # second for the default model, but over a second on a busy machine or a slow disk). The marker goes
                # only once the file is in place, so a restart in between reports the training as interrupted
                # rather than losing it silently.
                if state is JobState.DONE:
                    self._use_store("save", result, job.dataset.fingerprint)
                self._use_store("clear_running", job.config, job.dataset.fingerprint)
                job = None
        except BaseException:
            # The thread is dying (SystemExit or KeyboardInterrupt raised in it, or a bug here). Without this, its
            # job would stay RUNNING for ever: every page waiting on it would hang and it could never be retrained.
            self._worker_died(job)
            raise

    def _worker_died(self, job: Job | None) -> None:
        """End the dying worker's job with a sentence and hand any queued jobs to a new worker."""
        logger.error("The training thread ended unexpectedly; its job is marked as failed.")
        # The marker goes first, so that whoever the job's end wakes finds the store already tidy.
        if job is not None:
            self._use_store("clear_running", job.config, job.dataset.fingerprint)
        with self._lock:
            if job is not None and not job.finished:
                self._end(job, JobState.FAILED, WORKER_DIED_MESSAGE)
            self._running = None
            if self._worker is threading.current_thread():
                self._worker = None
            if self._queue:
                self._ensure_worker()

    def _run(self, job: Job) -> tuple[JobState, str, TrainResult | None]:
        def on_batch_end(epoch: int, batch: int, batches_per_epoch: int, metrics: dict) -> None:
            job.epoch, job.batch, job.batches_per_epoch = epoch, batch, batches_per_epoch
            job.last_metrics = metrics

        def on_epoch_end(epoch: int, metrics: dict) -> None:
            job.epochs = (*job.epochs, {"epoch": epoch, **metrics})

        try:
            result = self._train(
                job.config,
                job.dataset,
                on_batch_end=on_batch_end,
                on_epoch_end=on_epoch_end,
                should_stop=job.cancel_requested.is_set,
            )
        except TrainingCancelled:
            return JobState.CANCELLED, "Training was cancelled.", None
        except ValueError as error:  # the engine's sentences for students (e.g. a diverging loss)
            return JobState.FAILED, str(error), None
        except Exception as error:  # noqa: BLE001 - a crash must end the job, not the worker
            traceback.print_exc()
            return JobState.FAILED, f"Training stopped with an unexpected error: {error}", None
        return JobState.DONE, "", result

    def _end(self, job: Job, state: JobState, error: str) -> None:
        """Record a job's end (caller holds the lock) and wake anyone waiting on it."""
        job.state, job.error, job.finished_at = state, error, time.time()
        self._active.pop(job.key, None)
        if state is JobState.DONE:
            self._finished[job.key] = job
            self._trim_finished()
        else:
            self._failed[job.key] = job
        self._lock.notify_all()

    # --- the store ---------------------------------------------------------------------------------------

    def _use_store(self, method: str, *arguments) -> None:
        """Call a store method from the worker; the store logs its own failures, and nothing it does may
        stop the worker."""
        if self._store is None:
            return
        try:
            getattr(self._store, method)(*arguments)
        except Exception:  # noqa: BLE001 - a store bug must not end the worker (and with it, all training)
            logger.exception("The model store failed in %s.", method)

    def _lookup(self, key: JobKey) -> Job | None:
        """The job for `key` in memory, in any state (caller holds the lock)."""
        return self._finished.get(key) or self._active.get(key) or self._failed.get(key)

    def _recall(self, config: TrainConfig, dataset: Dataset) -> None:
        """Bring what the store knows about a key not in memory into memory: a saved model as a DONE job, or
        a training an earlier process left unfinished as an INTERRUPTED one."""
        if self._store is None:
            return
        key = (config, dataset.fingerprint)
        with self._lock:
            if self._lookup(key) is not None:
                return
            interrupted = key in self._interrupted
        if not interrupted and not self._store.contains(config, dataset.fingerprint):
            return  # the common miss: one stat, no TensorFlow
        with self._store_lock:
            with self._lock:
                if self._lookup(key) is not None:  # another page loaded or submitted it meanwhile
                    return
            result = self._store.load(config, dataset.fingerprint)
            with self._lock:
                if self._lookup(key) is not None:
                    return
                if result is not None:
                    self._finished[key] = self._stored_job(config, dataset, result)
                    self._trim_finished()
                    self._interrupted.discard(key)
                elif interrupted:
                    self._failed[key] = Job(
                        config=config,
                        dataset=dataset,
                        state=JobState.INTERRUPTED,
                        error=INTERRUPTED_MESSAGE,
                        finished_at=time.time(),
                    )
        if result is not None and interrupted:
            # The earlier process stopped after saving but before removing its marker: the training did finish.
            self._store.clear_running(config, dataset.fingerprint)

    @staticmethod
    def _stored_job(config: TrainConfig, dataset: Dataset, result: TrainResult) -> Job:
        """A DONE job for a model loaded from the store, with the per-epoch records the curves are drawn from."""
        epoch_count = min((len(values) for values in result.history.values()), default=0)
        epochs = tuple(
            {"epoch": index + 1, **{name: values[index] for name, values in result.history.items()}}
            for index in range(epoch_count)
        )
        return Job(
            config=config,
            dataset=dataset,
            state=JobState.DONE,
            epoch=epoch_count,
            epochs=epochs,
            result=result,
            finished_at=result.extras.get("saved_at") or time.time(),
        )

    def _trim_finished(self) -> None:
        """Drop the least recently used finished jobs beyond `max_models` (caller holds the lock)."""
        while len(self._finished) > self._max_models:
            self._finished.popitem(last=False)
