"""ICU MessageFormat syntax, as ICU4J and formatjs read it: `parse` gives a message's elements
with their spans (text runs, simple arguments, `#`, plural/select/selectordinal with their
branches); `quote_text` writes text back so that a reader takes it for text. formats/icu.py
builds units from them.

Apostrophes (ICU's DOUBLE_OPTIONAL mode): `''` is an apostrophe; `'` before `{`, `}`, `|` (or `#`
in a plural branch) starts quoted text up to the next lone `'`; any other `'` is text.
`quoting=False` reads apostrophes as text (Flutter's gen_l10n default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

_WS = re.compile(r"\s*")
_NAME = re.compile(r"[^\s{}#',|]+")
_TYPE = re.compile(r"[A-Za-z]+")
_SELECTOR = re.compile(r"=-?\d+(?:\.\d+)?|[^\s{}]+")
_OFFSET = re.compile(r"offset:\s*\d+")
MAX_DEPTH = 50


class IcuError(ValueError):
    """A message ICU MessageFormat cannot read."""


@dataclass
class Lit:
    start: int
    end: int
    value: str  # the text it says, quotes resolved


@dataclass
class Arg:  # {name}, {name, number}, {d, date, short}
    start: int
    end: int
    name: str


@dataclass
class Pound:  # `#` in a plural branch: the number
    start: int
    end: int


@dataclass
class Branch:
    ws_start: int  # the whitespace before the selector
    start: int  # the selector
    selector: str
    open: int  # its `{`
    end: int  # after its `}`
    body: list


@dataclass
class Choice:  # {name, plural|selectordinal|select, ...}
    start: int
    end: int
    name: str
    kind: str
    branches: list[Branch]


Element = Union[Lit, Arg, Pound, Choice]


def parse(message: str, quoting: bool = True) -> list[Element]:
    """The message's elements; IcuError where it is not ICU MessageFormat."""
    parser = _Parser(message, quoting)
    elements, end = parser.message(0, False, 0)
    if end < len(message):
        raise IcuError(f"an unmatched '}}' at {end}")
    return elements


def is_icu(message: str, quoting: bool = True) -> bool:
    """Whether the message parses and holds a plural, select or selectordinal."""
    if "{" not in message:
        return False
    try:
        return any(isinstance(e, Choice) for e in parse(message, quoting))
    except IcuError:
        return False


class _Parser:
    def __init__(self, message: str, quoting: bool):
        self.m, self.quoting = message, quoting

    def message(self, pos: int, plural: bool, depth: int) -> tuple[list[Element], int]:
        """Elements from `pos` to the `}` that closes them (or the end)."""
        m, elements, chars, lit_start = self.m, [], [], pos
        while pos < len(m) and m[pos] != "}":
            ch = m[pos]
            if ch == "{" or (ch == "#" and plural):
                if pos > lit_start:
                    elements.append(Lit(lit_start, pos, "".join(chars)))
                chars = []
                if ch == "{":
                    element, pos = self.argument(pos, depth)
                else:
                    element, pos = Pound(pos, pos + 1), pos + 1
                elements.append(element)
                lit_start = pos
            elif ch == "'" and self.quoting:
                text, pos = self.quote(pos, plural)
                chars.append(text)
            else:
                chars.append(ch)
                pos += 1
        if pos > lit_start:
            elements.append(Lit(lit_start, pos, "".join(chars)))
        return elements, pos

    def quote(self, pos: int, plural: bool) -> tuple[str, int]:
        m = self.m
        following = m[pos + 1] if pos + 1 < len(m) else ""
        if following == "'":
            return "'", pos + 2
        if following not in ("{", "}", "|") and not (following == "#" and plural):
            return "'", pos + 1  # a lone apostrophe is text (ICU's DOUBLE_OPTIONAL)
        out, pos = [], pos + 1
        while pos < len(m):
            if m[pos] == "'":
                if m.startswith("''", pos):
                    out.append("'")
                    pos += 2
                    continue
                return "".join(out), pos + 1
            out.append(m[pos])
            pos += 1
        return "".join(out), pos  # quoted to the end, as ICU reads an unpaired apostrophe

    def argument(self, start: int, depth: int) -> tuple[Element, int]:
        m = self.m
        if depth > MAX_DEPTH:
            raise IcuError("arguments nested too deeply")
        name = _NAME.match(m, _WS.match(m, start + 1).end())
        if not name:
            raise IcuError(f"an argument without a name at {start}")
        pos = _WS.match(m, name.end()).end()
        if m.startswith("}", pos):
            return Arg(start, pos + 1, name.group()), pos + 1
        kind = _TYPE.match(m, _WS.match(m, pos + 1).end()) if m.startswith(",", pos) else None
        if not kind:
            raise IcuError(f"a malformed argument at {start}")
        pos = _WS.match(m, kind.end()).end()
        if m.startswith("}", pos):
            return Arg(start, pos + 1, name.group()), pos + 1
        if not m.startswith(",", pos):
            raise IcuError(f"a malformed argument at {start}")
        if kind.group() in ("plural", "selectordinal", "select"):
            return self.choice(start, name.group(), kind.group(), pos + 1, depth)
        end = self.style_end(pos + 1)
        return Arg(start, end + 1, name.group()), end + 1

    def style_end(self, pos: int) -> int:
        """The `}` closing an argument's style (`::currency/EUR`, a date pattern)."""
        m, depth = self.m, 0
        while pos < len(m):
            if m[pos] == "'" and self.quoting:
                pos = self.quote(pos, False)[1]
                continue
            if m[pos] == "{":
                depth += 1
            elif m[pos] == "}":
                if depth == 0:
                    return pos
                depth -= 1
            pos += 1
        raise IcuError("an argument's style is not closed")

    def choice(self, start: int, name: str, kind: str, pos: int,
               depth: int) -> tuple[Choice, int]:
        m, branches = self.m, []
        offset = _OFFSET.match(m, _WS.match(m, pos).end()) if kind != "select" else None
        pos = offset.end() if offset else pos  # the first branch owns the whitespace before it
        while True:
            ws_start, pos = pos, _WS.match(m, pos).end()
            if pos >= len(m):
                raise IcuError(f"the {kind} of {name!r} is not closed")
            if m[pos] == "}":
                break
            selector = _SELECTOR.match(m, pos)
            brace = _WS.match(m, selector.end()).end() if selector else pos
            if not selector or not m.startswith("{", brace):
                raise IcuError(f"a {kind} branch of {name!r} has no '{{' after its selector")
            body, close = self.message(brace + 1, kind != "select", depth + 1)
            if close >= len(m):
                raise IcuError(f"a {kind} branch of {name!r} is not closed")
            branches.append(Branch(ws_start, pos, selector.group(), brace, close + 1, body))
            pos = close + 1
        if not branches:
            raise IcuError(f"the {kind} of {name!r} has no branches")
        return Choice(start, pos + 1, name, kind, branches), pos + 1


def quote_text(text: str, plural: bool = False) -> str:
    """`text` as ICU message text: syntax characters quoted, apostrophes doubled where a
    reader would take them for a quote."""
    special = "{}#" if plural else "{}"
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch in special:  # one quoted section for the run of specials and apostrophes
            j = i
            while j < len(text) and (text[j] in special or text[j] == "'"):
                j += 1
            out.append("'" + text[i:j].replace("'", "''") + "'")
            i = j
            continue
        following = text[i + 1] if i + 1 < len(text) else ""
        out.append("''" if ch == "'" and (not following or following in special + "'|")
                   else ch)
        i += 1
    return "".join(out)
