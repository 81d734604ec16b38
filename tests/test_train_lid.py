"""tools/train_lid.py: which NTREX training lines the whole-table model leaves out."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import train_lid  # noqa: E402


def _document(name: str, sentences: int) -> list[str]:
    return [f"{name} makes the news"] + [f"{name} sentence {k}." for k in range(sentences)]


def test_the_sample_documents_are_left_out_with_a_margin(tmp_path, monkeypatch):
    monkeypatch.setattr(train_lid, "MARGIN", 2)
    original = _document("Alpha", 30) + _document("Beta", 30) + _document("Gamma", 30)
    held = 45  # "Beta sentence 13.", in the second document (lines 31-61)
    ntrex = tmp_path / "lid-train/ntrex"
    ntrex.mkdir(parents=True)
    for code, prefix in (("en", ""), ("fr", "fr ")):
        rest = [prefix + line for i, line in enumerate(original) if i != held]
        (ntrex / f"{code}.txt").write_text("\n".join(rest) + "\n", encoding="utf-8")
    (tmp_path / "ntrex128-sample.tsv").write_text(
        f"lang\tline\ttext\nen\t{held}\t{original[held]}\n", encoding="utf-8")

    left_out = train_lid.sample_documents(tmp_path)

    expected = {line for i, line in enumerate(original) if 31 - 2 <= i < 62 + 2 and i != held}
    assert left_out["en"] == expected
    assert left_out["fr"] == {"fr " + line for line in expected}  # parallel files, same lines
    assert "Alpha sentence 5." not in left_out["en"] and "Gamma sentence 20." not in left_out["en"]


def test_no_sample_no_exclusions(tmp_path):
    assert train_lid.sample_documents(tmp_path) == {}
