"""verdict.py: what each kind of attempt outcome leads to (keep, retry, split or flag)."""

import pytest

from llamax_cli.service.glossary import Glossary
from llamax_cli.core.languages import resolve
from llamax_cli.service.verdict import (FIRST, GLOSSARY, LANGUAGE, PENALTY, Verdict, judge, notes_line,
                                other_problems)

FR = resolve("fr")
GLOSS = Glossary(pairs={"pull request": "demande de fusion"})


def verdict(text="Bonjour à tous.", *, source="Hello everyone.", finish_reason="eog",
            n_tokens=5, stopped=False, loop=None, retry=FIRST, target=FR,
            check_language=False, glossary=None) -> Verdict:
    return judge(text=text, source=source, finish_reason=finish_reason, n_tokens=n_tokens,
                 stopped=stopped, loop=loop, retry=retry, target=target,
                 check_language=check_language, glossary=glossary)


def test_a_clean_answer_is_kept():
    assert verdict() == Verdict()
    assert verdict(finish_reason="stop", stopped=True) == Verdict()


# -- the prompt did not fit ----------------------------------------------------------------------

def test_a_prompt_too_long_is_flagged_never_retried():
    for retry in (FIRST, PENALTY):
        v = verdict("", finish_reason="too-long", loop="repetition loop", retry=retry)
        assert (v.retry, v.split, v.status) == (None, False, "too-long")
        assert "kept the source text" in v.note


# -- loops ---------------------------------------------------------------------------------------

def test_a_loop_is_retried_once_with_a_penalty_then_flagged():
    first = verdict("la la la", loop="repetition loop")
    assert first == Verdict(retry=PENALTY)
    second = verdict("la la la", loop="repetition loop", retry=PENALTY)
    assert (second.retry, second.status) == (None, "degenerate")
    assert second.note == "repetition loop, even with a repetition penalty"


def test_a_loop_reason_after_the_end_marker_does_not_count():
    # the output ended at the template's end marker: what the guard saw is not the answer
    assert verdict(loop="repetition loop", stopped=True) == Verdict()


def test_a_loop_wins_over_the_token_limit():
    v = verdict(loop="runaway output", finish_reason="length")
    assert v == Verdict(retry=PENALTY)


# -- the token limit -----------------------------------------------------------------------------

@pytest.mark.parametrize("retry", [FIRST, PENALTY, LANGUAGE])
def test_the_token_limit_asks_for_a_split_and_says_why_if_it_cannot(retry):
    v = verdict(finish_reason="length", n_tokens=96, retry=retry)
    assert v.split is True and v.retry is None and v.status == "truncated"
    assert "(96)" in v.note


def test_the_token_limit_reached_exactly_at_the_end_marker_is_fine():
    assert verdict(finish_reason="length", stopped=True) == Verdict()


def test_the_token_limit_wins_over_a_wrong_language():
    v = verdict("The weather is lovely today and the sun shines.", finish_reason="length",
                check_language=True)
    assert v.split and v.status == "truncated"


# -- the wrong language --------------------------------------------------------------------------

ENGLISH = "The weather is lovely today and the sun shines."


def test_a_wrong_language_is_retried_then_flagged():
    first = verdict(ENGLISH, check_language=True)
    assert first == Verdict(retry=LANGUAGE)
    again = verdict(ENGLISH, check_language=True, retry=LANGUAGE)
    assert (again.retry, again.status) == (None, "wrong-language")
    assert again.note.startswith("the output is in English")
    assert again.note.endswith("not French, even after a retry")
    # flagged after a retry of another kind, the note does not claim a language retry
    other = verdict(ENGLISH, check_language=True, retry=PENALTY)
    assert other.status == "wrong-language" and not other.note.endswith("even after a retry")


def test_the_language_is_checked_only_when_asked_and_never_on_short_output():
    assert verdict(ENGLISH, check_language=False) == Verdict()
    assert verdict("OK", check_language=True) == Verdict()  # says nothing of its language
    assert verdict("Il fait beau aujourd'hui et le soleil brille.", check_language=True) == \
        Verdict()


# -- the glossary --------------------------------------------------------------------------------

def test_a_missing_glossary_term_is_retried_with_it_then_flagged():
    source = "Open a Pull Request on GitHub."
    first = verdict("Ouvrez une requête sur GitHub.", source=source, glossary=GLOSS)
    assert first == Verdict(retry=GLOSSARY, terms=[("Pull Request", "demande de fusion")])
    again = verdict("Ouvrez une requête sur GitHub.", source=source, glossary=GLOSS,
                    retry=GLOSSARY)
    assert again.status == "glossary-miss" and again.retry is None
    assert again.note == "the translation lacks 'demande de fusion' for 'Pull Request'"


def test_a_glossary_term_present_in_any_case_is_fine():
    v = verdict("Ouvrez une Demande de Fusion sur GitHub.", source="Open a pull request.",
                glossary=GLOSS)
    assert v == Verdict()
    # a source without the term asks nothing of the translation
    assert verdict("Bonjour.", source="Hello.", glossary=GLOSS) == Verdict()


def test_the_glossary_is_checked_only_when_nothing_else_went_wrong():
    v = verdict("x", source="Open a pull request.", glossary=GLOSS, loop="repetition loop")
    assert v == Verdict(retry=PENALTY)


# -- other_problems ------------------------------------------------------------------------------

def test_other_problems_names_the_status_a_markup_check_replaced():
    also, notes = other_problems("markup-lost", "wrong-language", "Hello.", "Hello.", [], None)
    assert also == ["wrong-language"] and notes == []


@pytest.mark.parametrize("first", ["ok", "same-language", "markup-lost"])
def test_other_problems_does_not_repeat_the_status_nor_report_success(first):
    assert other_problems("markup-lost", first, "a", "b", [], None) == ([], [])


def test_other_problems_reports_spans_lost_when_another_problem_won():
    also, _ = other_problems("truncated", "truncated", "Run `make`.", "Lancez", ["`make`"], None)
    assert also == ["protected-lost"]
    # not twice, and not for a unit that kept its source text anyway
    assert other_problems("protected-lost", "ok", "s", "t", ["`make`"], None) == ([], [])
    assert other_problems("too-long", "too-long", "s", "s", ["`make`"], None) == ([], [])


def test_other_problems_checks_the_glossary_of_a_unit_that_ended_otherwise():
    source = "Open a pull request."
    also, notes = other_problems("truncated", "truncated", source, "Ouvrez une", [], GLOSS)
    assert also == ["glossary-miss"]
    assert notes == ["the translation lacks 'demande de fusion' for 'pull request'"]
    # judge already checked it for these
    for first in ("ok", "glossary-miss", "same-language", "too-long"):
        assert other_problems(first, first, source, "Ouvrez une", [], GLOSS) == ([], [])
    # and a translation that has the term adds nothing
    assert other_problems("truncated", "truncated", source, "une demande de fusion", [],
                          GLOSS) == ([], [])


# -- notes_line ----------------------------------------------------------------------------------

def test_notes_line_says_each_note_once_with_its_count_in_first_seen_order():
    notes = ["reached the token limit (96)"] * 3 + ["glossary"] + ["reached the token limit (96)"]
    assert notes_line(notes) == "reached the token limit (96) (x4); glossary"
    assert notes_line(["a"]) == "a"
    assert notes_line([]) == ""
