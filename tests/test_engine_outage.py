"""engine/outage.py: one outage clock per remote engine, its one warning, and a pause that
stops as soon as nobody waits. Clocks are read, never raced: a start in the past stands for
time gone by, so no assertion depends on how fast this machine is."""

from __future__ import annotations

import threading
import time

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine.outage import Abandoned, Outage


def collector():
    notes: list[str] = []
    return notes, notes.append


def test_no_outage_means_nothing_waited_and_the_whole_patience_left():
    outage = Outage(30, lambda m: None)
    assert outage.waited() == 0.0
    assert outage.time_left() == 30


def test_the_first_failure_warns_once_naming_what_why_and_the_patience():
    notes, note = collector()
    outage = Outage(30, note)
    left = outage.failed("http://host/v1", "connection refused")
    assert 0 < left <= 30
    assert notes == ["http://host/v1: connection refused; retrying for up to 30 s"]
    outage.failed("http://host/v1/completions", "timed out")
    outage.failed("http://host/v1", "connection refused")
    assert len(notes) == 1  # one clock, one warning, however many requests fail


@pytest.mark.parametrize("count, said", [(0, ""), (1, " (1 request waiting)"),
                                         (3, " (3 requests waiting)")])
def test_the_warning_counts_the_requests_held_up(count, said):
    notes, note = collector()
    Outage(2.5, note, affected=lambda: count).failed("srv", "HTTP 503")
    assert notes == [f"srv: HTTP 503{said}; retrying for up to 2.5 s"]


def test_every_failure_reads_the_clock_of_the_first():
    outage = Outage(60, lambda m: None)
    began = time.monotonic() - 50  # the first call began failing 50 s ago
    assert outage.failed("srv", "refused", since=began) <= 10
    # A later failure, with no start of its own, does not restart the clock.
    assert outage.failed("srv", "refused") <= 10
    assert outage.waited() >= 50 and outage.time_left() <= 10


def test_an_outage_older_than_the_patience_gives_up_at_once():
    outage = Outage(5, lambda m: None)
    assert outage.failed("srv", "refused", since=time.monotonic() - 10) <= -5


def test_a_start_in_the_future_counts_from_now():
    outage = Outage(5, lambda m: None)
    left = outage.failed("srv", "refused", since=time.monotonic() + 100)
    assert left <= 5  # not 105: an outage cannot begin after it was seen
    assert outage.waited() >= 0


def test_a_success_ends_the_outage_and_the_next_failure_warns_again():
    notes, note = collector()
    outage = Outage(10, note)
    outage.failed("srv", "refused", since=time.monotonic() - 8)
    outage.over()
    assert outage.waited() == 0.0 and outage.time_left() == 10
    assert outage.failed("srv", "HTTP 502") > 0  # a fresh clock, not the old 8 s
    assert len(notes) == 2 and notes[1].startswith("srv: HTTP 502")
    outage.over()
    outage.over()  # a success with no outage is harmless
    assert outage.waited() == 0.0


def test_failures_at_once_from_many_threads_start_one_clock_and_one_warning():
    notes, note = collector()
    outage = Outage(60, note, affected=lambda: 8)
    start = threading.Barrier(8)

    def fail():
        start.wait()
        outage.failed("srv", "refused")

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert notes == ["srv: refused (8 requests waiting); retrying for up to 60 s"]


def test_a_pause_of_nothing_returns_after_asking_once_whether_anyone_waits():
    asked = []
    Outage.pause(-3, lambda: asked.append(1) or False)
    Outage.pause(0, lambda: asked.append(1) or False)
    assert asked == [1, 1]


def test_a_pause_stops_with_abandoned_as_soon_as_nobody_waits():
    asked = []

    def abandoned():
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(Abandoned, match="the engine stopped while its server was unavailable"):
        Outage.pause(3600, abandoned)  # a pause that ran out would hang the test for an hour
    assert len(asked) == 3


def test_abandoned_is_a_one_line_error_for_its_caller():
    assert issubclass(Abandoned, LlamaxError) and Abandoned.exit_code == 1
