"""service/tmx.py: TMX 1.4b written as the DTD says, and TMX from other tools read back with
the right languages (tests/data: the official DTD and a memory written by OmegaT)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError
from llamax_cli.service import tmx
from llamax_cli.service.tmx import Pair, read_tmx, write_tmx

DATA = Path(__file__).parent / "data"
DTD = etree.DTD(str(DATA / "tmx14.dtd"))
OMEGAT = DATA / "omegat-calc-guide-preface.pt-BR.tmx"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def assert_valid_tmx14(path: Path) -> etree._ElementTree:
    """Parsed without the network and validated against the TMX 1.4b DTD."""
    tree = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))
    assert DTD.validate(tree), DTD.error_log.filter_from_errors()
    assert tree.getroot().get("version") == "1.4"
    return tree


def write(tmp_path: Path, text: str, name: str = "in.tmx", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def tmx_doc(body: str, srclang: str = "en-US", version: str = "1.4") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="{version}">\n'
            f'<header creationtool="test" creationtoolversion="1" datatype="plaintext" '
            f'segtype="sentence" adminlang="en-US" srclang="{srclang}" o-tmf="test"/>\n'
            f"<body>\n{body}\n</body>\n</tmx>\n")


def test_the_shipped_dtd_can_fail():
    # The validation below means something: a <tuv> without xml:lang is refused.
    bad = etree.fromstring(tmx_doc('<tu><tuv><seg>x</seg></tuv></tu>').encode())
    assert not DTD.validate(bad)
    assert DTD.validate(etree.parse(str(OMEGAT)))  # the real-world file is valid TMX 1.4b


def test_written_tmx_is_valid_tmx14_with_bcp47_tags_and_exact_text(tmp_path):
    tricky = 'Tom & "Jerry" <b>bold</b>\ttab\r\ncrlf\n  spaced  ]]> 🙂'
    pairs = [Pair("en", "fr", "Hello", "Bonjour", 1_700_000_000.0),
             Pair("en", "zh", "Hello", "你好"), Pair("en", "zh-Hant", "Hello", "你好（繁）"),
             Pair("fr", "tl", "Salut", "Kumusta"), Pair("en", "no", "Hi", "Hei"),
             Pair("en", "de", tricky, tricky.upper())]
    out = tmp_path / "out.tmx"
    notes = []
    assert write_tmx(out, pairs, note=notes.append) == 6 and notes == []
    tree = assert_valid_tmx14(out)
    header = tree.find("header")
    assert header.get("creationtool") == "llamax" and header.get("srclang") == "*all*"
    units = tree.findall("body/tu")
    tags = [[tuv.get(XML_LANG) for tuv in tu.findall("tuv")] for tu in units]
    assert tags == [["en", "fr"], ["en", "zh-Hans"], ["en", "zh-Hant"], ["fr", "fil"],
                    ["en", "nb"], ["en", "de"]]
    assert units[0].get("creationdate") == "20231114T221320Z"
    assert units[5].findall("tuv/seg")[0].text == tricky  # \r survives a parser (&#13;)
    back = read_tmx(out)
    assert back.pairs == [Pair(p.src, p.tgt, p.source, p.translation) for p in pairs]


def test_characters_xml_cannot_carry_are_left_out_and_counted(tmp_path):
    out = tmp_path / "out.tmx"
    pairs = [Pair("en", "fr", "bell \x07", "cloche"), Pair("en", "fr", "ok", "lone \udc80"),
             Pair("en", "fr", "fine", "bien")]
    notes = []
    assert write_tmx(out, pairs, note=notes.append) == 1
    assert notes == [f"2 entries left out of {out}: they hold characters XML cannot carry "
                     f"(control characters)"]
    assert_valid_tmx14(out)
    assert [p.source for p in read_tmx(out).pairs] == ["fine"]


def test_every_llamax_language_survives_its_bcp47_tag():
    for lang in languages.all_languages():
        assert languages.find(tmx.bcp47(lang.code)).code == lang.code, lang


def test_a_real_omegat_memory_is_read_with_its_languages():
    report = read_tmx(OMEGAT)
    assert report.units == 233
    assert len(report.pairs) == 212  # 20 units hold Portuguese only, 1 English only
    assert report.incomplete == 21 and not report.unknown_tags
    assert {(p.src, p.tgt) for p in report.pairs} == {("en", "pt")}  # pt-BR: llamax's pt
    first = report.pairs[0]
    assert (first.source, first.translation) == ("Calc Guide", "Guia do Calc")
    assert ("Questions & Answers and Knowledge Base",
            "Perguntas e Respostas e Base de Conhecimento") in \
        {(p.source, p.translation) for p in report.pairs}
    assert "21 unit(s) without a source or a translation" in report.summary()


def test_tags_map_back_case_and_region_tolerant_unknown_ones_counted(tmp_path):
    # TMX 1.1 style: `lang`, not xml:lang; odd cases; a tag llamax does not know.
    body = ('<tu><tuv lang="EN-us"><seg>Hello</seg></tuv>'
            '<tuv lang="zh-CN"><seg>你好</seg></tuv><tuv lang="zh-TW"><seg>妳好</seg></tuv>'
            '<tuv lang="pt-BR"><seg>Olá</seg></tuv><tuv lang="FR-fr"><seg>Bonjour</seg></tuv>'
            '<tuv lang="en-GB"><seg>Hello!</seg></tuv>'
            '<tuv lang="x-klingon"><seg>nuqneH</seg></tuv></tu>')
    report = read_tmx(write(tmp_path, tmx_doc(body, srclang="en-US", version="1.1")))
    assert [(p.src, p.tgt, p.translation) for p in report.pairs] == [
        ("en", "zh", "你好"), ("en", "zh-Hant", "妳好"), ("en", "pt", "Olá"),
        ("en", "fr", "Bonjour")]  # en-GB is no translation of en-US: left out, not counted
    assert report.unknown_tags == {"x-klingon": 1}
    assert "x-klingon (1)" in report.summary()


def test_the_source_is_the_units_srclang_else_the_headers_else_the_first(tmp_path):
    body = ('<tu><tuv xml:lang="fr"><seg>Bonjour</seg></tuv>'
            '<tuv xml:lang="en"><seg>Hello</seg></tuv></tu>'
            '<tu srclang="de"><tuv xml:lang="en"><seg>Thanks</seg></tuv>'
            '<tuv xml:lang="de"><seg>Danke</seg></tuv></tu>')
    by_header = read_tmx(write(tmp_path, tmx_doc(body, srclang="en"), "a.tmx")).pairs
    assert [(p.src, p.source) for p in by_header] == [("en", "Hello"), ("de", "Danke")]
    any_first = read_tmx(write(tmp_path, tmx_doc(body, srclang="*all*"), "b.tmx")).pairs
    assert [(p.src, p.source) for p in any_first] == [("fr", "Bonjour"), ("de", "Danke")]


def test_inline_codes_give_back_the_original_markup(tmp_path):
    body = ('<tu><tuv xml:lang="en"><seg>Click <bpt i="1">&lt;b&gt;</bpt>here'
            '<ept i="1">&lt;/b&gt;</ept><ph x="2">&lt;br/&gt;</ph></seg></tuv>'
            '<tuv xml:lang="fr"><seg>Cliquez <bpt i="1">&lt;b&gt;</bpt>ici'
            '<ept i="1">&lt;/b&gt;</ept><ph x="2">&lt;br/&gt;</ph></seg></tuv></tu>')
    (pair,) = read_tmx(write(tmp_path, tmx_doc(body, srclang="en"))).pairs
    assert (pair.source, pair.translation) == ("Click <b>here</b><br/>", "Cliquez <b>ici</b><br/>")


def test_utf16_files_as_trados_writes_them_are_read(tmp_path):
    text = tmx_doc('<tu><tuv xml:lang="en-US"><seg>Save</seg></tuv>'
                   '<tuv xml:lang="de-DE"><seg>Speichern</seg></tuv></tu>')
    path = write(tmp_path, text.replace('encoding="UTF-8"', 'encoding="UTF-16"'),
                 encoding="utf-16")
    assert [(p.src, p.tgt, p.translation) for p in read_tmx(path).pairs] == [
        ("en", "de", "Speichern")]


def with_doctype(tmp_path: Path, subset: str, seg: str) -> Path:
    body = f'<tu><tuv xml:lang="en"><seg>{seg}</seg></tuv><tuv xml:lang="fr"><seg>c</seg></tuv></tu>'
    doc = tmx_doc(body, srclang="en").split("\n", 1)[1]
    return write(tmp_path, f'<?xml version="1.0"?>\n<!DOCTYPE tmx [{subset}]>\n{doc}')


def test_external_entities_are_not_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = with_doctype(tmp_path, f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">', "a &xxe; b")
    (pair,) = read_tmx(path).pairs
    assert "TOP-SECRET" not in pair.source and pair.source.startswith("a ")


def test_entity_bombs_are_refused_in_one_line(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 12))
    path = with_doctype(tmp_path, '<!ENTITY l0 "lol">' + laughs, "a &l11; b")
    try:
        pairs = read_tmx(path).pairs
    except LlamaxError as exc:  # libxml2's amplification limit
        assert "not a readable TMX file" in str(exc)
        return
    assert all(len(p.source) < 100 for p in pairs)  # or left unexpanded


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read"),
    ("", "not a readable TMX file"),
    ("not xml at all", "not a readable TMX file"),
    ("<html><body>hi</body></html>", "not a TMX file (its root is <html>)"),
    ('<tmx version="1.4"><body><tu>', "not a readable TMX file"),  # cut short
])
def test_unreadable_files_are_one_line_errors(tmp_path, content, expected):
    path = tmp_path / "x.tmx"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LlamaxError) as caught:
        read_tmx(path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_is_neither_read_nor_written(tmp_path):
    with pytest.raises(LlamaxError, match="it is a folder"):
        read_tmx(tmp_path)
    with pytest.raises(LlamaxError, match="it is a folder"):
        write_tmx(tmp_path, [])


def test_a_failed_write_leaves_no_file(tmp_path):
    out = tmp_path / "out.tmx"

    def pairs():
        yield Pair("en", "fr", "a", "b")
        raise RuntimeError("the memory went away")

    with pytest.raises(RuntimeError):
        write_tmx(out, pairs())
    assert list(tmp_path.iterdir()) == []
