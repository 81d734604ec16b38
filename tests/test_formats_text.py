"""formats/text.py: every non-empty line is a unit; whitespace, blank lines and line endings
stay byte for byte; a long line is cut into sentences."""

import pytest

from llamax_cli.formats.document import LONG_LINE
from llamax_cli.formats.text import FORMAT, segment_text

CASES = [
    "one line",
    "trailing newline\n",
    "a\n\nb\n\n\n",
    "  indented\r\n\ttabbed  \r\n",
    "\n\nleading blank lines\n",
    "mixed 中文。\nसंस्कृत।\nعربي؟\n",
    "line\u2028separator\x0cform feed\n",
]


@pytest.mark.parametrize("text", CASES)
def test_identity_translation_reproduces_the_input_byte_for_byte(text):
    doc = segment_text(text)
    assert doc.render(unit.source for unit in doc.units) == text


def test_each_non_empty_line_is_one_unit_and_blank_lines_stay():
    doc = segment_text("first\n\n  second  \n")
    assert [u.source for u in doc.units] == ["first", "second"]
    assert [u.line for u in doc.units] == [1, 3]
    assert doc.render(["1", "2"]) == "1\n\n  2  \n"


def test_long_lines_become_sentence_units_with_the_spacing_kept():
    line = "This is a sentence that goes on for a while. " * 10
    assert len(line.strip()) > LONG_LINE
    doc = segment_text(line.strip() + "\n")
    assert len(doc.units) == 10
    assert doc.render(u.raw for u in doc.units) == line.strip() + "\n"


def test_a_line_of_the_long_limit_stays_one_unit():
    line = ("word " * LONG_LINE)[:LONG_LINE - 1] + "."
    assert len(segment_text(line).units) == 1


def test_text_declares_its_name_and_extensions_and_no_sniffer():
    # Text is what a document is when nothing else fits: it claims no content.
    assert FORMAT.name == "text" and FORMAT.parse is segment_text
    assert FORMAT.extensions == (".txt", ".text") and FORMAT.uploads == (".txt",)
    assert FORMAT.signature is None and FORMAT.signs is None
