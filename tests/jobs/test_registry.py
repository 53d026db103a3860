"""The jobs in memory and their lives, without Dask: a worker's news and a task's end are played in by hand."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from cnnlab.config import TrainConfig
from cnnlab.jobs.job import CANCELLED_MESSAGE, TEACHER_CANCELLED_MESSAGE, Job, JobState
from cnnlab.jobs.pace import Pace
from cnnlab.jobs.registry import CANCELLED_BEFORE_START_MESSAGE, JobRegistry
from cnnlab.jobs.training_queue import OneTrainingEach

WAIT = 30  # seconds; generous, since each wait ends as soon as its event comes
CONFIG = TrainConfig(epochs=1, train_size=1000)
OTHER = TrainConfig(epochs=1, train_size=1000, seed=2)


def started(job: Job) -> dict:
    return {"job": job.id, "kind": "started", "worker": "tcp://worker", "pid": 1234}


def batch(job: Job, number: int) -> dict:
    return {"job": job.id, "kind": "batch", "epoch": 1, "batch": number, "batches_per_epoch": 10, "loss": 2.0,
            "accuracy": 0.2, "seconds": 0.1 * number}


def trained(seconds: float = 2.0):
    return SimpleNamespace(seconds=seconds)  # what the registry reads of a finished model


def running_job(registry: JobRegistry, config: TrainConfig, dataset, owner: str | None = None) -> Job:
    job = registry.add(config, dataset, owner)
    assert job in registry.start_next(slots=1)
    registry.record_news(started(job))
    return job


def test_a_job_is_added_sent_followed_and_finished_and_then_reused(sample):
    registry = JobRegistry(Pace())
    key = (CONFIG, sample.fingerprint)
    assert registry.ready_or_shared(key, "tab-a") is None and registry.has_waiting() is False
    job = registry.add(CONFIG, sample, "tab-a")
    assert registry.has_waiting() and registry.unfinished() == [job] and registry.own_job("tab-a") is job
    assert registry.start_next(slots=1) == [job]
    assert job.sent and job.estimated_seconds > 0 and not job.estimate_measured
    registry.record_news(started(job))
    registry.record_news(batch(job, 3))
    assert job.state is JobState.RUNNING and job.batch == 3 and registry.running() == [job]
    registry.record_news({"job": "another replica's", "kind": "started"})  # not ours: ignored
    registry.finish(job, JobState.DONE, "", trained())
    assert job.state is JobState.DONE and registry.unfinished() == [] and registry.own_job("tab-a") is None
    assert registry.finished_jobs() == [job] and registry.lookup(key) is job
    assert registry.ready_or_shared(key, "tab-b") is job  # a finished model is reused at once
    assert registry.dataset_with(sample.fingerprint) is sample and registry.dataset_with("elsewhere") is None


def test_a_second_tab_asking_for_the_same_settings_shares_the_job_and_a_tab_has_its_share(sample):
    registry = JobRegistry(Pace())
    job = registry.add(CONFIG, sample, "tab-a")
    assert registry.ready_or_shared((CONFIG, sample.fingerprint), "tab-b") is job
    assert job.owners == {"tab-a", "tab-b"}
    with pytest.raises(OneTrainingEach):
        registry.add(OTHER, sample, "tab-a")
    assert registry.cancel(job, "tab-a", CANCELLED_MESSAGE) is None  # tab b still wants it
    assert not job.finished and job.owners == {"tab-b"}


def test_waiting_for_a_job_returns_once_it_ends(sample):
    registry = JobRegistry(Pace())
    job = registry.add(CONFIG, sample, None)
    assert registry.wait(job, timeout=0) is False
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(registry.wait(job, WAIT)))
    waiter.start()
    registry.finish(job, JobState.FAILED, "It went wrong.", None)
    waiter.join(WAIT)
    assert answers == [True]


def test_a_waiting_job_is_cancelled_at_once_and_a_running_one_ends_with_the_reason_given(sample):
    registry = JobRegistry(Pace())
    waiting = registry.add(CONFIG, sample, None)
    assert registry.cancel(waiting, None, CANCELLED_MESSAGE) is False  # no worker had started it
    assert waiting.state is JobState.CANCELLED and waiting.error == CANCELLED_BEFORE_START_MESSAGE
    assert registry.lookup(waiting.key) is waiting
    running = running_job(registry, OTHER, sample)
    assert registry.cancel(running, None, TEACHER_CANCELLED_MESSAGE) is True
    assert not running.finished  # it ends when its worker stops
    registry.finish(running, JobState.CANCELLED, CANCELLED_MESSAGE, None)
    assert running.state is JobState.CANCELLED and running.error == TEACHER_CANCELLED_MESSAGE
    assert registry.cancel(running, None, CANCELLED_MESSAGE) is None  # nothing more to do
    again = registry.add(CONFIG, sample, None)  # asking again forgets the cancelled job
    assert again is not waiting and registry.lookup(again.key) is again


def test_a_dead_workers_job_is_tried_once_more_from_the_start(sample):
    registry = JobRegistry(Pace())
    job = running_job(registry, CONFIG, sample)
    registry.record_news(batch(job, 5))
    assert registry.retry(job)
    assert job.state is JobState.QUEUED and job.batch == 0 and job.attempts == 2 and job.note
    assert not registry.retry(job)  # a second death ends it


def test_a_job_the_watchdog_ended_keeps_its_sentence_when_its_task_ends_later(sample):
    registry = JobRegistry(Pace())
    job = running_job(registry, CONFIG, sample)
    job.last_news -= 100  # silent for 100 s
    hung, overrunning = registry.stop_overdue(hang_seconds=3, budget_seconds=600)
    assert [stopped for stopped, _ in hung] == [job] and overrunning == []
    assert job.state is JobState.FAILED and "stopped making progress" in job.error
    registry.finish(job, JobState.CANCELLED, CANCELLED_MESSAGE, None)  # the task, cancelled afterwards
    assert job.state is JobState.FAILED and "stopped making progress" in job.error


def test_a_recalled_model_never_replaces_a_job_already_in_memory(sample):
    registry = JobRegistry(Pace())
    job = registry.add(CONFIG, sample, None)
    registry.keep_recalled(Job(config=CONFIG, dataset=sample, state=JobState.DONE))
    assert registry.lookup(job.key) is job and registry.finished_jobs() == []
    recalled = Job(config=OTHER, dataset=sample, state=JobState.DONE)
    registry.keep_recalled(recalled)
    assert registry.lookup(recalled.key) is recalled and registry.finished_jobs() == [recalled]
