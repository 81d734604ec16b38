"""Fit the detector's temperature and confidence calibration on held-out TRAINING lines.

    python tools/train_lid.py --more ../lid-more --dev-out /tmp/dev.tsv --out /tmp/lid-dev.npz
    LLAMAX_LID_MODEL=/tmp/lid-dev.npz python tools/fit_lid_calibration.py --dev /tmp/dev.tsv

Never fitted on the NTREX-128 measurement sample. Each dev line is cut to its first 1, 2, 3
and 5 words (2, 4, 6, 10 characters for languages written without spaces) and kept whole,
so that short text is calibrated too. Two stages, per script table:

1. temperature: naive-Bayes log-likelihoods divided by t0 * (length / 20) ** t1, plus
   pycld2's vote times `cld2`, fitted by likelihood of the right language (uniform prior:
   the dev set is balanced);
2. Platt scaling, with the web-share prior, the second stage (--rerank) and the whole-table
   model (--lr-gamma, --lr-min-words) in place:
   P(right) = sigmoid(a + b * logit(top posterior) + c * log(length)), per script table
   (the Latin one split in two: the text too short for the whole-table model,
   detect.platt_key, and the rest) and one for the script rules.

Writes llamax_cli/data/lid-calibration.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llamax_cli.lid import detect, model  # noqa: E402
from llamax_cli.lid import features  # noqa: E402

CUTS = (1, 2, 3, 5, None)
OUT = Path(__file__).resolve().parents[1] / "llamax_cli/data/lid-calibration.json"


def items(dev: Path):
    for line in dev.read_text(encoding="utf-8").splitlines():
        code, text = line.split("\t", 1)
        for cut in CUTS:
            piece = features.prefix(text, code, cut)
            ev = detect.evidence(piece)
            if ev is not None:
                yield code, cut, ev


def fit_temperature(evs, truth) -> dict:
    loglik = np.stack([e.loglik - e.loglik.max() for e in evs])
    votes = np.stack([e.votes for e in evs])
    length = np.array([e.length for e in evs], dtype=float)

    with_votes = bool(votes.any())

    def nll(x):
        t0, t1, w = np.exp(x[0]), x[1], (x[2] if with_votes else 0.0)
        z = loglik / (t0 * (length / 20) ** t1)[:, None] + w * votes
        z -= z.max(axis=1, keepdims=True)
        logp = z[np.arange(len(z)), truth] - np.log(np.exp(z).sum(axis=1))
        return -logp.mean()

    best = None
    for t1 in (0.0, 0.5):  # two starts: Nelder-Mead can stall
        trial = minimize(nll, np.array([np.log(10.0), t1, 1.0]), method="Nelder-Mead",
                         options={"maxiter": 1000, "xatol": 1e-4, "fatol": 1e-7})
        best = trial if best is None or trial.fun < best.fun else best
    t0, t1, w = float(np.exp(best.x[0])), float(best.x[1]), float(best.x[2])
    if not with_votes:
        w = 0.0
    return {"t0": round(t0, 4), "t1": round(t1, 4), "cld2": round(w, 4), "nll": round(float(best.fun), 4)}


def fit_platt(tops, lengths, right) -> list[float]:
    tops = np.clip(tops, 1e-4, 1 - 1e-4)
    x = np.stack([np.ones(len(tops)), np.log(tops / (1 - tops)), np.log(lengths)], axis=1)
    y = right.astype(float)

    def nll(w):
        z = x @ w
        return np.mean(np.logaddexp(0, z) - y * z) + 1e-4 * (w @ w)

    w = minimize(nll, np.array([0.0, 1.0, 0.0]), method="BFGS").x
    return [round(float(v), 4) for v in w]


def ece(conf, right, bins=10) -> float:
    conf, right = np.asarray(conf), np.asarray(right, dtype=float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(conf[mask].mean() - right[mask].mean())
    return total / len(conf)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dev", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--prior-mix", type=float, default=model.PRIOR_MIX,
                        help="weight of the web-share prior against a uniform one")
    parser.add_argument("--rerank", type=float, nargs=2, default=(1.0, 1.0), metavar=("ALPHA", "BETA"),
                        help="second stage: weight of its logistic regression and of naive "
                             "Bayes' own split within a group (chosen by dev accuracy)")
    parser.add_argument("--lr-gamma", type=float, default=0.5,
                        help="weight of the whole-table logistic regression's log-probabilities "
                             "(tools/train_lid_lr.py; chosen by dev accuracy)")
    parser.add_argument("--lr-min-words", type=int, default=2,
                        help="the whole-table model joins from this many words on "
                             "(detect.py, _table_logprobs: one everyday word it saw mostly in "
                             "another language's web text, like 'Hello', must not decide)")
    args = parser.parse_args()
    rows = list(items(args.dev))
    print(f"{len(rows)} dev items")
    by_group = collections.defaultdict(list)
    for code, cut, ev in rows:
        by_group[ev.group].append((code, cut, ev))
    params = {"prior_mix": args.prior_mix, "groups": {}, "platt": {},
              "rerank": {"alpha": args.rerank[0], "beta": args.rerank[1]},
              "lr_gamma": args.lr_gamma, "lr_min_words": args.lr_min_words}
    for group, members in sorted(by_group.items()):
        if group == "rule":
            continue
        inside = [(c, e) for c, _, e in members if c in e.codes]
        truth = np.array([e.codes.index(c) for c, e in inside])
        params["groups"][group] = fit_temperature([e for _, e in inside], truth)
        print(group, len(inside), params["groups"][group])
    # Stage 2: Platt scaling of the top posterior, with the prior in place.
    model.use_calibration(params)
    by_platt = collections.defaultdict(list)
    for group, members in by_group.items():
        for code, _, ev in members:
            by_platt[detect.platt_key(ev, params)].append((code, ev))
    for key, members in sorted(by_platt.items()):
        tops, lengths, right = [], [], []
        for code, ev in members:
            logits = detect.posterior_logits(ev, params)
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            best = int(np.argmax(probs))
            tops.append(float(probs[best]))
            lengths.append(ev.length)
            right.append(ev.codes[best] == code)
        params["platt"][key] = fit_platt(np.array(tops), np.array(lengths, dtype=float),
                                         np.array(right))
        print(key, "platt", params["platt"][key], f"accuracy {np.mean(right):.4f}")
    args.out.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
