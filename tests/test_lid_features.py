"""The detector's features: character n-grams, whole words, and the text's first word."""

import unicodedata
from collections import Counter

import numpy as np

from llamax_cli.lid import features


def test_codepoints_lowercase_and_collapse_non_letters():
    cps = features.codepoints("Ab,  CD!")
    assert cps.tobytes().decode("utf-32-le") == " ab cd "


def test_sindhi_word_symbols_are_letters_of_the_arabic_script():
    """۽ ("and") and ۾ ("in") are Unicode symbols (So), but Sindhi writes them as words."""
    assert unicodedata.category("۾") == "So"
    cps = features.codepoints("2016 ۾، ۽")
    assert cps.tobytes().decode("utf-32-le") == " ۾ ۽ "
    counts = dict(zip(features.SCRIPTS, features.scripts(cps).tolist()))
    assert counts["Arab"] == 2


def test_one_feature_per_char_gram_word_and_first_word():
    # "ab cd": 4 letters (1-grams); 2-, 3- and 4-grams over " ab cd " (7 code points: 6, 5, 4);
    # 2 whole words; 1 first word
    assert len(features.buckets("ab cd")) == 4 + 6 + 5 + 4 + 2 + 1


def test_buckets_stay_in_range_and_empty_text_has_none():
    ids = features.buckets("Ελληνικά και English 中文")
    assert ids.dtype == np.int64 and ids.min() >= 0 and ids.max() < features.BUCKETS
    assert len(features.buckets("")) == 0 and len(features.buckets("123 !!")) == 0


def test_prefix_cuts_words_or_characters():
    assert features.prefix("Good  morning, my friend.", "en", 2) == "Good morning,"
    assert features.prefix("今天天气很好我们去公园", "zh", 2) == "今天天气"
    assert features.prefix(" a  b ", "en", None) == "a b"


def test_table_features_fold_into_range_and_damp_repeats():
    ids, values = features.table_features(
        features.rerank_features(features.codepoints("la la la la mer")))
    assert ids.min() >= 0 and ids.max() < features.TABLE_BUCKETS
    assert len(np.unique(ids)) == len(ids)  # one entry per feature, its count in the value
    assert values.min() >= np.log(2) and values.max() >= np.log1p(4)  # "la" 4 times


def test_combining_marks_belong_to_their_letter():
    decomposed = unicodedata.normalize("NFD", "Ọ̀gbẹ́ni àjọ")
    counts = features.scripts(features.codepoints(decomposed))
    assert counts[features.SCRIPTS.index("Zyyy")] == 0
    assert counts.sum() == len("Ogbeniajo")
