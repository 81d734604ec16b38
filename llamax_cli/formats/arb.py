"""Flutter ARB files (`lib/l10n/app_en.arb`): every message is an ICU MessageFormat message
(formats/icu.py, dialect FLUTTER: gen_l10n's default reads apostrophes as text, and its `zero`,
`one`, `two` and `=0`, `=1`, `=2` are exact), its structure kept and each branch a unit, plural
branches written for the target's CLDR categories.

`@key` metadata (descriptions, placeholders' examples and types) and the other `@@` globals are
kept byte for byte; `@@locale` is set to the target, as Flutter writes it (`pt_BR`). Keys, order,
indentation and untouched strings stay as they were (formats/jsonscan.py). A message Flutter's
gen_l10n could not read (unbalanced braces) is refused in one line, as gen_l10n would.
"""

from __future__ import annotations

import json

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import icu, icu_syntax, jsonscan
from llamax_cli.formats.document import Builder, Document, Format
from llamax_cli.formats.i18next import JsonWalker, check_namespace

WHAT = "ARB"


def parse_arb(text: str) -> Document:
    root = jsonscan.scan(text, WHAT)
    check_namespace(root, WHAT, metadata="@")  # metadata holds numbers, e.g. decimalDigits
    walker = JsonWalker(text, Builder("arb"), icu_file=True, dialect=icu.FLUTTER)
    for member in root.members:
        key, value = member.key.value, member.value
        if key == "@@locale" and value.kind == "string":
            walker.literal_to(value.start)
            walker.b.for_target(text[value.start:value.end],
                                lambda target: walker.quoted(flutter_code(target)))
            walker.cursor = value.end
        elif not key.startswith("@") and value.kind == "string":
            _message(walker, key, value)
    walker.literal_to(len(text))
    return walker.b.finish()


def _message(walker: JsonWalker, key: str, value: jsonscan.Node) -> None:
    walker.literal_to(value.start + 1)
    try:
        icu.add_message(walker.b, value.value, walker.host(value), icu.FLUTTER)
    except icu_syntax.IcuError as exc:
        raise LlamaxError(f"not a valid {WHAT} file: the message {key!r} (line "
                          f"{walker.lines.line(value.start)}) is not ICU MessageFormat: {exc}") \
            from None
    walker.cursor = value.end - 1


def flutter_code(code: str) -> str:
    """A language code as Flutter names its locales and files: pt_BR, zh_Hant, sr_Latn."""
    return code.replace("-", "_")


def looks_like_arb(text: str) -> bool:
    """A JSON object that says its `@@locale` (near the start: Flutter writes it first)."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if not head.startswith("{") or '"@@locale"' not in head:
        return False
    try:
        return isinstance(json.loads(text.lstrip("\ufeff")), dict)
    except ValueError:
        return False


# --out-dir DIR: DIR/app_fr.arb, the name gen_l10n looks for beside the template app_en.arb.
FORMAT = Format("arb", parse_arb, extensions=(".arb",), uploads=(".arb",),
                signature=looks_like_arb, rank=21, layout="app_{lang}.arb",
                code_for=flutter_code)
