"""What batching can gain on this machine at all: tok/s of one llama_decode of N rows.

    python benchmarks/bench_ceiling.py [--model PATH] [--rows 1,2,4,8,16] [--cached 40]
        [--deterministic] [--repack auto|on|off] [--flash auto|on|off] [--prompt 64]

For each N, N sequences (each with --cached cells already in its KV stream) decode one token
each in a single llama_decode, through llamax's engine settings; and one sequence evaluates a
prompt of N tokens (logits for the last only); and one prompt of --prompt tokens alone (the
prefill rate a document's units see). Also the model's load time (repacking happens there).
Run each kernel choice in its own process: ggml reads its tiled-kernel switch once. Where N rows take N times as long as one, the
machine is compute-bound and no scheduler can make decoding faster; the document throughput
benchmark's best ratio is bounded by these numbers.
"""

from __future__ import annotations

import argparse
import time

from llamax_cli.engine.llama import LlamaEngine, default_threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model")
    parser.add_argument("--rows", default="1,2,4,8,16")
    parser.add_argument("--cached", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--deterministic", action="store_true")
    parser.add_argument("--repack", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--flash", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--prompt", type=int, default=64)
    args = parser.parse_args()
    choice = {"auto": None, "on": True, "off": False}
    rows = [int(n) for n in args.rows.split(",")]
    if args.model is None:
        from bench_throughput import default_model

        args.model = default_model()
    with LlamaEngine(args.model, n_ctx=args.cached + max(rows + [args.prompt]) + 8,
                     n_threads=args.threads, n_parallel=max(rows),
                     deterministic=args.deterministic, repack=choice[args.repack],
                     flash_attn=choice[args.flash]) as e:
        native = e.native
        lib, batch = native.lib, native.batch

        def put(i, token, pos, seq, logits):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits

        def decode(n: int) -> float:
            batch.n_tokens = n
            start = time.perf_counter()
            if lib.llama_decode(native.ctx, batch) != 0:
                raise SystemExit("llama_decode failed")
            return time.perf_counter() - start

        for i in range(args.cached):
            put(i, 100 + i, i, 0, i == args.cached - 1)
        decode(args.cached)
        for seq in range(1, max(rows)):
            lib.llama_memory_seq_cp(native.memory, 0, seq, -1, -1)
        print(f"model {args.model}, {args.threads} threads, {args.cached} cached cells per "
              f"sequence\n{e.plan.describe()}; loaded in {e.load_seconds:.2f} s")
        print("\n| rows N | decode: N sequences x 1 token, tok/s | prompt: 1 sequence x N tokens, tok/s |")
        print("|---|---|---|")
        base = None
        for n in rows:
            gen, pre = [], []
            for _ in range(args.rounds):
                for seq in range(n):
                    put(seq, 200, args.cached, seq, 1)
                gen.append(decode(n))
                for seq in range(n):
                    lib.llama_memory_seq_rm(native.memory, seq, args.cached, -1)
                for i in range(n):
                    put(i, 300 + i, args.cached + i, 0, i == n - 1)
                pre.append(decode(n))
                lib.llama_memory_seq_rm(native.memory, 0, args.cached, -1)
            rate = n / min(gen)
            base = base or rate
            print(f"| {n} | {rate:.1f} ({rate / base:.2f}x one row) | {n / min(pre):.1f} |",
                  flush=True)
        print(f"\nprefill: one prompt of {args.prompt} tokens: "
              f"{prefill_rate(e, put, decode, args.cached, args.prompt, args.rounds):.1f} tok/s")


def prefill_rate(e, put, decode, cached: int, n: int, rounds: int) -> float:
    """tok/s of one prompt of n tokens evaluated alone after `cached` cells."""
    times = []
    for _ in range(rounds):
        for i in range(n):
            put(i, 300 + i, cached + i, 0, i == n - 1)
        times.append(decode(n))
        e.native.forget(0, cached)
    return n / min(times)


if __name__ == "__main__":
    main()
