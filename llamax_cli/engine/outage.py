"""One outage clock per remote engine.

When a server dies, every request in flight fails at once, and the queued ones fail as soon as
a worker picks them up. A clock per request would print a warning per request and give up
only when the last of them had waited `patience` seconds: a queued request picked up after
the first ones gave up started a fresh clock, so giving up took twice --remote-timeout. Here
the first failure starts the engine's one clock and prints the one warning (with the number
of requests affected); every later failure reads the same clock, so all of them give up
`patience` seconds after the outage began, and a request that fails after that gives up at
once. The first success ends the outage.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from llamax_cli.core.errors import LlamaxError


class Abandoned(LlamaxError):
    """Nobody waits for the request any more (its caller went away, the engine stops): what
    its caller, if still there, receives instead of a retry that would outlive the engine."""


class Outage:
    def __init__(self, patience: float, note: Callable[[str], None],
                 affected: Callable[[], int] = lambda: 0):
        self.patience = patience
        self.note = note
        # How many requests wait on the server (in flight and queued): set by the engine.
        self.affected = affected
        self._lock = threading.Lock()
        self._began: Optional[float] = None

    def failed(self, what: str, reason: str, since: Optional[float] = None) -> float:
        """Record a failed call (that began failing at `since`, default now); the seconds left
        before giving up, 0 or less when the outage has lasted `patience` already."""
        now = time.monotonic()
        with self._lock:
            first = self._began is None
            if first:
                self._began = min(since, now) if since is not None else now
            left = self.patience - (now - self._began)
        if first:
            count = self.affected()
            waiting = f" ({count} request{'s' if count != 1 else ''} waiting)" if count else ""
            self.note(f"{what}: {reason}{waiting}; retrying for up to {self.patience:g} s")
        return left

    def over(self) -> None:
        """A call succeeded: the server is back."""
        if self._began is not None:
            with self._lock:
                self._began = None

    def waited(self) -> float:
        began = self._began
        return 0.0 if began is None else time.monotonic() - began

    def time_left(self) -> float:
        """Seconds before an outage that began now, or the current one, is given up."""
        return self.patience - self.waited()

    @staticmethod
    def pause(seconds: float, abandoned: Callable[[], bool]) -> None:
        """Sleep `seconds`, but raise Abandoned within a tenth of a second of nobody waiting,
        so that a stopping engine or a finished caller never waits out a backoff."""
        end = time.monotonic() + max(0.0, seconds)
        while True:
            if abandoned():
                raise Abandoned("the engine stopped while its server was unavailable")
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))
