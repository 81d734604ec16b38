"""Simplified or Traditional Chinese, told by the characters that only one of them writes.

Short Han text is mostly characters the two scripts share (印度尼西亚 has one Simplified-only
character, 晚上 none); there the statistical models split on noise: pycld2 calls many shared
4-character strings Traditional, and the Traditional table is trained on converted
Simplified text. One character written only in one script is evidence no model needs to
learn: 这 is never Traditional, 這 never Simplified. So, for Han text (lid/detect.py's "Hani"
table):
- Simplified-only characters and no Traditional-only ones: Traditional loses PENALTY nats;
- the reverse: Simplified loses them;
- neither: the text reads the same in both, so the two share their posterior mass by the
  prior alone;
- both (quotations, mixed text): the models decide.
Japanese is left to the models: kanji include characters of both lists (国, 東).
Measured in BENCHMARKS.md ("Simplified and Traditional Chinese").
"""

from __future__ import annotations

import functools
from importlib.resources import files

import numpy as np

PENALTY = 6.0  # nats: enough to overrule the models' noise, short of certainty


@functools.lru_cache(maxsize=1)
def variant_sets() -> tuple[frozenset[int], frozenset[int]]:
    """Code points written only in Simplified, and only in Traditional Chinese
    (data/han-variants.txt, from OpenCC's tables by tools/make_han_variants.py)."""
    found = {}
    text = files("llamax_cli").joinpath("data/han-variants.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            script, chars = line.split("\t", 1)
            found[script] = frozenset(map(ord, chars))
    return found["Hans"], found["Hant"]


def count(cps: np.ndarray) -> tuple[int, int]:
    """How many of the code points are Simplified-only and Traditional-only."""
    simplified, traditional = variant_sets()
    points = cps.tolist()
    return sum(cp in simplified for cp in points), sum(cp in traditional for cp in points)


def adjust(cps: np.ndarray, codes: tuple[str, ...], logits: np.ndarray,
           log_prior: np.ndarray) -> np.ndarray:
    """The Han table's log-posterior with the Simplified/Traditional split settled by the
    characters, as described above."""
    if "zh" not in codes or "zh-Hant" not in codes:
        return logits
    hans, hant = codes.index("zh"), codes.index("zh-Hant")
    simplified, traditional = count(cps)
    out = logits.copy()
    if simplified and not traditional:
        out[hant] -= PENALTY
    elif traditional and not simplified:
        out[hans] -= PENALTY
    elif not simplified and not traditional:
        mass = np.logaddexp(logits[hans], logits[hant])
        prior = np.logaddexp(log_prior[hans], log_prior[hant])
        out[hans] = mass + log_prior[hans] - prior
        out[hant] = mass + log_prior[hant] - prior
    return out
