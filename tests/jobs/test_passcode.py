"""The teacher's passcode gate: right and wrong tries, and a pause that doubles with each wrong try."""

from __future__ import annotations

import pytest

from cnnlab.jobs.passcode import LONGEST_PAUSE_SECONDS, PasscodeGate


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_right_passcode_opens_and_a_wrong_one_does_not():
    gate = PasscodeGate("owl-7", clock=Clock())
    assert gate.try_passcode("owl-7")
    assert not gate.try_passcode("owl-8")


def test_each_wrong_try_makes_the_next_wait_twice_as_long_up_to_a_minute():
    clock = Clock()
    gate = PasscodeGate("owl-7", clock=clock)
    pauses = []
    for _ in range(8):
        assert not gate.try_passcode("guess")
        pauses.append(gate.seconds_to_wait())
        with pytest.raises(ValueError, match="wait"):
            gate.try_passcode("owl-7")  # refused during the pause, even when right
        clock.now += pauses[-1]
    assert pauses == [2, 4, 8, 16, 32, LONGEST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS, LONGEST_PAUSE_SECONDS]
    assert gate.try_passcode("owl-7")
    assert not gate.try_passcode("guess") and gate.seconds_to_wait() == 2  # a right try starts the count again


def test_an_empty_passcode_is_refused():
    with pytest.raises(ValueError, match="must not be empty"):
        PasscodeGate("")
