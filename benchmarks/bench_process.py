"""Whole-process speed: `llamax translate` against a plain llama-cpp-python script, same work.

    python benchmarks/bench_process.py [--model PATH] [--lines 24,200] [--rounds 3]
                                       [--modes fast,deterministic] [--max-tokens 24]

Each round runs, in alternation, every configuration as a fresh process timed from spawn to
exit (Python start-up, model load, prompts, generation, output):

- one sentence: `llamax translate --to fr -t "<sentence>" --max-tokens 96` (source detected,
  as a user types it) against a script that loads the model with `llama_cpp.Llama` and calls
  `create_completion` once;
- documents of N lines: `llamax translate --from en --to fr doc.txt` against a script calling
  `create_completion` once per line, one after the other.

The work is made equal: llamax runs first in each round, with --json, and the script then
generates for each unit exactly the tokens llamax generated for it (end-of-generation
banned), from the same LLaMAX prompt. llamax's retries, if any, are its own cost. Reported:
median seconds over the rounds and the speed ratio script / llamax (above 1: llamax faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_throughput import default_model, document  # noqa: E402

from llamax_cli.service import prompt  # noqa: E402
from llamax_cli.engine.llama import default_threads  # noqa: E402
from llamax_cli.core.languages import resolve  # noqa: E402

SENTENCE = "The committee will publish its final report on the new railway line next spring."

PLAIN = r'''
import json, sys
import llama_cpp
work = json.load(sys.stdin)
llm = llama_cpp.Llama(sys.argv[1], n_ctx=2048, n_threads=int(sys.argv[2]),
                      n_threads_batch=int(sys.argv[2]), verbose=False)
no_eos = {llm.token_eos(): -float("inf")}
for text, n in work:
    out = llm.create_completion(text, max_tokens=n, temperature=0, logit_bias=no_eos)
    assert out["usage"]["completion_tokens"] == n, out["usage"]
    sys.stdout.write(out["choices"][0]["text"] + "\n")
'''


def run_llamax(args: list[str], env: dict) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "llamax_cli", "translate", "--json", "-q",
                           "--no-server", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 3):  # 3: done, some units need a look (random weights)
        raise SystemExit(f"llamax failed ({proc.returncode}): {proc.stderr.strip()}")
    return seconds, [json.loads(line) for line in proc.stdout.splitlines()]


def run_plain(model: Path, threads: int, work: list[tuple[str, int]]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", PLAIN, str(model), str(threads)],
                   input=json.dumps(work), capture_output=True, text=True, check=True)
    return time.perf_counter() - start


def plain_work(records: list[dict], src: str) -> list[tuple[str, int]]:
    return [(prompt.build(resolve(r["source_language"] or src), resolve("fr"), r["source"]),
             max(r["tokens"], 1)) for r in records if r["status"] != "passthrough"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--lines", default="24,200")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="fast,deterministic")
    parser.add_argument("--max-tokens", type=int, default=24, help="per document line")
    parser.add_argument("--sentence-tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--no-sentence", action="store_true")
    args = parser.parse_args()
    model = args.model or default_model()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env["HF_HUB_OFFLINE"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="llamax-bench-process-"))
    jobs = {} if args.no_sentence else {"one sentence": (
        ["--to", "fr", "-t", SENTENCE, "--max-tokens", str(args.sentence_tokens)], "en")}
    for n in map(int, args.lines.split(",")):
        path = tmp / f"doc{n}.txt"
        path.write_text("\n".join(document(n)) + "\n")
        jobs[f"{n} lines"] = (["--from", "en", "--to", "fr", "--max-tokens",
                               str(args.max_tokens), str(path)], "en")
    modes = args.modes.split(",")
    common = ["--model", str(model), "--threads", str(args.threads)]
    times: dict[tuple[str, str], list[float]] = {}
    print(f"model {model.name} ({model.stat().st_size / 2**20:.0f} MiB), {args.threads} threads, "
          f"{args.rounds} rounds", flush=True)
    for r in range(args.rounds):
        for job, (job_args, src) in jobs.items():
            for mode in modes:
                flags = ["--deterministic"] if mode == "deterministic" else []
                seconds, records = run_llamax(job_args + common + flags, env)
                times.setdefault((job, f"llamax {mode}"), []).append(seconds)
                if mode == modes[0]:
                    work = plain_work(records, src)
                    times.setdefault((job, "plain script"), []).append(
                        run_plain(model, args.threads, work))
                    tokens = sum(n for _, n in work)
            print(f"round {r + 1}: {job}: " + ", ".join(
                f"{name} {values[-1]:.2f} s" for (j, name), values in times.items() if j == job)
                + f" ({tokens} tokens)", flush=True)
    print("\n| job | configuration | median s | speed vs plain script |\n|---|---|---|---|")
    for job in jobs:
        base = statistics.median(times[(job, "plain script")])
        for (j, name), values in times.items():
            if j == job:
                m = statistics.median(values)
                print(f"| {job} | {name} | {m:.2f} | {base / m:.2f}x |")


if __name__ == "__main__":
    main()
