"""Language detection by text length: accuracy, abstentions, calibration and speed, with pycld2.

    python benchmarks/bench_detect.py [--data ../shared/data] [--dev dev.tsv] [--table] [--phrases]

Measured on the NTREX-128 sample (20 news sentences x 88 languages; never trained or tuned
on), each sentence cut to its first 1, 2, 3 and 5 words (first 2, 4, 6, 10 characters for
zh, ja, th, lo, km, my) and whole. Per length:

- accepted: share of all inputs answered with a reliable (confidence >= floor) and right
  language; `und` counts as wrong;
- und: share answered `und` (below the floor);
- best guess: share whose best guess (`Detection.language`) is right, and the same as a
  mean over languages;
- ECE: expected calibration error of `confidence` against the best guess being right, 10
  equal-width bins;
- µs per input.

pycld2 alone, side by side: its best guess (bestEffort) and its accepted answer (its own
`reliable` flag). With --dev, the same on a TSV of `code<TAB>sentence` (tools/train_lid.py
--dev-out writes the held-out lines of the training text; use the model trained without them;
benchmarks/fetch_news_eval.py writes WMT news sentences no model is trained on; --dev-name
heads the report).
With --phrases, the 120 everyday phrases of benchmarks/data/everyday-phrases.tsv (greetings,
chat and shell lines in 33 languages, the short text people pipe): how many are right, and
how many are wrong with a confidence at or above the floor (no low-confidence notice).
"""

from __future__ import annotations

import argparse
import collections
import csv
import time
from pathlib import Path

import numpy as np

from llamax_cli.lid import detect
from llamax_cli.core import languages
from llamax_cli.lid import features

CUTS = (1, 2, 3, 5, None)
_CLD2_CODES = {"iw": "he", "jw": "jv", "ku": "ckb", "in": "id", "mo": "ro"}


def load_sample(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        return [(row["lang"], row["text"]) for row in csv.DictReader(f, delimiter="\t")]


def load_dev(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1)) for line in path.read_text(encoding="utf-8").splitlines()]


def cld2(text: str) -> tuple[str, bool]:
    import pycld2

    try:
        reliable, _, details = pycld2.detect(detect.CONTROL_CHARACTERS.sub(" ", text), bestEffort=True)
    except pycld2.error:
        return "un", False
    code = details[0][1]
    lang = languages.find(_CLD2_CODES.get(code, code)) if code not in ("un", "xxx") else None
    return (lang.code if lang else code), reliable


def ece(conf, right, bins: int = 10) -> float:
    conf, right = np.asarray(conf, dtype=float), np.asarray(right, dtype=float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return sum(abs(conf[idx == b].mean() - right[idx == b].mean()) * (idx == b).sum()
               for b in range(bins) if (idx == b).any()) / len(conf)


def reliability(conf, right, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per populated bin."""
    conf, right = np.asarray(conf, dtype=float), np.asarray(right, dtype=float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return [(conf[idx == b].mean(), right[idx == b].mean(), int((idx == b).sum()))
            for b in range(bins) if (idx == b).any()]


def cut_name(cut) -> str:
    return "whole" if cut is None else f"{cut} word{'s' if cut > 1 else ''}"


def evaluate(pairs, name: str, table: bool, curves: bool) -> dict:
    print(f"\n**{name}: {len(pairs)} sentences, {len(set(c for c, _ in pairs))} languages**\n")
    print("| length | accepted | und | best guess | best guess (mean over languages) | ECE "
          "| µs | pycld2 best guess | pycld2 accepted |")
    print("|---|---|---|---|---|---|---|---|---|")
    pooled_conf, pooled_right, results = [], [], {}
    for cut in CUTS:
        texts = [features.prefix(text, code, cut) for code, text in pairs]
        start = time.perf_counter()
        found = [detect.detect(t) for t in texts]
        micros = 1e6 * (time.perf_counter() - start) / len(texts)
        right = np.array([f.language is not None and f.language.code == code
                          for (code, _), f in zip(pairs, found)])
        conf = np.array([f.confidence for f in found])
        reliable = np.array([f.reliable for f in found])
        per = collections.defaultdict(list)
        for (code, _), r in zip(pairs, right):
            per[code].append(r)
        macro = np.mean([np.mean(v) for v in per.values()])
        votes = [cld2(t) for t in texts]
        cld2_right = np.array([c == code for (code, _), (c, _) in zip(pairs, votes)])
        cld2_accepted = np.array([c == code and ok for (code, _), (c, ok) in zip(pairs, votes)])
        row = {"accepted": float(np.mean(right & reliable)), "und": float(np.mean(~reliable)),
               "best": float(np.mean(right)), "macro": float(macro), "ece": ece(conf, right),
               "us": micros}
        results[cut_name(cut)] = row
        print(f"| {cut_name(cut)} | {row['accepted']:.2%} | {row['und']:.2%} | {row['best']:.2%} "
              f"| {macro:.2%} | {row['ece']:.3f} | {micros:.0f} | {np.mean(cld2_right):.2%} "
              f"| {np.mean(cld2_accepted):.2%} |")
        pooled_conf.extend(conf)
        pooled_right.extend(right)
        if cut in (2, None):
            confusions = collections.Counter(
                (code, f.language.code if f.language else "und")
                for (code, _), f, r in zip(pairs, found, right) if not r)
            worst = sorted(per, key=lambda c: np.mean(per[c]))[:8]
            results[cut_name(cut)]["notes"] = (
                "weakest: " + ", ".join(f"{c} {sum(per[c])}/{len(per[c])}" for c in worst) +
                "; confusions: " + ", ".join(f"{a}->{b} x{n}" for (a, b), n in confusions.most_common(8)))
        if curves:
            print("  reliability: " + ", ".join(f"{c:.2f}->{a:.2f} (n={n})"
                                                for c, a, n in reliability(conf, right)))
        if table and cut is None:
            results["table"] = [(c, sum(per[c]), len(per[c])) for c in sorted(per)]
    print(f"\nAll lengths pooled: ECE {ece(pooled_conf, pooled_right):.3f} "
          f"({len(pooled_conf)} inputs)")
    for key in ("2 words", "whole"):
        print(f"- {key}: {results[key]['notes']}")
    if table:
        print("\n| code | language | whole sentences |\n|---|---|---|")
        for code, hits, total in results["table"]:
            lang = languages.find(code)
            print(f"| {code} | {lang.name if lang else code} | {hits}/{total} |")
    return results


PHRASES = Path(__file__).resolve().parent / "data/everyday-phrases.tsv"


def phrases() -> None:
    rows = [line.split("\t") for line in PHRASES.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    right, sure_and_wrong, wrong = 0, 0, []
    for codes, text in rows:
        found = detect.detect(text)
        guess = found.language.code if found.language else "und"
        if guess in codes.split(","):
            right += 1
            continue
        sure_and_wrong += found.confidence >= detect.CONFIDENCE_FLOOR
        wrong.append(f"{text} -> {guess} {found.confidence:.2f}")
    print(f"\n**Everyday phrases: {len(rows)}**: {right} right, {sure_and_wrong} wrong at or "
          f"above the floor ({detect.CONFIDENCE_FLOOR})\n")
    print("- wrong: " + "; ".join(wrong))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--dev", type=Path, help="held-out lines, code<TAB>sentence")
    parser.add_argument("--dev-name", default="held-out training lines",
                        help="what the --dev lines are, for the report's heading")
    parser.add_argument("--no-sample", action="store_true", help="only the --dev lines")
    parser.add_argument("--table", action="store_true", help="per-language table, whole sentences")
    parser.add_argument("--curves", action="store_true", help="reliability bins per length")
    parser.add_argument("--phrases", action="store_true",
                        help="also the everyday phrases (benchmarks/data/everyday-phrases.tsv)")
    args = parser.parse_args()
    detect.detect("warm up the tables")
    if not args.no_sample:
        evaluate(load_sample(args.data / "ntrex128-sample.tsv"), "NTREX-128 sample", args.table,
                 args.curves)
    if args.dev:
        evaluate(load_dev(args.dev), args.dev_name, args.table, args.curves)
    if args.phrases:
        phrases()


if __name__ == "__main__":
    main()
