"""cli/targets.py in-process: which targets --to and the `to` setting name (order kept, one
language named twice is one target), the header before each target's block, and side_by_side:
translations run at once in threads, their pieces read back in order in the calling thread,
an error raised at its place, and every one still running stopped on leaving. The real CLI
with several targets is tests/test_cli_translate.py's; their units sharing the engine's batch,
tests/test_cli_translate_job.py's."""

from __future__ import annotations

import os
import threading

import pytest

from llamax_cli.cli import targets
from llamax_cli.core.errors import UsageError

WAIT = 20  # seconds a test thread waits for another before giving up (never on success)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No `to` setting of this machine's user."""
    for name in [n for n in os.environ if n.startswith("LLAMAX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LLAMAX_CONFIG", str(tmp_path / "config.toml"))


def codes(flags) -> list[str]:
    return [lang.code for lang in targets.wanted(flags)]


# -- wanted -------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, expected", [
    ("fr", ["fr"]),
    (["fr"], ["fr"]),
    (["fr,de,sw"], ["fr", "de", "sw"]),
    (["fr", "de"], ["fr", "de"]),  # a repeated --to adds, it does not replace
    (["de", "fr, sw", "German"], ["de", "fr", "sw"]),  # order kept, German is de again
    (["fr,French", "fra"], ["fr"]),  # one language, however it is spelled
    (["zh-TW,zh-Hant,Chinese"], ["zh-Hant", "zh"]),
    (["fr,,de,"], ["fr", "de"]),  # empty items are nothing
])
def test_every_language_of_every_to_in_the_order_given(flags, expected):
    assert codes(flags) == expected


def test_the_setting_is_one_language_or_a_comma_list(monkeypatch, tmp_path):
    monkeypatch.setenv("LLAMAX_TO", "de")
    assert codes(None) == codes([]) == ["de"]
    assert codes(["sw"]) == ["sw"]  # the flag wins
    monkeypatch.setenv("LLAMAX_TO", "German, sw,fr,de")
    assert codes(None) == ["de", "sw", "fr"]
    monkeypatch.delenv("LLAMAX_TO")
    (tmp_path / "config.toml").write_text('to = "zh-TW,ja"\n')
    assert codes(None) == ["zh-Hant", "ja"]
    monkeypatch.setenv("LLAMAX_TO", "fr,Elvish")
    with pytest.raises(UsageError, match=r"^LLAMAX_TO=fr,Elvish: unknown language 'Elvish'"):
        targets.wanted(None)


@pytest.mark.parametrize("flags, message", [
    (None, "missing --to: which language should I translate into?"),
    ([","], "--to ',' names no language"),
    (["fr,xx"], "--to xx: unknown language 'xx'"),
])
def test_no_language_or_an_unknown_one_is_a_usage_error(flags, message):
    with pytest.raises(UsageError) as caught:
        targets.wanted(flags)
    assert str(caught.value).startswith(message) and caught.value.exit_code == 2


def test_the_header_names_the_target_and_with_several_inputs_the_input():
    assert targets.header("fr") == "==> fr <=="
    assert targets.header("zh-Hant", "notes.txt") == "==> notes.txt (zh-Hant) <=="


def test_announce_writes_the_header_on_stderr(capfd):
    print("Bonjour.", end="")
    targets.announce("de", "a.txt")
    out, err = capfd.readouterr()
    assert (out, err) == ("Bonjour.", "==> a.txt (de) <==\n")


# -- side_by_side -------------------------------------------------------------------------------

def test_one_translation_runs_in_the_calling_thread_with_no_cancel_flag():
    seen = []

    def make(cancel):
        seen.append(cancel)
        yield threading.current_thread()

    with targets.side_by_side([make]) as [pieces]:
        assert list(pieces) == [threading.current_thread()]
    assert seen == [None]


def test_translations_run_at_once_and_come_back_in_order():
    # Each translation waits for the others to have started: one at a time, it would never
    # get past its first piece.
    started = threading.Barrier(3, timeout=WAIT)

    def make(name):
        def pieces(cancel):
            yield f"{name}1"
            started.wait()
            yield f"{name}2"
        return pieces

    with targets.side_by_side([make("a"), make("b"), make("c")]) as streams:
        assert [list(stream) for stream in streams] == [["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]
        assert [list(stream) for stream in streams] == [[], [], []]  # read once


def test_an_error_is_raised_in_the_calling_thread_at_its_place():
    def broken(cancel):
        yield "first"
        raise UsageError("the second piece failed")

    def fine(cancel):
        yield "whole"

    with targets.side_by_side([fine, broken]) as [one, two]:
        assert list(one) == ["whole"]
        pieces = iter(two)
        assert next(pieces) == "first"
        with pytest.raises(UsageError, match="the second piece failed"):
            next(pieces)


def test_leaving_stops_every_translation_still_running():
    flags, closed = [], threading.Event()

    def endless(cancel):
        flags.append(cancel)
        try:
            while not cancel.wait(0.01):
                yield "more"
        finally:
            closed.set()

    with targets.side_by_side([endless, endless]) as [one, _]:
        assert next(iter(one)) == "more"
    assert all(flag.is_set() for flag in flags) and len(flags) == 2
    assert closed.wait(WAIT)  # the generator was closed in its own thread


def test_closing_one_stream_stops_only_that_translation():
    def counted(cancel):
        yield "a"
        cancel.wait(WAIT)  # a stream cancelled ends here; one not cancelled goes on after WAIT
        yield "b"

    def plain(cancel):
        yield "x"

    with targets.side_by_side([counted, plain]) as [one, two]:
        one.close(wait=WAIT)
        assert list(one) in (["a"], [])  # what came before the close, and nothing after
        assert list(two) == ["x"]


# -- Lookahead: the next inputs' translations start while one is written --------------------

def lookahead(sizes, log):
    def start(i):
        log.append(i)
        return [targets.Stream(lambda cancel, i=i: iter([f"input {i}"]))]
    return targets.Lookahead(len(sizes), lambda i: sizes[i], start)


def test_lookahead_starts_what_fits_after_the_input_taken_in_order():
    log = []
    ahead = lookahead([1] * 40, log)
    assert [list(s) for s in ahead.take(0)] == [["input 0"]]
    assert log == list(range(targets.AHEAD_STREAMS + 1))  # input 0 first, then 32 ahead
    assert [list(s) for s in ahead.take(1)] == [["input 1"]]
    assert log[-1] == targets.AHEAD_STREAMS + 1  # one taken, one more started
    for i in range(2, 40):
        assert [list(s) for s in ahead.take(i)] == [[f"input {i}"]]
    assert sorted(log) == list(range(40))  # each started once


def test_lookahead_keeps_to_its_budget_of_units():
    log = []
    ahead = lookahead([10, 200, 100, 5, targets.AHEAD_UNITS + 1, 1], log)
    ahead.take(0)
    assert log == [0, 1]  # 200 fit; 200 + 100 do not
    ahead.take(1)
    assert log == [0, 1, 2, 3]  # 100 + 5 fit; the next alone is over the budget
    ahead.take(2)
    ahead.take(3)
    assert log == [0, 1, 2, 3]
    ahead.take(4)  # its own turn: it starts then, with what fits after it
    assert log == [0, 1, 2, 3, 4, 5]


def test_closing_a_lookahead_stops_what_was_not_taken():
    streams = []

    def start(i):
        def endless(cancel):
            while not cancel.wait(0.01):
                yield "more"
        streams.append(targets.Stream(endless))
        return streams[-1:]

    ahead = targets.Lookahead(3, lambda i: 1, start)
    assert next(iter(ahead.take(0)[0])) == "more"
    ahead.close()
    assert len(streams) == 3
    assert not streams[0].cancel.is_set()  # taken: its reader closes it
    assert all(stream.cancel.is_set() for stream in streams[1:])
    streams[0].close()
