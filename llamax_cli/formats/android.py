"""Android string resources (`res/values/strings.xml`): every `<string>`, each `<item>` of a
`<string-array>`, and `<plurals>` are translated; every other byte stays as it was (the XML
declaration, comments, attributes with `tools:` ones, order, indentation, line endings, and
the resources that are not strings: colors, dimensions, `<skip/>`).

- Left alone: anything under `translatable="false"` (a string, a whole string-array or
  plurals), resource references (`@string/other`, `?attr/x`), and values holding an XML
  comment or processing instruction.
- The model gets the value as Android shows it, on one line (formats/android_values.py:
  Android's escapes `\\'`, `\\"`, `\\@`, `\\?`, `\\u2026`, its double quotes and whitespace
  collapsing, XML's entities and CDATA sections undone), with its markup in it as it lies in
  the file: `<b>`, `<i>`, `<u>`, `<a href>` tags, and each `<xliff:g …>…</xliff:g>` whole.
  printf placeholders and tags must survive (formats/placeholders.py) and each `<xliff:g>`
  element must come back whole (a protected span), else the unit keeps its source.
- The translation is written escaped the Android way (an apostrophe as `\\'`, a quote as
  `\\"`, a leading `@`/`?` escaped, the value in double quotes when spaces at its edges or in
  a row must stay) and as XML (`&amp;`, `&lt;`), or as one CDATA section when the value was
  one; its markup comes back byte for byte.
- `<plurals>` gets the target's CLDR quantities (Babel; Android's quantity names are
  CLDR's): the `one` item's translation goes to `one` when the target has it, the `other`
  item's to every other quantity of the target, and the source's items the target lacks
  (Japanese has no `one`; an English `zero`) are dropped.

Detection: Android resource files are always named `.xml`, and `--out-dir` takes a format's
layout (`values-fr/strings.xml`) only from the extension, so this format claims `.xml`. That
mangles no other XML: a file whose root is not `<resources>` is refused in one line (pointing
to --format text), never translated. The content signature (a `<resources>` root)
finds the format on stdin and under other names. The file is checked with lxml first (no DTD,
entities or network); lxml keeps no bytes, so its elements are found again in the text by a
scanner, element by element, checked against lxml's tree.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Callable

from babel import Locale, UnknownLocaleError
from lxml import etree

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.android_values import TAG_NAME, XML_SPACE, Unreadable, Value, tokens
from llamax_cli.formats.document import Builder, Document, Format, has_words

QUANTITIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order
_PARSER_OPTIONS = dict(resolve_entities=False, load_dtd=False, no_network=True,
                       encoding="utf-8", huge_tree=True)
_QUANTITY = re.compile(r"""(\squantity\s*=\s*)(["'])[^"']*\2""")
_START = re.compile(r"""\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*
    |<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>\s*)*<resources[\s>/]""", re.S | re.X)
_STRINGS = re.compile(r"<(?:string|plurals|string-array)[\s>/]")
_NOT_VALID = "not a valid Android strings file"


# -- the file's elements, as bytes --------------------------------------------------------------

@dataclass
class Node:
    """An element as it lies in the text: [start, open_end) is its start tag,
    [close_start, end) its end tag (empty for `<x/>`)."""
    name: str
    start: int
    open_end: int
    close_start: int = -1
    end: int = -1
    children: list["Node"] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.name.rsplit(":", 1)[-1]


def _element_tree(text: str) -> Node:
    """The root element of `text`, with every element under it."""
    top = Node("", 0, 0)
    stack = [top]
    for kind, start, end in tokens(text):
        if kind == "start":
            node = Node(TAG_NAME.match(text, start).group(1), start, end)
            stack[-1].children.append(node)
            if text[end - 2] == "/":
                node.close_start = node.end = end
            else:
                stack.append(node)
        elif kind == "end":
            node = stack.pop()
            node.close_start, node.end = start, end
    return top.children[0]


def _paired(element, node: Node) -> list[tuple[object, Node]]:
    """The child elements of lxml's `element` with the scanner's, checked one by one."""
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) != len(node.children) or any(
            etree.QName(child).localname != other.local
            for child, other in zip(children, node.children)):
        raise LlamaxError(f"{_NOT_VALID}: its elements could not be found in its text")
    return list(zip(children, node.children))


def _check(text: str):
    """lxml's tree of `text`, or a one-line refusal."""
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise LlamaxError(f"{_NOT_VALID}: {' '.join(str(exc).split())}") from None
    if root.tag != "resources":
        raise LlamaxError(f"{_NOT_VALID}: its root element is "
                          f"<{etree.QName(root).localname}>, not <resources>; use --format "
                          f"text to translate it as plain text")
    return root


# -- the document ---------------------------------------------------------------------------

class _Writer:
    """Walks the text once: what lies between the units is literal."""

    def __init__(self, text: str):
        self.text = text
        self.b = Builder("android")
        self.pos = 0
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self._newlines, offset) + 1

    def upto(self, offset: int) -> None:
        self.b.literal(self.text[self.pos:offset])
        self.pos = offset

    def space_before(self, offset: int) -> int:
        """Where the whitespace (indentation, line break) right before `offset` starts."""
        start = offset
        while start > self.pos and self.text[start - 1] in XML_SPACE:
            start -= 1
        return start

    def entry(self, start: int, end: int, value: Value, encode: Callable[[str, str], str],
              at: int) -> None:
        """A unit for text[start:end], reported at the line of offset `at`."""
        self.upto(start)
        self.b.entry(self.text[start:end], value.core, self.line(at), encode=encode,
                     placeholders=placeholders.find(value.core), protected=value.protected)
        self.pos = end

    def for_target(self, start: int, end: int, render: Callable[[str], str]) -> None:
        self.upto(start)
        self.b.for_target(self.text[start:end], render)
        self.pos = end

    def value(self, node: Node) -> None:
        """A <string> or an array's <item>, translated in place."""
        value = Value.read(self.text[node.open_end:node.close_start])
        if value is not None and has_words(value.core):
            self.entry(node.open_end, node.close_start, value,
                       lambda translation, target: value.encode(translation), node.start)

    def plural_item(self, start: int, node: Node,
                    quantities: Callable[[str], tuple[str, ...]]) -> None:
        """A plural item written once for each of `quantities(target)` (none: dropped), with
        the whitespace before it."""
        text = self.text
        lead, head = text[start:node.start], text[node.start:node.open_end]
        inner, tail = text[node.open_end:node.close_start], text[node.close_start:node.end]

        def written(content: str, target: str) -> str:
            return "".join(lead + _QUANTITY.sub(lambda m: f"{m[1]}{m[2]}{q}{m[2]}", head, 1)
                           + content + tail for q in quantities(target))

        value = Value.read(inner)
        if value is None or not has_words(value.core):
            self.for_target(start, node.end, lambda target: written(inner, target))
        else:
            self.entry(start, node.end, value,
                       lambda translation, target: written(value.encode(translation), target),
                       node.start)

    def finish(self) -> Document:
        self.upto(len(self.text))
        return self.b.finish()


def parse_android(text: str) -> Document:
    root = _check(text)
    try:
        tree = _element_tree(text)
    except Unreadable as exc:
        raise LlamaxError(f"{_NOT_VALID}: {exc}") from None
    w = _Writer(text)
    for element, node in _paired(root, tree):
        if not _translatable(element):
            continue
        if element.tag == "string":
            w.value(node)
        elif element.tag == "string-array":
            for item, item_node in _paired(element, node):
                if item.tag == "item" and _translatable(item):
                    w.value(item_node)
        elif element.tag == "plurals":
            _add_plurals(w, element, node)
    return w.finish()


def _translatable(element) -> bool:
    return (element.get("translatable") or "").strip().lower() != "false"


def _add_plurals(w: _Writer, element, node: Node) -> None:
    """`one` to the target's `one`, `other` to each of its other quantities, the rest
    dropped; without an `other` item, each item is translated in place."""
    items = [(item.get("quantity"), item_node) for item, item_node in _paired(element, node)
             if item.tag == "item"]
    first: dict[str, Node] = {}
    for quantity, item_node in items:
        first.setdefault(quantity, item_node)
    if "other" not in first:
        for _, item_node in items:
            w.value(item_node)
        return
    has_one = "one" in first
    for quantity, item_node in items:
        start = w.space_before(item_node.start)
        if item_node is first.get("one"):
            w.plural_item(start, item_node, lambda target: tuple(
                q for q in plural_quantities(target) if q == "one"))
        elif item_node is first["other"]:
            w.plural_item(start, item_node, lambda target: tuple(
                q for q in plural_quantities(target) if q != "one" or not has_one))
        else:
            w.for_target(start, item_node.end, lambda target: "")


def plural_quantities(code: str) -> tuple[str, ...]:
    """The target's plural quantities in CLDR's order (Babel; `other` always); a language
    Babel lacks gets its base language's, then `one` and `other`."""
    for candidate in (code.replace("-", "_"), code.split("-")[0]):
        try:
            tags = Locale.parse(candidate).plural_form.tags
        except (ValueError, TypeError, UnknownLocaleError):
            continue
        return tuple(q for q in QUANTITIES if q in tags or q == "other")
    return ("one", "other")


# -- languages and detection -----------------------------------------------------------------

# The codes Android's resource folders use where they differ from llamax's: Java's legacy
# codes for Hebrew, Indonesian and Yiddish (values-iw, values-in, values-ji: AOSP's own
# folders are values-iw and values-in), and Bokmål's `nb` for llamax's `no` (Norwegian
# Bokmål: AOSP's folder is values-nb, the locale Android devices report).
_ANDROID_LANGUAGE = {"he": "iw", "id": "in", "yi": "ji", "no": "nb"}


def android_code(code: str) -> str:
    """A language code as an Android resource qualifier: fr, pt-rBR, and the BCP 47 form for
    scripts (b+sr+Latn). zh-Hant is b+zh+Hant: llamax writes the script, not a region's
    usage, and Android 7.0+ matches devices in Taiwan, Hong Kong and Macau to it by script,
    where zh-rTW would claim Taiwan only (older Android matches language-region folders
    only: copy the folder to values-zh-rTW there)."""
    language, *rest = code.split("-")
    language = _ANDROID_LANGUAGE.get(language.lower(), language.lower())
    if not rest:
        return language
    if len(rest) == 1 and re.fullmatch(r"[A-Za-z]{2}", rest[0]):
        return f"{language}-r{rest[0].upper()}"
    return "+".join(["b", language, *rest])


def looks_like_android(text: str) -> bool:
    """A <resources> root (after the declaration, comments, a doctype) holding strings."""
    return _START.match(text) is not None and _STRINGS.search(text) is not None


FORMAT = Format("android", parse_android, extensions=(".xml",), uploads=(".xml",),
                signature=looks_like_android, rank=17, layout="values-{lang}/{stem}.xml",
                code_for=android_code)
