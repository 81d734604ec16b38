"""The target-language check: false alarms on true translations, and the pipeline's retry and
`wrong-language` status (scripted engine for the retry, real inference for the status)."""

import csv
from pathlib import Path

import pytest
from test_service_pipeline import ScriptedEngine, run

from llamax_cli.service import language_check
from llamax_cli.core.languages import resolve

NTREX = Path(__file__).parent / "data" / "ntrex128-slice.tsv"


def test_true_translations_of_the_ntrex_sample_are_not_flagged():
    with NTREX.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    flagged = [(r["lang"], r["text"][:40]) for r in rows
               if language_check.mismatch(r["text"], resolve(r["lang"])) is not None]
    assert len(rows) == 880
    assert len(flagged) / len(rows) < 0.01, flagged  # the goal: under 1%


@pytest.mark.parametrize("output, target, language", [
    ("The committee will publish its final report next spring.", "fr", "English"),
    ("Le comité publiera son rapport final au printemps prochain.", "de", "French"),
    ("Das Komitee wird seinen Abschlussbericht im nächsten Frühjahr veröffentlichen.", "sw",
     "German"),
])
def test_an_answer_confidently_in_another_language_is_named(output, target, language):
    note = language_check.mismatch(output, resolve(target))
    assert note is not None and note.startswith(f"the output is in {language} (")
    assert note.endswith(f"not {resolve(target).name}")


@pytest.mark.parametrize("output, target", [
    ("Le comité publiera son rapport final au printemps prochain.", "fr"),
    ("Peter Jones", "fr"),  # names
    ("3.14 + 42 = 45.14", "de"),  # numbers
    ("git rebase", "ja"),  # short: two words
    ("OK, merci", "fr"),
    ("委员会将于明年春天发布其最终报告。", "zh"),
])
def test_right_short_or_unreadable_outputs_are_not_flagged(output, target):
    assert language_check.mismatch(output, resolve(target)) is None


ENGLISH = "\nThe committee will publish its final report on the railway next spring.\n###"
FRENCH = "\nLe comité publiera son rapport final sur le chemin de fer au printemps.\n###"
SOURCE = "The committee will publish its final report on the railway next spring."


def test_a_wrong_language_answer_is_retried_once_with_beams():
    engine = ScriptedEngine([ENGLISH, FRENCH])
    engine.max_beams = 8
    _, results = run(SOURCE, engine)
    assert results[0].status == "ok" and results[0].attempts == 2
    assert results[0].translation.startswith("Le comité")
    assert [r.beams for r in engine.requests] == [1, 4]


def test_without_beams_the_retry_is_a_nudge_and_a_second_miss_is_flagged():
    engine = ScriptedEngine([ENGLISH, ENGLISH])  # no max_beams: a remote engine
    _, results = run(SOURCE, engine)
    assert results[0].status == "wrong-language" and results[0].attempts == 2
    assert "English" in results[0].note and "after a retry" in results[0].note
    assert [r.repeat_penalty > 1 for r in engine.requests] == [False, True]


def test_the_check_can_be_turned_off():
    engine = ScriptedEngine([ENGLISH])
    _, results = run(SOURCE, engine, check_language=False)
    assert results[0].status == "echo" and results[0].attempts == 1  # and no retry


def test_english_answers_of_the_test_model_are_never_ok(engine):
    """gemma3-270m is a base model: asked for French it mostly continues in English. Every
    unit whose final output is confidently not French must say so."""
    lines = ["My grandmother grows tomatoes and beans in her garden every summer.",
             "The city council has announced a new plan for the old harbour.",
             "Our neighbour is preparing a course for beginners about clean water."]
    _, results = run("\n".join(lines), engine, max_tokens=40)
    assert len(results) == 3
    wrong = [r for r in results
             if language_check.mismatch(r.translation, resolve("fr")) is not None]
    assert wrong, "the test model answered in French: this test needs a harder case"
    for r in wrong:
        assert r.status in ("wrong-language", "degenerate", "truncated"), (r.status, r.note)
        assert r.attempts >= 2


def test_the_cli_reports_wrong_language_on_stderr_in_json_and_in_its_exit_status(llamax):
    source = "My grandmother grows tomatoes and beans in her garden every summer."
    proc = llamax("translate", "--from", "en", "--to", "fr", "--json", "-t", source,
                  env={"LLAMAX_CHECK_LANGUAGE": "1"})  # on, as by default (conftest)
    import json

    record = json.loads(proc.stdout)
    assert language_check.mismatch(record["translation"], resolve("fr")) is not None, \
        "the test model answered in French: this test needs a harder case"
    assert record["status"] in ("wrong-language", "degenerate", "truncated"), record
    assert proc.returncode == 3
    assert f"{record['status']}: " in proc.stderr.decode()
