"""The trainings not finished yet: which are running, the order the others start in, and each tab's share.

Waiting jobs stay here, not in Dask's queue, until a worker is free for them: their order can still change as other
students ask (`cnnlab.jobs.turns`). The queue holds no lock and knows nothing of Dask: the registry changes it under
its lock, and the service sends the jobs `start_next` picks.
"""

from __future__ import annotations

from collections import Counter

from cnnlab.jobs.job import Job, JobKey, JobState
from cnnlab.jobs.turns import count_turns, in_turn
from cnnlab.words import describe_config


class OneTrainingEach(ValueError):
    """A tab asked for another training while one of its own is still waiting or running (`job`)."""

    def __init__(self, job: Job):
        where = "waiting for its turn" if job.state is JobState.QUEUED else "training"
        super().__init__(f"Your tab already has a model {where} ({describe_config(job.config)}). Each tab trains "
                         "one model at a time, so that everyone's trainings get their turn.")
        self.job = job


class TrainingQueue:
    """Queued and running jobs, in the order they were submitted, and the turns their students have had.

    trainings_per_tab: how many unfinished jobs one tab may have at a time.
    """

    def __init__(self, trainings_per_tab: int = 1):
        self._trainings_per_tab = trainings_per_tab
        self._jobs: dict[JobKey, Job] = {}
        self._by_id: dict[str, Job] = {}  # the same jobs, by the id their worker's messages carry
        # Trainings started per tab since the queue was last empty: the turns `cnnlab.jobs.turns` orders by.
        self._turns: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._jobs)

    def jobs(self) -> list[Job]:
        """Every queued or running job, in the order they were submitted."""
        return list(self._jobs.values())

    def get(self, key: JobKey) -> Job | None:
        return self._jobs.get(key)

    def with_id(self, job_id: str | None) -> Job | None:
        return self._by_id.get(job_id)

    def add(self, job: Job) -> None:
        self._jobs[job.key] = job
        self._by_id[job.id] = job

    def remove(self, job: Job) -> None:
        """Take out a job that ended; once none is left, the turns taken start again from nothing."""
        self._jobs.pop(job.key, None)
        self._by_id.pop(job.id, None)
        if not self._jobs:
            self._turns.clear()  # nobody waits for anybody: earlier turns no longer count

    def check_share(self, owner: str | None, key: JobKey) -> None:
        """Raise `OneTrainingEach` if `owner` already has its share of unfinished jobs other than `key`'s."""
        if owner is None:
            return
        # A job being stopped (its worker finishes the batch it is on) no longer counts against its tab.
        mine = [job for job in self._jobs.values()
                if owner in job.owners and job.key != key and job.stop_reason is None]
        if len(mine) >= self._trainings_per_tab:
            raise OneTrainingEach(mine[0])

    def owned_by(self, owner: str) -> Job | None:
        """The first unfinished job `owner` asked for, if any."""
        return next((job for job in self._jobs.values() if owner in job.owners), None)

    def running(self) -> list[Job]:
        """The jobs a worker is training now, oldest first."""
        return [job for job in self._jobs.values() if job.state is JobState.RUNNING]

    def has_waiting(self) -> bool:
        """Whether a job waits here, not yet given to the cluster."""
        return any(not job.sent for job in self._jobs.values())

    def in_order(self) -> list[Job]:
        """Running jobs, jobs the cluster has but has not started, then those waiting here in turn."""
        sent = [job for job in self._jobs.values() if job.sent and job.state is JobState.QUEUED]
        waiting = [job for job in self._jobs.values() if not job.sent]
        return self.running() + sent + in_turn(waiting, self._turns)

    def position(self, job: Job) -> int:
        """0 while the job runs, 1 for the next job to start, and so on; -1 once it has left the queue."""
        if job.state is JobState.RUNNING:
            return 0
        queued = [other for other in self.in_order() if other.state is JobState.QUEUED]
        return queued.index(job) + 1 if job in queued else -1

    def ahead_of(self, job: Job) -> list[Job]:
        """The jobs that run or start before `job` (none, if it is not in the queue)."""
        order = self.in_order()
        return order[: order.index(job)] if job in order else []

    def start_next(self, slots: int) -> list[Job]:
        """The waiting jobs to give the cluster now, in turn, so that at most `slots` jobs are with it; they are
        marked as sent and count as their students' turns."""
        sent = [job for job in self._jobs.values() if job.sent]
        waiting = [job for job in self._jobs.values() if not job.sent]
        chosen = in_turn(waiting, self._turns)[: max(0, slots - len(sent))]
        count_turns(self._turns, chosen)
        for job in chosen:
            job.sent = True
        return chosen
