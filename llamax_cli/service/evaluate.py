"""`llamax eval`: translation quality with sacrebleu's own metrics, never re-implemented.

chrF, chrF++ and BLEU come from sacrebleu as they are; spBLEU is BLEU on the `flores200`
SentencePiece tokenizer (as in the LLaMAX paper). sacrebleu downloads that tokenizer model on
first use: offline, a cached copy is used, or `--spm PATH`, or spBLEU is skipped with a
one-line notice.

Inputs: hypothesis and reference files (one sentence a line), or sources to translate first,
or a TSV/JSONL table with `source` and `reference` columns (and `hypothesis`, or `from`/`to`
per row for several language pairs in one run). Several pairs are scored one by one and as a
mean.
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import lines_of, read_source

SPM_FILE = "flores200sacrebleuspm"  # the name sacrebleu gives the flores200 model it caches
SPM_URL = "https://tinyurl.com/flores200sacrebleuspm"
METRICS = ("chrf", "chrf++", "bleu", "spbleu")


@dataclass
class Pair:
    """One language pair's sentences: sources (optional), hypotheses, references."""
    name: str
    references: list[str]
    hypotheses: Optional[list[str]] = None
    sources: Optional[list[str]] = None
    src: Optional[str] = None  # language codes, when the sources are to be translated
    tgt: Optional[str] = None
    seconds: dict = field(default_factory=dict)


def read_lines(path: Path, what: str) -> list[str]:
    source = read_source(str(path))
    lines = lines_of(source.text)
    if not lines:
        raise UsageError(f"{what} {path} is empty")
    return lines


def read_table(path: Path, src: Optional[str], tgt: Optional[str]) -> list[Pair]:
    """Rows of a TSV (with a header) or JSONL file, grouped by language pair."""
    text = read_source(str(path)).text
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise UsageError(f"{path}: not JSON Lines ({exc})") from None
    else:
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or not all(isinstance(r, dict) and "reference" in r for r in rows):
        raise UsageError(f"{path}: every row needs a 'reference' (and a 'source' or a "
                         f"'hypothesis') column")
    pairs: dict[tuple, Pair] = {}
    for number, row in enumerate(rows, start=1):
        key = (row.get("from") or src, row.get("to") or tgt)
        pair = pairs.setdefault(key, Pair(f"{key[0] or '?'}-{key[1] or '?'}", [], None, None,
                                          key[0], key[1]))
        pair.references.append(_cell(row, "reference", path, number))
        if "hypothesis" in row:
            pair.hypotheses = (pair.hypotheses or []) + [_cell(row, "hypothesis", path, number)]
        elif "source" in row:
            pair.sources = (pair.sources or []) + [_cell(row, "source", path, number)]
        else:
            raise UsageError(f"{path}: a row has neither 'hypothesis' nor 'source'")
    return list(pairs.values())


def _cell(row: dict, column: str, path: Path, number: int) -> str:
    """A row's text in `column`: a missing TSV cell or a JSON null is an error, not "None"."""
    value = row.get(column)
    if not isinstance(value, str):
        raise UsageError(f"{path}: row {number} has no text in '{column}'")
    return value


def check(pair: Pair) -> None:
    have = pair.hypotheses if pair.hypotheses is not None else pair.sources
    if have is None:
        raise UsageError(f"{pair.name}: nothing to score (no hypotheses, no sources)")
    if len(have) != len(pair.references):
        kind = "hypotheses" if pair.hypotheses is not None else "sources"
        raise UsageError(f"{pair.name}: {len(have)} {kind} but {len(pair.references)} "
                         f"references; they must match line for line")
    if pair.hypotheses is None and not (pair.src and pair.tgt):
        raise UsageError(f"{pair.name}: say the languages to translate between "
                         f"(--from and --to, or 'from'/'to' columns)")


def spm_model(spm: Optional[Path], note: Callable[[str], None]) -> Optional[str]:
    """The directory to give sacrebleu (its SACREBLEU dir) so that spBLEU works, or None
    (spBLEU skipped, said once)."""
    if spm is not None:
        if not spm.is_file():
            raise UsageError(f"--spm {spm}: no such file")
        # only with --spm
        import sentencepiece

        try:
            sentencepiece.SentencePieceProcessor(model_file=str(spm))
        except (RuntimeError, OSError):
            raise UsageError(f"--spm {spm}: not a SentencePiece model") from None
        home = Path(tempfile.mkdtemp(prefix="llamax-sacrebleu-"))
        atexit.register(shutil.rmtree, home, ignore_errors=True)  # only a link to the model
        (home / "models").mkdir()
        os.symlink(spm.resolve(), home / "models" / SPM_FILE)
        return str(home)
    home = Path(os.environ.get("SACREBLEU") or Path.home() / ".sacrebleu")
    target = home / "models" / SPM_FILE
    if target.is_file():
        return str(home)
    why = "offline (HF_HUB_OFFLINE)" if os.environ.get("HF_HUB_OFFLINE") else None
    if why is None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(SPM_URL, timeout=15) as response:
                data = response.read()
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(target)
            return str(home)
        except OSError as exc:
            why = f"cannot download it ({getattr(exc, 'reason', None) or exc})"
    note(f"spBLEU skipped: the flores200 SentencePiece model is not cached and {why}; "
         f"pass --spm PATH to a copy of {SPM_FILE}")
    return None


def score(pair: Pair, spm_home: Optional[str]) -> dict:
    """sacrebleu's corpus scores of one pair, with their signatures."""
    # sacrebleu costs ~80 ms to import: only when scoring
    from sacrebleu.metrics import BLEU, CHRF
    from sacrebleu.tokenizers import tokenizer_spm

    if spm_home is not None:
        # sacrebleu looks for the model under its SACREBLEU dir, read once at import.
        tokenizer_spm.SACREBLEU_DIR = spm_home

    start = time.perf_counter()
    refs = [pair.references]
    metrics = {"chrf": CHRF(), "chrf++": CHRF(word_order=2), "bleu": BLEU()}
    if spm_home is not None:
        metrics["spbleu"] = BLEU(tokenize="flores200")
    out: dict = {"pair": pair.name, "sentences": len(pair.references)}
    signatures = {}
    for name in METRICS:
        metric = metrics.get(name)
        if metric is None:
            out[name] = None
            continue
        out[name] = round(metric.corpus_score(pair.hypotheses, refs).score, 4)
        signatures[name] = str(metric.get_signature())
    pair.seconds["scoring"] = round(time.perf_counter() - start, 3)
    out["signatures"] = signatures
    out["timings"] = dict(pair.seconds)
    return out


def mean(results: list[dict]) -> dict:
    """The per-metric mean over pairs (a metric missing anywhere is missing in the mean)."""
    out: dict = {"pairs": results, "sentences": sum(r["sentences"] for r in results)}
    for name in METRICS:
        values = [r[name] for r in results]
        out[name] = round(statistics.fmean(values), 4) if None not in values else None
    out["signatures"] = results[0]["signatures"]
    out["timings"] = {key: round(sum(r["timings"].get(key, 0) for r in results), 3)
                      for key in ("translation", "scoring")}
    return out


def translate_pair(pair: Pair, translator, options) -> None:
    """Fill in the hypotheses: each source line translated as one line of a text document,
    by the Translator (which segments it and takes the pair's source, as the CLI's --from)."""
    src = languages.resolve(pair.src, option="source language")
    tgt = languages.resolve(pair.tgt, option="target language")
    start = time.perf_counter()
    lines = [" ".join(s.split()) for s in pair.sources]  # one line in, one line out
    out = translator.translate_text("\n".join(lines) + "\n", src, tgt, fmt="text",
                                    options=options).text
    pair.hypotheses = out.split("\n")[:len(lines)]
    if len(pair.hypotheses) != len(lines):
        raise LlamaxError(f"{pair.name}: the translation lost lines")
    pair.seconds["translation"] = round(time.perf_counter() - start, 3)
