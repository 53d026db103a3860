"""The app's training service: every training is a Dask task in a worker process, shared by every student.

Why it exists: Streamlit reruns a page's script on every click, and a web server that trains in its own process
is slow for everyone while it does. Here the server only asks: each training runs in a Dask worker process (on
this machine or others, see `cnnlab.jobs.cluster`), and the service keeps what pages need to follow it.

- Jobs are keyed by (TrainConfig, dataset fingerprint): identical settings are trained once and shared.
- Each worker trains one job at a time; the rest wait in Dask's queue, whose order the service shows, with an
  estimate of the time left from the throughput measured on the workers.
- Progress arrives as Dask events (see `cnnlab.jobs.task`); a cancel reaches a running training through a Dask
  `Event` within a fraction of a second.
- A worker that dies gets its training retried once on another worker, then the job fails with a sentence. A
  training that stops reporting for `hang_seconds` is cancelled and its worker restarted.
- Finished models are kept in a bounded most-recently-used cache and, given a `ModelStore`, on disk: after a
  restart a page finds its model without retraining.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from cnnlab.config import TrainConfig
from cnnlab.digits.datasets import Dataset
from cnnlab.jobs.budget import budget_from_environment, check_budget, minutes_from_text
from cnnlab.jobs.class_board import ClassBoard
from cnnlab.jobs.cluster import Connection, connect
from cnnlab.jobs.job import CANCELLED_MESSAGE, Job, JobKey, JobState, outcome_of
from cnnlab.jobs.model_file import ModelRecord, UnusableFile, read_model_file
from cnnlab.jobs.pace import Pace
from cnnlab.jobs.store import ModelStore
from cnnlab.jobs.task import PROGRESS_TOPIC, TrainFunction, cancel_event_name, dataset_payload, run_training
from cnnlab.jobs.turns import count_turns, in_turn
from cnnlab.jobs.watchdog import hang_sentence, hung_jobs, overrun
from cnnlab.network.training import TrainResult, train
from cnnlab.words import describe_config

if TYPE_CHECKING:  # Dask is imported with the first training (a second of a first visit otherwise)
    from distributed import Future

# Finished models kept loaded for quick switching (the store on disk keeps more, see `store.MODELS_ON_DISK`).
MODELS_IN_MEMORY = 8
# Longer than any pause a healthy training makes between two reports (a fresh worker importing TensorFlow and
# tracing the model's graph on a busy machine took up to 136 s here), short enough that a stuck job does not
# hold a worker for the rest of the lesson.
HANG_SECONDS = 300.0
# A worker that dies during a training (killed, out of memory) costs the training one retry on another worker; a
# second death ends it with a sentence. The service counts this itself (Dask's own retries are off, see
# `cnnlab.jobs.cluster.ALLOWED_FAILURES`), so every death is counted exactly once.
RETRIES_AFTER_A_DEAD_WORKER = 1
HANG_CHECK_INTERVAL_SECONDS = 2.0
# How long the cluster's worker count is trusted before the scheduler is asked again: pages ask for time-left
# estimates every second per student, and each question would otherwise be a round trip to the scheduler.
WORKER_COUNT_SECONDS = 2.0
CANCELLED_BEFORE_START_MESSAGE = "Training was cancelled before it started."
PACE_FILE_NAME = "pace.json"  # beside the stored models

logger = logging.getLogger(__name__)


class OneTrainingEach(ValueError):
    """A tab asked for another training while one of its own is still waiting or running (`job`)."""

    def __init__(self, job: Job):
        where = "waiting for its turn" if job.state is JobState.QUEUED else "training"
        super().__init__(f"Your tab already has a model {where} ({describe_config(job.config)}). Each tab trains "
                         "one model at a time, so that everyone's trainings get their turn.")
        self.job = job

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
        if max_models < 1:
            raise ValueError("The service must keep at least one finished model.")
        self._store = store
        self._train = train_function
        self._max_models = max_models
        self._hang_seconds = hang_seconds
        self._budget_minutes = budget_from_environment() if budget_minutes is None else minutes_from_text(
            budget_minutes)
        self._trainings_per_tab = trainings_per_tab
        self.board = ClassBoard(store.directory if store is not None and store.available else None)
        self._lock = threading.Condition()
        self._active: dict[JobKey, Job] = {}  # queued or running, in the order they were submitted
        self._by_id: dict[str, Job] = {}  # the same jobs, by the id their worker's messages carry
        self._finished: OrderedDict[JobKey, Job] = OrderedDict()  # done, most recent last
        self._failed: dict[JobKey, Job] = {}  # last failure or cancellation per key, until resubmitted
        self._pace = Pace(store.directory / PACE_FILE_NAME if store is not None and store.available else None)
        # Trainings started per tab since the service was last idle: the turns `cnnlab.jobs.turns` orders by.
        self._turns: Counter[str] = Counter()
        self._workers = (0.0, 1, 1)  # (monotonic time asked, worker processes, training slots)
        # Loading from disk reads megabytes, so it happens outside `_lock`, one load at a time, which keeps two
        # pages from loading the same file twice.
        self._store_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="cnnlab-service")
        self._closed = threading.Event()
        # The cluster is started (or the scheduler reached) by the first training, not before: a server whose
        # students only look at models runs no worker process, and the first visit does not share the machine's
        # cores with a worker starting up while its own page imports TensorFlow.
        self._connect_to_cluster = connect_to_cluster
        self._connection: Connection | None = None
        self._connection_lock = threading.Lock()

    @property
    def connection(self) -> Connection:
        """Where trainings run; connects on first use (seconds for the embedded cluster to start)."""
        with self._connection_lock:
            if self._connection is None:
                connection = self._connect_to_cluster()
                connection.client.subscribe_topic(PROGRESS_TOPIC, self._on_news)
                self._connection = connection
                # One thread watches the running trainings (silent ones, overrunning ones) and starts waiting ones
                # as workers free up, whether or not any page is open.
                threading.Thread(target=self._watch_loop, name="cnnlab-watchdog", daemon=True).start()
            return self._connection

    def close(self) -> None:
        """Stop following jobs and close the connection (and the embedded cluster, if the service started one)."""
        self._closed.set()
        with self._connection_lock:
            if self._connection is not None:
                self._connection.close()
        self._executor.shutdown(wait=False)

    # --- asking for models -------------------------------------------------------------------------------

    def submit(self, config: TrainConfig, dataset: Dataset, owner: str | None = None) -> Job:
        """The job for these settings: a finished one at once (from memory or the store), a queued/running one
        shared, or a new one that waits for its turn.

        owner: the browser tab asking (an opaque id), which may have one training waiting or running at a time;
            None for scripts and tests.
        Raises `OneTrainingEach` when the tab has one already, and `cnnlab.jobs.budget.OverBudget` when a new
        training would take longer than this server's budget; nothing is queued then.
        """
        key = (config, dataset.fingerprint)
        self._recall(config, dataset)
        with self._lock:
            if key in self._finished:
                self._finished.move_to_end(key)
                return self._finished[key]
            self._check_one_each(owner, key)
            if key in self._active:
                job = self._active[key]
                job.owners = job.owners | ({owner} if owner else set())
                return job
        self.check_budget(config, dataset)
        with self._lock:
            self._check_one_each(owner, key)
            job = self._active.get(key)
            if job is None:
                self._failed.pop(key, None)
                job = Job(config=config, dataset=dataset)
                self._active[key] = job
                self._by_id[job.id] = job
            job.owners = job.owners | ({owner} if owner else set())
        self._dispatch()
        return job

    def _check_one_each(self, owner: str | None, key: JobKey) -> None:
        """Raise `OneTrainingEach` if `owner` already has its share of unfinished jobs other than `key`'s."""
        if owner is None:
            return
        # A job being stopped (its worker finishes the batch it is on) no longer counts against its tab.
        mine = [job for job in self._active.values()
                if owner in job.owners and job.key != key and job.stop_reason is None]
        if len(mine) >= self._trainings_per_tab:
            raise OneTrainingEach(mine[0])

    def own_job(self, owner: str) -> Job | None:
        """The unfinished job `owner` asked for, if any."""
        with self._lock:
            return next((job for job in self._active.values() if owner in job.owners), None)

    def _dispatch(self) -> None:
        """Give waiting jobs to the cluster, in turn order, while it has a free worker; the rest wait here, where
        their order can still change as other students ask."""
        with self._lock:
            if all(job.sent for job in self._active.values()):
                return
        client = self.connection.client
        slots = self._cluster_size()[1]  # a round trip to the scheduler: never under the lock
        with self._lock:
            sent = [job for job in self._active.values() if job.sent]
            waiting = [job for job in self._active.values() if not job.sent]
            chosen = in_turn(waiting, self._turns)[: max(0, slots - len(sent))]
            count_turns(self._turns, chosen)
            for job in chosen:
                job.sent = True
                job.estimated_seconds = self._pace.estimated_seconds(job.config, job.dataset)
                job.estimate_measured = self._pace.measured
        for job in chosen:
            self._send(job, client)

    def _send(self, job: Job, client) -> None:
        """Give `job` to the cluster as a new task."""
        # Unique task names: a resubmitted key must never meet the remains of a cancelled task of the same name.
        job.future = client.submit(
            run_training, job.id, job.config, dataset_payload(job.dataset), self._train,
            key=f"cnnlab-train-{job.id}-{job.attempts}", pure=False,
        )
        job.future.add_done_callback(lambda future: self._on_done(job, future))

    def find(self, config: TrainConfig, dataset: Dataset) -> Job | None:
        """The job for these settings in any state, or None if they were never submitted (or were evicted).

        A model saved by an earlier process comes back as a DONE job.
        """
        key = (config, dataset.fingerprint)
        self._recall(config, dataset)
        with self._lock:
            return self._lookup(key)

    def dataset_with(self, fingerprint: str) -> Dataset | None:
        """The data set of that fingerprint, if a job in memory trains or trained on it (an uploaded CSV), else None."""
        with self._lock:
            jobs = [*self._active.values(), *self._finished.values(), *self._failed.values()]
        return next((job.dataset for job in jobs if job.dataset.fingerprint == fingerprint), None)

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
        with self._lock:
            return [job for job in self._active.values() if job.state is JobState.RUNNING]

    def unfinished(self) -> list[Job]:
        """Every queued or running job: the running ones, then the waiting ones in the order they will start."""
        with self._lock:
            return self._in_order()

    def _in_order(self) -> list[Job]:
        """Running jobs, jobs the cluster has but not yet started, then those waiting here in turn (caller holds
        the lock)."""
        running = [job for job in self._active.values() if job.state is JobState.RUNNING]
        sent = [job for job in self._active.values() if job.sent and job.state is JobState.QUEUED]
        waiting = [job for job in self._active.values() if not job.sent]
        return running + sent + in_turn(waiting, self._turns)

    def queue_position(self, job: Job) -> int:
        """0 while the job runs, 1 for the next job to start, and so on; -1 once it has finished."""
        with self._lock:
            if job.state is JobState.RUNNING:
                return 0
            queued = [other for other in self._in_order() if other.state is JobState.QUEUED]
            return queued.index(job) + 1 if job in queued else -1

    def seconds_left(self, job: Job) -> float:
        """About how many seconds until `job` has finished (0 once it has).

        A running job: its remaining batches at the pace its worker has kept so far. A waiting job: the time
        left of the jobs running or ahead of it in turn, shared among the workers, plus its own, estimated from
        the number of multiply-adds it needs and the speed the workers last measured.
        """
        with self._lock:
            if job.finished:
                return 0.0
            if job.state is JobState.RUNNING:
                return self._pace.seconds_left(job)
            order = self._in_order()
            ahead = order[: order.index(job)] if job in order else []
        workers = max(1, self._cluster_size()[0])
        return sum(self._pace.seconds_left(other) for other in ahead) / workers + self._pace.seconds_left(job)

    def cancel(self, job: Job, owner: str | None = None, reason: str = CANCELLED_MESSAGE) -> None:
        """Stop a waiting job now, or a running one within a fraction of a second (at its next check).

        owner: the tab asking; a job other tabs asked for too goes on for them, and only this tab lets go of it.
        reason: the sentence the job ends with (a teacher's cancel says so).
        """
        with self._lock:
            if job.finished:
                return
            if owner is not None and job.owners - {owner}:
                job.owners = job.owners - {owner}
                return
            started = job.state is JobState.RUNNING
            if started:
                job.stop_reason = (JobState.CANCELLED, reason)
            else:
                self._end(job, JobState.CANCELLED,
                          CANCELLED_BEFORE_START_MESSAGE if reason == CANCELLED_MESSAGE else reason)
        if job.sent:
            self._stop_task(job, started)
        self._dispatch()

    def _stop_task(self, job: Job, started: bool) -> None:
        """Ask a job's task to stop: its worker checks the cancel event between batches."""
        from distributed import Event

        # Set even for a job not yet started: the worker may have started it a moment ago, before its news arrived.
        Event(cancel_event_name(job.id), client=self.connection.client).set()
        if not started and job.future is not None:
            job.future.cancel()

    def wait(self, job: Job, timeout: float | None = None) -> bool:
        """Block until `job` has finished (tests and scripts); True if it did within `timeout` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: job.finished, timeout)

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

    # --- news from the workers ---------------------------------------------------------------------------

    def _on_news(self, event: tuple[float, dict]) -> None:
        """A worker's message about a job (see `cnnlab.jobs.task.run_training`); runs on Dask's event loop."""
        _, message = event
        with self._lock:
            job = self._by_id.get(message.get("job"))
            if job is None or job.finished:
                return  # another app replica's job, or one that ended meanwhile
            job.record_news(message)
            if message["kind"] == "batch":
                self._pace.measure(job)
            self._lock.notify_all()

    def _on_done(self, job: Job, future: Future) -> None:
        """Record how a job's task ended; runs in Dask's callback thread."""
        if future.status == "finished":
            state, error, result = self._receive_model(job, future.result())
        elif future.status == "cancelled":
            state, error, result = JobState.CANCELLED, CANCELLED_MESSAGE, None
        else:
            from distributed.scheduler import KilledWorker

            error = future.exception()
            if isinstance(error, KilledWorker) and self._retry(job):
                return
            state, error = outcome_of(error)
            result = None
        with self._lock:
            job.future = None  # lets Dask forget the task
            if state is JobState.CANCELLED and job.stop_reason is not None:
                state, error = job.stop_reason
            if not job.finished:  # a cancel or a hang may have ended it already
                job.result = result
                self._end(job, state, error)
        if not self._closed.is_set():
            self._dispatch()

    def _retry(self, job: Job) -> bool:
        """Train a job whose worker died once more, on another worker, unless it was retried already or ended."""
        with self._lock:
            if job.finished or job.attempts >= 1 + RETRIES_AFTER_A_DEAD_WORKER:
                return False
            job.attempts += 1
            job.start_over()
            job.state, job.worker_pid = JobState.QUEUED, None
        logger.warning("The worker training job %s died; training it again on another worker.", job.id)
        self._send(job, self.connection.client)
        return True

    def _receive_model(self, job: Job, data: bytes) -> tuple[JobState, str, TrainResult | None]:
        """Save a finished model's file and read it back for the pages."""
        if self._store is not None:
            self._store.put(data, job.config, job.dataset.fingerprint)
        try:
            result = read_model_file(data, job.config, job.dataset.fingerprint)
        except UnusableFile as problem:
            logger.error("A worker sent a model that cannot be used: %s.", problem)
            return JobState.FAILED, f"The trained model arrived damaged ({problem}); press Train to try again.", None
        return JobState.DONE, "", result

    def _end(self, job: Job, state: JobState, error: str) -> None:
        """Record a job's end (caller holds the lock) and wake anyone waiting on it."""
        job.state, job.error, job.finished_at = state, error, time.time()
        self._active.pop(job.key, None)
        self._by_id.pop(job.id, None)
        if state is JobState.DONE:
            self._pace.remember(job)
            self._finished[job.key] = job
            self._trim_finished()
        else:
            self._failed[job.key] = job
        if not self._active:
            self._turns.clear()  # nobody waits for anybody: earlier turns no longer count
        self._lock.notify_all()

    # --- the watchdog --------------------------------------------------------------------------------------

    def _watch_loop(self) -> None:
        """Every HANG_CHECK_INTERVAL_SECONDS until the service closes: `_watch`, then start what can start."""
        while not self._closed.wait(HANG_CHECK_INTERVAL_SECONDS):
            try:
                self._watch()
                self._dispatch()
            except Exception:  # noqa: BLE001 - the watchdog must outlive any one failed check
                logger.exception("The training watchdog's check failed; it checks again shortly.")

    def _watch(self) -> None:
        """Stop running jobs that sent no news for `hang_seconds` (restarting their workers) or that passed their
        time (`cnnlab.jobs.watchdog.overrun`); the student is told why."""
        with self._lock:
            for job in self._active.values():
                if job.sent and not job.estimate_measured and job.epochs and self._pace.measured:
                    # The estimate made before this server's pace was known, made again from the first epoch's.
                    job.estimated_seconds = self._pace.estimated_seconds(job.config, job.dataset)
                    job.estimate_measured = True
            hung = hung_jobs(self._active.values(), self._hang_seconds)
            for job in hung:
                self._end(job, JobState.FAILED, hang_sentence(self._hang_seconds))
            overrunning = [(job, sentence) for job in self._active.values()
                           if (sentence := overrun(job, self.budget_seconds)) is not None]
            for job, sentence in overrunning:
                self._end(job, JobState.FAILED, sentence)
        for job, sentence in overrunning:
            logger.warning("Job %s overran its time and was stopped: %s", job.id, sentence)
            self._stop_task(job, started=True)
        for job in hung:
            logger.error("Job %s sent no news for %.0f s; cancelling it and restarting worker %s.",
                         job.id, self._hang_seconds, job.worker)
            if job.future is not None:
                job.future.cancel()
            if job.worker:
                # A stuck thread cannot be stopped from outside; only a new worker process frees the machine. The
                # restart takes seconds, so it happens in the background rather than in a page's run.
                self._executor.submit(self.connection.client.restart_workers, [job.worker], raise_for_error=False)

    # --- estimates -----------------------------------------------------------------------------------------

    def estimated_seconds(self, config: TrainConfig, dataset: Dataset) -> float:
        """About how many seconds a worker needs to train `config` on `dataset`, at the workers' latest pace."""
        return self._pace.estimated_seconds(config, dataset)

    def _cluster_size(self) -> tuple[int, int]:
        """(worker processes, trainings they can run at once), asked of the scheduler at most every
        WORKER_COUNT_SECONDS; (1, 1) when it cannot be asked, so that one training is always handed on."""
        asked, workers, slots = self._workers
        if time.monotonic() - asked < WORKER_COUNT_SECONDS:
            return workers, slots
        try:
            info = self.connection.client.scheduler_info(n_workers=-1)["workers"]
            workers, slots = len(info), sum(worker.get("nthreads", 1) for worker in info.values())
        except Exception:  # noqa: BLE001 - an estimate must never break a page
            workers, slots = 1, 1
        workers, slots = max(1, workers), max(1, slots)
        self._workers = (time.monotonic(), workers, slots)
        return workers, slots

    # --- the store -----------------------------------------------------------------------------------------

    def _lookup(self, key: JobKey) -> Job | None:
        """The job for `key` in memory, in any state (caller holds the lock)."""
        return self._finished.get(key) or self._active.get(key) or self._failed.get(key)

    def _recall(self, config: TrainConfig, dataset: Dataset) -> None:
        """Bring a model the store holds, but memory does not, into memory as a DONE job."""
        if self._store is None:
            return
        key = (config, dataset.fingerprint)
        with self._lock:
            if self._lookup(key) is not None:
                return
        if not self._store.contains(config, dataset.fingerprint):
            return  # the common miss: one stat, no TensorFlow
        with self._store_lock:
            with self._lock:
                if self._lookup(key) is not None:  # another page loaded or submitted it meanwhile
                    return
            result = self._store.load(config, dataset.fingerprint)
            if result is None:
                return
            with self._lock:
                if self._lookup(key) is None:
                    self._finished[key] = Job.from_stored(config, dataset, result)
                    self._trim_finished()

    def _trim_finished(self) -> None:
        """Drop the least recently used finished jobs beyond `max_models` (caller holds the lock)."""
        while len(self._finished) > self._max_models:
            self._finished.popitem(last=False)
