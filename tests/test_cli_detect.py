"""`llamax detect` and `llamax languages` through the real CLI."""

import json
import re

from conftest import assert_one_line_error

LINES = ("Le comité publiera son rapport final au printemps prochain.\n"
         "\n"
         "Der Ausschuss wird seinen Abschlussbericht im Frühjahr veröffentlichen.\n"
         "Taxi\n"
         "Комитет опубликует свой окончательный доклад следующей весной.\n")


def test_lines_gives_one_result_per_line_in_order(llamax, tmp_path):
    (tmp_path / "s.txt").write_text(LINES)
    proc = llamax("detect", "--lines", "s.txt")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.decode().splitlines()]
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    assert [r[1] for r in rows] == ["fr", "und", "de", "und", "ru"]
    assert rows[0][2] == "French" and float(rows[0][3]) > 0.9


def test_json_lines(llamax):
    proc = llamax("detect", "--lines", "--json", input=LINES)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(records) == 5
    assert records[2]["code"] == "de" and records[2]["line"] == 3
    assert records[3]["code"] == "und" and records[3]["name"] == "unknown"
    assert records[0]["candidates"][0] == {"code": "fr", "probability": records[0]["candidates"][0]["probability"]}


def test_whole_input_and_several_files(llamax, tmp_path):
    (tmp_path / "a.txt").write_text("Kamati itachapisha ripoti yake ya mwisho kuhusu reli mpya.\n")
    (tmp_path / "b.txt").write_text("委员会将于明年春天发布关于新铁路线的最终报告。\n")
    one = llamax("detect", "-t", "Kamati itachapisha ripoti yake ya mwisho kuhusu reli mpya.")
    assert one.stdout.decode().startswith("sw\tSwahili\t")
    many = llamax("detect", "a.txt", "b.txt").stdout.decode().splitlines()
    assert [line.split("\t")[:2] for line in many] == [["a.txt", "sw"], ["b.txt", "zh"]]


def test_lines_are_numbered_as_wc_counts_them(llamax):
    # A form feed or U+2028 inside a line does not start a new one; CRLF ends one.
    text = "Bonjour tout le monde\fet merci\r\nHello everybody\u2028how are you\r\n\r\n"
    proc = llamax("detect", "--lines", "--json", input=text)
    assert [json.loads(r)["line"] for r in proc.stdout.decode().splitlines()] == [1, 2, 3]


def test_a_failed_file_still_leaves_the_others_labelled(llamax, tmp_path):
    (tmp_path / "b.txt").write_text("Kamati itachapisha ripoti yake ya mwisho kuhusu reli mpya.\n")
    proc = llamax("detect", "missing.txt", "b.txt")
    assert proc.returncode == 1
    assert proc.stdout.decode().split("\t")[:2] == ["b.txt", "sw"]


def test_detect_errors(llamax):
    assert "no such file" in assert_one_line_error(llamax("detect", "missing.txt"))
    assert "unknown hint language" in assert_one_line_error(llamax("detect", "--hint", "xx", "-t", "hi"), 2)


def test_languages_lists_all_102_with_codes_and_detection(llamax):
    records = [json.loads(l) for l in llamax("languages", "--json").stdout.decode().splitlines()]
    assert len(records) == 102
    assert all(r["detectable"] for r in records)
    ckb = next(r for r in records if r["code"] == "ckb")
    assert ckb["flores200"] == "ckb_Arab" and ckb["llamax_id"] == "ku"
    table = llamax("languages").stdout.decode()
    assert "Sorani Kurdish" in table and "zho_Hant" in table and "detect" in table


def test_translate_reports_detection_and_uses_a_weak_guess_with_a_notice(llamax):
    proc = llamax("translate", "--to", "en", "--dry-run",
                  "-t", "Der Ausschuss wird seinen Abschlussbericht im Frühjahr veröffentlichen.")
    assert "detected German (de), confidence" in proc.stderr.decode()
    assert "from German to English" in proc.stdout.decode()
    weak = llamax("translate", "--to", "en", "--dry-run", "-t", "Dobar dan")
    assert weak.returncode == 0, weak.stderr
    err = weak.stderr.decode()
    assert "(low confidence; --from to be sure)" in err and "error" not in err


def test_a_default_source_language_is_used_when_detection_is_unsure(llamax):
    assert llamax("config", "set", "from", "hr").returncode == 0
    proc = llamax("translate", "--to", "en", "--dry-run", "-t", "Dobar dan")
    assert proc.returncode == 0, proc.stderr
    assert "using your default source language Croatian" in proc.stderr.decode()
    assert "from Croatian to English" in proc.stdout.decode()
    sure = llamax("translate", "--to", "en", "--dry-run", "-t",
                  "Der Ausschuss wird seinen Abschlussbericht im Frühjahr veröffentlichen.")
    assert "from German to English" in sure.stdout.decode()  # a sure detection wins


def test_the_readmes_first_command_needs_no_from(llamax):
    proc = llamax("translate", "--to", "fr", "-t", "Good morning, my friend.", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "from English to French" in proc.stdout.decode()
    assert "detected English (en)" in proc.stderr.decode()


def mixed_prompts(llamax, tmp_path, *paragraphs: str) -> list[dict]:
    """The --json dry-run prompts for a document of these paragraphs, said to be mixed."""
    (tmp_path / "mixed.txt").write_text("\n\n".join(paragraphs) + "\n")
    proc = llamax("translate", "--to", "de", "--dry-run", "--json", "mixed.txt")
    assert proc.returncode == 0, proc.stderr
    assert "mixed languages, detected unit by unit" in proc.stderr.decode()
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_a_mixed_document_is_detected_unit_by_unit(llamax, tmp_path):
    prompts = mixed_prompts(llamax, tmp_path,
                            "The committee will publish its final report next spring.",
                            "Der Ausschuss wird seinen Abschlussbericht im Frühjahr "
                            "veröffentlichen.",
                            "Комитет опубликует свой окончательный доклад следующей весной.")
    # The German paragraph is already in the target: it gets no prompt, and passes through.
    assert [p["line"] for p in prompts] == [1, 5]
    assert "from English to German" in prompts[0]["prompt"]
    assert "from Russian to German" in prompts[1]["prompt"]


def test_paragraphs_in_one_script_but_three_languages_are_detected_unit_by_unit(llamax, tmp_path):
    # The whole text is surely "English" (its first paragraph decides the sample's n-grams);
    # the paragraphs themselves are each surely something else.
    prompts = mixed_prompts(
        llamax, tmp_path,
        "The committee will publish its final report next spring, after the summer.",
        "Le comité publiera son rapport final au printemps prochain, après l'été.",
        "El comité publicará su informe final la próxima primavera, después del verano.")
    assert len(prompts) == 3
    for prompt, source in zip(prompts, ("from English to", "from French to", "from Spanish")):
        assert source in prompt["prompt"]


def sources_of_one_language(llamax, tmp_path, *paragraphs: str) -> list[str]:
    """Each dry-run prompt's source language for a document not said to be mixed."""
    (tmp_path / "one.txt").write_text("\n\n".join(paragraphs) + "\n")
    proc = llamax("translate", "--to", "de", "--dry-run", "one.txt")
    assert proc.returncode == 0, proc.stderr
    assert "mixed" not in proc.stderr.decode()
    return re.findall(r"from (\w+) to German", proc.stdout.decode())


def test_a_document_in_one_language_is_not_called_mixed(llamax, tmp_path):
    sources = sources_of_one_language(
        llamax, tmp_path,
        "The committee will publish its final report next spring, after the summer.", "OK.",
        "Its members have met every month since the inquiry began in the autumn.",
        "A short summary for the press will follow the full report a week later.")
    assert sources == ["English"] * 4


def test_a_sentence_surely_in_a_close_neighbour_does_not_make_a_document_mixed(llamax, tmp_path):
    # Bosnian from the NTREX sample; the second sentence alone is "Croatian" at 0.99.
    sources = sources_of_one_language(
        llamax, tmp_path,
        "Ovo pokazuje da nezavisne škole u Škotskoj podržavaju strane jezike kao ključne "
        "vještine koje će bez sumnje biti potrebne.",
        "Svrha azila nikada nije bila da ublaži sve probleme, čak i sve ozbiljne probleme s "
        "kojima se ljudi širom svijeta suočavaju.",
        "Prije emisije, reper je na Twitteru objavio da je promijenio svoje ime.")
    assert len(sources) == 3 and len(set(sources)) == 1  # one answer for the document


def test_detect_json_always_carries_the_best_guess(llamax):
    record = json.loads(llamax("detect", "--json", "-t", "Dobar dan").stdout.decode())
    assert record["candidates"] and record["candidates"][0]["code"]
    if record["code"] == "und":
        assert record["guess"] == record["candidates"][0]["code"]
