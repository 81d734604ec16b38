"""A document through a remote engine against the local engine, whole process, same model.

    python benchmarks/bench_remote.py [--model PATH] [--lines 200] [--rounds 3] [--max-tokens 24]

Three configurations translate the same generated document (English to French), in
alternating rounds, each `llamax translate` a fresh process timed from spawn to exit:

- local: llamax's own engine (llama.cpp in-process, continuous batching);
- remote, reference server: `--api-base` to `python -m llama_cpp.server` on the same GGUF
  (llama-cpp-python's server completes one request at a time: no batching);
- remote, llamax serve: `--api-base` to `llamax serve` on the same GGUF (its /v1 routes put
  every request into its continuous batch).

The servers are started once, before the rounds, and their load time is not counted.
Reported: median seconds and units/s of each.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_throughput import default_model, document  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], url: str, env: dict, log) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server failed: {' '.join(cmd)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server did not start: {' '.join(cmd)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--remote-parallel", type=int, default=8)
    args = parser.parse_args()
    model = args.model or default_model()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env["HF_HUB_OFFLINE"] = "1"
    tmp = Path(tempfile.mkdtemp(prefix="llamax-bench-remote-"))
    doc = tmp / "doc.txt"
    doc.write_text("\n".join(document(args.lines)) + "\n")
    log = (tmp / "servers.log").open("wb")
    ref_port, serve_port = free_port(), free_port()
    servers = [
        start([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--port",
               str(ref_port), "--n_ctx", "4096", "--interrupt_requests", "False"],
              f"http://127.0.0.1:{ref_port}/v1/models", env, log),
        start([sys.executable, "-m", "llamax_cli", "serve", "--model", str(model), "--port",
               str(serve_port)], f"http://127.0.0.1:{serve_port}/health", env, log),
    ]
    base = [sys.executable, "-m", "llamax_cli", "translate", "--from", "en", "--to", "fr",
            "-q", "--max-tokens", str(args.max_tokens), "--model", str(model), str(doc)]
    configs = {
        "local engine": base + ["--no-server"],
        "remote: llama_cpp.server": base + ["--api-base", f"http://127.0.0.1:{ref_port}/v1",
                                            "--remote-parallel", str(args.remote_parallel)],
        "remote: llamax serve": base + ["--api-base", f"http://127.0.0.1:{serve_port}/v1",
                                        "--remote-parallel", str(args.remote_parallel)],
    }
    times: dict[str, list[float]] = {name: [] for name in configs}
    try:
        for r in range(args.rounds):
            for name, cmd in configs.items():
                start_time = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, env=env)
                times[name].append(time.perf_counter() - start_time)
                if proc.returncode not in (0, 3):
                    raise SystemExit(f"{name} failed: {proc.stderr.decode()[-500:]}")
            print(f"round {r + 1}: " + ", ".join(f"{n} {v[-1]:.1f} s" for n, v in times.items()),
                  flush=True)
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait()
    print(f"\nmodel {model.name}, {args.lines} lines, --max-tokens {args.max_tokens}, "
          f"--remote-parallel {args.remote_parallel}, {args.rounds} rounds")
    print("\n| engine | median s | units/s |\n|---|---|---|")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"| {name} | {m:.1f} | {args.lines / m:.2f} |")


if __name__ == "__main__":
    main()
