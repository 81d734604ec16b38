"""Apple `.strings` files (`"key" = "value";`, in UTF-8 or UTF-16): every value is translated,
and every other byte stays as it was (keys, `/* */` and `//` comments, spacing, order).

- The file is read as Core Foundation's old-style property-list parser reads it (what Xcode,
  `plutil` and the app do): quoted (`"` or `'`) or unquoted keys and values, `"key";` as a
  shortcut for `"key" = "key";`. A file it would refuse is refused, in one line naming the line.
- The model gets a value unescaped (`\\"`, `\\\\`, `\\n`, `\\t`, `\\U00E9`, octal `\\351`; also
  `\\u00E9`, which CF itself reads as a plain `u`) and on one line: a value that holds line
  breaks is one unit per line, the breaks (escaped as they were) kept between them, and so is
  the whitespace at each line's edges. A translation is written escaped for its quote.
- Placeholders (`%@`, `%1$@`, `%d`, `%lld`, `%#@var@`) must survive, or the value stays as it is.
- The file's encoding and byte-order mark are the CLI's business (core/textio.py keeps them).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.document import Builder, Document, Format

_SPACE = frozenset("\t\n\v\f\r \u2028\u2029")  # CF's advanceToNonSpace
_UNQUOTED = re.compile(r"[A-Za-z0-9_$/:.-]+")
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = re.compile(r"[0-9A-Fa-f]{1,4}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_LINE_BREAKS = "\n\r\u2028\u2029"
# A stringsdict reference (`%#@files@`): printf's view (placeholders.find) sees only `%#@`, so
# the whole token is protected as well.
_VARIABLE = re.compile(r"%(?:\d+\$)?#@[A-Za-z_]\w*@")


class StringsError(LlamaxError):
    """A file CF's parser would refuse."""


@dataclass
class _Token:
    start: int  # the opening quote, or the first character of an unquoted string
    end: int  # past the closing quote
    quote: str  # '"', "'", or "" for an unquoted string

    @property
    def inner(self) -> tuple[int, int]:
        return (self.start + 1, self.end - 1) if self.quote else (self.start, self.end)


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, pos: int | None = None) -> int:
        return bisect.bisect_right(self._line_starts, self.pos if pos is None else pos)

    def fail(self, why: str, pos: int | None = None) -> StringsError:
        return StringsError(f"not a valid .strings file: line {self.line(pos)}: {why}")

    def skip_space(self) -> None:
        """Past whitespace and comments, as CF skips them (an open /* runs to the end)."""
        text, pos = self.text, self.pos
        while pos < len(text):
            if text[pos] in _SPACE:
                pos += 1
            elif text.startswith("//", pos):
                while pos < len(text) and text[pos] not in _LINE_BREAKS:
                    pos += 1
            elif text.startswith("/*", pos):
                end = text.find("*/", pos + 2)
                pos = len(text) if end < 0 else end + 2
            else:
                break
        self.pos = pos

    def string(self, what: str) -> _Token:
        text, start = self.text, self.pos
        if start >= len(text):
            raise self.fail(f"the file ends where {what} should be")
        quote = text[start]
        if quote in "\"'":
            pos = start + 1
            while pos < len(text) and text[pos] != quote:
                pos += 2 if text[pos] == "\\" else 1
            if pos >= len(text):
                raise self.fail("the quoted string that starts here never ends", start)
            self.pos = pos + 1
            return _Token(start, pos + 1, quote)
        match = _UNQUOTED.match(text, start)
        if match is None:
            shown = "a " + _describe(quote)
            raise self.fail(f"{shown} where {what} should be (a quoted string)", start)
        self.pos = match.end()
        return _Token(start, match.end(), "")


def _describe(char: str) -> str:
    if char in "{(<":
        return f"{char!r} (a dictionary, array or data value is no string)"
    return f"{char!r}"


def parse_strings(text: str) -> Document:
    b = Builder("strings")
    scan = _Scanner(text)
    if text.startswith("\ufeff"):  # a mark the reader did not take off (CF takes it off)
        scan.pos = 1
    written = 0  # everything before this offset is in the document
    while True:
        scan.skip_space()
        if scan.pos >= len(text):
            break
        key = scan.string("a key")
        scan.skip_space()
        if text.startswith(";", scan.pos):  # "key"; is "key" = "key";
            _add_shortcut(b, scan, text[written:key.start], key)
            written = key.end
        elif text.startswith("=", scan.pos):
            scan.pos += 1
            scan.skip_space()
            value = scan.string("the value")
            scan.skip_space()
            if not text.startswith(";", scan.pos):
                raise scan.fail("a ';' should end the entry")
            b.literal(text[written:value.inner[0]])
            _add_value(b, scan, value)
            written = value.inner[1]
        else:
            raise scan.fail("'=' or ';' should follow the key")
        scan.pos += 1  # the ';'
    b.literal(text[written:])
    return b.finish()


def _add_shortcut(b: Builder, scan: _Scanner, before: str, key: _Token) -> None:
    """`"key";`: its value is the key, which stays; the translation is written after it."""
    raw = scan.text[key.start:key.end]
    source = _joined(_decode(scan.text[slice(*key.inner)])[1]) if key.quote else raw
    b.literal(before)
    quote = key.quote or '"'
    _entry(b, raw, source, scan.line(key.start),
           lambda translation, _target: f"{raw} = {quote}{escape(translation, quote)}{quote}")


def _add_value(b: Builder, scan: _Scanner, value: _Token) -> None:
    """The value's units (one per line) and the literal text between them."""
    start, end = value.inner
    raw = scan.text[start:end]
    if not value.quote:  # an unquoted value is written quoted once translated
        _entry(b, raw, raw, scan.line(start),
               lambda translation, _target: f'"{escape(translation)}"')
        return
    chars, offsets = _decode(raw)[1:]
    quote = value.quote
    line_start = 0
    for k in range(len(chars) + 1):
        if k < len(chars) and chars[k] not in _LINE_BREAKS:
            continue
        core_start, core_end = _core(chars, line_start, k)
        b.literal(raw[offsets[line_start]:offsets[core_start]])
        if core_start < core_end:
            piece = raw[offsets[core_start]:offsets[core_end]]
            source = _joined(chars[core_start:core_end])
            _entry(b, piece, source, scan.line(start + offsets[core_start]),
                   lambda translation, _target: escape(translation, quote))
        b.literal(raw[offsets[core_end]:offsets[min(k + 1, len(chars))]])
        line_start = k + 1


def _core(chars: list[str], start: int, end: int) -> tuple[int, int]:
    """The range of chars[start:end] without whitespace at its edges."""
    while start < end and chars[start].isspace():
        start += 1
    while end > start and chars[end - 1].isspace():
        end -= 1
    return start, end


def _joined(chars: list[str]) -> str:
    """The characters as one line of text: `\\UD83D\\UDE00` pairs made one character, and
    runs of whitespace one space."""
    text = "".join(chars).encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return " ".join(text.split())


def _entry(b: Builder, raw: str, source: str, line: int, encode) -> None:
    variables = tuple(_VARIABLE.findall(source))
    b.entry(raw, source, line, encode=encode, placeholders=placeholders.find(source),
            protected=variables)


def _decode(raw: str) -> tuple[str, list[str], list[int]]:
    """The text a quoted string's inside stands for, as CF reads it (and `\\uXXXX` as a
    character): (the text, its characters, each one's offset in `raw` plus the end)."""
    chars: list[str] = []
    offsets: list[int] = []
    pos = 0
    while pos < len(raw):
        offsets.append(pos)
        if raw[pos] != "\\" or pos + 1 >= len(raw):
            chars.append(raw[pos])
            pos += 1
            continue
        char, pos = _escape_at(raw, pos + 1)
        chars.append(char)
    offsets.append(len(raw))
    return "".join(chars), chars, offsets


def _escape_at(raw: str, pos: int) -> tuple[str, int]:
    """The character the escape after a backslash stands for, and the offset past it."""
    kind = raw[pos]
    if kind in "01234567":
        digits = _OCTAL.match(raw, pos).group(0)  # NeXTSTEP Latin; ASCII is the same
        return bytes([int(digits, 8) & 0xFF]).decode("latin-1"), pos + len(digits)
    if kind == "U":
        digits = _HEX.match(raw, pos + 1)
        return (chr(int(digits.group(0), 16)), digits.end()) if digits else ("\0", pos + 1)
    if kind == "u" and _HEX4.match(raw, pos + 1):
        return chr(int(raw[pos + 1:pos + 5], 16)), pos + 5
    return _SIMPLE_ESCAPES.get(kind, kind), pos + 1


def escape(text: str, quote: str = '"') -> str:
    """`text` as the inside of a string quoted with `quote`: backslash, the quote and control
    characters escaped, everything else as it is (the file's encoding holds any character)."""
    out = []
    for char in text:
        if char == "\\" or char == quote:
            out.append("\\" + char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\U{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


_QUOTED = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_FIRST_ENTRY = re.compile(rf"{_QUOTED}[ \t]*=[ \t]*{_QUOTED}[ \t]*;")


def looks_like_strings(text: str) -> bool:
    """`"key" = "value";` first, after nothing but whitespace and comments."""
    head = _Scanner(text[:4096].lstrip("\ufeff"))
    head.skip_space()
    return _FIRST_ENTRY.match(head.text, head.pos) is not None


# The languages whose code Apple writes otherwise than llamax (Xcode's language list).
APPLE_CODES = {"zh": "zh-Hans", "pt": "pt-BR", "no": "nb", "tl": "fil"}


def apple_code(code: str) -> str:
    """A language code as Xcode names a localization: zh-Hans, pt-BR, sr-Latn."""
    return APPLE_CODES.get(code, code)


# --out-dir DIR: DIR/fr.lproj/Localizable.strings, the bundle layout Xcode reads.
FORMAT = Format("strings", parse_strings, extensions=(".strings",), uploads=(".strings",),
                signature=looks_like_strings, rank=57, layout="{lang}.lproj/{stem}.strings",
                code_for=apple_code)
