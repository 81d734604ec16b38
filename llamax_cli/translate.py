"""The translation pipeline: documents in, prompts to an engine, translations streamed out.

Pure Python: it knows the engine only through `llamax_cli.engine.Engine`, so tests can run it
with any engine, and the CLI only renders what it yields.

All units of a document go to the engine as one list, which it decodes `--parallel` at a
time; results come back in any order and are released in document order. Every unit ends
with exactly one UnitResult: a unit whose output degenerates is retried once with a
repetition penalty; one that hits the token limit is split in two and each half retried;
what still fails is reported, never dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator, Union

from llamax_cli import guards, prompt
from llamax_cli.engine import Engine, Request, Sampling
from llamax_cli.errors import LlamaxError
from llamax_cli.languages import Language
from llamax_cli.segment import Document, Unit, split_sentences

REPEAT_PENALTY = 1.3
_PROMPT_OVERHEAD = 100  # tokens of template around the input, with margin
_MAX_SPLITS = 3  # times a part may be halved after hitting the token limit


@dataclass(frozen=True)
class Options:
    max_tokens: int | None = None  # None: sized from each unit's source length
    sampling: Sampling = field(default_factory=Sampling)
    live: bool = False  # stream the head unit token by token (may be retracted)


@dataclass
class UnitResult:
    index: int
    line: int
    source: str
    translation: str
    status: str  # ok | same-language | truncated | degenerate | echo | protected-lost
    prompt_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0
    attempts: int = 1
    note: str = ""


@dataclass(frozen=True)
class Retract:
    """The `text` just streamed live for a unit is void; its final text follows."""

    text: str


Output = Union[str, UnitResult, Retract]


def prompts(doc: Document, src: Language, tgt: Language) -> list[str]:
    return [prompt.build(src, tgt, unit.source) for unit in doc.units]


def max_tokens_for(engine: Engine, source: str, options: Options) -> int:
    if options.max_tokens:
        return options.max_tokens
    # Generous: scripts that LLaMA vocabularies cover with byte tokens (Amharic, Burmese, ...)
    # can take 6-8 tokens where English takes one. Loops are caught by the guard, not this.
    return 8 * engine.count_tokens(source) + 64


def split_in_two(text: str) -> list[str] | None:
    sentences = [s for s, is_sentence in split_sentences(text) if is_sentence]
    if len(sentences) >= 2:
        half = len(sentences) // 2
        return [" ".join(sentences[:half]), " ".join(sentences[half:])]
    words = text.split()
    if len(words) < 4:
        return None
    half = len(words) // 2
    return [" ".join(words[:half]), " ".join(words[half:])]


def fit_parts(text: str, engine: Engine) -> list[str]:
    """Split text whose prompt and output would not fit the context."""
    budget = max(16, (engine.n_ctx - _PROMPT_OVERHEAD) // 4)
    if engine.count_tokens(text) <= budget:
        return [text]
    halves = split_in_two(text)
    if halves is None:
        return [text]
    return [part for half in halves for part in fit_parts(half, engine)]


@dataclass
class _Attempt:
    part: int
    response: prompt.ResponseFilter
    guard: guards.DegenerationGuard
    retry: int = 0  # 0: first try, 1: with a repetition penalty
    splits: int = 0
    streamed: str = ""


@dataclass
class _Job:
    unit: Unit
    parts: list[str]
    results: list[str | None]
    started: float
    status: str = "ok"
    notes: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    tokens: int = 0
    attempts: int = 0
    in_flight: int = 0
    streamed: str = ""
    result: UnitResult | None = None
    tries: list[_Attempt] = field(default_factory=list)  # this unit's attempts, in order


class _Run:
    def __init__(self, doc: Document, src: Language, tgt: Language, engine: Engine,
                 options: Options):
        self.doc, self.src, self.tgt, self.engine, self.options = doc, src, tgt, engine, options
        self.requests: list[Request] = []
        self.attempts: list[tuple[_Job, _Attempt]] = []
        self.jobs: list[_Job] = []
        self.next_part = 0  # index into doc.parts of the next thing to release

    def submit(self, job: _Job, part: int, retry: int = 0, splits: int = 0) -> None:
        text = job.parts[part]
        response = prompt.ResponseFilter(restore_hashes=prompt.needs_restore(text))
        guard = guards.DegenerationGuard(text)
        attempt = _Attempt(part, response, guard, retry, splits)
        self.attempts.append((job, attempt))
        job.tries.append(attempt)
        self.requests.append(Request(
            prompt.build(self.src, self.tgt, text), max_tokens_for(self.engine, text, self.options),
            repeat_penalty=REPEAT_PENALTY if retry else 1.0,
            should_stop=lambda: response.stopped or guard.reason is not None))
        job.in_flight += 1
        job.attempts += 1

    def run(self) -> Iterator[Output]:
        for unit in self.doc.units:
            parts = fit_parts(unit.source, self.engine)
            job = _Job(unit, parts, [None] * len(parts), time.perf_counter())
            self.jobs.append(job)
            for k in range(len(parts)):
                self.submit(job, k)
        yield from self.release()
        for event in self.engine.generate(self.requests, self.options.sampling):
            job, attempt = self.attempts[event.index]
            text = attempt.response.feed(event.text)
            if event.text and not event.done:
                attempt.guard.feed(event.text)
            if text and self._is_live(job, attempt):
                attempt.streamed += text
                yield text
            if event.done:
                yield from self.finish_attempt(job, attempt, event)
        unaccounted = [job.unit.index for job in self.jobs if job.result is None]
        if unaccounted or self.next_part < len(self.doc.parts):
            raise LlamaxError(f"internal error: units {unaccounted[:5]} were not accounted for")

    def _is_live(self, job: _Job, attempt: _Attempt) -> bool:
        return (self.options.live and len(job.parts) == 1 and attempt.retry == 0
                and attempt.splits == 0 and self._head() is job)

    def _head(self) -> _Job | None:
        for part in self.doc.parts[self.next_part:]:
            if isinstance(part, Unit):
                return self.jobs[part.index]
        return None

    def finish_attempt(self, job: _Job, attempt: _Attempt, event) -> Iterator[Output]:
        tail = attempt.response.finish()
        if tail and self._is_live(job, attempt):
            attempt.streamed += tail
            yield tail
        job.in_flight -= 1
        job.prompt_tokens += event.n_prompt_tokens
        job.tokens += event.n_tokens
        text = attempt.response.text
        source = job.parts[attempt.part]
        if attempt.streamed:
            job.streamed = attempt.streamed
        if attempt.guard.reason is not None and not attempt.response.stopped:
            if attempt.retry == 0:
                yield from self._retract(job)
                self.submit(job, attempt.part, retry=1, splits=attempt.splits)
                return
            job.status = "degenerate"
            job.notes.append(f"{attempt.guard.reason}, even with a repetition penalty")
        elif event.finish_reason == "length" and not attempt.response.stopped:
            # An explicit --max-tokens is the user's cap: report, do not work around it.
            can_split = self.options.max_tokens is None and attempt.splits < _MAX_SPLITS
            halves = split_in_two(source) if can_split else None
            if halves is not None:
                yield from self._retract(job)
                k = attempt.part
                job.parts[k:k + 1] = halves
                job.results[k:k + 1] = [None, None]
                self._renumber(job, k)
                self.submit(job, k, splits=attempt.splits + 1)
                self.submit(job, k + 1, splits=attempt.splits + 1)
                return
            job.status = "truncated"
            job.notes.append(f"reached the token limit ({event.n_tokens}) and cannot be split")
        job.results[attempt.part] = text
        if job.in_flight == 0 and all(r is not None for r in job.results):
            self._complete(job)
            yield from self.release()

    def _renumber(self, job: _Job, split_at: int) -> None:
        """Parts after a split moved one place right: so must their pending attempts."""
        for other in job.tries:
            if other.part > split_at:
                other.part += 1

    def _retract(self, job: _Job) -> Iterator[Output]:
        if job.streamed:
            yield Retract(job.streamed)
            job.streamed = ""

    def _complete(self, job: _Job) -> None:
        unit = job.unit
        translation = " ".join(r for r in job.results if r)
        lost = [span for span in unit.protected if span not in translation]
        if lost:  # code, links and placeholders must survive, whatever else went wrong
            job.status = "protected-lost" if job.status == "ok" else job.status
            job.notes.append(f"the model dropped {lost[0]!r}; kept the source text")
            translation = unit.raw
        elif job.status == "ok" and guards.is_echo(unit.source, translation):
            job.status = "echo"
            job.notes.append("the output repeats the source")
        if unit.wrap > 1:
            translation = wrap_lines(translation, unit.wrap, unit.newline)
        job.result = UnitResult(unit.index, unit.line, unit.source, translation, job.status,
                                job.prompt_tokens, job.tokens,
                                round(time.perf_counter() - job.started, 3), job.attempts,
                                "; ".join(job.notes))

    def release(self) -> Iterator[Output]:
        """Everything that can go out in document order, now."""
        parts = self.doc.parts
        while self.next_part < len(parts):
            part = parts[self.next_part]
            if isinstance(part, str):
                yield part
            else:
                job = self.jobs[part.index]
                if job.result is None:
                    break
                final = job.result.translation
                if job.streamed and final.startswith(job.streamed):
                    final = final[len(job.streamed):]
                elif job.streamed:
                    yield Retract(job.streamed)
                if final:
                    yield final
                yield job.result
            self.next_part += 1
        head = self._head()
        if head is not None and self.options.live:
            for attempt in head.tries:
                if self._is_live(head, attempt) and attempt.response.text:
                    caught_up = attempt.response.text[len(attempt.streamed):]
                    if caught_up:
                        attempt.streamed += caught_up
                        head.streamed = attempt.streamed
                        yield caught_up


def wrap_lines(text: str, lines: int, newline: str = "\n") -> str:
    """Break one line into `lines` lines of similar length at spaces (subtitles)."""
    words = text.split(" ")
    if lines <= 1 or len(words) < lines:
        return text
    out, rest = [], words
    for remaining in range(lines, 1, -1):
        target = len(" ".join(rest)) / remaining
        best, length = 1, len(rest[0])
        for k in range(1, len(rest) - remaining + 1):
            if abs(length + 1 + len(rest[k]) - target) < abs(length - target):
                length += 1 + len(rest[k])
                best = k + 1
            else:
                break
        out.append(" ".join(rest[:best]))
        rest = rest[best:]
    out.append(" ".join(rest))
    return newline.join(out)


def translate_document(doc: Document, src: Language, tgt: Language, engine: Engine | None,
                       options: Options = Options()) -> Iterator[Output]:
    """Yield the output text piece by piece (skeleton and translations, in document order),
    and a UnitResult after each unit is complete."""
    if src == tgt:
        yield from _pass_through(doc)
        return
    assert engine is not None
    yield from _Run(doc, src, tgt, engine, options).run()


def _pass_through(doc: Document) -> Iterator[Output]:
    for part in doc.parts:
        if isinstance(part, str):
            yield part
        else:
            yield part.raw
            yield UnitResult(part.index, part.line, part.source, part.raw, "same-language")
