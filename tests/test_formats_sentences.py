"""formats/sentences.py: long lines are cut into sentences in every script, and the pieces
put together give the line back."""

import pytest

from llamax_cli.formats.sentences import split_sentences


@pytest.mark.parametrize("text, expected", [
    ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
    ("पहला वाक्य। दूसरा वाक्य।", ["पहला वाक्य।", "दूसरा वाक्य।"]),
    ("جملة أولى؟ جملة ثانية.", ["جملة أولى؟", "جملة ثانية."]),
    ("He paid 3.50 dollars. Then left.", ["He paid 3.50 dollars.", "Then left."]),
])
def test_sentences_split_across_scripts(text, expected):
    pieces = split_sentences(text)
    assert [p for p, is_sentence in pieces if is_sentence] == expected
    assert "".join(p for p, _ in pieces) == text


def test_separators_are_pieces_of_their_own():
    assert split_sentences("One.  Two.") == [("One.", True), ("  ", False), ("Two.", True)]


def test_no_cut_before_a_digit_nor_without_a_space():
    assert split_sentences("Chapter 3. 5 pages.") == [("Chapter 3. 5 pages.", True)]
    assert split_sentences("See x.Then y.") == [("See x.Then y.", True)]
