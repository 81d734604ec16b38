"""Ctrl-C, SIGTERM and SIGHUP unwind the main thread with an exception, but never while it
holds a lock that the engine's thread needs.

Python runs a signal handler between two bytecodes of the main thread, which can be just after
a `with lock:` has acquired the lock and before the `with` has taken charge of releasing it.
An exception raised there leaves the lock held for good: the engine's scheduler thread then
blocks on it, and the main thread, unwinding, waits forever for that thread to stop. So the
main thread marks such sections (`shielded()`), and a signal that arrives inside one raises
its exception as the section ends.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from llamax_cli.core.errors import Interrupted

_depth = 0  # shielded sections the main thread is in (signal handlers run in the main thread)
_pending: BaseException | None = None


@contextmanager
def shielded() -> Iterator[None]:
    """A section of the main thread that a signal's exception does not interrupt; other
    threads pass through unchanged."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            exc, _pending = _pending, None
            raise exc


def raise_or_defer(exc: BaseException) -> None:
    """For a signal handler: raise `exc` now, or at the end of the shielded section the main
    thread is in (the first signal's exception wins)."""
    global _pending
    if _depth:
        if _pending is None:
            _pending = exc
        return
    raise exc


def unwind_on_termination_signals() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C: every `finally` runs, so no partial output file
    and no temporary file is left behind. None of them raises inside a section that holds the
    engine's lock (shielded()). A signal the parent set to be ignored (`nohup`, a background
    job's SIGINT) stays ignored."""
    def stop(signum, _frame):
        raise_or_defer(Interrupted(signum) if signum != signal.SIGINT else KeyboardInterrupt())

    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, stop)
