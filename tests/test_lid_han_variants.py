"""Simplified or Traditional Chinese by the characters only one of them writes."""

import numpy as np
import pytest

from llamax_cli.lid import han_variants
from llamax_cli.lid import features
from llamax_cli.lid.detect import detect


def cps(text):
    return features.codepoints(text)


def test_the_character_lists_are_disjoint_and_hold_the_known_pairs():
    simplified, traditional = han_variants.variant_sets()
    assert len(simplified) > 2000 and len(traditional) > 2000
    assert not simplified & traditional
    for hans, hant in ("国國", "这這", "们們", "东東", "铁鐵"):
        assert ord(hans) in simplified and ord(hant) in traditional
    for shared in "人大中日春天的":  # written alike in both
        assert ord(shared) not in simplified | traditional


def test_count_survives_the_detectors_normalization():
    assert han_variants.count(cps("这些权利")) == (2, 0)  # 些 and 利 are shared
    assert han_variants.count(cps("這些權利")) == (0, 2)
    assert han_variants.count(cps("人人在行")) == (0, 0)


CODES = ("ja", "zh", "zh-Hant")
PRIOR = np.log(np.array([0.3, 0.4, 0.3]))


@pytest.mark.parametrize("text, loser", [("这些", "zh-Hant"), ("這些", "zh")])
def test_one_scripts_characters_push_the_other_script_down(text, loser):
    logits = np.array([0.0, 0.0, 0.0])
    out = han_variants.adjust(cps(text), CODES, logits, PRIOR)
    assert out[CODES.index(loser)] == -han_variants.PENALTY
    assert out[0] == 0.0  # Japanese is left to the models


def test_text_written_alike_in_both_is_split_by_the_prior_alone():
    logits = np.array([-1.0, -3.0, 0.0])  # noise favouring Traditional
    out = han_variants.adjust(cps("人人在行"), CODES, logits, PRIOR)
    assert out[1] > out[2]
    assert np.isclose(np.logaddexp(out[1], out[2]), np.logaddexp(-3.0, 0.0))
    assert np.isclose(out[1] - out[2], PRIOR[1] - PRIOR[2])
    assert out[0] == -1.0


def test_mixed_text_is_left_to_the_models():
    logits = np.array([-1.0, -3.0, 0.0])
    assert (han_variants.adjust(cps("这這"), CODES, logits, PRIOR) == logits).all()


@pytest.mark.parametrize("text, code", [
    ("这些权利", "zh"), ("這些權利", "zh-Hant"), ("我们", "zh"), ("我們", "zh-Hant"),
    ("印度尼西亚", "zh"), ("印度尼西亞", "zh-Hant"), ("東京に行く", "ja"),
])
def test_short_chinese_through_the_detector(text, code):
    assert detect(text).language.code == code


def test_shared_characters_go_to_simplified_without_certainty():
    # No character tells the scripts apart: Simplified by the prior, and the confidence says
    # the split is open.
    found = detect("人人在行")
    assert found.language.code == "zh"
    assert found.confidence < 0.7
    assert dict(found.candidates)["zh-Hant"] > 0.2
