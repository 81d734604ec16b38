"""A big gettext template into five languages, as a localizer runs it (fresh processes).

    python benchmarks/bench_po.py [--entries 1000,10000] [--targets fr,de,es,it,pt]
                                  [--added 10] [--rounds 3]

For each size: a generated POT of that many distinct messages (a tenth of them plural
entries) is translated with `--to TARGETS --out-dir locale` into a fresh translation memory,
against a local OpenAI-compatible stand-in that answers every unit at once (bench_memory.py's
StandIn: the model's own speed is measured elsewhere; this measures llamax's own cost per
entry, which must grow linearly). Then --added entries are appended to the template and the
run repeated with the same memory: the stand-in counts the units sent to it, which must be
exactly the new entries times the targets. Every output is checked with `msgfmt -c`.
Reported: seconds per run (median of --rounds), units per second, and the re-run's count.
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
from bench_memory import StandIn  # noqa: E402

WORDS = ("file folder message window account setting profile server backup report invoice "
         "picture song video contact calendar note task project device").split()
VERBS = "Open Save Delete Rename Share Print Export Import Archive Restore".split()


def template(entries: int, start: int = 0) -> str:
    """A POT header and `entries` distinct messages; every tenth a plural entry."""
    out = ['msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
           '"Language: \\n"\n'] if start == 0 else []
    for k in range(start, start + entries):
        verb, noun = VERBS[k % len(VERBS)], WORDS[(k // len(VERBS)) % len(WORDS)]
        text = f"{verb} the {noun} number {k} now"
        out.append(f"\n#: src/app.c:{k + 1}\n")
        if k % 10 == 0:
            out.append(f'msgid "{text}"\nmsgid_plural "{text}, all of them"\n'
                       'msgstr[0] ""\nmsgstr[1] ""\n')
        else:
            out.append(f'msgid "{text}"\nmsgstr ""\n')
    return "".join(out)


def translate(work: Path, stand_in: StandIn, targets: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLAMAX_")}
    env.update(HF_HUB_OFFLINE="1", LLAMAX_CHECK_LANGUAGE="0", LLAMAX_SERVE_FILE=str(work / "no"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "llamax_cli", "translate", "--from", "en",
                           "--to", targets, "--api-base", stand_in.url, "--remote-parallel", "8",
                           "--memory", str(work / "memory.db"), "--out-dir", str(work / "locale"),
                           "-q", str(work / "messages.pot")], env=env, capture_output=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 3):
        raise SystemExit(proc.stderr.decode()[-2000:])
    return seconds


def check_outputs(work: Path) -> int:
    outputs = sorted((work / "locale").rglob("*.po"))
    for path in outputs:
        subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(path)], check=True)
    return len(outputs)


def one_size(entries: int, args, stand_in: StandIn) -> None:
    times, reruns = [], []
    for _ in range(args.rounds):
        work = Path(tempfile.mkdtemp(prefix="llamax-po-"))
        (work / "messages.pot").write_text(template(entries), encoding="utf-8")
        stand_in.requests = 0
        times.append(translate(work, stand_in, args.targets))
        first = stand_in.requests
        with (work / "messages.pot").open("a", encoding="utf-8") as f:
            f.write(template(args.added, start=entries))
        stand_in.requests = 0
        translate(work, stand_in, args.targets)
        added = stand_in.requests
        stand_in.requests = 0  # nothing new: what every run sends besides units
        translate(work, stand_in, args.targets)
        reruns.append((added, stand_in.requests))
        checked = check_outputs(work)
    units = first
    median = statistics.median(times)
    print(f"{entries} entries x {len(args.targets.split(','))} targets: {units} units, "
          f"{median:.1f} s (rounds {', '.join(f'{t:.1f}' for t in times)}), "
          f"{units / median:.0f} units/s; re-runs after adding {args.added} entries, then "
          f"with nothing new, sent {reruns} requests; msgfmt -c passed on {checked} outputs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", default="1000,10000")
    parser.add_argument("--targets", default="fr,de,es,it,pt")
    parser.add_argument("--added", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stand_in = StandIn(0.0)
    for entries in map(int, args.entries.split(",")):
        one_size(entries, args, stand_in)
    return 0


if __name__ == "__main__":
    sys.exit(main())
