"""Rails-style YAML locale files (formats/yaml_locale.py): byte-identical when nothing is
translated, outputs that ruamel.yaml reads back (as YAML 1.2 and as Psych's YAML 1.1) with
the target's root key and plural categories, quoting that stays valid, placeholders."""

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import registry, yaml_locale
from llamax_cli.formats.document import Unit, literal_text

DATA = Path(__file__).parent / "data" / "yaml"
SAMPLES = sorted(DATA.glob("*.yml"))  # Rails' actionview and activesupport, Devise
CATEGORIES = set(yaml_locale.CATEGORIES)

HANDMADE = (
    "# A hand-made locale.\n---\n\"en\":\n"
    "  plain: Hello world   # a comment\n"
    "  anchored: &greet Good morning\n"
    "  again: *greet\n"
    "  single: 'It''s here'\n"
    "  double: \"Say \\\"hi\\\" to %{name}\"\n"
    "  tagged: !!str Tagged text\n"
    "  flags: [yes, 42, ~, :sym, 2024-01-01]\n"
    "  empty: ''\n"
    "  date: \"%Y-%m-%d\"\n"
    "  ruby: \"%<count>d items left\"\n"
    "  literal: |\n    Dear %{name},\n\n      Thanks for joining.\n    Bye\n\n"
    "  folded: >-\n    This paragraph is\n    folded into one.\n\n    Second paragraph.\n"
    "  kept: |2\n     indented by an indicator\n"
    "  apples:\n    zero: no apples\n    one: one apple  # singular\n"
    "    other: '%{count} apples'\n"
    "  flow_plural: {one: a cat, other: \"%{count} cats\"}\n"
    "  no_other:\n    one: one record\n    many: many records\n"
    "  list:\n    - first item\n    - \"second item\"\n")


def written(doc, target: str, translate=lambda source: f"T {source}",
            fails: frozenset = frozenset()) -> str:
    """The document as the pipeline writes it when every unit comes back as translate()
    (a unit whose source is in `fails` keeps its raw text, as a failed check does)."""
    out = []
    for part in doc.parts:
        if isinstance(part, Unit):
            out.append(part.raw if part.source in fails
                       else part.encode(translate(part.source), target))
        else:
            out.append(literal_text(part, target))
    return "".join(out)


def load(text: str, version=None):
    yaml = YAML(typ="safe", pure=True)
    if version:
        yaml.version = version  # Psych, Rails' parser, reads YAML 1.1: yes/no are booleans
    return yaml.load(text)


def shape(tree, path=()) -> set:
    """Every key path of a loaded locale below its root key, a plural hash as one path."""
    if isinstance(tree, dict) and tree and set(tree) <= CATEGORIES:
        return {path + ("<plural>",)}
    if isinstance(tree, dict):
        return set().union(*(shape(value, path + (key,)) for key, value in tree.items()))
    return {path}


def plurals(tree, path=()) -> dict:
    """The plural hashes of a loaded locale: key path -> their categories."""
    if isinstance(tree, dict) and tree and set(tree) <= CATEGORIES:
        return {path: set(tree)}
    if isinstance(tree, dict):
        found = {}
        for key, value in tree.items():
            found.update(plurals(value, path + (key,)))
        return found
    return {}


@pytest.mark.parametrize("text", [*(p.read_text(encoding="utf-8") for p in SAMPLES), HANDMADE,
                                  "\ufeffen:\r\n  a: \"x y\"\r\n  b: |\r\n    l1\r\n",
                                  "en:\n  last: no newline at the end"],
                         ids=[*(p.name for p in SAMPLES), "handmade", "crlf-bom", "no-eol"])
def test_nothing_translated_is_the_input_byte_for_byte(text):
    doc = yaml_locale.parse_yaml(text)
    assert doc.units
    assert doc.render(unit.raw for unit in doc.units) == text
    assert "".join(literal_text(part) if not isinstance(part, Unit) else part.raw
                   for part in doc.parts) == text


def test_values_are_units_and_keys_numbers_symbols_and_formats_are_not():
    sources = [u.source for u in yaml_locale.parse_yaml(HANDMADE).units]
    assert sources[:6] == ["Hello world", "Good morning", "It's here", 'Say "hi" to %{name}',
                           "Tagged text", "%<count>d items left"]
    assert sources[6:9] == ["Dear %{name},", "Thanks for joining.", "Bye"]  # | : per line
    assert sources[9:11] == ["This paragraph is folded into one.", "Second paragraph."]
    assert "indented by an indicator" not in sources  # |2: kept as it is
    for kept in ("yes", "42", "sym", ":sym", "%Y-%m-%d", "plain", "apples", "en"):
        assert kept not in sources
    rails = [u.source for u in yaml_locale.parse_yaml((DATA / "activesupport.en.yml")
                                                       .read_text(encoding="utf-8")).units]
    assert "Sunday" in rails and "am" in rails and "and" in rails
    assert not any("%" in source or source.startswith(":") for source in rails)


def test_placeholders_are_checked_and_ruby_directives_kept():
    doc = yaml_locale.parse_yaml(HANDMADE)
    by_source = {u.source: u for u in doc.units}
    assert by_source['Say "hi" to %{name}'].placeholders == ("%{name}",)
    ruby = by_source["%<count>d items left"]
    assert ruby.placeholders == ("%<count>d",)  # the pipeline checks the whole directive
    assert ruby.encode("il reste %<count>d articles", "fr") == '"il reste %<count>d articles"'
    # a translation that mangles the directive around <count> keeps the source
    assert ruby.encode("il reste <count> articles", "fr") == ruby.raw


@pytest.mark.parametrize("target,root,categories", [
    ("fr", "fr", {"one", "many", "other"}),
    ("ar", "ar", {"zero", "one", "two", "few", "many", "other"}),
    ("ja", "ja", {"other"}),
    ("pt", "pt", {"one", "many", "other"}),
    ("zh-Hant", "zh-TW", {"other"})])
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_outputs_load_with_the_targets_root_key_and_plural_categories(sample, target, root,
                                                                      categories):
    text = sample.read_text(encoding="utf-8")
    source = load(text)
    out = written(yaml_locale.parse_yaml(text), target)
    for version in (None, (1, 1)):
        tree = load(out, version)
        assert list(tree) == [root]
        assert shape(tree[root]) == shape(source["en"])
        found = plurals(tree[root])
        assert found == {path: categories for path in plurals(source["en"])}
    tree = load(out)[root]
    if sample.name == "actionview.en.yml":
        assert tree["helpers"]["submit"]["create"] == "T Create %{model}"
        hours = tree["datetime"]["distance_in_words"]["about_x_hours"]
        assert hours["other"] == "T about %{count} hours"
        assert all(hours[c] == hours["other"] for c in categories - {"one"})
        assert out.splitlines()[0] == f'"{root}":'  # the root key keeps its quotes


def test_plural_hashes_keep_zero_drop_what_the_target_lacks_and_fill_what_it_needs():
    doc = yaml_locale.parse_yaml(HANDMADE)
    ja = load(written(doc, "ja"))["ja"]
    assert ja["apples"] == {"zero": "T no apples", "other": "T %{count} apples"}
    assert "one: one apple" not in written(doc, "ja")  # dropped with its comment line
    ar = load(written(doc, "ar"))["ar"]
    assert ar["apples"]["two"] == ar["apples"]["other"] == "T %{count} apples"
    # no `other` in the source: the last category gives the missing ones their text
    assert ar["no_other"]["other"] == ar["no_other"]["few"] == "T many records"
    # a flow-style hash is translated as it is, with a warning
    assert ar["flow_plural"] == {"one": "T a cat", "other": "T %{count} cats"}
    assert any("plural hash" in message for _, message in doc.warnings)
    fr = written(doc, "fr")
    assert "    one: T one apple  # singular\n    other: 'T %{count} apples'\n" \
           "    many: 'T %{count} apples'\n" in fr


def test_a_failed_plural_category_keeps_its_source_and_other_fills_from_the_source():
    doc = yaml_locale.parse_yaml(HANDMADE)
    ar = load(written(doc, "ar", fails=frozenset({"%{count} apples"})))["ar"]["apples"]
    assert ar["other"] == ar["few"] == "%{count} apples" and ar["one"] == "T one apple"
    ja = load(written(doc, "ja", fails=frozenset({"one apple"})))["ja"]["apples"]
    assert ja["one"] == "one apple"  # a failed unit writes its source; nothing is lost
    # rendering again for the same target starts afresh
    again = load(written(doc, "ar"))["ar"]["apples"]
    assert again["few"] == "T %{count} apples"


def test_added_categories_follow_the_files_line_breaks_and_its_missing_last_one():
    crlf = "\ufeffen:\r\n  n:\r\n    one: a cat\r\n    other: '%{count} cats'\r\n  x: y z\r\n"
    out = written(yaml_locale.parse_yaml(crlf), "ar")
    assert out.startswith("\ufeffar:\r\n") and "\n" not in out.replace("\r\n", "")
    assert "    other: 'T %{count} cats'\r\n    zero: 'T %{count} cats'\r\n" in out
    no_eol = "en:\n  n:\n    one: a cat\n    other: '%{count} cats' # last"
    out = written(yaml_locale.parse_yaml(no_eol), "fr")
    assert out.endswith("    other: 'T %{count} cats' # last\n    many: 'T %{count} cats'")
    assert set(load(out)["fr"]["n"]) == {"one", "many", "other"}


def test_untouched_values_keep_their_bytes_and_styles():
    out = written(yaml_locale.parse_yaml(HANDMADE), "fr")
    for line in ("  plain: T Hello world   # a comment\n",
                 "  anchored: &greet T Good morning\n", "  again: *greet\n",
                 "  single: 'T It''s here'\n", "  tagged: !!str T Tagged text\n",
                 "  flags: [yes, 42, ~, :sym, 2024-01-01]\n", "  empty: ''\n",
                 "  date: \"%Y-%m-%d\"\n", "  kept: |2\n     indented by an indicator\n",
                 "    - T first item\n", "    - \"T second item\"\n"):
        assert line in out
    tree = load(out)["fr"]
    assert tree["again"] == tree["anchored"] == "T Good morning"
    assert tree["double"] == 'T Say "hi" to %{name}'


def test_block_scalars_keep_header_indentation_and_chomping():
    out = written(yaml_locale.parse_yaml(HANDMADE), "fr")
    assert ("  literal: |\n    T Dear %{name},\n\n      T Thanks for joining.\n    T Bye\n\n"
            "  folded: >-\n    T This paragraph is folded into one.\n\n"
            "    T Second paragraph.\n") in out
    tree = load(out)["fr"]
    assert tree["literal"] == "T Dear %{name},\n\n  T Thanks for joining.\nT Bye\n"
    assert tree["folded"] == "T This paragraph is folded into one.\nT Second paragraph."


EDGES = ['"Quoted" at the start', "'Single' at the start", "Note: a colon", "A #hash",
         "ends with a colon:", "yes", "No", "on", "12", "3.5", "1:30", "~", "null", "",
         "- a dash", "? what", "%{count} first", "@at", "`tick`", "!bang", "&amp", "*star",
         "[brackets]", "{braces}", "a, b [c] {d}", "tab\tinside", " padded ", "Ça va",
         "bell\x07ring", "line\u2028separator", "it's", 'say "hi"', "back\\slash", "#start",
         "2024-01-01"]


@pytest.mark.parametrize("translation", EDGES)
@pytest.mark.parametrize("value", ["plain text", "'single text'", '"double text"',
                                   "[flow text, other]", ">\n    folded text\n",
                                   "|\n    literal text\n"])
def test_any_translation_is_written_as_valid_yaml_for_the_same_string(value, translation):
    text = f"en:\n  key: {value}\n  after: kept\n"
    doc = yaml_locale.parse_yaml(text)
    out = written(doc, "fr", translate=lambda source: translation if "text" in source
                  else source)
    expected = "".join(c for c in translation.replace("\u2028", " ")
                       if c.isprintable() or c in "\t ")
    if value.startswith(("|", ">")):  # a block line holds the text as is, on its line
        expected = (expected.strip() or "T") + "\n"
    for version in (None, (1, 1)):
        tree = load(out, version)["fr"]
        got = tree["key"][0] if value.startswith("[") else tree["key"]
        if value.startswith(("|", ">")) and not translation.strip():
            continue  # an empty translation keeps the source line
        assert got == expected, out
        assert tree["after"] == "kept"


def test_a_plain_translation_stays_plain_where_it_can():
    for value, translation, line in [
            ("plain text", "Bonjour le monde", "key: Bonjour le monde"),
            ("plain text", "Bonjour, le monde ! C#, 50%", "key: Bonjour, le monde ! C#, 50%"),
            ("plain text", "Note : deux points", 'key: "Note : deux points"'),
            ("plain text", "yes", 'key: "yes"'),
            ("plain text", "Note: x", 'key: "Note: x"'),
            ("plain text", "'quoted'", "key: \"'quoted'\""),
            ("'single text'", "d'accord", "key: 'd''accord'"),
            ('"double text"', "plain", 'key: "plain"')]:
        doc = yaml_locale.parse_yaml(f"en:\n  key: {value}\n")
        assert f"  {line}\n" in written(doc, "fr", translate=lambda source: translation)


def test_the_root_key_is_set_only_when_it_is_a_language_code():
    assert written(yaml_locale.parse_yaml("pt-BR:\n  a: Hello\n"), "zh-Hant") \
        == "zh-TW:\n  a: T Hello\n"
    assert written(yaml_locale.parse_yaml("'en':\n  a: Hello\n"), "pt") == "'pt':\n  a: T Hello\n"
    for text in ("messages:\n  a: Hello\n", "en:\n  a: Hello\nde:\n  a: Hallo\n",
                 "en: Hello\n"):
        assert written(yaml_locale.parse_yaml(text), "fr").split(":")[0] == text.split(":")[0]
    assert written(yaml_locale.parse_yaml("en:\n  a: Hello\n"), "no") == "nb:\n  a: T Hello\n"


@pytest.mark.parametrize("text,why", [
    ("en:\n  a: b: c\n", "mapping values are not allowed here (line 2, column 7)"),
    ("en:\n  a: 1\n  a: 2\n", "found duplicate key"),
    ("en:\n  a: *nowhere\n", "found undefined alias"),
    ("en:\n\ta: tab\n", "(line 2, column 1)"),
    ("en:\n  a: [open\n", "(line 3, column 1)"),
    ("en:\n  a: !!int many\n", "invalid literal for int()"),
    ("en:\n  a: '\x01'\n", "unacceptable character #x0001")])
def test_invalid_yaml_is_refused_in_one_line(text, why):
    with pytest.raises(LlamaxError) as caught:
        yaml_locale.parse_yaml(text)
    message = str(caught.value)
    assert message.startswith("not a valid YAML file: ") and why in message
    assert "\n" not in message


def test_yaml_files_are_found_by_extension_and_content_and_named_the_rails_way():
    assert registry.detect("", "config/locales/en.yml") == "yaml"
    assert registry.detect("", "devise.en.yaml") == "yaml"
    assert registry.detect("# Devise\n---\nen:\n  a: b\n") == "yaml"
    assert registry.detect('"pt-BR":\n  a: b\n') == "yaml"
    assert registry.detect("Hello: this is prose.\n") != "yaml"
    fmt = registry.by_name("yaml")
    assert fmt.code_for("pt-BR") == "pt-BR" and fmt.code_for("zh") == "zh-CN"
    assert yaml_locale.rails_layout("en", "fr") == "fr.yml"
    assert yaml_locale.rails_layout("devise.en", "pt-BR") == "devise.pt-BR.yml"
    assert yaml_locale.rails_layout("messages", "fr") == "messages.fr.yml"


CLI_SAMPLE = (
    "# Shop messages.\nen:\n  cart:\n    title: Your cart\n"
    "    items:\n      one: one item\n      other: \"%{count} items\"\n"
    "    checkout: 'Check out %{name}'\n")


def test_translate_a_locale_into_two_languages_as_a_user_would(llamax, tmp_path):
    (tmp_path / "en.yml").write_text(CLI_SAMPLE, encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr,ar", "--max-tokens", "16",
                  "en.yml", "-o", "out/{lang}.yml")
    assert proc.returncode in (0, 3), proc.stderr
    for lang, categories in (("fr", {"one", "many", "other"}),
                             ("ar", {"zero", "one", "two", "few", "many", "other"})):
        text = (tmp_path / "out" / f"{lang}.yml").read_text(encoding="utf-8")
        tree = load(text)
        assert list(tree) == [lang], text
        assert set(tree[lang]["cart"]["items"]) == categories, text
        assert text.startswith("# Shop messages.\n")
