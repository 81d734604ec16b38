"""Many small files against one file of the same lines, as a user runs them (fresh processes).

    python benchmarks/bench_files.py [--model PATH] [--files 50] [--max-tokens 24] [--rounds 3]

- many: `llamax translate --to fr --out-dir out/ f00.txt ... f49.txt`, one line each;
- one: `llamax translate --to fr -o one.fr.txt one.txt`, the same lines in one file.
English sentences from NTREX-128's language-identification set in ../shared (not the
sample kept for quality), else generated ones; greedy, `--max-tokens` tokens at most, the
output-language check off. Alternating rounds (the order flips each round); medians of the
wall time, and their ratio.
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

sys.path.insert(0, str(Path(__file__).parent))
from bench_peer import default_document, default_model  # noqa: E402


def timed(cmd: list[str], env: dict, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
    if proc.returncode not in (0, 3):  # 3: units that need a look (a base model's)
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = (args.model or default_model()).resolve()
    work = Path(tempfile.mkdtemp(prefix="llamax-bench-files-"))
    lines = default_document(args.files)
    names = [f"f{i:02}.txt" for i in range(len(lines))]
    for name, line in zip(names, lines):
        (work / name).write_text(line + "\n", encoding="utf-8")
    (work / "one.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env.update(HF_HUB_OFFLINE="1", LLAMAX_CHECK_LANGUAGE="0", LLAMAX_MEMORY="0",
               LLAMAX_MODEL=str(model), LLAMAX_SERVE_FILE=str(work / "no-discovery.json"))
    base = [sys.executable, "-m", "llamax_cli", "translate", "--from", "en", "--to", "fr",
            "--max-tokens", str(args.max_tokens), "-q", "--no-server"]
    commands = {"many files": base + ["--out-dir", "out", *names],
                "one file": base + ["-o", "one.fr.txt", "one.txt"]}
    times = {name: [] for name in commands}
    for r in range(args.rounds):
        order = list(commands) if r % 2 == 0 else list(commands)[::-1]
        for name in order:
            times[name].append(timed(commands[name], env, work))
            print(f"round {r + 1} {name}: {times[name][-1]:.1f} s", flush=True)
    many, one = (statistics.median(times[name]) for name in commands)
    print(f"\n{len(lines)} one-line files: {many:.1f} s; the same lines in one file: {one:.1f} s "
          f"({many / one:.2f}x), medians of {args.rounds} rounds ({model.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
