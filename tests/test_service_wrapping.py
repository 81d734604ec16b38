"""wrapping.py: a one-line translation laid out like its source's lines."""

import pytest

from llamax_cli.formats.segment import Unit, segment
from llamax_cli.service.wrapping import rewrap, shape_like, wrap_lines


# -- wrap_lines (subtitles) ----------------------------------------------------------------------

def test_wrap_lines_breaks_into_lines_of_similar_length():
    out = wrap_lines("Bonjour à tous, comment allez-vous aujourd'hui ?", 2)
    assert out == "Bonjour à tous, comment\nallez-vous aujourd'hui ?"
    assert out.replace("\n", " ") == "Bonjour à tous, comment allez-vous aujourd'hui ?"


def test_wrap_lines_keeps_the_source_newline_and_the_line_count():
    out = wrap_lines("one two three four five six", 3, "\r\n")
    assert out == "one two\r\nthree four\r\nfive six"
    assert out.count("\r\n") == 2 and "\n" not in out.replace("\r\n", "")


@pytest.mark.parametrize("text, lines", [
    ("one two three", 1),  # one line asked
    ("one two three", 0),
    ("a b", 3),  # fewer words than lines: no empty line is made
    ("unbreakable", 2),
])
def test_wrap_lines_leaves_text_it_cannot_or_need_not_wrap(text, lines):
    assert wrap_lines(text, lines) == text


def test_wrap_lines_never_breaks_a_word_nor_makes_an_empty_line():
    out = wrap_lines("supercalifragilistic a", 2)
    assert out == "supercalifragilistic\na"
    for n in range(2, 6):
        text = "w " * 9 + "w"
        lines = wrap_lines(text, n).split("\n")
        assert len(lines) == n and all(lines)
        assert " ".join(lines) == text


# -- rewrap (wrapped paragraphs) -----------------------------------------------------------------

def test_rewrap_respects_the_first_line_and_the_width_with_the_indent():
    text = "the quick brown fox jumps over the lazy dog again and again"
    out = rewrap(text, 20, 16, "> ")
    assert out == "the quick brown\n> fox jumps over the\n> lazy dog again and\n> again"
    lines = out.split("\n")
    assert len(lines[0]) <= 16 and all(len(line) <= 20 for line in lines[1:])
    assert all(line.startswith("> ") for line in lines[1:])
    assert " ".join(line.removeprefix("> ") for line in lines) == text


def test_rewrap_never_breaks_a_long_word():
    assert rewrap("a verylongwordthatexceedswidth b", 10, 10, "") == \
        "a\nverylongwordthatexceedswidth\nb"


def test_rewrap_never_opens_a_line_with_markdown_block_syntax():
    # each of these, opening a line, would make a list item, a heading, a quote, ...
    out = rewrap("aaaa bbbb - cccc # dddd 1. eeee > ffff", 9, 9, "")
    lines = out.split("\n")
    assert lines == ["aaaa bbbb -", "cccc #", "dddd 1.", "eeee >", "ffff"]
    for line in lines[1:]:
        assert segment(line, "markdown").units[0].source == line  # still a plain paragraph


def test_rewrap_a_short_text_stays_one_line_with_the_newline_asked():
    assert rewrap("short text", 80, 80, "  ", "\r\n") == "short text"
    assert rewrap("one two three", 7, 7, "", "\r\n") == "one two\r\nthree"


# -- shape_like ----------------------------------------------------------------------------------

def test_shape_like_a_subtitle_cue_of_two_lines():
    srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\nHello everyone,\r\nhow are you today?\r\n"
    unit = segment(srt, "srt").units[0]
    assert unit.wrap == 2 and unit.newline == "\r\n"
    out = shape_like(unit, "Bonjour à tous, comment allez-vous aujourd'hui ?")
    assert out == "Bonjour à tous, comment\r\nallez-vous aujourd'hui ?"


def test_shape_like_a_wrapped_markdown_paragraph_keeps_its_width_and_prefix():
    md = ("> This quoted paragraph is wrapped over\n"
          "> several lines of the same width, as\n"
          "> editors do.\n")
    unit = segment(md, "markdown").units[0]
    assert (unit.width, unit.first, unit.indent) == (39, 37, "> ")
    translation = ("Ce paragraphe cité est coupé sur plusieurs lignes de la même "
                   "largeur, comme le font les éditeurs.")
    out = shape_like(unit, translation)
    lines = out.split("\n")
    assert len(lines) > 1 and all(line.startswith("> ") for line in lines[1:])
    assert all(len(line) <= unit.width for line in lines[1:])
    assert len(lines[0]) <= unit.first
    assert " ".join(line.removeprefix("> ") for line in lines) == translation
    # put back in the document, every line is still a quote line
    rendered = segment(md, "markdown").render([out])
    assert all(line.startswith("> ") for line in rendered.splitlines())


def test_shape_like_a_one_line_unit_is_left_as_it_is():
    unit = Unit(0, "Hello.", 1)
    long = "Bonjour " * 40
    assert shape_like(unit, long) == long
