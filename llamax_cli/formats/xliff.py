"""XLIFF 1.2 and 2.0 files: the units that have no translation yet are filled, and every other
byte stays as it was (attributes, notes, comments, indentation, line endings, kept targets).

- Which units: XLIFF 1.2 `<trans-unit>`s without a `<target>`, with an empty one, or with one
  in the state `new` or `needs-translation`; XLIFF 2.0 `<segment>`s without a `<target>`, with
  an empty one, or in the state `initial` (written out: a target without a state is kept as a
  translation). Never one under `translate="no"` (on the unit or inherited from its group or,
  in 2.0, its file), an `approved="yes"` trans-unit, a 1.2 target that is translated, final
  or signed-off, or a 2.0 segment that is translated, reviewed or final.
- The model gets the source's text on one line with its inline tags in it (`<g>`, `<x/>`,
  `<pc>`, `<ph/>`, `<mrk>`, ...), each of which must come back exactly (formats/placeholders.py;
  else the unit keeps its source, `placeholder-lost`). An element whose content is native code
  and not text (1.2 `<ph>`, `<bpt>`, `<ept>`, `<it>`; anything marked `translate="no"` or
  `mtype="protected"`) is shown to the model as one empty tag and written back whole.
- The translation is written, XML-escaped, as a new `<target>` right after `</source>` (1.2:
  after `<seg-source>` when there is one), on a line of its own indented as the source, or into
  the existing target. 1.2: the target gets `state="needs-review-translation"` and
  `state-qualifier="mt-suggestion"`, and the trans-unit a `<note from="llamax">` after it. 2.0:
  the segment gets `state="translated"`, and the unit a `<note category="llamax">` in its
  `<notes>` (made before its first segment when it has none). That note is written with the
  unit's first segment to fill: 2.0 puts notes before the segments, and a document is written
  in order, so when that segment keeps its source a later one filled alone has no note.
- A source whose inline markup placeholders.find cannot see whole (a tag named `<_x>`) is kept
  as it is, with a warning.
- `target-language` (1.2, on each `<file>`) and `trgLang` (2.0, on `<xliff>`) are set to the
  target, as BCP 47 (`pt-BR`).

The file is checked with lxml first (no external DTD, entity expansion or network): a file
that is not well-formed XLIFF is refused, in one line. The whitespace of a source is made
single spaces for the model (its edges are kept around the target), xml:space or not.

lxml does not keep bytes, so the elements are found again in the text by a scanner that lxml's
element tree vouches for, element by element (formats/xmltext.py).
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.document import Builder, Document, Format, has_words
from llamax_cli.formats.xmltext import (Edit, Inline, Node, apply_edits, escape,
                                        line_break_before, scan, set_attributes)

XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
MACHINE_NOTE = "Machine translation"
STATE_12 = "needs-review-translation"
STATE_20 = "translated"
_KEPT_12 = ("translated", "final", "signed-off")
_FILLED_12 = ("new", "needs-translation")
_KEPT_20 = ("translated", "reviewed", "final")
_NATIVE_CODE_12 = ("ph", "bpt", "ept", "it")  # their content is code, not text


# -- reading ------------------------------------------------------------------------------------

def parse_xliff(text: str) -> Document:
    root = scan(text, "XLIFF")
    if root.local != "xliff":
        raise LlamaxError(f"not a valid XLIFF file: the root element is <{root.qname}>, "
                          "not <xliff>")
    version = root.get("version") or ""
    if root.namespace == XLIFF12 or (not root.namespace and version.startswith("1.")):
        spans = _spans_12(text, root)
    elif root.namespace.startswith("urn:oasis:names:tc:xliff:document:2.") or \
            (not root.namespace and version.startswith("2.")):
        spans = _spans_20(text, root)
    else:
        raise LlamaxError(f"not a valid XLIFF file: unknown version {version!r} "
                          f"(namespace {root.namespace!r})")
    b = Builder("xliff")
    cursor = 0
    for start, end, add in sorted(spans, key=lambda span: span[0]):
        b.literal(text[cursor:start])
        add(b, text[start:end])
        cursor = end
    b.literal(text[cursor:])
    return b.finish()


Span = tuple[int, int, Callable[[Builder, str], None]]


def _language_span(node: Node, text: str, attribute: str) -> Span:
    """The start tag of `node`, whose `attribute` is set to the target's code."""
    return (node.start, node.open_end,
            lambda b, raw: b.for_target(raw, lambda target: set_attributes(
                raw, {attribute: bcp47(target)})))


def _translate_no(node: Node, scopes: tuple[str, ...]) -> bool:
    """Whether `translate="no"` applies: the nearest element of `scopes` that says decides."""
    while node is not None:
        if node.local in scopes and node.get("translate") in ("yes", "no"):
            return node.get("translate") == "no"
        node = node.parent
    return False


def _is_empty(node: Optional[Node], text: str) -> bool:
    return node is None or (not node.children and
                            not text[node.open_end:node.close_start].strip(" \t\r\n"))


def _descendants(node: Node, local: str):
    for child in node.children:
        if child.local == local and child.namespace == node.namespace:
            yield child
        elif child.local not in ("source", "target", "notes", "note", "alt-trans"):
            yield from _descendants(child, local)


# -- XLIFF 1.2 ----------------------------------------------------------------------------------

def _spans_12(text: str, root: Node) -> list[Span]:
    spans = [_language_span(file, text, "target-language")
             for file in _descendants(root, "file")]
    for unit in _descendants(root, "trans-unit"):
        source, target = unit.child("source"), unit.child("target")
        if source is None or _translate_no(unit, ("trans-unit", "group")) or \
                unit.get("approved") == "yes":
            continue
        state = target.get("state") if target is not None else None
        if state in _KEPT_12 or not (state in _FILLED_12 or _is_empty(target, text)):
            continue
        spans.append(_unit_span_12(text, unit, source, target))
    return spans


def _unit_span_12(text: str, unit: Node, source: Node, target: Optional[Node]) -> Span:
    anchor = unit.child("seg-source") or source
    inline = Inline.of(text, source, opaque=_opaque_12)
    note = f'<{unit.prefixed("note")} from="llamax">{MACHINE_NOTE}</{unit.prefixed("note")}>'
    states = {"state": STATE_12, "state-qualifier": "mt-suggestion"}

    def edits(translation: str, code: str) -> list[Edit]:
        if target is None:
            sep = line_break_before(text, source.start)
            new = _element(unit.prefixed("target"), states, inline.content(translation))
            return [(anchor.end, anchor.end, sep + new + sep + note)]
        sep = line_break_before(text, target.start)
        return [(target.start, target.end,
                 _refilled(text, target, states, inline.content(translation), code)
                 + sep + note)]

    start = min(source.start, target.start) if target is not None else source.start
    end = max(anchor.end, target.end) if target is not None else anchor.end
    return _unit(text, source, inline, start, end, edits)


def _opaque_12(node: Node) -> bool:
    return (node.local in _NATIVE_CODE_12 or node.get("mtype") == "protected"
            or node.get("translate") == "no")


# -- XLIFF 2.0 ----------------------------------------------------------------------------------

def _spans_20(text: str, root: Node) -> list[Span]:
    spans = [_language_span(root, text, "trgLang")]
    for unit in _descendants(root, "unit"):
        if _translate_no(unit, ("unit", "group", "file")):
            continue
        noted = False  # the unit's note goes with its first filled segment that has words
        for segment in (c for c in unit.children if c.local == "segment"):
            source, target = segment.child("source"), segment.child("target")
            state = segment.get("state")
            if source is None or state in _KEPT_20 or not (
                    state == "initial" or _is_empty(target, text)):
                continue
            inline = Inline.of(text, source, opaque=lambda n: n.get("translate") == "no")
            with_note = not noted and has_words(inline.source)
            noted = noted or with_note
            spans.append(_segment_span_20(text, unit, segment, inline, with_note))
    return spans


def _segment_span_20(text: str, unit: Node, segment: Node, inline: Inline,
                     with_note: bool) -> Span:
    source, target = segment.child("source"), segment.child("target")
    note_at, note = _note_20(text, unit) if with_note else (0, "")
    note_at = note_at if note else segment.start
    opening = text[segment.start:segment.open_end]

    def edits(translation: str, code: str) -> list[Edit]:
        out = [(segment.start, segment.open_end, set_attributes(opening, {"state": STATE_20}))]
        if target is None:
            new = _element(segment.prefixed("target"), {}, inline.content(translation))
            out.append((source.end, source.end, line_break_before(text, source.start) + new))
        else:
            out.append((target.start, target.end,
                        _refilled(text, target, {}, inline.content(translation), code)))
        if note:
            out.append((note_at, note_at, note))
        return out

    end = target.end if target is not None else source.end
    return _unit(text, source, inline, min(note_at, segment.start), end, edits)


def _note_20(text: str, unit: Node) -> tuple[int, str]:
    """(where, what) to insert for the machine-translation note: after the unit's last note,
    or a new <notes> before its first XLIFF child (other namespaces' elements come first)."""
    note = (f'<{unit.prefixed("note")} category="llamax">{MACHINE_NOTE}'
            f'</{unit.prefixed("note")}>')
    notes = unit.child("notes")
    if notes is not None:  # (a <notes> without a note is not XLIFF: no note then)
        last = notes.children[-1] if notes.children else None
        return (last.end, line_break_before(text, last.start) + note) if last else (0, "")
    first = next(c for c in unit.children if c.namespace == unit.namespace)
    sep = line_break_before(text, first.start)
    step = _indent_step(text, unit, first) if sep else ""
    name = unit.prefixed("notes")
    return first.start, f"<{name}>{sep}{step}{note}{sep}</{name}>{sep}"


def _indent_step(text: str, parent: Node, child: Node) -> str:
    outer, inner = (line_break_before(text, n.start) for n in (parent, child))
    return inner[len(outer):] if outer and inner.startswith(outer) else "  "


# -- writing ------------------------------------------------------------------------------------

def _unit(text: str, source: Node, inline: Inline, start: int, end: int,
          edits: Callable[[str, str], list[Edit]]) -> Span:
    def add(b: Builder, raw: str) -> None:
        if inline.unprotectable:
            b.warn(source.element.sourceline or 0, "kept as is: inline markup that llamax "
                   f"cannot protect ({inline.unprotectable})")
            b.literal(raw)
            return
        b.entry(raw, inline.source, source.element.sourceline or 0,
                encode=lambda translation, code: apply_edits(
                    text, start, end, edits(translation, code)),
                placeholders=placeholders.find(inline.source))
    return start, end, add


def _element(qname: str, attributes: dict[str, str], content: str) -> str:
    attrs = "".join(f' {name}="{escape(value, attribute=True)}"'
                    for name, value in attributes.items())
    return f"<{qname}{attrs}>{content}</{qname}>"


def _refilled(text: str, target: Node, attributes: dict[str, str], content: str,
              code: str) -> str:
    """The existing (empty or new) target holding `content`, its attributes kept but those set
    here, and its xml:lang (if any) the target's."""
    if target.get("{http://www.w3.org/XML/1998/namespace}lang") is not None:
        attributes = {**attributes, "xml:lang": bcp47(code)}
    opening = set_attributes(text[target.start:target.open_end], attributes)
    if opening.endswith("/>"):
        opening = opening[:-2].rstrip() + ">"
    return f"{opening}{content}</{target.qname}>"


# -- the format ---------------------------------------------------------------------------------

def bcp47(code: str) -> str:
    """A language code as BCP 47 writes it: pt-BR, zh-Hant, sr-Latn."""
    parts = re.split(r"[-_]", code)
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


_SIGNATURE = re.compile(r"\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*"
                        r"(?:<!DOCTYPE[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:[\w.-]+:)?xliff[\s>]", re.S)


def looks_like_xliff(text: str) -> bool:
    """An <xliff> root element, after at most an XML declaration, comments and a doctype."""
    return _SIGNATURE.match(text[:4096]) is not None


# --out-dir DIR: DIR/messages.fr.xlf, Angular's layout (a layout cannot keep `.xliff`).
FORMAT = Format("xliff", parse_xliff, extensions=(".xlf", ".xliff"), uploads=(".xlf", ".xliff"),
                signature=looks_like_xliff, rank=16, layout="{stem}.{lang}.xlf", code_for=bcp47)
