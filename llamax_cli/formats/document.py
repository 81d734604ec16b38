"""Documents as a skeleton of literal text with translation units in between.

`render` with each unit's `raw` text reproduces the input byte for byte; with translations,
everything but the units (code, markup, timings, indentation, blank lines) stays as it was.

Every format module builds its Document with a `Builder`, and declares itself with a `Format`
(formats/registry.py lists them).
"""

from __future__ import annotations

import json

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional, Union

from llamax_cli.formats import markup
from llamax_cli.formats import spans
from llamax_cli.formats.sentences import split_sentences

LONG_LINE = 300  # characters: longer lines are split into sentences


@dataclass(frozen=True)
class Unit:
    index: int
    source: str  # the text sent to the model (one line, whitespace-normalized)
    line: int  # 1-based line number in the document, for messages
    raw: str = ""  # the exact text this unit replaces
    protected: tuple[str, ...] = ()  # spans that must come back verbatim
    wrap: int = 1  # lines the translation should be wrapped to (subtitles)
    newline: str = "\n"
    # A paragraph wrapped over several lines is re-wrapped to the same width, so that diffs
    # of translated documents stay line by line: `width` columns, `first` on the first line
    # (after its prefix), and `indent` opening every further line. 0: keep one line.
    width: int = 0
    first: int = 0
    indent: str = ""
    # Inline markup (markup.py) the translation must hold exactly as often as the source,
    # and no other; None in formats without markup (text, subtitles).
    markup: tuple[str, ...] | None = None

    def __post_init__(self):
        if not self.raw:
            object.__setattr__(self, "raw", self.source)


Part = Union[str, Unit]


@dataclass
class Document:
    parts: list[Part] = field(default_factory=list)
    format: str = "text"
    units: list[Unit] = field(default_factory=list)  # the Unit parts, in order
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    def render(self, translations: Iterable[str]) -> str:
        """Put translations (in unit order) back into the skeleton."""
        it = iter(translations)
        return "".join(part if isinstance(part, str) else next(it) for part in self.parts)


@dataclass(frozen=True)
class Format:
    """A document format, declared by its own module as FORMAT; formats/registry.py finds
    every module of the package that declares one. Auto-detection asks every format's `signature` first, then every format's `signs`,
    in the registry's order: a signature is something only this format starts with (a
    `WEBVTT` line, `<!doctype html`), signs are hints found anywhere (Markdown's `](`), which
    a subtitle or a page may hold too."""
    name: str  # for --format and the server's `format`
    parse: Callable[[str], Document]
    extensions: tuple[str, ...] = ()  # lower case, with the dot; the first decides by name
    uploads: tuple[str, ...] = ()  # the extensions the server offers for /translate_file
    signature: Optional[Callable[[str], bool]] = None
    signs: Optional[Callable[[str], bool]] = None
    rank: int = 100  # place in --help, errors and detection (the built-in ones: 10 to 50)


class Builder:
    """Appends literals and units; costs O(1) per call whatever the document's size.
    `inline_markup`: units record the markup their translation must keep (HTML, Markdown)."""

    def __init__(self, fmt: str, inline_markup: bool = False):
        self.doc = Document(format=fmt)
        self._inline_markup = inline_markup
        self._literal: list[str] = []  # literal text since the last unit, joined once

    def literal(self, text: str) -> None:
        if text:
            self._literal.append(text)

    def finish(self) -> Document:
        self._flush()
        return self.doc

    def _flush(self) -> None:
        if self._literal:
            self.doc.parts.append("".join(self._literal))
            self._literal = []

    def warn(self, line: int, message: str) -> None:
        self.doc.warnings.append((line, message))

    def unit(self, raw: str, line: int, source: str | None = None, **extra) -> None:
        """`raw` as one unit, or as literal when it holds no words; `source` None: the edges'
        whitespace stays literal. `protected_extra`: spans the format protects besides
        spans.py's; the other keywords are Unit fields (wrap, newline, width, ...)."""
        # A URL, hash or blob too long to be language is cut out (literal) and the text around
        # it translated; but never from inside inline markup (a tag, a code span, a link),
        # which stays whole in its unit, long run and all.
        runs = markup.outside(spans.opaque_runs(raw), raw)
        if runs:
            kept = extra.get("protected_extra", ())
            start = 0
            for begin, end in runs:
                self._piece(raw[start:begin], line, kept)
                self.literal(raw[begin:end])
                start = end
            self._piece(raw[start:], line, kept)
            return
        self._unit_or_literal(raw, line, source, **extra)

    def _piece(self, raw: str, line: int, protected_extra: tuple[str, ...]) -> None:
        self._unit_or_literal(raw, line, protected_extra=tuple(p for p in protected_extra
                                                               if p in raw))

    def _unit_or_literal(self, raw: str, line: int, source: str | None = None,
                         protected_extra: tuple[str, ...] = (), **extra) -> None:
        trail = ""
        if source is None:  # edges of a piece cut around an opaque run stay literal
            lead, raw, trail = split_ws(raw)
            self.literal(lead)
        source = " ".join((source if source is not None else raw).split())
        protected, words = spans.split_protected(source)
        if not has_words(words):  # nothing but code, links, numbers
            self.literal(raw)
        else:
            self._flush()
            found = markup.markers(source) if self._inline_markup else None
            unit = Unit(len(self.doc.units), source, line, raw,
                        protected + tuple(protected_extra), markup=found, **extra)
            self.doc.parts.append(unit)
            self.doc.units.append(unit)
        self.literal(trail)

    def text_units(self, text: str, line: int) -> None:
        """A line's text: one unit, or one per sentence when it is long."""
        pieces = split_sentences(text) if len(text) > LONG_LINE else [(text, True)]
        for piece, is_sentence in markup.keep_whole(pieces, text):
            if is_sentence:
                self.unit(piece, line)
            else:
                self.literal(piece)


_WORDISH = re.compile(r"[^\W\d_]", re.UNICODE)


def has_words(text: str) -> bool:
    """Whether `text` holds a letter of any script (else it is code, numbers, symbols)."""
    return bool(_WORDISH.search(text))


def lines(text: str) -> Iterator[tuple[int, str, str]]:
    """(1-based number, body, line ending) of each line, as str.splitlines cuts them."""
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        yield number, body, line[len(body):]


def split_ws(body: str) -> tuple[str, str, str]:
    """(leading whitespace, the rest stripped, trailing whitespace) of `body`."""
    core = body.strip()
    lead = body[:len(body) - len(body.lstrip())]
    return lead, core, body[len(lead) + len(core):]


def is_json_value(text: str) -> bool:
    """A JSON object or array, whole (a metadata track's cue, a .json file read as text)."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return False
    try:
        return isinstance(json.loads(stripped), (dict, list))
    except ValueError:
        return False
