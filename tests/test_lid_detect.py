"""The detector: rules per script, the model for shared scripts, confidence, speed."""

import csv
import time
from pathlib import Path

import pytest

import numpy as np

from llamax_cli.core import languages
from llamax_cli.lid import features
from llamax_cli.lid.detect import CONFIDENCE_FLOOR, detect, detectable, locale_hint

SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/ntrex128-sample.tsv"
# The first 10 sentences per language of the NTREX-128 sample (CC BY-SA 4.0, Microsoft):
# measurement text, never trained or tuned on.
SLICE = Path(__file__).resolve().parent / "data/ntrex128-slice.tsv"

# Written for these tests (not from any training or measurement set).
SENTENCES = {
    "en": "The committee will publish its final report on the new railway line next spring.",
    "fr": "Le comité publiera son rapport final sur la nouvelle ligne de chemin de fer au printemps.",
    "de": "Der Ausschuss wird seinen Abschlussbericht über die neue Bahnstrecke im Frühjahr veröffentlichen.",
    "es": "El comité publicará su informe final sobre la nueva línea de ferrocarril la próxima primavera.",
    "pt": "O comitê publicará seu relatório final sobre a nova linha ferroviária na próxima primavera.",
    "it": "Il comitato pubblicherà la sua relazione finale sulla nuova linea ferroviaria la prossima primavera.",
    "nl": "De commissie zal haar eindrapport over de nieuwe spoorlijn volgend voorjaar publiceren.",
    "sw": "Kamati itachapisha ripoti yake ya mwisho kuhusu reli mpya msimu ujao wa masika.",
    "ru": "Комитет опубликует свой окончательный доклад о новой железнодорожной линии следующей весной.",
    "uk": "Комітет опублікує свою остаточну доповідь про нову залізничну лінію наступної весни.",
    "zh": "委员会将于明年春天发布关于新铁路线的最终报告。",
    "zh-Hant": "委員會將於明年春天發布關於新鐵路線的最終報告。",
    "ja": "委員会は来年の春に新しい鉄道路線に関する最終報告書を発表する予定です。",
    "ko": "위원회는 내년 봄에 새 철도 노선에 관한 최종 보고서를 발표할 예정이다.",
    "ar": "ستنشر اللجنة تقريرها النهائي عن خط السكك الحديدية الجديد في الربيع المقبل.",
    "fa": "کمیته گزارش نهایی خود را درباره خط راه‌آهن جدید در بهار آینده منتشر خواهد کرد.",
    "hi": "समिति अगले वसंत में नई रेलवे लाइन पर अपनी अंतिम रिपोर्ट प्रकाशित करेगी।",
    "am": "ኮሚቴው ስለ አዲሱ የባቡር መስመር የመጨረሻ ሪፖርቱን በሚቀጥለው የፀደይ ወቅት ያወጣል።",
    "th": "คณะกรรมการจะเผยแพร่รายงานฉบับสุดท้ายเกี่ยวกับเส้นทางรถไฟสายใหม่ในฤดูใบไม้ผลิหน้า",
    "el": "Η επιτροπή θα δημοσιεύσει την τελική της έκθεση για τη νέα σιδηροδρομική γραμμή την άνοιξη.",
    "as": "সমিতিয়ে অহা বসন্তত নতুন ৰেলপথৰ ওপৰত চূড়ান্ত প্ৰতিবেদন প্ৰকাশ কৰিব।",
    "bn": "কমিটি আগামী বসন্তে নতুন রেললাইন নিয়ে তাদের চূড়ান্ত প্রতিবেদন প্রকাশ করবে।",
}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_detects_sentences_confidently(code):
    found = detect(SENTENCES[code])
    assert found.language.code == code, found
    assert found.reliable


def test_every_one_of_the_102_languages_is_detectable():
    missing = [lang.code for lang in languages.all_languages() if not detectable(lang.code)]
    assert missing == []


def test_sorani_is_told_from_persian_and_arabic():
    found = detect("کۆمیتەکە ڕاپۆرتی کۆتایی خۆی دەربارەی هێڵی نوێی شەمەندەفەر بڵاو دەکاتەوە.")
    assert found.language.code == "ckb"


def test_sindhi_is_told_by_its_word_symbols():
    """۾ ("in") is a Unicode symbol that Sindhi writes as a word: "2016 ۾" was `und`."""
    result = detect("2016 ۾")
    assert result.language.code == "sd" and result.reliable


def test_latin_names_inside_another_script_do_not_decide():
    found = detect("Abercrombie፣ ባለ ቀይ ሸሚዝ sophomore፣ ከIllinois ከተዘዋወረ በኃላ ከTennessee State ጋር")
    assert found.language.code == "am"


@pytest.mark.parametrize("text", ["Selamat pagi", "Hvordan har du det?", "Kako si?", "Dobar dan"])
def test_ambiguous_short_text_stays_below_the_floor(text):
    """Phrases written alike in close languages (Indonesian and Malay; Danish and Norwegian;
    Croatian, Bosnian and Slovenian). ("Hola amigo" was here until the everyday sentences
    made it Spanish at 0.59, which it is.)"""
    found = detect(text)
    assert found.confidence < CONFIDENCE_FLOOR
    assert found.language is not None  # but the best guess is still given


def test_short_text_is_less_sure_than_a_sentence():
    assert detect("Bonjour").confidence < detect(SENTENCES["fr"]).confidence


def test_confidence_is_calibrated_on_an_ntrex_slice():
    with open(SLICE, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    conf, right = [], []
    for row in rows:
        for words in (1, 2, 3, 5, None):
            found = detect(features.prefix(row["text"], row["lang"], words))
            conf.append(found.confidence)
            right.append(found.language is not None and found.language.code == row["lang"])
    conf, right = np.array(conf), np.array(right, dtype=float)
    bins = np.minimum((conf * 10).astype(int), 9)
    for b in range(10):
        inside = bins == b
        if inside.sum() >= 20:
            assert abs(conf[inside].mean() - right[inside].mean()) <= 0.1, (b, inside.sum())


@pytest.mark.parametrize("text", ["Hello", "Good morning, my friend."])
def test_priors_make_short_english_english(text):
    assert detect(text).language.code == "en"


@pytest.mark.xfail(strict=False, reason="no training text has English 'ok'; in Dholuo it is "
                   "the common negation, which outweighs the web prior")
def test_ok_is_english():
    assert detect("ok").language.code == "en"


def test_wie_geht_es_dir_is_german():
    assert detect("Wie geht es dir?").language.code == "de"


def test_the_locale_tips_a_german_dutch_close_call():
    assert detect("Dank", locale="de").language.code == "de"
    assert detect("Dank", locale="nl").language.code == "nl"
    # but not clear evidence
    assert detect(SENTENCES["de"], locale="nl").language.code == "de"


def test_priors_fade_with_length():
    short = detect("Dank", locale="nl").candidates
    long = detect(SENTENCES["de"], locale="nl").candidates
    assert dict(short).get("nl", 0) > 0.1 and dict(long).get("nl", 0) < 0.01


def test_locale_hint_reads_the_environment():
    assert locale_hint({"LANG": "de_DE.UTF-8"}) == "de"
    assert locale_hint({"LC_ALL": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}) == "pt"
    assert locale_hint({"LC_MESSAGES": "fr_FR", "LANG": "en_US"}) == "fr"
    assert locale_hint({"LC_ALL": "C", "LANG": "nl_NL.UTF-8"}) == "nl"  # C/POSIX are skipped
    assert locale_hint({"LANG": "C.UTF-8"}) is None
    assert locale_hint({"LANG": "POSIX"}) is None
    assert locale_hint({}) is None


@pytest.mark.parametrize("text", ["", "12345 678", "!!! ???", "\x00\x01"])
def test_no_letters_is_unknown(text):
    found = detect(text)
    assert found.language is None and not found.reliable


def test_a_hint_tips_a_close_call():
    close = "Terima kasih banyak"  # Indonesian or Malay
    assert detect(close, hint="ms").language.code == "ms"
    assert detect(close, hint="id").language.code == "id"
    # but it does not override clear evidence
    assert detect(SENTENCES["de"], hint="fr").language.code == "de"


def test_candidates_are_ranked_probabilities():
    found = detect("Ова е реченица на македонски јазик за тестирање.")
    probs = [p for _, p in found.candidates]
    assert found.candidates[0][0] == "mk" and probs == sorted(probs, reverse=True)
    assert 0.99 <= sum(probs) <= 1.001 or len(probs) == 3


@pytest.mark.parametrize("text", ["„Без", "A", "Polis", "Sin", "Dank"])
def test_candidates_stay_ranked_when_calibration_lowers_the_top(text):
    found = detect(text)
    probs = [p for _, p in found.candidates]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.001, found.candidates
    assert probs[0] == found.confidence


def test_fast_enough():
    texts = list(SENTENCES.values()) * 20
    detect(texts[0])
    start = time.perf_counter()
    for text in texts:
        detect(text)
    per_sentence = (time.perf_counter() - start) / len(texts)
    assert per_sentence < 0.002  # the benchmark measures ~0.15 ms; this only catches a collapse


@pytest.mark.skipif(not SAMPLE.exists(), reason="the NTREX-128 sample is in ../shared")
def test_accuracy_on_the_ntrex_sample_meets_the_bar():
    with open(SAMPLE, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    per: dict[str, list[int]] = {}
    for row in rows:
        found = detect(row["text"])
        hits = per.setdefault(row["lang"], [0, 0])
        hits[0] += found.language is not None and found.language.code == row["lang"]
        hits[1] += 1
    accuracy = sum(a / n for a, n in per.values()) / len(per)
    assert accuracy >= 0.97, accuracy


# Written for these tests, like SENTENCES: close pairs that naive Bayes alone mixes up.
CLOSE = {
    "sk": "Výbor zverejní svoju záverečnú správu o novej železničnej trati budúcu jar.",
    "hr": "Komisija će objaviti svoje završno izvješće o novoj željezničkoj pruzi sljedećeg proljeća.",
    "ms": "Jawatankuasa itu akan menerbitkan laporan akhirnya mengenai landasan kereta api baharu "
          "pada musim bunga depan.",
}


@pytest.mark.parametrize("code", sorted(CLOSE))
def test_close_languages_are_told_apart(code):
    found = detect(CLOSE[code])
    assert found.language.code == code, found


def test_the_second_stage_is_shipped():
    from llamax_cli.lid import model

    groups = {rerank.codes for rerank in model.reranks().values()}
    assert ("bs", "hr") in groups and ("id", "jv", "ms") in groups


@pytest.fixture
def fresh_model_caches():
    from llamax_cli.lid import detect as module
    from llamax_cli.lid import model

    caches = (model.tables, model.reranks, model.table_model, model.table_positions,
              model.members)
    for cache in caches:
        cache.cache_clear()
    yield module
    for cache in caches:  # the next test reads the shipped model again
        cache.cache_clear()


@pytest.mark.parametrize("bits", [features.TABLE_BITS, features.TABLE_BITS + 1])
def test_a_table_model_in_lid_npz_joins_the_posterior(tmp_path, monkeypatch, fresh_model_caches,
                                                      bits):
    """A whole-table model in lid.npz (train_lid.py --table-model) is loaded and used, with
    as many feature buckets as it has rows (--table-bits). Here its weights are set by hand:
    every feature of a French sentence votes French."""
    module = fresh_model_caches
    text = "Le comité publiera son rapport au printemps prochain."
    ids, _ = features.table_features(
        features.rerank_features(features.codepoints(text)), 1 << bits)
    w = np.zeros((1 << bits, 3), dtype=np.int8)
    w[ids, 1] = 100
    with module.model.data_file("lid.npz", "LLAMAX_LID_MODEL") as f:
        arrays = dict(np.load(f))
    arrays.update({"lr.codes": np.array(["en", "fr", "es"]), "lr.w": w,
                   "lr.scale": np.array([0.01]), "lr.bias": np.zeros(3, dtype=np.float32)})
    np.savez(tmp_path / "lid.npz", **arrays)
    monkeypatch.setenv("LLAMAX_LID_MODEL", str(tmp_path / "lid.npz"))

    ev = module.evidence(text)
    logprobs = module._table_logprobs(ev)
    known = [ev.codes.index(c) for c in ("en", "fr", "es")]
    assert abs(np.exp(logprobs[known]).sum() - 1) < 1e-6  # a distribution over its languages
    assert ev.codes[int(np.argmax(logprobs))] == "fr"
    assert logprobs.min() == logprobs[known].min()  # languages it lacks get its lowest
    params = dict(module.model.calibration(), lr_gamma=0.0)
    without = module.posterior_logits(ev, params)
    with_model = module.posterior_logits(ev, dict(params, lr_gamma=1.0))
    fr, es = ev.codes.index("fr"), ev.codes.index("es")
    assert with_model[fr] - with_model[es] > without[fr] - without[es]
    cyrillic = module.evidence("Комитет опубликует свой доклад весной.")
    assert not module._table_logprobs(cyrillic).any()  # Latin only


def test_the_table_model_sits_out_below_its_word_count(tmp_path, monkeypatch, fresh_model_caches):
    """One word gets no say from the whole-table model (lr_min_words), and its confidence
    its own Platt scaling ("Latn-short"), fitted on one-word dev items."""
    module = fresh_model_caches
    w = np.full((features.TABLE_BUCKETS, 2), 0, dtype=np.int8)
    w[:, 1] = 100  # Northern Sotho, whatever the text: the model is sure and wrong
    with module.model.data_file("lid.npz", "LLAMAX_LID_MODEL") as f:
        arrays = dict(np.load(f))
    arrays.update({"lr.codes": np.array(["en", "nso"]), "lr.w": w,
                   "lr.scale": np.array([0.1]), "lr.bias": np.zeros(2, dtype=np.float32)})
    np.savez(tmp_path / "lid.npz", **arrays)
    monkeypatch.setenv("LLAMAX_LID_MODEL", str(tmp_path / "lid.npz"))
    params = dict(module.model.calibration(), lr_gamma=1.0, lr_min_words=2)

    one, two = module.evidence("Hello!"), module.evidence("Hello, world")
    assert not module._table_logprobs(one, 2).any()
    assert module._table_logprobs(two, 2).any()
    assert module.platt_key(one, params) == "Latn-short"
    assert module.platt_key(two, params) == "Latn"
    en, nso = one.codes.index("en"), one.codes.index("nso")
    logits = module.posterior_logits(one, params)
    assert logits[en] > logits[nso]
    two_logits = module.posterior_logits(two, params)
    assert two_logits[nso] > two_logits[en]
