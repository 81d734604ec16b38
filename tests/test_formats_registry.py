"""formats/registry.py: the one list of formats, and everything derived from it: the --format
choices, the server's /translate_file types, auto-detection and the extensions pending.py
leaves alone."""

import pytest

from llamax_cli.formats import pending, registry, segment


def test_the_formats_and_their_order():
    assert registry.names() == ("auto", "text", "po", "xliff", "android", "yaml", "json",
                                "markdown", "arb", "srt", "html", "vtt", "xcstrings", "strings")
    assert [fmt.name for fmt in registry.FORMATS] == list(registry.names()[1:])
    assert registry.by_name("srt").name == "srt"
    with pytest.raises(ValueError, match="unknown format 'auto'; choose one of auto, text"):
        registry.by_name("auto")


def test_no_two_formats_share_a_name_or_an_extension():
    names = [fmt.name for fmt in registry.FORMATS]
    claimed = [ext for fmt in registry.FORMATS for ext in fmt.extensions]
    assert len(set(names)) == len(names) and len(set(claimed)) == len(claimed)
    for fmt in registry.FORMATS:
        assert set(fmt.uploads) <= set(fmt.extensions), fmt.name
        assert all(ext.startswith(".") and ext == ext.lower() for ext in fmt.extensions)


def test_the_server_file_types_are_the_registrys_in_its_order():
    assert registry.file_extensions() == (
        ".txt", ".po", ".pot", ".xlf", ".xliff", ".xml", ".yml", ".yaml", ".json", ".md", ".arb",
        ".srt", ".html", ".htm", ".vtt", ".xcstrings", ".strings")


def test_extensions_decide_first_case_insensitively():
    assert registry.by_extension("NOTES.MD").name == "markdown"
    assert registry.by_extension("page.xhtml").name == "html"
    assert registry.by_extension("archive.tar.gz") is None and registry.by_extension(None) is None
    assert registry.detect("<!doctype html><p>Hi</p>", "page.txt") == "text"


@pytest.mark.parametrize("text, expected", [
    ("1\n00:00:01,000 --> 00:00:02,000\nSee [x](http://y)\n", "srt"),  # signature before signs
    ("<!doctype html>\n<p>[x](http://y)</p>", "html"),
    ("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\n<i>[x](http://y)</i>\n", "vtt"),
    ("# Title\n\nText", "markdown"), ("Just a line.", "text"), ("", "text"),
])
def test_signatures_first_then_signs_then_text(text, expected):
    assert registry.detect(text) == expected


def test_the_names_pending_uses_come_from_the_registry():
    assert ".vtt" in registry.extensions() and "vtt" not in pending.PENDING
    for ext in registry.extensions():
        assert pending.pending_format("[Script Info]\n", f"file{ext}") is None, ext


DEMO_MODULE = '''
from llamax_cli.formats.document import Builder, Format


def parse(text):
    b = Builder("demo")
    b.unit(text, 1)
    return b.finish()


FORMAT = Format("demo", parse, extensions=(".demo", ".dm"), uploads=(".demo",),
                signature=lambda text: text.startswith("DEMO"), rank=60)
'''


def test_a_format_is_one_module_found_in_the_package(tmp_path, monkeypatch):
    # What "a format is one module" means: a module of the formats package that declares
    # FORMAT, and the choices, the extensions, the server's types, detection and pending.py
    # all know it, with no other file edited. The demo module sits in a folder added to the
    # package's path, as if it were a file of llamax_cli/formats/.
    import sys

    import llamax_cli.formats

    (tmp_path / "demo_format.py").write_text(DEMO_MODULE)
    monkeypatch.setattr(llamax_cli.formats, "__path__", [*llamax_cli.formats.__path__,
                                                         str(tmp_path)])
    monkeypatch.delitem(sys.modules, "llamax_cli.formats.demo_format", raising=False)
    monkeypatch.setattr(registry, "FORMATS", registry._discover())
    assert registry.names()[-1] == "demo"
    assert {".demo", ".dm"} <= registry.extensions()
    assert registry.file_extensions()[-1] == ".demo"
    assert registry.detect("anything", "x.dm") == "demo" and registry.detect("DEMO file") == "demo"
    assert segment.segment("Hello there", "demo").format == "demo"
    assert segment.detect_format("DEMO") == "demo"
    monkeypatch.setitem(pending.PENDING, "demo", pending.Pending("demos are", (".demo",)))
    assert pending.pending_format(None, "a.demo") is None  # supported wins over pending
    sys.modules.pop("llamax_cli.formats.demo_format", None)


def test_formats_are_found_in_rank_order_whatever_the_file_names():
    assert [fmt.rank for fmt in registry.FORMATS] == sorted(fmt.rank for fmt in registry.FORMATS)
    assert registry._discover() == registry.FORMATS


# -- through the real CLI -----------------------------------------------------------------------

# A file of each localization format that holds one message, "Hello there".
SMALLEST = {
    "po": 'msgid "Hello there"\nmsgstr ""\n',
    "xliff": ('<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file '
              'source-language="en" datatype="plaintext" original="x"><body><trans-unit id="1">'
              '<source>Hello there</source></trans-unit></body></file></xliff>\n'),
    "android": '<resources><string name="a">Hello there</string></resources>\n',
    "yaml": "en:\n  a: Hello there\n",
    "json": '{"a": "Hello there"}\n',
    "arb": '{"@@locale": "en", "a": "Hello there"}\n',
    "xcstrings": '{"sourceLanguage" : "en", "strings" : {"Hello there" : {}}, "version" : "1.0"}\n',
    "strings": '"a" = "Hello there";\n',
}


@pytest.mark.parametrize("name", registry.names())
def test_the_cli_accepts_every_format_of_the_registry(llamax, name):
    text = SMALLEST.get(name, "Hello there")
    proc = llamax("translate", "--to", "fr", "--from", "en", "--dry-run", "--format", name,
                  "-t", text)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Hello there" in proc.stdout
    if name == "po":  # forced on text that is not one: refused in one line
        proc = llamax("translate", "--to", "fr", "--dry-run", "--format", "po", "-t", "Hi")
        assert proc.returncode == 1 and proc.stderr.decode().startswith(
            "llamax: error: --text: not a valid PO file")


def test_the_cli_names_the_registry_formats_when_refusing_one(llamax):
    proc = llamax("translate", "--to", "fr", "--dry-run", "--format", "docx", "-t", "Hello")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "docx" in err
    assert all(name in err for name in registry.names()), err
