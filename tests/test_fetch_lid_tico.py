"""tools/fetch_lid_tico.py: TICO-19's translations, read from a pinned git commit."""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import fetch_lid_tico  # noqa: E402
from llamax_cli import languages, lid_features  # noqa: E402


def test_every_language_is_a_llamax_language_told_apart_by_a_table():
    for code in fetch_lid_tico.LANGUAGES.values():
        assert languages.find(code) is not None and lid_features.group_of(code) is not None


def test_lines_are_read_from_the_commit_cleaned_and_deduplicated(tmp_path, monkeypatch):
    repo = tmp_path / "Helsinki-NLP+OPUS-MT-testsets" / "repo"
    folder = repo / fetch_lid_tico.FOLDER / "en-ms"
    folder.mkdir(parents=True)
    (folder / "tico19-test.ms").write_text(
        "di manakah awak rasa sakit di dada?\n"
        '"Menurut kajian, ""sehingga vaksin tersedia""."\n'
        "di manakah  awak rasa sakit di dada?\n"
        "18 (2020)\n", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "tico"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    monkeypatch.setattr(fetch_lid_tico, "REPO", ("Helsinki-NLP+OPUS-MT-testsets", commit))
    monkeypatch.setattr(fetch_lid_tico, "LANGUAGES", {"ms": "ms"})
    assert fetch_lid_tico.collect(tmp_path) == {"ms": [
        "di manakah awak rasa sakit di dada?", 'Menurut kajian, "sehingga vaksin tersedia".']}
