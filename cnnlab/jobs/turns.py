"""The order in which waiting trainings start: students in turn, never first come first served.

With first come first served, a student who queues three trainings before a classmate presses Train makes the
classmate wait for all three. Here every student's first training starts before anyone's second, and so on; a
training counts as the turn of every student who asked for it (identical settings are one shared job), and the
turns taken count every training started since the server was last idle (the queue keeps that count: see
`count_turns`). Within a round, the earlier request goes first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol


class Request(Protocol):
    """What the order needs of a job: who asked for it, when, and a name of its own."""

    id: str
    owners: frozenset[str]
    submitted_at: float


def askers(job: Request) -> frozenset[str]:
    """The students who asked for `job`; a job nobody owns (a script's, a test's) counts as its own student."""
    return job.owners or frozenset({f"job:{job.id}"})


def count_turns(turns_taken: Counter, started: Iterable[Request]) -> None:
    """Add the trainings just started to `turns_taken` (students → trainings started for them)."""
    for job in started:
        turns_taken.update(askers(job))


def in_turn(waiting: Iterable[Request], turns_taken: Counter | None = None) -> list:
    """`waiting` in the order the jobs should start, given the turns each student has had already."""
    waiting = list(waiting)
    turns_taken = Counter(turns_taken or {})
    rounds = {}
    for job in sorted(waiting, key=lambda job: job.submitted_at):
        owners = askers(job)
        rounds[job.id] = min(turns_taken[owner] for owner in owners)
        turns_taken.update(owners)
    return sorted(waiting, key=lambda job: (rounds[job.id], job.submitted_at))
