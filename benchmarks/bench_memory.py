"""The translation memory and several targets, as a user runs them (fresh processes).

    python benchmarks/bench_memory.py --model M [--rounds 3] [--units 2000] [--edited 20]
                                      [--cached-lines 100000] [--target-lines 200]
                                      [--only edit,cached,overhead,targets]
                                      [--stand-in-ms MS] [--max-tokens 16]

- edit: a document of --units lines, translated into a fresh memory, then again after
  --edited of its lines were changed: the second run's time as a share of the first's.
- cached: a --cached-lines document whose every line the memory has (put there directly,
  under the key the CLI computes): the whole run's time (no model loads).
- overhead: the same document translated with a fresh memory and with --no-memory,
  alternating: the memory's cost on a run with no hits.
- targets: `--to fr,de,sw,yo` on --target-lines lines against four runs, one per target.
Every round runs each configuration once, in alternation; reported: medians over rounds.
`--max-tokens 16` by default, so that the test model's rambling does not decide the time.

--stand-in-ms MS runs `edit` and `overhead` against a local OpenAI-compatible stand-in
(`--api-base`) that answers every unit `ok` after MS milliseconds, 8 at a time, instead of
the model: a base model's units mostly need a look and are redone by design, so only an
engine whose answers pass the checks shows what the memory saves.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOKENS = ["--max-tokens", "16"]
ENGINE: list[str] = []  # ["--api-base", URL] while a stand-in serves
SENTENCES = ["The museum opens at {n} in the morning.", "Children under {n} enter for free.",
             "The train to the coast leaves every {n} minutes.",
             "Please keep your ticket until the end of the trip number {n}."]


def document(lines: int, edited: int = 0) -> str:
    text = [SENTENCES[i % len(SENTENCES)].format(n=i) for i in range(lines)]
    step = max(lines // max(edited, 1), 1)
    for k in range(edited):
        text[k * step] = text[k * step].replace("The", "This").replace(".", " today.")
    return "\n".join(text) + "\n"


def run(model: str, workdir: Path, *args: str, memory: Path | None) -> float:
    env = {**os.environ, "LLAMAX_MODEL": model, "HF_HUB_OFFLINE": "1",
           "LLAMAX_CHECK_LANGUAGE": "0"}
    flags = ["--memory", str(memory)] if memory else ["--no-memory"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llamax_cli", "translate", "--from", "en", *TOKENS,
                    *ENGINE, *flags, "-q", *args], cwd=workdir, env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_edit(model, work, rounds, units, edited) -> None:
    (work / "doc.txt").write_text(document(units))
    (work / "edited.txt").write_text(document(units, edited))
    firsts, seconds = [], []
    for r in range(rounds):
        memory = work / f"edit-{r}.db"
        firsts.append(run(model, work, "--to", "fr", "doc.txt", "-o", "out.txt", memory=memory))
        seconds.append(run(model, work, "--to", "fr", "edited.txt", "-o", "out.txt",
                           memory=memory))
    first, second = statistics.median(firsts), statistics.median(seconds)
    print(f"edit: {units} units, first run {first:.1f} s; after editing {edited}: "
          f"{second:.1f} s = {100 * second / first:.1f}% of the first")


def bench_cached(model, work, rounds, lines) -> None:
    from llamax_cli.core import config
    from llamax_cli.core.languages import resolve
    from llamax_cli.engine import Sampling
    from llamax_cli.models.factory import model_identity
    from llamax_cli.service.memory import Memory
    from llamax_cli.service.options import Options
    from llamax_cli.service.recall import context_key

    text = document(lines)
    (work / "big.txt").write_text(text)
    settings = config.engine_settings()
    context = context_key(model_identity(model, settings),
                          Options(int(TOKENS[1]), Sampling(0.0, 0), False,
                                  settings.get("beams") or 1, 0,
                                  False, None))
    memory = Memory(work / "cached.db")
    en, fr = resolve("en"), resolve("fr")
    for line in text.splitlines():
        memory.put(context, en.code, fr.code, line, "Traduit.", "ok")
    memory.close()
    times = [run(model, work, "--to", "fr", "big.txt", "-o", "big.fr.txt",
                 memory=work / "cached.db") for _ in range(rounds)]
    print(f"cached: {lines} lines, every one in the memory: {statistics.median(times):.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in times)})")


def bench_overhead(model, work, rounds, units) -> None:
    (work / "plain.txt").write_text(document(units))
    with_memory, without = [], []
    for r in range(rounds):
        with_memory.append(run(model, work, "--to", "fr", "plain.txt", "-o", "p.txt",
                               memory=work / f"fresh-{r}.db"))
        without.append(run(model, work, "--to", "fr", "plain.txt", "-o", "p.txt", memory=None))
    a, b = statistics.median(with_memory), statistics.median(without)
    print(f"overhead: {units} units, no hits: with the memory {a:.1f} s, without {b:.1f} s "
          f"({100 * (a - b) / b:+.1f}%)")


def bench_targets(model, work, rounds, lines) -> None:
    (work / "t.txt").write_text(document(lines))
    together, apart = [], []
    for _ in range(rounds):
        together.append(run(model, work, "--to", "fr,de,sw,yo", "t.txt", "-o",
                            "t.{lang}.txt", memory=None))
        apart.append(sum(run(model, work, "--to", lang, "t.txt", "-o", f"t.{lang}.txt",
                             memory=None) for lang in ("fr", "de", "sw", "yo")))
    a, b = statistics.median(together), statistics.median(apart)
    print(f"targets: {lines} lines into fr,de,sw,yo: one run {a:.1f} s, four runs {b:.1f} s "
          f"({b / a:.2f}x)")


class StandIn(http.server.ThreadingHTTPServer):
    """An OpenAI-compatible engine that answers every completion after a fixed delay."""

    daemon_threads = True

    def __init__(self, delay_s: float):
        self.delay_s = delay_s
        self.requests = 0  # completions asked for (bench_po.py counts what a re-run sends)
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Answers)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Answers(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(json.dumps({"data": [{"id": "stand-in", "max_model_len": 4096}]}).encode(),
                   "application/json")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.delay_s)
        events = [{"choices": [{"text": "Une phrase traduite.", "finish_reason": "stop"}]}]
        body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(body.encode(), "text/event-stream")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--edited", type=int, default=20)
    parser.add_argument("--cached-lines", type=int, default=100_000)
    parser.add_argument("--target-lines", type=int, default=200)
    parser.add_argument("--only", default="edit,cached,overhead,targets")
    parser.add_argument("--stand-in-ms", type=float, default=None)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    TOKENS[1] = str(args.max_tokens)
    stand_in = StandIn(args.stand_in_ms / 1000) if args.stand_in_ms is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        only = args.only.split(",")
        if stand_in is not None:
            ENGINE[:] = ["--api-base", stand_in.url, "--remote-parallel", "8"]
            print(f"engine: a stand-in answering ok after {args.stand_in_ms:g} ms, 8 at a time")
        if "edit" in only:
            bench_edit(args.model, work, args.rounds, args.units, args.edited)
        if "overhead" in only:
            bench_overhead(args.model, work, args.rounds, args.units)
        ENGINE.clear()
        if "cached" in only:
            bench_cached(args.model, work, args.rounds, args.cached_lines)
        if "targets" in only:
            bench_targets(args.model, work, args.rounds, args.target_lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
