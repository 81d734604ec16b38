"""cli/records.py: the --json records. Every record has the same keys, whatever its path (a
unit translated, one from the memory, an input with nothing to translate), and `to` is added
exactly when there are several targets."""

import json

from llamax_cli.cli.records import no_text, unit
from llamax_cli.cli.sources import Task
from llamax_cli.core.languages import resolve
from llamax_cli.core.textio import Source
from llamax_cli.formats.segment import segment
from llamax_cli.service.results import UnitResult

EN, FR = resolve("en"), resolve("fr")
KEYS = ["file", "index", "line", "source", "translation", "source_language", "confidence",
        "target_language", "status", "note", "attempts", "prompt_tokens", "tokens", "seconds",
        "score", "alternatives", "memory"]


def task(text: str) -> Task:
    return Task(Source("notes.txt", text), segment(text), EN)


def test_a_units_record_has_every_key_and_to_only_with_several_targets():
    result = UnitResult(0, 1, "Hello.", "Bonjour.", "ok", 4, 3, 0.5, score=-0.12345,
                        alternatives=[("Salut.", -0.5)], alternatives_truncated=[True],
                        memory="hit")
    record = json.loads(unit(task("Hello.\n"), FR, False, result))
    assert list(record) == KEYS
    assert (record["file"], record["translation"], record["source_language"],
            record["target_language"], record["score"], record["memory"]) == (
        "notes.txt", "Bonjour.", "en", "fr", -0.1235, "hit")
    assert record["alternatives"] == [{"translation": "Salut.", "score": -0.5,
                                       "truncated": True}]
    several = json.loads(unit(task("Hello.\n"), FR, True, result))
    assert list(several) == KEYS + ["to"] and several["to"] == "fr"


def test_an_input_with_nothing_to_translate_has_the_same_keys():
    record = json.loads(no_text(task("42 %%\n"), FR, False))
    assert list(record) == KEYS
    assert (record["status"], record["translation"], record["tokens"]) == ("no-text",
                                                                          "42 %%\n", 0)
    assert json.loads(no_text(task("42\n"), FR, True))["to"] == "fr"
