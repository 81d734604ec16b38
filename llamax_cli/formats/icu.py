"""ICU MessageFormat messages (`{count, plural, one {# item} other {# items}}`, `select`,
`selectordinal`, nested ones, `=0` exact branches, `#`, apostrophe quoting), as the JSON formats
hold them (formats/i18next.py, formats/arb.py): the structure is kept byte for byte and each
piece of text is a unit.

- A run of text between structural pieces is one unit: a branch's text, the text before or after
  an argument. Simple arguments in it (`{name}`, `{n, number}`) and `#` reach the model as brace
  placeholders (`{name}`, `{n}`, `#` as `{count}`: the plural's own argument) that the pipeline
  checks (formats/placeholders.py), and are written back as they were.
- For the target language, a plural's branches are its CLDR categories (Babel:
  `Locale.parse(code).plural_form`, `ordinal_form` for selectordinal): a category the target
  lacks is dropped, one it has and the message lacks is written from the `other` branch's
  translation, and `=N` exact branches stay. What cannot be dropped safely stays: a branch with
  nested arguments, and a branch whose unit keeps its source (the pipeline writes `raw`), which
  ICU formatters never select in that language. An `other` that keeps its source, or holds
  nested arguments, gets no copies (the message then falls back to `other`, as every formatter
  does for a category it lacks).
- Quoting (dialect ICU, as ICU4J and formatjs read it, formats/icu_syntax.py): `''` is an
  apostrophe and `'{…}'` quoted text; a translation is written back quoted where it must be.
  Flutter's gen_l10n reads apostrophes as text by default (`use-escaping: false`; braces that are
  no placeholder cannot be written there, and are left out), and its `zero`, `one`, `two` are
  exact (Dart's Intl.plural tests n == 0, 1, 2 first; `=0`, `=1`, `=2` fill them): FLUTTER.

`add_message` adds one message to a Builder (`add_plain` a message with no ICU reading);
`Host` says where the message sits in its file (a JSON string's escapes and all).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from babel import Locale, UnknownLocaleError

from llamax_cli.formats import placeholders
from llamax_cli.formats.document import Builder, has_words, split_ws
from llamax_cli.formats.icu_syntax import (Arg, Branch, Choice, Element, IcuError, Lit, parse,
                                            quote_text)

CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order
_NUMBERED_TAG = re.compile(r"</?\d+\s*/?>")


@dataclass(frozen=True)
class Dialect:
    quoting: bool  # apostrophes quote syntax characters
    exact_zero: bool  # `zero` means n == 0 in every language, not CLDR's category
    aliases: dict = field(default_factory=dict)  # exact selectors that fill a category


ICU = Dialect(quoting=True, exact_zero=False)
FLUTTER = Dialect(quoting=False, exact_zero=True, aliases={"=0": "zero", "=1": "one", "=2": "two"})


@functools.lru_cache(maxsize=None)
def categories(target: str, kind: str = "plural") -> Optional[frozenset[str]]:
    """The CLDR categories of `target` (llamax's code: fr, pt-BR, zh-Hant) for a plural or a
    selectordinal; None where Babel knows neither the language nor its base language."""
    for code in (target, target.split("-")[0]):
        try:
            locale = Locale.parse(code, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
        form = locale.ordinal_form if kind == "selectordinal" else locale.plural_form
        return frozenset(form.tags) | {"other"}
    return None


def numbered_tags(source: str) -> tuple[str, ...]:
    """react-i18next's `<0>…</0>` components, which placeholders.find does not see."""
    return tuple(_NUMBERED_TAG.findall(source))


@dataclass
class Host:
    """Where a message is written: `raw` the message as the file has it; `offsets` the offset in
    `raw` of each character of the message, then of its end (None: `raw` is the message);
    `escape` writes text in the file's syntax (a JSON string's escapes)."""
    raw: str
    line: int
    offsets: Optional[Sequence[int]] = None
    escape: Callable[[str], str] = str
    protect: Callable[[str], tuple[str, ...]] = numbered_tags

    def span(self, start: int, end: int) -> str:
        if self.offsets is None:
            return self.raw[start:end]
        return self.raw[self.offsets[start]:self.offsets[end]]


def has_text(source: str, protect: Callable[[str], tuple[str, ...]] = numbered_tags) -> bool:
    """Whether a message has words besides its placeholders (`{hours}h` has; `{a} {b}` not)."""
    for span in placeholders.find(source) + protect(source):
        source = source.replace(span, " ")
    return has_words(source)


def add_plain(b: Builder, message: str, host: Host) -> None:
    """A message with no ICU reading (i18next's own `{{name}}` syntax): one unit."""
    lead, core, trail = split_ws(message)
    source = " ".join(core.split())
    if not has_text(source, host.protect):
        b.literal(host.raw)
        return
    b.entry(host.raw, source, host.line,
            encode=lambda translation, target: host.escape(lead + translation + trail),
            placeholders=placeholders.find(source), protected=host.protect(source))


def add_message(b: Builder, message: str, host: Host, dialect: Dialect = ICU) -> None:
    """An ICU message: its structure as literals (per target where a plural's categories
    depend on it), each run of text a unit. IcuError where it does not parse."""
    elements = parse(message, dialect.quoting)
    emitter = _Emitter(b, message, host, dialect)
    emitter.elements(elements, None)
    emitter.literal_to(len(message))


@dataclass
class RunText:
    """A run of message text as the model gets it, and how a translation is written back."""
    source: str
    lead: str
    trail: str
    tokens: dict[str, str]  # placeholder as the model sees it -> its text in the message
    plural: bool  # inside a plural branch: a `#` in a translation must be quoted
    dialect: Dialect
    escape: Callable[[str], str]

    def write(self, translation: str) -> str:
        out, pos = [], 0
        if self.tokens:
            pattern = "|".join(map(re.escape, sorted(self.tokens, key=len, reverse=True)))
            for match in re.finditer(pattern, translation):
                out.append(self.quote(translation[pos:match.start()]))
                out.append(self.tokens[match.group()])
                pos = match.end()
        out.append(self.quote(translation[pos:]))
        return self.escape(self.lead + "".join(out) + self.trail)

    def quote(self, text: str) -> str:
        if not self.dialect.quoting:  # Flutter: braces cannot be written as text at all
            return text.replace("{", "").replace("}", "")
        return quote_text(text, self.plural)


def run_text(run: list[Element], message: str, plural_name: Optional[str], dialect: Dialect,
             escape: Callable[[str], str]) -> RunText:
    literal = "".join(e.value for e in run if isinstance(e, Lit))
    tokens: dict[str, str] = {}
    parts = []
    for element in run:
        if isinstance(element, Lit):
            parts.append(element.value)
            continue
        name = element.name if isinstance(element, Arg) else (plural_name or "n")
        original = message[element.start:element.end] if isinstance(element, Arg) else "#"
        parts.append(_token(name, original, tokens, literal))
    lead, core, trail = split_ws("".join(parts))
    return RunText(" ".join(core.split()), lead, trail, tokens, plural_name is not None,
                   dialect, escape)


def _token(name: str, original: str, tokens: dict[str, str], literal: str) -> str:
    """A brace placeholder for an argument (or `#`), the same for the same text and unlike
    any other in the run or its text."""
    for k in range(1, 1000):
        token = "{" + name + (str(k) if k > 1 else "") + "}"
        if tokens.get(token) == original or (token not in tokens and token not in literal):
            tokens[token] = original
            return token
    raise IcuError(f"too many arguments named {name!r}")


class _Emitter:
    """Walks a parsed message, adding its literals and units to the Builder in order."""

    def __init__(self, b: Builder, message: str, host: Host, dialect: Dialect):
        self.b, self.message, self.host, self.dialect = b, message, host, dialect
        self.cursor = 0  # in the message; everything before it is in the Builder

    def literal_to(self, pos: int) -> None:
        self.b.literal(self.host.span(self.cursor, pos))
        self.cursor = max(self.cursor, pos)

    def elements(self, elements: list[Element], plural_name: Optional[str]) -> None:
        run: list[Element] = []
        for element in elements:
            if isinstance(element, Choice):
                self.run(run, plural_name)
                run = []
                self.choice(element)
            else:
                run.append(element)
        self.run(run, plural_name)

    def text(self, run: list[Element], plural_name: Optional[str]) -> RunText:
        return run_text(run, self.message, plural_name, self.dialect, self.host.escape)

    def unit(self, start: int, end: int, rt: RunText, encode) -> None:
        self.literal_to(start)
        self.b.entry(self.host.span(start, end), rt.source, self.host.line, encode=encode,
                     placeholders=placeholders.find(rt.source),
                     protected=self.host.protect(rt.source))
        self.cursor = end

    def run(self, run: list[Element], plural_name: Optional[str]) -> None:
        if run:
            rt = self.text(run, plural_name)
            if has_text(rt.source, self.host.protect):
                self.unit(run[0].start, run[-1].end, rt,
                          lambda translation, target: rt.write(translation))

    def choice(self, choice: Choice) -> None:
        if choice.kind == "select":
            for branch in choice.branches:
                self.elements(branch.body, None)
            return
        present = {self.dialect.aliases.get(b.selector, b.selector) for b in choice.branches}
        for branch in choice.branches:
            category = branch.selector
            simple = not any(isinstance(e, Choice) for e in branch.body)
            if category == "other" and simple:
                self.other_branch(choice, branch, present)
            elif simple and self.droppable(category, choice.kind):
                self.droppable_branch(choice, branch)
            else:
                self.elements(branch.body, choice.name)

    def droppable(self, category: str, kind: str) -> bool:
        if category not in CATEGORIES or category == "other":
            return False
        return not (category == "zero" and kind == "plural" and self.dialect.exact_zero)

    def branch_unit(self, choice: Choice, branch: Branch, write: Callable[[str, str], str]):
        """The branch as one part, from the whitespace before its selector to its `}`:
        `write(body as written, target)` gives what the target gets."""
        head = self.host.span(branch.ws_start, branch.open + 1)
        tail = self.host.span(branch.end - 1, branch.end)
        raw_body = self.host.span(branch.open + 1, branch.end - 1)
        rt = self.text(branch.body, choice.name)
        if has_text(rt.source, self.host.protect):
            self.unit(branch.ws_start, branch.end, rt, lambda translation, target: write(
                head + rt.write(translation) + tail, target))
        else:
            self.literal_to(branch.ws_start)
            self.b.for_target(head + raw_body + tail, lambda target: write(
                head + raw_body + tail, target))
            self.cursor = branch.end

    def droppable_branch(self, choice: Choice, branch: Branch) -> None:
        def write(written: str, target: str) -> str:
            wanted = categories(target, choice.kind)
            return written if wanted is None or branch.selector in wanted else ""
        self.branch_unit(choice, branch, write)

    def other_branch(self, choice: Choice, branch: Branch, present: set[str]) -> None:
        """`other`, then the target's categories the message lacks, copied from it."""
        spaces = [self.host.span(b.ws_start, b.start) for b in [branch] + choice.branches]
        sep = next((space for space in spaces if space), " ")  # before each copy
        gap = self.host.span(branch.start + len(branch.selector), branch.open)
        body_at = len(self.host.span(branch.ws_start, branch.open + 1))

        def write(written: str, target: str) -> str:
            wanted = categories(target, choice.kind) or frozenset()
            body = written[body_at:]  # through the closing brace
            return written + "".join(f"{sep}{category}{gap}{{{body}" for category in CATEGORIES
                                     if category in wanted and category not in present)
        self.branch_unit(choice, branch, write)
