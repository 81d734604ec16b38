"""Start-up time of `llamax --help` and `llamax translate --help`, this tree against another.

    python benchmarks/bench_startup.py [--base DIR] [--rounds 7] [--runs 10]

Each round times, in alternation, every (tree, command) pair as fresh processes
(`python -m llamax_cli ...` with the tree first on PYTHONPATH), `--runs` times each, and keeps
the round's median; the report is the median over rounds. `--base` is a checkout of another
commit (e.g. `git worktree add /tmp/base <commit>`); without it only this tree is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
COMMANDS = {"llamax --help": ["--help"], "llamax translate --help": ["translate", "--help"]}


def run_once(tree: Path, args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llamax_cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    trees = {"this tree": HERE} | ({"base": args.base.resolve()} if args.base else {})
    medians: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for command, argv in COMMANDS.items():
            for name, tree in trees.items():
                times = [run_once(tree, argv) for _ in range(args.runs)]
                medians.setdefault((name, command), []).append(statistics.median(times))
    for (name, command), values in medians.items():
        print(f"{name:10} {command:26} median {statistics.median(values) * 1000:6.1f} ms "
              f"(rounds: {', '.join(f'{v * 1000:.0f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
