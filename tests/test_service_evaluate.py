"""`llamax eval` through the real CLI: its scores are sacrebleu's own on the same files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import assert_one_line_error

HYP = ["Der Hund bellt sehr laut in der Nacht.", "Es regnet heute den ganzen Tag.",
       "Das Museum öffnet um neun Uhr.", "Kinder unter sechs Jahren zahlen nichts."]
REF = ["Der Hund bellt nachts sehr laut.", "Heute regnet es den ganzen Tag.",
       "Das Museum öffnet um neun Uhr morgens.", "Kinder unter sechs zahlen keinen Eintritt."]

SACREBLEU = """
import json, sys
from sacrebleu.metrics import BLEU, CHRF
hyp, ref = json.loads(sys.argv[1]), json.loads(sys.argv[2])
metrics = {"chrf": CHRF(), "chrf++": CHRF(word_order=2), "bleu": BLEU()}
if len(sys.argv) > 3:
    metrics["spbleu"] = BLEU(tokenize="flores200")
print(json.dumps({k: m.corpus_score(hyp, [ref]).score for k, m in metrics.items()}))
"""


def sacrebleu_scores(hyp, ref, env=None, spbleu=False):
    out = subprocess.run([sys.executable, "-c", SACREBLEU, json.dumps(hyp), json.dumps(ref)]
                         + (["spbleu"] if spbleu else []), capture_output=True, text=True,
                         env=env, check=True).stdout
    return json.loads(out)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "hyp.txt").write_text("\n".join(HYP) + "\n")
    (tmp_path / "ref.txt").write_text("\n".join(REF) + "\n")
    return tmp_path


def test_scores_equal_sacrebleus_own_and_spbleu_is_skipped_offline(llamax, files):
    # An empty sacrebleu home: no cached tokenizer model, whatever this machine has cached.
    proc = llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--json",
                  env={"SACREBLEU": str(files / "empty-sacrebleu")})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    expected = sacrebleu_scores(HYP, REF)
    for name in ("chrf", "chrf++", "bleu"):
        assert report[name] == pytest.approx(expected[name], abs=1e-4)
    assert report["spbleu"] is None and report["sentences"] == 4
    assert report["signatures"]["bleu"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")
    assert "scoring" in report["timings"]
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "spBLEU skipped" in err and "--spm PATH" in err


def test_spbleu_with_a_given_sentencepiece_model(llamax, files, tmp_path):
    import sentencepiece

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(HYP + REF) * 20 + "\n")
    sentencepiece.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "m"),
                                             vocab_size=50, minloglevel=2)
    proc = llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--json", "--spm", "m.model")
    assert proc.returncode == 0, proc.stderr
    home = tmp_path / "sacrebleu-home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "flores200sacrebleuspm").write_bytes((tmp_path / "m.model").read_bytes())
    import os

    expected = sacrebleu_scores(HYP, REF, env={**os.environ, "SACREBLEU": str(home)}, spbleu=True)
    assert json.loads(proc.stdout)["spbleu"] == pytest.approx(expected["spbleu"], abs=1e-4)
    assert "spBLEU skipped" not in proc.stderr.decode()


def test_a_file_that_is_no_sentencepiece_model_is_one_line(llamax, files):
    (files / "junk.model").write_text("not a model\n")
    err = assert_one_line_error(llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt",
                                       "--spm", "junk.model"), 2)
    assert "not a SentencePiece model" in err


@pytest.mark.parametrize("name, content", [
    ("missing.tsv", "hypothesis\treference\nNone\n"),  # a row without its reference cell
    ("null.jsonl", '{"hypothesis": null, "reference": "None"}\n'),
])
def test_a_missing_cell_is_an_error_not_the_text_none(llamax, files, name, content):
    (files / name).write_text(content)
    assert "row 1 has no text in" in assert_one_line_error(llamax("eval", name), 2)


def test_lines_are_split_at_newlines_only(llamax, files):
    # A form feed or U+2028 inside a hypothesis is part of its line, not a line break.
    (files / "ff.txt").write_text(HYP[0] + "\f" + "\n".join(HYP[1:]) + "\n" + HYP[0] + "\n")
    (files / "u2028.txt").write_text("\u2028".join(HYP[:2]) + "\n" + "\n".join(HYP[2:]) + "\n"
                                     + HYP[0] + "\n")
    for name in ("ff.txt", "u2028.txt"):
        proc = llamax("eval", "--hyp", name, "--ref", "ref.txt", "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["sentences"] == 4


def test_mismatched_files_are_a_usage_error(llamax, files):
    (files / "short.txt").write_text(HYP[0] + "\n")
    err = assert_one_line_error(llamax("eval", "--hyp", "short.txt", "--ref", "ref.txt"), 2)
    assert "1 hypotheses but 4 references" in err
    assert "give --hyp FILE --ref FILE" in assert_one_line_error(llamax("eval", "--ref", "ref.txt"), 2)


def test_a_table_of_several_pairs_is_scored_each_and_as_a_mean(llamax, tmp_path):
    rows = ["from\tto\thypothesis\treference"]
    rows += [f"en\tde\t{h}\t{r}" for h, r in zip(HYP, REF)]
    rows += [f"en\tfr\t{h}\t{r}" for h, r in zip(HYP[:2], REF[2:])]
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    report = json.loads(llamax("eval", "pairs.tsv", "--json").stdout)
    de, fr = report["pairs"]
    assert (de["pair"], de["sentences"], fr["pair"], fr["sentences"]) == ("en-de", 4, "en-fr", 2)
    assert de["bleu"] == pytest.approx(sacrebleu_scores(HYP, REF)["bleu"], abs=1e-4)
    assert report["chrf"] == pytest.approx((de["chrf"] + fr["chrf"]) / 2, abs=1e-3)
    assert report["sentences"] == 6


@pytest.mark.parametrize("beams", [1, 3])
def test_sources_are_translated_then_scored_like_the_translation_itself(llamax, tmp_path, beams):
    sources = ["The museum opens at nine.", "Children enter for free.", "It rains today."]
    (tmp_path / "src.txt").write_text("\n".join(sources) + "\n")
    (tmp_path / "ref.txt").write_text("\n".join(REF[:3]) + "\n")
    det = {"LLAMAX_DETERMINISTIC": "1"}  # the same translation in both runs
    proc = llamax("eval", "--src", "src.txt", "--ref", "ref.txt", "--from", "en", "--to", "de",
                  "--json", "--beams", beams, env=det)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["pair"] == "en-de" and report["sentences"] == 3
    assert report["timings"]["translation"] > 0
    out = llamax("translate", "--from", "en", "--to", "de", "-q", "src.txt", "-o", "hyp.txt",
                 "--beams", beams, env=det)
    assert out.returncode in (0, 3), out.stderr
    again = json.loads(llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--json").stdout)
    for name in ("chrf", "chrf++", "bleu"):
        assert report[name] == again[name]


def test_translate_pair_goes_through_the_translator_one_line_for_each(monkeypatch, tmp_path):
    # The Translator segments the lines and takes the pair's source, as the CLI's --from:
    # eval's hypotheses are what `llamax translate --from` would write.
    from test_service_translator import TableEngine

    from llamax_cli.core.errors import UsageError
    from llamax_cli.service import evaluate, pipeline
    from llamax_cli.service.translator import Translator

    engine = TableEngine({"See you tomorrow at the station.": "Bis morgen am Bahnhof.",
                          "Good morning, my friends.": "Guten Morgen, meine Freunde."})
    prompts = []
    generate = engine.generate

    def recording(requests, sampling, cancel=None):
        prompts.extend(request.prompt for request in requests)
        return generate(requests, sampling, cancel)

    engine.generate = recording
    pair = evaluate.Pair("en-de", ["a", "b"], sources=["Good   morning, my friends.",
                                                        "See you tomorrow at the station."],
                         src="English", tgt="de")
    evaluate.translate_pair(pair, Translator(engine), pipeline.Options(check_language=False))
    assert pair.hypotheses == ["Guten Morgen, meine Freunde.", "Bis morgen am Bahnhof."]
    assert len(prompts) == 2 and all("English" in p and "German" in p for p in prompts)
    pair.src = "Elvish"
    with pytest.raises(UsageError, match="unknown source language 'Elvish'"):
        evaluate.translate_pair(pair, Translator(engine), pipeline.Options())
