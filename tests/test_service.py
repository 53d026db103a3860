"""The training service: shared jobs, one at a time in order, cancelling, failures, no leaked threads."""

from __future__ import annotations

import json
import logging
import threading
import time

import numpy as np
import pytest

from cnnlab.config import TrainConfig
from cnnlab.model import to_model_input
from cnnlab.service import WORKER_NAME, JobState, TrainingService
from cnnlab.store import ModelStore
from cnnlab.train import TrainingCancelled, TrainingDiverged


class FakeTrainer:
    """Stands in for `cnnlab.train.train`: records calls, runs a few fake batches, obeys should_stop.

    A job waits at its first batch until `release(config)` is called, so tests control the timing.
    """

    def __init__(self, batches: int = 4):
        self.batches = batches
        self.calls: list[TrainConfig] = []
        self.gates: dict[TrainConfig, threading.Event] = {}
        self.lock = threading.Lock()

    def gate(self, config: TrainConfig) -> threading.Event:
        with self.lock:
            return self.gates.setdefault(config, threading.Event())

    def release(self, config: TrainConfig) -> None:
        self.gate(config).set()

    def __call__(self, config, dataset, *, on_epoch_end=None, on_batch_end=None, should_stop=None):
        self.calls.append(config)
        for epoch in range(1, config.epochs + 1):
            for batch in range(1, self.batches + 1):
                while not self.gate(config).wait(0.01):
                    if should_stop():
                        raise TrainingCancelled("cancelled")
                if config.learning_rate >= 1.0:
                    raise TrainingDiverged("The loss became NaN in epoch 1; lower the learning rate.")
                if config.seed == 666:
                    raise RuntimeError("worker exploded")
                on_batch_end(epoch, batch, self.batches, {"loss": 1.0 / batch, "accuracy": 0.5})
                if should_stop():
                    raise TrainingCancelled("cancelled")
            on_epoch_end(epoch, {"loss": 0.5, "accuracy": 0.9, "val_loss": 0.6, "val_accuracy": 0.8})
        return f"model for {config}"


@pytest.fixture
def trainer():
    return FakeTrainer()


@pytest.fixture
def service(trainer):
    service = TrainingService(trainer, max_models=2)
    yield service
    for gate in trainer.gates.values():
        gate.set()
    service.join_worker(5)


def test_identical_settings_are_trained_once_and_shared(service, trainer, sample):
    config = TrainConfig(epochs=1)
    first, second = service.submit(config, sample), service.submit(config, sample)
    assert first is second
    trainer.release(config)
    assert service.wait(first, 5)
    assert first.state is JobState.DONE and first.result == f"model for {config}"
    assert service.submit(config, sample) is first  # a finished model is reused at once
    assert trainer.calls == [config]
    assert service.result(config, sample) == first.result


def test_jobs_run_one_at_a_time_in_the_order_asked(service, trainer, sample):
    configs = [TrainConfig(epochs=1, seed=seed) for seed in range(3)]
    jobs = [service.submit(config, sample) for config in configs]
    deadline = time.monotonic() + 5
    while jobs[0].state is not JobState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [service.queue_position(job) for job in jobs] == [0, 1, 2]
    assert [job.state for job in jobs] == [JobState.RUNNING, JobState.QUEUED, JobState.QUEUED]
    for config in reversed(configs):  # releasing the last first must not let it jump the queue
        trainer.release(config)
    for job in jobs:
        assert service.wait(job, 5)
    assert trainer.calls == configs
    assert [service.queue_position(job) for job in jobs] == [-1, -1, -1]


def test_progress_and_epochs_are_reported(service, trainer, sample):
    config = TrainConfig(epochs=2)
    job = service.submit(config, sample)
    trainer.release(config)
    service.wait(job, 5)
    assert job.progress == 1.0
    assert [record["epoch"] for record in job.epochs] == [1, 2]
    assert job.epochs[0]["val_accuracy"] == 0.8
    assert (job.epoch, job.batch, job.batches_per_epoch) == (2, 4, 4)


def test_a_running_job_can_be_cancelled_and_then_retrained(service, trainer, sample):
    config = TrainConfig(epochs=1)
    job = service.submit(config, sample)
    deadline = time.monotonic() + 5
    while job.state is not JobState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    service.cancel(job)
    assert service.wait(job, 5)
    assert job.state is JobState.CANCELLED and job.result is None
    again = service.submit(config, sample)
    assert again is not job
    trainer.release(config)
    assert service.wait(again, 5) and again.state is JobState.DONE


def test_a_queued_job_is_cancelled_before_it_starts(service, trainer, sample):
    running = service.submit(TrainConfig(epochs=1, seed=1), sample)
    queued = service.submit(TrainConfig(epochs=1, seed=2), sample)
    service.cancel(queued)
    assert queued.state is JobState.CANCELLED
    trainer.release(running.config)
    service.wait(running, 5)
    assert trainer.calls == [running.config]


def test_failures_end_the_job_with_a_sentence_and_the_worker_goes_on(service, trainer, sample):
    diverging = TrainConfig(epochs=1, learning_rate=1.0)
    crashing = TrainConfig(epochs=1, seed=666)
    healthy = TrainConfig(epochs=1)
    jobs = [service.submit(config, sample) for config in (diverging, crashing, healthy)]
    for config in (diverging, crashing, healthy):
        trainer.release(config)
    for job in jobs:
        assert service.wait(job, 5)
    assert jobs[0].state is JobState.FAILED and "lower the learning rate" in jobs[0].error
    assert jobs[1].state is JobState.FAILED and "worker exploded" in jobs[1].error
    assert jobs[2].state is JobState.DONE
    assert service.find(diverging, sample) is jobs[0]


def test_only_the_most_recent_models_are_kept(service, trainer, sample):
    configs = [TrainConfig(epochs=1, seed=seed) for seed in range(3)]
    for config in configs:
        trainer.release(config)
        service.wait(service.submit(config, sample), 5)
    assert service.result(configs[0], sample) is None  # evicted: max_models=2
    assert service.result(configs[2], sample) is not None
    assert service.latest().config == configs[2]


def test_the_worker_thread_ends_when_the_queue_is_empty(service, trainer, sample):
    for seed in range(3):
        config = TrainConfig(epochs=1, seed=seed)
        trainer.release(config)
        service.submit(config, sample)
    service.join_worker(5)
    assert not [thread for thread in threading.enumerate() if thread.name == WORKER_NAME]


def test_the_real_trainer_runs_in_the_service(sample):
    service = TrainingService()
    config = TrainConfig(conv1_filters=3, conv2_filters=3, dense_units=(8,), epochs=1, train_size=200)
    job = service.submit(config, sample)
    assert service.wait(job, 120)
    assert job.state is JobState.DONE, job.error
    assert job.result.model.get_layer("conv1").filters == 3
    service.join_worker(5)


# --- with a model store: nothing is lost across a restart -----------------------------------------------------

TINY = TrainConfig(conv1_filters=2, conv2_filters=2, dense_units=(8,), epochs=2, train_size=200)


class ForbiddenTrainer:
    """A train function for a service that must find its model on disk: any call is a test failure."""

    def __init__(self):
        self.calls: list[TrainConfig] = []

    def __call__(self, config, dataset, **callbacks):
        self.calls.append(config)
        raise RuntimeError("this service was expected to load the model, not train it")


def test_a_restarted_service_finds_the_saved_model_without_training(sample, tmp_path):
    before_restart = TrainingService(store=ModelStore(tmp_path))
    trained = before_restart.submit(TINY, sample)
    assert before_restart.wait(trained, 300) and trained.state is JobState.DONE, trained.error
    before_restart.join_worker(60)  # the model is saved once the job is done

    forbidden = ForbiddenTrainer()
    after_restart = TrainingService(forbidden, store=ModelStore(tmp_path))
    found = after_restart.find(TINY, sample)
    assert found is not None and found.state is JobState.DONE and found.finished
    digits = to_model_input(sample.x_test[:32])
    np.testing.assert_allclose(
        np.asarray(found.result.model(digits)), np.asarray(trained.result.model(digits)), atol=1e-6
    )
    assert found.result.test_accuracy == trained.result.test_accuracy
    assert found.epochs == trained.epochs  # the curves a page draws, as they were reported live
    assert found.progress == 1.0
    assert after_restart.submit(TINY, sample) is found
    assert after_restart.result(TINY, sample) is found.result
    assert after_restart.latest() is found
    assert forbidden.calls == []
    assert ModelStore(tmp_path).interrupted() == []


def test_a_training_cut_short_by_a_restart_is_reported_and_can_be_trained_again(sample, tmp_path, earlier_process):
    marked = earlier_process(
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from cnnlab.config import TrainConfig\n"
        "from cnnlab.store import ModelStore\n"
        "ModelStore(Path(sys.argv[1])).mark_running(TrainConfig(**json.loads(sys.argv[2])), sys.argv[3])\n"
        "os._exit(0)  # the server stops mid-training: nothing is cleaned up\n",
        str(tmp_path),
        json.dumps(TINY.to_dict()),
        sample.fingerprint,
    )
    assert marked.returncode == 0, marked.stderr

    service = TrainingService(store=ModelStore(tmp_path))
    interrupted = service.find(TINY, sample)
    assert interrupted is not None and interrupted.state is JobState.INTERRUPTED and interrupted.finished
    assert "interrupted by a server restart" in interrupted.error and "press Train" in interrupted.error
    assert service.result(TINY, sample) is None
    assert service.find(TrainConfig(), sample) is None  # other settings were not being trained
    assert not ModelStore(tmp_path).contains(TINY, sample.fingerprint)  # no half-saved model

    again = service.submit(TINY, sample)
    assert again is not interrupted
    assert service.wait(again, 300) and again.state is JobState.DONE, again.error
    service.join_worker(60)
    assert ModelStore(tmp_path).interrupted() == []
    assert TrainingService(ForbiddenTrainer(), store=ModelStore(tmp_path)).find(TINY, sample).state is JobState.DONE


def test_a_model_that_cannot_be_saved_still_finishes_and_the_worker_goes_on(trainer, sample, tmp_path, caplog):
    # The fake trainer's "model" is a string, which no store can save.
    service = TrainingService(trainer, store=ModelStore(tmp_path))
    configs = [TrainConfig(epochs=1, seed=seed) for seed in range(2)]
    with caplog.at_level(logging.ERROR, logger="cnnlab.store"):
        jobs = [service.submit(config, sample) for config in configs]
        for config in configs:
            trainer.release(config)
        for job in jobs:
            assert service.wait(job, 5) and job.state is JobState.DONE
        service.join_worker(5)
    assert "could not be saved" in caplog.text
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # no model, no temporary file, no marker
    assert service.result(configs[0], sample) == f"model for {configs[0]}"


def test_a_cancelled_training_leaves_no_marker(trainer, sample, tmp_path):
    service = TrainingService(trainer, store=ModelStore(tmp_path))
    job = service.submit(TrainConfig(epochs=1), sample)
    deadline = time.monotonic() + 5
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.state is JobState.RUNNING and len(list(tmp_path.iterdir())) == 1  # the running marker
    service.cancel(job)
    assert service.wait(job, 5) and job.state is JobState.CANCELLED
    service.join_worker(5)
    assert list(tmp_path.iterdir()) == []
    assert TrainingService(trainer, store=ModelStore(tmp_path)).find(TrainConfig(epochs=1), sample) is None
