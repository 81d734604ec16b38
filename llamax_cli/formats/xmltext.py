"""XML elements found again in their text, with exact spans, for formats that must keep
every byte they do not change (XLIFF): lxml checks the file and reads each element; a small
scanner, which lxml's element tree vouches for element by element, finds where each one is.

Also the pieces such formats write: attributes set in a start tag as it is written, text
escaped, a new element laid out like its neighbour, and a source's inline markup as the model
gets it (`Inline`: text on one line with its tags, and back to XML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from lxml import etree

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders

_TOKEN = re.compile(r"""<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>
    |</[^>]*>|<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+""", re.S | re.X)
_NAME = re.compile(r"</?([^\s/>]+)")
_ATTR = re.compile(r"""(\s+)([^\s=/>]+)(\s*=\s*)("[^"]*"|'[^']*')""")
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_REFERENCE = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[^\s&;]+);")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}

Edit = tuple[int, int, str]  # (start, end, replacement) in the input's offsets


@dataclass(eq=False)
class Node:
    """One element: where it is in the text and what lxml read there."""
    element: Any  # lxml's element (its class is private to lxml)
    qname: str  # as written, with its prefix: "xlf:source"
    start: int  # its `<`
    open_end: int  # after its start tag
    close_start: int = -1  # its end tag's `<` (open_end for an empty-element tag)
    end: int = -1  # after its end tag
    parent: Optional[Node] = None
    children: list[Node] = field(default_factory=list)

    @property
    def local(self) -> str:
        return etree.QName(self.element).localname

    @property
    def namespace(self) -> str:
        return etree.QName(self.element).namespace or ""

    def get(self, name: str) -> Optional[str]:
        return self.element.get(name)

    def child(self, local: str) -> Optional[Node]:
        return next((c for c in self.children if c.local == local and
                     c.namespace == self.namespace), None)

    def prefixed(self, local: str) -> str:
        """`local` with this element's prefix, for a new sibling or child."""
        return self.qname[:-len(self.local)] + local


def scan(text: str, what: str = "XML") -> Node:
    """The root element of well-formed XML `text`, every element with its exact spans; raises
    LlamaxError "not a valid {what} file: ..." (one line) for text lxml refuses."""
    body = text[1:] if text.startswith("\ufeff") else text
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=True, encoding="utf-8")
    try:  # the text is str: its own encoding declaration no longer applies
        root = etree.fromstring(body.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise LlamaxError(f"not a valid {what} file: {_one_line(exc)}") from None
    elements = (e for e in root.iter() if isinstance(e.tag, str))
    stack: list[Node] = []
    top: Optional[Node] = None
    for match in _TOKEN.finditer(text, len(text) - len(body)):
        token = match.group()
        if token[0] != "<" or token[1] in "!?":
            continue
        if token[1] == "/":
            node = stack.pop()
            node.close_start, node.end = match.start(), match.end()
            continue
        element = next(elements, None)
        qname = _NAME.match(token).group(1)
        if element is None or etree.QName(element).localname != qname.split(":")[-1]:
            raise LlamaxError(f"not a valid {what} file: its elements could not be located "
                              "(entities that expand to markup are not supported)")
        node = Node(element, qname, match.start(), match.end(), parent=stack[-1] if stack else None)
        if node.parent is not None:
            node.parent.children.append(node)
        top = top or node
        if token.endswith("/>"):
            node.close_start = node.end = match.end()
        else:
            stack.append(node)
    return top


def _one_line(exc: Exception) -> str:
    """lxml's message on one line, without the name of the string it parsed."""
    message = re.sub(r"\s*\(<string>, line \d+\)$", "", " ".join(str(exc).split()))
    return message or type(exc).__name__


def apply_edits(text: str, start: int, end: int, edits: list[Edit]) -> str:
    """text[start:end] with each edit applied (they do not overlap)."""
    out, cursor = [], start
    for at, until, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [text[cursor:at], replacement]
        cursor = until
    return "".join(out) + text[cursor:end]


def set_attributes(tag: str, values: dict[str, str]) -> str:
    """A start tag with each attribute of `values` replaced in place or added at its end."""
    for name, value in values.items():
        found = next((m for m in _ATTR.finditer(tag) if m.group(2) == name), None)
        if found:
            quote = found.group(4)[0]
            written = escape(value, attribute=True).replace("'", "&apos;")
            tag = tag[:found.start(4)] + quote + written + quote + tag[found.end(4):]
        else:
            cut = len(tag) - (2 if tag.endswith("/>") else 1)
            head = tag[:cut].rstrip()
            tag = f'{head} {name}="{escape(value, attribute=True)}"{tag[len(head):]}'
    return tag


def line_break_before(text: str, pos: int) -> str:
    """The line break and indentation before `pos` when nothing else precedes it on its line
    (so that a new element is laid out as its neighbour), else ''."""
    line_start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    indent = text[line_start:pos]
    if line_start == 0 or indent.strip(" \t"):
        return ""
    newline = "\r\n" if text[max(0, line_start - 2):line_start] == "\r\n" else text[line_start - 1]
    return newline + indent


def escape(value: str, attribute: bool = False) -> str:
    """Text as XML character data (`attribute`: as a double-quoted attribute value), without
    the characters XML 1.0 forbids."""
    value = _NOT_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace('"', "&quot;") if attribute else value


@dataclass
class Inline:
    """A source's content as the model gets it, and the way back: the tags as shown to the model
    (`shown`), each with the exact text it stands for."""
    source: str = ""
    lead: str = ""
    trail: str = ""
    shown: dict[str, list[str]] = field(default_factory=dict)
    unprotectable: str = ""  # a tag that placeholders.find does not see whole

    @classmethod
    def of(cls, text: str, node: Node, opaque: Callable[[Node], bool]) -> Inline:
        """The content of `node`; an element for which `opaque` says so is one tag, whole."""
        inline = cls()
        inline.read(text, node, opaque)
        return inline

    def read(self, text: str, node: Node, opaque: Callable[[Node], bool]) -> None:
        pieces: list[str] = []
        self._walk(text, node, opaque, pieces)
        self.source = _XML_SPACE.sub(" ", "".join(pieces)).strip(" ")
        raw = text[node.open_end:node.close_start]
        self.lead = raw[:len(raw) - len(raw.lstrip(" \t\r\n"))]
        self.trail = raw[len(raw.rstrip(" \t\r\n")):] if raw.strip(" \t\r\n") else ""

    def _walk(self, text: str, node: Node, opaque: Callable[[Node], bool],
              pieces: list[str]) -> None:
        cursor = node.open_end
        for child in node.children:
            self._text(text[cursor:child.start], pieces)
            opening = text[child.start:child.open_end]
            if opaque(child) or child.end == child.open_end:
                shown = opening if child.end == child.open_end else opening[:-1].rstrip() + "/>"
                self._tag(shown, text[child.start:child.end], pieces)
            else:
                self._tag(opening, opening, pieces)
                self._walk(text, child, opaque, pieces)
                self._tag(text[child.close_start:child.end], text[child.close_start:child.end],
                          pieces)
            cursor = child.end
        self._text(text[cursor:node.close_start], pieces)

    def _tag(self, shown: str, exact: str, pieces: list[str]) -> None:
        shown = _XML_SPACE.sub(" ", shown)
        if placeholders.find(shown) != (shown,):
            self.unprotectable = self.unprotectable or shown
        self.shown.setdefault(shown, []).append(exact)
        pieces.append(shown)

    def _text(self, raw: str, pieces: list[str]) -> None:
        """Character data as the model reads it: references resolved, CDATA opened, comments
        and processing instructions left out (the target is new text)."""
        for match in _TOKEN.finditer(raw):
            token = match.group()
            if token.startswith("<![CDATA["):
                pieces.append(token[9:-3])
            elif not token.startswith("<"):
                self._references(token, pieces)

    def _references(self, raw: str, pieces: list[str]) -> None:
        cursor = 0
        for match in _REFERENCE.finditer(raw):
            pieces.append(raw[cursor:match.start()])
            name = match.group(1)
            if name.startswith("#"):
                pieces.append(chr(int(name[2:], 16) if name[1] == "x" else int(name[1:])))
            elif name in _PREDEFINED:
                pieces.append(_PREDEFINED[name])
            else:  # an entity of the file's own DTD: kept as written, as a tag is
                self._tag(match.group(), match.group(), pieces)
            cursor = match.end()
        pieces.append(raw[cursor:])

    def content(self, translation: str) -> str:
        """The translation as the target's XML content: the tags as they were, the rest
        escaped, between the source's own leading and trailing whitespace."""
        queues = {shown: list(exact) for shown, exact in self.shown.items()}
        out, cursor = [], 0
        if queues:
            pattern = re.compile("|".join(re.escape(s) for s in sorted(queues, key=len,
                                                                       reverse=True)))
            for match in pattern.finditer(translation):
                if not queues[match.group()]:  # more than the source had: text, escaped
                    continue
                out += [escape(translation[cursor:match.start()]),
                        queues[match.group()].pop(0)]
                cursor = match.end()
        out.append(escape(translation[cursor:]))
        return self.lead + "".join(out) + self.trail
