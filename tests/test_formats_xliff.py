"""XLIFF 1.2 and 2.0 (formats/xliff.py): byte-identical when nothing is translated, only the
units that need it filled, inline tags kept, and every output valid against the OASIS
schemas (shipped in tests/data/xliff: no network)."""

import shutil
from pathlib import Path

import pytest
from lxml import etree

from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.languages import resolve
from llamax_cli.engine import Event
from llamax_cli.formats import placeholders, registry, xliff
from llamax_cli.formats.document import Unit, literal_text
from llamax_cli.service import pipeline
from llamax_cli.service.options import Options

DATA = Path(__file__).parent / "data" / "xliff"
ANGULAR = DATA / "angular-i18n-messages.xlf"  # 1.2, no targets, <x/> and ICU
SYMFONY = DATA / "symfony-security.da.xlf"  # 1.2, every unit translated
OASIS = sorted(DATA.glob("oasis-*.xlf"))  # 2.0, the OASIS TC's test suite (CRLF)

HANDMADE_12 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" datatype="plaintext" original="app.ts">
    <body>
      <trans-unit id="new"><source>Save <g id="1" ctype="bold">all</g> files</source></trans-unit>
      <trans-unit id="empty">
        <source>Open <bx id="2"/>the<ex id="2"/> file <x id="3"/></source>
        <target xml:lang="de"/>
        <note>A note of the author's.</note>
      </trans-unit>
      <trans-unit id="state-new">
        <source>Press <bpt id="4">&lt;b&gt;</bpt>Enter<ept id="4">&lt;/b&gt;</ept> &amp; wait</source>
        <target state="new">Press Enter</target>
      </trans-unit>
      <trans-unit id="needs"><source>Hello <ph id="5">%s</ph>, <it id="6" pos="open">&lt;i&gt;</it>friend</source><target state="needs-translation"></target></trans-unit>
      <trans-unit id="mrk"><source>Use the <mrk mtype="term">cloud</mrk> &lt;now&gt;</source></trans-unit>
      <trans-unit id="approved" approved="yes"><source>Approved but empty</source></trans-unit>
      <trans-unit id="final"><source>Final</source><target state="final"></target></trans-unit>
      <trans-unit id="signed"><source>Signed</source><target state="signed-off">Signé</target></trans-unit>
      <trans-unit id="done"><source>Done</source><target state="translated">Fait</target></trans-unit>
      <trans-unit id="kept"><source>Kept</source><target>Gardé</target></trans-unit>
      <trans-unit id="no" translate="no"><source>Llamax</source></trans-unit>
      <group id="brand" translate="no">
        <trans-unit id="inherited"><source>Brand name</source></trans-unit>
      </group>
    </body>
  </file>
</xliff>
"""

HANDMADE_20 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en">
  <file id="f1">
    <unit id="u1">
      <segment><source>Click <pc id="1" dispStart="&lt;a&gt;">here</pc> <ph id="2"/> now</source></segment>
      <segment state="reviewed"><source>Reviewed</source><target></target></segment>
      <segment state="initial"><source>Start <sc id="3"/>bold<ec startRef="3"/> <mrk id="m1" translate="no">Llamax</mrk></source><target>Old</target></segment>
    </unit>
    <unit id="u2">
      <notes>
        <note category="context">A button.</note>
      </notes>
      <segment state="final"><source>Final</source></segment>
      <segment><source>Second only</source><target/></segment>
    </unit>
    <unit id="u3" translate="no">
      <segment><source>Do not translate</source></segment>
    </unit>
    <unit id="u4">
      <segment state="translated"><source>Translated</source><target>Traduit</target></segment>
    </unit>
  </file>
</xliff>
"""

SAMPLES = [ANGULAR, SYMFONY, *OASIS, "handmade-1.2", "handmade-2.0"]


def text_of(sample) -> str:
    if sample == "handmade-1.2":
        return HANDMADE_12
    if sample == "handmade-2.0":
        return HANDMADE_20
    return sample.read_bytes().decode("utf-8") if isinstance(sample, Path) else sample


def written(doc, target: str, translate=lambda source: f"T {source}") -> str:
    """The document as the pipeline writes it when every unit comes back as translate()."""
    return "".join(part.encode(translate(part.source), target) if isinstance(part, Unit)
                   else literal_text(part, target) for part in doc.parts)


def units_by_source(text):
    return {unit.source: unit for unit in xliff.parse_xliff(text).units}


class _LocalSchemas(etree.Resolver):
    """xml.xsd, which both schemas import, from tests/data (never from the network)."""

    def resolve(self, url, pubid, context):
        if url.endswith("xml.xsd"):
            return self.resolve_filename(str(DATA / "xml.xsd"), context)
        return None


def schema(name: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(DATA / name), parser))


SCHEMAS = {"urn:oasis:names:tc:xliff:document:1.2": schema("xliff-core-1.2-strict.xsd"),
           "urn:oasis:names:tc:xliff:document:2.0": schema("xliff_core_2.0.xsd")}


def assert_valid(text: str) -> None:
    document = etree.fromstring(text.encode("utf-8"))
    checker = SCHEMAS[etree.QName(document).namespace]
    assert checker.validate(document), checker.error_log


# -- round trip, and the schemas -----------------------------------------------------------------

@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_nothing_translated_is_the_input_byte_for_byte(sample):
    text = text_of(sample)
    doc = xliff.parse_xliff(text)
    assert doc.render(unit.raw for unit in doc.units) == text
    assert_valid(text)  # the samples themselves are valid XLIFF


def test_the_schemas_are_strict_enough_to_catch_a_misplaced_target():
    broken = HANDMADE_12.replace('<note>A note', '<target/><note>A note')
    assert not SCHEMAS["urn:oasis:names:tc:xliff:document:1.2"].validate(
        etree.fromstring(broken.encode()))


@pytest.mark.parametrize("target", ["fr", "ar", "pt-BR"])
@pytest.mark.parametrize("sample", SAMPLES, ids=str)
def test_every_output_is_valid_against_the_oasis_schema(sample, target):
    # the translation holds what must be escaped, and every tag of its source
    out = written(xliff.parse_xliff(text_of(sample)), target,
                  translate=lambda source: f'« {source} » & <"d\'accord"> \x01')
    assert_valid(out)
    assert "\x01" not in out


# -- which units ---------------------------------------------------------------------------------

def test_the_1_2_units_are_the_untranslated_ones_only():
    sources = list(units_by_source(HANDMADE_12))
    assert sources == ['Save <g id="1" ctype="bold">all</g> files',
                       'Open <bx id="2"/>the<ex id="2"/> file <x id="3"/>',
                       'Press <bpt id="4"/>Enter<ept id="4"/> & wait',
                       'Hello <ph id="5"/>, <it id="6" pos="open"/>friend',
                       'Use the <mrk mtype="term">cloud</mrk> <now>']


def test_approved_final_and_translated_units_are_untouched():
    out = written(xliff.parse_xliff(HANDMADE_12), "fr")
    for kept in ('<trans-unit id="approved" approved="yes"><source>Approved but empty</source>'
                 '</trans-unit>',
                 '<trans-unit id="final"><source>Final</source><target state="final"></target>'
                 '</trans-unit>',
                 '<target state="signed-off">Signé</target></trans-unit>',
                 '<target state="translated">Fait</target></trans-unit>',
                 '<source>Kept</source><target>Gardé</target></trans-unit>'):
        assert kept in out
    out = written(xliff.parse_xliff(HANDMADE_20), "fr")
    assert '<segment state="reviewed"><source>Reviewed</source><target></target></segment>' in out
    assert '<segment state="final"><source>Final</source></segment>' in out
    assert ('<segment state="translated"><source>Translated</source><target>Traduit</target>'
            in out)


def test_translate_no_is_skipped_on_the_unit_and_inherited():
    assert not {"Llamax", "Brand name"} & set(units_by_source(HANDMADE_12))
    assert "Do not translate" not in units_by_source(HANDMADE_20)
    # everything-core: the file says no, its group says yes again (the nearest decides)
    everything = units_by_source(text_of(DATA / "oasis-everything-core.xlf"))
    assert "Sample segment." not in everything and "Bolded text" in everything


def test_the_2_0_units_are_the_segments_to_fill_only():
    assert list(units_by_source(HANDMADE_20)) == [
        'Click <pc id="1" dispStart="&lt;a&gt;">here</pc> <ph id="2"/> now',
        'Start <sc id="3"/>bold<ec startRef="3"/> <mrk id="m1" translate="no"/>',
        "Second only"]
    assert list(units_by_source(text_of(DATA / "oasis-toSegment.xlf"))) == [
        "Sentence 1. Sentence 2. Sentence 3. Sentence 4.", "Sentence 7. Sentence 8.",
        "<pc id='1'>Sentence 9. Sentence 10</pc>."]
    assert xliff.parse_xliff(text_of(SYMFONY)).units == []


# -- what is written -----------------------------------------------------------------------------

def test_a_1_2_target_is_added_after_the_source_with_its_state_and_a_note():
    out = written(xliff.parse_xliff(text_of(ANGULAR)), "fr")
    assert ('        <source>Angular logo</source>\n'
            '        <target state="needs-review-translation" state-qualifier="mt-suggestion">'
            'T Angular logo</target>\n'
            '        <note from="llamax">Machine translation</note>\n'
            '        <context-group purpose="location">') in out
    # the source's own edges are kept, and its &apos; written as the character it is
    assert ">\n  T Hello i18n!\n</target>" in out and "T I don't output any element" in out
    assert '<file source-language="en" datatype="plaintext" original="ng2.template" ' \
           'target-language="fr">' in out


def test_an_existing_empty_or_new_target_is_filled_in_place():
    out = written(xliff.parse_xliff(HANDMADE_12), "pt-BR")
    assert ('<target xml:lang="pt-BR" state="needs-review-translation" '
            'state-qualifier="mt-suggestion">T Open <bx id="2"/>the<ex id="2"/> file <x id="3"/>'
            '</target>\n        <note from="llamax">Machine translation</note>\n'
            "        <note>A note of the author's.</note>") in out
    assert ('<target state="needs-review-translation" state-qualifier="mt-suggestion">T Press '
            '<bpt id="4">&lt;b&gt;</bpt>Enter<ept id="4">&lt;/b&gt;</ept> &amp; wait</target>'
            in out)
    assert "Press Enter</target>" not in out
    assert "T Use the <mrk mtype=\"term\">cloud</mrk> &lt;now&gt;</target>" in out


def test_a_2_0_segment_is_translated_and_its_unit_gets_one_note():
    out = written(xliff.parse_xliff(HANDMADE_20), "ar")
    assert '<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="en" ' \
           'trgLang="ar">' in out
    assert ('    <unit id="u1">\n      <notes>\n        <note category="llamax">Machine '
            'translation</note>\n      </notes>\n      <segment state="translated"><source>Click '
            in out)
    assert ('<ph id="2"/> now</source><target>T Click <pc id="1" dispStart="&lt;a&gt;">here</pc> '
            '<ph id="2"/> now</target></segment>') in out
    assert ('<segment state="translated"><source>Start') in out
    assert ('<target>T Start <sc id="3"/>bold<ec startRef="3"/> <mrk id="m1" translate="no">'
            'Llamax</mrk></target>') in out and ">Old<" not in out
    # u2 has notes: one more note in them; its later segment is filled, the final one kept
    assert ('<note category="context">A button.</note>\n        <note category="llamax">Machine '
            'translation</note>\n      </notes>') in out
    assert '<segment state="translated"><source>Second only</source><target>T Second only' \
           '</target></segment>' in out
    assert out.count('category="llamax"') == 2


def test_crlf_files_get_crlf_and_the_sources_indentation():
    out = written(xliff.parse_xliff(text_of(DATA / "oasis-toSegment.xlf")), "fr")
    assert ('<segment id="s3" canResegment="no" state="translated">\r\n'
            '    <source>Sentence 7. Sentence 8.</source>\r\n'
            '    <target>T Sentence 7. Sentence 8.</target>\r\n   </segment>') in out
    assert ('  <unit id="1">\r\n   <notes>\r\n    <note category="llamax">Machine translation'
            '</note>\r\n   </notes>\r\n   <segment id="s1" state="translated" subState="my:value">'
            in out)
    assert "\n" not in out.replace("\r\n", "")


# -- inline tags -----------------------------------------------------------------------------

def test_every_inline_tag_is_a_placeholder_the_translation_must_keep():
    for unit in xliff.parse_xliff(HANDMADE_12).units + xliff.parse_xliff(HANDMADE_20).units:
        assert unit.placeholders == placeholders.find(unit.source)
    unit = units_by_source(HANDMADE_12)['Open <bx id="2"/>the<ex id="2"/> file <x id="3"/>']
    assert unit.placeholders == ('<bx id="2"/>', '<ex id="2"/>', '<x id="3"/>')
    assert placeholders.damage(unit.placeholders, "Ouvrir le fichier <x id=\"3\"/>")
    assert placeholders.damage(unit.placeholders,
                               'Ouvrir <bx id="2"/>le<ex id="2"/> fichier <x id="3"/>') is None


class TableEngine:
    """Answers each input from a table (the pipeline's prompt holds it after '### Input:')."""

    n_ctx = 2048

    def __init__(self, table):
        self.table = table

    def count_tokens(self, text):
        return len(text.split())

    def generate(self, requests, sampling, cancel=None):
        index = 0
        while index < len(requests):  # the pipeline may append retries while we run
            source = requests[index].prompt.split("### Input:\n")[1].split("\n")[0]
            yield Event(index, self.table[source], n_tokens=3)
            yield Event(index, "", True, "eog", 5, 3)
            index += 1


def test_a_translation_that_loses_a_tag_keeps_its_source_and_gets_no_target():
    text = text_of(ANGULAR)
    doc = xliff.parse_xliff(text)
    table = {unit.source: unit.source.replace("Updated", "Mis à jour") for unit in doc.units}
    lost = 'Updated <x id="ICU" equiv-text="{minutes, plural, =0 {...} =1 {...} other {...}}"/>'
    table[lost] = "Mis à jour"  # the model dropped the tag
    parts = list(pipeline.translate_document(doc, resolve("en"), resolve("fr"),
                                             TableEngine(table), Options(check_language=False)))
    out = "".join(part for part in parts if isinstance(part, str))
    statuses = {r.source: r.status for r in parts if isinstance(r, pipeline.UnitResult)}
    assert statuses[lost] == "placeholder-lost"
    assert statuses["Angular logo"] == "ok"
    assert_valid(out)
    unit_text = out.split('<trans-unit id="4606963464835766483" datatype="html">')[1]
    assert unit_text.split("</trans-unit>")[0] == text.split(
        '<trans-unit id="4606963464835766483" datatype="html">')[1].split("</trans-unit>")[0]
    assert ('<source>Updated: <x id="ICU" equiv-text="{minutes, plural, =0 {...} =1 {...} '
            'other {...}}"/>\n</source>\n        <target state="needs-review-translation" '
            'state-qualifier="mt-suggestion">Mis à jour: <x id="ICU"') in out


# -- refusals, detection, layout -----------------------------------------------------------------

@pytest.mark.parametrize("bad,why", [
    ('<xliff version="1.2"><file><body><trans-unit id="1"><source>a</target>', "mismatch"),
    ("<?xml version='1.0'?>\n<xliff version='1.2'", "line 2"),
    ("<resources><string name='a'>b</string></resources>", "root element is <resources>"),
    ("<xliff version='3.0' xmlns='urn:example'/>", "unknown version '3.0'"),
])
def test_a_file_that_is_not_xliff_is_refused_in_one_line(bad, why):
    with pytest.raises(LlamaxError, match="^not a valid XLIFF file: ") as caught:
        xliff.parse_xliff(bad)
    assert why in str(caught.value) and "\n" not in str(caught.value)


def test_xliff_files_are_found_by_extension_and_content():
    assert registry.detect("", "messages.xlf") == "xliff"
    assert registry.detect("", "messages.XLIFF") == "xliff"
    assert registry.detect(text_of(DATA / "oasis-withNotes.xlf")) == "xliff"
    assert registry.detect('<!-- c -->\n<xlf:xliff xmlns:xlf="x" version="1.2"/>') == "xliff"
    assert registry.detect("<html><body>xliff</body></html>") != "xliff"
    fmt = registry.by_name("xliff")
    assert fmt.code_for("pt_br") == "pt-BR" and fmt.code_for("zh-hant") == "zh-Hant"
    assert fmt.layout.format(lang=fmt.code_for("sr-Latn"), stem="messages") == (
        "messages.sr-Latn.xlf")


def test_translate_into_two_languages_as_a_user_would(llamax, tmp_path):
    shutil.copy(ANGULAR, tmp_path / "messages.xlf")
    proc = llamax("translate", "--from", "en", "--to", "fr,ar", "--max-tokens", "12",
                  "messages.xlf", "-o", "out/{stem}.{lang}.xlf")
    assert proc.returncode in (0, 3), proc.stderr
    notes = proc.stderr.decode()
    for lang in ("fr", "ar"):
        out = (tmp_path / "out" / f"messages.{lang}.xlf").read_text(encoding="utf-8")
        assert_valid(out)
        assert f'target-language="{lang}"' in out
        filled = out.count('<note from="llamax">Machine translation</note>')
        kept = notes.count(f"[{lang}] placeholder-lost")
        assert filled > 0 and filled + kept <= 9
        assert out.count("<target ") == filled
    assert not list(tmp_path.rglob("*.part"))


def test_markup_that_cannot_be_protected_leaves_the_unit_as_it_is_with_a_warning():
    text = HANDMADE_12.replace("<g id=\"1\" ctype=\"bold\">all</g>", "<_x/>all")
    doc = xliff.parse_xliff(text)
    assert "Save <_x/>all files" not in {unit.source for unit in doc.units}
    assert doc.warnings == [(5, "kept as is: inline markup that llamax cannot protect (<_x/>)")]
    assert '<trans-unit id="new"><source>Save <_x/>all files</source></trans-unit>' in written(
        doc, "fr")
