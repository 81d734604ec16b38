"""The translation pipeline: documents in, prompts to an engine, translations streamed out.

Pure Python: it knows the engine only through `llamax_cli.engine.Engine`, so tests can run it
with any engine, and the CLI only renders what it yields.

A document's units go to the engine as a growing list (a window of WINDOW units ahead of the
output, retries marked urgent), which it decodes `--parallel` at a time beside every other
caller's; results come back in any order and are released in document order. Every unit ends
with exactly one UnitResult: a unit whose output degenerates is retried once with a
repetition penalty; one that hits the token limit is split in two and each half retried;
what still fails is reported, never dropped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from llamax_cli.service import alternatives
from llamax_cli.service import glossary as glossaries
from llamax_cli.service import guards
from llamax_cli.formats import markup, placeholders
from llamax_cli.service import prompt
from llamax_cli.formats import spans
from llamax_cli.engine import RETRY_BEAMS, Engine, Request
from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.languages import Language
from llamax_cli.service.options import Options
from llamax_cli.service.parts import fit_parts, max_tokens_for, split_in_two
from llamax_cli.service.recall import Recall
from llamax_cli.service.results import Output, Retract, UnitResult
from llamax_cli.formats.document import literal_text
from llamax_cli.formats.segment import Document, Unit
from llamax_cli.service.verdict import FIRST, LANGUAGE, PENALTY, judge, notes_line, other_problems
from llamax_cli.service.wrapping import shape_like

REPEAT_PENALTY = 1.3
# Retries (verdict.py): after a loop, greedy with a repetition penalty; after an answer in the
# wrong language, a beam search where the engine has one (else the same nudge); after a
# missing glossary term, the term in the input.
LANGUAGE_RETRY_BEAMS = RETRY_BEAMS
_MAX_SPLITS = 3  # times a part may be halved after hitting the token limit
# Units handed to the engine ahead of the output: enough to keep every slot busy, few enough
# that a 100k-line document costs nothing up front and its memory stays flat.
WINDOW = 128
# Statuses that mean "done, but this unit needs a look": they make the run exit 3.
PROBLEMS = ("truncated", "degenerate", "protected-lost", "too-long", "wrong-language",
            "glossary-miss", "markup-lost", "placeholder-lost")


def prompts(doc: Document, src: Language, tgt: Language,
            per_unit: Sequence[Language] | None = None) -> Iterator[str | None]:
    """Each unit's prompt, or None for a unit already in the target language."""
    for unit in doc.units:
        unit_src = per_unit[unit.index] if per_unit else src
        yield prompt.build(unit_src, tgt, unit.source) if unit_src != tgt else None


@dataclass
class _Attempt:
    part: int
    response: prompt.ResponseFilter
    guard: guards.DegenerationGuard
    retry: int = FIRST  # or a retry's kind (service/verdict.py)
    splits: int = 0
    streamed: str = ""
    restore_hashes: bool = False


@dataclass
class _Job:
    unit: Unit
    parts: list[str]
    seps: list[str]  # what goes before each part when the results are joined
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
    score: float | None = None
    hypotheses: list[alternatives.Candidate] = field(default_factory=list)  # a one-part unit's


class _Run:
    def __init__(self, doc: Document, src: Language, tgt: Language, engine: Engine,
                 options: Options, per_unit: Sequence[Language] | None = None,
                 cancel: threading.Event | None = None, recall: Recall | None = None):
        self.doc, self.src, self.tgt, self.engine, self.options = doc, src, tgt, engine, options
        self.recall = recall  # the translation memory's lookups and stores, if any
        self.per_unit = per_unit
        self.cancel = cancel  # set: the engine drops this document's requests at once
        # Indexed by request number; a finished one is set to None.
        self.requests: list[Request | None] = []
        self.attempts: list[tuple[_Job, _Attempt] | None] = []
        # One per unit handed to the engine so far, in unit order; None once released.
        self.jobs: list[_Job | None] = []
        self.done = 0  # units complete
        self.next_part = 0  # index into doc.parts of the next thing to release
        self.prefetched_to = 0  # units before this one have been looked up in the memory

    def submit(self, job: _Job, part: int, retry: int = FIRST, splits: int = 0,
               terms: list[tuple[str, str]] | None = None) -> None:
        text = job.parts[part]
        restore = prompt.needs_restore(text)
        response = prompt.ResponseFilter(restore_hashes=restore)
        guard = guards.DegenerationGuard(text)
        attempt = _Attempt(part, response, guard, retry, splits, restore_hashes=restore)
        beams, penalty = self._decoding(retry)
        self.attempts.append((job, attempt))
        job.tries.append(attempt)
        src = self.source_of(job.unit)
        query = glossaries.hint(text, terms) if terms else text
        self.requests.append(Request(
            prompt.build(src, self.tgt, query), max_tokens_for(self.engine, text, self.options),
            repeat_penalty=penalty,
            should_stop=lambda: response.stopped or guard.reason is not None,
            # A retry or a split half goes before every unit still waiting: output waits on it.
            urgent=bool(retry or splits), shared_prefix=prompt.shared_prefix(src, self.tgt),
            # spare hypotheses: some come out the same once cleaned
            beams=beams, n_best=2 * (self.options.alternatives + 1) if beams > 1 else 1,
            ends=lambda raw, pieces: prompt.hypothesis_end(raw, pieces, restore, text)))
        job.in_flight += 1
        job.attempts += 1

    def _decoding(self, retry: int) -> tuple[int, float]:
        """(beams, repetition penalty) for an attempt."""
        beams = max(self.options.beams, 1)
        if retry == LANGUAGE:
            wider = min(LANGUAGE_RETRY_BEAMS, getattr(self.engine, "max_beams", 1))
            if wider > beams:
                return wider, 1.0
        return (1, REPEAT_PENALTY) if retry in (PENALTY, LANGUAGE) else (beams, 1.0)

    def source_of(self, unit: Unit) -> Language:
        return self.per_unit[unit.index] if self.per_unit else self.src

    def refill(self) -> None:
        """Hand the engine the next units, keeping WINDOW of them ahead of the output."""
        units = self.doc.units
        while len(self.jobs) < len(units) and len(self.jobs) - self.done < WINDOW:
            unit = units[len(self.jobs)]
            if self._recalled(unit):
                continue
            parts, seps = fit_parts(unit.source, self.engine)
            job = _Job(unit, parts, seps, [None] * len(parts), time.perf_counter())
            self.jobs.append(job)
            if self.source_of(unit) == self.tgt:  # a mixed document's unit already in tgt
                job.status = "same-language"
                job.results = [unit.raw]
                self._complete(job)
                self.done += 1
                continue
            for k in range(len(parts)):
                self.submit(job, k)

    def _recalled(self, unit: Unit) -> bool:
        """A unit the memory has: done at once, without the engine (which is then never even
        loaded, when the memory has every unit)."""
        src = self.source_of(unit)
        at = len(self.jobs)  # this unit's place in doc.units (refill hands them in order)
        if self.recall and at >= self.prefetched_to:  # the next block, in one query
            self.prefetched_to = at + WINDOW
            ahead = self.doc.units[at:self.prefetched_to]
            self.recall.prefetch((self.source_of(u), u.source) for u in ahead
                                 if self.source_of(u) != self.tgt)
        hit = self.recall.lookup(src, unit.source) if self.recall and src != self.tgt else None
        if hit is None:
            return False
        job = _Job(unit, [unit.source], [""], [hit.translation], time.perf_counter())
        job.result = UnitResult(unit.index, unit.line, unit.source, hit.translation, "ok",
                                attempts=0, source_language=src.code if self.per_unit else None,
                                score=hit.score,
                                alternatives=list(hit.alternatives)[:self.options.alternatives],
                                memory="hit" if hit.origin == "mt" else "imported")
        self.jobs.append(job)
        self.done += 1
        return True

    def run(self) -> Iterator[Output]:
        self.refill()
        yield from self.release()
        if self.requests:
            for event in self.engine.generate(self.requests, self.options.sampling,
                                              cancel=self.cancel):
                yield from self.on_event(event)
        unaccounted = [job.unit.index for job in self.jobs if job is not None]
        if unaccounted or self.next_part < len(self.doc.parts):
            raise LlamaxError(f"internal error: units {unaccounted[:5]} were not accounted for")

    def on_event(self, event) -> Iterator[Output]:
        job, attempt = self.attempts[event.index]
        if attempt.guard.reason is not None and not event.done:
            return  # asked to stop: what the engine made before it noticed does not count
        text = attempt.response.feed(event.text)
        if event.text and not event.done:
            attempt.guard.feed(event.text)
        if event.finish_reason == "degenerate":  # a beam search that found nothing but loops
            attempt.guard.reason = "repetition loop"
        if text and self._is_live(job, attempt):
            attempt.streamed += text
            yield text
        if event.done:
            # Nothing looks at a finished request again: drop it, so memory stays flat.
            self.requests[event.index] = self.attempts[event.index] = None
            yield from self.finish_attempt(job, attempt, event)

    def _is_live(self, job: _Job, attempt: _Attempt) -> bool:
        return (self.options.live and len(job.parts) == 1 and attempt.retry == 0
                and attempt.splits == 0 and self._head() is job)

    def _head(self) -> _Job | None:
        for part in self.doc.parts[self.next_part:self.next_part + 2]:  # parts alternate
            if isinstance(part, Unit):
                return self.jobs[part.index] if part.index < len(self.jobs) else None
        return None

    def finish_attempt(self, job: _Job, attempt: _Attempt, event) -> Iterator[Output]:
        tail = attempt.response.finish()
        if tail and self._is_live(job, attempt):
            attempt.streamed += tail
            yield tail
        job.in_flight -= 1
        job.prompt_tokens += event.n_prompt_tokens
        job.tokens += event.n_tokens
        if attempt.streamed:
            job.streamed = attempt.streamed
        verdict = judge(text=attempt.response.text, source=job.parts[attempt.part],
                        finish_reason=event.finish_reason, n_tokens=event.n_tokens,
                        stopped=attempt.response.stopped, loop=attempt.guard.reason,
                        retry=attempt.retry, target=self.tgt,
                        check_language=self.options.check_language,
                        glossary=self.options.glossary)
        if verdict.retry is not None or (verdict.split and self._split(job, attempt)):
            yield from self._retract(job)
            if verdict.retry is not None:
                self.submit(job, attempt.part, verdict.retry, attempt.splits, verdict.terms)
            return
        if verdict.status is not None:
            job.status = verdict.status
            job.notes.append(verdict.note)
        job.results[attempt.part] = attempt.response.text
        if len(job.parts) == 1 and event.score is not None and event.hypotheses:
            job.score = event.score  # the kept attempt's, after any retry
            job.hypotheses = alternatives.candidates(event, attempt.restore_hashes)
        if job.in_flight == 0 and all(r is not None for r in job.results):
            self._complete(job)
            self.done += 1
            yield from self.release()
            self.refill()

    def _split(self, job: _Job, attempt: _Attempt) -> bool:
        """Retry a part that hit the token limit as two halves, when that is allowed."""
        # An explicit --max-tokens is the user's cap: report, do not work around it.
        if self.options.max_tokens is not None or attempt.splits >= _MAX_SPLITS:
            return False
        halves = split_in_two(job.parts[attempt.part])
        if halves is None:
            return False
        (first, second), joint = halves
        k = attempt.part
        job.parts[k:k + 1] = [first, second]
        job.seps[k:k + 1] = [job.seps[k], joint]
        job.results[k:k + 1] = [None, None]
        for other in job.tries:  # parts after k moved one place right: so do their attempts
            if other.part > k:
                other.part += 1
        self.submit(job, k, splits=attempt.splits + 1)
        self.submit(job, k + 1, splits=attempt.splits + 1)
        return True

    def _retract(self, job: _Job) -> Iterator[Output]:
        if job.streamed:
            yield Retract(job.streamed)
            job.streamed = ""

    def _complete(self, job: _Job) -> None:
        unit = job.unit
        translation = "".join(sep + r for sep, r in zip(job.seps, job.results) if r).strip()
        lost = [span for span in unit.protected if not spans.survives(span, translation)]
        if self.options.glossary:  # keep-as-is terms: byte for byte
            lost += [t for t in self.options.glossary.kept_in(unit.source) if t not in translation]
        broken = (markup.damage(unit.source, unit.markup, translation)
                  if job.status not in ("too-long", "same-language") else None)
        placeholder_damage = (placeholders.damage(unit.placeholders, translation)
                              if job.status not in ("too-long", "same-language") else None)
        first, output = job.status, translation  # before a check below replaces them
        if job.status == "too-long":
            translation = unit.raw
        elif broken:  # a tag, code span or link dropped or repeated: never write broken markup
            job.status = "markup-lost"
            job.notes.append(broken)
            translation = unit.raw
        elif placeholder_damage is not None:  # never write a message that would crash its app
            job.status = "placeholder-lost"
            job.notes.append(placeholder_damage)
            translation = unit.raw
        elif lost:  # code, links and identifiers must survive, whatever else went wrong
            job.status = "protected-lost" if job.status == "ok" else job.status
            job.notes.append(f"the model dropped {lost[0]!r}; kept the source text")
            translation = unit.raw
        elif job.status == "ok" and guards.is_echo(unit.source, translation):
            job.status = "echo"
            job.notes.append("the output repeats the source")
        if translation is not unit.raw:
            translation = shape_like(unit, translation)
        if job.status == "same-language":
            translation = unit.raw
        also, missing = other_problems(job.status, first, job.unit.source, output, lost,
                                       self.options.glossary)
        job.notes += missing
        job.result = UnitResult(unit.index, unit.line, unit.source, translation, job.status,
                                job.prompt_tokens, job.tokens,
                                round(time.perf_counter() - job.started, 3), job.attempts,
                                notes_line(job.notes),
                                self.source_of(unit).code if self.per_unit else None,
                                job.score, *self._alternatives(job, translation))
        job.result.also = also
        if self.recall is not None:
            self.recall.store(self.source_of(unit), job.result)
        job.tries.clear()  # nothing refers to them now: a long document's memory stays flat

    def _alternatives(self, job: _Job,
                      translation: str) -> tuple[list[tuple[str, float]], list[bool]]:
        """alternatives.offered, for any status where the model's hypotheses are at hand."""
        if job.score is None or job.status in ("too-long", "same-language"):
            return [], []
        return alternatives.offered(job.unit, translation, job.hypotheses,
                                    self.options.alternatives)

    def release(self) -> Iterator[Output]:
        """Everything that can go out in document order, now."""
        parts = self.doc.parts
        while self.next_part < len(parts):
            part = parts[self.next_part]
            if not isinstance(part, Unit):
                yield literal_text(part, self.tgt.code)
            else:
                job = self.jobs[part.index] if part.index < len(self.jobs) else None
                if job is None or job.result is None:
                    break
                final = job.result.translation
                if part.encode is not None and final != part.raw:
                    final = part.encode(final, self.tgt.code)  # nothing of it streamed
                if job.streamed and final.startswith(job.streamed):
                    final = final[len(job.streamed):]
                elif job.streamed:
                    yield Retract(job.streamed)
                if final:
                    yield final
                yield job.result
                self.jobs[part.index] = None  # released: nothing refers to it any more
            self.next_part += 1
        yield from self._catch_up()

    def _catch_up(self) -> Iterator[Output]:
        """Stream what the new head unit has already produced."""
        head = self._head()
        if head is None or not self.options.live or head.unit.encode is not None:
            return  # (an encoded unit is written whole, in its file's syntax)
        for attempt in head.tries:
            if self._is_live(head, attempt) and attempt.response.text:
                caught_up = attempt.response.text[len(attempt.streamed):]
                if caught_up:
                    attempt.streamed += caught_up
                    head.streamed = attempt.streamed
                    yield caught_up


def translate_document(doc: Document, src: Language, tgt: Language, engine: Engine | None,
                       options: Options = Options(),
                       per_unit: Sequence[Language] | None = None,
                       cancel: threading.Event | None = None,
                       recall: Recall | None = None) -> Iterator[Output]:
    """Yield the output text piece by piece (skeleton and translations, in document order),
    and a UnitResult after each unit is complete. `per_unit` gives each unit's own source
    language (a mixed document); units already in `tgt` pass through. Setting `cancel` ends
    the work with Cancelled within one engine step. `recall`: the translation memory, which
    answers the units it has and keeps the new ones that come out ok."""
    if not doc.units or all(lang == tgt for lang in per_unit or [src]):
        yield from _pass_through(doc)
        return
    assert engine is not None
    yield from _Run(doc, src, tgt, engine, options, per_unit, cancel, recall).run()


def _pass_through(doc: Document) -> Iterator[Output]:
    for part in doc.parts:
        if not isinstance(part, Unit):
            yield literal_text(part)
        else:
            yield part.raw
            yield UnitResult(part.index, part.line, part.source, part.raw, "same-language")
