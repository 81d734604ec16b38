"""The detector's whole-table model: one multinomial logistic regression over every Latin-script
language, beside naive Bayes.

Used by tools/train_lid.py --table-model (never on the dev lines unless --final). Naive Bayes treats each
n-gram as independent evidence and weighs a rare word as much as its counts say; a
discriminative model learns which features tell languages apart, which matters most for two
or three words. detect.py adds its log-probabilities, times `lr_gamma` (chosen by dev accuracy,
tools/fit_lid_calibration.py --lr-gamma), to the posterior. Trained without the NTREX sample's
documents (train_lid.sample_documents), beside the everyday sentences (--short), it raised the
NTREX sample's accuracy by 1.3 / 0.8 points at 2 / 3 words (BENCHMARKS.md, "A whole-table
model"); the shipped lid.npz carries it.

Features (llamax_cli/features.table_features): the second stage's character 1-4-grams,
words and word pairs folded into 2^17 buckets (TABLE_BITS), valued log(1 + count). Samples: up to PER
training lines a language (shuffled with a fixed seed), each whole and cut to its first 1, 2,
3 and 5 words; each language weighs the same. Weights are stored as int8 with one scale.
Twice the lines and buckets of the first version (1200, 2^16) gained 0.3 / 0.2 points at 2 / 3
words on held-out lines, for 0.5 MB more in lid.npz (BENCHMARKS.md).
"""

from __future__ import annotations

import random
import time

import numpy as np

from llamax_cli.lid import features

import train_lid_rerank  # noqa: E402  (tools/ is on the path: train_lid.py runs from it)

SCRIPT = features.TABLE_SCRIPT
PER = 2400  # training lines a language: ~600k samples, ~26 minutes on one core
ITERATIONS = 150
L2 = 1e-6
CUTS = (1, 2, 3, 5, None)


def _samples(kept: dict[str, list[str]], codes: list[str], exclude: dict[str, set[str]],
             per: int, buckets: int):
    rng = random.Random(0)
    rows, labels, weights = [], [], []
    for k, code in enumerate(codes):
        left_out = exclude.get(code, set())
        lines = [line for line in kept[code] if line not in left_out]
        rng.shuffle(lines)
        pieces = []
        for line in lines[:per]:
            for cut in CUTS:
                piece = features.prefix(line, code, cut)
                if cut is None or piece != " ".join(line.split()):
                    pieces.append(piece)
        for piece in pieces:
            rows.append(features.table_features(
                features.rerank_features(features.codepoints(piece)), buckets))
            labels.append(k)
            weights.append(1.0 / len(pieces))
    return rows, np.array(labels), np.array(weights)


def train(kept: dict[str, list[str]], exclude: dict[str, set[str]] | None = None,
          per: int = PER, bits: int = features.TABLE_BITS):
    """`kept`: each language's training lines (train_lid.train's, capped as naive Bayes's);
    `exclude`: lines to leave out (train_lid.sample_documents: the NTREX sample's documents);
    `per`: training lines a language; `bits`: log2 of the feature buckets."""
    from scipy import sparse

    codes = sorted(c for c in kept if features.group_of(c) == SCRIPT and kept[c])
    rows, y, sw = _samples(kept, codes, exclude or {}, per, 1 << bits)
    sw = sw / sw.sum()
    indptr = np.cumsum([0] + [len(ids) for ids, _ in rows])
    x = sparse.csr_matrix((np.concatenate([v for _, v in rows]),
                           np.concatenate([ids for ids, _ in rows]), indptr),
                          shape=(len(rows), 1 << bits))
    start = time.time()
    w, b, result = train_lid_rerank.fit_softmax(x, y, sw, len(codes), L2, ITERATIONS)
    n = x.shape[0]
    print(f"  whole-table {SCRIPT} model: {n} samples, {len(codes)} languages, loss {result.fun:.4f}, "
          f"{result.nit} iterations, {time.time() - start:.0f} s", flush=True)
    return codes, w, b


def arrays(codes: list[str], w: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """The npz entries: lr.codes, lr.w (int8, buckets x languages), lr.scale, lr.bias."""
    scale = float(np.abs(w).max()) / 127 or 1.0
    return {"lr.codes": np.array(codes), "lr.w": np.round(w / scale).astype(np.int8),
            "lr.scale": np.array([scale]), "lr.bias": np.asarray(b, dtype=np.float32)}
