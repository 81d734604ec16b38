"""TMX (Translation Memory eXchange), as CAT tools (OmegaT, Trados, memoQ) write and read it.

`write_tmx` writes TMX 1.4b: one `<tu>` per pair, each language as its BCP-47 tag
(core.languages: `en`, `pt`, `zh-Hans`, `zh-Hant`, ...). `read_tmx` reads TMX 1.1 to 1.4
(`xml:lang`, or the older `lang`), maps each tag back onto a llamax language (case- and
region-tolerant: `EN-US` -> en, `zh-TW` -> zh-Hant) and counts what it had to leave out.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.textio import AtomicOutput

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# XML 1.0 cannot carry these at all (not even as character references).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Pair:
    """One translation read from, or written to, a TMX file (llamax language codes)."""

    src: str
    tgt: str
    source: str
    translation: str
    created: float = 0.0  # unix time; 0: unknown (not written)


@dataclass
class ReadReport:
    """What a TMX file held: its pairs, and what was left out, and why."""

    pairs: list[Pair] = field(default_factory=list)
    units: int = 0
    unknown_tags: Counter = field(default_factory=Counter)  # tag -> variants left out
    incomplete: int = 0  # units without a source segment or without any target

    def summary(self) -> str:
        """One line on what was left out, or "" when nothing was."""
        parts = []
        if self.unknown_tags:
            tags = ", ".join(f"{tag} ({n})" for tag, n in self.unknown_tags.most_common(5))
            more = ", ..." if len(self.unknown_tags) > 5 else ""
            count = sum(self.unknown_tags.values())
            parts.append(f"{count} segment(s) in languages llamax does not know: {tags}{more}")
        if self.incomplete:
            parts.append(f"{self.incomplete} unit(s) without a source or a translation")
        return "; ".join(parts)


# -- writing ----------------------------------------------------------------------------------

def tmx_date(when: float) -> str:
    """TMX's date format: YYYYMMDDThhmmssZ, in UTC."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))


def bcp47(code: str) -> str:
    """The tag CAT tools expect for a llamax language code (the code itself if unknown)."""
    lang = languages.find(code)
    return lang.bcp47 if lang is not None else code


def _text(value: str) -> str:
    # A parser turns a raw carriage return into a line feed: write it as a reference.
    return escape(value).replace("\r", "&#13;")


def _tool_version() -> str:
    try:  # the installed package's (llamax_cli itself sits above every layer)
        return metadata.version("llamax-cli")
    except metadata.PackageNotFoundError:
        return "unknown"


def _header(now: float) -> str:
    attrs = {"creationtool": "llamax", "creationtoolversion": _tool_version(),
             "datatype": "plaintext", "segtype": "sentence", "adminlang": "en",
             "srclang": "*all*", "o-tmf": "llamax", "creationdate": tmx_date(now)}
    joined = " ".join(f"{name}={quoteattr(value)}" for name, value in attrs.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
            '<tmx version="1.4">\n'
            f"  <header {joined}/>\n"
            "  <body>\n")


def _unit(pair: Pair) -> str:
    src, tgt = quoteattr(bcp47(pair.src)), quoteattr(bcp47(pair.tgt))
    date = f' creationdate="{tmx_date(pair.created)}"' if pair.created > 0 else ""
    return (f"    <tu{date} srclang={src}>\n"
            f"      <tuv xml:lang={src}><seg>{_text(pair.source)}</seg></tuv>\n"
            f"      <tuv xml:lang={tgt}><seg>{_text(pair.translation)}</seg></tuv>\n"
            "    </tu>\n")


def first_of_each(rows: Iterable[tuple]) -> Iterator[Pair]:
    """Pairs from rows (src, tgt, key, source, translation, created) sorted by (src, tgt,
    key), best first within a key: the first row of each key."""
    last = None
    for src, tgt, key, source, translation, created in rows:
        if (src, tgt, key) != last:
            last = (src, tgt, key)
            yield Pair(src, tgt, source, translation, created)


def write_tmx(out: Path, pairs: Iterable[Pair], note: Callable[[str], None] = lambda m: None) -> int:
    """Write `pairs` to `out` as TMX 1.4b, atomically (the file appears whole or not at all).
    Returns the units written; pairs that XML 1.0 cannot carry (control characters, lone
    surrogates) are left out, and `note` says how many."""
    if out.is_dir():
        raise LlamaxError(f"cannot write {out}: it is a folder; name the .tmx file to write")
    written = left_out = 0
    with AtomicOutput(out) as sink:
        sink.write(_header(time.time()))
        for pair in pairs:
            if _NOT_XML.search(pair.source) or _NOT_XML.search(pair.translation):
                left_out += 1
                continue
            sink.write(_unit(pair))
            written += 1
        sink.write("  </body>\n</tmx>\n")
    if left_out:
        note(f"{left_out} entries left out of {out}: they hold characters XML cannot carry "
             f"(control characters)")
    return written


# -- reading ----------------------------------------------------------------------------------

def _local(tag) -> str:
    """An element's name without a namespace ('' for comments and the like)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _lang(element) -> str:
    return (element.get(XML_LANG) or element.get("lang") or "").strip()


class _Resolver:
    """Tag -> llamax language code (None: unknown), remembered for the whole file."""

    def __init__(self):
        self._known: dict[str, str | None] = {}

    def __call__(self, tag: str) -> str | None:
        key = tag.lower()
        if key not in self._known:
            lang = languages.find(tag) if tag and tag != "*all*" else None
            self._known[key] = lang.code if lang is not None else None
        return self._known[key]


def _variants(tu) -> list[tuple[str, str]]:
    """The (tag, text) of each <tuv> of a unit; a segment's inline codes (<bpt>, <ph>, ...)
    hold the original's own markup, so their text is part of the text."""
    found = []
    for tuv in tu:
        if _local(tuv.tag) != "tuv":
            continue
        seg = next((child for child in tuv if _local(child.tag) == "seg"), None)
        found.append((_lang(tuv), "".join(seg.itertext()) if seg is not None else ""))
    return found


def _source_index(variants: list[tuple[str, str]], srclang: str, resolve: _Resolver) -> int:
    """Which variant is the source: the one in the unit's (else the header's) source
    language; with `*all*` (any may be), the first."""
    if not srclang or srclang == "*all*":
        return 0
    for i, (tag, _) in enumerate(variants):
        if tag.lower() == srclang.lower():
            return i
    wanted = resolve(srclang)
    for i, (tag, _) in enumerate(variants):
        if wanted is not None and resolve(tag) == wanted:
            return i
    return -1


def _read_unit(tu, header_srclang: str, resolve: _Resolver, report: ReadReport) -> None:
    report.units += 1
    variants = _variants(tu)
    index = _source_index(variants, tu.get("srclang") or header_srclang, resolve)
    if index < 0 or not variants[index][1]:
        report.incomplete += 1
        return
    src_tag, source = variants[index]
    src = resolve(src_tag)
    if src is None:
        report.unknown_tags[src_tag or "(none)"] += 1
        return
    targets = [(tag, text) for i, (tag, text) in enumerate(variants) if i != index and text]
    if not targets:
        report.incomplete += 1
    for tag, text in targets:
        tgt = resolve(tag)
        if tgt is None:
            report.unknown_tags[tag or "(none)"] += 1
        elif tgt != src:  # en-US next to en-GB: no translation for llamax
            report.pairs.append(Pair(src, tgt, source, text))


def _events(path: Path) -> Iterator[tuple[str, object]]:
    # lxml: iterparse streams big files; the declared dependency for TMX
    from lxml import etree

    # No DTD loading, no entity expansion, no network: a TMX file is data, not a program.
    parser_events = etree.iterparse(
        str(path), events=("start", "end"), load_dtd=False, no_network=True,
        resolve_entities=False, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        yield from parser_events
    except etree.XMLSyntaxError as exc:
        raise LlamaxError(f"{path} is not a readable TMX file: {exc}") from None


def read_tmx(path: Path) -> ReadReport:
    """Every pair of a TMX file; raises LlamaxError (one line) when it cannot be read."""
    path = Path(path)
    if path.is_dir():
        raise LlamaxError(f"cannot read {path}: it is a folder")
    report, resolve, header_srclang = ReadReport(), _Resolver(), ""
    try:
        for event, element in _events(path):
            name = _local(element.tag)
            if event == "start":
                if element.getparent() is None and name != "tmx":
                    raise LlamaxError(f"{path} is not a TMX file (its root is <{name}>)")
                continue
            if name == "header":
                header_srclang = (element.get("srclang") or "").strip()
            elif name == "tu":
                _read_unit(element, header_srclang, resolve, report)
                element.clear()
                while element.getprevious() is not None:  # keep memory flat on big files
                    del element.getparent()[0]
    except OSError as exc:
        raise LlamaxError(f"cannot read {path}: {exc.strerror or exc}") from None
    return report
