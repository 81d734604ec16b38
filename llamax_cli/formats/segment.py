"""Documents as a skeleton of literal text with translation units in between.

`render` with each unit's `raw` text reproduces the input byte for byte; with translations,
everything but the units (code, markup, timings, indentation, blank lines) stays as it was.

Formats:
- text: every non-empty line is a unit (indentation, trailing spaces and line endings stay);
  a long line is split into sentences.
- markdown: headings, paragraphs, list items, block quotes and table cells are units;
  front matter, fenced and indented code, HTML blocks, rules and link definitions are literal.
- srt: each cue's text is a unit; indices and timings are literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Union

from llamax_cli.formats import markup
from llamax_cli.formats import spans

FORMATS = ("auto", "text", "markdown", "srt", "html")
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


class _Builder:
    """Appends literals and units; costs O(1) per call whatever the document's size."""

    def __init__(self, fmt: str):
        self.doc = Document(format=fmt)
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
            lead, raw, trail = _split_ws(raw)
            self.literal(lead)
        source = " ".join((source if source is not None else raw).split())
        protected, words = spans.split_protected(source)
        if not _has_words(words):  # nothing but code, links, numbers
            self.literal(raw)
        else:
            self._flush()
            found = markup.markers(source) if self.doc.format in ("html", "markdown") else None
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


def _has_words(text: str) -> bool:
    return bool(_WORDISH.search(text))


# -- sentences ---------------------------------------------------------------------------------

# After ., ! or ? and a space before an opening letter or quote; after the full stops of
# CJK, Devanagari/Bengali, Arabic, Urdu, Armenian, Ethiopic, Burmese, Khmer with or without.
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"'“‘«(\[¿¡]*[^\W\d_])"
    r"|(?<=[。！？])\s*|(?<=[।॥؟۔։።။។])\s+")


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """Sentences and the separators between them, in order: (piece, is_sentence)."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() <= start:
            continue
        pieces.append((text[start:match.start()], True))
        if match.group(0):
            pieces.append((match.group(0), False))
        start = match.end()
    if start < len(text):
        pieces.append((text[start:], True))
    return pieces


# -- text --------------------------------------------------------------------------------------

def _lines(text: str):
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        yield number, body, line[len(body):]


def _split_ws(body: str) -> tuple[str, str, str]:
    core = body.strip()
    lead = body[:len(body) - len(body.lstrip())]
    return lead, core, body[len(lead) + len(core):]


def segment_text(text: str) -> Document:
    b = _Builder("text")
    for number, body, ending in _lines(text):
        lead, core, trail = _split_ws(body)
        b.literal(lead)
        if core:
            b.text_units(core, number)
        b.literal(trail + ending)
    return b.finish()


# -- srt -----------------------------------------------------------------------------------------

# What a damaged timing line still looks like: a time, then an arrow of some kind.
_TIMING_ISH = re.compile(r"^\s*\d{1,2}:\d{1,2}.*?(?:-+>|→|—>|\s--?\s)")
_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")


def segment_srt(text: str) -> Document:
    b = _Builder("srt")
    lines = list(_lines(text))
    i = 0
    while i < len(lines):
        number, body, ending = lines[i]
        timing = lines[i + 1][1] if i + 1 < len(lines) else ""
        if not (body.strip().isdigit() and _TIMING_ISH.match(timing)):
            b.literal(body + ending)
            i += 1
            continue
        if not _TIMING.match(timing):  # a cue all the same: keep its timing, translate its text
            b.warn(number + 1, f"malformed subtitle timing {timing.strip()!r} (cue {body.strip()}); "
                               f"kept as it is")
        b.literal(body + ending + timing + lines[i + 1][2])
        i += 2
        cue = []
        while i < len(lines) and lines[i][1].strip():
            cue.append(lines[i])
            i += 1
        if cue:
            raw = "".join(body + ending for _, body, ending in cue[:-1]) + cue[-1][1]
            b.unit(raw, cue[0][0], wrap=len(cue), newline=cue[0][2] or "\n")
            b.literal(cue[-1][2])
    doc = b.finish()
    if not doc.units and _has_words(text):
        # Prose named .srt (or given -f srt) would pass through untranslated, said to have
        # "nothing to translate": translate it as the text it is, and say so.
        doc = segment_text(text)
        doc.warnings.append((1, "no subtitle cues found (an index line, then a timing line); "
                                "translating it as plain text"))
    return doc


# -- markdown ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n.*?^\1[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_ATX = re.compile(r"^([ \t]{0,3}#{1,6}(?:[ \t]+|$))(.*?)([ \t]+#+[ \t]*|[ \t]*)$")


def segment_markdown(text: str) -> Document:
    from markdown_it import MarkdownIt

    b = _Builder("markdown")
    front = _FRONT_MATTER.match(text)
    offset = 0
    if front:
        b.literal(front.group(0))
        offset = front.group(0).count("\n")
        text = text[front.end():]
    lines = list(_lines(text))
    roles: dict[int, tuple] = {}  # first line index -> (kind, end, token)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    for i, tok in enumerate(tokens):
        if tok.map is None:
            continue
        start, end = tok.map
        if tok.type in ("paragraph_open", "heading_open"):
            roles.setdefault(start, (tok.type, end, tokens[i + 1]))
        elif tok.type == "tr_open":
            roles.setdefault(start, ("row", end, None))
    i = 0
    while i < len(lines):
        kind, end, inline = roles.get(i, (None, i + 1, None))
        if kind == "heading_open" and end - i == 1:
            _atx_heading(b, lines[i], offset)
        elif kind in ("heading_open", "paragraph_open") and inline is not None:
            end = _paragraph(b, lines[i:end], inline.content, offset, setext=kind == "heading_open")
            end += i
        elif kind == "row":
            _table_row(b, lines[i], offset)
        else:
            number, body, ending = lines[i]
            b.literal(body + ending)
            end = i + 1
        i = max(end, i + 1)
    return b.finish()


def _atx_heading(b: _Builder, line, offset: int) -> None:
    number, body, ending = line
    m = _ATX.match(body)
    if not m:
        b.literal(body + ending)
        return
    b.literal(m.group(1))
    b.unit(m.group(2), number + offset)
    b.literal(m.group(3) + ending)


def _paragraph(b: _Builder, lines, content: str, offset: int, setext: bool) -> int:
    """A paragraph (or setext heading text) spread over lines; returns lines consumed."""
    content_lines = content.split("\n")
    body_lines = lines[:len(content_lines)]
    pieces = []  # (prefix, text, suffix, ending) of each line
    for (number, body, ending), text in zip(body_lines, content_lines):
        at = body.rfind(text) if text else len(body)
        if at < 0:  # markdown-it rewrote the line (tabs): keep it all as literal
            for _, raw_body, raw_ending in lines:
                b.literal(raw_body + raw_ending)
            return len(lines)
        pieces.append((body[:at], body[at:at + len(text)], body[at + len(text):], ending))
    b.literal(pieces[0][0])
    raw = "".join((prefix if k else "") + text + (suffix + ending if k < len(pieces) - 1 else "")
                  for k, (prefix, text, suffix, ending) in enumerate(pieces))
    line = body_lines[0][0] + offset
    if len(pieces) == 1 and len(raw) > LONG_LINE:
        b.text_units(raw, line)
    else:
        b.unit(raw, line, source=" ".join(t for _, t, _, _ in pieces),
               **({} if setext else _rewrap(pieces, body_lines)))
    b.literal(pieces[-1][2] + pieces[-1][3])
    consumed = len(pieces)
    if setext and len(lines) > consumed:  # the ==== / ---- underline
        b.literal(lines[consumed][1] + lines[consumed][2])
        consumed += 1
    return consumed


def _rewrap(pieces, body_lines) -> dict:
    """How to wrap a paragraph's translation like its source: the widest line's width, and
    the prefix every further line starts with (indentation, `> `), when they all share one."""
    prefixes = {prefix for prefix, _, _, _ in pieces[1:]}
    if len(pieces) < 2 or len(prefixes) != 1:
        return {}
    width = max(len(body) for _, body, _ in body_lines)
    return {"width": width, "first": width - len(pieces[0][0]), "indent": prefixes.pop(),
            "newline": pieces[0][3] or "\n"}


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _table_row(b: _Builder, line, offset: int) -> None:
    number, body, ending = line
    cells = _CELL_SPLIT.split(body)
    for k, cell in enumerate(cells):
        if k:
            b.literal("|")
        lead, core, trail = _split_ws(cell)
        b.literal(lead)
        if core:
            b.unit(core, number + offset)
        b.literal(trail)
    b.literal(ending)


# -- choosing a format ---------------------------------------------------------------------------

_MD_SIGNS = re.compile(r"^(?:#{1,6}[ \t]|```|~~~|\|.*\|[ \t]*$)|\]\([^)]+\)", re.M)


_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>])", re.I)


def detect_format(text: str, name: str | None = None) -> str:
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in (".md", ".markdown", ".mdown", ".mkd", ".mdx"):
        return "markdown"
    if suffix == ".srt":
        return "srt"
    if suffix in (".txt", ".text"):
        return "text"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    head = [line for line in text.splitlines()[:3] if line.strip()]
    if len(head) >= 2 and head[0].strip().isdigit() and _TIMING.match(head[1]):
        return "srt"
    if _HTML_START.match(text):
        return "html"
    if _MD_SIGNS.search(text[:20_000]):
        return "markdown"
    return "text"


def segment(text: str, fmt: str = "auto", name: str | None = None) -> Document:
    fmt = detect_format(text, name) if fmt == "auto" else fmt
    if fmt == "html":
        from llamax_cli.formats.html import segment_html

        return segment_html(text)
    return {"text": segment_text, "markdown": segment_markdown, "srt": segment_srt}[fmt](text)
