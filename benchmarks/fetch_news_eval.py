"""A second held-out measurement set: WMT news test sets, never trained or tuned on.

    python benchmarks/fetch_news_eval.py --mirrors DIR --out ../lid-news.tsv
    python benchmarks/bench_detect.py --dev ../lid-news.tsv --no-sample

News sentences begin with names more often than the training text does ("Wirecard hat",
"Bay Trump", "A Goldman"), which is what short-text detection meets in pasted headlines and
what parallel benchmarks built from news and Wikipedia are made of. The WMT newstest files
come from Helsinki-NLP/OPUS-MT-testsets (DIR/Helsinki-NLP+OPUS-MT-testsets, pinned commit),
only `datasets/statmt/wmt_newstest` (never the FLORES files of that repository): for each
language the newest set written in it (the `xx-en` source side where there is one), up to
PER sentences of 8+ words (25+ characters in Chinese and Japanese), shuffled with a fixed seed.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from fetch_lid_more import git, read  # noqa: E402

REPO = ("Helsinki-NLP+OPUS-MT-testsets", "ac0f19c0be3cb4e0d9450fcb2d7a9847c4bdd180")
FOLDER = "datasets/statmt/wmt_newstest"
PER = 300
SKIP = {"iu"}  # not a LLaMAX language


def newest(names: list[str]) -> dict[str, str]:
    """Each language's newest file, preferring text written in it (xx-en/) to translations."""
    found = collections.defaultdict(list)
    for name in names:
        lang = name.rsplit(".", 1)[-1]
        if "flores" in name.lower() or lang in SKIP:
            continue
        pair = name.split("/")[-2]
        original = "-" in pair and pair.split("-")[0] == lang
        found[lang].append((original, name))
    return {lang: max(files)[1] for lang, files in found.items()}  # originals sort last


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    names = git(args.mirrors, REPO[0], "ls-tree", "-r", "--name-only", REPO[1], FOLDER).split()
    rng = random.Random(1)
    rows = []
    for lang, path in sorted(newest(names).items()):
        text = read(args.mirrors, *REPO, path).splitlines()
        dense = lang in ("zh", "ja")
        lines = [line.strip() for line in text
                 if (len(line.strip()) >= 25 if dense else len(line.split()) >= 8)]
        rng.shuffle(lines)
        rows += [f"{lang}\t{line}\n" for line in lines[:PER]]
        print(f"{lang}: {min(len(lines), PER)} sentences from {path}")
    args.out.write_text("".join(rows), encoding="utf-8")
    print(f"wrote {args.out}: {len(rows)} sentences")


if __name__ == "__main__":
    main()
