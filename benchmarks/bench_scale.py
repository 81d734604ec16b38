"""Cost per unit as documents grow: it must stay flat (linear total cost), not grow with size.

    python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--rounds 3]

For each size, a text document of that many lines (short sentences, like `yes "hello world"`,
every tenth line blank) and a Markdown document of the same length (headings, wrapped
paragraphs, lists, code blocks) go through:

- dry run: segmenting and building every prompt (what `llamax translate --dry-run` does);
- pipeline: the whole translation pipeline (scheduling, retries bookkeeping, release in order,
  JSON records) with an instant engine that answers every request with one token, so that
  only llamax's own per-unit cost is measured, not the model's.

Sizes are run in alternating rounds (1k, 10k, 100k, 1k, ...) and the medians reported, in
microseconds per unit, with the ratio of the largest size's cost to the smallest's.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

from llamax_cli.service import pipeline as translate
from llamax_cli.engine import Event
from llamax_cli.core.languages import resolve
from llamax_cli.formats.segment import segment

EN, FR = resolve("en"), resolve("fr")


def text_document(lines: int) -> str:
    return "".join("\n" if i % 10 == 9 else f"Hello world, this is line {i}.\n"
                   for i in range(lines))


def markdown_document(lines: int) -> str:
    block = ["# A heading", "", "A paragraph that is wrapped", "over two lines of text.", "",
             "- a list item", "- another item", "", "```", "code stays", "```", ""]
    return "\n".join(block[i % len(block)] for i in range(lines)) + "\n"


class InstantEngine:
    """Answers each request at once, in the order the scheduler would admit them."""

    n_ctx = 1024

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def generate(self, requests, sampling, cancel=None):
        index = 0
        while index < len(requests):  # the pipeline appends as output is released
            yield Event(index, "Bonjour", n_tokens=1)
            yield Event(index, "", True, "eog", 20, 1)
            index += 1


def dry_run(text: str, fmt: str) -> int:
    doc = segment(text, fmt)
    out = io.StringIO()
    for prompt_text in translate.prompts(doc, EN, FR):
        out.write(prompt_text + "\n\n")
    return len(doc.units)


def pipeline(text: str, fmt: str) -> int:
    doc = segment(text, fmt)
    out, units = io.StringIO(), 0
    for piece in translate.translate_document(doc, EN, FR, InstantEngine()):
        if isinstance(piece, translate.UnitResult):
            units += 1
            out.write(json.dumps({"index": piece.index, "translation": piece.translation}) + "\n")
        elif isinstance(piece, str):
            out.write(piece)
    return units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    docs = {(fmt, n): (text_document(n) if fmt == "text" else markdown_document(n))
            for fmt in ("text", "markdown") for n in sizes}
    cases = [(stage, fmt) for stage in ("dry run", "pipeline") for fmt in ("text", "markdown")]
    samples: dict = {}
    for _ in range(args.rounds):
        for stage, fmt in cases:
            for n in sizes:
                run = dry_run if stage == "dry run" else pipeline
                start = time.perf_counter()
                units = run(docs[fmt, n], fmt)
                seconds = time.perf_counter() - start
                samples.setdefault((stage, fmt, n), []).append(1e6 * seconds / units)
    print(f"median µs per unit over {args.rounds} alternating rounds\n")
    print("| stage | format | " + " | ".join(f"{n:,} lines" for n in sizes)
          + f" | {sizes[-1]:,} / {sizes[0]:,} |")
    print("|---|---|" + "---|" * (len(sizes) + 1))
    for stage, fmt in cases:
        medians = [statistics.median(samples[stage, fmt, n]) for n in sizes]
        print(f"| {stage} | {fmt} | " + " | ".join(f"{m:.1f}" for m in medians)
              + f" | {medians[-1] / medians[0]:.2f} |")


if __name__ == "__main__":
    main()
