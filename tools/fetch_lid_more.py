"""Extract more training text for the weak languages from pinned public repositories.

    python tools/fetch_lid_more.py --mirrors DIR --out ../lid-more

DIR holds git clones named owner+name (e.g. DIR/pemistahl+lingua-go, with or without a work
tree: files are read with `git show <commit>:<path>`). Writes <code>.txt, one line per
sentence, for tools/train_lid.py --more. The text stays outside the project: only derived
n-gram statistics are shipped (see llamax_cli/data/LID-SOURCES.md for sources and licences).
No FLORES or NTREX text is among these sources.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import re
import subprocess
import unicodedata
from pathlib import Path

LINGUA = ("pemistahl+lingua-go", "a440fc12f15b142f9c6c7b1eb95375fe5ac0f3e7")
MASAKHANE = ("masakhane-io+masakhane-ner", "ba5843cd08aa491d5f96a5e809e71eb9ec461391")
UD_JV = ("UniversalDependencies+UD_Javanese-CSUI", "f3baedde383bfe0364d56095ff24caee568fe0bb")
UD_CEB = ("UniversalDependencies+UD_Cebuano-GJA", "d85a2c85c431d25c9858215303ab4827431b367e")
CEB_POS = ("rjrequina+Cebuano-POS-Tagger", "fb1b46448c40b23ac8e8e373f073f1f8934b6dc6")
OC_VAR = ("lucilebessac+occitan-variety-detection", "f38c6638400f894ce5554a2ab7cd91004d942f8f")
NEWS = ("masakhane-io+masakhane-news", "819be052e79e0a600e0ed4a7356594681cb5c4f3")
MALAYA = ("mesolitica+malaya", "56ab5f547a2403a07e7da25898f699ba50da52b1")
OC_CONTES = ("Arnaudin_oc-gascon", "BladerAgenais_oc-lengadoc", "BladerArmagnac_oc-gascon",
             "Lalanne_oc-gascon")

# code -> [(repo, commit, path, kind[, cap])]; cap: use at most that many lines of the file.
# Not lingua's ms.txt: its "Malay" sentences are largely Indonesian ("punya", "bilang", "dari").
# Its id.txt is used: with Malaysian text for Malay (malaya), Indonesian needs varied text too,
# or Indonesian news goes to Malay. No flores*/dev/devtest or MT-benchmark file is used.
SOURCES = {
    "lg": [(*LINGUA, "cmd/language-testdata/sentences/lg.txt", "lines"),
           (*MASAKHANE, "text_by_language/luganda/luganda.txt", "lines")],
    "yo": [(*LINGUA, "cmd/language-testdata/sentences/yo.txt", "lines"),
           (*MASAKHANE, "text_by_language/yoruba/yoruba.txt", "lines")],
    "tl": [(*LINGUA, "cmd/language-testdata/sentences/tl.txt", "lines")],
    "sw": [(*LINGUA, "cmd/language-testdata/sentences/sw.txt", "lines")],
    "jv": [(*UD_JV, "jv_csui-ud-test.conllu", "conllu")],
    "id": [(*LINGUA, "cmd/language-testdata/sentences/id.txt", "lines")],
    "ceb": [(*UD_CEB, "ceb_gja-ud-test.conllu", "conllu"),
            (*CEB_POS, "eval/data/scraped/news-raw-nc.txt", "lines"),
            (*CEB_POS, "eval/data/scraped/news-raw.txt", "lines")],
    "oc": [(*OC_VAR, "data/oc-lengadoc-grclass_fr-news.csv", "section"),
           (*OC_VAR, "data/oc-gascon-grclass_fr-news.csv", "section"),
           *[(*OC_VAR, f"data/{name}-grclass.csv", "section") for name in OC_CONTES],
           (*OC_VAR, "data/globalvoices.en-ca.oc_oc-lengadoc-grclass.csv", "section", 12000)],
    "ln": [(*NEWS, f"data/lin/{split}.tsv", "news_tsv") for split in ("train", "dev")],
    "ms": [(*MALAYA, "dataset/sentiment/sentiment-data-v2.csv", "text_csv")],
    # Chinese had only the UDHR. Traditional Chinese is the same lines converted by OpenCC
    # (s2twp: Taiwan characters and phrases), so the two differ exactly where the scripts do
    # and text written alike in both stays a close call, for the prior to settle.
    "zh": [(*LINGUA, "cmd/language-testdata/sentences/zh.txt", "lines")],
    "zh-Hant": [(*LINGUA, "cmd/language-testdata/sentences/zh.txt", "lines_to_traditional")],
    "ja": [(*LINGUA, "cmd/language-testdata/sentences/ja.txt", "lines")],
}
# Leipzig sentences (lingua-go's test sentences: web, news and Wikipedia text, ~1000 a
# language) for every other language they share with LLaMAX: a second domain beside NTREX
# news, nearer the encyclopedic text people also translate. lingua code -> LLaMAX code.
LINGUA_ALSO = {code: code for code in (
    "af ar az be bg bs ca cs cy da de en es et fa fi fr ga hi hr hu is it kk lt lv mi mk mn mr "
    "nl pl pt ro ru sk sl sn so sr sv tr uk ur vi xh zu").split()} | {"nb": "no"}
for _lingua, _code in LINGUA_ALSO.items():
    SOURCES.setdefault(_code, []).append(
        (*LINGUA, f"cmd/language-testdata/sentences/{_lingua}.txt", "lines"))
FRENCH = re.compile(r"\b(les|des|est|une|dans|pour|sont|avec|nous|vous|cette)\b")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"»”]?\s+(?=[\"«“]?[A-Z])")


def git_dir(mirrors: Path, repo: str) -> Path:
    """The git directory of DIR/owner+name, a clone with or without a work tree."""
    root = mirrors / repo
    candidates = (root / "repo" / ".git", root / "repo", root / ".git")
    return next((d for d in candidates if d.exists()), root)


def git(mirrors: Path, repo: str, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir(mirrors, repo)}", *args],
                          check=True, capture_output=True, text=True).stdout


def read(mirrors: Path, repo: str, commit: str, path: str) -> str:
    return git(mirrors, repo, "show", f"{commit}:{path}")


def lines_of(text: str, kind: str) -> list[str]:
    if kind == "conllu":
        return [line[len("# text = "):] for line in text.splitlines() if line.startswith("# text = ")]
    if kind == "section":  # "text§label" lines (lowercased, no punctuation); drop French ones
        lines = [line.rsplit("§", 1)[0] for line in text.splitlines()]
        return [line for line in lines if len(FRENCH.findall(line)) < 2]
    if kind == "text_csv":  # CSV with a "text" column
        return [row["text"] for row in csv.DictReader(io.StringIO(text))]
    if kind == "news_tsv":  # MasakhaNEWS: headline + article text, split into sentences
        rows = csv.DictReader(io.StringIO(text), delimiter="\t")
        return [part for row in rows for field in (row["headline"], row["text"])
                for part in SENTENCE_END.split(field)]
    if kind == "lines_to_traditional":
        from opencc_purepy import OpenCC  # the `train` extra

        convert = OpenCC("s2twp").convert
        return [convert(line) for line in text.splitlines()]
    return text.splitlines()


def clean(line: str) -> str | None:
    line = unicodedata.normalize("NFC", re.sub(r"\s+", " ", line)).strip()
    # Letters and marks: Devanagari's vowel signs are marks, and "isalpha" alone dropped
    # nearly every Hindi and Marathi line.
    letters = sum(unicodedata.category(ch)[0] in "LM" for ch in line)
    if len(line) < 15 or letters < 0.6 * len(line):
        return None
    return line


def parse_mirrors_and_out() -> argparse.Namespace:
    """--mirrors DIR (git clones named owner+name) and --out DIR (created)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def main() -> None:
    args = parse_mirrors_and_out()
    for code, sources in SOURCES.items():
        seen, kept = set(), []
        counts = collections.Counter()
        for repo, commit, path, kind, *cap in sources:
            lines = lines_of(read(args.mirrors, repo, commit, path), kind)
            for raw in lines[:cap[0]] if cap else lines:
                line = clean(raw)
                if line and line.lower() not in seen:
                    seen.add(line.lower())
                    kept.append(line)
                    counts[path] += 1
        (args.out / f"{code}.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
        print(code, len(kept), dict(counts))


if __name__ == "__main__":
    main()
