"""SubRip subtitles (.srt): each cue's text is a unit, wrapped back to as many lines as it
had; indices, timings and blank lines are literal."""

from __future__ import annotations

import re

from llamax_cli.formats.document import Builder, Document, Format, has_words, lines
from llamax_cli.formats.text import segment_text

# What a damaged timing line still looks like: a time, then an arrow of some kind.
_TIMING_ISH = re.compile(r"^\s*\d{1,2}:\d{1,2}.*?(?:-+>|→|—>|\s--?\s)")
_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")


def segment_srt(text: str) -> Document:
    b = Builder("srt")
    numbered = list(lines(text))
    i = 0
    while i < len(numbered):
        number, body, ending = numbered[i]
        timing = numbered[i + 1][1] if i + 1 < len(numbered) else ""
        if not (body.strip().isdigit() and _TIMING_ISH.match(timing)):
            b.literal(body + ending)
            i += 1
            continue
        if not _TIMING.match(timing):  # a cue all the same: keep its timing, translate its text
            b.warn(number + 1, f"malformed subtitle timing {timing.strip()!r} (cue {body.strip()}); "
                               f"kept as it is")
        b.literal(body + ending + timing + numbered[i + 1][2])
        i += 2
        cue = []
        while i < len(numbered) and numbered[i][1].strip():
            cue.append(numbered[i])
            i += 1
        if cue:
            raw = "".join(body + ending for _, body, ending in cue[:-1]) + cue[-1][1]
            b.unit(raw, cue[0][0], wrap=len(cue), newline=cue[0][2] or "\n")
            b.literal(cue[-1][2])
    doc = b.finish()
    if not doc.units and has_words(text):
        # Prose named .srt (or given -f srt) would pass through untranslated, said to have
        # "nothing to translate": translate it as the text it is, and say so.
        doc = segment_text(text)
        doc.warnings.append((1, "no subtitle cues found (an index line, then a timing line); "
                                "translating it as plain text"))
    return doc


def starts_like_srt(text: str) -> bool:
    """An index line, then a timing line, among the first three lines."""
    head = [line for line in text.splitlines()[:3] if line.strip()]
    return len(head) >= 2 and head[0].strip().isdigit() and _TIMING.match(head[1]) is not None


FORMAT = Format("srt", segment_srt, extensions=(".srt",), uploads=(".srt",),
                signature=starts_like_srt, rank=30)
