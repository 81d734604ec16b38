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
    # Localization files: the translation written in the file's own syntax for a target
    # (escaped, with its entry's flags), as encode(translation, target code); None: as is.
    # Only a translation is encoded: a unit that keeps its source writes `raw`.
    encode: Optional[Callable[[str, str], str]] = field(default=None, compare=False)
    # Placeholders (formats/placeholders.py) the translation must hold, each as often;
    # None: not checked (prose formats, where spans.py's protected spans apply).
    placeholders: tuple[str, ...] | None = None

    def __post_init__(self):
        if not self.raw:
            object.__setattr__(self, "raw", self.source)


@dataclass(frozen=True)
class ForTarget:
    """Literal text that depends on the target language (a PO header's Language and
    Plural-Forms): `raw` as read, `render(target code)` as written for a translation."""
    raw: str
    render: Callable[[str], str] = field(compare=False)


Part = Union[str, Unit, ForTarget]


def literal_text(part: Part, target: Optional[str] = None) -> str:
    """What a part that is not a unit writes: a ForTarget as rendered for `target` (None:
    as read)."""
    if isinstance(part, ForTarget):
        return part.raw if target is None else part.render(target)
    return part


@dataclass
class Document:
    parts: list[Part] = field(default_factory=list)
    format: str = "text"
    units: list[Unit] = field(default_factory=list)  # the Unit parts, in order
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    def render(self, translations: Iterable[str]) -> str:
        """Put translations (in unit order) back into the skeleton."""
        it = iter(translations)
        return "".join(next(it) if isinstance(part, Unit) else literal_text(part)
                       for part in self.parts)


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
    # Localization files: where --out-dir puts a target's file ({lang}, {stem}: the input's
    # name; or a function of stem and code, for names a pattern cannot say: Rails'
    # devise.en.yml gives devise.fr.yml), and how the format writes a language code
    # (gettext: pt_BR).
    layout: Union[str, Callable[[str, str], str], None] = None
    code_for: Callable[[str], str] = str
    catalog: bool = False  # parse(text, CatalogOptions): it holds translations already

    def path_for(self, stem: str, lang: str) -> str:
        """Where --out-dir puts the translation of an input called `stem` into `lang`."""
        code = self.code_for(lang)
        if callable(self.layout):
            return self.layout(stem, code)
        return self.layout.format(lang=code, stem=stem)


@dataclass(frozen=True)
class CatalogOptions:
    """How a localization file that already holds translations is filled (--overwrite,
    --no-fuzzy)."""
    overwrite: bool = False  # translate entries that have a translation too
    fuzzy: bool = True  # mark machine translations for review (PO: the fuzzy flag)


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

    def for_target(self, raw: str, render: Callable[[str], str]) -> None:
        self._flush()
        self.doc.parts.append(ForTarget(raw, render))

    def entry(self, raw: str, source: str, line: int, **extra) -> None:
        """One unit exactly as a localization format gives it (`raw` the text it replaces,
        `source` the message): no splitting, no protected-span cutting, and no unit at all
        for a message without words (it is kept as it is)."""
        if not has_words(source):
            self.literal(raw)
            return
        self._flush()
        unit = Unit(len(self.doc.units), source, line, raw, **extra)
        self.doc.parts.append(unit)
        self.doc.units.append(unit)

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
