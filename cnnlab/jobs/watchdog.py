"""Which running trainings must be stopped: those that went silent, and those that overran their time.

Pure decisions on the jobs' fields; the service acts on them (cancels, restarts a hung worker, tells the student).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from cnnlab.jobs.budget import overrun_sentence, time_limit
from cnnlab.jobs.job import Job, JobState


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
