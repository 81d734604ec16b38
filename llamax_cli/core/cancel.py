"""A cancel flag that wakes its waiters.

The engine's callers block on a queue of events. A plain `threading.Event` set by another
thread (a server noticing its client left, a stop) is only seen when the next event arrives,
which for a long unit can be many seconds. A `CancelToken` also runs the callbacks registered
with `on_set`: the engine's `drive` registers one that wakes its queue, so a cancelled caller
stops at once and its slots are free at the engine's next step.
"""

from __future__ import annotations

import threading
from typing import Callable


class CancelToken(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._guard = threading.Lock()
        self.reason = "cancelled"  # why, for the answer: "client" or "shutdown" in the server
        self.reasons: set[str] = set()  # every reason given

    def cancel(self, reason: str) -> None:
        """Set, saying why (the first reason given is `reason`; all are in `reasons`)."""
        with self._guard:
            if not self.reasons:
                self.reason = reason
            self.reasons.add(reason)
        self.set()

    def set(self) -> None:
        super().set()
        with self._guard:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when this is set (at once if it is already); returns the undo."""
        with self._guard:
            self._callbacks.append(callback)
        if self.is_set():
            callback()

        def remove() -> None:
            with self._guard:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove
