"""YAML flow scalars as a translation is written into a YAML file (formats/yaml_locale.py):
in the value's own style where that reads back as the same string, else double-quoted.

The check is made for both YAML versions in use: 1.2 (ruamel.yaml, most libraries now) and
1.1 (Psych, which Rails reads its locales with), where `yes`, `no`, `on`, `off`, `y`, `1:30`
are not strings. A plain scalar also may not start with an indicator (`"`, `'`, `%`, `-`,
`[`, ...), hold `: ` or ` #`, end with `:`, hold a tab (ruamel.yaml refuses one there), nor,
inside a flow collection (`[a, b]`), any of `, [ ] { }`.
"""

from __future__ import annotations

import re
from typing import Optional

from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

STRING_TAG = "tag:yaml.org,2002:str"
_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))
# YAML's printable characters (everything else cannot be in a YAML file, even escaped in
# the only style that could: the model's control characters are dropped instead).
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # line breaks, YAML 1.1's included
_PLAIN_START = set("-?:,[]{}#&*!|>'\"%@` \t")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\x85": "\\N",
            "\u2028": "\\L", "\u2029": "\\P"}


def reads_as_string(value: str) -> bool:
    """Whether a plain scalar `value` is a string in YAML 1.1 and 1.2 (not a number, a
    boolean, a null, a date, a merge key)."""
    return all(r.resolve(ScalarNode, value, (True, False)) == STRING_TAG for r in _RESOLVERS)


def clean(translation: str) -> str:
    """The model's text without characters YAML cannot hold, on one line."""
    return _BREAKS.sub(" ", _NOT_PRINTABLE.sub("", translation))


def write_scalar(value: str, style: Optional[str], in_flow: bool = False) -> str:
    """`value` as a flow scalar: in `style` (None plain, "'" single- or '"' double-quoted)
    where that reads back as the same string, else double-quoted and escaped."""
    value = _NOT_PRINTABLE.sub("", value)
    if style is None and plain_ok(value, in_flow):
        return value
    if style == "'" and not _BREAKS.search(value):
        return "'" + value.replace("'", "''") + "'"
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'


def plain_ok(value: str, in_flow: bool = False) -> bool:
    """Whether `value` written plain (on one line) reads back as this string."""
    if not value or value[0] in _PLAIN_START or value.strip(" \t") != value:
        return False
    if _BREAKS.search(value) or value.endswith(":") or "\t" in value or "\ufeff" in value:
        return False
    if any(bad in value for bad in (": ", " #")):
        return False
    if in_flow and any(char in value for char in ",[]{}"):
        return False
    return reads_as_string(value)
