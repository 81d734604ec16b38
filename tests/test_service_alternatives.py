"""Alternatives, scores and the `--json` record, through the real CLI and real servers:
`llamax serve` answers LibreTranslate's `alternatives` with what it has (never a 400), a
retried unit keeps the hypotheses of the attempt that was kept, hypotheses cut at the token
limit are offered marked `truncated`, and every `--json` record has the same keys."""

from __future__ import annotations

import json

from conftest import assert_finished
from test_engine_remote import ReferenceServer
from test_server_app import Server, request, server_env  # noqa: F401 (a fixture)

# The keys of every `--json` record (README, "--json prints one JSON object per unit").
RECORD_KEYS = {"file", "index", "line", "source", "translation", "source_language",
               "confidence", "target_language", "status", "note", "attempts", "prompt_tokens",
               "tokens", "seconds", "score", "alternatives", "memory"}
# The 25-word sentence: on the test model every beam runs on past 64 tokens.
LONG = ("This demonstrates that independent schools in Scotland are supporting foreign "
        "languages as vital skills that children and young people will undoubtedly require "
        "in the future.")


def records(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


# -- llamax serve: what it has, never a 400 ---------------------------------------------------

def test_serve_over_a_remote_engine_answers_alternatives_with_none(gemma_path, cli_env,
                                                                     tmp_path):
    reference = ReferenceServer(gemma_path)
    srv = None
    try:
        srv = Server({**cli_env, "LLAMAX_MODEL": ""}, tmp_path, "--api-base", reference.url)
        # As LibreTranslate's own web page asks (alternatives=3, always), as JSON and as a form.
        status, answer = request(srv.url + "/translate", {
            "q": "The museum opens at nine.", "source": "en", "target": "fr",
            "format": "text", "alternatives": 3})
        assert status == 200, answer
        assert answer["translatedText"].strip() and answer["alternatives"] == []
        status, answer = request(srv.url + "/translate",
                                 "q=Good+morning.&source=en&target=fr&alternatives=3")
        assert status == 200 and answer["translatedText"].strip(), answer
        assert answer["alternatives"] == []
        # Beams asked for outright (llamax's own route) are still refused: there are none.
        status, answer = request(srv.url + "/llamax/translate", {
            "text": "Good morning.", "source": "en", "target": "fr", "beams": 2})
        assert status == 400 and "remote engine" in answer["error"], answer
    finally:
        if srv is not None:
            code, err = srv.stop()
            assert code in (0, 143) and "Traceback" not in err, err
        reference.kill()


def test_serve_with_fewer_slots_than_beams_gives_what_the_slots_allow(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2")  # 2 slots, 4 sequences: 4 beams
    try:
        status, answer = request(srv.url + "/translate", {
            "q": ["Good morning, my friend.", "Save changes"], "source": "en", "target": "fr",
            "alternatives": 3})
        assert status == 200, answer
        assert len(answer["translatedText"]) == 2 and len(answer["alternatives"]) == 2
        assert all(isinstance(alts, list) and len(alts) <= 3 for alts in answer["alternatives"])
        assert all(isinstance(text, str) for alts in answer["alternatives"] for text in alts)
        # An explicit beam width beyond the sequences (llamax's own route) is a 400 naming them.
        status, answer = request(srv.url + "/llamax/translate", {
            "text": "Good morning.", "source": "en", "target": "fr", "beams": 5})
        assert status == 400 and "4 (start it with a larger --parallel)" in answer["error"], \
            answer
    finally:
        code, err = srv.stop()
        assert code in (0, 143) and "Traceback" not in err, err


# -- the CLI's --json: the kept attempt's hypotheses ---------------------------------------

def test_a_retried_unit_keeps_the_hypotheses_of_the_attempt_kept(llamax):
    # The language check on (as by default): the test model answers in English, so the unit
    # is retried with a wider beam search (4 beams fit in 2 x 2 slots), and still wrong.
    proc = llamax("translate", "--from", "en", "--to", "ja", "-t", "Good morning, my friend.",
                  "--alternatives", "1", "--parallel", "2", "--json",
                  env={"LLAMAX_CHECK_LANGUAGE": "1"})
    assert_finished(proc)
    [record] = records(proc)
    assert record["attempts"] == 2 and record["score"] is not None, record  # the setting
    assert record["alternatives"], record  # was [] whenever the unit had been retried
    [alternative] = record["alternatives"]
    assert alternative["translation"].strip() and alternative["translation"] != \
        record["translation"]
    assert isinstance(alternative["score"], float) and alternative["truncated"] in (True, False)


def test_hypotheses_at_the_token_limit_are_offered_marked_truncated(llamax):
    proc = llamax("translate", "--from", "en", "--to", "fr", "-t", LONG, "--alternatives", "3",
                  "--max-tokens", "64", "--json")
    assert_finished(proc)
    [record] = records(proc)
    assert record["status"] == "truncated" and record["tokens"] == 64, record  # the setting
    alternatives = record["alternatives"]
    assert 1 <= len(alternatives) <= 3, record  # was []
    assert all(type(a["truncated"]) is bool and a["translation"].strip() for a in alternatives)
    assert any(a["truncated"] for a in alternatives), record
    texts = [record["translation"]] + [a["translation"] for a in alternatives]
    assert len(set(texts)) == len(texts)


# -- the CLI's --json: one schema --------------------------------------------------------------

def test_every_json_record_has_the_same_keys_whatever_path_its_unit_took(llamax, tmp_path):
    (tmp_path / "words.txt").write_text("Good morning, my friend.\n\nSave changes\n")
    (tmp_path / "numbers.txt").write_text("12345 67890\n")
    # One slot per beam: the language check's retry cannot widen the beam search, so it is
    # greedy and has no score (such records used to lack `score` and `alternatives`).
    proc = llamax("translate", "--from", "en", "--to", "ja", "words.txt", "numbers.txt",
                  "--alternatives", "1", "--parallel", "1", "--json",
                  env={"LLAMAX_CHECK_LANGUAGE": "1"})
    assert_finished(proc)
    found = records(proc)
    assert [r["file"] for r in found] == ["words.txt", "words.txt", "numbers.txt"], found
    assert found[-1]["status"] == "no-text"
    assert any(r["attempts"] > 1 for r in found), found  # the setting: a retried unit
    for record in found:
        assert set(record) == RECORD_KEYS, record
        assert isinstance(record["alternatives"], list)
    assert found[-1]["score"] is None and found[-1]["alternatives"] == []
