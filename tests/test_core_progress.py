"""core/progress.py: progress is drawn on a terminal's stderr and nowhere else. A StringIO
that says it is a terminal stands in for one."""

from __future__ import annotations

import io
import re
import sys

import pytest

from llamax_cli.core.progress import DownloadBar, UnitProgress, stderr_is_tty

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ClosedStream:
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


# pytest's output capture puts its own sys.stderr back between a fixture's setup and the
# test's call: each test swaps the stream in its own body.
def on_terminal(monkeypatch) -> Terminal:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    return screen


def on_pipe(monkeypatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def plain(screen: io.StringIO) -> str:
    return ANSI.sub("", screen.getvalue())


@pytest.mark.parametrize("stream, expected", [
    (Terminal(), True), (io.StringIO(), False), (ClosedStream(), False), (object(), False),
])
def test_stderr_is_tty_follows_the_stream_and_never_raises(monkeypatch, stream, expected):
    monkeypatch.setattr(sys, "stderr", stream)
    assert stderr_is_tty() is expected


def test_a_download_bar_draws_nothing_when_stderr_is_no_terminal(monkeypatch):
    pipe = on_pipe(monkeypatch)
    with DownloadBar(total=2000, desc="model.gguf") as bar:
        bar.update(1000)
        bar.update(1000)
    bar.close()  # closing twice is harmless
    assert pipe.getvalue() == ""


def test_a_disabled_download_bar_draws_nothing_even_on_a_terminal(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with DownloadBar(total=2000, desc="model.gguf", disable=True) as bar:
        bar.update(2000)
    assert terminal.getvalue() == ""


def test_a_download_bar_on_a_terminal_shows_the_file_and_the_bytes_done(monkeypatch):
    terminal = on_terminal(monkeypatch)
    # huggingface_hub's calling convention: tqdm's keyword arguments, then update(n) per
    # chunk, a negative n when a resumed request restarts.
    with DownloadBar(total=2000, initial=0, desc="model.gguf", unit="B", unit_scale=True) as bar:
        bar.update(1500)
        bar.update(-500)
        bar.update(1000)
    bar.close()
    shown = plain(terminal)
    assert "model.gguf" in shown
    assert shown.rstrip().splitlines()[-1].count("2.0/2.0 kB") == 1, shown
    assert shown.endswith("\n")  # not transient: the finished bar stays on screen


def test_a_download_bar_starts_at_its_initial_bytes(monkeypatch):
    terminal = on_terminal(monkeypatch)
    bar = DownloadBar(total=4000, initial=3000, desc="")
    bar.close()
    shown = plain(terminal)
    assert "download" in shown and "3.0/4.0 kB" in shown


def test_unit_progress_draws_nothing_when_disabled_or_piped(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with UnitProgress("notes.txt", 3, enabled=False) as progress:
        progress.advance(10)
    assert terminal.getvalue() == ""
    stream = on_pipe(monkeypatch)
    with UnitProgress("notes.txt", 3, enabled=True) as progress:
        progress.advance(10)
    assert stream.getvalue() == ""


def test_unit_progress_on_a_terminal_counts_units_and_tokens_then_clears_itself(monkeypatch):
    terminal = on_terminal(monkeypatch)
    with UnitProgress("notes.txt", 3, enabled=True) as progress:
        progress.advance(10)
        progress.advance(20)
    raw = terminal.getvalue()
    shown = plain(terminal)
    assert "notes.txt" in shown and "2/3" in shown
    assert re.search(r"\d+\.\d tok/s", shown), shown
    assert raw.endswith("\x1b[2K")  # transient: the last thing written erases the line
