"""Putting a one-line translation back into the shape of its source's lines."""

from __future__ import annotations

import re


def wrap_lines(text: str, lines: int, newline: str = "\n") -> str:
    """Break one line into `lines` lines of similar length at spaces (subtitles)."""
    words = text.split(" ")
    if lines <= 1 or len(words) < lines:
        return text
    out, rest = [], words
    for remaining in range(lines, 1, -1):
        target = len(" ".join(rest)) / remaining
        best, length = 1, len(rest[0])
        for k in range(1, len(rest) - remaining + 1):
            if abs(length + 1 + len(rest[k]) - target) < abs(length - target):
                length += 1 + len(rest[k])
                best = k + 1
            else:
                break
        out.append(" ".join(rest[:best]))
        rest = rest[best:]
    out.append(" ".join(rest))
    return newline.join(out)


# A Markdown line that starts with one of these would become a heading, a list item, a quote,
# a code fence, a table row or a setext underline: such a word never opens a wrapped line.
_BLOCK_START = re.compile(r"^(?:#{1,6}$|[-+*>|=]|\d{1,9}[.)]$|```|~~~|<)")


def rewrap(text: str, width: int, first: int, indent: str, newline: str = "\n") -> str:
    """Greedy wrap at spaces: at most `first` columns on the first line, `width` on the others
    (counting `indent`, which opens each of them). Words are never broken, and a word that
    would change the Markdown meaning of a line start stays on the line before."""
    words = text.split(" ")
    lines: list[list[str]] = [[]]
    room, used = max(first, 1), 0
    for word in words:
        needed = len(word) + (1 if lines[-1] else 0)
        if lines[-1] and used + needed > room and not _BLOCK_START.match(word):
            lines.append([])
            room, used, needed = max(width - len(indent), 1), 0, len(word)
        lines[-1].append(word)
        used += needed
    return (newline + indent).join(" ".join(line) for line in lines)


def shape_like(unit, translation: str) -> str:
    """Lay the translation out like its source: subtitle lines, or a wrapped paragraph."""
    if unit.wrap > 1:
        return wrap_lines(translation, unit.wrap, unit.newline)
    if unit.width:
        return rewrap(translation, unit.width, unit.first, unit.indent, unit.newline)
    return translation
