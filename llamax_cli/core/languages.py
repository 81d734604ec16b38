"""The 102 LLaMAX languages, as data, and the resolution of whatever a user calls them.

The table lives in data/languages.csv (derived from the LLaMAX paper's language list).
LLaMAX's own ids have quirks that we map explicitly: `ns` for Northern Sotho, `ku` for
Sorani, `zho` for both Chinese scripts.
"""

from __future__ import annotations

import csv
import difflib
import functools
from dataclasses import dataclass
from importlib.resources import files

from llamax_cli.core.errors import UsageError


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1 where it exists, else 639-3; zh / zh-Hant for the two Chinese scripts
    name: str  # English name shown to users
    prompt_name: str  # English name used in the LLaMAX prompt (the reference evaluation's)
    llamax_id: str
    iso639_1: str
    iso639_3: str
    flores101: str
    flores200: str
    bcp47: str
    script: str


# Spellings that neither the table nor langcodes maps onto the right row.
_ALIASES = {
    "zh-cn": "zh", "zh-sg": "zh", "zh-hans": "zh", "zh-hans-cn": "zh", "cmn": "zh",
    "chinese": "zh", "simplified chinese": "zh", "chinese simplified": "zh", "mandarin": "zh",
    "zho": "zh", "chi": "zh",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant-tw": "zh-Hant",
    "traditional chinese": "zh-Hant", "chinese traditional": "zh-Hant",
    "fil": "tl", "tagalog": "tl", "filipino (tagalog)": "tl",
    "nb": "no", "nob": "no", "bokmal": "no", "bokmål": "no", "norwegian bokmal": "no",
    "norwegian bokmål": "no",
    "ku": "ckb", "sorani": "ckb", "central kurdish": "ckb", "kurdish": "ckb", "kurdish (sorani)": "ckb",
    "ns": "nso", "sepedi": "nso", "pedi": "nso", "sesotho sa leboa": "nso",
    "pt-br": "pt", "pt-pt": "pt", "brazilian portuguese": "pt", "portuguese (brazil)": "pt",
    "es-419": "es", "es-mx": "es", "spanish (latin american)": "es", "castilian": "es",
    "farsi": "fa", "pes": "fa", "prs": "fa",
    "swh": "sw", "swa": "sw", "zsm": "ms", "arb": "ar", "azj": "az", "khk": "mn", "npi": "ne",
    "nep": "ne", "gaz": "om", "pbt": "ps", "uzn": "uz", "lvs": "lv", "ekk": "et", "fuv": "ff",
    "odia": "or", "ory": "or", "panjabi": "pa", "myanmar": "my", "kirghiz": "ky", "bangla": "bn",
    "chichewa": "ny", "chewa": "ny", "luganda": "lg", "fula": "ff", "fulani": "ff",
    "cape verdean creole": "kea", "kabuverdianu": "kea", "dholuo": "luo", "letzeburgesch": "lb",
    "maori": "mi", "māori": "mi", "gaelic": "ga",
}


@functools.lru_cache(maxsize=1)
def all_languages() -> tuple[Language, ...]:
    text = files("llamax_cli").joinpath("data/languages.csv").read_text(encoding="utf-8")
    return tuple(Language(**row) for row in csv.DictReader(text.splitlines()))


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, Language]:
    by_code = {lang.code: lang for lang in all_languages()}
    index: dict[str, Language] = {}
    for lang in all_languages():
        keys = (lang.code, lang.name, lang.prompt_name, lang.iso639_3, lang.flores101,
                lang.flores200, lang.bcp47, lang.iso639_1)
        for key in keys:
            # The two Chinese rows share iso codes; the first (Simplified) keeps them.
            index.setdefault(_norm(key), lang)
    for alias, code in _ALIASES.items():
        index[_norm(alias)] = by_code[code]
    index.pop("", None)
    return index


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", "-").split())


def find(query: str) -> Language | None:
    """The language a spelling names, or None. Never raises."""
    if not _is_text(query):
        return None
    key = _norm(query)
    if not key:
        return None
    hit = _index().get(key)
    if hit is not None:
        return hit
    return _find_with_langcodes(query)


def _find_with_langcodes(query: str) -> Language | None:
    """BCP-47 tags with regions or scripts (de-AT, sr-Latn) and names in other languages (Deutsch)."""
    import langcodes  # slow import: only on the rare path

    try:
        tag = langcodes.Language.get(query.strip())
    except (ValueError, LookupError):
        try:
            tag = langcodes.find(query.strip())
        except LookupError:
            return None
    if not tag.language:
        return None
    if tag.language == "zh":
        script = tag.maximize().script
        return _index()["zh-hant" if script == "Hant" else "zh"]
    try:
        keys = (tag.language, tag.to_alpha3())
    except LookupError:
        keys = (tag.language,)
    for key in keys:
        hit = _index().get(_norm(key))
        if hit is not None:
            return hit
    return None


def _is_text(query: str) -> bool:
    """False for an argument with bytes that are not UTF-8 (lone surrogates in Python)."""
    try:
        query.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def resolve(query: str, *, option: str = "language") -> Language:
    """Resolve a user's spelling or raise a UsageError that helps them fix it."""
    if not _is_text(query):
        raise UsageError(f"the {option} {query!r} is not UTF-8 text")
    lang = find(query)
    if lang is not None:
        return lang
    outside = _name_outside_llamax(query)
    hints = suggest(query)
    if outside:
        # "Sotho" is Southern Sotho to langcodes; Northern Sotho is one of ours: offer it.
        near = [h for h in hints if not h.startswith(outside)]
        also = f"; did you mean {', '.join(near)}?" if near else " (see `llamax languages`)"
        raise UsageError(f"{outside} is not one of the 102 languages LLaMAX supports{also}")
    hint = f"; did you mean {', '.join(hints)}?" if hints else "; see `llamax languages`"
    raise UsageError(f"unknown {option} {query!r}{hint}")


def suggest(query: str, limit: int = 3) -> list[str]:
    key = _norm(query)
    names = {_norm(lang.name): lang for lang in all_languages()}
    names.update({_norm(alias): lang for alias, lang in _index().items() if len(alias) > 3})
    # A name that is a word of a language's name ("Sotho" in "Northern Sotho") comes first.
    words = [name for name in names if len(key) > 3 and key in name.split()]
    seen: list[str] = []
    for match in words + difflib.get_close_matches(key, list(names), n=limit * 3, cutoff=0.6):
        lang = names[match]
        label = f"{lang.name} ({lang.code})"
        if label not in seen:
            seen.append(label)
    return seen[:limit]


def _name_outside_llamax(query: str) -> str | None:
    """The English name of a real language that LLaMAX does not cover, if query names one."""
    # langcodes costs ~30 ms to import: only for names outside our table
    import langcodes

    text = query.strip()
    try:
        tag = langcodes.Language.get(text)
        if not tag.is_valid() or not tag.language:
            raise LookupError(text)
    except (ValueError, LookupError):
        try:
            tag = langcodes.find(text)
        except LookupError:
            return None
    if not tag.language or tag.language in ("und", "mul", "zxx"):
        return None
    name = tag.language_name()
    # langcodes echoes unknown-but-well-formed codes back as "Unknown language [xx]".
    if name.lower().startswith("unknown language"):
        return None
    return name


def native_name(lang: Language) -> str:
    """The language's name for itself, where langcodes knows it ('' otherwise)."""
    # langcodes costs ~30 ms to import, and `llamax --help` loads this module
    import langcodes

    try:
        tag = langcodes.Language.get(lang.bcp47)
        name = tag.autonym()
    except (ValueError, LookupError):
        return ""
    return "" if name.lower().startswith("unknown") or name == lang.bcp47 else name
