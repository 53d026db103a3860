"""The training service's line to the Dask cluster: it connects on first use, gives a job to the cluster as a task,
stops one, restarts a stuck worker, counts the workers, and reads what a finished task means for its job.

It knows nothing of queues, turns or caches: the service decides what to send and when, and this module sends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from cnnlab.jobs.cluster import Connection
from cnnlab.jobs.job import CANCELLED_MESSAGE, Job, JobState, outcome_of
from cnnlab.jobs.model_file import UnusableFile, read_model_file
from cnnlab.jobs.store import ModelStore
from cnnlab.jobs.task import PROGRESS_TOPIC, TrainFunction, cancel_event_name, dataset_payload, run_training
from cnnlab.network.result import TrainResult

if TYPE_CHECKING:  # Dask is imported with the first training (a second of a first visit otherwise)
    from distributed import Future

# How long the cluster's worker count is trusted before the scheduler is asked again: pages ask for time-left
# estimates every second per student, and each question would otherwise be a round trip to the scheduler.
WORKER_COUNT_SECONDS = 2.0

logger = logging.getLogger(__name__)


class ClusterLink:
    """Sends trainings to the cluster that `connect_to_cluster` returns, connecting on first use.

    train_function: what the workers train with (`cnnlab.network.training.train`, or a stand-in tests import).
    on_news: receives each of the workers' progress messages (see `cnnlab.jobs.task.run_training`), on Dask's
        event loop.
    on_connect: called once, when the connection is made.
    """

    def __init__(self, connect_to_cluster: Callable[[], Connection], train_function: TrainFunction,
                 on_news: Callable[[dict], None], on_connect: Callable[[], None]):
        self._connect_to_cluster = connect_to_cluster
        self._train = train_function
        self._on_news = on_news
        self._on_connect = on_connect
        self._connection: Connection | None = None
        # Held while connecting (seconds for an embedded cluster to start), so that nobody connects twice.
        self._connection_lock = threading.Lock()
        self._workers = (0.0, 1, 1)  # (monotonic time asked, worker processes, training slots)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="cnnlab-service")

    def connect(self) -> Connection:
        """Where trainings run: the connection made on first use (which may raise), the same one ever after."""
        with self._connection_lock:
            if self._connection is None:
                connection = self._connect_to_cluster()
                # Dask delivers each event as (time, message).
                connection.client.subscribe_topic(PROGRESS_TOPIC, lambda event: self._on_news(event[1]))
                self._connection = connection
                self._on_connect()
            return self._connection

    def close(self) -> None:
        """Close the connection (and the embedded cluster, if it started one), if it was ever made."""
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
        self._executor.shutdown(wait=False)

    def send(self, job: Job, on_done: Callable[[Job, Future], None]) -> None:
        """Give `job` to the cluster as a new task; `on_done(job, future)` runs in Dask's callback thread when it
        ends."""
        # Unique task names: a resubmitted key must never meet the remains of a cancelled task of the same name.
        job.future = self.connect().client.submit(
            run_training, job.id, job.config, dataset_payload(job.dataset), self._train,
            key=f"cnnlab-train-{job.id}-{job.attempts}", pure=False,
        )
        job.future.add_done_callback(lambda future: on_done(job, future))

    def stop(self, job: Job, started: bool) -> None:
        """Ask a job's task to stop: its worker checks the cancel event between batches."""
        from distributed import Event

        # Set even for a job not yet started: the worker may have started it a moment ago, before its news arrived.
        Event(cancel_event_name(job.id), client=self.connect().client).set()
        if not started and job.future is not None:
            job.future.cancel()

    def restart_worker(self, address: str) -> None:
        """Replace the worker process at `address` with a fresh one, in the background."""
        # A stuck thread cannot be stopped from outside; only a new worker process frees the machine. The restart
        # takes seconds, so it happens in the background rather than in a page's run.
        self._executor.submit(self.connect().client.restart_workers, [address], raise_for_error=False)

    def cluster_size(self) -> tuple[int, int]:
        """(worker processes, trainings they can run at once), asked of the scheduler at most every
        WORKER_COUNT_SECONDS; (1, 1) when it cannot be asked, so that one training is always handed on."""
        asked, workers, slots = self._workers
        if time.monotonic() - asked < WORKER_COUNT_SECONDS:
            return workers, slots
        try:
            info = self.connect().client.scheduler_info(n_workers=-1)["workers"]
            workers, slots = len(info), sum(worker.get("nthreads", 1) for worker in info.values())
        except Exception:  # noqa: BLE001 - an estimate must never break a page
            workers, slots = 1, 1
        workers, slots = max(1, workers), max(1, slots)
        self._workers = (time.monotonic(), workers, slots)
        return workers, slots


def worker_died(future: Future) -> bool:
    """Whether the task ended because its worker process died (killed, out of memory)."""
    if future.status in ("finished", "cancelled"):
        return False
    from distributed.scheduler import KilledWorker

    return isinstance(future.exception(), KilledWorker)


def task_outcome(job: Job, future: Future, store: ModelStore | None) -> tuple[JobState, str, TrainResult | None]:
    """How `job` ends, given its task's end: the state, the student's sentence and the model. A finished model's
    file is saved in `store` (if any) and read back for the pages."""
    if future.status == "cancelled":
        return JobState.CANCELLED, CANCELLED_MESSAGE, None
    if future.status != "finished":
        return (*outcome_of(future.exception()), None)
    data = future.result()
    if store is not None:
        store.put(data, job.config, job.dataset.fingerprint)
    try:
        result = read_model_file(data, job.config, job.dataset.fingerprint)
    except UnusableFile as problem:
        logger.error("A worker sent a model that cannot be used: %s.", problem)
        return JobState.FAILED, f"The trained model arrived damaged ({problem}); press Train to try again.", None
    return JobState.DONE, "", result
