"""The value of an Android string resource (formats/android.py), read as Android reads it and
written back the way Android's own files write it.

Android reads an element's content in two steps: XML first (entities, CDATA sections, child
elements), then its own syntax on the text (aapt2's StringBuilder): `\\'`, `\\"`, `\\\\`, `\\n`,
`\\t`, `\\uXXXX` and any other escaped character for itself (`\\@`, `\\?`); an unescaped double
quote opens or closes a quoted run, where whitespace is kept, and is not shown; elsewhere runs
of whitespace become one space and the edges are trimmed. The state goes on across child
elements and CDATA sections (a quote in `<![CDATA[<a href="x">]]>` is a quote too).

A `Value` is what the model gets and how its translation is written:
- the message: the text Android shows, on one line (a newline as `\\n`, a tab as `\\t`, a
  backslash doubled), with the value's markup in it as it lies in the file: a child element's
  tags (`<b>`, `<a href="…">`), a whole `<xliff:g …>…</xliff:g>` (it must come back whole: a
  protected span), an entity XML does not define, and the tags of HTML inside a CDATA section;
- the translation: escaped for Android (`\\'`, `\\"`, a leading `@`/`?` escaped, the whole value
  in double quotes when spaces at its edges or in a row must stay) and for XML (`&amp;`,
  `&lt;`, `&gt;`), or as one CDATA section when the value was one; its markup written byte for
  byte, and the whitespace around the content (which Android drops) as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

TOKEN = re.compile(r"""(?P<comment><!--.*?-->)|(?P<cdata><!\[CDATA\[.*?\]\]>)|(?P<pi><\?.*?\?>)
    |(?P<doctype><!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>)|(?P<end></[^>]*>)
    |(?P<start><(?:[^>"']|"[^"]*"|'[^']*')*>)|(?P<text>[^<]+)""", re.S | re.X)
TAG_NAME = re.compile(r"</?([^\s/>]+)")
XML_SPACE = " \t\n\r"  # what Android collapses (a no-break space stays)
_HTML_TAG = re.compile(r"""</?[A-Za-z][\w:.-]*(?:\s+(?:[^<>"']|"[^"]*"|'[^']*')*)?/?>""")
_REFERENCE = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[^\s&;]+);")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPED = {"n": "\n", "t": "\t"}  # any other escaped character stands for itself
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")  # as \uXXXX


class Unreadable(ValueError):
    """Text the scanner cannot cut into XML tokens (lxml said it was well-formed)."""


def tokens(text: str):
    """(kind, start, end) of each XML piece of `text`: comment, cdata, pi, doctype, end,
    start, text."""
    pos = 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None:  # never after lxml's check; but never loop or guess either
            raise Unreadable(f"unreadable at offset {pos}")
        yield match.lastgroup, pos, match.end()
        pos = match.end()


@dataclass(frozen=True)
class Kept:
    """Markup that stays as it is in a value. `text`: HTML inside a CDATA section (markup for
    the app, text for XML); `whole`: a whole <xliff:g> element."""
    raw: str
    text: bool = False
    whole: bool = False

    @property
    def shown(self) -> str:  # as the model sees it: on one line
        return " ".join(self.raw.split())


Piece = Union[str, Kept]


def pieces_of(inner: str) -> Optional[list[Piece]]:
    """An element's content as text (XML undone, Android's syntax not yet) and Kept markup;
    None when it holds what is no message (a comment, a processing instruction)."""
    out: list[Piece] = []
    held, depth = -1, 0  # where an <xliff:g> element being read whole starts, and its depth
    for kind, start, end in tokens(inner):
        raw = inner[start:end]
        if kind in ("comment", "pi", "doctype"):
            return None
        if held >= 0:
            depth += (kind == "start" and raw[-2] != "/") - (kind == "end")
            if depth == 0:
                out.append(Kept(inner[held:end], whole=True))
                held = -1
        elif kind == "start" and TAG_NAME.match(raw).group(1).endswith(":g") and raw[-2] != "/":
            held, depth = start, 1
        elif kind in ("start", "end"):
            out.append(Kept(raw))
        elif kind == "cdata":
            out += _cdata_pieces(raw[9:-3])
        else:
            out += _text_pieces(raw)
    return out


def _cdata_pieces(content: str) -> list[Piece]:
    """A CDATA section's text, with the tags of the HTML in it kept as they are."""
    out: list[Piece] = []
    last = 0
    for match in _HTML_TAG.finditer(content):
        out += [content[last:match.start()], Kept(match.group(), text=True)]
        last = match.end()
    return out + [content[last:]]


def _text_pieces(raw: str) -> list[Piece]:
    """XML text with its references resolved; an entity XML does not define stays kept."""
    out: list[Piece] = []
    last = 0
    for match in _REFERENCE.finditer(raw):
        name = match.group(1)
        if name.startswith("#"):
            value = chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        elif name in _PREDEFINED:
            value = _PREDEFINED[name]
        else:
            out += [raw[last:match.start()], Kept(match.group())]
            last = match.end()
            continue
        out.append(raw[last:match.start()] + value)
        last = match.end()
    return out + [raw[last:]]


def unescape(pieces: list[Piece]) -> list[Piece]:
    """What Android shows for a value's pieces, one character (or Kept) each."""
    out: list[Piece] = []
    quoted = escaping = pending_space = False
    for piece in pieces:
        if isinstance(piece, Kept):
            out += [" ", piece] if pending_space and out else [piece]
            pending_space = False
            continue
        chars = iter(piece)
        for ch in chars:
            if escaping:
                escaping = False
                if ch == "u":
                    digits = "".join(next(chars, "") for _ in range(4))
                    ch = chr(int(digits, 16)) if _HEX4.fullmatch(digits) else "u" + digits
                else:
                    ch = _ESCAPED.get(ch, ch)
            elif ch == "\\":
                escaping = True
                continue
            elif ch == '"':
                quoted = not quoted
                continue
            elif ch in XML_SPACE and not quoted:
                pending_space = True
                continue
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(ch)
    return out


def android_text(xml_text: str) -> str:
    """The string Android shows for an element's text as an XML parser gives it (entities
    and CDATA resolved, no child elements)."""
    return "".join(p for p in unescape([xml_text]) if isinstance(p, str))


def shown(text: str) -> str:
    """Characters as the model gets them: a newline as \\n, a tab as \\t, a backslash doubled."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def unshown(text: str) -> str:
    """The inverse of shown; a lone backslash stays one."""
    return re.sub(r"\\([\\nt])", lambda m: {"\\": "\\", "n": "\n", "t": "\t"}[m.group(1)], text)


def escape(pieces: list[Piece], cdata: bool = False) -> str:
    """Text and markup as an Android value that shows the text (unescape's inverse); `cdata`:
    as one CDATA section, where XML escapes nothing."""
    texts = [p for p in pieces if isinstance(p, str)]
    # Android trims and collapses spaces outside double quotes (a newline or tab is escaped)
    quote = bool(pieces) and (isinstance(pieces[0], str) and pieces[0][:1] == " "
                              or isinstance(pieces[-1], str) and pieces[-1][-1:] == " "
                              or any("  " in text for text in texts))
    out = []
    for k, piece in enumerate(pieces):
        if isinstance(piece, Kept):
            out.append(_xml_escaped(piece.raw) if piece.text and not cdata else piece.raw)
            continue
        text = (piece.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
                .replace("'", "\\'").replace('"', '\\"'))
        text = _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        if k == 0 and text[:1] in ("@", "?"):  # else Android reads a resource reference
            text = "\\" + text
        out.append(text if cdata else _xml_escaped(text))
    body = '"' + "".join(out) + '"' if quote else "".join(out)
    return f"<![CDATA[{body.replace(']]>', ']]]]><![CDATA[>')}]]>" if cdata else body


def _xml_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Value:
    """A translatable value: the message the model gets, and how a translation is written."""
    core: str  # the message, on one line
    lead: str  # spaces Android shows around it (in quotes), given back around a translation
    trail: str
    kept: dict[str, Kept]  # the value's markup, by its shown form without whitespace
    protected: tuple[str, ...]  # whole <xliff:g> elements, as shown: they come back whole
    cdata: bool  # the value was one CDATA section: so is its translation
    raw_lead: str  # whitespace around the content outside quotes (Android drops it)
    raw_trail: str

    @classmethod
    def read(cls, inner: str) -> Optional["Value"]:
        """The value of an element's content `inner`; None: nothing to translate (empty, a
        resource reference, a comment inside)."""
        stripped = inner.strip(XML_SPACE)
        pieces = pieces_of(inner) if stripped and stripped[0] not in "@?" else None
        if pieces is None:
            return None
        message = "".join(p.shown if isinstance(p, Kept) else shown(p) for p in unescape(pieces))
        core = message.strip(" ")
        kept = [p for p in pieces if isinstance(p, Kept)]
        cdata = all(kind == "cdata" or kind == "text" and not inner[start:end].strip(XML_SPACE)
                    for kind, start, end in tokens(inner))
        return cls(core, message[:len(message) - len(message.lstrip(" "))],
                   message[len(message.rstrip(" ")):],
                   {"".join(k.shown.split()): k for k in kept},
                   tuple(k.shown for k in kept if k.whole), cdata,
                   inner[:len(inner) - len(inner.lstrip(XML_SPACE))],
                   inner[len(inner.rstrip(XML_SPACE)):])

    def encode(self, translation: str) -> str:
        pieces = self.split(self.lead + translation + self.trail)
        return self.raw_lead + escape(pieces, self.cdata) + self.raw_trail

    def split(self, text: str) -> list[Piece]:
        """A translation's text (unshown) and markup; markup is found whatever whitespace the
        model put in it (the pipeline's check of protected spans allows that much)."""
        if not self.kept:
            return [unshown(text)] if text else []
        pattern = "|".join(r"\s*".join(map(re.escape, form))
                           for form in sorted(self.kept, key=len, reverse=True))
        out: list[Piece] = []
        last = 0
        for match in re.finditer(pattern, text):
            out += [unshown(text[last:match.start()]), self.kept["".join(match.group().split())]]
            last = match.end()
        out.append(unshown(text[last:]))
        return [p for p in out if p != ""]
