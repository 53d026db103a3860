"""The service's line to the cluster on its own, with a stand-in Dask client: it connects once and only when used,
asks the scheduler for the worker count sparingly, names each task uniquely, and reads a task's end right."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from distributed.scheduler import KilledWorker

from cnnlab.config import TrainConfig
from cnnlab.jobs.cluster_link import ClusterLink, task_outcome, worker_died
from cnnlab.jobs.job import CANCELLED_MESSAGE, Job, JobState
from cnnlab.jobs.task import PROGRESS_TOPIC

WAIT = 30  # seconds; generous, since each wait ends as soon as its event comes
DATA = SimpleNamespace(source="sample", fingerprint="digits")


class FakeFuture:
    def __init__(self, status: str = "pending", result=None, error: BaseException | None = None):
        self.status, self._result, self._error = status, result, error
        self.callbacks = []

    def add_done_callback(self, callback) -> None:
        self.callbacks.append(callback)

    def result(self):
        return self._result

    def exception(self):
        return self._error


class FakeClient:
    """Records what the link asks of Dask; `workers` is what the scheduler reports (None: it cannot be asked)."""

    def __init__(self, workers: dict | None):
        self.workers = workers
        self.topics, self.submitted, self.info_asked = {}, [], 0
        self.restarted = threading.Event()

    def subscribe_topic(self, topic, handler) -> None:
        self.topics[topic] = handler

    def scheduler_info(self, n_workers: int):
        self.info_asked += 1
        if self.workers is None:
            raise OSError("the scheduler is gone")
        return {"workers": self.workers}

    def submit(self, function, *arguments, key: str, pure: bool) -> FakeFuture:
        self.submitted.append((function, arguments, key, pure))
        return FakeFuture()

    def restart_workers(self, addresses, raise_for_error: bool) -> None:
        self.restarted_addresses = addresses
        self.restarted.set()


def link_to(client: FakeClient, news: list | None = None, connections: list | None = None) -> ClusterLink:
    connections = [] if connections is None else connections

    def connect():
        connections.append(client)
        return SimpleNamespace(client=client, close=lambda: None)

    news = [] if news is None else news
    return ClusterLink(connect, train_function=len, on_news=news.append,
                       on_connect=lambda: news.append("connected"))


def test_the_link_connects_on_first_use_only_and_passes_the_workers_news_on():
    client, news, connections = FakeClient({}), [], []
    link = link_to(client, news, connections)
    assert connections == []
    assert link.connect().client is client and link.connect().client is client
    assert connections == [client] and news == ["connected"]
    client.topics[PROGRESS_TOPIC]((12.5, {"job": "abc", "kind": "started"}))  # Dask's (time, message)
    assert news == ["connected", {"job": "abc", "kind": "started"}]


def test_the_worker_count_is_asked_once_in_a_while_and_one_when_it_cannot_be_asked():
    client = FakeClient({"tcp://a": {"nthreads": 2}, "tcp://b": {"nthreads": 1}})
    link = link_to(client)
    assert link.cluster_size() == (2, 3)
    assert link.cluster_size() == (2, 3) and client.info_asked == 1
    assert link_to(FakeClient(None)).cluster_size() == (1, 1)


def test_each_attempt_is_a_task_of_its_own_and_its_end_reaches_the_service():
    client, ended = FakeClient({}), []
    link = link_to(client)
    job = Job(config=TrainConfig(), dataset=DATA)
    link.send(job, lambda *done: ended.append(done))
    job.attempts = 2
    link.send(job, lambda *done: ended.append(done))
    assert [key for _, _, key, _ in client.submitted] == [f"cnnlab-train-{job.id}-1", f"cnnlab-train-{job.id}-2"]
    assert all(pure is False for *_, pure in client.submitted)
    job.future.callbacks[0](job.future)
    assert ended == [(job, job.future)]


def test_a_stuck_worker_is_restarted_in_the_background():
    client = FakeClient({})
    link_to(client).restart_worker("tcp://stuck")
    assert client.restarted.wait(WAIT) and client.restarted_addresses == ["tcp://stuck"]


def test_a_tasks_end_becomes_the_jobs_state_and_sentence():
    job = Job(config=TrainConfig(), dataset=DATA)
    assert task_outcome(job, FakeFuture("cancelled"), None) == (JobState.CANCELLED, CANCELLED_MESSAGE, None)
    diverged = FakeFuture("error", error=ValueError("The loss diverged: lower the learning rate."))
    assert task_outcome(job, diverged, None) == (JobState.FAILED, "The loss diverged: lower the learning rate.",
                                                 None)
    saved = []
    store = SimpleNamespace(put=lambda data, config, fingerprint: saved.append((data, config, fingerprint)))
    state, sentence, result = task_outcome(job, FakeFuture("finished", result=b"half a zip"), store)
    assert state is JobState.FAILED and "arrived damaged" in sentence and result is None
    # Kept as it came: the store sets a damaged file aside when it is loaded.
    assert saved == [(b"half a zip", job.config, "digits")]


def test_only_a_killed_worker_counts_as_a_dead_worker():
    killed = KilledWorker("cnnlab-train-x-1", None, 0)
    assert worker_died(FakeFuture("error", error=killed))
    assert not worker_died(FakeFuture("error", error=ValueError("diverged")))
    assert not worker_died(FakeFuture("finished")) and not worker_died(FakeFuture("cancelled"))
