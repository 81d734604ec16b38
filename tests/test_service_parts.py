"""service/parts.py: a unit's token budget, its halves (sentences, then words, then
characters), and the parts a long unit is cut into to fit the context. An engine that counts
one token per four characters stands in for the model (the Engine interface's n_ctx and
count_tokens are all parts.py asks)."""

from __future__ import annotations

import math

import pytest

from llamax_cli.service.options import Options
from llamax_cli.service.parts import fit_parts, max_tokens_for, split_in_two


class CountingEngine:
    """A token per four characters (rounded up), in a context of n_ctx tokens."""

    def __init__(self, n_ctx: int = 164):  # 164: a budget of 16 tokens, parts.py's least
        self.n_ctx = n_ctx
        self.counted: list[str] = []

    def count_tokens(self, text: str) -> int:
        self.counted.append(text)
        return math.ceil(len(text) / 4)


def test_max_tokens_is_the_request_s_or_generous_for_the_source():
    engine = CountingEngine()
    assert max_tokens_for(engine, "x" * 40, Options(max_tokens=7)) == 7
    assert engine.counted == []  # nothing counted when the request says
    assert max_tokens_for(engine, "x" * 40, Options()) == 8 * 10 + 64
    assert max_tokens_for(engine, "", Options()) == 64


@pytest.mark.parametrize("text, halves", [
    ("One sentence here. Another one there.", ["One sentence here.", "Another one there."]),
    ("First. Second. Third.", ["First.", "Second. Third."]),
    ("one two three four five", ["one two", "three four five"]),
    ("alpha  beta\tgamma\ndelta", ["alpha beta", "gamma delta"]),
])
def test_halves_at_sentences_then_words_joined_by_a_space(text, halves):
    assert split_in_two(text) == (halves, " ")


@pytest.mark.parametrize("text", ["one two three", "word", "", "a"])
def test_too_few_words_have_no_halves_without_characters(text):
    assert split_in_two(text) is None


def test_with_characters_two_words_or_one_long_word_still_split():
    assert split_in_two("one two", characters=True) == (["one", "two"], " ")
    assert split_in_two("abcdef", characters=True) == (["abc", "def"], "")
    assert split_in_two("a", characters=True) is None


def test_a_character_split_never_separates_a_mark_from_its_letter():
    halves, joint = split_in_two("ab\u0301\u0301cd", characters=True)
    assert halves == ["ab\u0301\u0301", "cd"] and joint == ""


def test_a_unit_that_fits_is_one_part():
    assert fit_parts("A short line.", CountingEngine()) == (["A short line."], [""])


def rejoin(parts: list[str], seps: list[str]) -> str:
    return "".join(sep + part for part, sep in zip(parts, seps))


def test_a_long_unit_is_cut_at_sentences_into_parts_that_fit_in_order():
    sentences = [f"Sentence number {i} says something." for i in range(12)]
    text = " ".join(sentences)
    engine = CountingEngine()
    parts, seps = fit_parts(text, engine)
    assert len(parts) > 1 and seps[0] == "" and set(seps[1:]) == {" "}
    assert all(engine.count_tokens(part) <= 16 for part in parts)
    assert rejoin(parts, seps) == text
    assert set(parts) <= set(sentences)  # whole sentences only


def test_a_long_word_is_cut_into_characters_that_rejoin_without_spaces():
    word = "x" * 300
    parts, seps = fit_parts(word, CountingEngine())
    assert "".join(parts) == word and set(seps) == {""}
    assert all(math.ceil(len(part) / 4) <= 16 for part in parts)


def test_a_larger_context_gives_larger_parts():
    text = " ".join(f"Sentence number {i} says something." for i in range(40))
    small, _ = fit_parts(text, CountingEngine(n_ctx=164))
    large, _ = fit_parts(text, CountingEngine(n_ctx=1124))  # a budget of 256 tokens
    assert len(large) < len(small)
    assert all(math.ceil(len(part) / 4) <= 256 for part in large)
