"""The queue of unfinished trainings on its own: the order it shows, which jobs start as slots free up, and each
tab's share."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cnnlab.config import TrainConfig
from cnnlab.jobs.job import Job, JobState
from cnnlab.jobs.training_queue import OneTrainingEach, TrainingQueue

DATA = SimpleNamespace(fingerprint="digits")  # all a job's key needs of its data


def job(seed: int, owners: str = "", at: float = 0.0) -> Job:
    return Job(config=TrainConfig(seed=seed), dataset=DATA, owners=frozenset(owners.split()), submitted_at=at)


def queue_of(*jobs: Job, trainings_per_tab: int = 1) -> TrainingQueue:
    queue = TrainingQueue(trainings_per_tab)
    for each in jobs:
        queue.add(each)
    return queue


def test_the_order_is_running_then_sent_then_waiting_in_turn():
    ann, ben = job(1, "ann", 0), job(2, "ben", 1)
    queue = queue_of(ann, ben)
    assert queue.start_next(slots=2) == [ann, ben]
    ann.state = JobState.RUNNING  # Ben's is with the cluster, not yet started
    ann_again, cal = job(3, "ann", 2), job(4, "cal", 3)
    queue.add(ann_again)
    queue.add(cal)
    # Ann has had a turn and Cal none: Cal's later request goes first.
    assert queue.in_order() == [ann, ben, cal, ann_again]
    assert [queue.position(each) for each in (ann, ben, cal, ann_again)] == [0, 1, 2, 3]
    assert queue.ahead_of(cal) == [ann, ben]
    assert queue.running() == [ann]


def test_jobs_start_only_as_slots_free_up_and_each_counts_as_a_turn():
    first, second, third = job(1, "ann", 0), job(2, "ann", 1), job(3, "ben", 2)
    queue = queue_of(first, second, third, trainings_per_tab=2)
    assert queue.start_next(slots=1) == [first] and first.sent
    assert queue.start_next(slots=1) == []  # the one slot is taken
    assert queue.has_waiting()
    queue.remove(first)
    assert queue.start_next(slots=1) == [third]  # Ann has had her turn
    assert queue.start_next(slots=2) == [second]
    assert not queue.has_waiting()


def test_turns_start_again_once_the_queue_is_empty():
    queue = queue_of(job(1, "ann", 0))
    started = queue.start_next(slots=1)
    queue.remove(started[0])
    ann, ben = job(2, "ann", 1), job(3, "ben", 2)
    queue.add(ann)
    queue.add(ben)
    assert queue.in_order() == [ann, ben]  # first come, first served again: Ann's earlier turn no longer counts


def test_a_job_that_left_the_queue_has_no_place():
    queue = queue_of(job(1))
    gone = job(2)
    assert queue.position(gone) == -1 and queue.ahead_of(gone) == []
    assert queue.get(gone.key) is None and queue.with_id(gone.id) is None


def test_a_tab_has_its_share_and_no_more():
    mine = job(1, "tab-a")
    queue = queue_of(mine)
    with pytest.raises(OneTrainingEach) as refusal:
        queue.check_share("tab-a", job(2).key)
    assert refusal.value.job is mine and "one model at a time" in str(refusal.value)
    queue.check_share("tab-a", mine.key)  # asking for the same settings again is not another training
    queue.check_share("tab-b", job(2).key)
    queue.check_share(None, job(2).key)  # scripts and tests have no share
    assert queue.owned_by("tab-a") is mine and queue.owned_by("tab-b") is None
    mine.stop_reason = (JobState.CANCELLED, "Training was cancelled.")
    queue.check_share("tab-a", job(2).key)  # a job being stopped no longer counts
