"""WebVTT subtitles (.vtt; https://www.w3.org/TR/webvtt1/): each cue's text is a unit,
wrapped back to as many lines as it had (as SRT's are); everything else stays byte for byte.

Literal: the `WEBVTT` line (and any text after it) with the header lines up to the first
blank line, cue identifiers, timing lines with their cue settings, `NOTE`, `STYLE` and
`REGION` blocks, and blank lines. Line endings are CRLF, LF or CR, as the file has them.

Blocks are cut as the spec's parser cuts them: a block runs to an empty line, and a block is
a cue when its first or second line holds `-->` (the timing line; a first line before it is
the identifier). A `-->` further down starts the next block; a block without one is a
comment, a style sheet, a region or garbage, and stays as it is.

Inside cue text, the cue tags (`<i>`, `<b>`, `<u>`, `<c.class>`, `<v Speaker>`, `<lang en>`,
`<ruby>`, `<rt>` and their end tags), timestamps (`<00:00:01.500>`) and character references
(`&amp;`) are protected spans: the translation must hold them verbatim, or the cue keeps its
text. A cue whose text is data (a thumbnail's `sprite.jpg#xywh=0,0,160,90`, JSON of a
metadata track) is literal.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from llamax_cli.formats import spans
from llamax_cli.formats.document import Builder, Document, Format, has_words, is_json_value
from llamax_cli.formats.text import segment_text

_SIGNATURE = re.compile(r"\ufeff?WEBVTT(?:[ \t\r\n]|\Z)")
_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
_TIMING = re.compile(rf"[ \t]*{_TIME}[ \t]*-->[ \t]*{_TIME}(?:[ \t]|\Z)")
_CUE_MARKUP = re.compile(
    r"</?[A-Za-z][^\s.<>/&]*(?:\.[^\s.<>&]+)*(?:[ \t\f\n][^<>]*)?>"  # a tag: name.classes annotation
    rf"|<{_TIME}>"  # a timestamp inside karaoke-style cue text
    r"|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")  # a character reference
_IMAGE_REFERENCE = re.compile(r"\S+\.(?:jpe?g|png|gif|webp|avif|bmp|svg)(?:[?#]\S*)?", re.I)
_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|\Z)")


class Line(NamedTuple):
    number: int  # 1-based
    body: str
    ending: str  # "\r\n", "\n", "\r", or "" at the end of the text


def _lines(text: str) -> list[Line]:
    """The lines of `text` as WebVTT counts them: only CR, LF and CRLF end a line."""
    found, at = [], 0
    while at < len(text):
        m = _LINE.match(text, at)
        found.append(Line(len(found) + 1, m.group(1), m.group(2)))
        at = m.end()
    return found


def starts_like_vtt(text: str) -> bool:
    """The signature: `WEBVTT` first (after a byte-order mark), then a space, a tab or a
    line's end."""
    return _SIGNATURE.match(text) is not None


def segment_vtt(text: str) -> Document:
    b = Builder("vtt")
    rows = _lines(text)
    signed = starts_like_vtt(text)
    i = _header(b, rows) if signed else 0
    while i < len(rows):
        if not rows[i].body:  # blank lines between blocks
            b.literal(rows[i].ending)
            i += 1
            continue
        end = _block_end(rows, i)
        _block(b, rows[i:end])
        i = end
    doc = b.finish()
    if not signed and not doc.units and has_words(text):
        # As SRT does: prose given -f vtt is translated as the text it is, not passed over.
        doc = segment_text(text)
        doc.warnings.append((1, "no WEBVTT line and no cues found; translating it as plain "
                                "text"))
    elif not signed and doc.units:
        doc.warnings.append((1, "no WEBVTT line at the start (players need one); its cues "
                                "are translated all the same"))
    return doc


def _header(b: Builder, rows: list[Line]) -> int:
    """The signature line and the header lines after it, literal; returns the next index.
    The header ends at an empty line, or before a line with `-->` (the spec's parser starts
    a cue there)."""
    i = 0
    while i < len(rows) and rows[i].body and not (i and "-->" in rows[i].body):
        b.literal(rows[i].body + rows[i].ending)
        i += 1
    return i


def _block_end(rows: list[Line], start: int) -> int:
    """Where the block starting at `start` (a non-empty line) ends: at an empty line, or
    before a `-->` line that cannot be this block's timing line."""
    arrow_seen, k = False, start
    while k < len(rows) and rows[k].body:
        if "-->" in rows[k].body:
            if k == start or (k == start + 1 and not arrow_seen):
                arrow_seen = True
            else:
                break
        k += 1
    return k


def _block(b: Builder, block: list[Line]) -> None:
    timing = next((k for k in range(min(2, len(block))) if "-->" in block[k].body), None)
    if timing is None:  # NOTE, STYLE, REGION, or text no player shows
        b.literal("".join(row.body + row.ending for row in block))
        return
    row = block[timing]
    if not _TIMING.match(row.body):  # a cue all the same: keep its timing, translate its text
        b.warn(row.number, f"malformed cue timing {row.body.strip()!r}; kept as it is")
    b.literal("".join(row.body + row.ending for row in block[:timing + 1]))
    _cue_text(b, block[timing + 1:])


def _cue_text(b: Builder, payload: list[Line]) -> None:
    """A cue's text: one unit, wrapped back to its number of lines; its last line ending and
    text without language (tags, notes, data) stay literal."""
    if not payload:
        return
    raw = "".join(row.body + row.ending for row in payload[:-1]) + payload[-1].body
    if _is_data(raw) or not has_words(_CUE_MARKUP.sub(" ", raw)):
        b.literal(raw)
    else:
        b.unit(raw, payload[0].number, wrap=len(payload), newline=payload[0].ending or "\n",
               protected_extra=_markup_spans(raw))
    b.literal(payload[-1].ending)


def _markup_spans(raw: str) -> tuple[str, ...]:
    """The cue tags, timestamps and character references of `raw`, once each, but for those
    spans.py protects already (`<i>`, `<v Speaker>`)."""
    found = _CUE_MARKUP.findall(raw)
    if not found:
        return ()
    known = set(spans.protected_spans(" ".join(raw.split())))
    return tuple(span for span in dict.fromkeys(found) if span not in known)


def _is_data(raw: str) -> bool:
    """Cue text that is no language: an image reference (thumbnail tracks) or JSON (metadata
    tracks)."""
    stripped = raw.strip()
    if _IMAGE_REFERENCE.fullmatch(stripped):
        return True
    return is_json_value(stripped)


FORMAT = Format("vtt", segment_vtt, extensions=(".vtt",), uploads=(".vtt",),
                signature=starts_like_vtt, rank=50)
