"""service/memory_tmx.py: the memory to and from TMX 1.4b, validated against the DTD, with a
real OmegaT memory imported and served."""

from __future__ import annotations

import pytest
from lxml import etree

from llamax_cli.core.errors import LlamaxError
from llamax_cli.service.memory import IMPORTED, Hit, Memory
from llamax_cli.service.memory_tmx import export_tmx, import_tmx
from test_service_memory import DATA, OMEGAT, mem, notes  # noqa: F401 (fixtures)


def test_export_is_valid_tmx14_one_unit_per_source_the_preferred_one(mem, tmp_path, notes):
    mem.put("model-a", "en", "fr", "Save", "Sauver", "ok")
    mem.put("model-b", "en", "fr", "Save", "Sauvegarder", "ok")
    mem.put(IMPORTED, "en", "fr", "Save", "Enregistrer", "ok")
    mem.put("model-a", "en", "zh-Hant", "Open", "開啟", "ok")
    mem.put("model-a", "en", "de", "Bad", "Schlecht", "truncated")  # not a translation to share
    mem.put("model-a", "en", "de", "Bell\x07", "Glocke", "ok")  # XML cannot carry it
    out = tmp_path / "out.tmx"
    assert export_tmx(mem, out) == 2
    tree = etree.parse(str(out), etree.XMLParser(load_dtd=False, no_network=True))
    assert etree.DTD(str(DATA / "tmx14.dtd")).validate(tree)
    segs = [[tuv.get("{http://www.w3.org/XML/1998/namespace}lang"), tuv.findtext("seg")]
            for tuv in tree.iter("tuv")]
    assert segs == [["en", "Save"], ["fr", "Enregistrer"], ["en", "Open"], ["zh-Hant", "開啟"]]
    assert len(notes) == 1 and "1 entries left out" in notes[0]


def test_import_a_real_omegat_memory_then_serve_it(mem, notes):
    assert import_tmx(mem, OMEGAT) == 208  # 212 pairs, "Note" five times
    assert len(notes) == 1 and "21 unit(s) without a source or a translation" in notes[0]
    hit = mem.lookup("any-model", "en", "pt", "Calc Guide")
    assert isinstance(hit, Hit) and (hit.translation, hit.origin) == ("Guia do Calc", "import")
    mem.put("any-model", "en", "pt", "Calc Guide", "Guia de Calc (MT)", "ok")
    mem.flush()
    assert mem.lookup("any-model", "en", "pt", "Calc Guide").translation == "Guia do Calc"
    assert mem.stats()["imported"] == 208


def test_export_then_import_round_trips(mem, tmp_path):
    mem.put("ctx", "en", "zh", "Hello", "你好", "ok")
    mem.put("ctx", "fr", "no", "Bonjour\r\nà tous", "Hei\talle", "ok")
    out = tmp_path / "out.tmx"
    assert export_tmx(mem, out) == 2
    other = Memory(tmp_path / "other.sqlite3")
    assert import_tmx(other, out) == 2
    assert other.lookup("x", "en", "zh", "Hello").translation == "你好"
    assert other.lookup("x", "fr", "no", "Bonjour\r\nà tous").translation == "Hei\talle"
    other.close()


def test_a_failed_import_stores_nothing(mem, tmp_path):
    bad = tmp_path / "cut.tmx"
    bad.write_text(OMEGAT.read_text(encoding="utf-8")[:20_000], encoding="utf-8")
    with pytest.raises(LlamaxError, match="not a readable TMX file"):
        import_tmx(mem, bad)
    assert mem.stats()["entries"] == 0
