"""The training service on a real Dask cluster: shared jobs, a queue with estimates, live progress, cancelling,
failures as sentences, hung trainings and killed workers, and weights identical to a plain `train` call."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import numpy as np
import pytest
import training_fakes
from distributed import Client
from distributed.comm import CommClosedError
from helpers import wait_for

from cnnlab.config import TrainConfig
from cnnlab.jobs.budget import OverBudget
from cnnlab.jobs.cluster import connect, start_local_cluster
from cnnlab.jobs.job import TEACHER_CANCELLED_MESSAGE, WORKER_DIED_MESSAGE, WORKER_RESTARTED_NOTE, JobState
from cnnlab.jobs.service import PACE_FILE_NAME, TrainingService
from cnnlab.jobs.store import ModelStore
from cnnlab.jobs.training_queue import OneTrainingEach
from cnnlab.network.training import train

TINY = TrainConfig(conv_layers=((4, 5), (3, 3)), dense_units=(8,), epochs=2, train_size=400)
# Long enough (about a minute) that a test can act while it runs; no test lets it finish.
SLOW = TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=40, train_size=3000)
# A few seconds of training: long enough to kill its worker in the middle, short enough to finish afterwards.
MEDIUM = TrainConfig(conv_layers=((8, 5), (6, 3)), dense_units=(16,), epochs=4, train_size=3000)


def same_weights(first, second) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))


@pytest.fixture(scope="module")
def plain_tiny(sample):
    """TINY trained by a plain `train` call in this process: the reference every worker must match."""
    return train(TINY, sample)


def test_a_worker_trains_the_same_weights_as_a_plain_call_and_shares_them(service_factory, sample, plain_tiny,
                                                                           tmp_path):
    service = service_factory(store=ModelStore(tmp_path))
    first, second = service.submit(TINY, sample), service.submit(TINY, sample)
    assert first is second  # the same settings and data are one job
    assert service.wait(first, 300) and first.state is JobState.DONE, first.error
    assert same_weights(first.result.model, plain_tiny.model)
    assert first.result.history == plain_tiny.history
    assert [record["loss"] for record in first.epochs] == plain_tiny.history["loss"]
    assert service.submit(TINY, sample) is first  # a finished model is reused at once
    saved = ModelStore(tmp_path).load(TINY, sample.fingerprint)
    assert saved is not None and same_weights(saved.model, plain_tiny.model)


def test_a_server_whose_students_only_look_starts_no_cluster_until_the_first_training(dask_scheduler, sample):
    connections = []

    def counted_connect():
        connections.append(connect(dask_scheduler))
        return connections[-1]

    service = TrainingService(connect_to_cluster=counted_connect)
    try:
        assert service.find(TINY, sample) is None and service.finished_jobs() == [] and service.records() == []
        assert connections == []
        job = service.submit(TINY, sample)
        assert len(connections) == 1
        assert service.wait(job, 300) and job.state is JobState.DONE
        assert len(connections) == 1  # one connection for the server's whole life
    finally:
        service.close()


def test_a_tab_on_the_train_page_has_the_cluster_started_before_its_training_once(dask_scheduler, sample):
    connected = threading.Event()
    connections = []

    def counted_connect():
        connections.append(connect(dask_scheduler))
        connected.set()
        return connections[-1]

    service = TrainingService(connect_to_cluster=counted_connect)
    try:
        service.start_cluster_soon(delay_seconds=0)
        service.start_cluster_soon(delay_seconds=0)  # every tab that opens the page asks; one start
        assert connected.wait(120)
        job = service.submit(TINY, sample)
        assert service.wait(job, 300) and job.state is JobState.DONE
        assert len(connections) == 1
    finally:
        service.close()


def test_a_cluster_asked_for_after_the_server_closed_is_never_started():
    connections = []
    service = TrainingService(connect_to_cluster=lambda: connections.append(1))
    service.close()
    service.start_cluster_soon(delay_seconds=0)
    started = [thread for thread in threading.enumerate() if thread.name == "cnnlab-cluster-start"]
    for thread in started:
        thread.join(timeout=30)
    assert connections == []


def test_a_failed_connection_leaves_the_training_waiting_for_the_next_try(dask_scheduler, sample):
    attempts = []

    def connect_on_the_second_try():
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise OSError("the scheduler is not up yet")
        return connect(dask_scheduler)

    service = TrainingService(connect_to_cluster=connect_on_the_second_try)
    try:
        with pytest.raises(OSError):
            service.submit(TINY, sample)
        job = service.find(TINY, sample)
        assert job is not None and not job.sent and service.queue_position(job) == 1
        later = service.submit(MEDIUM, sample)  # the next training connects, and the first in line is sent
        assert job.sent and not later.sent
        for each in (later, job):
            service.cancel(each)
            assert service.wait(each, 60) and each.state is JobState.CANCELLED
    finally:
        service.close()


@pytest.mark.slow
def test_progress_reaches_the_service_batch_by_batch(service_factory, sample):
    service = service_factory()
    job = service.submit(MEDIUM, sample)
    seen = []
    while not job.finished:
        seen.append((job.state, job.progress, job.epoch))
        time.sleep(0.02)
    assert job.state is JobState.DONE, job.error
    running = [progress for state, progress, _ in seen if state is JobState.RUNNING]
    assert len(set(running)) > MEDIUM.epochs  # it moved within epochs, not only at their ends
    assert running == sorted(running)
    assert [record["epoch"] for record in job.epochs] == [1, 2, 3, 4]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(job.epochs[0])
    assert [record["val_accuracy"] for record in job.epochs] == job.result.history["val_accuracy"]
    # The weights after each epoch arrived while it ran, the same as those the finished model's file keeps.
    assert len(job.epoch_weights) == len(job.result.epoch_weights) == MEDIUM.epochs
    for live, kept in zip(job.epoch_weights[:-1], job.result.epoch_weights[:-1], strict=True):
        assert all(np.array_equal(a, b) for a, b in zip(live, kept, strict=True))


@pytest.mark.slow
def test_a_waiting_job_shows_its_place_and_time_left_and_a_running_one_stops_on_cancel(service_factory, sample):
    service = service_factory()
    running = service.submit(SLOW, sample)
    wait_for(lambda: running.batches_done >= 3, what="the slow training's first batches")
    waiting = service.submit(TINY, sample)
    assert waiting.state is JobState.QUEUED
    assert service.queue_position(running) == 0 and service.queue_position(waiting) == 1
    running_left, waiting_left = service.seconds_left(running), service.seconds_left(waiting)
    # Forty epochs are far from done: after a few batches, what is left is many times what was spent, whatever
    # the host's speed.
    assert running_left > 10 * running.training_seconds
    assert waiting_left > running_left  # it waits for all of that first
    asked = time.monotonic()
    service.cancel(running)
    assert service.wait(running, 30)
    print(f"A running training stopped {time.monotonic() - asked:.2f} s after it was cancelled.")
    assert running.state is JobState.CANCELLED and "cancelled" in running.error
    assert service.wait(waiting, 300) and waiting.state is JobState.DONE
    assert waiting.started_at >= running.finished_at - 1
    again = service.submit(SLOW, sample)  # a cancelled training can be asked for again
    assert again is not running and again.state in (JobState.QUEUED, JobState.RUNNING)
    service.cancel(again)
    assert service.wait(again, 30)


def test_a_queued_job_is_cancelled_before_it_starts(service_factory, sample):
    service = service_factory()
    running = service.submit(SLOW, sample)
    waiting = service.submit(TINY, sample)
    service.cancel(waiting)
    assert waiting.state is JobState.CANCELLED and "before it started" in waiting.error
    service.cancel(running)
    assert service.wait(running, 60)
    time.sleep(1)  # any news of the cancelled job would have arrived by now
    assert waiting.started_at is None and waiting.state is JobState.CANCELLED


@pytest.mark.slow
def test_a_diverging_training_fails_with_its_sentence_and_the_next_job_runs(service_factory, sample):
    service = service_factory()
    diverging = service.submit(TrainConfig(learning_rate=10.0, epochs=1, train_size=600), sample)
    assert service.wait(diverging, 300)
    assert diverging.state is JobState.FAILED and "lower the learning rate" in diverging.error
    assert service.find(diverging.config, sample) is diverging
    after = service.submit(TINY, sample)
    assert service.wait(after, 300) and after.state is JobState.DONE


def test_a_crash_in_the_worker_fails_the_job_with_a_sentence(service_factory, sample):
    service = service_factory(train_function=training_fakes.crash)
    job = service.submit(TINY, sample)
    assert service.wait(job, 120)
    assert job.state is JobState.FAILED
    assert job.error == "Training stopped with an unexpected error: worker exploded"


def worker_pids(address: str) -> set[int]:
    """The process ids of the cluster's workers; empty while one is being replaced (it cannot answer then)."""
    with Client(address, set_as_default=False) as client:
        try:
            return set(client.run(os.getpid).values())
        except (OSError, CommClosedError):
            return set()


@pytest.mark.slow
def test_a_hung_training_is_stopped_and_its_worker_restarted(service_factory, sample, dask_scheduler):
    service = service_factory(train_function=training_fakes.hang, hang_seconds=3)
    job = service.submit(TINY, sample)
    assert service.wait(job, 120)
    assert job.state is JobState.FAILED and "stopped making progress for 3 seconds" in job.error
    wait_for(lambda: job.worker_pid not in worker_pids(dask_scheduler) and len(worker_pids(dask_scheduler)) == 1,
             what="the hung worker to be replaced")
    healthy = service_factory()
    after = healthy.submit(TINY, sample)  # the fresh worker trains
    assert healthy.wait(after, 300) and after.state is JobState.DONE


@pytest.mark.slow
def test_a_killed_worker_gets_the_training_again_with_the_same_result(service_factory, sample, tmp_path):
    service = service_factory(store=ModelStore(tmp_path))
    job = service.submit(MEDIUM, sample)
    wait_for(lambda: job.batches_done >= 3, what="the training's first batches")
    killed = job.worker_pid
    os.kill(killed, signal.SIGKILL)
    assert service.wait(job, 300)
    assert job.state is JobState.DONE, job.error
    assert job.note == WORKER_RESTARTED_NOTE and job.worker_pid != killed
    assert same_weights(job.result.model, train(MEDIUM, sample).model)
    # One whole model, nothing half-written (beside it, the pace of finished trainings the service keeps).
    assert [path.suffix for path in tmp_path.iterdir() if path.name != PACE_FILE_NAME] == [".zip"]


@pytest.mark.slow
def test_a_worker_killed_twice_ends_the_job_with_a_sentence_and_saves_nothing(service_factory, sample, tmp_path):
    service = service_factory(store=ModelStore(tmp_path))
    job = service.submit(SLOW, sample)
    for _ in range(2):
        wait_for(lambda: job.worker_pid is not None and job.batches_done >= 1, what="the training to start")
        os.kill(job.worker_pid, signal.SIGKILL)
        wait_for(lambda: job.batches_done == 0 or job.finished, what="the worker's death to be noticed")
    assert service.wait(job, 120)
    assert job.state is JobState.FAILED and job.error == WORKER_DIED_MESSAGE
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_restarted_service_finds_the_saved_model_without_training(service_factory, sample, tmp_path):
    first = service_factory(store=ModelStore(tmp_path))
    job = first.submit(TINY, sample)
    assert first.wait(job, 300) and job.state is JobState.DONE
    later = service_factory(store=ModelStore(tmp_path))  # as in a new server process
    found = later.find(TINY, sample)
    assert found is not None and found.state is JobState.DONE and found is not job
    assert same_weights(found.result.model, job.result.model)
    assert [record["loss"] for record in found.epochs] == job.result.history["loss"]
    assert later.submit(TINY, sample) is found


def test_only_the_most_recently_used_models_stay_in_memory(service_factory, sample):
    service = service_factory(max_models=2)
    configs = [TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1, train_size=100, seed=seed)
               for seed in range(3)]
    for config in configs:
        job = service.submit(config, sample)
        assert service.wait(job, 300) and job.state is JobState.DONE
    assert [job.config for job in service.finished_jobs()] == [configs[2], configs[1]]
    assert service.find(configs[0], sample) is None


@pytest.mark.slow
def test_an_unreachable_scheduler_falls_back_to_the_embedded_cluster_and_says_so(caplog, monkeypatch):
    # A port that was just free: nothing listens there.
    probe = start_local_cluster(workers=1)
    address = probe.scheduler_address
    probe.close()
    monkeypatch.setenv("CNNLAB_SCHEDULER", address)
    with caplog.at_level(logging.WARNING, logger="cnnlab.jobs.cluster"):
        connection = connect(timeout=1)
    try:
        assert connection.local_cluster is not None
        assert "cannot be reached" in caplog.text and address in caplog.text
        connection.client.wait_for_workers(1, timeout=60)
    finally:
        connection.close()


@pytest.mark.slow
def test_an_embedded_cluster_keeps_its_worker_when_worker_after_worker_dies(sample):
    # A worker that dies again and again (each restart killed as soon as it has joined) for longer than Dask's
    # default 15 s grace for lost workers: the embedded cluster must restart it once the deaths stop, not give up.
    cluster = start_local_cluster(workers=1)
    client = Client(cluster.scheduler_address, set_as_default=False)
    try:
        deadline = time.monotonic() + 20
        killed = set()
        while time.monotonic() < deadline:
            try:
                pids = set(client.run(os.getpid).values())
            except (OSError, CommClosedError):
                pids = set()
            for pid in pids - killed:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            time.sleep(0.1)
        assert len(killed) >= 2
        client.wait_for_workers(1, timeout=60)
        future = client.submit(train, TINY, sample, pure=False)
        assert future.result(timeout=300).history["loss"]
    finally:
        client.close()
        cluster.close()


# --- sharing one server fairly ---------------------------------------------------------------------------------

MAXIMAL = TrainConfig(epochs=50, batch_size=1, conv_layers=((64, 5), (64, 3)), dense_units=(1024,) * 4)


def test_a_training_over_the_budget_is_refused_before_it_is_queued_with_settings_that_fit(service_factory, sample):
    service = service_factory(budget_minutes=0.5)
    with pytest.raises(OverBudget) as refusal:
        service.submit(MAXIMAL, sample, owner="tab-a")
    assert "at most about 30 s" in str(refusal.value)
    assert service.unfinished() == [] and service.find(MAXIMAL, sample) is None
    suggestion = refusal.value.suggestion
    assert suggestion is not None and service.estimated_seconds(suggestion, sample) <= 30
    assert service.estimated_seconds(MAXIMAL, sample) > 30
    service.check_budget(suggestion, sample)  # the suggested settings pass the same check


def test_a_second_train_press_in_the_same_tab_is_refused_until_the_first_is_let_go(service_factory, sample):
    service = service_factory()
    first = service.submit(SLOW, sample, owner="tab-a")
    assert service.submit(SLOW, sample, owner="tab-a") is first  # the same settings again: the same job
    with pytest.raises(OneTrainingEach) as refusal:
        service.submit(TINY, sample, owner="tab-a")
    assert refusal.value.job is first and "one model at a time" in str(refusal.value)
    assert service.find(TINY, sample) is None
    other_tab = service.submit(TINY, sample, owner="tab-b")  # another tab is not held back
    assert other_tab.owners == {"tab-b"}
    service.cancel(first, owner="tab-a")
    assert service.wait(first, 60) and first.state is JobState.CANCELLED
    assert service.submit(MEDIUM, sample, owner="tab-a").owners == {"tab-a"}
    for job in service.unfinished():
        service.cancel(job)


def test_a_shared_training_goes_on_for_the_other_tab_when_one_lets_go(service_factory, sample):
    service = service_factory()
    job = service.submit(SLOW, sample, owner="tab-a")
    assert service.submit(SLOW, sample, owner="tab-b") is job and job.owners == {"tab-a", "tab-b"}
    service.cancel(job, owner="tab-a")
    assert not job.finished and job.owners == {"tab-b"}
    service.submit(TINY, sample, owner="tab-a")  # tab a holds nothing now
    service.cancel(job, owner="tab-b")
    assert service.wait(job, 60) and job.state is JobState.CANCELLED


def test_a_tab_with_three_trainings_does_not_delay_another_tabs_one(service_factory, sample):
    service = service_factory(trainings_per_tab=3)
    first = service.submit(SLOW, sample, owner="tab-a")
    wait_for(lambda: first.state is JobState.RUNNING, what="the first training to start")
    later = [service.submit(TrainConfig(conv_layers=((2, 5), (2, 3)), dense_units=(), epochs=1, train_size=100,
                                        seed=seed), sample, owner="tab-a") for seed in (1, 2)]
    other = service.submit(TINY, sample, owner="tab-b")
    assert [service.queue_position(job) for job in (first, other, *later)] == [0, 1, 2, 3]
    assert service.seconds_left(other) < service.seconds_left(later[0])
    service.cancel(first)
    for job in (other, *later):
        assert service.wait(job, 300) and job.state is JobState.DONE, job.error
    assert other.started_at < later[0].started_at < later[1].started_at


def test_a_teachers_cancel_ends_a_students_training_with_a_sentence_that_says_so(service_factory, sample):
    service = service_factory()
    job = service.submit(SLOW, sample, owner="tab-a")
    wait_for(lambda: job.batches_done >= 1, what="the training's first batch")
    service.cancel(job, reason=TEACHER_CANCELLED_MESSAGE)
    assert service.wait(job, 60)
    assert job.state is JobState.CANCELLED and job.error == TEACHER_CANCELLED_MESSAGE


def test_the_budget_changes_while_the_server_runs(service_factory, sample):
    service = service_factory()
    service.set_budget_minutes(0.5)
    assert service.budget_seconds == 30
    with pytest.raises(OverBudget):
        service.submit(MAXIMAL, sample)
    with pytest.raises(ValueError, match="between"):
        service.set_budget_minutes(0)
    assert service.budget_seconds == 30


@pytest.mark.slow
def test_a_running_training_that_passes_the_budget_is_stopped_and_the_student_told_why(service_factory, sample):
    service = service_factory(budget_minutes=5, train_function=training_fakes.endless)
    job = service.submit(TINY, sample, owner="tab-a")
    wait_for(lambda: job.state is JobState.RUNNING, what="the training to start")
    # Accepted under a generous budget; then the teacher lowers it below what this training takes.
    service.set_budget_minutes(0.5)
    assert service.wait(job, 120)
    assert job.state is JobState.FAILED
    assert "stopped after about 30 s" in job.error and "longest a training may run" in job.error
    assert 30 <= job.running_seconds() < 60
    healthy = service_factory()
    after = healthy.submit(MEDIUM, sample, owner="tab-a")  # the worker is free for the next training
    assert healthy.wait(after, 300) and after.state is JobState.DONE
