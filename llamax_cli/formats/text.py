"""Plain text: every non-empty line is a unit (indentation, trailing spaces and line endings
stay); a long line is split into sentences. What a document is when nothing else fits."""

from __future__ import annotations

from llamax_cli.formats.document import Builder, Document, Format, lines, split_ws


def segment_text(text: str) -> Document:
    b = Builder("text")
    for number, body, ending in lines(text):
        lead, core, trail = split_ws(body)
        b.literal(lead)
        if core:
            b.text_units(core, number)
        b.literal(trail + ending)
    return b.finish()


FORMAT = Format("text", segment_text, extensions=(".txt", ".text"), uploads=(".txt",),
                rank=10)
