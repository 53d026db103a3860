"""The order waiting trainings start in: every student's first before anyone's second."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cnnlab.jobs.turns import count_turns, in_turn


@dataclass
class Request:
    id: str
    owners: frozenset
    submitted_at: float


def request(name: str, owners: str, at: float) -> Request:
    return Request(name, frozenset(owners.split()) if owners else frozenset(), at)


def names(jobs) -> list[str]:
    return [job.id for job in jobs]


def test_a_student_with_three_trainings_does_not_delay_another_students_one():
    turns = Counter()
    count_turns(turns, [request("a1", "ann", 0)])  # started, and running or already done
    waiting = [request("a2", "ann", 1), request("a3", "ann", 2), request("b1", "ben", 3)]
    assert names(in_turn(waiting, turns)) == ["b1", "a2", "a3"]


def test_students_take_turns_round_by_round_and_earlier_requests_go_first_within_a_round():
    waiting = [request("a1", "ann", 0), request("a2", "ann", 1), request("b1", "ben", 2), request("c1", "cal", 3),
               request("b2", "ben", 4), request("a3", "ann", 5)]
    assert names(in_turn(waiting)) == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_a_shared_training_takes_the_earliest_turn_of_its_students():
    turns = Counter()
    count_turns(turns, [request("a1", "ann", 0)])
    # Ben asked for the same settings as Ann's second: it is Ben's first turn, so it goes before Cal's later one.
    waiting = [request("c1", "cal", 2), request("shared", "ann ben", 1)]
    assert names(in_turn(waiting, turns)) == ["shared", "c1"]


def test_jobs_nobody_owns_are_first_come_first_served_and_with_no_students_nothing_changes():
    waiting = [request("x", "", 3), request("y", "", 1), request("z", "", 2)]
    assert names(in_turn(waiting)) == ["y", "z", "x"]
    assert in_turn([]) == []
