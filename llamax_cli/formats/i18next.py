"""i18next JSON namespaces (`locales/en/translation.json`, flat or nested): every string value is
a unit, and every other byte stays as it was: keys, their order, indentation, the escapes and
quoting of untouched strings, arrays and their layout.

- Placeholders survive: `{{name}}` and `{{ name }}` are checked by the pipeline
  (formats/placeholders.py); the formatting `{{val, number}}`, the unescaped `{{- html}}`, the
  nesting `$t(key)` or `$t(key, {"count": 2})` and react-i18next's `<0>…</0>` must come back
  verbatim (else the unit keeps its source).
- Plural keys (`key_one`, `key_other`, `_two`, `_few`, `_many`; `key_ordinal_one`…) are
  written for the target's CLDR categories (Babel), as i18next v4 looks them up with
  Intl.PluralRules: a category the target lacks is dropped (Japanese has no `key_one`), one it
  has and the file lacks is added from `key_other`'s translation (Arabic gets `_zero`, `_two`,
  `_few`, `_many`). `key_zero` stays: i18next uses it for a count of 0 in every language. A
  dropped key whose unit keeps its source stays (i18next never asks for it). The older
  (v3) `key` / `key_plural` pair is translated in place: right for two-form languages; v3's
  numbered keys (`key_0`…) for the others come from i18next's own rule table, which is not
  reproduced here (i18next's v4 converter migrates such files).
- Values in ICU MessageFormat (a namespace for i18next-icu: some value has a plural, select or
  selectordinal) go through formats/icu.py, structure kept and each branch a unit.
- A translation is written with the file's own string style (`\\u00e9` or `é`, `\\/`).

What is refused, in one line, rather than mangled: anything JSON refuses, a top level that is
not an object (an array, a number), a value that is a number, boolean or null (a namespace holds
strings only: such a file is data or configuration, which a translation would change under the
program that reads it), and a file with a package.json or tsconfig.json's top-level keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import icu, icu_syntax, jsonscan, placeholders
from llamax_cli.formats.document import Builder, Document, Format, split_ws

WHAT = "i18next JSON"
_PLURAL_KEY = re.compile(r"^(?P<base>.+?)(?P<ordinal>_ordinal)?_(?P<category>zero|one|two|few|many|other)$")
_INTERPOLATION = re.compile(r"\{\{[^{}]*\}\}")
_CONFIG_KEYS = ("$schema", "dependencies", "devDependencies", "peerDependencies", "scripts",
                "compilerOptions")


def parse_i18next(text: str) -> Document:
    root = jsonscan.scan(text, WHAT)
    check_namespace(root, WHAT)
    walker = JsonWalker(text, Builder("json"), icu_file=any_icu(root))
    try:
        walker.value(root)
    except RecursionError:  # the scanner took it, but the walk has more frames per level
        raise LlamaxError(f"not a valid {WHAT} file: nested too deeply") from None
    walker.literal_to(len(text))
    return walker.b.finish()


def check_namespace(root: jsonscan.Node, what: str, metadata: str = "") -> None:
    """Refuses what is JSON but not a file of messages (see the module's docstring); top-level
    keys starting with `metadata` (ARB's `@`) may hold anything."""
    if root.kind != "object":
        raise LlamaxError(f"not a valid {what} file: the top level is {_a(root.kind)}, "
                          "not an object of messages")
    keys = {member.key.value for member in root.members}
    config = [key for key in _CONFIG_KEYS if key in keys]
    if config:
        raise LlamaxError(f"not a valid {what} file: it has {config[0]!r} at the top level, "
                          "as a configuration file (package.json, tsconfig.json) does")
    stack = [(m.key.value, m.value) for m in root.members
             if not (metadata and m.key.value.startswith(metadata))]
    while stack:
        path, node = stack.pop()
        if node.kind in ("number", "true", "false", "null"):
            raise LlamaxError(f"not a valid {what} file: {path or 'a value'} is {node.kind}, "
                              "not a message (is this a data or configuration file?)")
        stack += [(f"{path}.{m.key.value}" if path else m.key.value, m.value)
                  for m in node.members]
        stack += [(f"{path}[{k}]", item) for k, item in enumerate(node.items)]


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def strings(root: jsonscan.Node):
    """Every string value, in document order (keys are not values)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.kind == "string":
            yield node
        stack += reversed([m.value for m in node.members] + node.items)


def any_icu(root: jsonscan.Node) -> bool:
    return any(icu_syntax.is_icu(node.value) for node in strings(root))


def protect(source: str) -> tuple[str, ...]:
    """What must come back verbatim besides placeholders.find's: i18next's formatted and
    unescaped interpolations, its nesting, react-i18next's numbered components."""
    found = set(placeholders.find(source))
    interpolations = tuple(m.group() for m in _INTERPOLATION.finditer(source)
                           if m.group() not in found)
    return icu.numbered_tags(source) + interpolations + nestings(source)


def nestings(source: str) -> tuple[str, ...]:
    """Each `$t(...)` with its balanced parentheses."""
    found = []
    start = source.find("$t(")
    while start >= 0:
        depth, pos = 0, start + 2
        while pos < len(source):
            depth += {"(": 1, ")": -1}.get(source[pos], 0)
            pos += 1
            if depth == 0:
                break
        found.append(source[start:pos])
        start = source.find("$t(", pos)
    return tuple(found)


@dataclass(frozen=True)
class PluralRole:
    base: str
    ordinal: bool
    category: str

    @property
    def group(self) -> tuple[str, bool]:
        return self.base, self.ordinal

    def key(self, category: str) -> str:
        return f"{self.base}{'_ordinal' if self.ordinal else ''}_{category}"

    @property
    def droppable(self) -> bool:
        """Whether some target has no such key: `other` is everyone's, and a cardinal `zero`
        is i18next's own for a count of 0."""
        return self.category != "other" and (self.ordinal or self.category != "zero")


def plural_roles(members: list[jsonscan.Member]) -> dict[int, PluralRole]:
    """The members of an object that belong to a plural group (one with an `_other` key)."""
    found = {}
    for index, member in enumerate(members):
        match = _PLURAL_KEY.match(member.key.value)
        if match and member.value.kind == "string":
            found[index] = PluralRole(match["base"], bool(match["ordinal"]), match["category"])
    groups = {role.group for role in found.values() if role.category == "other"}
    return {index: role for index, role in found.items() if role.group in groups}


class JsonWalker:
    """Walks a scanned JSON document in order, adding literals and units to the Builder."""

    def __init__(self, text: str, b: Builder, icu_file: bool = False,
                 dialect: icu.Dialect = icu.ICU):
        self.text, self.b, self.icu_file, self.dialect = text, b, icu_file, dialect
        self.style = jsonscan.style_of(text)
        self.lines = jsonscan.LineIndex(text)
        self.cursor = 0  # everything before it is in the Builder

    def literal_to(self, pos: int) -> None:
        self.b.literal(self.text[self.cursor:pos])
        self.cursor = max(self.cursor, pos)

    def quoted(self, value: str) -> str:
        return '"' + self.style.quote(value) + '"'

    def value(self, node: jsonscan.Node) -> None:
        if node.kind == "string":
            self.message(node)
        elif node.kind == "object":
            self.object(node)
        for item in node.items:
            self.value(item)

    def host(self, node: jsonscan.Node) -> icu.Host:
        first = node.start + 1
        return icu.Host(self.text[first:node.end - 1], self.lines.line(node.start),
                        [offset - first for offset in node.offsets], self.style.quote, protect)

    def message(self, node: jsonscan.Node) -> None:
        """A string value: an ICU message in an ICU file (when it reads as one), else text."""
        self.literal_to(node.start + 1)
        host = self.host(node)
        try:
            if not self.icu_file:
                raise icu_syntax.IcuError("not an ICU file")
            icu.add_message(self.b, node.value, host, self.dialect)
        except icu_syntax.IcuError:
            icu.add_plain(self.b, node.value, host)
        self.cursor = node.end - 1

    def object(self, node: jsonscan.Node) -> None:
        roles = plural_roles(node.members)
        leading = 0  # droppable plural keys first in the object take the separator after them
        while leading in roles and roles[leading].droppable:
            leading += 1
        for index, member in enumerate(node.members):
            role = roles.get(index)
            if role is None or not (role.droppable or role.category == "other"):
                self.value(member.value)
            elif role.category == "other":
                self.other_member(node, index, roles)
            else:
                self.droppable_member(node, index, role, index < leading)
        self.literal_to(node.end)

    def plain(self, node: jsonscan.Node, raw: str, write) -> None:
        """A plural key's value as one unit (or a per-target literal when it has no words):
        `write(the value as written, target)` is what the target gets for `raw`."""
        lead, core, trail = split_ws(node.value)
        source = " ".join(core.split())
        line = self.lines.line(node.start)
        if icu.has_text(source, protect):
            self.b.entry(raw, source, line, placeholders=placeholders.find(source),
                         protected=protect(source), encode=lambda translation, target: write(
                             self.quoted(lead + translation + trail), target))
        else:
            token = self.text[node.start:node.end]
            self.b.for_target(raw, lambda target: write(token, target))

    def droppable_member(self, node: jsonscan.Node, index: int, role: PluralRole,
                         first: bool) -> None:
        """`key_one` and the like, with one separator: the one after it when it comes first
        in its object, else the one before (so that dropping it leaves valid JSON)."""
        member = node.members[index]
        start = member.key.start if first else node.members[index - 1].value.end
        end = node.members[index + 1].key.start if first else member.value.end
        self.literal_to(start)
        head, tail = self.text[start:member.value.start], self.text[member.value.end:end]

        def write(value: str, target: str) -> str:
            wanted = icu.categories(target, "selectordinal" if role.ordinal else "plural")
            keep = wanted is None or role.category in wanted
            return head + value + tail if keep else ""
        self.plain(member.value, self.text[start:end], write)
        self.cursor = end

    def other_member(self, node: jsonscan.Node, index: int, roles: dict[int, PluralRole]) -> None:
        """`key_other`, then the keys of the target's categories the file lacks, copied."""
        members, role = node.members, roles[index]
        member = members[index]
        if index > 0:
            sep = self.text[members[index - 1].value.end:member.key.start]
        else:
            sep = self.text[member.value.end:members[1].key.start] if len(members) > 1 else ", "
        colon = self.text[member.key.end:member.value.start]
        present = {r.category for r in roles.values() if r.group == role.group}
        self.literal_to(member.value.start)

        def write(value: str, target: str) -> str:
            wanted = icu.categories(target, "selectordinal" if role.ordinal else "plural")
            return value + "".join(sep + self.quoted(role.key(category)) + colon + value
                                   for category in icu.CATEGORIES
                                   if category in (wanted or ()) and category not in present)
        self.plain(member.value, self.text[member.value.start:member.value.end], write)
        self.cursor = member.value.end


def bcp47(code: str) -> str:
    """i18next's folders are BCP 47 (`pt-BR`), as llamax's codes are."""
    return code


# --out-dir DIR: DIR/fr/translation.json, i18next-http-backend's locales/{lng}/{ns}.json.
FORMAT = Format("json", parse_i18next, extensions=(".json",), uploads=(".json",), rank=19,
                layout="{lang}/{stem}.json", code_for=bcp47)
