"""Recalling models from the store on its own, with a stand-in store: a miss costs no load, and two pages asking at
once load the file once."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from cnnlab.config import TrainConfig
from cnnlab.jobs.job import JobState
from cnnlab.jobs.recall import StoreRecall

CONFIG = TrainConfig(epochs=1)
DATA = SimpleNamespace(fingerprint="digits")
WAIT = 30  # seconds; generous, since each wait ends as soon as its event comes


class FakeStore:
    """Holds the model for CONFIG; `load` can be held back until `release` is set, and counts its calls."""

    def __init__(self):
        self.loads = 0
        self.release = threading.Event()
        self.release.set()
        self.loading = threading.Event()
        self.looked = threading.Semaphore(0)  # released once per `contains` call

    def contains(self, config, fingerprint) -> bool:
        self.looked.release()
        return config == CONFIG

    def load(self, config, fingerprint):
        self.loads += 1
        self.loading.set()
        assert self.release.wait(WAIT)
        return SimpleNamespace(history={"loss": [0.5], "accuracy": [0.9]}, extras={"saved_at": 1.0})


def memory_and_recall(store):
    memory = {}
    recall = StoreRecall(store, lambda key: key in memory, lambda job: memory.setdefault(job.key, job))
    return memory, recall


def test_a_stored_model_comes_back_as_a_done_job_with_its_epochs():
    store = FakeStore()
    memory, recall = memory_and_recall(store)
    recall.recall(CONFIG, DATA)
    job = memory[(CONFIG, "digits")]
    assert job.state is JobState.DONE and job.epochs == ({"epoch": 1, "loss": 0.5, "accuracy": 0.9},)
    recall.recall(CONFIG, DATA)  # in memory now: the store is not read again
    assert store.loads == 1


def test_a_model_the_store_lacks_is_not_loaded_and_no_store_recalls_nothing():
    store = FakeStore()
    memory, recall = memory_and_recall(store)
    recall.recall(TrainConfig(epochs=2), DATA)
    assert memory == {} and store.loads == 0
    memory, recall = memory_and_recall(None)
    recall.recall(CONFIG, DATA)
    assert memory == {}


def test_two_pages_asking_at_once_load_the_file_once():
    store = FakeStore()
    store.release.clear()
    memory, recall = memory_and_recall(store)
    first = threading.Thread(target=recall.recall, args=(CONFIG, DATA))
    first.start()
    assert store.loading.wait(WAIT)  # the first page is loading, and holds the recall's lock
    second = threading.Thread(target=recall.recall, args=(CONFIG, DATA))
    second.start()
    # The second page found the model in the store but not yet in memory: it now waits for the first one's load.
    assert store.looked.acquire(timeout=WAIT) and store.looked.acquire(timeout=WAIT)
    store.release.set()
    for thread in (first, second):
        thread.join(WAIT)
        assert not thread.is_alive()
    assert store.loads == 1 and len(memory) == 1
