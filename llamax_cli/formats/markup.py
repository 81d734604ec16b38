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

import collections
import re

# Alternatives, tried at each position in this order: a code element or a code span before a
# tag (their content is kept whole), a link before anything inside its text.
_MARKUP = re.compile(
    # (its content may not open another of its kind: each try stops at the next one, so a
    # paragraph of 20,000 unclosed <code> costs milliseconds, not minutes)
    r"(?P<code><(?P<ce>code|kbd|samp)\b(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>"
    r"(?:[^<]|<(?!/?(?P=ce)\b))*</(?P=ce)\s*>)"
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
    fixed, k, kept = regions(text), 0, []
    for a, b in cuts:  # both in order and apart: one pass over each
        while k < len(fixed) and fixed[k][1] <= a:
            k += 1
        if k == len(fixed) or fixed[k][0] >= b:
            kept.append((a, b))
    return kept


def keep_whole(pieces: list[tuple[str, bool]], text: str) -> list[tuple[str, bool]]:
    """`text` as split_sentences cut it, (piece, is_sentence) in order, with every cut that
    falls inside inline markup undone (`[Read this. Then that](x)` stays one piece)."""
    fixed = regions(text) if len(pieces) > 1 else []
    if not fixed:
        return pieces
    out: list[tuple[str, bool]] = []
    at = k = 0
    for piece, is_sentence in pieces:
        while k < len(fixed) and fixed[k][1] <= at:
            k += 1
        if out and k < len(fixed) and fixed[k][0] < at:  # the cut at `at` is inside fixed[k]
            before, was_sentence = out[-1]
            out[-1] = (before + piece, was_sentence or is_sentence)
        else:
            out.append((piece, is_sentence))
        at += len(piece)
    return out


def damage(source: str, expected: tuple[str, ...] | None, translation: str) -> str | None:
    """Why the translation's markup differs from its source's, `expected` (markers(source)):
    a marker missing, repeated or made up; None when the two hold the same markers, each as
    often. `expected` None: a unit of a format without markup (text, subtitles). Markers are
    compared as parsed, not searched for, so a long unit costs one pass."""
    if expected is None:
        return None
    want = collections.Counter(expected)
    got = collections.Counter(markers(translation))
    for marker in want:  # in source order
        if got[marker] != want[marker]:
            how = "dropped" if got[marker] < want[marker] else "repeated"
            return (f"the model {how} the markup {_short(marker)} ({got[marker]} in the output, "
                    f"{want[marker]} in the source); kept the source text")
    added = next((marker for marker in got if marker not in want), None)  # a made-up <em>
    if added is not None:
        return f"the model added the markup {_short(added)}; kept the source text"
    return None


def _short(marker: str) -> str:
    return repr(marker if len(marker) <= 60 else marker[:40] + "…" + marker[-12:])
