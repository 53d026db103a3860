"""Faults injected into a running CNN Lab: a training that crashes mid-epoch, a full disk while saving, a training
thread that dies, and a server stopped in the middle of a training.

In every case: the student gets a sentence, nothing finished is lost, nothing half-written is ever loaded, and the
next job still runs.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.model import to_model_input
from cnnlab.service import WORKER_NAME, JobState, TrainingService
from cnnlab.store import ModelStore
from cnnlab.train import train

ROOT = Path(__file__).resolve().parent.parent
SMALL = TrainConfig(conv1_filters=4, conv2_filters=4, dense_units=(16,), epochs=1, train_size=300)
WAIT = 300  # seconds; the first training in a process imports TensorFlow


def stored_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# --- a training that raises mid-epoch ------------------------------------------------------------------------------


def test_a_training_that_crashes_mid_epoch_fails_with_a_sentence_and_the_next_job_runs(sample, tmp_path):
    crashes = TrainConfig(conv1_filters=4, conv2_filters=4, dense_units=(16,), epochs=2, train_size=300, seed=1)
    batches_seen = []

    def train_that_crashes(config, dataset, **callbacks):
        report = callbacks["on_batch_end"]

        def on_batch_end(epoch, batch, batches_per_epoch, metrics):
            report(epoch, batch, batches_per_epoch, metrics)
            if config == crashes:
                batches_seen.append((epoch, batch, batches_per_epoch))
                if batch == 2:  # in the middle of the first epoch
                    raise MemoryError("out of memory while training")

        return train(config, dataset, **{**callbacks, "on_batch_end": on_batch_end})

    store = ModelStore(tmp_path)
    service = TrainingService(train_that_crashes, store=store)
    failed, healthy = service.submit(crashes, sample), service.submit(SMALL, sample)
    assert service.wait(failed, WAIT) and service.wait(healthy, WAIT)
    service.join_worker(60)
    assert batches_seen[-1][:2] == (1, 2) and batches_seen[-1][2] > 2  # it did stop mid-epoch
    assert failed.state is JobState.FAILED and failed.result is None
    assert "Training stopped with an unexpected error: out of memory while training" in failed.error
    assert healthy.state is JobState.DONE, healthy.error
    # Only the finished model is on disk, and no marker says a training is still running.
    assert store.contains(SMALL, sample.fingerprint) and not store.contains(crashes, sample.fingerprint)
    assert [name for name in stored_files(tmp_path) if not name.endswith(".zip")] == []
    assert store.interrupted() == []
    # Asking again trains again (the failure is not cached as a result).
    assert service.submit(crashes, sample) is not failed


# --- a full disk while saving --------------------------------------------------------------------------------------


def test_a_full_disk_while_saving_leaves_nothing_half_written_and_the_model_stays_usable(
    sample, tiny_result, tmp_path, monkeypatch, caplog
):
    writestr = zipfile.ZipFile.writestr

    def writestr_on_a_full_disk(self, name, content, *arguments, **options):
        if name == "model.keras":  # the disk fills up a third of the way into the weights
            writestr(self, name, content[: len(content) // 3], *arguments, **options)
            raise OSError(errno.ENOSPC, "No space left on device")
        return writestr(self, name, content, *arguments, **options)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr_on_a_full_disk)
    service = TrainingService(lambda config, dataset, **callbacks: tiny_result, store=ModelStore(tmp_path))
    with caplog.at_level(logging.ERROR, logger="cnnlab.store"):
        job = service.submit(tiny_result.config, sample)
        assert service.wait(job, WAIT)
        service.join_worker(60)
    assert job.state is JobState.DONE
    assert stored_files(tmp_path) == []  # no model, no temporary file, no marker
    message = " ".join(record.getMessage() for record in caplog.records)
    assert "No space left on device" in message and "stays available until the server restarts" in message
    # The model in memory still answers, exactly as the trained one does.
    digits = to_model_input(sample.x_test[:16])
    np.testing.assert_allclose(np.asarray(service.result(tiny_result.config, sample).model(digits)),
                               np.asarray(tiny_result.model(digits)), atol=1e-6)
    # A restarted server finds no model (and certainly no half of one): it would train again.
    monkeypatch.undo()
    assert TrainingService(store=ModelStore(tmp_path)).find(tiny_result.config, sample) is None


# --- a training thread that dies -----------------------------------------------------------------------------------


class ThreadKiller:
    """A training function that ends its thread (SystemExit) the first time it sees `deadly`; otherwise a result."""

    def __init__(self, deadly: TrainConfig):
        self.deadly = deadly
        self.calls: list[TrainConfig] = []

    def __call__(self, config, dataset, **callbacks):
        self.calls.append(config)
        if config == self.deadly and self.calls.count(config) == 1:
            raise SystemExit("the training thread was killed")
        return f"model for {config.seed}"


def join_training_threads() -> None:
    """Wait for every training thread, the dying ones included (the service forgets those before they end)."""
    for thread in threading.enumerate():
        if thread.name == WORKER_NAME:
            thread.join(10)


@pytest.fixture
def thread_deaths(monkeypatch):
    """The exceptions that ended threads during the test (Python's own hook would print them, or for SystemExit,
    say nothing)."""
    deaths = []
    monkeypatch.setattr(threading, "excepthook", lambda arguments: deaths.append(arguments.exc_type))
    return deaths


def test_a_dying_worker_fails_its_job_and_the_queue_goes_on(sample, caplog, thread_deaths):
    deadly, queued, later = (TrainConfig(epochs=1, seed=seed) for seed in (1, 2, 3))
    killer = ThreadKiller(deadly)
    service = TrainingService(killer)
    with caplog.at_level(logging.ERROR, logger="cnnlab.service"):
        first, second = service.submit(deadly, sample), service.submit(queued, sample)
        assert service.wait(first, 10) and service.wait(second, 10)  # nothing hangs
    assert first.state is JobState.FAILED and "training thread ended; press Train" in first.error
    assert second.state is JobState.DONE and second.result == "model for 2"  # the queued job was not stranded
    assert "training thread ended unexpectedly" in caplog.text
    assert service.running() is None
    # The next submit starts a new worker; the job that died can be trained again.
    third, retried = service.submit(later, sample), service.submit(deadly, sample)
    assert retried is not first
    assert service.wait(third, 10) and service.wait(retried, 10)
    assert third.state is JobState.DONE and retried.state is JobState.DONE
    join_training_threads()
    assert killer.calls == [deadly, queued, later, deadly]
    assert thread_deaths == [SystemExit]  # the thread really did die, once


def test_a_dying_worker_leaves_no_marker_behind(sample, tmp_path, thread_deaths):
    deadly = TrainConfig(epochs=1, seed=1)
    service = TrainingService(ThreadKiller(deadly), store=ModelStore(tmp_path))
    job = service.submit(deadly, sample)
    assert service.wait(job, 10) and job.state is JobState.FAILED
    join_training_threads()
    assert thread_deaths == [SystemExit]
    assert stored_files(tmp_path) == []
    assert ModelStore(tmp_path).interrupted() == []


# --- a server stopped in the middle of a training -----------------------------------------------------------------

SERVER_TRAINING = """
import json, sys, time
from pathlib import Path
from cnnlab.config import TrainConfig
from cnnlab.data import load_dataset
from cnnlab.service import TrainingService
from cnnlab.store import ModelStore
from cnnlab.train import train

def slow_train(config, dataset, **callbacks):
    report = callbacks["on_batch_end"]
    def on_batch_end(epoch, batch, batches_per_epoch, metrics):
        report(epoch, batch, batches_per_epoch, metrics)
        print(f"batch {epoch}.{batch}", flush=True)
        time.sleep(0.5)  # slow enough that the stop always lands mid-training
    return train(config, dataset, **{**callbacks, "on_batch_end": on_batch_end})

service = TrainingService(slow_train, store=ModelStore(Path(sys.argv[1])))
job = service.submit(TrainConfig(**json.loads(sys.argv[2])), load_dataset("sample"))
service.wait(job)
print("finished", flush=True)
"""


def test_a_server_stopped_mid_training_leaves_no_model_and_the_training_can_be_restarted(sample, tmp_path):
    config = TrainConfig(conv1_filters=4, conv2_filters=4, dense_units=(16,), epochs=2, train_size=300,
                         batch_size=16, seed=5)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", SERVER_TRAINING, str(tmp_path), json.dumps(config.to_dict())],
                              cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in server.stdout:
            lines.append(line.strip())
            if line.startswith("batch 1.3"):
                break
        assert lines and lines[-1] == "batch 1.3", lines
        server.send_signal(signal.SIGTERM)  # what a host does to restart the app
        assert server.wait(60) == -signal.SIGTERM
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "finished" not in lines

    # Only the marker is left: no model file and no temporary file the next process could mistake for one.
    assert [name.rsplit(".", 1)[1] for name in stored_files(tmp_path)] == ["running"]
    service = TrainingService(store=ModelStore(tmp_path))
    assert stored_files(tmp_path)[0].endswith(".running") and len(stored_files(tmp_path)) == 1
    interrupted = service.find(config, sample)
    assert interrupted.state is JobState.INTERRUPTED and "press Train to start it again" in interrupted.error
    assert service.result(config, sample) is None

    again = service.submit(config, sample)
    assert service.wait(again, WAIT) and again.state is JobState.DONE, again.error
    service.join_worker(60)
    assert [name.rsplit(".", 1)[1] for name in stored_files(tmp_path)] == ["zip"]
    restarted = TrainingService(store=ModelStore(tmp_path)).find(config, sample)
    assert restarted.state is JobState.DONE and restarted.result.test_accuracy == again.result.test_accuracy
