"""HTML as a document: the text of each block is a unit, the markup stays byte for byte.

Parsed with the standard library's HTMLParser (a real tokenizer of tags, comments, entities
and raw-text elements), tracking each token's offset in the source. A unit is the run of
text and inline markup between two block boundaries: `<p>Read <a href="x">this</a>.</p>`
gives one unit `Read <a href="x">this</a>.`, whose tags (attributes and hrefs included) and
entities are protected spans that must come back verbatim. A `<code>`, `<kbd>` or `<samp>`
element inside a sentence stays in its unit, content and all, as one protected piece (code is
not translated; markup.py). The contents of `<script>`, `<style>`, `<pre>`, `<code>` at block
level, `<textarea>` and comments pass through as they are, and so do attribute values.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from llamax_cli.formats.document import Builder, Document, Format

# Elements that stay inside a unit: their tags are protected, their text is translated.
INLINE = frozenset(
    "a abbr b bdi bdo big cite code data del dfn em font i ins kbd mark q s samp small span "
    "strong sub sup time tt u var wbr br img".split())
# Elements whose whole content is literal.
LITERAL = frozenset("script style pre textarea template svg math".split())
# Inline elements whose content is code, not language: it stays in its sentence's unit (the
# model sees it in context) but is protected whole, `<code>cargo doc</code>` and all, and a
# run of nothing else is literal.
CODE = frozenset("code kbd samp".split())
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")


class _Splitter(HTMLParser):
    """Cuts the source into (kind, start, end) pieces: 'text' (translatable), 'inline' (a tag
    inside running text) and 'literal' (block markup, comments, raw-text elements)."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", source)]
        self.pieces: list[tuple[str, int, int]] = []
        self._literal_depth: list[str] = []
        self._code_depth = 0  # open <code>/<kbd>/<samp> elements around the current token

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _add(self, kind: str, length: int) -> None:
        start = self._offset()
        self.pieces.append((kind, start, start + length))

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        if self._literal_depth or tag in LITERAL:
            if tag in LITERAL and not raw.endswith("/>"):
                self._literal_depth.append(tag)
            self._add("literal", len(raw))
        else:
            self._add("inline" if tag in INLINE else "literal", len(raw))
            if tag not in INLINE:  # a block boundary closes any <code> left open
                self._code_depth = 0
            elif tag in CODE:
                self._code_depth += 1

    def handle_startendtag(self, tag, attrs):
        raw = self.get_starttag_text() or ""
        kind = "inline" if tag in INLINE and not self._literal_depth else "literal"
        self._add(kind, len(raw))

    def handle_endtag(self, tag):
        start = self._offset()
        end = self.source.find(">", start) + 1 or len(self.source)
        if self._literal_depth:
            if tag == self._literal_depth[-1]:
                self._literal_depth.pop()
            kind = "literal"
        else:
            kind = "inline" if tag in INLINE else "literal"
            if kind == "literal":  # a block boundary closes any <code> left open
                self._code_depth = 0
            elif tag in CODE and self._code_depth:
                self._code_depth -= 1
        self.pieces.append((kind, start, end))

    def _text_kind(self) -> str:
        if self._literal_depth:
            return "literal"
        return "inline" if self._code_depth else "text"

    def handle_data(self, data):
        self._add(self._text_kind(), len(data))

    def handle_entityref(self, name):
        self._add(self._text_kind(), len(name) + 2)

    def handle_charref(self, name):
        self._add(self._text_kind(), len(name) + 3)

    def _literal(self, data, extra):
        self._add("literal", len(data) + extra)

    def handle_comment(self, data):
        self._literal(data, 7)  # <!-- -->

    def handle_decl(self, decl):
        self._literal(decl, 3)  # <! >

    def handle_pi(self, data):
        self._literal(data, 3)  # <? >

    def unknown_decl(self, data):
        self._literal(data, 5)  # <![ ]>


def segment_html(text: str) -> Document:
    parser = _Splitter(text)
    parser.feed(text)
    parser.close()
    b = Builder("html", inline_markup=True)
    at, run_start, run_has_text = 0, None, False
    pieces = parser.pieces + [("literal", len(text), len(text))]  # the tail closes the last run
    for kind, start, end in pieces:
        start = max(start, at)  # never read a byte twice
        if start > at:  # anything the parser did not report (unclosed markup): literal
            _flush(b, text, run_start, at, run_has_text)
            run_start, run_has_text = None, False
            b.literal(text[at:start])
        if kind == "literal":
            _flush(b, text, run_start, start, run_has_text)
            run_start, run_has_text = None, False
            b.literal(text[start:end])
        else:
            if run_start is None:
                run_start = start
            run_has_text = run_has_text or (kind == "text" and text[start:end].strip() != "")
        at = max(at, end)
    _flush(b, text, run_start, at, run_has_text)
    return b.finish()


def _flush(b: Builder, text: str, start: int | None, end: int, has_text: bool) -> None:
    """A run of text and inline tags: one unit (its edges' whitespace stays literal)."""
    if start is None or start >= end:
        return
    raw = text[start:end]
    if not has_text:
        b.literal(raw)
        return
    b.unit(raw, text.count("\n", 0, start) + 1, protected_extra=_ENTITY.findall(raw))


_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>])", re.I)


def starts_like_html(text: str) -> bool:
    """A doctype or an <html> tag first (after whitespace)."""
    return _HTML_START.match(text) is not None


FORMAT = Format("html", segment_html, extensions=(".html", ".htm", ".xhtml"),
                uploads=(".html", ".htm"), signature=starts_like_html, rank=40)
