"""How often the fast kernels' batched output equals a one-at-a-time run's, unit by unit.

    python benchmarks/check_parallel_agreement.py [--model PATH] [--parallel 16] [--to fr]
        [--max-tokens 48]

The English side of the NTREX-128 sample (../shared/data/ntrex128-sample.tsv) is translated
twice with the default (fast) kernels, greedy: `--parallel 1` and `--parallel N`. Where the
fast mode shares one KV cache (models that are mostly K-quants), a row's numbers change in
the last bits with its batch (engine/kernels.py) and a greedy pick may flip where two tokens
are nearly tied; `--deterministic` rules that out. The output-language check is off unless
asked (--check-language): the test model's answers are mostly in the wrong language, and
every such unit is retried (a beam search of 4, at any --parallel). Reported: the share of
units whose translation is the same text in both runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_peer import default_model  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ntrex128-sample.tsv"


def translations(model: Path, doc: Path, parallel: int, args) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env.update(HF_HUB_OFFLINE="1", LLAMAX_MEMORY="0", LLAMAX_SERVE_FILE=str(doc) + ".none",
               LLAMAX_CHECK_LANGUAGE="1" if args.check_language else "0")
    proc = subprocess.run([sys.executable, "-m", "llamax_cli", "translate", "--from", "en",
                           "--to", args.to, "--model", str(model), "--parallel", str(parallel),
                           "--max-tokens", str(args.max_tokens), "--json", "-q", str(doc)],
                          env=env, capture_output=True)
    if proc.returncode not in (0, 3):
        raise SystemExit(proc.stderr.decode()[-2000:])
    return [json.loads(line)["translation"] for line in proc.stdout.decode().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--to", default="fr")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--check-language", action="store_true",
                        help="keep the output-language check on (the default of llamax "
                             "translate): nearly every unit of the test model is retried")
    args = parser.parse_args()
    model = (args.model or default_model()).resolve()
    with SAMPLE.open(encoding="utf-8") as f:
        lines = [row["text"] for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                 if row["lang"] == "en"]
    doc = Path(tempfile.mkdtemp(prefix="llamax-agree-")) / "en.txt"
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    alone = translations(model, doc, 1, args)
    batched = translations(model, doc, args.parallel, args)
    same = sum(a == b for a, b in zip(alone, batched))
    print(f"{same} of {len(alone)} units ({100 * same / len(alone):.0f}%) are the same text "
          f"with --parallel 1 and --parallel {args.parallel} ({model.name}, fast kernels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
