"""Language detection: accuracy per language and overall, and speed, side by side with pycld2.

    python benchmarks/bench_detect.py [--data ../shared/data] [--dev dev.tsv] [--table]

Measured on the NTREX-128 sample (20 news sentences x 88 languages; never trained on). With
--dev, also on a TSV of `code<TAB>sentence` (tools/train_lid.py --dev-out writes the held-out
lines of the training text, which cover the 14 languages the sample lacks).
"""

from __future__ import annotations

import argparse
import collections
import csv
import time
from pathlib import Path

from llamax_cli import detect, languages


def load_sample(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        return [(row["lang"], row["text"]) for row in csv.DictReader(f, delimiter="\t")]


def load_dev(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1)) for line in path.read_text(encoding="utf-8").splitlines()]


def cld2_code(text: str) -> str:
    import pycld2

    try:
        _, _, details = pycld2.detect(text, bestEffort=True)
    except pycld2.error:
        return "un"
    code = details[0][1]
    lang = languages.find({"iw": "he", "jw": "jv", "ku": "ckb"}.get(code, code))
    return lang.code if lang else code


def evaluate(pairs, name: str, table: bool) -> tuple[float, float]:
    per = collections.defaultdict(lambda: [0, 0, 0])  # right (llamax), right (cld2), total
    confusions = collections.Counter()
    start = time.perf_counter()
    guesses = [detect.detect(text) for _, text in pairs]
    seconds = time.perf_counter() - start
    for (code, text), found in zip(pairs, guesses):
        got = found.language.code if found.language else "?"
        per[code][0] += got == code
        per[code][1] += cld2_code(text) == code
        per[code][2] += 1
        if got != code:
            confusions[(code, got)] += 1
    langs = sorted(per)
    macro = sum(per[c][0] / per[c][2] for c in langs) / len(langs)
    macro_cld2 = sum(per[c][1] / per[c][2] for c in langs) / len(langs)
    print(f"\n{name}: {len(pairs)} sentences, {len(langs)} languages")
    print(f"  llamax  accuracy {macro:.2%} (mean over languages), "
          f"{1e6 * seconds / len(pairs):.0f} µs/sentence")
    print(f"  pycld2  accuracy {macro_cld2:.2%}")
    worst = sorted(langs, key=lambda c: per[c][0] / per[c][2])[:8]
    print("  weakest: " + ", ".join(f"{c} {per[c][0]}/{per[c][2]}" for c in worst))
    print("  confusions: " + ", ".join(f"{a}->{b} x{n}" for (a, b), n in confusions.most_common(10)))
    if table:
        print("\n  | code | language | llamax | pycld2 |\n  |---|---|---|---|")
        for c in langs:
            lang = languages.find(c)
            print(f"  | {c} | {lang.name if lang else c} | {per[c][0]}/{per[c][2]} | {per[c][1]}/{per[c][2]} |")
    return macro, macro_cld2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--table", action="store_true", help="print the per-language table")
    args = parser.parse_args()
    detect.detect("warm up the tables")
    evaluate(load_sample(args.data / "ntrex128-sample.tsv"), "NTREX-128 sample", args.table)
    if args.dev:
        evaluate(load_dev(args.dev), "held-out training lines", args.table)


if __name__ == "__main__":
    main()
