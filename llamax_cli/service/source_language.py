"""Which language a document is in, for `--from auto`: once for the whole document, or per
unit when the document is mixed.

The policy serves the user: text with letters is never refused. A sure answer is used and
reported; a weak one is used and said to be weak, unless the user set a default source
language (`config set from`, LLAMAX_FROM), which then wins. A document whose units are in
different scripts, whose overall answer is weak, or where a long unit is surely in another
language than the whole, is detected unit by unit: each unit takes its own answer when that
is sure, and the document's otherwise (a short line such as "OK" says little on its own).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.languages import Language
from llamax_cli.formats.segment import Document

if TYPE_CHECKING:  # the detector (numpy, its tables) loads when something is detected
    from llamax_cli.lid.detect import Detection

SAMPLE = 10_000  # characters: plenty to tell a language, cheap on a whole book
_SCRIPT_LETTERS = 8  # a unit with fewer letters does not vote on the document's scripts
# A paragraph in another language than the document's: a whole document's answer is sure from
# its first paragraphs on, so "English, then French, then Spanish" read as English at 94%.
# Units spread over the document are checked; one this long, this sure of another language,
# makes the document mixed. Not a close neighbour: 6 of 20 Bosnian NTREX sentences are
# "surely" Croatian on their own, and the Bosnian document was called mixed.
_PROBE_UNITS = 64
_PROBE_LETTERS = 40
_PROBE_CONFIDENCE = 0.9


@dataclass
class Choice:
    language: Optional[Language]  # None: nothing in the document needs translating
    detection: Optional[Detection] = None
    per_unit: Optional[list[Language]] = None  # set when the document is mixed


def choose(doc: Document, label: str, default: Optional[str],
           note: Callable[[str], None], undetected: Optional[Language] = None) -> Choice:
    """The source language(s) of `doc`, detected; `default` is the user's `from` setting.
    Units in which detection finds nothing to go by (no script it knows) are an error naming
    `label`, unless `undetected` says which language to assume. (Callers go through
    service.translator.Translator.choose_source, the one place that decides.)"""
    if not doc.units:
        return Choice(None)
    # numpy and the detector's tables: only when a document is detected (not for --from)
    from llamax_cli.lid.detect import detect, locale_hint

    locale = locale_hint()
    found = detect(_sample(doc), locale=locale)
    if found.language is None:
        if undetected is not None:
            return Choice(undetected, found)
        raise LlamaxError(f"cannot tell the language of {label}; name it with --from")
    if len(doc.units) > 1 and (not found.reliable or _scripts_differ(doc)
                               or _another_language_inside(doc, found, locale)):
        mixed = _per_unit(doc, found, default, locale)
        if mixed is not None:
            counts = collections.Counter(lang.name for lang in mixed.per_unit)
            summary = ", ".join(f"{name} {n}" for name, n in counts.most_common(5))
            note(f"{label}: mixed languages, detected unit by unit ({summary})")
            return mixed
    if found.reliable:
        note(f"{label}: detected {found.language.name} ({found.language.code}), "
             f"confidence {found.confidence:.0%}")
        return Choice(found.language, found)
    if default is not None:
        lang = languages.resolve(default)
        note(f"{label}: detection unsure (best guess {found.language.name}, "
             f"{found.confidence:.0%}); using your default source language {lang.name}")
        return Choice(lang, found)
    note(f"{label}: detected {found.language.name} ({found.language.code}) "
         f"(low confidence; --from to be sure)")
    return Choice(found.language, found)


def _sample(doc: Document) -> str:
    """The translatable text only (not code, markup or timings), up to SAMPLE characters."""
    sample, size = [], 0
    for unit in doc.units:
        sample.append(unit.source)
        size += len(unit.source) + 1
        if size >= SAMPLE:
            break
    return "\n".join(sample)


def _main_script(text: str) -> Optional[str]:
    from llamax_cli.lid import features  # numpy: only when a document is detected

    counts = features.scripts(features.codepoints(text))
    if counts.sum() < _SCRIPT_LETTERS:
        return None
    return features.SCRIPTS[int(counts.argmax())]


def _scripts_differ(doc: Document) -> bool:
    seen: set[str] = set()
    size = 0
    for unit in doc.units:
        script = _main_script(unit.source)
        if script is not None:
            seen.add(script)
            if len(seen) > 1:
                return True
        size += len(unit.source)
        if size >= 10 * SAMPLE:  # a long document: its first 100k characters decide
            break
    return False


def _another_language_inside(doc: Document, found: Detection, locale: Optional[str]) -> bool:
    """Whether a long unit, among up to _PROBE_UNITS spread over the document, is surely in
    another language than the document's answer."""
    # numpy and the detector's tables: only when a document is detected
    from llamax_cli.lid.detect import close_languages, detect

    near = close_languages(found.language.code)
    step = max(len(doc.units) // _PROBE_UNITS, 1)
    for unit in doc.units[::step][:_PROBE_UNITS]:
        if sum(ch.isalpha() for ch in unit.source) < _PROBE_LETTERS:
            continue
        answer = detect(unit.source, locale=locale)
        if (answer.language is not None and answer.language != found.language
                and answer.language.code not in near and answer.confidence >= _PROBE_CONFIDENCE):
            return True
    return False


def _per_unit(doc: Document, found: Detection, default: Optional[str],
              locale: Optional[str]) -> Optional[Choice]:
    """Each unit's language, or None when they all turn out to be one. A unit too short to
    tell takes the user's default, else the language most sure units are in."""
    from llamax_cli.lid.detect import detect  # numpy: only when a document is detected

    answers = [detect(unit.source, locale=locale) for unit in doc.units]
    sure = collections.Counter(a.language for a in answers if a.reliable)
    if len(sure) < 2:
        return None
    fallback = languages.resolve(default) if default else sure.most_common(1)[0][0]
    per_unit = [a.language if a.reliable else fallback for a in answers]
    return Choice(fallback, found, per_unit)
