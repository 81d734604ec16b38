"""False alarms of the target-language check on true translations.

    python benchmarks/bench_language_check.py [--data ../shared/data/ntrex128-sample.tsv]

Every sentence of the sample is taken as the translation into its own language and checked
with `language_check.mismatch`: a flag is a false alarm. Also reported: the same sentences
cut to their first 3 and 5 words (short outputs are exempt below 3 words), and which
languages the false alarms took them for. Goal: under 1%.
"""

from __future__ import annotations

import argparse
import collections
import csv
from pathlib import Path

from llamax_cli.service import language_check
from llamax_cli.core.languages import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).parents[2] / "shared/data/ntrex128-sample.tsv")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    print(f"{len(rows)} sentences in {len({r['lang'] for r in rows})} languages\n")
    print("| output | false alarms | taken for |\n|---|---|---|")
    for cut in (3, 5, None):
        alarms = collections.Counter()
        for row in rows:
            text = row["text"] if cut is None else " ".join(row["text"].split()[:cut])
            note = language_check.mismatch(text, resolve(row["lang"]))
            if note is not None:
                alarms[(row["lang"], note.split(" (")[0].removeprefix("the output is in "))] += 1
        n = sum(alarms.values())
        label = "whole sentences" if cut is None else f"first {cut} words"
        detail = ", ".join(f"{lang} as {name} ({k})" for (lang, name), k in alarms.most_common(6))
        print(f"| {label} | {n} of {len(rows)} ({n / len(rows):.2%}) | {detail or '-'} |")


if __name__ == "__main__":
    main()
