"""gettext PO and POT files: the messages that have no translation yet are filled, and every
other byte stays as it was (comments, references, flags, wrapping, obsolete entries).

- An entry is translated when it has no translation (every msgstr empty), is not obsolete
  (`#~`) and is not the header. Its unit's source is the msgid; a plural entry has two units,
  the msgid and the msgid_plural, written to the target's plural forms: msgstr[0] the
  singular and the others the plural (a language with one form, as Japanese, gets the plural,
  which holds the count's placeholder).
- A filled entry is flagged `fuzzy` (a translator reviews it; msgfmt leaves fuzzy entries out
  of the .mo; `--no-fuzzy`: not flagged) and gets the translator comment `# Machine
  translation (llamax).`. `--overwrite` translates the entries that have a translation too.
- The header's `Language` and `Plural-Forms` are set for the target (CLDR's rules, from
  Babel), and a POT's `charset=CHARSET` becomes UTF-8, what is written.
- Placeholders (formats/placeholders.py) must survive, or the entry stays untranslated.

The file is checked with polib first: a file gettext would refuse is refused, in one line.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
import polib
from babel.messages.plurals import get_plural

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.document import Builder, CatalogOptions, Document, Format, lines

MACHINE_COMMENT = "# Machine translation (llamax)."
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s*(".*)$')
_STRING = re.compile(r'^\s*"(.*)"\s*$')


@dataclass
class Entry:
    """One entry's lines, as (body, ending) pairs, and what they say."""
    lines: list[tuple[str, str]] = field(default_factory=list)
    first_line: int = 0  # 1-based
    fields: dict[str, list[str]] = field(default_factory=dict)  # keyword -> its strings
    msgstr_at: int = -1  # index in lines of the first msgstr line
    obsolete: bool = False

    def text(self, start: int = 0, end: int | None = None) -> str:
        return "".join(body + ending for body, ending in self.lines[start:end])

    def value(self, keyword: str) -> str:
        return polib.unescape("".join(self.fields.get(keyword, [])))

    @property
    def untranslated(self) -> bool:
        return all(not "".join(v) for k, v in self.fields.items() if k.startswith("msgstr"))

    def flags(self) -> list[str]:
        return [flag.strip() for body, _ in self.lines if body.startswith("#,")
                for flag in body[2:].split(",") if flag.strip()]


def parse_po(text: str, options: CatalogOptions = CatalogOptions()) -> Document:
    _check(text)
    b = Builder("po")
    pending_literal = []
    for entry in _entries(text):
        if isinstance(entry, str):
            pending_literal.append(entry)
            continue
        b.literal("".join(pending_literal))
        pending_literal = []
        _add_entry(b, entry, options)
    b.literal("".join(pending_literal))
    return b.finish()


def _check(text: str) -> None:
    try:
        polib.pofile(text)
    except (OSError, ValueError) as exc:
        raise LlamaxError(f"not a valid PO file: {exc}") from None


def _entries(text: str):
    """Blank and stray lines as str, and each entry as an Entry, in order."""
    entry: Entry | None = None
    last = None
    for number, body, ending in lines(text):
        stripped = body.strip()
        starts = stripped.startswith("#") or stripped.startswith(("msgctxt", "msgid "))
        if entry is not None and (not stripped or (starts and entry.msgstr_at >= 0)):
            yield entry
            entry = None
        if not stripped:
            yield body + ending
            continue
        if entry is None:
            entry = Entry(first_line=number)
        entry.lines.append((body, ending))
        if stripped.startswith("#~"):
            entry.obsolete = True
        match = _KEYWORD.match(stripped)
        string = _STRING.match(match.group(2) if match else stripped)
        if match:
            last = match.group(1)
            entry.fields.setdefault(last, [])
            if last.startswith("msgstr") and entry.msgstr_at < 0:
                entry.msgstr_at = len(entry.lines) - 1
        if string and last and not stripped.startswith("#"):
            entry.fields[last].append(string.group(1))
    if entry is not None:
        yield entry


def _add_entry(b: Builder, entry: Entry, options: CatalogOptions) -> None:
    msgid = entry.value("msgid")
    if entry.obsolete or entry.msgstr_at < 0:
        b.literal(entry.text())
    elif msgid == "" and "msgctxt" not in entry.fields:
        b.for_target(entry.text(), lambda target: _header(entry, target))
    elif not entry.untranslated and not options.overwrite:
        b.literal(entry.text())
    elif "msgid_plural" in entry.fields:
        _add_plural(b, entry, msgid, options.fuzzy)
    else:
        lead, source, trail = _message(msgid)
        b.entry(entry.text(), source, entry.first_line,
                encode=lambda translation, target: _as_ended(entry, _head(
                    entry, options.fuzzy) + _msgstr("msgstr", lead + translation + trail,
                                                    _ending(entry))),
                placeholders=placeholders.find(source))


def _message(text: str) -> tuple[str, str, str]:
    """(leading whitespace, the message on one line, trailing whitespace): the model gets one
    line, and the translation the msgid's own edges back (msgfmt -c wants a msgstr to end
    with \n exactly when its msgid does)."""
    core = text.strip()
    lead = text[:len(text) - len(text.lstrip())]
    return lead, " ".join(core.split()), text[len(lead) + len(core):]


def _add_plural(b: Builder, entry: Entry, msgid: str, fuzzy: bool) -> None:
    """Two units: the head (through msgid_plural) carries the singular, the msgstr lines the
    plural; the second writes every form, from what the first left for its target."""
    singular: dict[str, str] = {}  # target -> the singular's translation
    lead, source, trail = _message(msgid)
    plural_lead, plural, plural_trail = _message(entry.value("msgid_plural"))
    newline = _ending(entry)

    def encode_singular(translation: str, target: str) -> str:
        singular[target] = lead + translation + trail
        return _head(entry, fuzzy)

    def encode_plural(translation: str, target: str) -> str:
        if target not in singular:  # the singular was not translated: neither is the entry
            return entry.text(entry.msgstr_at)
        forms, one = plural_slots(target)
        texts = [plural_lead + translation + plural_trail] * forms
        if forms > 1:
            texts[one] = singular[target]
        return _as_ended(entry, "".join(_msgstr(f"msgstr[{k}]", text, newline)
                                        for k, text in enumerate(texts)))

    b.entry(entry.text(0, entry.msgstr_at), source, entry.first_line, encode=encode_singular,
            placeholders=placeholders.find(source))
    b.entry(entry.text(entry.msgstr_at), plural, entry.first_line + entry.msgstr_at,
            encode=encode_plural, placeholders=placeholders.find(plural))


def _as_ended(entry: Entry, text: str) -> str:
    """`text` without its final line break where the entry had none (the file's last line)."""
    return text if entry.lines[-1][1] else text.rstrip("\r\n")


def _ending(entry: Entry) -> str:
    return entry.lines[0][1] or "\n"


def _head(entry: Entry, fuzzy: bool = True) -> str:
    """The entry's lines before its msgstr, with the machine-translation comment first (once)
    and `fuzzy` first among its flags (`fuzzy` False: the flag taken off, a line of no other
    flag dropped)."""
    newline = _ending(entry)
    head = entry.lines[:entry.msgstr_at]
    out = [] if any(body == MACHINE_COMMENT for body, _ in head) else [MACHINE_COMMENT + newline]
    flagged = False
    for body, ending in head:
        if body.startswith("#,") and not flagged:
            flags = ["fuzzy"] * fuzzy + [f for f in entry.flags() if f != "fuzzy"]
            flagged = True
            if not flags:
                continue
            body = "#, " + ", ".join(flags)
        elif not flagged and not body.startswith(("# ", "#.", "#:", "#\t")) and body != "#":
            if fuzzy:
                out.append("#, fuzzy" + newline)  # flags go after the other comments
            flagged = True
        out.append(body + (ending or newline))
    return "".join(out)


def _msgstr(keyword: str, text: str, newline: str) -> str:
    """`keyword "text"`, split after each \\n as gettext's tools write a multi-line string."""
    pieces = text.splitlines(keepends=True) if "\n" in text[:-1] else [text]
    if len(pieces) == 1:
        return f'{keyword} "{polib.escape(text)}"{newline}'
    return f'{keyword} ""{newline}' + "".join(f'"{polib.escape(p)}"{newline}' for p in pieces)


# -- the header, per target -------------------------------------------------------------------

def gettext_code(target: str) -> str:
    """A language code as gettext writes it: pt_BR, zh_Hant."""
    return target.replace("-", "_")


def plural_forms(target: str) -> str:
    """The target's Plural-Forms, from CLDR (Babel); a language it lacks gets its base
    language's, then the most common rule."""
    for code in (gettext_code(target), gettext_code(target).split("_")[0]):
        try:
            return get_plural(code).plural_forms
        except (ValueError, LookupError):
            continue
    return "nplurals=2; plural=(n != 1);"


def plural_slots(target: str) -> tuple[int, int]:
    """(the target's number of plural forms, the index of the form for n = 1): Arabic's
    first form is for zero, its second for one."""
    forms = plural_forms(target)
    count = int(re.search(r"nplurals\s*=\s*(\d+)", forms).group(1))
    expression = re.search(r"plural\s*=\s*(.*?);?\s*$", forms).group(1)
    try:
        one = int(gettext.c2py(expression)(1))
    except (ValueError, SyntaxError):
        one = 0
    return count, one if 0 <= one < count else 0


_HEADER_FIELD = '"{name}: {value}\\n"'


def _header(entry: Entry, target: str) -> str:
    """The header entry with Language and Plural-Forms set for `target`, and a POT's
    placeholder charset made UTF-8 (what llamax writes)."""
    newline = _ending(entry)
    wanted = {"Language": gettext_code(target), "Plural-Forms": plural_forms(target)}
    out, seen = [], set()
    for body, ending in entry.lines:
        for name, value in wanted.items():
            if body.startswith(f'"{name}:'):
                body = _HEADER_FIELD.format(name=name, value=value)
                seen.add(name)
        body = body.replace("charset=CHARSET", "charset=UTF-8")
        if body.startswith("#,"):  # a template's header is fuzzy; a catalog's is not (msginit)
            flags = [f.strip() for f in body[2:].split(",") if f.strip() not in ("fuzzy", "")]
            if not flags:
                continue
            body = "#, " + ", ".join(flags)
        out.append(body + (ending or newline))
    missing = "".join(_HEADER_FIELD.format(name=name, value=value) + newline
                      for name, value in wanted.items() if name not in seen)
    if missing:
        if not out[-1].endswith(("\n", "\r")):
            out[-1] += newline
        out.append(missing)
        if not entry.lines[-1][1]:  # the file ended without a newline: so does it still
            out[-1] = out[-1].rstrip("\r\n")
    return "".join(out)


def looks_like_po(text: str) -> bool:
    """A `msgid` line before any other non-comment line."""
    for line in text.splitlines()[:50]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return re.match(r'(?:msgid|msgctxt)\s+"', stripped) is not None
    return False


# --out-dir DIR: DIR/fr/LC_MESSAGES/messages.po, the layout gettext and Babel read.
FORMAT = Format("po", parse_po, extensions=(".po", ".pot"), uploads=(".po", ".pot"),
                signature=looks_like_po, rank=15, layout="{lang}/LC_MESSAGES/{stem}.po",
                code_for=gettext_code, catalog=True)
