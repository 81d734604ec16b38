"""The engine layer: generating text from prompts, with a model in-process or on a server.

This module is the engine interface: what the pipeline needs from anything that generates
text. Implementations: `engine.llama` (llama.cpp in-process, its scheduler thread shared by
every caller; scheduler.py, slots.py and beams.py drive it through its `native`, native.py) and
`engine.remote` (an OpenAI-compatible server); `models.factory.open_engine` picks one for a
model reference. `generate` takes a list the caller may append to while it runs, and an
optional cancel flag (a set flag ends the generation with Cancelled and frees its slots); it
is safe to call from several threads at once. Nothing outside this package imports llama_cpp.

Prompts arrive as finished text; the one thing the engine must know of the LLaMAX template
(`SECTION_STOP`) is defined here, and the layers above import it from here.

May import: llamax_cli.core, the standard library and third-party libraries; never lid,
formats, models, service, server or cli (they sit above it).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol, Sequence

from llamax_cli.core.cancel import CancelToken
from llamax_cli.core.errors import Cancelled, LlamaxError


# A new "###" section of the LLaMAX template (a line that starts with "###") ends the
# translation: remote servers stop there, and service/prompt.py's ResponseFilter cuts there.
SECTION_STOP = "\n###"
# The beam search a retry uses (service/pipeline.py): a local engine has at least this many
# sequences whatever --parallel is, so a unit's retry, and its text, do not depend on it.
RETRY_BEAMS = 4


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0 is greedy
    seed: int = 0
    ignore_eos: bool = False  # for fixed-length benchmarks


@dataclass
class Request:
    prompt: str
    max_tokens: int
    repeat_penalty: float = 1.0  # > 1 discourages repeating the last 64 tokens
    # Asked after each piece has been consumed; True ends this sequence early.
    should_stop: Callable[[], bool] = field(default=lambda: False)
    # Admitted before every waiting request that is not urgent (a retry that output waits on).
    urgent: bool = False
    # The start of the prompt that other requests share (the template before the input):
    # evaluated once and reused. Empty: the engine finds what a caller's requests share.
    shared_prefix: str = ""
    # Beam search (beams.py): this many beams, and the n_best best distinct hypotheses in the
    # final event. 1: greedy (or sampled), streamed token by token.
    beams: int = 1
    n_best: int = 1
    # With beams: whether a hypothesis (its text, and its tokens' pieces) is complete (None:
    # not yet): "stop" (the caller's own end marker), or "degenerate" (a loop: kept only if
    # nothing else finishes).
    ends: Callable[[str, list[str]], str | None] = field(default=lambda text, pieces: None)
    # Scoring instead of generating: these tokens are fed one by one, and the final event
    # carries their mean log-probability after the prompt.
    forced: list[int] | None = None

    def check(self) -> None:
        """What the engine's thread would otherwise trip on, refused in the caller's thread."""
        try:
            self.prompt.encode("utf-8")
        except (UnicodeEncodeError, AttributeError):
            raise LlamaxError("the prompt is not valid text (a lone surrogate?)") from None
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) \
                or self.max_tokens < 1:
            raise LlamaxError(f"max_tokens must be a whole number of at least 1, "
                              f"not {self.max_tokens!r}")


@dataclass
class Event:
    index: int  # which request this piece belongs to
    text: str
    done: bool = False
    # "eog", "stop" (asked to), "length", or "too-long" (the prompt does not fit the context:
    # nothing was generated)
    finish_reason: str | None = None
    n_prompt_tokens: int = 0
    n_tokens: int = 0  # generated so far
    # Final events of beam searches and forced (scoring) requests: the mean log-probability
    # per token, and with beams the n_best distinct hypotheses as (text, score), best first
    # (the first is this event's whole text).
    score: float | None = None
    hypotheses: list[tuple[str, float]] = field(default_factory=list)


class Engine(Protocol):
    """`max_beams` (optional; absent: 1) is the widest beam search a request may ask for."""

    n_ctx: int

    def count_tokens(self, text: str) -> int: ...

    def generate(self, requests: Sequence[Request], sampling: Sampling,
                 cancel: threading.Event | None = None) -> Iterator[Event]: ...

    def close(self) -> None: ...


_WAKE = object()  # put on a caller's queue when its cancel flag is set


def next_event(events: queue.SimpleQueue, cancel: threading.Event | None = None) -> Event:
    """The next event of a caller's queue, raising an exception the engine put there, or
    Cancelled once `cancel` is set (a CancelToken wakes the wait at once; a plain Event is
    seen within the poll interval)."""
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled("the request was cancelled")
        try:
            # A timeout keeps the wait interruptible by Ctrl-C and SIGTERM on every platform.
            item = events.get(timeout=0.5)
        except queue.Empty:
            continue
        if item is _WAKE:
            continue
        if isinstance(item, BaseException):
            raise item
        return item


def drive(requests: list, submit: Callable[[int, Request], None], events: queue.SimpleQueue,
          cancel: Callable[[int], None],
          cancelled: threading.Event | None = None) -> Iterator[Event]:
    """An engine's `generate` loop: submit each request as the list grows (the caller may
    append while this runs), yield events until all are done; on exit, however early (the
    caller closing the iterator, an error, `cancelled` being set), `cancel(outstanding)`
    frees what is left."""
    submitted = outstanding = 0
    undo = cancelled.on_set(lambda: events.put(_WAKE)) \
        if isinstance(cancelled, CancelToken) else None
    try:
        while True:
            while submitted < len(requests):
                if cancelled is not None and cancelled.is_set():
                    raise Cancelled("the request was cancelled")
                submit(submitted, requests[submitted])
                submitted += 1
                outstanding += 1
            if not outstanding:
                return
            event = next_event(events, cancelled)
            if event.done:
                outstanding -= 1
            yield event
    finally:
        if undo is not None:
            undo()
        cancel(outstanding)
