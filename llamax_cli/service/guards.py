"""Checks on what the model writes: loops, runaway length, echoes, chatty preambles."""

from __future__ import annotations

import re
import unicodedata

# Contiguous repeats of the last k tokens that count as a loop, by k: one token may repeat
# legitimately a few times (digits, "ha ha"), a longer span much less.
_LOOP_REPEATS = {1: 12, 2: 6, 3: 5, 4: 4}
_LOOP_REPEATS_LONG = 3
_MAX_SPAN = 32
_CHECK_EVERY = 4  # tokens between checks: cheap, and a loop is caught within a few tokens


class DegenerationGuard:
    """Trips when the output loops or grows far longer than the source."""

    def __init__(self, source: str):
        self.limit = 3 * len(source) + 60  # characters
        self.tokens: list[str] = []
        self.length = 0
        self.reason: str | None = None

    def feed(self, piece: str) -> bool:
        """Add one token's text; return True when the output has degenerated."""
        self.tokens.append(piece)
        self.length += len(piece)
        if self.length > self.limit:
            self.reason = "output far longer than the source"
        elif len(self.tokens) % _CHECK_EVERY == 0 and self._looping():
            self.reason = "repetition loop"
        return self.reason is not None

    def _looping(self) -> bool:
        t = self.tokens
        for k in range(1, min(_MAX_SPAN, len(t) // 2) + 1):
            repeats = _LOOP_REPEATS.get(k, _LOOP_REPEATS_LONG)
            if len(t) < k * repeats:
                continue
            tail = t[-k:]
            if "".join(tail).strip() == "":
                continue
            if all(t[-k * (r + 1):len(t) - k * r] == tail for r in range(1, repeats)):
                return True
        return False


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold()
                   if unicodedata.category(ch)[0] in "LN")


def is_echo(source: str, translation: str) -> bool:
    """The model gave the source back instead of translating it."""
    src = _letters(source)
    if len(src) < 12 or not any(ch.isalpha() for ch in src):
        return False  # names, numbers and codes legitimately come back unchanged
    return _letters(translation) == src


# "Here is the translation:", "Sure! Here's the French translation:", "Translation:" ...
PREAMBLE = re.compile(
    r"^(?:(?:sure|certainly|okay|ok|of course)[,!.]?\s*)?"
    r"(?:(?:here\s+is|here's|below\s+is)\s+(?:the|your|a|my)\s+(?:[\w()-]+\s+){0,3}?translation"
    r"(?:\s+(?:in|into|to)\s+[\w()-]+(?:\s+[\w()-]+)?)?|(?:the\s+)?translation(?:\s+(?:in|into)\s+\w+)?"
    r"(?:\s+is)?)\s*[:：]\s*",
    re.IGNORECASE)
PREAMBLE_OPENERS = ("sure", "certainly", "okay", "ok", "of course", "here", "below", "the translation",
                    "translation")


def could_be_preamble(head: str) -> bool:
    """Might `head` (the start of a response) still turn out to be a preamble?"""
    low = head.lower()
    return any(opener.startswith(low) or low.startswith(opener) for opener in PREAMBLE_OPENERS)
