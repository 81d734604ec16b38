"""Xcode String Catalogs (`.xcstrings`, JSON): translating into a target adds that target's
localization to each string of the catalog, and every other byte stays as it was.

- A string's source text is its source language's value (`sourceLanguage`), else its key. It
  is skipped when it says `"shouldTranslate" : false`, when it already has a localization for
  the target (kept as it is: a reviewed translation is never redone), and when its source
  varies by device or holds substitutions (a warning says so; not translated yet).
- The new localization is `"state" : "needs_review"` (a translator checks it in Xcode). A
  plural source (`variations.plural`) gives the target exactly its CLDR plural categories
  (Babel): `one` from the source's `one`, every other from the source's `other` (Arabic gets
  six, Japanese one); a source's `zero` override is not carried over.
- The model gets each value on one line (line breaks inside a value become spaces), and the
  translation keeps the source's whitespace at its edges.
- The inserted text is written as Xcode writes a catalog (keys sorted, two-space indentation,
  `" : "`, `{`/`}` on their own lines), so that saving the catalog in Xcode changes nothing.
- Placeholders (`%@`, `%1$@`, `%lld`, `%#@var@`) must survive, or the string is not added.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.apple_strings import apple_code
from llamax_cli.formats.document import Builder, Document, Format, has_words

STATE = "needs_review"
_SPACE = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^\s,\]}]+")
_VARIABLE = re.compile(r"%(?:\d+\$)?#@[A-Za-z_]\w*@")  # placeholders.find sees only `%#@`


@dataclass
class Node:
    """A JSON value's place in the text; an object's members, in order."""
    start: int
    end: int
    members: list["Member"] | None = None  # None: not an object

    def member(self, name: str) -> "Member | None":
        return next((m for m in self.members or () if m.name == name), None)


@dataclass
class Member:
    name: str
    start: int  # the name's opening quote
    value: Node = field(default_factory=lambda: Node(0, 0))


def _scan(text: str, pos: int) -> Node:
    """The value at `pos` (after whitespace) in text json.loads has accepted."""
    pos = _SPACE.match(text, pos).end()
    opening = text[pos]
    if opening == '"':
        return Node(pos, _STRING.match(text, pos).end())
    if opening not in "{[":
        return Node(pos, _SCALAR.match(text, pos).end())
    node = Node(pos, pos, [] if opening == "{" else None)
    pos = _SPACE.match(text, pos + 1).end()
    while text[pos] not in "}]":
        if node.members is not None:
            name_end = _STRING.match(text, pos).end()
            member = Member(json.loads(text[pos:name_end]), pos)
            colon = _SPACE.match(text, name_end).end()  # at the ':'
            member.value = _scan(text, colon + 1)
            node.members.append(member)
            pos = member.value.end
        else:
            pos = _scan(text, pos).end
        pos = _SPACE.match(text, pos).end()
        if text[pos] == ",":
            pos = _SPACE.match(text, pos + 1).end()
    node.end = pos + 1
    return node


def parse_xcstrings(text: str) -> Document:
    catalog = _checked(text)
    try:
        root = _scan(text, 0)
    except RecursionError:  # deeper than any catalog, though json's own reader took it
        raise LlamaxError("not a valid String Catalog: nested too deep") from None
    strings = root.member("strings").value
    source_language = catalog["sourceLanguage"]
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    b = Builder("xcstrings")
    written = 0
    for member in strings.members:
        line = bisect.bisect_right(line_starts, member.start)
        entry = json.loads(text[member.value.start:member.value.end])
        sources = _sources(b, member.name, entry, source_language, line)
        if not sources:
            continue
        b.literal(text[written:member.start])
        _add_string(b, _String(text, member, entry, source_language, line), sources)
        written = member.value.end
    b.literal(text[written:])
    return b.finish()


def _checked(text: str) -> dict:
    """The catalog as json reads it; a file that is no catalog is refused in one line."""
    try:
        catalog = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LlamaxError(f"not a valid String Catalog: line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise LlamaxError("not a valid String Catalog: nested too deep") from None
    if not isinstance(catalog, dict) or not isinstance(catalog.get("strings"), dict):
        raise LlamaxError('not a valid String Catalog: it has no "strings" object')
    if not isinstance(catalog.get("sourceLanguage"), str):
        raise LlamaxError('not a valid String Catalog: it has no "sourceLanguage"')
    return catalog


def _sources(b: Builder, key: str, entry, source_language: str,
             line: int) -> dict[str, str] | None:
    """What a string's units translate: {"": text} or its plural's {"one": .., "other": ..};
    None: nothing to translate."""
    if not isinstance(entry, dict) or entry.get("shouldTranslate") is False:
        return None
    localizations = entry.get("localizations")
    source = localizations.get(source_language) if isinstance(localizations, dict) else None
    if not isinstance(source, dict):
        return {"": key} if has_words(key) else None
    unit = source.get("stringUnit")
    variations = source.get("variations")
    if isinstance(unit, dict) and "substitutions" not in source and not variations:
        value = unit.get("value")
        return {"": value} if isinstance(value, str) and has_words(value) else None
    plural = variations.get("plural") if isinstance(variations, dict) else None
    if isinstance(plural, dict) and set(variations) == {"plural"} \
            and "substitutions" not in source:
        texts = {category: _value_of(plural.get(category)) for category in ("one", "other")}
        if isinstance(texts["other"], str) and has_words(texts["other"]):
            return {k: v for k, v in texts.items() if isinstance(v, str)}
        return None
    b.warn(line, f"{key!r} varies by device or has substitutions: not translated (yet); "
                 "kept as it is")
    return None


def _value_of(variation) -> str | None:
    unit = variation.get("stringUnit") if isinstance(variation, dict) else None
    return unit.get("value") if isinstance(unit, dict) else None


@dataclass
class _String:
    """One string of the catalog: its text and where a new localization goes."""
    text: str
    member: Member
    entry: dict
    source_language: str
    line: int
    done: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> category -> text

    def wanted(self, code: str) -> bool:
        localizations = self.entry.get("localizations")
        return code != self.source_language and not (isinstance(localizations, dict)
                                                     and code in localizations)

    def with_localization(self, code: str, localization: dict, start: int) -> str:
        """The text from `start` to the string's end, with `code`'s localization added."""
        key_object = self.member.value
        begin, end, new = _insertion(self.text, key_object, code, localization)
        return self.text[start:begin] + new + self.text[end:key_object.end]


def _add_string(b: Builder, string: _String, sources: dict[str, str]) -> None:
    """The units of one string: the last one writes the localization, from what the ones
    before it left for its target (a plural's `one` first)."""
    text, member = string.text, string.member
    name_end = _STRING.match(text, member.start).end()
    if "one" in sources and has_words(sources["one"]):
        lead, source, trail = _message(sources["one"])

        def keep_one(translation: str, target: str) -> str:
            string.done.setdefault(target, {})["one"] = lead + translation + trail
            return text[member.start:name_end]

        _entry(b, text[member.start:name_end], source, string.line, keep_one)
        start = name_end
    else:
        start = member.start
    main = "other" if "other" in sources else ""
    lead, source, trail = _message(sources[main])

    def write(translation: str, target: str) -> str:
        code = apple_code(target)
        raw = text[start:member.value.end]
        texts = dict(string.done.get(target, {}), **{main: lead + translation + trail})
        if "one" in sources and "one" not in texts and has_words(sources["one"]):
            return raw  # the singular was not translated: neither is the string
        if not string.wanted(code):
            return raw
        texts.setdefault("one", sources.get("one", texts[main]))
        return string.with_localization(code, _localization(code, texts, main), start)

    _entry(b, text[start:member.value.end], source, string.line, write)


def _entry(b: Builder, raw: str, source: str, line: int, encode) -> None:
    b.entry(raw, source, line, encode=encode, placeholders=placeholders.find(source),
            protected=tuple(_VARIABLE.findall(source)))


def _message(text: str) -> tuple[str, str, str]:
    """(leading whitespace, the text on one line, trailing whitespace)."""
    core = text.strip()
    lead = text[:len(text) - len(text.lstrip())]
    return lead, " ".join(core.split()), text[len(lead) + len(core):]


def plural_categories(code: str) -> tuple[str, ...]:
    """The target's CLDR plural categories (Babel), sorted as Xcode writes them; a language
    CLDR lacks gets its base language's, then English's two."""
    for candidate in (code, code.split("-")[0]):
        try:
            return tuple(sorted(Locale.parse(candidate, sep="-").plural_form.tags | {"other"}))
        except (ValueError, UnknownLocaleError):
            continue
    return ("one", "other")


def _localization(code: str, texts: dict[str, str], main: str) -> dict:
    def unit(value: str) -> dict:
        return {"stringUnit": {"state": STATE, "value": value}}

    if main == "":
        return unit(texts[""])
    categories = plural_categories(code)
    return {"variations": {"plural": {c: unit(texts["one" if c == "one" else "other"])
                                      for c in categories}}}


def _insertion(text: str, key_object: Node, code: str,
               localization: dict) -> tuple[int, int, str]:
    """(start, end, new text) that adds `code`'s localization to a string's object: into its
    `localizations` in sorted place, or a new `localizations` member in sorted place."""
    newline = "\r\n" if "\r\n" in text[key_object.start:key_object.end] else "\n"
    localizations = key_object.member("localizations")
    if localizations is not None and localizations.value.members is not None:
        return _insert_member(text, localizations.value, code, localization, newline)
    return _insert_member(text, key_object, "localizations", {code: localization}, newline)


def _insert_member(text: str, node: Node, name: str, value,
                   newline: str) -> tuple[int, int, str]:
    members = node.members
    if not members:  # `{}`, or Xcode's empty `{\n\n    }`: rewritten whole
        indent = _indent_of_line(text, node.start)
        inner = indent + "  "
        new = f"{{{newline}{inner}{_member(name, value, inner, newline)}{newline}{indent}}}"
        return node.start, node.end, new
    indent = _indent_of_line(text, members[0].start)
    later = [m for m in members if _order(m.name) > _order(name)]
    if later:
        at = later[0].start
        return at, at, f"{_member(name, value, indent, newline)},{newline}{indent}"
    at = members[-1].value.end
    return at, at, f",{newline}{indent}{_member(name, value, indent, newline)}"


def _order(name: str) -> tuple[str, str]:
    return name.casefold(), name


def _indent_of_line(text: str, pos: int) -> str:
    line_start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    line = text[line_start:pos]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _member(name: str, value, indent: str, newline: str) -> str:
    return f"{json.dumps(name, ensure_ascii=False)} : {xcode_json(value, indent, newline)}"


def xcode_json(value, indent: str = "", newline: str = "\n") -> str:
    """`value` as Xcode writes JSON: sorted keys, two spaces a level, `" : "`, non-ASCII and
    `/` as they are."""
    if isinstance(value, dict):
        if not value:
            return f"{{{newline}{newline}{indent}}}"
        inner = indent + "  "
        members = f",{newline}".join(f"{inner}{_member(k, value[k], inner, newline)}"
                                     for k in sorted(value, key=_order))
        return f"{{{newline}{members}{newline}{indent}}}"
    return json.dumps(value, ensure_ascii=False)


_CATALOG_START = re.compile(r'\s*\{\s*"sourceLanguage"\s*:')


def looks_like_xcstrings(text: str) -> bool:
    """Xcode writes `sourceLanguage` first (its keys are sorted)."""
    return _CATALOG_START.match(text.lstrip("\ufeff")) is not None


# No layout: --out-dir DIR writes DIR/Localizable.xcstrings (one target) or
# DIR/Localizable.fr.xcstrings (several: each its own catalog).
FORMAT = Format("xcstrings", parse_xcstrings, extensions=(".xcstrings",),
                uploads=(".xcstrings",), signature=looks_like_xcstrings, rank=56,
                code_for=apple_code)
