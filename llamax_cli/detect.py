"""Source-language detection for all 102 LLaMAX languages.

How it decides, cheapest evidence first:
1. The script. Most scripts belong to one LLaMAX language (Ethiopic: Amharic, Hangul: Korean,
   Oriya, Thai, ...); Bengali script is Assamese when it has the Assamese-only letters ৰ/ৱ;
   Han with kana is Japanese.
2. Within a script shared by several languages (Latin, Cyrillic, Arabic, Devanagari, Han), a
   naive-Bayes model over hashed character 1-4-grams, trained on text for 100 of the 102
   languages (tools/train_lid.py; data/lid.npz holds only quantized statistics).
3. pycld2 as a second opinion, which knows some languages from far more text than we have
   (Cebuano, Javanese, Ganda, Lingala, Occitan); its vote is added to the model's scores.

Confidence is the model's posterior, tempered so that it tracks accuracy, and shrunk for
short text: 1-3 words never reach the floor below which `translate` refuses to guess.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from llamax_cli import languages, lid_features
from llamax_cli.languages import Language

CONFIDENCE_FLOOR = 0.5  # below it, `translate` asks for --from and `detect` says "unknown"
_SINGLE_SCRIPT = {
    "Ethi": "am", "Armn": "hy", "Geor": "ka", "Mymr": "my", "Khmr": "km", "Laoo": "lo",
    "Thai": "th", "Hebr": "he", "Grek": "el", "Gujr": "gu", "Guru": "pa", "Knda": "kn",
    "Mlym": "ml", "Taml": "ta", "Telu": "te", "Orya": "or", "Hang": "ko", "Kana": "ja",
}
_ASSAMESE_LETTERS = re.compile("[\u09f0\u09f1]")  # ৰ ৱ: in Assamese, never in Bengali
# Fitted on the training data's held-out dev split (tools/train_lid.py --dev-out), in nats.
TEMPERATURE = 20.0
CLD2_WEIGHT = 10.0  # pycld2's reliable vote, scaled by its percentage
HINT_PRIOR = 20.0  # a hinted language is taken as 20x likelier a priori
_LEGACY_CODES = {"iw": "he", "jw": "jv", "in": "id", "mo": "ro", "ku": "ckb", "zh-Hant": "zh-Hant"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Detection:
    language: Language | None
    confidence: float  # 0..1
    candidates: tuple[tuple[str, float], ...] = ()  # (code, probability), best first

    @property
    def reliable(self) -> bool:
        return self.language is not None and self.confidence >= CONFIDENCE_FLOOR


UNKNOWN = Detection(None, 0.0)


@dataclass(frozen=True)
class _Table:
    codes: tuple[str, ...]
    q: np.ndarray  # buckets x languages, uint8 quantized log-probabilities
    scale: float  # log-prob per quantization step


@functools.lru_cache(maxsize=1)
def _tables() -> dict[str, _Table]:
    # LLAMAX_LID_MODEL: evaluate another model (e.g. one trained with a dev split held out).
    override = os.environ.get("LLAMAX_LID_MODEL")
    source = open(override, "rb") if override else files("llamax_cli").joinpath("data/lid.npz").open("rb")
    with source as f:
        data = np.load(f)
        tables = {}
        for script in lid_features.MULTI:
            if f"{script}.q" in data:
                tables[script] = _Table(tuple(str(c) for c in data[f"{script}.codes"]),
                                        data[f"{script}.q"], float(data[f"{script}.range"][1]))
    return tables


def _length_factor(letters: int) -> float:
    """Evidence grows with text: about 4 words give full weight (25 letters)."""
    return min(1.0, letters / 25)


def detect(text: str, hint: str | None = None) -> Detection:
    """The language of `text`. `hint` (a code) tips the balance in a close call."""
    cps = lid_features.codepoints(text)
    counts = lid_features.scripts(cps)
    letters = int(counts.sum())
    if letters == 0:
        return UNKNOWN
    by_script = dict(zip(lid_features.SCRIPTS, counts.tolist()))
    script = _main_script(by_script, letters)
    # Latin names and loanwords inside non-Latin text do not count against it.
    own = by_script[script] + (by_script["Hani"] if script == "Kana" else 0)  # kanji are Japanese
    share = (own + (by_script["Latn"] if script != "Latn" else 0)) / letters
    dense = by_script["Hani"] + by_script["Kana"] + by_script["Hang"]
    length = _length_factor(letters + 2 * dense)  # a Han character carries about a word

    if script in _SINGLE_SCRIPT:
        return _result({_SINGLE_SCRIPT[script]: 1.0}, share * length)
    if script == "Beng":
        code = "as" if _ASSAMESE_LETTERS.search(text) else "bn"
        return _result({code: 1.0}, share * length)
    table = _tables().get(script)
    if table is None:
        return UNKNOWN
    # Naive-Bayes log-likelihoods, in nats.
    scores = table.q[lid_features.buckets(cps)].sum(axis=0, dtype=np.int64) * table.scale
    if script in ("Latn", "Hani"):
        scores += _cld2_votes(text, table)
    if hint is not None and hint in table.codes:
        scores[table.codes.index(hint)] += TEMPERATURE * math.log(HINT_PRIOR)
    # n-grams overlap, so naive Bayes counts each piece of evidence several times: temper it.
    probs = np.exp((scores - scores.max()) / TEMPERATURE)
    probs /= probs.sum()
    ranked = {table.codes[i]: float(probs[i]) for i in np.argsort(-probs)[:3]}
    return _result(ranked, share * length)


def _main_script(by_script: dict[str, int], letters: int) -> str:
    if by_script["Kana"] and by_script["Kana"] * 10 >= by_script["Hani"]:
        return "Kana"  # Japanese: kana among the kanji
    other = max((s for s in by_script if s not in ("Latn", "Zyyy")), key=by_script.get)
    if by_script[other] * 10 >= letters * 3:
        return other  # 30% is plenty: Latin in such text is names and loanwords
    return max(by_script, key=by_script.get)


def _cld2_votes(text: str, table: _Table) -> np.ndarray:
    votes = np.zeros(len(table.codes))
    try:
        import pycld2

        reliable, _, details = pycld2.detect(_CONTROL.sub(" ", text), bestEffort=True)
    except Exception:  # pycld2 raises on some inputs; its vote is optional
        return votes
    if not reliable:
        return votes
    _, code, percent, _ = details[0]
    lang = languages.find(_LEGACY_CODES.get(code, code)) if code not in ("un", "xxx") else None
    if lang is not None and lang.code in table.codes:
        votes[table.codes.index(lang.code)] = CLD2_WEIGHT * percent / 100
    return votes


def _result(ranked: dict[str, float], evidence: float) -> Detection:
    code, prob = next(iter(ranked.items()))
    confidence = round(prob * evidence, 3)
    candidates = tuple((c, round(p, 3)) for c, p in ranked.items())
    return Detection(languages.find(code), confidence, candidates)


def detectable(code: str) -> bool:
    """Whether detection can ever answer this language."""
    if code in _SINGLE_SCRIPT.values() or code in ("bn", "as"):
        return True
    return any(code in table.codes for table in _tables().values())
