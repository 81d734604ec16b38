"""Several target languages in one `llamax translate` run (`--to fr,de,sw`, or `--to fr --to
de`): which targets, and how their translations of one input run side by side.

- The targets are every item of every --to (or of the `to` setting), each item a language or
  a comma list, resolved and kept in the order given; one language named twice (`fr,French`)
  is one target.
- Each input's translations into all of them run at once, one thread each over the same
  Translator, so that their units share the engine's one batch (side_by_side). The pieces
  come back to the calling thread one target after the other: the first as they are made,
  the others held until their turn, so that each output is written whole and in order, and
  nothing but the calling thread writes (stdout, notes, the closing tally).
- Across inputs, the same: while one input is written, the translations of the next ones are
  already running (Lookahead), within a budget of units and threads, so that 50 one-line
  files fill the batch as one 50-line file does.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from typing import Callable, Iterator, Optional, Sequence, Union

from llamax_cli.cli.streams import fresh_line_for_stderr
from llamax_cli.core import config, languages
from llamax_cli.core.cancel import CancelToken
from llamax_cli.core.errors import UsageError
from llamax_cli.core.languages import Language

# How long leaving side_by_side waits, for all the cancelled translations together, for their
# threads to let go of the engine before it is closed under them (a local engine lets go
# within one step; a request to a server may not notice before its next line).
_JOIN_SECONDS = 2.0
# What Lookahead starts ahead of the input being written: units (their pieces wait in memory
# until their turn), and translations (a thread each).
AHEAD_UNITS = 256
AHEAD_STREAMS = 32


def wanted(flags: Union[str, Sequence[str], None]) -> list[Language]:
    """The target languages: those of --to (each item one language or a comma list), else
    the `to` setting's; a usage error when there are none."""
    items = [flags] if isinstance(flags, str) else list(flags or [])
    if items:
        # Each language checked as the setting's flag, one at a time: "--to xx: unknown ...".
        codes = [config.value("to", name) for name in _split(items)]
        if not codes:
            raise UsageError(f"--to {','.join(items)!r} names no language")
    else:
        setting = config.value("to")
        codes = _split([setting]) if setting is not None else []
    if not codes:
        raise UsageError("missing --to: which language should I translate into? "
                         "(or set a default: `llamax config set to de`)")
    found: list[Language] = []
    for code in codes:
        lang = languages.resolve(code, option="target language")
        if lang not in found:  # --to fr,French: one target
            found.append(lang)
    return found


def _split(items: Sequence[str]) -> list[str]:
    return [name.strip() for item in items for name in str(item).split(",") if name.strip()]


def header(code: str, label: Optional[str] = None) -> str:
    """The line on stderr before a target's block on stdout, as `tail` and `head` name the
    files they print: `==> fr <==`, or with several inputs `==> notes.txt (fr) <==`."""
    return f"==> {code} <==" if label is None else f"==> {label} ({code}) <=="


def announce(code: str, label: Optional[str] = None) -> None:
    """Write the header of a target's block on stderr, after what stdout holds so far."""
    sys.stdout.flush()
    sys.stderr.write(f"{fresh_line_for_stderr()}{header(code, label)}\n")
    sys.stderr.flush()


# -- translations side by side -----------------------------------------------------------------

Pieces = Iterator  # what a translation yields: text, UnitResult, Retract (service/pipeline.py)
Maker = Callable[[Optional[threading.Event]], Pieces]  # a translation, given its cancel flag

_END = object()  # the last item a translation's thread puts on its queue


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


class Stream:
    """One translation run in its own thread: iterating yields its pieces in the calling
    thread, in order (an error of the translation is raised here, at its place); close()
    stops it."""

    def __init__(self, make: Maker):
        self.cancel = CancelToken()  # wakes the engine's wait at once (engine.next_event)
        self._items: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, args=(make,), daemon=True,
                                        name="llamax-target")
        self._thread.start()

    def _work(self, make: Maker) -> None:
        try:
            pieces = make(self.cancel)
            try:
                for piece in pieces:
                    if self.cancel.is_set():
                        return
                    self._items.put(piece)
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:  # a generator: its clean-up frees the engine's slots
                    close()
        except BaseException as exc:  # noqa: BLE001 (raised again in the reader's thread)
            self._items.put(_Failed(exc))
        finally:
            self._items.put(_END)

    def __iter__(self) -> Iterator:
        while True:
            item = self._items.get()  # a signal (Ctrl-C) still interrupts this wait
            if item is _END:
                self._items.put(_END)  # iterating again ends at once
                return
            if isinstance(item, _Failed):
                self._items.put(_END)
                raise item.error
            yield item

    def close(self, wait: float = 0.0) -> None:
        """Stop the translation; wait up to `wait` seconds for its thread to end."""
        self.cancel.set()
        if wait > 0:
            self._thread.join(wait)


@contextlib.contextmanager
def side_by_side(makers: Sequence[Maker]) -> Iterator[list]:
    """The translations `makers` make, all started at once; one iterable of pieces each, in
    the same order. One translation alone runs in the calling thread, as it always has (no
    cancel flag). Leaving the block stops every translation still running and waits a
    moment for each to let go of the engine."""
    if len(makers) == 1:
        pieces = makers[0](None)
        with contextlib.closing(pieces) if hasattr(pieces, "close") else \
                contextlib.nullcontext(pieces):
            yield [pieces]
        return
    streams = [Stream(make) for make in makers]
    try:
        yield streams
    finally:
        for stream in streams:
            stream.cancel.set()
        deadline = time.monotonic() + _JOIN_SECONDS
        for stream in streams:
            stream.close(wait=deadline - time.monotonic())


class Lookahead:
    """The translations of inputs 0 .. n-1, each as one Stream per target, started ahead of
    the input being written: `take(i)` starts what fits after input i (at most AHEAD_UNITS
    units and AHEAD_STREAMS translations beyond it) and returns input i's streams."""

    def __init__(self, n: int, units: Callable[[int], int], start: Callable[[int], list]):
        self._n, self._units, self._start = n, units, start
        self._started: dict[int, list[Stream]] = {}
        self._next = 0

    def take(self, i: int) -> list[Stream]:
        mine = self._started.pop(i, None)
        if mine is None:  # not started yet: it goes first, then what follows it
            mine = self._start(i)
            self._next = max(self._next, i + 1)
        while self._next < self._n and self._fits(self._next):
            self._started[self._next] = self._start(self._next)
            self._next += 1
        return mine

    def _fits(self, j: int) -> bool:
        units = sum(self._units(k) for k in self._started) + self._units(j)
        streams = sum(len(s) for s in self._started.values())
        return units <= AHEAD_UNITS and streams < AHEAD_STREAMS

    def close(self) -> None:
        """Stop every translation started ahead and not taken (an error, Ctrl-C)."""
        streams = [stream for group in self._started.values() for stream in group]
        self._started.clear()
        for stream in streams:
            stream.cancel.set()
        deadline = time.monotonic() + _JOIN_SECONDS
        for stream in streams:
            stream.close(wait=deadline - time.monotonic())

