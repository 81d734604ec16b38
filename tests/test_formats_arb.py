"""Flutter ARB files (formats/arb.py): byte-identical when nothing is translated, `@key`
metadata untouched, `@@locale` set to the target, ICU messages with the target's plural
categories (Flutter's reading of them), and one-line refusals."""

import json
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import arb, icu, registry
from llamax_cli.formats.document import Unit, literal_text
from llamax_cli.formats.icu_syntax import Choice, parse

GALLERY = Path(__file__).parent / "data" / "arb" / "gallery-intl_en.arb"

HANDMADE = """{
    "@@locale": "en",
    "@@x-template": "app_en.arb",
    "appTitle": "Wombat Counter",
    "@appTitle": {"description": "The app's title", "context": "HomePage"},
    "nWombats": "{count, plural, zero{You have no wombats} one{You have a wombat} few{You have a few wombats} other{You have {count} wombats}}",
    "@nWombats": {
        "description": "A plural message",
        "placeholders": {"count": {"type": "num", "format": "compact", "optionalParameters": {"decimalDigits": 2}}}
    },
    "pronoun": "{gender, select, male{he} female{she} other{they}}",
    "dontPanic": "Don't panic, {name}!",
    "@dontPanic": {"placeholders": {"name": {"type": "String", "example": "Arthur"}}}
}
"""


def written(doc, target, translate=lambda source: f"T {source}", kept=()):
    return "".join((part.raw if part.source in kept else part.encode(translate(part.source),
                                                                      target))
                   if isinstance(part, Unit) else literal_text(part, target)
                   for part in doc.parts)


def plurals(message):
    return [e for e in parse(message, quoting=False)
            if isinstance(e, Choice) and e.kind == "plural"]


def flutter_categories(choice):
    """The categories a plural fills as gen_l10n reads it: =0, =1, =2 are zero, one, two."""
    return {icu.FLUTTER.aliases.get(b.selector, b.selector) for b in choice.branches}


@pytest.mark.parametrize("text", [GALLERY.read_text(encoding="utf-8"), HANDMADE])
def test_nothing_translated_is_the_input_byte_for_byte(text):
    doc = arb.parse_arb(text)
    assert doc.render(unit.raw for unit in doc.units) == text
    assert written(doc, "ja", kept={u.source for u in doc.units}) == text.replace(
        '"@@locale": "en"', '"@@locale": "ja"')


@pytest.mark.parametrize("target", ["fr", "ar", "ja", "pt-BR"])
@pytest.mark.parametrize("text", [GALLERY.read_text(encoding="utf-8"), HANDMADE])
def test_outputs_parse_with_metadata_untouched_and_messages_translated(text, target):
    source = json.loads(text)
    out = json.loads(written(arb.parse_arb(text), target))
    assert list(out) == list(source)
    for key, value in source.items():
        if key.startswith("@") and key != "@@locale":
            assert out[key] == value  # descriptions and placeholders' examples stay English
    if "@@locale" in source:
        assert out["@@locale"] == target.replace("-", "_")
    for key, value in source.items():
        if key[0] != "@" and icu.has_text(value):
            assert out[key] != value and "T " in out[key], key


@pytest.mark.parametrize("target", ["fr", "ar", "ja", "ru", "cy"])
@pytest.mark.parametrize("text", [GALLERY.read_text(encoding="utf-8"), HANDMADE])
def test_plurals_have_the_targets_categories_as_flutter_reads_them(text, target):
    source = json.loads(text)
    out = json.loads(written(arb.parse_arb(text), target))
    checked = 0
    for key, value in source.items():
        if key[0] == "@":
            continue
        for before, after in zip(plurals(value), plurals(out[key])):
            # exact branches stay: =0, =1, =2 and Dart's exact `zero` (n == 0 in any language)
            exact = {icu.FLUTTER.aliases[b.selector] for b in before.branches
                     if b.selector in icu.FLUTTER.aliases}
            exact |= {b.selector for b in before.branches if b.selector == "zero"}
            assert flutter_categories(after) == icu.categories(target) | exact, (key, out[key])
            checked += 1
    assert checked == (7 if "craneHours" in source else 1)


def test_a_plural_message_in_arabic_and_japanese():
    doc = arb.parse_arb(HANDMADE)
    ar = json.loads(written(doc, "ar"))["nWombats"]
    assert ar == ("{count, plural, zero{T You have no wombats} one{T You have a wombat} "
                  "few{T You have a few wombats} other{T You have {count} wombats} "
                  "two{T You have {count} wombats} many{T You have {count} wombats}}")
    ja = json.loads(written(doc, "ja"))["nWombats"]
    assert ja == "{count, plural, zero{T You have no wombats} other{T You have {count} wombats}}"
    gallery = json.loads(written(arb.parse_arb(GALLERY.read_text(encoding="utf-8")), "ja"))
    assert gallery["craneFlyStops"] == (
        "{numberOfStops, plural, =0{T Nonstop} =1{T 1 stop} other{T {numberOfStops} stops}}")


def test_placeholders_and_apostrophes_as_flutter_reads_them():
    doc = arb.parse_arb(HANDMADE)
    units = {u.source: u for u in doc.units}
    assert units["Don't panic, {name}!"].placeholders == ("{name}",)
    assert units["You have {count} wombats"].placeholders == ("{count}",)
    out = json.loads(written(doc, "fr", lambda source: "N'ayez pas peur, {name} !"
                             if "{name}" in source else f"T {source}"))
    assert out["dontPanic"] == "N'ayez pas peur, {name} !"  # no ICU quoting in gen_l10n's default
    assert out["pronoun"] == "{gender, select, male{T he} female{T she} other{T they}}"


def test_a_message_gen_l10n_could_not_read_is_refused_in_one_line():
    with pytest.raises(LlamaxError) as caught:
        arb.parse_arb('{\n  "ok": "Fine",\n  "broken": "{count, plural, one{x}"\n}')
    message = str(caught.value)
    assert message.startswith("not a valid ARB file: the message 'broken' (line 3) is not ICU")
    assert "\n" not in message
    with pytest.raises(LlamaxError, match="not a valid ARB file: Expecting"):
        arb.parse_arb('{"a": "b"')
    with pytest.raises(LlamaxError, match="the top level is an array"):
        arb.parse_arb('[{"a": "b"}]')
    with pytest.raises(LlamaxError, match="count is number"):  # metadata may; messages not
        arb.parse_arb('{"count": 3, "@count": {"x": 1}}')


def test_arb_files_are_found_by_extension_and_by_their_locale():
    assert registry.detect("{}", "lib/l10n/app_en.arb") == "arb"
    assert registry.detect(HANDMADE) == "arb"
    assert not arb.looks_like_arb('{"title": "@@locale is a word here"}')
    fmt = registry.by_name("arb")
    assert fmt.code_for("pt-BR") == "pt_BR" and fmt.code_for("zh-Hant") == "zh_Hant"
    assert fmt.layout.format(lang=fmt.code_for("sr-Latn"), stem="app_en") == "app_sr_Latn.arb"


def test_translate_an_arb_into_two_languages_as_a_user_would(llamax, tmp_path):
    (tmp_path / "app_en.arb").write_text(
        '{\n  "@@locale": "en",\n  "title": "Shopping cart",\n  "@title": {"description": "A '
        'title"},\n  "items": "{count, plural, =0{No items} one{One item} other{{count} items}}"'
        '\n}\n', encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr,ar", "--max-tokens", "12",
                  "app_en.arb", "-o", "l10n/app_{lang}.arb")
    assert proc.returncode in (0, 3), proc.stderr
    for lang in ("fr", "ar"):
        out = json.loads((tmp_path / "l10n" / f"app_{lang}.arb").read_text(encoding="utf-8"))
        assert list(out) == ["@@locale", "title", "@title", "items"]
        assert out["@@locale"] == lang and out["@title"] == {"description": "A title"}
        (choice,) = plurals(out["items"])
        found = flutter_categories(choice)
        assert {"zero", "one", "other"} <= found <= icu.categories(lang) | {"zero"}
