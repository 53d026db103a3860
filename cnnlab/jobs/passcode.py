"""The teacher's passcode: checked in constant time, with a pause after each wrong try that grows with each one.

One gate per server, not per tab: a new tab (or a reload) would otherwise start every guesser afresh. The passcode
itself is never logged, shown or put in an address; only whether a try was right is.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable

from cnnlab.network.estimate import describe_duration

PASSCODE_VARIABLE = "CNNLAB_TEACHER_PASSCODE"
FIRST_PAUSE_SECONDS = 2.0
# Doubling from 2 s: after six wrong tries a guesser waits a minute per try (about 1,400 tries a day), while a
# teacher who mistyped, or whom a student locked out on purpose, waits at most that minute.
LONGEST_PAUSE_SECONDS = 60.0


class PasscodeGate:
    """Says whether a try is the passcode; after a wrong try, refuses every try until its pause has passed.

    passcode: the server's passcode (not empty). clock: seconds, monotonic (tests pass their own).
    """

    def __init__(self, passcode: str, clock: Callable[[], float] = time.monotonic):
        if not passcode:
            raise ValueError("The teacher's passcode must not be empty.")
        self._passcode = passcode.encode()
        self._clock = clock
        self._lock = threading.Lock()
        self._wrong_tries = 0
        self._locked_until = 0.0

    def seconds_to_wait(self) -> float:
        """How long until the next try is taken (0 when it is taken now)."""
        return max(0.0, self._locked_until - self._clock())

    def try_passcode(self, attempt: str) -> bool:
        """True if `attempt` is the passcode. Raises ValueError with a sentence while a pause runs; the try is not
        counted then. A wrong try starts a pause twice as long as the one before."""
        with self._lock:
            wait = self.seconds_to_wait()
            if wait > 0:
                raise ValueError(f"Too many wrong tries: wait {describe_duration(wait).removeprefix('about ')} "
                                 "before the next one.")
            # compare_digest takes as long for a near miss as for a wild guess, so timing tells a guesser nothing.
            if hmac.compare_digest(attempt.encode(), self._passcode):
                self._wrong_tries = 0
                return True
            self._wrong_tries += 1
            pause = min(LONGEST_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (self._wrong_tries - 1))
            self._locked_until = self._clock() + pause
            return False
