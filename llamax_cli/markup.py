"""Inline markup inside a unit: the regions no cut may fall inside, and the markers whose count
a translation must keep.

Inline markup is HTML tags, `<code>`/`<kbd>`/`<samp>` elements (content and all: code is not
language), Markdown code spans, links and images (`[text](target)`, `![alt](src)`) and
autolinks (`<https://…>`). It is found first, and a unit is cut (around an opaque run, between
the sentences of a long line) only outside it: a cut inside once sent `For more information,
see <a` to the model as one unit and `Book</a>.` as the next, and the `<a` and the URL came
out as text.

After translation, every marker must come back exactly as often as the source has it. One
dropped breaks the markup; one repeated (a degenerate output that writes `<a href=…>` three
times) adds tags to the page (a real one went from 475 tags to 600). Either way the unit keeps
its source text and is reported `markup-lost`.
"""

from __future__ import annotations

import re

# Alternatives, tried at each position in this order: a code element or a code span before a
# tag (their content is kept whole), a link before anything inside its text.
_MARKUP = re.compile(
    r"(?P<code><(?P<ce>code|kbd|samp)\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>.*?</(?P=ce)\s*>)"
    r"|(?P<span>(?P<ticks>`+)(?:(?!(?P=ticks)).)+?(?P=ticks))"
    r"|(?P<autolink><(?:https?|mailto|ftp):[^>\s]+>|<[\w.+-]+@[\w-]+(?:\.[\w-]+)+>)"
    r"|(?P<tag></?[A-Za-z][\w:-]*(?:\s+(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>)"
    r"|(?P<open>!?\[)(?P<label>(?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)"
    r"(?P<close>\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\))",
    re.S | re.I)


def _could_hold(text: str) -> bool:
    return "<" in text or "`" in text or "](" in text


def regions(text: str) -> list[tuple[int, int]]:
    """(start, end) of each piece of inline markup, outermost only: no cut falls inside."""
    if not _could_hold(text):
        return []
    return [m.span() for m in _MARKUP.finditer(text)]


def markers(text: str) -> tuple[str, ...]:
    """The markup a translation of `text` must keep, in order: whole tags, code elements, code
    spans and autolinks; a link's `[` (or `![`) and its `](target)`, and the markup inside
    its text."""
    if not _could_hold(text):
        return ()
    found: list[str] = []
    for m in _MARKUP.finditer(text):
        if m.group("open"):
            found.append(m.group("open"))
            found.extend(markers(m.group("label")))
            found.append(m.group("close"))
        else:
            found.append(m.group(0))
    return tuple(found)


def outside(cuts: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """The (start, end) runs of `cuts` that touch no inline markup of `text`: cutting one of
    the others out would leave a tag, a code span or a link in pieces."""
    if not cuts:
        return cuts
    fixed = regions(text)
    return [(a, b) for a, b in cuts if not any(start < b and a < end for start, end in fixed)]


def keep_whole(pieces: list[tuple[str, bool]], text: str) -> list[tuple[str, bool]]:
    """`text` as split_sentences cut it, (piece, is_sentence) in order, with every cut that
    falls inside inline markup undone (`[Read this. Then that](x)` stays one piece)."""
    fixed = regions(text)
    if not fixed:
        return pieces
    out: list[tuple[str, bool]] = []
    at = 0
    for piece, is_sentence in pieces:
        if out and any(start < at < end for start, end in fixed):
            before, was_sentence = out[-1]
            out[-1] = (before + piece, was_sentence or is_sentence)
        else:
            out.append((piece, is_sentence))
        at += len(piece)
    return out


def damage(source: str, expected: tuple[str, ...] | None, translation: str) -> str | None:
    """Why the translation's markup differs from the source's (a marker missing, repeated or
    made up), or None when every marker of `expected` is there as often as in `source` and
    no other. `expected` None: a unit of a format without markup (text, subtitles)."""
    if expected is None:
        return None
    for marker in dict.fromkeys(expected):  # each distinct marker once, in source order
        want, got = source.count(marker), translation.count(marker)
        if got != want:
            how = "dropped" if got < want else "repeated"
            return (f"the model {how} the markup {_short(marker)} ({got} in the output, {want} "
                    f"in the source); kept the source text")
    known = set(expected)  # and markup the source never had (a made-up `<em>`)
    added = next((m for m in markers(translation) if m not in known), None)
    if added is not None:
        return f"the model added the markup {_short(added)}; kept the source text"
    return None


def _short(marker: str) -> str:
    return repr(marker if len(marker) <= 60 else marker[:40] + "…" + marker[-12:])
