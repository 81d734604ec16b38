"""The translation pipeline: documents in, prompts to an engine, translations streamed out.

Pure Python: it knows the engine only through `llamax_cli.engine.Engine`, so tests can run it
with any engine, and the CLI only renders what it yields.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterator, Union

from llamax_cli import prompt
from llamax_cli.engine import Engine, Request, Sampling
from llamax_cli.languages import Language
from llamax_cli.segment import Document, Unit


@dataclass(frozen=True)
class Options:
    max_tokens: int | None = None  # None: sized from each unit's source length
    sampling: Sampling = field(default_factory=Sampling)


@dataclass
class UnitResult:
    index: int
    line: int
    source: str
    translation: str
    status: str  # "ok", "length" (hit the token limit), "same-language"
    prompt_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0


Output = Union[str, UnitResult]


def prompts(doc: Document, src: Language, tgt: Language) -> list[str]:
    return [prompt.build(src, tgt, unit.source) for unit in doc.units]


def max_tokens_for(engine: Engine, unit: Unit, options: Options) -> int:
    if options.max_tokens:
        return options.max_tokens
    # Generous: scripts that LLaMA vocabularies cover with byte tokens (Amharic, Burmese, ...)
    # can take 6-8 tokens where English takes one. A looping model stops at the next `###`.
    return 8 * engine.count_tokens(unit.source) + 64


def translate_document(doc: Document, src: Language, tgt: Language, engine: Engine | None,
                       options: Options = Options()) -> Iterator[Output]:
    """Yield the output text piece by piece (skeleton and translations, in document order),
    and a UnitResult after each unit is complete."""
    if src == tgt:
        yield from _pass_through(doc)
        return
    assert engine is not None
    for part in doc.parts:
        if isinstance(part, str):
            yield part
        else:
            yield from _translate_unit(part, src, tgt, engine, options)


def _pass_through(doc: Document) -> Iterator[Output]:
    for part in doc.parts:
        if isinstance(part, str):
            yield part
        else:
            yield part.source
            yield UnitResult(part.index, part.line, part.source, part.source, "same-language")


def _translate_unit(unit: Unit, src: Language, tgt: Language, engine: Engine,
                    options: Options) -> Iterator[Output]:
    started = time.perf_counter()
    response = prompt.ResponseFilter(restore_hashes=prompt.needs_restore(unit.source))
    request = Request(prompt.build(src, tgt, unit.source), max_tokens_for(engine, unit, options),
                      should_stop=lambda: response.stopped)
    status, n_prompt, n_tokens = "ok", 0, 0
    for event in engine.generate([request], options.sampling):
        text = response.feed(event.text)
        if text:
            yield text
        if event.done:
            n_prompt, n_tokens = event.n_prompt_tokens, event.n_tokens
            if event.finish_reason == "length" and not response.stopped:
                status = "length"
    tail = response.finish()
    if tail:
        yield tail
    yield UnitResult(unit.index, unit.line, unit.source, response.text, status, n_prompt,
                     n_tokens, round(time.perf_counter() - started, 3))
