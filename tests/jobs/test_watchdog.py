"""The watchdog's decisions on jobs' fields alone: silent trainings, and trainings past the budget or twice their
measured estimate."""

from __future__ import annotations

from types import SimpleNamespace

from cnnlab.config import TrainConfig
from cnnlab.jobs.budget import OVERRUN_SLACK_SECONDS
from cnnlab.jobs.job import Job, JobState
from cnnlab.jobs.watchdog import hung_jobs, overrun

DATASET = SimpleNamespace(fingerprint="digits")  # all a Job reads of its dataset here


def running(started_at: float, estimate: float = 0.0, measured: bool = True, last_news: float = 0.0) -> Job:
    return Job(TrainConfig(), DATASET, state=JobState.RUNNING, started_at=started_at, estimated_seconds=estimate,
               estimate_measured=measured, last_news=last_news)


def test_only_running_jobs_silent_for_longer_than_the_hang_time_are_hung():
    silent, talking = running(0, last_news=100.0), running(0, last_news=170.0)
    queued = Job(TrainConfig(), DATASET, last_news=0.0)
    assert hung_jobs([silent, talking, queued], hang_seconds=60, now=200.0) == [silent]
    assert hung_jobs([silent], hang_seconds=100, now=200.0) == []  # exactly the hang time is not yet hung


def test_a_training_is_stopped_at_the_budget_whatever_its_estimate():
    job = running(started_at=1000.0, estimate=10_000.0)
    assert overrun(job, budget_seconds=600, now=1000.0 + 600) is None
    sentence = overrun(job, budget_seconds=600, now=1000.0 + 601)
    assert sentence is not None and "longest a training may run on this server is about 10 min" in sentence


def test_a_training_is_stopped_at_twice_its_measured_estimate_but_never_within_the_slack():
    long = running(started_at=0.0, estimate=300.0)
    assert overrun(long, budget_seconds=3600, now=600.0) is None
    sentence = overrun(long, budget_seconds=3600, now=601.0)
    assert "more than twice the time it was expected to take (about 5 min)" in sentence
    short = running(started_at=0.0, estimate=10.0)  # twice 10 s is less than the estimate plus the slack
    assert overrun(short, budget_seconds=3600, now=10.0 + OVERRUN_SLACK_SECONDS) is None
    assert overrun(short, budget_seconds=3600, now=10.0 + OVERRUN_SLACK_SECONDS + 1) is not None


def test_an_unmeasured_estimate_limits_nothing_and_a_finished_job_is_never_overrun():
    guessed = running(started_at=0.0, estimate=10.0, measured=False)
    assert overrun(guessed, budget_seconds=3600, now=1000.0) is None
    assert overrun(guessed, budget_seconds=600, now=700.0) is not None
    done = Job(TrainConfig(), DATASET, state=JobState.DONE, started_at=0.0, estimated_seconds=1.0,
               estimate_measured=True)
    assert overrun(done, budget_seconds=1, now=1000.0) is None
