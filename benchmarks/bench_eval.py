"""`llamax eval` end to end on the NTREX-128 sample: greedy against beam search.

    python benchmarks/bench_eval.py [--data ../shared/data/ntrex128-sample.tsv]
                                    [--pairs en-fr,en-sw,sw-en] [--beams 4] [--rounds 3]

For each pair, the first 20 sentences of the sample are translated and scored by
`llamax eval --src … --ref … --json` in a fresh process, greedily and with --beams, in
alternating rounds. Reported: chrF++ (and spBLEU when its tokenizer model is available) and
the median translation seconds. The language check is off (LLAMAX_CHECK_LANGUAGE=0) so that
greedy is plain greedy and beams plain beams. With the default test model (a 270M base model)
the scores say nothing about quality; the point is that the machinery runs end to end, with
the command a user with the real model runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).parents[2] / "shared/data/ntrex128-sample.tsv")
    parser.add_argument("--pairs", default="en-fr,en-sw,sw-en")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", help="default: the configured model")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    by_lang: dict[str, list[str]] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row["text"])
    work = Path(tempfile.mkdtemp(prefix="llamax-bench-eval-"))
    for lang, lines in by_lang.items():
        (work / f"{lang}.txt").write_text("\n".join(lines[:args.sentences]) + "\n")
    env = {**os.environ, "LLAMAX_CHECK_LANGUAGE": "0", "HF_HUB_OFFLINE": "1"}
    model = ["--model", args.model] if args.model else []
    runs: dict[tuple[str, int], list[dict]] = {}
    for r in range(args.rounds):
        for pair in args.pairs.split(","):
            src, tgt = pair.split("-")
            for beams in (1, args.beams):
                proc = subprocess.run(
                    [sys.executable, "-m", "llamax_cli", "eval", "--src", work / f"{src}.txt",
                     "--ref", work / f"{tgt}.txt", "--from", src, "--to", tgt, "--beams",
                     str(beams), "--json", "-q", *model], env=env, capture_output=True,
                    text=True)
                if proc.returncode != 0:
                    raise SystemExit(f"{pair} beams {beams}: {proc.stderr.strip()}")
                runs.setdefault((pair, beams), []).append(json.loads(proc.stdout))
        print(f"round {r + 1} done", flush=True)
    print(f"\n| pair | decoding | chrF++ | spBLEU | translation seconds (median of "
          f"{args.rounds}) |\n|---|---|---|---|---|")
    for (pair, beams), reports in runs.items():
        last = reports[-1]
        seconds = statistics.median(rep["timings"]["translation"] for rep in reports)
        spbleu = "-" if last.get("spbleu") is None else f"{last['spbleu']:.2f}"
        label = "greedy" if beams == 1 else f"--beams {beams}"
        print(f"| {pair} | {label} | {last['chrf++']:.2f} | {spbleu} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
