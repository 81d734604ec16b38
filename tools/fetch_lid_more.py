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
import re
import subprocess
import unicodedata
from pathlib import Path

LINGUA = ("pemistahl+lingua-go", "a440fc12f15b142f9c6c7b1eb95375fe5ac0f3e7")
MASAKHANE = ("masakhane-io+masakhane-ner", "ba5843cd08aa491d5f96a5e809e71eb9ec461391")
UD_JV = ("UniversalDependencies+UD_Javanese-CSUI", "f3baedde383bfe0364d56095ff24caee568fe0bb")

# code -> [(repo, commit, path, kind)]. Not lingua's ms.txt (nor, to keep the pair even,
# id.txt): its "Malay" sentences are largely Indonesian ("punya", "bilang", "dari").
SOURCES = {
    "lg": [(*LINGUA, "cmd/language-testdata/sentences/lg.txt", "lines"),
           (*MASAKHANE, "text_by_language/luganda/luganda.txt", "lines")],
    "yo": [(*LINGUA, "cmd/language-testdata/sentences/yo.txt", "lines"),
           (*MASAKHANE, "text_by_language/yoruba/yoruba.txt", "lines")],
    "tl": [(*LINGUA, "cmd/language-testdata/sentences/tl.txt", "lines")],
    "sw": [(*LINGUA, "cmd/language-testdata/sentences/sw.txt", "lines")],
    "jv": [(*UD_JV, "jv_csui-ud-test.conllu", "conllu")],
}


def read(mirrors: Path, repo: str, commit: str, path: str) -> str:
    root = mirrors / repo
    git_dir = next((d for d in (root / "repo", root / ".git") if d.exists()), root)
    return subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"],
                          check=True, capture_output=True, text=True).stdout


def lines_of(text: str, kind: str) -> list[str]:
    if kind == "conllu":
        return [line[len("# text = "):] for line in text.splitlines() if line.startswith("# text = ")]
    return text.splitlines()


def clean(line: str) -> str | None:
    line = unicodedata.normalize("NFC", re.sub(r"\s+", " ", line)).strip()
    letters = sum(ch.isalpha() for ch in line)
    if len(line) < 15 or letters < 0.6 * len(line):
        return None
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for code, sources in SOURCES.items():
        seen, kept = set(), []
        counts = collections.Counter()
        for repo, commit, path, kind in sources:
            for raw in lines_of(read(args.mirrors, repo, commit, path), kind):
                line = clean(raw)
                if line and line.lower() not in seen:
                    seen.add(line.lower())
                    kept.append(line)
                    counts[path] += 1
        (args.out / f"{code}.txt").write_text("\n".join(kept) + "\n", encoding="utf-8")
        print(code, len(kept), dict(counts))


if __name__ == "__main__":
    main()
