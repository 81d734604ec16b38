"""Train llamax's language-identification model from ../shared/data (never from FLORES/NTREX-sample).

    python tools/train_lid.py [--data ../shared/data] [--more ../lid-more] [--out llamax_cli/data/lid.npz]

A multinomial naive Bayes over hashed character 1-4-grams, whole words and each line's first
word (llamax_cli/features.py), one table per script, with the second stage
(train_lid_rerank.py) and, with --table-model, the whole-table Latin model (train_lid_lr.py). Only statistics are shipped
(quantized log-probabilities), never the text. Training text: lid-train/ntrex (the rest of
NTREX-128, the measurement sample's lines removed), lid-train/udhr (the UDHR), lid-extra (see
its SOURCES.md), with --more, the text tools/fetch_lid_more.py extracts from pinned public
repositories, and with --short, the everyday sentences of tools/fetch_lid_tatoeba.py. Each
source file keeps the last 5% of its lines (of 8+ words, or 25+ characters
in Chinese and Japanese) out of training as a dev set for tuning and calibration
(tools/fit_lid_calibration.py); `--final` trains on everything.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from llamax_cli.lid import features  # noqa: E402
from llamax_cli.core.languages import all_languages  # noqa: E402

import train_lid_lr  # noqa: E402

SOURCES = ("lid-train/ntrex", "lid-train/udhr", "lid-extra")
MAX_CHARS = 600_000  # per language: enough for stable 4-gram statistics


def read_corpus(data: Path, more: list[Path] = (), sources: tuple[str, ...] = SOURCES
                ) -> dict[str, list[list[str]]]:
    """Each language's lines, one list per source file (ntrex, udhr, extra, more)."""
    codes = {lang.code for lang in all_languages()}
    corpus: dict[str, list[list[str]]] = collections.defaultdict(list)
    for folder in [data / source for source in sources] + list(more):
        for path in sorted(folder.glob("*.txt")):
            code = path.stem
            if code not in codes:
                raise SystemExit(f"{path}: {code} is not a LLaMAX language code")
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            corpus[code].append([line for line in lines if line])
    return corpus


DENSE = ("zh", "zh-Hant", "ja")  # no spaces between words
SAMPLE = "ntrex128-sample.tsv"
MARGIN = 10  # lines either side of a guessed document: headline guesses miss some boundaries


def sample_documents(data: Path) -> dict[str, set[str]]:
    """Each language's NTREX training lines from the documents the measurement sample's
    sentences come from, for the whole-table model to leave out.

    A discriminative model learns a document's names and topic words ("Livingston", the
    Russian "Zvezda"), and the sample's sentences share documents with lid-train/ntrex, so
    the sample would flatter it. NTREX marks no document boundaries: they are guessed from the
    English headlines (lines with no closing punctuation), widened by MARGIN lines."""
    sample = data / SAMPLE
    english = data / "lid-train/ntrex/en.txt"
    if not sample.exists() or not english.exists():
        return {}
    rows = [line.split("\t") for line in sample.read_text(encoding="utf-8").splitlines()[1:]]
    held = sorted({int(row[1]) for row in rows if len(row) == 3})
    train_lines = english.read_text(encoding="utf-8").splitlines()
    remaining = iter(train_lines)
    # The original order: the sample's line numbers (0-based) slotted back in.
    text = [None if i in held else next(remaining) for i in range(len(train_lines) + len(held))]
    heads = [i for i, line in enumerate(text)
             if line is not None and not re.search(r"[.?!\"'”’)\]:;…]\s*$", line)]
    drop: set[int] = set()
    for line_no in held:
        start = max([h for h in heads if h <= line_no], default=0)
        end = min([h for h in heads if h > line_no], default=len(text))
        drop.update(range(max(start - MARGIN, 0), min(end + MARGIN, len(text))))
    # Indices into the training files (the sample's lines are not in them).
    keep_index = [i for i in range(len(text)) if i not in held]
    dropped = {k for k, i in enumerate(keep_index) if i in drop}
    out = {}
    for path in sorted((data / "lid-train/ntrex").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        out[path.stem] = {lines[k].strip() for k in dropped if k < len(lines)} - {""}
    return out


def split(sources: list[list[str]], final: bool, dense: bool = False
          ) -> tuple[list[str], list[str]]:
    """Training and dev lines: the last 5% of each source's long lines are held out, so that
    the dev set (and the calibration fitted on it) has every domain a language is trained on:
    NTREX's parallel news as well as Leipzig's web text."""
    train_lines, dev = [], []
    for lines in sources:
        if final:
            train_lines += lines
            continue
        long_ones = [i for i, line in enumerate(lines)
                     if (len(line) >= 25 if dense else len(line.split()) >= 8)]
        held = set(long_ones[-max(len(long_ones) // 20, 3):]) if len(long_ones) > 20 else set()
        train_lines += [l for i, l in enumerate(lines) if i not in held]
        dev += [lines[i] for i in sorted(held)]
    return train_lines, dev


def train(corpus: dict[str, list[list[str]]], final: bool, alpha: float,
          short: dict[str, list[list[str]]] | None = None):
    """`short`: everyday sentences (--short), kept whole beside the capped text: they are few
    characters, and the cap would otherwise drop them for the languages with most prose."""
    dev: dict[str, list[str]] = {}
    kept: dict[str, list[str]] = {}
    groups: dict[str, dict[str, np.ndarray]] = collections.defaultdict(dict)
    for code, sources in sorted(corpus.items()):
        train_lines, dev[code] = split(sources, final, code in DENSE)
        # Round-robin over sources would be fairer, but order is ntrex, udhr, extra: cap late.
        text, size = [], 0
        for line in train_lines:
            if size > MAX_CHARS:
                break
            text.append(line)
            size += len(line)
        if short and code in short:
            short_train, short_dev = split(short[code], final, code in DENSE)
            text += short_train
            dev[code] += short_dev
        kept[code] = text
        counts = np.zeros(features.BUCKETS, dtype=np.float64)
        for line in text:
            buckets = features.buckets(line)
            np.add.at(counts, buckets, 1)
        script = features.group_of(code)
        if script is None:
            continue  # its script alone identifies it
        groups[script][code] = counts
    tables = {}
    for script, by_code in groups.items():
        codes = sorted(by_code)
        counts = np.stack([by_code[c] for c in codes], axis=1)  # buckets x languages
        logp = np.log((counts + alpha) / (counts.sum(axis=0, keepdims=True) + alpha * counts.shape[0]))
        tables[script] = (codes, logp.astype(np.float32))
    return tables, dev, kept


def save(tables, out: Path, extra: dict | None = None) -> None:
    arrays = dict(extra or {})
    for script, (codes, logp) in tables.items():
        lo = float(logp.min())
        scale = (float(logp.max()) - lo) / 255
        arrays[f"{script}.codes"] = np.array(codes)
        arrays[f"{script}.q"] = np.round((logp - lo) / scale).astype(np.uint8)
        arrays[f"{script}.range"] = np.array([lo, scale], dtype=np.float64)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): " +
          ", ".join(f"{s} {len(c)}" for s, (c, _) in tables.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "llamax_cli/data/lid.npz")
    parser.add_argument("--more", type=Path, action="append", default=[],
                        help="another folder of <code>.txt (tools/fetch_lid_more.py)")
    parser.add_argument("--short", type=Path, action="append", default=[],
                        help="a folder of <code>.txt everyday sentences, kept beside the capped "
                             "text (tools/fetch_lid_tatoeba.py)")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--final", action="store_true", help="train on all lines, no dev split")
    parser.add_argument("--dev-out", type=Path, help="write the held-out dev lines (TSV)")
    parser.add_argument("--no-rerank", action="store_true",
                        help="naive Bayes only, without the second stage (train_lid_rerank.py)")
    parser.add_argument("--table-model", action="store_true",
                        help="also the whole-table logistic regression (train_lid_lr.py; "
                             "in the shipped model, see BENCHMARKS.md)")
    parser.add_argument("--table-lines", type=int, default=train_lid_lr.PER,
                        help="the whole-table model's training lines a language")
    parser.add_argument("--table-bits", type=int, default=features.TABLE_BITS,
                        help="log2 of the whole-table model's feature buckets")
    args = parser.parse_args()
    corpus = read_corpus(args.data, args.more)
    short = read_corpus(args.data, args.short, sources=()) if args.short else None
    tables, dev, kept = train(corpus, args.final, args.alpha, short)
    extra = {}
    if not args.no_rerank:
        import train_lid_rerank

        extra = train_lid_rerank.arrays(
            [train_lid_rerank.train_group(kept, group) for group in train_lid_rerank.GROUPS])
    if args.table_model:
        extra.update(train_lid_lr.arrays(*train_lid_lr.train(
            kept, sample_documents(args.data), args.table_lines, args.table_bits)))
    save(tables, args.out, extra)
    if args.dev_out:
        with open(args.dev_out, "w", encoding="utf-8") as f:
            for code, lines in sorted(dev.items()):
                for line in lines:
                    f.write(f"{code}\t{line}\n")


if __name__ == "__main__":
    main()
