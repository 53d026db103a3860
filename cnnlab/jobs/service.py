"""The app's training service: every training is a Dask task in a worker process, shared by every student.

Why it exists: Streamlit reruns a page's script on every click, and a web server that trains in its own process
is slow for everyone while it does. Here the server only asks: each training runs in a Dask worker process (on
this machine or others, see `cnnlab.jobs.cluster`), and the service keeps what pages need to follow it.

- Jobs are keyed by (TrainConfig, dataset fingerprint): identical settings are trained once and shared. Every job
  in memory is in the `registry`, which holds the one lock they change under.
- Each worker trains one job at a time; the rest wait in the service's own queue (`training_queue`), in turn, with
  an estimate of the time left from the throughput measured on the workers (`pace`).
- Jobs go to the cluster, and cancels reach a running training within a fraction of a second, through the
  `cluster_link`; progress comes back as Dask events (see `task`).
- A worker that dies gets its training retried once on another worker, then the job fails with a sentence. A
  training that stops reporting for `hang_seconds`, or passes its time, is stopped (`watchdog`).
- Finished models are kept in a bounded cache in memory (`model_cache`) and, given a `ModelStore`, on disk: after
  a restart a page finds its model without retraining (`recall`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.budget import budget_from_environment, check_budget, minutes_from_text
from cnnlab.jobs.class_board import ClassBoard
from cnnlab.jobs.cluster import Connection, connect
from cnnlab.jobs.cluster_link import ClusterLink, task_outcome, worker_died
from cnnlab.jobs.job import CANCELLED_MESSAGE, Job
from cnnlab.jobs.model_cache import MODELS_IN_MEMORY
from cnnlab.jobs.model_file import ModelRecord
from cnnlab.jobs.pace import Pace
from cnnlab.jobs.recall import StoreRecall
from cnnlab.jobs.registry import JobRegistry
from cnnlab.jobs.store import ModelStore
from cnnlab.jobs.task import TrainFunction
from cnnlab.jobs.watchdog import HANG_CHECK_INTERVAL_SECONDS, HANG_SECONDS, watch_every
from cnnlab.network.training import train

if TYPE_CHECKING:  # Dask is imported with the first training (a second of a first visit otherwise)
    from distributed import Future

PACE_FILE_NAME = "pace.json"  # beside the stored models

logger = logging.getLogger(__name__)
# At once: the cluster starts nice from its first instruction (`cluster.TRAINING_NICENESS`), so it takes only what
# the page runs leave, and a student may press Train a few seconds after opening the page.
CLUSTER_START_DELAY_SECONDS = 0.0


class TrainingService:
    """Trains models in Dask worker processes and keeps the latest few.

    connect_to_cluster: returns the `Connection` to train on; called once, by the first training submitted (which
        waits the seconds an embedded cluster takes to start); until then no worker process runs.
    store: where finished models are saved, and looked up when they are not in memory; None keeps nothing
        beyond this process.
    train_function: `cnnlab.network.training.train` or a stand-in with the same signature that workers can
        import (tests).
    max_models: how many finished models to keep in memory; the least recently used is dropped first.
    hang_seconds: a running training that sends no news for this long is cancelled and its worker restarted.
    budget_minutes: the longest a training may take (`cnnlab.jobs.budget`); None reads the environment.
    trainings_per_tab: how many unfinished trainings one browser tab may have.
    """

    def __init__(
        self,
        connect_to_cluster: Callable[[], Connection] = connect,
        store: ModelStore | None = None,
        train_function: TrainFunction = train,
        max_models: int = MODELS_IN_MEMORY,
        hang_seconds: float = HANG_SECONDS,
        budget_minutes: float | None = None,
        trainings_per_tab: int = 1,
    ):
        directory = store.directory if store is not None and store.available else None
        self._store = store
        self._hang_seconds = hang_seconds
        self._budget_minutes = budget_from_environment() if budget_minutes is None else minutes_from_text(
            budget_minutes)
        self.board = ClassBoard(directory)
        self._pace = Pace(directory / PACE_FILE_NAME if directory is not None else None)
        self._jobs = JobRegistry(self._pace, max_models, trainings_per_tab)
        self._recall = StoreRecall(store, lambda key: self._jobs.lookup(key) is not None, self._jobs.keep_recalled)
        self._closed = threading.Event()
        # The cluster is started (or the scheduler reached) once a tab opens the Train page (`start_cluster_soon`), or
        # by the first training, not before: a server whose students only look at models runs no worker process,
        # and the first visit does not share the machine's cores with a worker starting up.
        self._link = ClusterLink(connect_to_cluster, train_function, self._jobs.record_news, self._start_watchdog)
        self._cluster_asked = threading.Event()

    def start_cluster_soon(self, delay_seconds: float = CLUSTER_START_DELAY_SECONDS) -> None:
        """Start the cluster (or reach the scheduler) `delay_seconds` from now, in a thread of its own, unless that was
        asked before. For a tab that opens the Train page: the training it is about to ask for then finds a worker
        ready, TensorFlow imported (`worker_preload`), instead of waiting for one to start, about a third of a short
        training's time on a 2-core host. A failure is logged; the first training then connects again."""
        if self._cluster_asked.is_set():
            return
        self._cluster_asked.set()

        def connect_later() -> None:
            if self._closed.wait(delay_seconds):
                return
            try:
                self._link.connect()
            except Exception:  # noqa: BLE001 - the first training connects again and says why
                logger.warning("The cluster could not be started ahead of the first training.", exc_info=True)

        threading.Thread(target=connect_later, name="cnnlab-cluster-start", daemon=True).start()

    @property
    def connection(self) -> Connection:
        """Where trainings run; connects on first use (seconds for the embedded cluster to start)."""
        return self._link.connect()

    def close(self) -> None:
        """Stop following jobs and close the connection (and the embedded cluster, if the service started one)."""
        self._closed.set()
        self._link.close()

    # --- asking for models -------------------------------------------------------------------------------

    def submit(self, config: TrainConfig, dataset: Dataset, owner: str | None = None) -> Job:
        """The job for these settings: a finished one at once (from memory or the store), a queued/running one
        shared, or a new one that waits for its turn.

        owner: the browser tab asking (an opaque id), which may have one training waiting or running at a time;
            None for scripts and tests.
        Raises `cnnlab.jobs.training_queue.OneTrainingEach` when the tab has one already, and
        `cnnlab.jobs.budget.OverBudget` when a new training would take longer than this server's budget; nothing is
        queued then.
        """
        self._recall.recall(config, dataset)
        job = self._jobs.ready_or_shared((config, dataset.fingerprint), owner)
        if job is not None:
            return job
        self.check_budget(config, dataset)
        job = self._jobs.add(config, dataset, owner)
        self._dispatch()
        return job

    def find(self, config: TrainConfig, dataset: Dataset) -> Job | None:
        """The job for these settings in any state, or None if they were never submitted (or were evicted).

        A model saved by an earlier process comes back as a DONE job.
        """
        self._recall.recall(config, dataset)
        return self._jobs.lookup((config, dataset.fingerprint))

    def own_job(self, owner: str) -> Job | None:
        """The unfinished job `owner` asked for, if any."""
        return self._jobs.own_job(owner)

    def dataset_with(self, fingerprint: str) -> Dataset | None:
        """The data set of that fingerprint, if a job in memory trains or trained on it (an uploaded CSV), else None."""
        return self._jobs.dataset_with(fingerprint)

    def finished_jobs(self) -> list[Job]:
        """Finished jobs in memory, most recently used first."""
        return self._jobs.finished_jobs()

    def records(self, include_hidden: bool = False) -> list[ModelRecord]:
        """Every finished model this server knows: those in the store (trained here, by another replica sharing
        the folder, or before a restart) and those only in memory; most recently used first. Models the teacher
        took off the class's board are left out unless `include_hidden`."""
        stored = self._store.records() if self._store is not None else []
        known = {(record.config, record.fingerprint) for record in stored}
        in_memory = [
            ModelRecord(job.config, job.dataset.fingerprint, job.result.test_accuracy, job.result.seconds,
                        job.result.train_images, job.result.dataset_name, job.finished_at)
            for job in self.finished_jobs() if job.key not in known
        ]
        return [record for record in in_memory + stored
                if include_hidden or not self.board.is_hidden((record.config, record.fingerprint))]

    def running(self) -> list[Job]:
        """The jobs a worker is training now, oldest first."""
        return self._jobs.running()

    def unfinished(self) -> list[Job]:
        """Every queued or running job: the running ones, then the waiting ones in the order they will start."""
        return self._jobs.unfinished()

    def queue_position(self, job: Job) -> int:
        """0 while the job runs, 1 for the next job to start, and so on; -1 once it has finished."""
        return self._jobs.queue_position(job)

    def seconds_left(self, job: Job) -> float:
        """About how many seconds until `job` has finished (0 once it has).

        A running job: its remaining batches at the pace its worker has kept so far. A waiting job: the time
        left of the jobs running or ahead of it in turn, shared among the workers, plus its own, estimated from
        the number of multiply-adds it needs and the speed the workers last measured.
        """
        return self._jobs.seconds_left(job, lambda: self._link.cluster_size()[0])

    def estimated_seconds(self, config: TrainConfig, dataset: Dataset) -> float:
        """About how many seconds a worker needs to train `config` on `dataset`, at the workers' latest pace."""
        return self._pace.estimated_seconds(config, dataset)

    def cancel(self, job: Job, owner: str | None = None, reason: str = CANCELLED_MESSAGE) -> None:
        """Stop a waiting job now, or a running one within a fraction of a second (at its next check).

        owner: the tab asking; a job other tabs asked for too goes on for them, and only this tab lets go of it.
        reason: the sentence the job ends with (a teacher's cancel says so).
        """
        started = self._jobs.cancel(job, owner, reason)
        if started is None:
            return
        if job.sent:
            self._link.stop(job, started)
        self._dispatch()

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until `job` has finished (tests and scripts); True if it did within `timeout` seconds."""
        return self._jobs.wait(job, timeout)

    # --- the budget ----------------------------------------------------------------------------------------

    @property
    def budget_seconds(self) -> float:
        """The longest a training may take on this server, in seconds (see `cnnlab.jobs.budget`)."""
        return self._budget_minutes * 60

    def check_budget(self, config: TrainConfig, dataset: Dataset) -> None:
        """Raise `cnnlab.jobs.budget.OverBudget` (a sentence and the nearest settings that fit) when training `config`
        on `dataset` would take longer than the budget at this server's pace."""
        check_budget(config, dataset.train_size, self.budget_seconds,
                     lambda choice: self.estimated_seconds(choice, dataset))

    def set_budget_minutes(self, minutes: float) -> None:
        """Change the budget while the server runs (a teacher's page); ValueError with a sentence when out of range.
        Trainings already accepted keep running, but one that passes the new budget is stopped."""
        self._budget_minutes = minutes_from_text(minutes)

    # --- the cluster's side --------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Give waiting jobs to the cluster, in turn, while it has a free worker; the rest wait in the queue, where
        their order can still change as other students ask."""
        if not self._jobs.has_waiting():
            return
        # Connect first: a connection that fails raises here, and leaves every job waiting for the next try.
        self._link.connect()
        slots = self._link.cluster_size()[1]  # may ask the scheduler: never under the registry's lock
        for job in self._jobs.start_next(slots):
            self._link.send(job, self._on_done)

    def _on_done(self, job: Job, future: Future) -> None:
        """Record how a job's task ended; runs in Dask's callback thread."""
        if worker_died(future) and self._jobs.retry(job):
            logger.warning("The worker training job %s died; training it again on another worker.", job.id)
            self._link.send(job, self._on_done)
            return
        self._jobs.finish(job, *task_outcome(job, future, self._store))
        if not self._closed.is_set():
            self._dispatch()

    def _start_watchdog(self) -> None:
        """One thread watches the running trainings (silent ones, overrunning ones) and starts waiting ones as
        workers free up, whether or not any page is open."""
        watch_every(HANG_CHECK_INTERVAL_SECONDS, self._watch, self._closed)

    def _watch(self) -> None:
        """Stop running jobs that sent no news for `hang_seconds` (restarting their workers) or that passed their
        time; then start what can start."""
        hung, overrunning = self._jobs.stop_overdue(self._hang_seconds, self.budget_seconds)
        for job, sentence in overrunning:
            logger.warning("Job %s overran its time and was stopped: %s", job.id, sentence)
            self._link.stop(job, started=True)
        for job, _ in hung:
            logger.error("Job %s sent no news for %.0f s; cancelling it and restarting worker %s.",
                         job.id, self._hang_seconds, job.worker)
            if job.future is not None:
                job.future.cancel()
            if job.worker:
                self._link.restart_worker(job.worker)
        self._dispatch()
