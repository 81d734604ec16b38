"""i18next JSON namespaces (formats/i18next.py): byte-identical when nothing is translated,
outputs JSON parses, plural keys for the target's CLDR categories, placeholders, ICU values, the
file's string style, and one-line refusals."""

import json
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import i18next, icu, registry
from llamax_cli.formats.document import Unit, literal_text
from llamax_cli.formats.icu_syntax import Choice, parse

DATA = Path(__file__).parent / "data" / "json"
FCC = DATA / "freecodecamp-translations.en.json"  # nested, arrays, _one/_other
NEXT = DATA / "next-i18next-common.en.json"  # escaped quotes, no final newline
ICU_SAMPLE = DATA / "react-i18next-icu-translations.en.json"  # i18next-icu values
SAMPLES = [FCC, NEXT, ICU_SAMPLE]

HANDMADE = ('\ufeff{\r\n\t"apple_one": "{{count}} apple",\r\n\t"apple_few": "{{count}} apples (few)",'
            '\r\n\t"apple_other": "{{count}} apples",\r\n\t"nested": {"cat_zero": "No cats", '
            '"cat_other": "{{count}} cats", "place_ordinal_one": "{{count}}st",'
            ' "place_ordinal_other": "{{count}}th"},\r\n'
            '\t"price": "Total: {{val, number}} \\u2014 see $t(common:terms, {\\"count\\": 2})",'
            '\r\n\t"html": "{{- link}} <1>more</1> \\/ {{name}}",\r\n\t"empty": "",'
            '\r\n\t"only_placeholders": "{{a}} {{b}}",\r\n\t"lonely_one": "no other key"\r\n}')


def written(doc, target, translate=lambda source: f"T {source}", kept=()):
    """As the pipeline writes it; units whose source is in `kept` keep their source."""
    return "".join((part.raw if part.source in kept else part.encode(translate(part.source),
                                                                      target))
                   if isinstance(part, Unit) else literal_text(part, target)
                   for part in doc.parts)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def keys(value, prefix=""):
    """Every leaf's dotted key."""
    if isinstance(value, dict):
        return {k for key, v in value.items() for k in keys(v, f"{prefix}{key}.")}
    if isinstance(value, list):
        return {k for n, v in enumerate(value) for k in keys(v, f"{prefix}{n}.")}
    return {prefix[:-1]}


def leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


@pytest.mark.parametrize("text", [read(p) for p in SAMPLES] + [HANDMADE])
def test_nothing_translated_is_the_input_byte_for_byte(text):
    doc = i18next.parse_i18next(text)
    assert doc.render(unit.raw for unit in doc.units) == text
    # every unit keeping its source (the model failed them all): the input, whatever the target
    assert written(doc, "ja", kept={u.source for u in doc.units}) == text


@pytest.mark.parametrize("target", ["fr", "ar", "ja", "pt-BR"])
@pytest.mark.parametrize("path", SAMPLES)
def test_outputs_parse_and_keep_every_key_but_plural_ones(path, target):
    source = json.loads(read(path))
    out = json.loads(written(i18next.parse_i18next(read(path)), target))
    plural = {k for k in keys(source) if k.endswith(("_one", "_other"))}
    assert keys(out) - {k for k in keys(out) if k.rpartition("_")[2] in icu.CATEGORIES} == \
        keys(source) - plural
    if path != ICU_SAMPLE:  # (its ICU values start with their structure)
        texts = [v for v in leaves(out) if icu.has_text(v, i18next.protect)]
        assert texts and all(text.startswith("T ") for text in texts)


@pytest.mark.parametrize("target", ["fr", "ar", "ja", "ru", "cy"])
def test_plural_keys_are_the_targets_categories(target):
    out = json.loads(written(i18next.parse_i18next(read(FCC)), target))
    profile = out["profile"]
    found = {k.rpartition("_")[2] for k in profile if k.startswith("points_")}
    assert found == icu.categories(target)
    assert profile["points_other"] == "T {{count}} points on {{date}}"
    for category in found - {"one"}:  # the categories English lacks: `other`'s translation
        assert profile[f"points_{category}"] == profile["points_other"]
    if "one" in found:
        assert profile["points_one"] == "T {{count}} point on {{date}}"
    assert list(profile).index("page-number") > list(profile).index("points_other")


def test_a_dropped_key_first_in_its_object_leaves_valid_json():
    out = written(i18next.parse_i18next(HANDMADE), "ja")
    assert out.startswith('\ufeff{\r\n\t"apple_other": "T {{count}} apples",\r\n\t"nested"')
    nested = json.loads(out[1:])["nested"]
    # zero is i18next's own for a count of 0 in every language; ordinals follow ordinal_form
    assert list(nested) == ["cat_zero", "cat_other", "place_ordinal_other"]
    assert set(json.loads(written(i18next.parse_i18next(HANDMADE), "en")[1:])["nested"]) == {
        "cat_zero", "cat_other", "cat_one", "place_ordinal_one", "place_ordinal_two",
        "place_ordinal_few", "place_ordinal_other"}


@pytest.mark.parametrize("target", ["ja", "ar", "fr"])
@pytest.mark.parametrize("failed", ["{{count}} apple", "{{count}} apples (few)", "{{count}} apples"])
def test_a_plural_key_that_keeps_its_source_still_leaves_valid_json(target, failed):
    out = json.loads(written(i18next.parse_i18next(HANDMADE), target, kept={failed})[1:])
    assert "apple_other" in out
    if failed == "{{count}} apples":  # no translation of `other`: nothing to copy
        assert {k for k in out if k.startswith("apple_")} <= {"apple_one", "apple_few",
                                                               "apple_other"}


def test_placeholders_are_checked_and_i18next_syntax_protected():
    units = {u.source: u for u in i18next.parse_i18next(HANDMADE).units}
    price = units['Total: {{val, number}} — see $t(common:terms, {"count": 2})']
    assert price.protected == ("{{val, number}}", '$t(common:terms, {"count": 2})')
    html = units["{{- link}} <1>more</1> / {{name}}"]
    assert html.placeholders == ("{{name}}",) and html.protected == ("<1>", "</1>", "{{- link}}")
    assert units["{{count}} apple"].placeholders == ("{{count}}",)
    # no words besides placeholders, or nothing at all: not a unit; a lone _one is a string
    assert "{{a}} {{b}}" not in units and "" not in units and "no other key" in units


def test_a_translation_is_written_in_the_files_string_style():
    out = written(i18next.parse_i18next(HANDMADE), "fr",
                  lambda source: 'Voilà "{{name}}" / <1>plus</1> {{- link}}')
    # the file escapes non-ASCII and slashes: so does the translation
    assert '"html": "Voil\\u00e0 \\"{{name}}\\" \\/ <1>plus<\\/1> {{- link}}"' in out
    plain = written(i18next.parse_i18next('{"a": "Hello"}'), "fr", lambda source: "Voilà /")
    assert plain == '{"a": "Voilà /"}'


@pytest.mark.parametrize("target", ["fr", "ar", "ja"])
def test_icu_values_keep_their_structure_and_get_the_targets_categories(target):
    doc = i18next.parse_i18next(read(ICU_SAMPLE))
    out = json.loads(written(doc, target))
    assert out["{gender, select,  male {He avoids bugs.} female {She avoids bugs.} other {They "
               "avoid bugs.}}"] == ("{gender, select,  male {T He avoids bugs.} female "
                                    "{T She avoids bugs.} other {T They avoid bugs.}}")
    for value in out.values():
        for element in parse(value.replace("<0>", "").replace("</0>", "")):
            if isinstance(element, Choice) and element.kind == "plural":
                selectors = {b.selector for b in element.branches}
                assert {s for s in selectors if s[0] != "="} == icu.categories(target)
                assert {"=0"} <= selectors
    sources = [u.source for u in doc.units]
    assert "{itemsCount1} persons" not in sources and "There are {itemsCount1} items." in sources
    assert "Trainers: {trainersCount}" in sources  # {trainersCount, number} as a plain brace


@pytest.mark.parametrize("text,why", [
    ('{"a": "b",}', "Expecting property name"),
    ('["a", "b"]', "the top level is an array"),
    ('"just a string"', "the top level is a string"),
    ('{"name": "app", "scripts": {"test": "pytest"}}', "'scripts' at the top level"),
    ('{"title": "Shop", "items": {"count": 3}}', "items.count is number"),
    ('{"list": [true]}', "list[0] is true"),
    ('{"a": ' * 700 + '"x"' + "}" * 700, "nested too deeply"),
])
def test_what_is_not_a_namespace_is_refused_in_one_line(text, why):
    with pytest.raises(LlamaxError) as caught:
        i18next.parse_i18next(text)
    message = str(caught.value)
    assert message.startswith("not a valid i18next JSON file: ") and why in message
    assert "\n" not in message


def test_json_files_are_found_by_extension_and_keep_bcp47_codes():
    assert registry.detect('{"a": "b"}', "locales/en/translation.json") == "json"
    fmt = registry.by_name("json")
    assert fmt.code_for("pt-BR") == "pt-BR" and fmt.code_for("zh-Hant") == "zh-Hant"
    assert fmt.layout.format(lang="pt-BR", stem="common") == "pt-BR/common.json"


def test_translate_a_namespace_into_two_languages_as_a_user_would(llamax, tmp_path):
    namespace = tmp_path / "en.json"
    namespace.write_text('{\n  "title": "Welcome to our shop",\n  "cart": {\n'
                         '    "items_one": "{{count}} item",\n'
                         '    "items_other": "{{count}} items"\n  }\n}\n', encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr,ar", "--max-tokens", "12",
                  "en.json", "-o", "out/{lang}.json")
    assert proc.returncode in (0, 3), proc.stderr
    for lang in ("fr", "ar"):
        out = json.loads((tmp_path / "out" / f"{lang}.json").read_text(encoding="utf-8"))
        assert list(out) == ["title", "cart"]
        # the target's categories when `items_other` was translated; when the model failed it
        # (placeholder-lost), the keys as they were, with nothing copied from the source
        found = {key.rpartition("_")[2] for key in out["cart"]}
        assert found in (icu.categories(lang), {"one", "other"}), found
        assert all("{{count}}" in value for value in out["cart"].values())  # never lost
    assert not list(tmp_path.rglob("*.part"))
