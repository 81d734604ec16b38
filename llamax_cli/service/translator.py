"""The Translator service: what the CLI and the server both call.

It holds one long-lived engine (whose scheduler batches every caller's units together) and
does three things: `detect`, `translate_document` (a segmented document, streamed piece by
piece) and `translate_text`/`translate_texts` (whole strings in, whole strings out, for the
HTTP API). It touches no stdin, stdout or typer, and it is safe to call from many threads.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from llamax_cli.core.errors import Cancelled
from llamax_cli.core.languages import Language
from llamax_cli.formats.segment import Document, segment
from llamax_cli.lid.detect import detect
from llamax_cli.service import pipeline

__all__ = ["Cancelled", "TextTranslation", "Translator"]

if TYPE_CHECKING:  # the detector (numpy, its tables) loads when something is detected
    from llamax_cli.lid.detect import Detection


@dataclass
class TextTranslation:
    text: str
    source: Language
    detection: Optional[Detection] = None  # set when the source was detected
    results: list = field(default_factory=list)  # UnitResult per unit

    @property
    def alternatives(self) -> list[dict]:
        """The other hypotheses of a one-unit text, best first, as {translation, score}."""
        if len(self.results) != 1:
            return []
        return [{"translation": text, "score": score}
                for text, score in self.results[0].alternatives]


class Translator:
    def __init__(self, engine):
        self.engine = engine

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Translator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def load(self) -> dict:
        """What the engine is doing now: its slots, sequences decoding, and requests waiting."""
        scheduler = getattr(self.engine, "scheduler", None)
        if scheduler is None:
            return {}
        return {"slots": self.engine.n_parallel, "active": len(scheduler.active),
                "waiting": scheduler.waiting}

    # -- detection -----------------------------------------------------------------------

    @staticmethod
    def detect(text: str, hint: Optional[str] = None) -> Detection:
        return detect(text, hint=hint)

    # -- documents -----------------------------------------------------------------------

    def translate_document(self, doc: Document, src: Language, tgt: Language,
                           options: pipeline.Options = pipeline.Options(),
                           per_unit: Optional[Sequence[Language]] = None,
                           cancel: Optional[threading.Event] = None) -> Iterator[pipeline.Output]:
        """Skeleton text and translations in document order, a UnitResult after each unit.
        Setting `cancel` stops the work within one engine step (Cancelled) and frees the
        engine's slots."""
        pieces = pipeline.translate_document(doc, src, tgt, self.engine, options, per_unit,
                                              cancel)
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
        """One string, translated whole; `src` None detects it (and says so in the result).
        Text with nothing to translate, or no letters to detect, comes back unchanged."""
        doc = segment(text, fmt)
        detection = None
        if src is None:
            detection = self.detect(" ".join(unit.source for unit in doc.units)[:10_000])
            src = detection.language or tgt
        out, results = [], []
        for piece in self.translate_document(doc, src, tgt, options, cancel=cancel):
            if isinstance(piece, pipeline.UnitResult):
                results.append(piece)
            elif isinstance(piece, str):
                out.append(piece)
        return TextTranslation("".join(out), src, detection, results)

    def translate_texts(self, texts: Sequence[str], src: Optional[Language], tgt: Language, *,
                        fmt: str = "text", options: pipeline.Options = pipeline.Options(),
                        cancel: Optional[threading.Event] = None) -> list[TextTranslation]:
        """Several strings at once: each is detected on its own, and all their units share
        the engine's batch."""
        if len(texts) == 1:
            return [self.translate_text(texts[0], src, tgt, fmt=fmt, options=options,
                                        cancel=cancel)]
        with ThreadPoolExecutor(max_workers=min(len(texts), 16),
                                thread_name_prefix="llamax-text") as pool:
            futures = [pool.submit(self.translate_text, text, src, tgt, fmt=fmt,
                                   options=options, cancel=cancel) for text in texts]
            return [future.result() for future in futures]
