"""Replacing a worker that trainings have grown: only once it has trained, is idle and holds nothing unfetched;
then, with a real embedded cluster, the new worker takes the next task."""

from __future__ import annotations

import asyncio
import os
import time
from types import SimpleNamespace

import pytest

from cnnlab.jobs.recycle import LIMIT_VARIABLE, WorkerRecycler

MIB = 2**20


class FakeScheduler:
    """The parts of a Dask scheduler the recycler reads: workers with their tasks and memory, and the task table."""

    def __init__(self):
        self.workers = {}
        self.tasks = {}
        self.restarted = []

    def worker(self, address: str, memory_mib: float, processing=(), has_what=()):
        self.workers[address] = SimpleNamespace(processing=set(processing), has_what=set(has_what),
                                                memory=SimpleNamespace(process=int(memory_mib * MIB)))

    async def restart_workers(self, workers, **_):
        self.restarted.append(list(workers))
        return dict.fromkeys(workers, "OK")


def check(recycler) -> list[str]:
    return asyncio.run(recycler.check())


def test_only_a_worker_that_has_trained_grown_and_gone_idle_is_restarted():
    scheduler = FakeScheduler()
    recycler = WorkerRecycler(scheduler, 1000 * MIB)
    scheduler.worker("tcp://a", 1500)  # large, but never seen training (a fresh worker importing things)
    assert check(recycler) == []
    scheduler.worker("tcp://a", 1500, processing={"train-1"})
    scheduler.tasks = {"train-1": SimpleNamespace(state="processing")}
    assert check(recycler) == []  # still training
    scheduler.worker("tcp://a", 1500, has_what={"train-1"})
    scheduler.tasks = {"train-1": SimpleNamespace(state="memory")}
    assert check(recycler) == []  # its model is not fetched yet
    scheduler.worker("tcp://a", 1500)
    scheduler.tasks = {"train-2": SimpleNamespace(state="queued")}
    assert check(recycler) == []  # another training is on its way
    scheduler.tasks = {}
    assert check(recycler) == ["tcp://a"] and scheduler.restarted == [["tcp://a"]]
    assert check(recycler) == []  # once: the same address has not trained again


def test_a_worker_under_the_limit_is_kept():
    scheduler = FakeScheduler()
    recycler = WorkerRecycler(scheduler, 1000 * MIB)
    scheduler.worker("tcp://a", 900, processing={"train-1"})
    check(recycler)
    scheduler.worker("tcp://a", 990)
    assert check(recycler) == [] and scheduler.restarted == []


def _process_id_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.mark.slow
def test_the_embedded_cluster_replaces_a_grown_worker_and_trains_on_with_the_new_one(monkeypatch):
    from distributed import Client

    from cnnlab.jobs.cluster import EmbeddedCluster

    monkeypatch.setenv(LIMIT_VARIABLE, "1")  # every worker that has run a task has grown past 1 MiB
    cluster = EmbeddedCluster(1)
    try:
        with Client(cluster.scheduler_address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=120)
            first = client.submit(_process_id_after, 2.0, pure=False).result(timeout=120)
            deadline = time.monotonic() + 120
            while True:  # the host looks once a second; the new worker takes a few seconds to start
                try:
                    process_ids = set(client.run(os.getpid, wait=True).values())
                except OSError:  # the worker went away between the listing and the call
                    process_ids = set()
                if process_ids and first not in process_ids:
                    break
                assert time.monotonic() < deadline, "the grown worker was not replaced within 2 minutes"
                time.sleep(0.5)
            client.wait_for_workers(1, timeout=120)
            second = client.submit(_process_id_after, 0.0, pure=False).result(timeout=120)
            assert second != first
    finally:
        cluster.close()
