"""cli/streams.py: warnings start on a fresh line when stdout and stderr share a terminal,
the download question is asked only where someone can answer, and stdout/stderr become
UTF-8. Terminals are StringIOs that say they are one, swapped in inside each test (pytest
puts its own streams back between a fixture and the test). The reader-gone watcher runs
through a real pipe in tests/test_cli_translate.py (`| head -1`)."""

from __future__ import annotations

import io
import os
import signal
import stat
import sys

import pytest

from llamax_cli.cli import streams


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class ClosedTty:
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


@pytest.fixture(autouse=True)
def fresh_screen():
    """Start and end each test with the cursor at a line's start (state of the module)."""
    streams.for_screen("end of a line\n")
    yield
    streams.for_screen("end of a line\n")


def screens(monkeypatch, stdout_tty: bool = True, stderr_tty: bool = True):
    out = Tty() if stdout_tty else io.StringIO()
    err = Tty() if stderr_tty else io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out, err


def test_a_warning_after_half_a_line_on_the_same_terminal_starts_a_fresh_one(monkeypatch):
    _, err = screens(monkeypatch)
    assert streams.for_screen("Bonjour, tout") == "Bonjour, tout"
    streams.warn("the unit was truncated")
    assert err.getvalue() == "\nllamax: the unit was truncated\n"
    # The warning ended that line: the line's own newline is not written again...
    assert streams.for_screen("\nLa suite.\n") == "La suite.\n"
    streams.warn("second")  # ...and a warning at a line's start needs no newline
    assert err.getvalue().endswith("\nllamax: second\n")
    assert err.getvalue().count("\n") == 3


def test_a_crlf_after_a_warning_is_dropped_too(monkeypatch):
    screens(monkeypatch)
    streams.for_screen("half")
    streams.warn("note")
    assert streams.for_screen("\r\nnext") == "next"


def test_a_warning_at_a_lines_start_has_no_blank_line_before_it(monkeypatch):
    _, err = screens(monkeypatch)
    streams.for_screen("A whole line.\n")
    streams.warn("note")
    assert err.getvalue() == "llamax: note\n"


@pytest.mark.parametrize("stdout_tty, stderr_tty", [(False, True), (True, False),
                                                     (False, False)])
def test_streams_on_different_screens_need_no_fresh_line(monkeypatch, stdout_tty, stderr_tty):
    _, err = screens(monkeypatch, stdout_tty, stderr_tty)
    streams.for_screen("half a line")
    streams.warn("note")
    assert err.getvalue() == "llamax: note\n"
    assert streams.for_screen("\nrest") == "\nrest"  # stdout's own newline is still needed


def test_an_empty_piece_changes_nothing(monkeypatch):
    _, err = screens(monkeypatch)
    streams.for_screen("half")
    assert streams.for_screen("") == ""
    streams.warn("note")
    assert err.getvalue().startswith("\n")


def test_erasing_streamed_text_goes_back_over_its_rows(monkeypatch):
    out, err = screens(monkeypatch)
    monkeypatch.setenv("COLUMNS", "10")
    streams.for_screen("x" * 25)
    streams.erase_on_terminal(out, "x" * 25)  # 3 rows of 10: up 2, then clear
    assert out.getvalue() == "\r\x1b[1A\x1b[1A\x1b[J"
    streams.warn("note")  # back where the unit began: a fresh line already
    assert err.getvalue() == "llamax: note\n"


def test_download_question_is_none_where_no_one_can_answer(monkeypatch):
    for stdin, stderr in ((io.StringIO(), Tty()), (Tty(), io.StringIO()), (ClosedTty(), Tty()),
                          (object(), Tty())):
        monkeypatch.setattr(sys, "stdin", stdin)
        monkeypatch.setattr(sys, "stderr", stderr)
        assert streams.download_question() is None


@pytest.mark.parametrize("answer, result", [("n\n", False), ("y\n", True), ("\n", True)])
def test_on_a_terminal_the_question_is_asked_on_stderr_yes_by_default(monkeypatch, answer,
                                                                       result):
    monkeypatch.setattr(sys, "stdin", Tty(answer))
    _, err = screens(monkeypatch)
    ask = streams.download_question()
    assert ask is not None
    assert ask("tiny (50 MB) is not downloaded. Download it now?") is result
    assert err.getvalue().startswith("llamax: tiny (50 MB) is not downloaded. Download it now? "
                                     "[Y/n]")


def test_use_utf8_reconfigures_stdout_and_stderr_that_are_not(monkeypatch):
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    err = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    streams.use_utf8()
    assert (out.encoding, out.errors) == ("utf-8", "surrogateescape")
    assert (err.encoding, err.errors) == ("utf-8", "replace")
    out.write("Café \udce9")  # an undecodable input byte goes out as that byte
    out.flush()
    assert out.buffer.getvalue() == "Café ".encode() + b"\xe9"


def test_use_utf8_leaves_utf8_and_plain_streams_alone(monkeypatch):
    out = io.TextIOWrapper(io.BytesIO(), encoding="UTF8", errors="strict")
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", plain)
    streams.use_utf8()
    assert out.errors == "strict" and sys.stderr is plain


def test_the_reader_watch_is_on_only_for_a_piped_stdout_and_only_within_its_block():
    before = signal.getsignal(signal.SIGPIPE)
    with streams.stop_when_reader_leaves(enabled=False):
        assert signal.getsignal(signal.SIGPIPE) is before
    # pytest's fd 1 is a file when it captures output, the caller's pipe with -s under a pipe.
    mode = os.fstat(1).st_mode
    piped = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    with streams.stop_when_reader_leaves():
        assert (signal.getsignal(signal.SIGPIPE) is not before) is piped
    assert signal.getsignal(signal.SIGPIPE) is before
