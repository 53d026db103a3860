"""The watchdog on its own: which running jobs it stops and with which sentence (silent ones, and ones past the
budget or twice their measured estimate), and a thread that outlives a failed check and ends when asked."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from cnnlab.config import TrainConfig
from cnnlab.jobs.budget import OVERRUN_SLACK_SECONDS
from cnnlab.jobs.job import Job, JobState
from cnnlab.jobs.watchdog import hung_jobs, jobs_to_stop, overrun, watch_every

DATA = SimpleNamespace(fingerprint="digits", train_size=5000)
WAIT = 30  # seconds; generous, since each wait ends as soon as its event comes


def running_job(seed: int, silent_for: float = 0.0, running_for: float = 1.0) -> Job:
    return Job(config=TrainConfig(seed=seed), dataset=DATA, state=JobState.RUNNING,
               last_news=time.monotonic() - silent_for, started_at=time.time() - running_for)


def test_silent_jobs_are_hung_jobs_past_the_budget_overran_and_the_others_go_on():
    healthy, silent = running_job(1), running_job(2, silent_for=10)
    too_long, silent_and_too_long = running_job(3, running_for=100), running_job(4, silent_for=10, running_for=100)
    waiting = Job(config=TrainConfig(seed=5), dataset=DATA, last_news=time.monotonic() - 1000)
    hung, overrunning = jobs_to_stop([healthy, silent, too_long, silent_and_too_long, waiting], hang_seconds=3,
                                     budget_seconds=30)
    assert [job for job, _ in hung] == [silent, silent_and_too_long]  # a hung job is stopped as hung only
    assert all("stopped making progress for 3 seconds" in sentence for _, sentence in hung)
    assert [job for job, _ in overrunning] == [too_long]
    assert "longest a training may run" in overrunning[0][1]


def test_the_watch_thread_survives_a_failed_check_and_stops_when_closed():
    calls, third_call, closed = [], threading.Event(), threading.Event()

    def check():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the scheduler was busy")
        if len(calls) == 3:
            third_call.set()

    thread = watch_every(0.01, check, closed)
    assert third_call.wait(WAIT)
    closed.set()
    thread.join(WAIT)
    assert not thread.is_alive()


def running(started_at: float, estimate: float = 0.0, measured: bool = True, last_news: float = 0.0) -> Job:
    return Job(TrainConfig(), DATA, state=JobState.RUNNING, started_at=started_at, estimated_seconds=estimate,
               estimate_measured=measured, last_news=last_news)


def test_only_running_jobs_silent_for_longer_than_the_hang_time_are_hung():
    silent, talking = running(0, last_news=100.0), running(0, last_news=170.0)
    queued = Job(TrainConfig(), DATA, last_news=0.0)
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
    done = Job(TrainConfig(), DATA, state=JobState.DONE, started_at=0.0, estimated_seconds=1.0,
               estimate_measured=True)
    assert overrun(done, budget_seconds=1, now=1000.0) is None
