"""Markdown: headings, paragraphs, list items, block quotes and table cells are units; front
matter, fenced and indented code, HTML blocks, rules and link definitions are literal. A
paragraph wrapped over several lines is one unit, re-wrapped to the same width."""

from __future__ import annotations

import re

from llamax_cli.formats.document import LONG_LINE, Builder, Document, Format, lines, split_ws

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\r?\n.*?^\1[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_ATX = re.compile(r"^([ \t]{0,3}#{1,6}(?:[ \t]+|$))(.*?)([ \t]+#+[ \t]*|[ \t]*)$")


def segment_markdown(text: str) -> Document:
    b = Builder("markdown", inline_markup=True)
    front = _FRONT_MATTER.match(text)
    offset = 0
    if front:
        b.literal(front.group(0))
        offset = front.group(0).count("\n")
        text = text[front.end():]
    numbered = list(lines(text))
    roles = _block_roles(text)
    i = 0
    while i < len(numbered):
        kind, end, inline = roles.get(i, (None, i + 1, None))
        if kind == "heading_open" and end - i == 1:
            _atx_heading(b, numbered[i], offset)
        elif kind in ("heading_open", "paragraph_open") and inline is not None:
            end = _paragraph(b, numbered[i:end], inline.content, offset,
                             setext=kind == "heading_open")
            end += i
        elif kind == "row":
            _table_row(b, numbered[i], offset)
        else:
            number, body, ending = numbered[i]
            b.literal(body + ending)
            end = i + 1
        i = max(end, i + 1)
    return b.finish()


def _block_roles(text: str) -> dict[int, tuple]:
    """First line index -> (kind, end, inline token) of each paragraph, heading, table row."""
    from markdown_it import MarkdownIt  # a few ms to import: only when a document is Markdown

    roles: dict[int, tuple] = {}
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    for i, tok in enumerate(tokens):
        if tok.map is None:
            continue
        start, end = tok.map
        if tok.type in ("paragraph_open", "heading_open"):
            roles.setdefault(start, (tok.type, end, tokens[i + 1]))
        elif tok.type == "tr_open":
            roles.setdefault(start, ("row", end, None))
    return roles


def _atx_heading(b: Builder, line, offset: int) -> None:
    number, body, ending = line
    m = _ATX.match(body)
    if not m:
        b.literal(body + ending)
        return
    b.literal(m.group(1))
    b.unit(m.group(2), number + offset)
    b.literal(m.group(3) + ending)


def _paragraph(b: Builder, block, content: str, offset: int, setext: bool) -> int:
    """A paragraph (or setext heading text) spread over lines; returns lines consumed."""
    content_lines = content.split("\n")
    body_lines = block[:len(content_lines)]
    pieces = []  # (prefix, text, suffix, ending) of each line
    for (number, body, ending), text in zip(body_lines, content_lines):
        at = body.rfind(text) if text else len(body)
        if at < 0:  # markdown-it rewrote the line (tabs): keep it all as literal
            for _, raw_body, raw_ending in block:
                b.literal(raw_body + raw_ending)
            return len(block)
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
    if setext and len(block) > consumed:  # the ==== / ---- underline
        b.literal(block[consumed][1] + block[consumed][2])
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


def _table_row(b: Builder, line, offset: int) -> None:
    number, body, ending = line
    cells = _CELL_SPLIT.split(body)
    for k, cell in enumerate(cells):
        if k:
            b.literal("|")
        lead, core, trail = split_ws(cell)
        b.literal(lead)
        if core:
            b.unit(core, number + offset)
        b.literal(trail)
    b.literal(ending)


_MD_SIGNS = re.compile(r"^(?:#{1,6}[ \t]|```|~~~|\|.*\|[ \t]*$)|\]\([^)]+\)", re.M)


def has_markdown_signs(text: str) -> bool:
    """A heading, a fence, a table row or a link in the first 20,000 characters."""
    return _MD_SIGNS.search(text[:20_000]) is not None


FORMAT = Format("markdown", segment_markdown,
                extensions=(".md", ".markdown", ".mdown", ".mkd", ".mdx"), uploads=(".md",),
                signs=has_markdown_signs, rank=20)
