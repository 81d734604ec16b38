"""Android strings.xml (formats/android.py): byte-identical when nothing is translated, the
target's plural quantities, translatable="false" and references left alone, the markup and
placeholders kept, Android's qualifiers, and lxml's verdict on every output."""

from pathlib import Path

import pytest
from lxml import etree

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import android, registry
from llamax_cli.formats.android_values import android_text
from llamax_cli.formats.document import Unit, literal_text

DATA = Path(__file__).parent / "data" / "android"
MUSIC = DATA / "aosp-music-strings.xml"  # plurals, string-array, xliff:g, \', \", \u2026
WIKIPEDIA = DATA / "wikipedia-strings-excerpt.xml"  # CDATA with HTML and \', plurals

HANDMADE = (
    '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n'
    '<!-- Hand-made: CRLF line endings, a BOM, tools: attributes. -->\r\n'
    '<resources xmlns:tools="http://schemas.android.com/tools"\r\n'
    '    xmlns:xliff="urn:oasis:names:tc:xliff:document:1.2">\r\n'
    '    <string name="app_name" translatable="false">Demo app</string>\r\n'
    '    <string name="greeting" tools:ignore="MissingTranslation">Hello, <xliff:g id="name" '
    'example="Ana">%1$s</xliff:g>! You\\\'re in.</string>\r\n'
    '    <string name="terms"><![CDATA[Read <a href="https://example.org">the terms</a> & '
    'more]]></string>\r\n'
    '    <string name="bold">Tap <b>Save</b> to keep &lt;3 changes</string>\r\n'
    '    <string name="alias">@string/app_name</string>\r\n'
    '    <string name="padded">"  Padded  "</string>\r\n'
    '    <string-array name="days">\r\n'
    '        <item>Monday</item>\r\n'
    '        <item>@string/alias</item>\r\n'
    '    </string-array>\r\n'
    '    <string-array name="codes" translatable="false">\r\n'
    '        <item>Alpha code</item>\r\n'
    '    </string-array>\r\n'
    '    <plurals name="files">\r\n'
    '        <!-- %d is the number of files -->\r\n'
    '        <item quantity="zero">No files</item>\r\n'
    '        <item quantity="one">%d file</item>\r\n'
    '        <item quantity="other">%d files</item>\r\n'
    '    </plurals>\r\n'
    '    <plurals name="kept" translatable="false">\r\n'
    '        <item quantity="one">one thing</item>\r\n'
    '        <item quantity="other">many things</item>\r\n'
    '    </plurals>\r\n'
    '    <color name="accent">#ff0000</color>\r\n'
    '</resources>')  # no final newline


def written(doc, target: str, translate=lambda source: f"T {source}") -> str:
    """The document as the pipeline writes it when every unit comes back as translate()."""
    return "".join(part.encode(translate(part.source), target) if isinstance(part, Unit)
                   else literal_text(part, target) for part in doc.parts)


def parsed(text: str):
    return etree.fromstring(text.encode("utf-8"), etree.XMLParser(encoding="utf-8"))


def quantities(root) -> dict[str, list[str]]:
    return {p.get("name"): [i.get("quantity") for i in p.iter("item")]
            for p in root.iter("plurals")}


@pytest.mark.parametrize("text", [MUSIC.read_text(encoding="utf-8"),
                                  WIKIPEDIA.read_text(encoding="utf-8"), HANDMADE])
def test_nothing_translated_is_the_input_byte_for_byte(text):
    doc = android.parse_android(text)
    assert doc.render(unit.raw for unit in doc.units) == text


def test_units_are_the_translatable_values_only():
    doc = android.parse_android(HANDMADE)
    assert [u.source for u in doc.units] == [
        'Hello, <xliff:g id="name" example="Ana">%1$s</xliff:g>! You\'re in.',
        'Read <a href="https://example.org">the terms</a> & more',
        "Tap <b>Save</b> to keep <3 changes", "Padded", "Monday", "%d file", "%d files"]
    greeting = doc.units[0]
    assert greeting.line == 6 and [u.line for u in doc.units[-2:]] == [21, 22]
    assert greeting.placeholders == ('<xliff:g id="name" example="Ana">', "%1$s", "</xliff:g>")
    assert greeting.protected == ('<xliff:g id="name" example="Ana">%1$s</xliff:g>',)


def test_the_real_files_units_are_android_s_text():
    music = android.parse_android(MUSIC.read_text(encoding="utf-8"))
    sources = [u.source for u in music.units]
    assert "Your phone doesn't have an SD card inserted." in sources
    assert 'Permanently delete "<xliff:g id="song">%s</xliff:g>" from the SD card?' in sources
    assert "Scanning SD card…" in sources and "12 weeks" in sources  # \u2026, a quoted item
    assert not any("%2$d:%5$02d" in s for s in sources)  # translatable="false"
    wiki = android.parse_android(WIKIPEDIA.read_text(encoding="utf-8"))
    sources = [u.source for u in wiki.units]
    assert "Can't see the image? <a href=\"https://en.wikipedia.org/wiki/Wikipedia:Request_an_" \
           "account\">Request an account</a>" in sources
    assert "<b>m</b> %s" in sources and "%1$d edits since %2$s" in sources


@pytest.mark.parametrize("target, wanted", [
    ("fr", ["one", "many", "other"]), ("ar", ["zero", "one", "two", "few", "many", "other"]),
    ("ja", ["other"])])
@pytest.mark.parametrize("path", [MUSIC, WIKIPEDIA, "handmade"])
def test_every_output_parses_and_has_the_targets_plural_quantities(path, target, wanted):
    text = HANDMADE if path == "handmade" else path.read_text(encoding="utf-8")
    root = parsed(written(android.parse_android(text), target))
    source = quantities(parsed(text))
    for name, found in quantities(root).items():
        if name == "kept":  # translatable="false": as it was
            assert found == source[name]
        else:
            assert sorted(found, key=android.QUANTITIES.index) == wanted, name
    assert [e.get("name") for e in root] == [e.get("name") for e in parsed(text)]


def test_one_goes_to_one_and_other_to_every_other_quantity():
    out = written(android.parse_android(HANDMADE), "ar")
    items = {i.get("quantity"): i.text for i in parsed(out).find("plurals").iter("item")}
    assert items == {"one": "T %d file", "zero": "T %d files", "two": "T %d files",
                     "few": "T %d files", "many": "T %d files", "other": "T %d files"}
    # the source's own `zero` is gone, the comment and the indentation are kept
    assert ('    <plurals name="files">\r\n        <!-- %d is the number of files -->\r\n'
            '        <item quantity="one">T %d file</item>\r\n'
            '        <item quantity="zero">T %d files</item>\r\n') in out
    ja = written(android.parse_android(HANDMADE), "ja")
    assert ('<!-- %d is the number of files -->\r\n        <item quantity="other">T %d files'
            '</item>\r\n    </plurals>') in ja


def test_a_plural_item_that_failed_keeps_its_source():
    doc = android.parse_android(HANDMADE)
    parts = [part.raw if isinstance(part, Unit) and part.source == "%d files"
             else part.encode("T " + part.source, "fr") if isinstance(part, Unit)
             else literal_text(part, "fr") for part in doc.parts]
    plurals = parsed("".join(parts)).find("plurals")
    items = [(i.get("quantity"), i.text) for i in plurals.iter("item")]
    assert items == [("one", "T %d file"), ("other", "%d files")]


def test_translations_are_written_the_android_way():
    doc = android.parse_android(HANDMADE)
    answers = {
        doc.units[0].source: 'Bonjour, <xliff:g id="name" example="Ana">%1$s</xliff:g> ! '
                             "Vous êtes \"dedans\".",
        doc.units[1].source: "Lisez <a href=\"https://example.org\">les conditions</a> & "
                             "l'avis",
        doc.units[2].source: "Touchez <b>Enregistrer</b> pour garder <3 modifications",
        "Padded": "Rembourré", "Monday": "@lundi"}
    out = written(doc, "fr", lambda source: answers.get(source, "T " + source))
    assert ('<string name="greeting" tools:ignore="MissingTranslation">Bonjour, <xliff:g '
            'id="name" example="Ana">%1$s</xliff:g> ! Vous êtes \\"dedans\\".</string>') in out
    assert ('<string name="terms"><![CDATA[Lisez <a href="https://example.org">les '
            "conditions</a> & l\\'avis]]></string>") in out
    assert ('<string name="bold">Touchez <b>Enregistrer</b> pour garder &lt;3 '
            'modifications</string>') in out
    assert '<string name="padded">"  Rembourré  "</string>' in out  # its spaces kept
    assert "<item>\\@lundi</item>" in out  # not a resource reference
    root = parsed(out)
    assert android_text(root.find("string[@name='padded']").text) == "  Rembourré  "


def test_xliff_g_comes_back_whole_whatever_spaces_the_model_added():
    doc = android.parse_android(HANDMADE)
    greeting = doc.units[0]
    out = greeting.encode('Salut <xliff:g id="name"  example="Ana"> %1$s </xliff:g>', "fr")
    assert out == 'Salut <xliff:g id="name" example="Ana">%1$s</xliff:g>'


def test_translatable_false_and_references_are_untouched():
    out = written(android.parse_android(HANDMADE), "de")
    for kept in ('<string name="app_name" translatable="false">Demo app</string>',
                 '<string name="alias">@string/app_name</string>',
                 "<item>@string/alias</item>", "<item>Alpha code</item>",
                 '<item quantity="one">one thing</item>',
                 '<item quantity="other">many things</item>',
                 '<color name="accent">#ff0000</color>'):
        assert kept in out
    assert out.startswith('\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<!-- Hand-made')
    assert out.endswith("</resources>") and "\n" not in out.replace("\r\n", "")


@pytest.mark.parametrize("text, why", [
    ('<resources><string name="a">Hi</resources>', "Opening and ending tag mismatch"),
    ("", "empty"),
    ('<?xml version="1.0"?>\n<project><name>x</name></project>\n',
     "its root element is <project>, not <resources>"),
])
def test_a_file_that_is_not_android_strings_is_refused_in_one_line(text, why):
    with pytest.raises(LlamaxError, match="^not a valid Android strings file: ") as caught:
        android.parse_android(text)
    assert why.lower() in str(caught.value).lower() and "\n" not in str(caught.value)


def test_strings_files_are_found_by_extension_and_content_and_forced_by_name():
    assert registry.detect("", "res/values/strings.xml") == "android"
    assert registry.detect(HANDMADE) == "android"
    assert registry.detect(MUSIC.read_text(encoding="utf-8")) == "android"
    assert not android.looks_like_android('<?xml version="1.0"?>\n<project>x</project>')
    assert not android.looks_like_android("<resources>\n  <color name='a'>#fff</color>\n")
    doc = registry.parse(HANDMADE, "android", "notes.txt")  # --format android forces it
    assert doc.format == "android" and len(doc.units) == 7


@pytest.mark.parametrize("code, qualifier", [
    ("fr", "fr"), ("pt-BR", "pt-rBR"), ("sr-Latn", "b+sr+Latn"), ("zh-Hant", "b+zh+Hant"),
    ("zh", "zh"), ("he", "iw"), ("id", "in"), ("yi", "ji"), ("no", "nb"), ("es-419", "b+es+419"),
    ("ceb", "ceb")])
def test_language_codes_are_android_qualifiers(code, qualifier):
    fmt = registry.by_name("android")
    assert fmt.code_for(code) == qualifier
    assert fmt.layout.format(lang=fmt.code_for(code), stem="strings") == \
        f"values-{qualifier}/strings.xml"


def test_plural_quantities_come_from_cldr():
    assert android.plural_quantities("ar") == android.QUANTITIES
    assert android.plural_quantities("ja") == ("other",)
    assert android.plural_quantities("pt-BR") == ("one", "many", "other")
    assert android.plural_quantities("umb") == ("one", "other")  # Babel lacks Umbundu


def test_translate_into_french_and_arabic_as_a_user_would(llamax, tmp_path):
    (tmp_path / "strings.xml").write_text(HANDMADE, encoding="utf-8", newline="")
    proc = llamax("translate", "--from", "en", "--to", "fr,ar", "--max-tokens", "16",
                  "strings.xml", "--out-dir", "res")
    assert proc.returncode in (0, 3), proc.stderr
    for lang in ("fr", "ar"):
        out = (tmp_path / "res" / f"values-{lang}" / "strings.xml").read_bytes().decode()
        root = parsed(out)
        assert [e.get("name") for e in root] == [e.get("name") for e in parsed(HANDMADE)]
        files = quantities(root)["files"]  # each quantity the target's, none twice
        assert set(files) <= set(android.plural_quantities(lang)) and len(set(files)) == \
            len(files)
        assert '<string name="app_name" translatable="false">Demo app</string>' in out
    assert not list(tmp_path.rglob("*.part"))
