"""Cutting a long line into sentences, in every script the models serve."""

from __future__ import annotations

import re

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
