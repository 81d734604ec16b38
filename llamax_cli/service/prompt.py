"""The LLaMAX prompt, and the turning of a raw completion into a clean translation.

TEMPLATE is byte-identical to the official one (shared/reference/llamax-prompt-template.txt):
single `\\n` separators and nothing after `### Response:`.
"""

from __future__ import annotations

import re

from llamax_cli.engine import SECTION_STOP
from llamax_cli.service import guards
from llamax_cli.core.languages import Language

TEMPLATE = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n"
    "### Instruction:\n{instruction}\n### Input:\n{query}\n### Response:"
)
INSTRUCTION = "Translate the following sentences from {src} to {tgt}."

# A `###` at a line start, or a template marker anywhere, in the input could make the model
# believe a new section began. We swap the hashes for FULLWIDTH NUMBER SIGN, which reads the
# same to the model's eye, and swap them back in the output.
_FULLWIDTH_HASH = "\uff03"
_MARKER = re.compile(r"#{3,}(?=\s*(?:instruction|input|response)\s*:)", re.IGNORECASE)
_LINE_HASHES = re.compile(r"(?m)^([ \t]*)(#{3,})")
_LINE_BREAKS = re.compile(r"\s*[\r\n]\s*")


def instruction(src: Language, tgt: Language) -> str:
    return INSTRUCTION.format(src=src.prompt_name, tgt=tgt.prompt_name)


def neutralize(text: str) -> str:
    """Make input unable to open a template section; `restore` undoes it in the output."""
    text = _MARKER.sub(lambda m: _FULLWIDTH_HASH * len(m.group(0)), text)
    return _LINE_HASHES.sub(lambda m: m.group(1) + _FULLWIDTH_HASH * len(m.group(2)), text)


def needs_restore(source: str) -> bool:
    return neutralize(source) != source and _FULLWIDTH_HASH not in source


def build(src: Language, tgt: Language, text: str) -> str:
    return TEMPLATE.format(instruction=instruction(src, tgt), query=neutralize(text.strip()))


def shared_prefix(src: Language, tgt: Language) -> str:
    """The part of every prompt for this pair that comes before the input."""
    return TEMPLATE.split("{query}")[0].format(instruction=instruction(src, tgt))


class ResponseFilter:
    """Streams a raw completion into its translation, piece by piece.

    It does incrementally what the reference evaluation does to the whole output (take what
    follows `### Response:` and strip it): leading whitespace is dropped, trailing whitespace is
    held until more text follows, and generation should stop at a new `###` section. A chatty
    preamble ("Here is the translation:") is dropped; text that could still become one is held
    back only while it could. With `single_line`, line breaks become spaces, so that one line
    in gives one line out.
    """

    _STOP = SECTION_STOP  # the one definition, shared with the remote engine's stop
    _START_MARKER = re.compile(r"###\s*(instruction|input|response)\b", re.IGNORECASE)

    def __init__(self, *, single_line: bool = True, restore_hashes: bool = False):
        self.single_line = single_line
        self.restore_hashes = restore_hashes
        self.stopped = False
        self.preamble = ""  # what was stripped, if anything
        self._raw = ""
        self._skip = 0  # content starts at or after this index
        self._start: int | None = None  # index of the first character of content
        self._emitted = 0  # raw index up to which text has been emitted
        self._scanned = 0  # raw index up to which the stop sequence has been searched
        self._preamble_done = False

    def feed(self, piece: str) -> str:
        if self.stopped or not piece:
            return ""
        self._raw += piece
        return self._advance(final=False)

    def finish(self) -> str:
        """What is still held back, at the end of generation."""
        if self.stopped:
            return ""
        text = self._advance(final=True)
        if self._start is None or self.stopped:
            return text
        return text + self._emit(max(len(self._raw.rstrip()), self._emitted))

    def _advance(self, final: bool) -> str:
        if self._start is None:
            rest = self._raw[self._skip:]
            stripped = rest.lstrip()
            if not stripped:
                return ""
            self._start = self._emitted = len(self._raw) - len(stripped)
            self._scanned = self._start
        head = self._raw[self._start:]
        if not self._preamble_done:
            match = guards.PREAMBLE.match(head)
            if match:
                self._preamble_done = True
                self.preamble = head[:match.end()].strip()
                self._skip, self._start = self._start + match.end(), None
                return self._advance(final)
            if not final and len(head) < 80 and "\n" not in head and guards.could_be_preamble(head[:40]):
                return ""
            self._preamble_done = True
        if head.startswith("#"):
            if self._START_MARKER.match(head):
                return self._stop(self._start)
            if len(head) < 16 and not final:  # long enough to tell a marker from a heading
                return ""
        cut = self._raw.find(self._STOP, max(self._scanned - len(self._STOP), self._start))
        self._scanned = len(self._raw)
        if cut >= 0:
            return self._stop(cut)
        return "" if final else self._emit(self._safe_end())

    def _stop(self, at: int) -> str:
        self.stopped = True
        self._raw = self._raw[:at].rstrip()
        return self._emit(max(len(self._raw), self._emitted))

    @property
    def text(self) -> str:
        """Everything emitted so far."""
        return self._clean(self._raw[self._start or 0:self._emitted]) if self._start is not None \
            else ""

    def _safe_end(self) -> int:
        raw = self._raw
        end = len(raw)
        # Hold a tail that could grow into the stop sequence or a fullwidth run...
        for n in range(len(self._STOP) - 1, 0, -1):
            if raw.endswith(self._STOP[:n]):
                end -= n
                break
        if self.restore_hashes:
            end = len(raw[:end].rstrip(_FULLWIDTH_HASH))
        # ...and the whitespace before it, which `strip` may yet remove.
        return max(len(raw[:end].rstrip()), self._emitted)

    def _emit(self, end: int) -> str:
        chunk = self._raw[self._emitted:end]
        self._emitted = max(end, self._emitted)
        return self._clean(chunk)

    def _clean(self, chunk: str) -> str:
        if self.single_line and ("\n" in chunk or "\r" in chunk):
            chunk = _LINE_BREAKS.sub(" ", chunk)
        if self.restore_hashes:
            chunk = chunk.replace(_FULLWIDTH_HASH, "#")
        return chunk


def clean_response(raw: str, **options) -> str:
    """The whole-output version of ResponseFilter, as the reference evaluation applies it."""
    response = ResponseFilter(**options)
    return response.feed(raw) + response.finish()


def hypothesis_end(raw: str, pieces: list[str], restore_hashes: bool, source: str) -> str | None:
    """Whether a beam's raw text is complete: "stop" when it started a new `###` section,
    "degenerate" when it loops or runs far past the source, else None."""
    response = ResponseFilter(restore_hashes=restore_hashes)
    response.feed(raw)
    if response.stopped:
        return "stop"
    guard = guards.DegenerationGuard(source)
    return "degenerate" if any(guard.feed(piece) for piece in pieces) else None
