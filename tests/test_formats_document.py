"""formats/document.py: the document model every format builds with (Unit, Document, Builder)
and the declaration of a format (Format)."""

import pytest

from llamax_cli.formats.document import (LONG_LINE, Builder, Document, Format, Unit, has_words,
                                         lines, split_ws)
from llamax_cli.formats.spans import OPAQUE_RUN


def test_a_unit_replaces_its_source_when_no_raw_text_is_given():
    assert Unit(0, "Hello", 1).raw == "Hello"
    assert Unit(0, "Hello there", 1, raw="Hello\nthere").raw == "Hello\nthere"


def test_literals_between_units_are_joined_into_one_part():
    b = Builder("text")
    for piece in ("a", "", "b", "c"):
        b.literal(piece)
    b.unit("Hello world", 1)
    b.literal("\n")
    doc = b.finish()
    assert doc.parts == ["abc", doc.units[0], "\n"] and doc.format == "text"
    assert doc.render(["Bonjour"]) == "abcBonjour\n"


def test_a_unit_without_words_is_literal_and_its_edges_whitespace_stays_outside():
    b = Builder("text")
    b.unit("  `code` 42 https://example.com  ", 1)
    b.unit("  Hello there  ", 2)
    doc = b.finish()
    assert [u.source for u in doc.units] == ["Hello there"]
    assert doc.parts == ["  `code` 42 https://example.com    ", doc.units[0], "  "]


def test_an_explicit_source_keeps_the_raw_text_whole():
    b = Builder("markdown")
    b.unit("two\n  lines", 3, source="two lines", width=10)
    [unit] = b.finish().units
    assert (unit.source, unit.raw, unit.line, unit.width) == ("two lines", "two\n  lines", 3, 10)


def test_inline_markup_is_recorded_only_for_formats_that_ask_for_it():
    plain, marked = Builder("srt"), Builder("html", inline_markup=True)
    for b in (plain, marked):
        b.unit("Hello <b>world</b>", 1)
    assert plain.finish().units[0].markup is None
    assert marked.finish().units[0].markup == ("<b>", "</b>")


def test_an_opaque_run_is_cut_out_and_protected_extra_stays_with_its_piece():
    blob = "x" * OPAQUE_RUN
    b = Builder("vtt")
    b.unit(f"Before &amp; here {blob} after <c.x>this</c>", 1, wrap=2,
           protected_extra=("&amp;", "<c.x>"))
    doc = b.finish()
    assert [u.source for u in doc.units] == ["Before &amp; here", "after <c.x>this</c>"]
    assert doc.units[0].protected == ("&amp;",)
    assert "<c.x>" in doc.units[1].protected and "&amp;" not in doc.units[1].protected
    assert doc.render(u.raw for u in doc.units) == f"Before &amp; here {blob} after <c.x>this</c>"


def test_protected_spans_come_from_spans_and_the_format():
    b = Builder("vtt")
    b.unit("Run `make` at <00:00:01.000> now", 1, protected_extra=("<00:00:01.000>",))
    assert b.finish().units[0].protected == ("`make`", "<00:00:01.000>")


def test_a_long_line_becomes_one_unit_per_sentence():
    b = Builder("text")
    text = "A first sentence here. " * (LONG_LINE // 20)
    b.text_units(text.strip(), 7)
    doc = b.finish()
    assert len(doc.units) == LONG_LINE // 20 and {u.line for u in doc.units} == {7}
    assert doc.render(u.raw for u in doc.units) == text.strip()


def test_warnings_are_kept_in_order():
    b = Builder("srt")
    b.warn(3, "first")
    b.warn(1, "second")
    assert b.finish().warnings == [(3, "first"), (1, "second")]


def test_render_puts_translations_in_unit_order():
    doc = Document(parts=["<", Unit(0, "a", 1), "|", Unit(1, "b", 1), ">"])
    assert doc.render(["A", "B"]) == "<A|B>"


@pytest.mark.parametrize("text, expected", [
    ("hello", True), ("中文", True), ("42 % 7", False), ("`--to` {x}", True), ("→ ♪ 3.5", False),
])
def test_words_are_letters_of_any_script(text, expected):
    assert has_words(text) is expected


def test_lines_keep_each_ending():
    assert list(lines("a\r\nb\n\nc")) == [(1, "a", "\r\n"), (2, "b", "\n"), (3, "", "\n"),
                                          (4, "c", "")]


def test_split_ws():
    assert split_ws(" \t a b  ") == (" \t ", "a b", "  ")
    assert split_ws("   ") == ("   ", "", "")


def test_a_format_declares_its_name_parser_and_extensions():
    fmt = Format("demo", lambda text: Document(format="demo"), extensions=(".demo",))
    assert fmt.parse("x").format == "demo"
    assert fmt.uploads == () and fmt.signature is None and fmt.signs is None
