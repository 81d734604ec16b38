import pytest

from llamax_cli.segment import segment_text

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
