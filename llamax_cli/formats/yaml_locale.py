"""YAML locale files, Rails style (`en:` as the root key, nested keys, plural hashes): every
string value is translated, and every other byte stays as it was (comments, key order,
indentation, anchors and aliases, blank lines, the quoting of untouched values).

- ruamel.yaml reads the file (a file it refuses is refused, in one line) and gives each
  scalar's exact span; the output replaces only the spans of translated values.
- A unit is a string value: plain, 'single' or "double" quoted (the model gets the value
  unescaped, on one line: its inner line breaks become spaces), or a block scalar. A `|`
  literal block is one unit per line: its line breaks are part of the value (an e-mail
  body, an address), and each line translated back as one line keeps them exactly. A `>`
  folded block is one unit per paragraph, written on one line: YAML joins a paragraph's
  lines with spaces, so a line is no unit of meaning. Keys, booleans, numbers, nulls,
  aliases, Ruby symbols (`:year`), tagged values and values made only of format directives
  (`"%Y-%m-%d"`) are kept.
- A translation keeps its value's quoting where that stays valid YAML with the same string
  (for Psych's YAML 1.1 too: `yes`, `no`, `on` are booleans there); otherwise it is
  written double-quoted, escaped. Block scalars keep their header and indentation.
- A root key that is a language code (`en:`, `"en":`) becomes the target's, as Rails
  writes it (`pt-BR`, `zh-TW`).
- A plural hash (a mapping whose keys are all CLDR categories, as rails-i18n has it) gets
  the target's categories (babel): the ones it lacks are dropped (`zero` is kept: Rails
  uses it for a count of 0 in every language), the missing ones are added after the last
  with the translation of `other`. A category whose translation failed keeps its source.
- Placeholders must survive: `%{count}` (and the `<name>` of `%<name>s`) are checked by the
  pipeline (placeholders.find); a translation that changes a Ruby directive whole
  (`%<count>d`, strftime's `%B`) keeps its source, in `encode`.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Callable

from babel import Locale, UnknownLocaleError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml import events as ev

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.document import Builder, Document, Format, has_words
from llamax_cli.formats.yaml_scalars import STRING_TAG, clean, reads_as_string, write_scalar

CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order
# Ruby format directives placeholders.find does not know: `%<name>s` (it sees `<name>` as
# markup) and strftime's `%B`, `%Y`; a translation must keep them as its source has them.
_DIRECTIVE = re.compile(r"%<[A-Za-z_]\w*>[-+ 0#]*\d*(?:\.\d+)?[A-Za-z]|%[-_0^#:]*[A-Za-z]")
_LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_RAILS_CODES = {"zh": "zh-CN", "zh-Hant": "zh-TW", "no": "nb"}  # rails-i18n's file names


@dataclass
class Node:
    """A scalar, alias, mapping or sequence of the event stream, with its span in the text."""
    event: ev.Event
    start: int
    end: int = 0
    in_flow: bool = False  # inside a flow collection: a plain scalar may not hold , [ ] { }
    children: list["Node"] = field(default_factory=list)  # a mapping: key, value, key, ...

    @property
    def is_map(self) -> bool:
        return isinstance(self.event, ev.MappingStartEvent)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.event, ev.ScalarEvent)


def parse_yaml(text: str) -> Document:
    roots = _tree(text)
    spans: list[tuple[int, int, Callable[[Builder], None]]] = []
    b = Builder("yaml")
    if roots:
        _root_key(text, roots[0], spans)
    for root in roots:
        _walk(text, root, spans, b)
    position = 0
    for start, end, add in sorted(spans, key=lambda span: span[0]):
        b.literal(text[position:start])
        add(b)
        position = end
    b.literal(text[position:])
    return b.finish()


def _tree(text: str) -> list[Node]:
    """The documents' root nodes, after ruamel.yaml has read the whole file."""
    yaml = YAML(typ="rt")
    try:
        for _ in yaml.load_all(text):
            pass
        stream = iter(yaml.parse(text))
        return [_node(stream, event, False) for event in stream
                if not isinstance(event, (ev.StreamStartEvent, ev.StreamEndEvent,
                                          ev.DocumentStartEvent, ev.DocumentEndEvent))]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        why = exc.problem or exc.context or "unreadable"
        raise LlamaxError(f"not a valid YAML file: {' '.join(why.split())}{where}") from None
    except (YAMLError, ValueError, TypeError) as exc:  # a reader error, a bad !!int, a date
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise LlamaxError(f"not a valid YAML file: {why}") from None


def _node(stream, event: ev.Event, in_flow: bool) -> Node:
    node = Node(event, event.start_mark.index, event.end_mark.index, in_flow)
    if isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
        node.in_flow = in_flow or bool(event.flow_style)
        for child in stream:
            if isinstance(child, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                node.end = child.end_mark.index
                break
            node.children.append(_node(stream, child, node.in_flow))
    return node


def _walk(text: str, node: Node, spans: list, b: Builder) -> None:
    """The spans of `node`'s translatable values (its keys are left alone)."""
    if node.is_map:
        pairs = list(zip(node.children[::2], node.children[1::2]))
        keys = [key.event.value if key.is_scalar else None for key, _ in pairs]
        if pairs and all(key in CATEGORIES for key in keys):
            if _plural_span(text, pairs, spans):
                return
            b.warn(pairs[0][0].event.start_mark.line + 1, "a plural hash written in a way "
                   "whose categories cannot be set for the target: translated as it is")
        for _, value in pairs:
            _walk(text, value, spans, b)
    elif node.children:
        for item in node.children:
            _walk(text, item, spans, b)
    elif _is_text(node):
        start = _token_start(text, node)
        if node.event.style in ("|", ">"):
            spans.append((start, node.end, lambda b: _block(b, text, node, start)))
        else:
            spans.append((start, node.end, lambda b: _flow_scalar(b, text, node, start)))


def _is_text(node: Node) -> bool:
    """A string value: not a number, boolean, null, Ruby symbol, alias or tagged value."""
    event = node.event
    if not node.is_scalar or event.tag not in (None, "!", STRING_TAG):
        return False
    # a plain `:year` is a Ruby symbol to Psych
    return not (event.style is None and event.tag is None
                and (event.value.startswith(":") or not reads_as_string(event.value)))


def _token_start(text: str, node: Node) -> int:
    """Where the scalar itself starts, after its anchor (`&name`) and tag (`!!str`)."""
    position = node.start
    while text[position] in "&!":
        while position < node.end and not text[position].isspace():
            position += 1
        while position < node.end and text[position].isspace():
            position += 1
    return position


# -- values -----------------------------------------------------------------------------------

def _message(value: str) -> tuple[str, str, str]:
    """(leading whitespace, the value on one line, trailing whitespace)."""
    core = value.strip()
    lead = value[:len(value) - len(value.lstrip())]
    return lead, " ".join(core.split()), value[len(lead) + len(core):]


def is_language(source: str) -> bool:
    """Whether `source` holds words once its placeholders and format directives are out."""
    for found in placeholders.find(source):
        source = source.replace(found, " ")
    return has_words(_DIRECTIVE.sub(" ", source))


def keeps_directives(source: str, translation: str) -> bool:
    return (collections.Counter(_DIRECTIVE.findall(source))
            == collections.Counter(_DIRECTIVE.findall(translation)))


def _flow_scalar(b: Builder, text: str, node: Node, start: int) -> None:
    lead, source, trail = _message(node.event.value.replace("\a", ""))  # \a: ruamel's folds
    style, in_flow = node.event.style, node.in_flow
    _unit(b, text[start:node.end], source, node.event.start_mark.line + 1,
          lambda translation: write_scalar(lead + clean(translation) + trail, style, in_flow))


def _unit(b: Builder, raw: str, source: str, line: int, write: Callable[[str], str]) -> None:
    """A unit for `source` (literal when it holds no words), whose translation is written by
    write(translation); one that drops a Ruby format directive keeps its source."""
    if not is_language(source):
        b.literal(raw)
        return

    def encode(translation: str, target: str) -> str:
        return write(translation) if keeps_directives(source, translation) else raw

    b.entry(raw, source, line, encode=encode, placeholders=placeholders.find(source))


def _block(b: Builder, text: str, node: Node, start: int) -> None:
    """A `|` or `>` block: its header kept, a unit per line (`|`) or paragraph (`>`)."""
    header_end = text.find("\n", start, node.end) + 1 or node.end
    lines = text[header_end:node.end].splitlines(keepends=True)
    offsets = list(itertools.accumulate([len(line) for line in lines], initial=header_end))
    bodies = [line.rstrip("\r\n") for line in lines]
    filled = [body for body in bodies if body.strip()]
    if not filled or any(char.isdigit() for char in text[start:header_end].split("#")[0]):
        b.literal(text[start:node.end])  # an explicit indentation indicator: kept (rare)
        return
    indent = len(filled[0]) - len(filled[0].lstrip(" "))
    first_line = node.event.start_mark.line + 2
    cursor = start
    for first, last in _paragraphs(bodies, indent, folded=node.event.style == ">"):
        body_start = offsets[first] + len(bodies[first]) - len(bodies[first].lstrip(" \t"))
        body_end = offsets[last] + len(bodies[last].rstrip(" \t"))
        b.literal(text[cursor:body_start])
        raw = text[body_start:body_end]
        _unit(b, raw, " ".join(raw.split()), first_line + first,
              lambda translation, raw=raw: clean(translation).strip() or raw)
        cursor = body_end
    b.literal(text[cursor:node.end])


def _paragraphs(bodies: list[str], indent: int, folded: bool) -> list[tuple[int, int]]:
    """Line ranges of the block's units: each filled line (`|`, or a `>` line indented
    more, which YAML does not fold), or each run of filled lines at the indent (`>`)."""
    pieces: list[tuple[int, int]] = []
    joinable = False
    for index, body in enumerate(bodies):
        if not body.strip():
            joinable = False
            continue
        at_indent = body[indent:indent + 1] not in (" ", "\t")
        if folded and at_indent and joinable:
            pieces[-1] = (pieces[-1][0], index)
        else:
            pieces.append((index, index))
        joinable = folded and at_indent
    return pieces


# -- the root key -----------------------------------------------------------------------------

def is_language_code(key: str) -> bool:
    """`en`, `pt-BR`, `zh_TW`: a code CLDR knows (as Rails locales are named)."""
    if not _LANGUAGE_KEY.fullmatch(key):
        return False
    try:
        Locale.parse(key.replace("_", "-"), sep="-")
    except (ValueError, UnknownLocaleError):
        return False
    return True


def rails_code(code: str) -> str:
    """llamax's language code as a Rails locale names it: pt-BR as is, zh-Hant zh-TW."""
    return _RAILS_CODES.get(code, code)


def _root_key(text: str, root: Node, spans: list) -> None:
    """The root key `en:` (of a mapping with that one key) becomes the target's code."""
    if not root.is_map or len(root.children) != 2:
        return
    key, value = root.children
    if not (key.is_scalar and key.event.style in (None, "'", '"') and value.is_map
            and not key.event.anchor and is_language_code(key.event.value)):
        return
    raw, style = text[key.start:key.end], key.event.style
    spans.append((key.start, key.end, lambda b: b.for_target(
        raw, lambda target: write_scalar(rails_code(target), style))))


# -- plural hashes ----------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def plural_categories(code: str) -> tuple[str, ...]:
    """The CLDR plural categories of a language, in CLDR's order (babel; `other` always)."""
    try:
        tags = Locale.parse(code.replace("_", "-"), sep="-").plural_form.tags
    except (ValueError, UnknownLocaleError):
        tags = {"one"}
    return tuple(category for category in CATEGORIES if category in tags or category == "other")


def _keeps(category: str, target: str) -> bool:
    return category == "zero" or category in plural_categories(target)


def _plural_span(text: str, pairs: list[tuple[Node, Node]], spans: list) -> bool:
    """The span of a plural hash whose items can each be written or dropped as whole lines
    (a block mapping, one key per line, one-line-style values without anchors or aliases);
    False when it is not one of those."""
    for key, value in pairs:
        if (key.in_flow or not value.is_scalar or value.event.style in ("|", ">")
                or value.event.anchor or text[_line_start(text, key.start):key.start].strip()):
            return False
    starts = [_line_start(text, key.start) for key, _ in pairs]
    end = _line_end(text, pairs[-1][1].end)
    regions = list(zip(starts, starts[1:] + [end]))
    spans.append((starts[0], end, lambda b: _plural(b, text, pairs, regions)))
    return True


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    """Just after the line break that ends the line of `position` (the text's end if none)."""
    found = text.find("\n", position)
    return len(text) if found < 0 else found + 1


def _plural(b: Builder, text: str, pairs: list[tuple[Node, Node]],
            regions: list[tuple[int, int]]) -> None:
    """Each category's lines (a unit when its value is text, kept or dropped per target),
    then the target's missing categories, written with `other`'s translation."""
    written: dict[str, dict[str, str]] = {}  # target -> category -> its value, as written
    categories = [key.event.value for key, _ in pairs]
    donor = "other" if "other" in categories else categories[-1]
    for (key, value), (start, end) in zip(pairs, regions):
        category, region = key.event.value, text[start:end]
        token = _token_start(text, value)
        before, after = text[start:token], text[value.end:end]
        lead, source, trail = _message(value.event.value)
        if not (_is_text(value) and is_language(source)):
            b.for_target(region, lambda target, c=category, r=region: r if _keeps(c, target)
                         else "")
            continue
        b.entry(region, source, value.event.start_mark.line + 1,
                encode=_plural_encoder(written, category, region, before, after,
                                       (lead, source, trail), value),
                placeholders=placeholders.find(source))
    donor_value = next(text[_token_start(text, value):value.end]
                       for key, value in pairs if key.event.value == donor)
    indent = text[regions[0][0]:_token_start(text, pairs[0][0])]
    newline = "\r\n" if text[:regions[-1][1]].endswith("\r\n") else "\n"
    ends_line = text[:regions[-1][1]].endswith("\n")

    def missing(target: str) -> str:
        value = written.pop(target, {}).get(donor, donor_value)
        lines = [f"{indent}{category}: {value}" for category in plural_categories(target)
                 if category not in categories]
        if ends_line:
            return "".join(line + newline for line in lines)
        return "".join(newline + line for line in lines)

    b.for_target("", missing)


def _plural_encoder(written: dict, category: str, region: str, before: str, after: str,
                    message: tuple[str, str, str], value: Node) -> Callable[[str, str], str]:
    lead, source, trail = message

    def encode(translation: str, target: str) -> str:
        if not keeps_directives(source, translation):
            return region if _keeps(category, target) else ""
        scalar = write_scalar(lead + clean(translation) + trail, value.event.style)
        written.setdefault(target, {})[category] = scalar
        return before + scalar + after if _keeps(category, target) else ""

    return encode


# -- the format -------------------------------------------------------------------------------

def rails_layout(stem: str, code: str) -> str:
    """Where --out-dir puts a target's file, as Rails apps name them: `en.yml` -> `fr.yml`,
    `devise.en.yml` -> `devise.fr.yml`, `messages.yml` -> `messages.fr.yml`."""
    if is_language_code(stem):
        return f"{code}.yml"
    base, _, last = stem.rpartition(".")
    return f"{base if base and is_language_code(last) else stem}.{code}.yml"


def looks_like_locale(text: str) -> bool:
    """The first line that is not blank, a comment, `---` or a directive is a language code
    as a root key (`en:`), as a Rails locale starts."""
    for line in text.lstrip("\ufeff").splitlines()[:50]:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "%")) or stripped == "---":
            continue
        match = re.fullmatch(r"""(["']?)([A-Za-z_-]+)\1:\s*(?:#.*)?""", line)
        return bool(match) and is_language_code(match.group(2))
    return False


# --out-dir DIR: DIR/fr.yml for en.yml, DIR/devise.fr.yml for devise.en.yml, as Rails apps
# name them (a pattern cannot say that: rails_layout does).
FORMAT = Format("yaml", parse_yaml, extensions=(".yml", ".yaml"), uploads=(".yml", ".yaml"),
                signature=looks_like_locale, rank=18, layout=rails_layout,
                code_for=rails_code)
