"""Placeholders in software messages: what a translation must give back exactly, or the
program that shows it breaks (a `%1$s` written `% 1 $ s` crashes a printf; msgfmt refuses a
`c-format` entry whose directives differ).

Families, found in any localization file's messages:
- printf: `%s`, `%d`, `%1$s`, `%(name)s`, `%-5.2f`, `%@` (Apple), `%lld`, and `%%`;
- Ruby's named format: `%<count>d`;
- braces: `{name}`, `{0}`, `{}`, `{0:.2f}`, `{{name}}` (i18next, Handlebars), `%{name}` (Ruby),
  `${name}` (JavaScript templates);
- markup: HTML/XML tags and character entities (`<b>`, `</a>`, `&amp;`).

A translation must hold every placeholder of its source as often, and no other; printf
directives without a position (`%s`, `%d`) must also keep their order, since they are filled
by position. Anything else is damage: the unit keeps its source (`placeholder-lost`).
"""

from __future__ import annotations

import collections
import re

# The space flag is left out on purpose: "100% sure" is prose, not a "% s" directive.
_PRINTF = (r"%(?:\d+\$|\([A-Za-z_]\w*\))?[-+0#]*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
           r"(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcsp@%]")
_BRACES = (r"\{\{\s*[\w.-]+\s*\}\}"  # {{name}}
           r"|[%$]?\{[A-Za-z_0-9][\w.-]*(?:![rsa])?(?::[^{}]*)?\}"  # {name} {0:.2f} %{x} ${x}
           r"|\{\}")  # Python's automatic numbering
_MARKUP = r"</?[A-Za-z][\w:.-]*(?:\s+(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>|&(?:[A-Za-z]\w*|#\d+|#x[0-9A-Fa-f]+);"
_RUBY = r"%<[A-Za-z_]\w*>[-+ 0#]*\d*(?:\.\d+)?[a-zA-Z]"  # Ruby's format: %<count>d
_ANY = re.compile(f"{_BRACES}|{_RUBY}|{_PRINTF}|{_MARKUP}")
_UNPOSITIONED = re.compile(r"%[-+0#]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcsp@]$")


def find(text: str) -> tuple[str, ...]:
    """The placeholders of `text`, in order."""
    if "%" not in text and "{" not in text and "<" not in text and "&" not in text:
        return ()
    return tuple(m.group(0) for m in _ANY.finditer(text))


def damage(expected: tuple[str, ...] | None, translation: str) -> str | None:
    """What is wrong with the translation's placeholders (None: nothing, or not checked)."""
    if expected is None:
        return None
    found = find(translation)
    want, got = collections.Counter(expected), collections.Counter(found)
    missing = want - got
    if missing:
        return f"the model dropped the placeholder {next(iter(missing))!r}; kept the source"
    extra = got - want
    if extra:
        return f"the model added the placeholder {next(iter(extra))!r}; kept the source"
    in_order = [p for p in expected if _UNPOSITIONED.match(p)]
    if in_order != [p for p in found if _UNPOSITIONED.match(p)]:
        return ("the model reordered placeholders that are filled by position "
                f"({' '.join(in_order)}); kept the source")
    return None
