"""The glossary: reading the TSV, finding terms, the retry with the term, and the flags."""

import pytest
from conftest import assert_one_line_error
from test_service_pipeline import ScriptedEngine, run

from llamax_cli.service import glossary
from llamax_cli.core.errors import LlamaxError


def write(tmp_path, text):
    path = tmp_path / "glossary.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_pairs_and_keep_as_is_terms(tmp_path):
    g = glossary.read(write(tmp_path, "# terms\nrailway\tchemin de fer\n\nKubernetes\n"
                                      "Pull Request\tdemande de fusion\n"))
    assert g.keep == ("Kubernetes",)
    assert g.pairs == {"railway": "chemin de fer", "pull request": "demande de fusion"}


@pytest.mark.parametrize("text, where", [
    ("a\tb\tc\n", ":1:"), ("ok\nrailway\t\n", ":2:"), ("\tchemin\n", ":1:")])
def test_a_malformed_line_is_named(tmp_path, text, where):
    with pytest.raises(LlamaxError, match=where):
        glossary.read(write(tmp_path, text))


def test_a_missing_or_binary_file_is_one_clear_error(tmp_path):
    with pytest.raises(LlamaxError, match="no such file"):
        glossary.read(tmp_path / "nope.tsv")
    (tmp_path / "bin.tsv").write_bytes(b"\x00\x01\x02binary\x00")
    with pytest.raises(LlamaxError, match="glossary .*bin.tsv looks like a binary file"):
        glossary.read(tmp_path / "bin.tsv")
    (tmp_path / "utf16.tsv").write_text("railway\tchemin de fer\n", encoding="utf-16")
    assert glossary.read(tmp_path / "utf16.tsv").pairs == {"railway": "chemin de fer"}


def test_terms_match_whole_words_pairs_in_any_case_kept_ones_as_written():
    g = glossary.Glossary(("Go",), {"art": "art", "railway": "chemin de fer"})
    assert g.pairs_in("Start the Railway art class") == [("Railway", "chemin de fer"),
                                                          ("art", "art")]
    assert g.pairs_in("a start, a party") == []
    assert g.kept_in("We write Go, and go home.") == ("Go",)
    assert g.missing("The railway", "Le Chemin de Fer") == []
    assert g.missing("The railway", "Le train") == [("railway", "chemin de fer")]


def test_the_hint_puts_the_target_term_in_place():
    assert glossary.hint("The Railway opens; the railway closes.",
                         [("Railway", "chemin de fer"), ("railway", "chemin de fer")]) == \
        "The chemin de fer opens; the chemin de fer closes."


SOURCE = "The new railway opens next spring."
G = glossary.Glossary(("Kubernetes",), {"railway": "chemin de fer"})


def test_a_missing_term_is_retried_with_the_term_in_the_input():
    engine = ScriptedEngine(["\nLa nouvelle ligne ouvre au printemps.\n###",
                             "\nLe nouveau chemin de fer ouvre au printemps.\n###"])
    _, results = run(SOURCE, engine, glossary=G, check_language=False)
    assert results[0].status == "ok" and results[0].attempts == 2
    assert "chemin de fer" in results[0].translation
    assert "### Input:\nThe new chemin de fer opens next spring.\n" in engine.requests[1].prompt


def test_a_term_still_missing_is_flagged():
    engine = ScriptedEngine(["\nLa nouvelle ligne ouvre.\n###", "\nLa ligne ouvre.\n###"])
    _, results = run(SOURCE, engine, glossary=G, check_language=False)
    assert results[0].status == "glossary-miss"
    assert "'chemin de fer' for 'railway'" in results[0].note


def test_a_lost_keep_as_is_term_keeps_the_source_text():
    source = "Deploy it with Kubernetes today."
    engine = ScriptedEngine(["\nDéployez-le avec kubernetes aujourd'hui.\n###"])
    _, results = run(source, engine, glossary=G, check_language=False)
    assert results[0].status == "protected-lost" and results[0].translation == source
    engine = ScriptedEngine(["\nDéployez-le avec Kubernetes aujourd'hui.\n###"])
    _, results = run(source, engine, glossary=G, check_language=False)
    assert results[0].status == "ok" and "Kubernetes" in results[0].translation


def test_without_a_glossary_the_prompt_is_the_official_one():
    from llamax_cli.service import prompt
    from llamax_cli.core.languages import resolve

    engine = ScriptedEngine(["\nLe nouveau train.\n###"])
    run(SOURCE, engine, check_language=False)
    assert engine.requests[0].prompt == prompt.build(resolve("en"), resolve("fr"), SOURCE)


def test_cli_keeps_terms_byte_identical_and_flags_a_missing_one(llamax, tmp_path):
    (tmp_path / "g.tsv").write_text("Kubernetes\nrailway\tchemin de fer\n")
    source = "The railway team deploys Kubernetes clusters every week."
    # the glossary alone: the test model's English answers would be flagged first
    proc = llamax("translate", "--from", "en", "--to", "fr", "--glossary", "g.tsv", "--json",
                  "-t", source, env={"LLAMAX_CHECK_LANGUAGE": "0"})
    import json

    record = json.loads(proc.stdout)
    assert proc.returncode in (0, 3), proc.stderr
    out, status = record["translation"], record["status"]
    if "Kubernetes" not in out:
        assert status == "protected-lost" and out == source
    elif "chemin de fer" not in out.lower():
        assert status in ("glossary-miss", "degenerate", "truncated"), record
        assert status != "glossary-miss" or "'chemin de fer' for 'railway'" in record["note"]
    else:
        assert status == "ok", record
    bad = llamax("translate", "--to", "fr", "--glossary", "missing.tsv", "-t", "Hello")
    assert "glossary" in assert_one_line_error(bad, 1)
