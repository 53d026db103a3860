"""Which running trainings must be stopped (those that went silent, and those that overran their time), and the
thread that asks every few seconds.

The decisions are pure functions of the jobs' fields; the service acts on them (cancels, restarts a hung worker,
tells the student).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from cnnlab.jobs.budget import overrun_sentence, time_limit
from cnnlab.jobs.job import Job, JobState

# Longer than any pause a healthy training makes between two reports (a fresh worker importing TensorFlow and
# tracing the model's graph on a busy machine took up to 136 s here), short enough that a stuck job does not
# hold a worker for the rest of the lesson.
HANG_SECONDS = 300.0
HANG_CHECK_INTERVAL_SECONDS = 2.0

logger = logging.getLogger(__name__)


def hang_sentence(hang_seconds: float) -> str:
    return (f"This training stopped making progress for {hang_seconds:.0f} seconds, so it was stopped and its worker "
            "restarted; press Train to try again.")


def hung_jobs(jobs: Iterable[Job], hang_seconds: float, now: float | None = None) -> list[Job]:
    """Running jobs whose worker sent no news for `hang_seconds` (now: time.monotonic())."""
    now = time.monotonic() if now is None else now
    return [job for job in jobs if job.state is JobState.RUNNING and now - job.last_news > hang_seconds]


def overrun(job: Job, budget_seconds: float, now: float | None = None) -> str | None:
    """The sentence for a running job past its time (the budget, or twice its measured estimate), else None.

    An estimate that rests on no measured pace limits nothing: only the budget does until it is measured.
    """
    if job.state is not JobState.RUNNING:
        return None
    elapsed = job.running_seconds(now)
    estimate = job.estimated_seconds if job.estimate_measured else float("inf")
    if elapsed <= time_limit(estimate, budget_seconds):
        return None
    return overrun_sentence(elapsed, job.estimated_seconds, budget_seconds)


def jobs_to_stop(jobs: Iterable[Job], hang_seconds: float,
                 budget_seconds: float) -> tuple[list[tuple[Job, str]], list[tuple[Job, str]]]:
    """(hung jobs, overrunning jobs) among `jobs` now, each with the sentence it ends with; a hung job is only hung."""
    jobs = list(jobs)
    hung = hung_jobs(jobs, hang_seconds)
    hung_ids = {job.id for job in hung}
    overrunning = [(job, sentence) for job in jobs
                   if job.id not in hung_ids and (sentence := overrun(job, budget_seconds)) is not None]
    return [(job, hang_sentence(hang_seconds)) for job in hung], overrunning


def watch_every(interval_seconds: float, check: Callable[[], None], closed: threading.Event) -> threading.Thread:
    """Start a thread that calls `check` every `interval_seconds` until `closed` is set; returns the thread.

    A check that raises is logged, and the next one runs as usual: the watchdog must outlive any one failed check.
    """

    def loop() -> None:
        while not closed.wait(interval_seconds):
            try:
                check()
            except Exception:  # noqa: BLE001 - see the docstring
                logger.exception("The training watchdog's check failed; it checks again shortly.")

    thread = threading.Thread(target=loop, name="cnnlab-watchdog", daemon=True)
    thread.start()
    return thread
