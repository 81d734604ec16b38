"""A signal's exception never lands inside a section that holds the engine's lock."""

import signal
import threading

import pytest

from llamax_cli.core import interrupts
from llamax_cli.core.errors import Interrupted


def test_a_signal_inside_a_shielded_section_raises_as_it_ends():
    lock = threading.Lock()
    with pytest.raises(Interrupted):
        with interrupts.shielded(), lock:
            interrupts.raise_or_defer(Interrupted(signal.SIGTERM))  # as the handler would
            reached_the_end = True
    assert reached_the_end
    assert not lock.locked()  # released before the exception went on


def test_the_first_signal_wins_and_outside_a_section_it_raises_at_once():
    with pytest.raises(KeyboardInterrupt):
        with interrupts.shielded():
            interrupts.raise_or_defer(KeyboardInterrupt())
            interrupts.raise_or_defer(Interrupted(signal.SIGTERM))
    with pytest.raises(Interrupted):
        interrupts.raise_or_defer(Interrupted(signal.SIGHUP))
    with interrupts.shielded():  # nothing left pending
        pass


def test_other_threads_are_not_shielded():
    seen = []

    def worker():
        with interrupts.shielded():
            seen.append(interrupts._depth)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [0]
