"""The inputs of `llamax translate` (and `detect`): read, segmented into a document, and their
source language chosen, each a Task for cli/translate_job.py to translate or pass through.

The source language is the Translator's choice (Translator.choose_source), the same policy as
the server's and `eval`'s; this module only says what it decided, input by input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional, Protocol, Sequence, Union

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.languages import Language
from llamax_cli.core.textio import STDIN, AtomicOutput, Source, read_source, text_source
from llamax_cli.formats.pending import refuse_pending
from llamax_cli.formats.segment import CatalogOptions, Document, segment
from llamax_cli.service.translator import Translator

if TYPE_CHECKING:  # the detector (numpy, its tables) loads when something is detected
    from llamax_cli.lid.detect import Detection


class Inputs(Protocol):
    """What names the inputs: a TranslateJob, or `detect`'s files and text."""

    files: list[str]
    text: Optional[str]


@dataclass
class Task:
    """One input on its way to its output."""

    source: Source
    doc: Document
    src: Optional[Language]  # None: nothing in it needs translating
    detection: Optional[Detection] = None
    per_unit: Optional[list[Language]] = None  # each unit's source, in a mixed document
    sink: Optional[AtomicOutput] = None

    def needs_engine(self, tgt: Language) -> bool:
        if self.src is None or not self.doc.units:  # even with --from: no words, no model
            return False
        return any(lang != tgt for lang in self.per_unit) if self.per_unit else self.src != tgt


def read_sources(inputs: Inputs, allow_empty: bool = False) -> tuple[list[Source], list[str]]:
    """The readable inputs, and one message per input that could not be read. `allow_empty`:
    an empty or blank file is an input (to pass through), not an error."""
    if inputs.text is not None:
        return [text_source(inputs.text)], []
    names = inputs.files or [STDIN]
    if names == [STDIN] and sys.stdin.isatty():
        raise UsageError("no input: pass FILES, --text TEXT, or pipe text in "
                         "(e.g. `echo Hello | llamax translate --to fr`)")
    sources, failed = [], []
    for name in names:
        try:
            sources.append(read_source(name, allow_empty))
        except LlamaxError as exc:
            if len(names) == 1:
                raise
            failed.append(str(exc))
    if not sources:
        raise LlamaxError("; ".join(failed))
    return sources, failed


def prepare(sources: list[Source], tgt: Union[Language, Sequence[Language]],
            note: Callable[[str], None], *, fmt: str, from_: str,
            catalog: Optional[CatalogOptions] = None) -> list[Task]:
    """Each input segmented (`fmt`: --format) and its source chosen (`from_`: --from), once
    whatever the targets (`tgt`: one, or several), with a note for each input that will pass
    through unchanged (for each target it is already in)."""
    tgts = [tgt] if isinstance(tgt, Language) else list(tgt)
    tasks = []
    for source in sources:
        name = source.name if source.name != STDIN else None
        its_fmt = "text" if source.name == "--text" and fmt == "auto" else fmt
        if its_fmt == "auto":  # a .po or WebVTT file read as text would be mangled: refuse it
            refuse_pending(source.text, name, source.label)
        try:
            doc = segment(source.text, its_fmt, name, catalog)
        except LlamaxError as exc:  # a file its format refuses (formats/po.py): name it
            raise LlamaxError(f"{source.label}: {exc}") from None
        for line, message in doc.warnings:
            note(f"{source.label}:{line}: {message}")
        choice = Translator.choose_source(doc, from_, source.label, note)  # as the server's
        task = Task(source, doc, choice.language, choice.detection, choice.per_unit)
        if not source.text.strip():
            note(f"{source.label} is empty{' but for whitespace' if source.text else ''}: "
                 f"nothing to translate; passed through unchanged")
        elif task.src is None or not doc.units:
            note(f"{source.label}: nothing to translate (no words outside code, numbers and "
                 f"symbols); passed through unchanged")
        else:
            for lang in tgts:
                if not task.needs_engine(lang):
                    note(f"{source.label} is already in {lang.name}: passing it through "
                         f"unchanged")
        tasks.append(task)
    return tasks
