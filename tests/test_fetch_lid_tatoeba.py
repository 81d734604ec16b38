"""tools/fetch_lid_tatoeba.py: Tatoeba's per-line labels mapped to LLaMAX languages."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import fetch_lid_tatoeba  # noqa: E402


def test_labels_map_to_llamax_codes_with_their_script():
    codes = fetch_lid_tatoeba.label_codes()
    assert codes["hrv"] == "hr" and codes["bos_Latn"] == "bs" and codes["srp_Cyrl"] == "sr"
    assert "srp_Latn" not in codes  # LLaMAX's Serbian is written in Cyrillic
    assert codes["cmn_Hans"] == "zh" and codes["cmn_Hant"] == "zh-Hant"
    assert codes["zsm_Latn"] == "ms" and codes["swh"] == "sw" and codes["nob"] == "no"


def test_only_lines_of_letters_are_kept():
    assert fetch_lid_tatoeba.usable("Danke!")
    assert not fetch_lid_tatoeba.usable("12:30")
    assert not fetch_lid_tatoeba.usable("A")
