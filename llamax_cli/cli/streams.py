"""Stdout and stderr as a Unix filter needs them.

- UTF-8 whatever the locale (as git and ripgrep write): a C/POSIX locale or a
  PYTHONIOENCODING of ascii or latin-1 would otherwise end a translation of "Café…" in a
  UnicodeEncodeError. Stderr replaces what it cannot write rather than fail over a message.
- A reader that goes away (`| head -1`) is noticed at once, not when the next unit is
  written, which can be a minute later: a thread waits on stdout's pipe for the error its
  reader's close raises, and the main thread then unwinds with OutputClosed (exit 141).
- On a terminal, a warning starts on a fresh line instead of being glued to the end of the
  translated text that stdout has just written to the same screen.
"""

from __future__ import annotations

import codecs
import os
import select
import shutil
import signal
import stat
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import typer

from llamax_cli.core.errors import OutputClosed

# -- UTF-8 whatever the locale -------------------------------------------------------------------


def _is_utf8(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name == "utf-8"
    except LookupError:
        return False


def use_utf8() -> None:
    """Write stdout and stderr as UTF-8, whatever LC_ALL, LANG or PYTHONIOENCODING say.
    Stdout keeps bytes that came in undecodable (surrogateescape), as files do (textio)."""
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "replace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or _is_utf8(getattr(stream, "encoding", None)):
            continue
        try:
            reconfigure(encoding="utf-8", errors=errors)
        except (ValueError, OSError):  # a closed or detached stream: nothing to write there
            pass


def silence_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for a reader gone cannot be written."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def silence_stdout_if_broken() -> None:
    try:
        sys.stdout.flush()
    except OSError:  # a closed pipe, a full disk: what is left cannot be written either
        silence_stdout()


# -- a warning on a fresh line -------------------------------------------------------------------

# stdout, a terminal, has text on its current line; a warning ended that line for it, so the
# line's own newline, when it comes, is not written again (no blank line after a warning).
_screen = {"mid_line": False, "ended_by_warning": False}


def for_screen(text: str) -> str:
    """What to write of the translation's next piece on a terminal, noting where it ends."""
    if not text:
        return text
    if _screen["ended_by_warning"]:
        _screen["ended_by_warning"] = False
        if text.startswith("\r\n"):
            text = text[2:]
        elif text.startswith("\n"):
            text = text[1:]
    if text:
        _screen["mid_line"] = not text.endswith(("\n", "\r"))
    return text


def erase_on_terminal(out, text: str) -> None:
    """Take back text streamed to a terminal (only ever done on a TTY)."""
    width = max(shutil.get_terminal_size().columns, 1)
    rows = max(len(text) - 1, 0) // width
    out.write("\r" + ("\x1b[1A" * rows) + "\x1b[J")
    _screen["mid_line"] = _screen["ended_by_warning"] = False  # back where the unit began


def fresh_line_for_stderr() -> str:
    """What stderr should write before a message: a newline when the message would otherwise
    continue a line of translation on the same terminal."""
    if not _screen["mid_line"]:
        return ""
    _screen["mid_line"] = False  # the message ends its own line: the cursor is at a fresh one
    try:
        same_screen = sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        same_screen = False
    _screen["ended_by_warning"] = same_screen
    return "\n" if same_screen else ""


# -- the reader of stdout going away -------------------------------------------------------------

_POLL_SECONDS = 0.2  # how soon the watcher notices that the job is over (not the reader)


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class _Watch:
    def __init__(self) -> None:
        self.reader_gone = False  # set by the watcher thread
        self.over = False  # set by the main thread: no exception may be raised any more
        self.raised = False

    def on_signal(self, _signum, _frame) -> None:
        # SIGPIPE also comes from a write to the closed pipe, which fails on its own
        # (BrokenPipeError, also exit 141): only the watcher's signal raises, and only once,
        # and never once the job's own clean-up has begun.
        if self.reader_gone and not self.raised and not self.over:
            self.raised = True
            raise OutputClosed()

    def run(self, fd: int, main_thread: int) -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked: only POLLERR/POLLHUP, which poll always reports
        while not self.over:
            try:
                events = poller.poll(_POLL_SECONDS * 1000)
            except OSError:
                return
            if any(mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL)
                   for _, mask in events):
                if not self.over:
                    self.reader_gone = True
                    signal.pthread_kill(main_thread, signal.SIGPIPE)  # wakes a blocking wait
                return


@contextmanager
def stop_when_reader_leaves(enabled: bool = True) -> Iterator[None]:
    """Within this block, the reader of a piped stdout closing its end raises OutputClosed
    in the main thread within a fraction of a second, whatever it is waiting for. Outside
    it (the job's clean-up), nothing is raised: the exit code is 141 all the same, from the
    exception or from the final flush."""
    if (not enabled or not hasattr(select, "poll") or not hasattr(signal, "SIGPIPE")
            or threading.current_thread() is not threading.main_thread() or not _is_pipe(1)):
        yield
        return
    watch = _Watch()
    previous = signal.signal(signal.SIGPIPE, watch.on_signal)
    thread = threading.Thread(target=watch.run, args=(1, threading.main_thread().ident),
                              name="llamax-stdout-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        watch.over = True
        signal.signal(signal.SIGPIPE, previous)


def warn(message: str) -> None:
    # On a terminal, not glued to the end of a translated line.
    sys.stderr.write(f"{fresh_line_for_stderr()}llamax: {message}\n")
    sys.stderr.flush()


def download_question() -> Optional[Callable[[str], bool]]:
    """How to ask before downloading a model: a yes/no on the terminal, or None where no one
    can answer (a pipe, a script), so that the run asks for --yes instead of waiting."""
    try:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return None
    except (AttributeError, ValueError):  # a closed or replaced stream
        return None

    def ask(question: str) -> bool:
        return typer.confirm(f"llamax: {question}", default=True, err=True)

    return ask
