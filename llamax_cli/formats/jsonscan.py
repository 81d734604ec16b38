"""A JSON scanner that says where every value is: the localization formats written in JSON
(i18next namespaces, Flutter ARB) replace a string value in place and keep every other byte
(keys, order, indentation, the escapes of untouched strings, numbers as they were written).

`scan(text, what)` checks the text with `json.loads` first (a file JSON refuses is refused in one
line, naming the format), then reads it again keeping positions: each string's span (its quotes
included), its decoded value and where each decoded character starts in the file, each object's
members in order. `Style` tells how the file escapes its strings, so a translation is written the
way its neighbours are (`\\u00e9` or `é`, `\\/` or `/`).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

from llamax_cli.core.errors import LlamaxError

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"t": "true", "f": "false", "n": "null"}
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
                   "t": "\t"}


@dataclass
class Node:
    kind: str  # object, array, string, number, true, false, null
    start: int  # offset in the text; a string's span includes its quotes
    end: int
    value: str = ""  # a string's decoded value
    # A string: the offset in the text of each decoded character, and then of the closing quote
    # (a span [i, j) of the value is text[offsets[i]:offsets[j]] in the file).
    offsets: list[int] = field(default_factory=list)
    members: list["Member"] = field(default_factory=list)  # an object's, in order
    items: list["Node"] = field(default_factory=list)  # an array's


@dataclass
class Member:
    key: Node  # a string node
    value: Node


@dataclass(frozen=True)
class Style:
    """How a file writes its strings: what a translation written into it should look like."""
    ascii_only: bool = False  # non-ASCII as \\uXXXX (the file has such escapes and no raw ones)
    escaped_slash: bool = False  # "/" as "\\/" (PHP's json_encode does so)

    def quote(self, text: str) -> str:
        """`text` as the body of a JSON string (without the quotes)."""
        body = json.dumps(text, ensure_ascii=self.ascii_only)[1:-1]
        return body.replace("/", "\\/") if self.escaped_slash else body


def style_of(text: str) -> Style:
    raw_non_ascii = any(ord(ch) > 127 for ch in text.lstrip("\ufeff"))  # a BOM is no text
    escaped_non_ascii = re.search(r"\\u(?:00[89a-fA-F]|0[1-9a-fA-F]|[1-9a-fA-F])", text) is not None
    return Style(ascii_only=escaped_non_ascii and not raw_non_ascii,
                 escaped_slash="\\/" in text)


def scan(text: str, what: str = "JSON") -> Node:
    """The document's top value, with positions; LlamaxError("not a valid {what} file: ...")
    for anything JSON refuses."""
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise LlamaxError(f"not a valid {what} file: {exc}") from None
    except RecursionError:
        raise LlamaxError(f"not a valid {what} file: nested too deeply") from None
    try:
        node, end = _Scanner(text).value(_skip(text, len(text) - len(body)))
    except RecursionError:
        raise LlamaxError(f"not a valid {what} file: nested too deeply") from None
    return node


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _skip(text: str, pos: int) -> int:
    return _WHITESPACE.match(text, pos).end()


class _Scanner:
    """Reads a text json.loads has accepted: no error handling beyond what that guarantees."""

    def __init__(self, text: str):
        self.text = text

    def value(self, pos: int) -> tuple[Node, int]:
        """The value at `pos` and the offset after it and the whitespace that follows."""
        ch = self.text[pos]
        if ch == "{":
            node = self.object(pos)
        elif ch == "[":
            node = self.array(pos)
        elif ch == '"':
            node = self.string(pos)
        elif ch in _LITERALS:
            word = _LITERALS[ch]
            node = Node(word, pos, pos + len(word))
        else:
            node = Node("number", pos, _NUMBER.match(self.text, pos).end())
        return node, _skip(self.text, node.end)

    def object(self, start: int) -> Node:
        node = Node("object", start, start)
        pos = _skip(self.text, start + 1)
        while self.text[pos] != "}":
            key = self.string(pos)
            pos = _skip(self.text, _skip(self.text, key.end) + 1)  # past the colon
            value, pos = self.value(pos)
            node.members.append(Member(key, value))
            if self.text[pos] == ",":
                pos = _skip(self.text, pos + 1)
        node.end = pos + 1
        return node

    def array(self, start: int) -> Node:
        node = Node("array", start, start)
        pos = _skip(self.text, start + 1)
        while self.text[pos] != "]":
            item, pos = self.value(pos)
            node.items.append(item)
            if self.text[pos] == ",":
                pos = _skip(self.text, pos + 1)
        node.end = pos + 1
        return node

    def string(self, start: int) -> Node:
        text, pos = self.text, start + 1
        chars: list[str] = []
        offsets: list[int] = []
        while text[pos] != '"':
            offsets.append(pos)
            if text[pos] != "\\":
                chars.append(text[pos])
                pos += 1
            elif text[pos + 1] != "u":
                chars.append(_SIMPLE_ESCAPES[text[pos + 1]])
                pos += 2
            else:
                code = int(text[pos + 2:pos + 6], 16)
                pos += 6
                low = text[pos + 2:pos + 6] if text.startswith("\\u", pos) else ""
                if 0xD800 <= code < 0xDC00 and low and 0xDC00 <= int(low, 16) < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                    pos += 6  # a surrogate pair is one character, as json.loads reads it
                chars.append(chr(code))
        offsets.append(pos)
        return Node("string", start, pos + 1, "".join(chars), offsets)


class LineIndex:
    """1-based line numbers of offsets in a text, in O(log n) each."""

    def __init__(self, text: str):
        self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)
