"""The watchdog on its own: which running jobs it stops and with which sentence, and a thread that outlives a
failed check and ends when asked."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from cnnlab.config import TrainConfig
from cnnlab.jobs.job import Job, JobState
from cnnlab.jobs.watchdog import jobs_to_stop, watch_every

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
