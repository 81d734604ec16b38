"""The LLaMAX prompt, and the turning of a raw completion into a clean translation.

TEMPLATE is byte-identical to the official one (shared/reference/llamax-prompt-template.txt):
single `\\n` separators and nothing after `### Response:`.
"""

from __future__ import annotations

import re

from llamax_cli.languages import Language

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


class ResponseFilter:
    """Streams a raw completion into its translation, piece by piece.

    It does incrementally what the reference evaluation does to the whole output (take what
    follows `### Response:` and strip it): leading whitespace is dropped, trailing whitespace is
    held until more text follows, and generation should stop at a new `###` section. With
    `single_line`, line breaks become spaces, so that one line in gives one line out.
    """

    _STOP = "\n###"
    _START_MARKER = re.compile(r"###\s*(instruction|input|response)\b", re.IGNORECASE)

    def __init__(self, *, single_line: bool = True, restore_hashes: bool = False):
        self.single_line = single_line
        self.restore_hashes = restore_hashes
        self.stopped = False
        self._raw = ""
        self._start: int | None = None  # index of the first non-space character
        self._emitted = 0  # raw index up to which text has been emitted

    def feed(self, piece: str) -> str:
        if self.stopped or not piece:
            return ""
        scan_from = max(len(self._raw) - len(self._STOP), 0)
        self._raw += piece
        if self._start is None:
            stripped = self._raw.lstrip()
            if not stripped:
                return ""
            self._start = self._emitted = len(self._raw) - len(stripped)
            scan_from = self._start
        head = self._raw[self._start:]
        if head.startswith("#"):
            if self._START_MARKER.match(head):
                return self._stop(self._start)
            if len(head) < 16:  # long enough to tell a marker from a heading
                return ""
        cut = self._raw.find(self._STOP, max(scan_from, self._start))
        if cut >= 0:
            return self._stop(cut)
        return self._emit(self._safe_end())

    def _stop(self, at: int) -> str:
        self.stopped = True
        self._raw = self._raw[:at].rstrip()
        return self._emit(max(len(self._raw), self._emitted))

    def finish(self) -> str:
        """What is still held back, at the end of generation."""
        if self._start is None:
            return ""
        return self._emit(max(len(self._raw.rstrip()), self._emitted))

    @property
    def text(self) -> str:
        """Everything emitted so far."""
        return self._clean(self._raw[self._start or 0:self._emitted])

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
