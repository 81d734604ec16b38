"""Spans of text that must come back from the model byte for byte, and runs that are not
language at all.

Protected spans stay inside a unit (the model sees them in context) and are checked after:
if one is missing from the translation, the unit keeps its source text (`protected-lost`).
Opaque runs (a 4 kB URL, a hash, base64, one 100k-character "word") are taken out of units
altogether: no model can translate them, and they would not fit a prompt.
"""

from __future__ import annotations

import functools
import re

# Technical units only: everyday ones (5 min, 3 kg, 10 %) are written differently in other
# languages (5 Min., 3 кг, %10), and a correct translation must not count as damage.
_UNITS = r"(?:[KMGTP]i?B|[KMGT]bps|[kMG]?Hz|ms|µs|ns|px|rem|dpi)"

# Families of protected spans, each with a cheap test for whether the text could hold one:
# the regex is built from the families a text needs (cached), which keeps segmenting a
# plain sentence fast (one combined regex over everything costs ~45 µs a line).
_FAMILIES = (
    (lambda t: "`" in t, r"(`+)(?:(?!\1).)+?\1"),  # inline code
    (lambda t: "](" in t, r"\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*(?:\s+\"[^\"]*\")?\)"),  # link
    (lambda t: "<" in t, r"<(?:https?|mailto|ftp):[^>\s]+>"  # autolink
                         r"|</?[A-Za-z][\w:-]*(?:\s+[^<>]*?)?/?>"),  # HTML tag
    (lambda t: "://" in t, r"(?:https?|ftp)://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"),  # URL
    (lambda t: "www." in t,
     r"\bwww\.[\w-]+(?:\.[\w-]+)+(?:/[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"])?"),
    (lambda t: "@" in t, r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),  # e-mail
    (lambda t: "{" in t or "%" in t,  # placeholders
     r"\{\{[^{}]*\}\}|\{[A-Za-z_][\w.]*\}|%\([A-Za-z_]\w*\)[sdifr]|%[sdif]|\$\{\w+\}"),
    # A file path: absolute, home- or dot-relative, a Windows drive, or dir/name.ext.
    (lambda t: "/" in t, r"(?<![\w/.])(?:~|\.{1,2})?/(?:[\w.@+-]+/)*[\w.@+-]*[\w@+-]"
                         r"|(?<![\w/.-])[\w.-]+(?:/[\w.-]+)+\.[A-Za-z0-9]{1,8}\b"),
    (lambda t: ":\\" in t, r"\b[A-Za-z]:\\(?:[\w.@+-]+\\)*[\w.@+-]+"),
    # A hex hash (a commit, a checksum): 7+ hex digits with both a digit and a letter.
    (lambda t: _HEX_RUN.search(t) is not None,
     r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b"
     r"|\b(?=[0-9A-F]*[0-9])(?=[0-9A-F]*[A-F])[0-9A-F]{7,64}\b"),
    # A version: v1.2, 1.2.3, 0.3.36-rc1 (a bare 3.5 is a decimal, which languages rewrite).
    (lambda t: _DOTTED.search(t) is not None,
     r"\bv\d+(?:\.\d+)+(?:[-+][0-9A-Za-z.]*[0-9A-Za-z])?\b"
     r"|(?<![\w.])\d+\.\d+\.\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.]*[0-9A-Za-z])?\b"),
    # A whole number with a unit: 512 MB, 10ms (a decimal is left free: 3,5 GB is right in
    # German).
    (lambda t: _NUMBER_UNIT.search(t) is not None,
     r"(?<![\w.,])\d+\s?" + _UNITS + r"(?!\w)"),
)
_HEX_RUN = re.compile(r"[0-9a-fA-F]{7}")
_DOTTED = re.compile(r"\d\.\d")
_NUMBER_UNIT = re.compile(r"\d\s?[KMGTPkmnµpdr]")


@functools.lru_cache(maxsize=None)
def _regex(families: int) -> re.Pattern:
    chosen = [pattern for k, (_, pattern) in enumerate(_FAMILIES) if families >> k & 1]
    # Each family's groups are renumbered by its place: only inline code uses a backreference,
    # and it comes first.
    return re.compile("|".join(f"(?:{p})" for p in chosen))


def _protected(text: str) -> re.Pattern | None:
    families = sum(1 << k for k, (could, _) in enumerate(_FAMILIES) if could(text))
    return _regex(families) if families else None


# Unbroken printable ASCII this long is a URL, a hash, base64 or a blob, never a sentence.
OPAQUE_RUN = 100
_OPAQUE = re.compile(r"[!-~]{%d,}" % OPAQUE_RUN)


def protected_spans(text: str) -> tuple[str, ...]:
    return split_protected(text)[0]


def split_protected(text: str) -> tuple[tuple[str, ...], str]:
    """The protected spans of `text`, and the text without them (one pass of the regex)."""
    regex = _protected(text)
    if regex is None:
        return (), text
    found, rest, at = [], [], 0
    for m in regex.finditer(text):
        found.append(m.group(0))
        rest.append(text[at:m.start()])
        at = m.end()
    rest.append(text[at:])
    return tuple(found), " ".join(rest)


def survives(span: str, translation: str) -> bool:
    """Whether `span` is in the translation, ignoring whitespace: `10 %` for `10%` (French)
    and a no-break space for a space are not damage."""
    if span in translation:
        return True
    return "".join(span.split()) in "".join(translation.split())


def opaque_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run too long to be language."""
    return [m.span() for m in _OPAQUE.finditer(text)]
