"""The Translator service: what the CLI and the server both call.

It holds one long-lived engine (whose scheduler batches every caller's units together) and
does four things: `detect`, `choose_source` (which language a document is translated from:
the one policy of the CLI, the server, `eval` and the library), `translate_document` (a
segmented document, streamed piece by piece) and `translate_text`/`translate_texts` (whole
strings in, whole strings out, for the HTTP API and the library). It touches no stdin, stdout
or typer, and it is safe to call from many threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Sequence, Union

from llamax_cli.core import config, languages
from llamax_cli.core.errors import Cancelled
from llamax_cli.core.languages import Language
from llamax_cli.formats.segment import Document, segment
from llamax_cli.service import pipeline, source_language
from llamax_cli.service.memory import Memory
from llamax_cli.service.recall import Recall, context_key
from llamax_cli.service.source_language import Choice

__all__ = ["Cancelled", "Choice", "TextTranslation", "Translator"]


class _Deferred:
    """The Translator's engine, opened when the pipeline first touches it (a unit the memory
    does not have)."""

    def __init__(self, translator: "Translator"):
        self._translator = translator

    def __getattr__(self, name: str):
        return getattr(self._translator.engine, name)

if TYPE_CHECKING:  # the detector (numpy, its tables) loads when something is detected
    from llamax_cli.lid.detect import Detection


@dataclass
class TextTranslation:
    text: str
    source: Language
    detection: Optional[Detection] = None  # set when the source was detected
    results: list = field(default_factory=list)  # UnitResult per unit
    per_unit: Optional[list[Language]] = None  # each unit's source, in a mixed text

    @property
    def alternatives(self) -> list[dict]:
        """The other hypotheses of a one-unit text, best first, as {translation, score}."""
        if len(self.results) != 1:
            return []
        return [{"translation": text, "score": score}
                for text, score in self.results[0].alternatives]


class Translator:
    """`engine`, or `opener` to open one on first need: a job whose every unit the `memory`
    answers never loads the model. `identity` names the model and its output-changing
    settings for the memory's key (models/factory.py model_identity); without it, or without
    a memory, nothing is looked up or kept."""

    def __init__(self, engine=None, *, opener: Optional[Callable[[], object]] = None,
                 memory: Optional[Memory] = None, identity: Optional[str] = None):
        self._engine, self._opener = engine, opener
        self._opening = threading.Lock()
        self.memory = memory if identity is not None else None
        self.identity = identity

    @property
    def engine(self):
        if self._engine is None and self._opener is not None:
            with self._opening:  # several targets' threads may need it at once: one load
                if self._engine is None:
                    self._engine = self._opener()
        return self._engine

    @property
    def engine_loaded(self) -> bool:
        return self._engine is not None

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
        if self.memory is not None:
            self.memory.close()

    def __enter__(self) -> Translator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def load(self) -> dict:
        """What the engine is doing now: its slots, sequences decoding, and requests waiting."""
        scheduler = getattr(self._engine, "scheduler", None)
        if scheduler is None:
            return {}
        units = getattr(self.engine, "n_units", self.engine.n_parallel)  # (a beam's seqs: 1)
        return {"slots": units, "active": len(scheduler.active),
                "waiting": scheduler.waiting}

    # -- detection -----------------------------------------------------------------------

    @staticmethod
    def detect(text: str, hint: Optional[str] = None) -> Detection:
        # numpy and the detector's tables: only when something is detected
        from llamax_cli.lid.detect import detect

        return detect(text, hint=hint)

    @staticmethod
    def choose_source(doc: Document, source: Union[Language, str, None],
                      label: str = "the text", note: Callable[[str], None] = lambda m: None,
                      *, undetected: Optional[Language] = None) -> Choice:
        """The language(s) `doc` is translated from, decided here for every caller: the
        language the caller names (a Language, or any spelling --from takes); else (None,
        "auto") detected by source_language.choose, for the whole document or unit by unit
        when it is mixed, with the user's default source language (`config set from`,
        LLAMAX_FROM) where detection is unsure. `note` hears what was decided, about `label`.
        Units that detection can tell nothing of are an error, unless `undetected` names
        the language to assume (the HTTP API's texts then come back unchanged)."""
        if isinstance(source, str) and source.strip().lower() not in ("auto", ""):
            source = languages.resolve(source, option="source language")
        if isinstance(source, Language):
            return Choice(source)
        default = config.value("from")
        return source_language.choose(doc, label, None if default == "auto" else default, note,
                                      undetected)

    # -- documents -----------------------------------------------------------------------

    def translate_document(self, doc: Document, src: Language, tgt: Language,
                           options: pipeline.Options = pipeline.Options(),
                           per_unit: Optional[Sequence[Language]] = None,
                           cancel: Optional[threading.Event] = None) -> Iterator[pipeline.Output]:
        """Skeleton text and translations in document order, a UnitResult after each unit.
        Setting `cancel` stops the work within one engine step (Cancelled) and frees the
        engine's slots."""
        recall = (Recall(self.memory, context_key(self.identity, options), tgt)
                  if self.memory is not None else None)
        engine = self._engine if self._engine is not None or self._opener is None \
            else _Deferred(self)
        pieces = pipeline.translate_document(doc, src, tgt, engine, options, per_unit, cancel,
                                              recall)
        try:
            for piece in pieces:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the request was cancelled")
                yield piece
        finally:
            pieces.close()  # closing the generators cancels what the engine still holds

    # -- whole strings -------------------------------------------------------------------

    def translate_text(self, text: str, src: Optional[Language], tgt: Language, *,
                       fmt: str = "text", options: pipeline.Options = pipeline.Options(),
                       cancel: Optional[threading.Event] = None) -> TextTranslation:
        """One string, translated whole; `src` None detects it (choose_source, as the CLI
        does: unit by unit when the text is mixed), and the result says what was detected.
        Text with nothing to translate, or no letters to detect, comes back unchanged."""
        doc = segment(text, fmt)
        choice = self.choose_source(doc, src, undetected=tgt)
        src = choice.language or tgt  # None: no units, nothing to translate
        out, results = [], []
        for piece in self.translate_document(doc, src, tgt, options, choice.per_unit,
                                             cancel=cancel):
            if isinstance(piece, pipeline.UnitResult):
                results.append(piece)
            elif isinstance(piece, str):
                out.append(piece)
        return TextTranslation("".join(out), src, choice.detection, results, choice.per_unit)

    def translate_texts(self, texts: Sequence[str], src: Optional[Language], tgt: Language, *,
                        fmt: str = "text", options: pipeline.Options = pipeline.Options(),
                        cancel: Optional[threading.Event] = None) -> list[TextTranslation]:
        """Several strings at once: each one's source is chosen on its own, and all their
        units share the engine's batch."""
        if len(texts) == 1:
            return [self.translate_text(texts[0], src, tgt, fmt=fmt, options=options,
                                        cancel=cancel)]
        with ThreadPoolExecutor(max_workers=min(len(texts), 16),
                                thread_name_prefix="llamax-text") as pool:
            futures = [pool.submit(self.translate_text, text, src, tgt, fmt=fmt,
                                   options=options, cancel=cancel) for text in texts]
            return [future.result() for future in futures]
