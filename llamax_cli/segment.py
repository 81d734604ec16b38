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

FORMATS = ("auto", "text", "markdown", "srt")
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

    def __post_init__(self):
        if not self.raw:
            object.__setattr__(self, "raw", self.source)


Part = Union[str, Unit]


@dataclass
class Document:
    parts: list[Part] = field(default_factory=list)
    format: str = "text"

    @property
    def units(self) -> list[Unit]:
        return [part for part in self.parts if isinstance(part, Unit)]

    def render(self, translations: Iterable[str]) -> str:
        """Put translations (in unit order) back into the skeleton."""
        it = iter(translations)
        return "".join(part if isinstance(part, str) else next(it) for part in self.parts)


class _Builder:
    def __init__(self, fmt: str):
        self.doc = Document(format=fmt)

    def literal(self, text: str) -> None:
        if not text:
            return
        if self.doc.parts and isinstance(self.doc.parts[-1], str):
            self.doc.parts[-1] += text
        else:
            self.doc.parts.append(text)

    def unit(self, raw: str, line: int, source: str | None = None, **extra) -> None:
        source = " ".join((source if source is not None else raw).split())
        if not _has_words(_PROTECTED.sub(" ", source)):  # nothing but code, links, markup
            self.literal(raw)
            return
        self.doc.parts.append(Unit(len(self.doc.units), source, line, raw,
                                   protected_spans(source), **extra))

    def text_units(self, text: str, line: int) -> None:
        """A line's text: one unit, or one per sentence when it is long."""
        for piece, is_sentence in split_sentences(text) if len(text) > LONG_LINE else [(text, True)]:
            if is_sentence:
                self.unit(piece, line)
            else:
                self.literal(piece)


_WORDISH = re.compile(r"[^\W\d_]", re.UNICODE)


def _has_words(text: str) -> bool:
    return bool(_WORDISH.search(text))


# -- protected spans --------------------------------------------------------------------------

_PROTECTED = re.compile(
    r"(`+)(?:(?!\1).)+?\1"  # inline code
    r"|\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*(?:\s+\"[^\"]*\")?\)"  # link / image target
    r"|<(?:https?|mailto|ftp):[^>\s]+>"  # autolink
    r"|</?[A-Za-z][\w:-]*(?:\s+[^<>]*?)?/?>"  # HTML tag
    r"|(?:https?|ftp)://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"  # bare URL
    r"|\{\{[^{}]*\}\}|\{[A-Za-z_][\w.]*\}|%\([A-Za-z_]\w*\)[sdifr]|%[sdif]|\$\{\w+\}",  # placeholders
)


def protected_spans(text: str) -> tuple[str, ...]:
    return tuple(m.group(0) for m in _PROTECTED.finditer(text))


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
    return b.doc


# -- srt -----------------------------------------------------------------------------------------

_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")


def segment_srt(text: str) -> Document:
    b = _Builder("srt")
    lines = list(_lines(text))
    i = 0
    while i < len(lines):
        number, body, ending = lines[i]
        is_cue = body.strip().isdigit() and i + 1 < len(lines) and _TIMING.match(lines[i + 1][1])
        if not is_cue:
            b.literal(body + ending)
            i += 1
            continue
        b.literal(body + ending + lines[i + 1][1] + lines[i + 1][2])
        i += 2
        cue = []
        while i < len(lines) and lines[i][1].strip():
            cue.append(lines[i])
            i += 1
        if cue:
            raw = "".join(body + ending for _, body, ending in cue[:-1]) + cue[-1][1]
            b.unit(raw, cue[0][0], wrap=len(cue), newline=cue[0][2] or "\n")
            b.literal(cue[-1][2])
    return b.doc


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
    return b.doc


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
    spans = []
    for (number, body, ending), text in zip(body_lines, content_lines):
        at = body.rfind(text) if text else len(body)
        if at < 0:  # markdown-it rewrote the line (tabs): keep it all as literal
            for _, raw_body, raw_ending in lines:
                b.literal(raw_body + raw_ending)
            return len(lines)
        spans.append((body[:at], body[at:at + len(text)], body[at + len(text):], ending))
    b.literal(spans[0][0])
    raw = ""
    for k, (prefix, text, suffix, ending) in enumerate(spans):
        raw += (prefix if k else "") + text + (suffix + ending if k < len(spans) - 1 else "")
    if len(spans) == 1 and len(raw) > LONG_LINE:
        b.text_units(raw, body_lines[0][0] + offset)
    else:
        b.unit(raw, body_lines[0][0] + offset, source=" ".join(t for _, t, _, _ in spans))
    b.literal(spans[-1][2] + spans[-1][3])
    consumed = len(spans)
    if setext and len(lines) > consumed:  # the ==== / ---- underline
        b.literal(lines[consumed][1] + lines[consumed][2])
        consumed += 1
    return consumed


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


def detect_format(text: str, name: str | None = None) -> str:
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in (".md", ".markdown", ".mdown", ".mkd", ".mdx"):
        return "markdown"
    if suffix == ".srt":
        return "srt"
    if suffix in (".txt", ".text"):
        return "text"
    head = [line for line in text.splitlines()[:3] if line.strip()]
    if len(head) >= 2 and head[0].strip().isdigit() and _TIMING.match(head[1]):
        return "srt"
    if _MD_SIGNS.search(text[:20_000]):
        return "markdown"
    return "text"


def segment(text: str, fmt: str = "auto", name: str | None = None) -> Document:
    fmt = detect_format(text, name) if fmt == "auto" else fmt
    return {"text": segment_text, "markdown": segment_markdown, "srt": segment_srt}[fmt](text)
