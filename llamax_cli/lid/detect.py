"""Source-language detection for all 102 LLaMAX languages.

How it decides, cheapest evidence first:
1. The script. Most scripts belong to one LLaMAX language (Ethiopic: Amharic, Hangul: Korean,
   Oriya, Thai, ...); Bengali script is Assamese when it has the Assamese-only letters ৰ/ৱ;
   Han with kana is Japanese; Han characters written in only one of Simplified and
   Traditional Chinese settle that split (lid/han_variants.py).
2. Within a script shared by several languages (Latin, Cyrillic, Arabic, Devanagari, Han), a
   naive-Bayes model over hashed character 1-4-grams, whole words and the text's first word,
   trained on text for 100 of the 102 languages (tools/train_lid.py; data/lid.npz holds only
   quantized statistics).
3. pycld2 as a second opinion, which knows some languages from far more text than we have
   (Cebuano, Javanese, Ganda, Lingala, Occitan); its vote is added to the model's scores.
4. A second stage for groups of close languages (bs/hr, id/jv/ms, cs/sk, da/no/sv, the
   Ibero-Romance and Cyrillic Slavic languages, ...; found from the dev-split confusions):
   when the best guess is in such a group, a multinomial logistic regression over character
   1-4-grams, words and word pairs (tools/train_lid_rerank.py, weights in data/lid.npz)
   re-splits the group's posterior, mixed with the first stage's own split.

5. A whole-table logistic regression over the Latin-script languages (tools/train_lid_lr.py,
   weights in data/lid.npz): its log-probabilities, times `lr_gamma`, join the posterior.
   Discriminatively trained, it knows which features tell languages apart, where naive
   Bayes counts every n-gram alike. Used when lid.npz carries it (the shipped one does),
   from two words on (`lr_min_words`): BENCHMARKS.md, "A whole-table model".

The posterior adds priors: a mix (model.PRIOR_MIX) of uniform and web share (data/lid-priors.csv,
Common Crawl), the user's locale (weak) and --hint (strong). Naive-Bayes log-likelihoods are
divided by a temperature that grows with the length, so priors count for two words and fade
for a paragraph. Confidence is the top posterior after Platt scaling; both stages are fitted
on held-out training lines cut to 1, 2, 3, 5 words and whole (tools/fit_lid_calibration.py,
data/lid-calibration.json), never on the NTREX measurement sample.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass

import numpy as np

from llamax_cli.lid import han_variants
from llamax_cli.core import languages
from llamax_cli.lid import features, model
from llamax_cli.core.languages import Language

CONFIDENCE_FLOOR = 0.5  # below it, `translate` asks for --from and `detect` says "unknown"
_SINGLE_SCRIPT = {
    "Ethi": "am", "Armn": "hy", "Geor": "ka", "Mymr": "my", "Khmr": "km", "Laoo": "lo",
    "Thai": "th", "Hebr": "he", "Grek": "el", "Gujr": "gu", "Guru": "pa", "Knda": "kn",
    "Mlym": "ml", "Taml": "ta", "Telu": "te", "Orya": "or", "Hang": "ko", "Kana": "ja",
}
_ASSAMESE_LETTERS = re.compile("[\u09f0\u09f1]")  # ৰ ৱ: in Assamese, never in Bengali
LOCALE_PRIOR = 3.0  # the user's locale language is taken as 3x likelier a priori (weak)
HINT_PRIOR = 20.0  # a hinted language (--hint) as 20x likelier a priori (strong)
_LEGACY_CODES = {"iw": "he", "jw": "jv", "in": "id", "mo": "ro", "ku": "ckb", "zh-Hant": "zh-Hant"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Detection:
    language: Language | None
    confidence: float  # 0..1: the calibrated probability that `language` is right
    candidates: tuple[tuple[str, float], ...] = ()  # (code, probability), best first

    @property
    def reliable(self) -> bool:
        return self.language is not None and self.confidence >= CONFIDENCE_FLOOR


UNKNOWN = Detection(None, 0.0)


def locale_hint(environ=os.environ) -> str | None:
    """The language of the user's locale (LC_ALL, LC_MESSAGES, LANG; C and POSIX are skipped),
    as a LLaMAX code, or None. Meant as detect()'s weak `locale` prior."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (environ.get(var) or "").strip()
        tag = value.split(".")[0].split("@")[0].replace("_", "-")
        if not tag or tag.upper() in ("C", "POSIX"):
            continue
        lang = languages.find(tag) or languages.find(tag.split("-")[0])
        return lang.code if lang is not None else None
    return None


@dataclass(frozen=True)
class Evidence:
    group: str  # the table's script, or "rule" when the script alone decides
    codes: tuple[str, ...]
    loglik: np.ndarray  # naive-Bayes log-likelihoods, nats (zeros for "rule")
    votes: np.ndarray  # pycld2's reliable vote, its percentage / 100
    length: int  # letters, a Han/kana/Hangul character counting 3
    share: float  # the share of letters in the deciding script (plus Latin)
    cps: np.ndarray | None = None  # the text's code points (features.codepoints)
    grams: np.ndarray | None = None  # its naive-Bayes feature ids (features.buckets)

    @functools.cached_property
    def rerank_ids(self) -> np.ndarray:
        """The second stage's and the table model's features, computed once."""
        return features.rerank_features(self.cps, self.grams)


def evidence(text: str) -> Evidence | None:
    cps = features.codepoints(text)
    counts = features.scripts(cps)
    letters = int(counts.sum())
    if letters == 0:
        return None
    by_script = dict(zip(features.SCRIPTS, counts.tolist()))
    script = _main_script(by_script, letters)
    # Latin names and loanwords inside non-Latin text do not count against it.
    own = by_script[script] + (by_script["Hani"] if script == "Kana" else 0)  # kanji are Japanese
    share = (own + (by_script["Latn"] if script != "Latn" else 0)) / letters
    dense = by_script["Hani"] + by_script["Kana"] + by_script["Hang"]
    length = letters + 2 * dense  # a Han character carries about a word
    one = np.zeros(1)
    if script in _SINGLE_SCRIPT:
        return Evidence("rule", (_SINGLE_SCRIPT[script],), one, one, length, share)
    if script == "Beng":
        code = "as" if _ASSAMESE_LETTERS.search(text) else "bn"
        return Evidence("rule", (code,), one, one, length, share)
    table = model.tables().get(script)
    if table is None:
        return None
    grams = features.buckets(cps)
    loglik = table.q[grams].sum(axis=0, dtype=np.int64) * table.scale
    votes = _cld2_votes(text, table) if script in ("Latn", "Hani") else np.zeros(len(table.codes))
    return Evidence(script, table.codes, loglik, votes, length, share, cps, grams)


def posterior_logits(ev: Evidence, params: dict, prior: bool = True) -> np.ndarray:
    """Log-posterior (unnormalized): tempered likelihood + pycld2's vote + log prior + the
    whole-table model, then the second stage within a group of close languages.

    Naive Bayes counts overlapping n-grams as independent evidence, so its log-likelihoods
    are divided by a temperature that grows with the length (fitted on held-out lines);
    the prior then weighs as a prior should: much for two words, nothing for a paragraph.
    The second stage splits a group by its own model and naive Bayes' split without the
    whole-table model: with it, the NTREX sample lost 3 whole bs/hr/ms sentences of 1760."""
    if ev.group == "rule":
        return np.zeros(1)
    p = params["groups"][ev.group]
    temperature = p["t0"] * (ev.length / 20) ** p["t1"]
    logits = (ev.loglik - ev.loglik.max()) / temperature + p["cld2"] * ev.votes
    logits = logits + model.log_prior(ev.group) if prior else logits
    table = logits + params.get("lr_gamma", 0.0) * _table_logprobs(
        ev, params.get("lr_min_words", 1))
    out = _rerank(ev, table, params.get("rerank", {"alpha": 1.0, "beta": 0.0}), logits)
    if ev.group == "Hani" and ev.cps is not None:  # characters written in one script only
        out = han_variants.adjust(ev.cps, ev.codes, out, model.log_prior(ev.group))
    return out


def _table_logprobs(ev: Evidence, min_words: int = 1) -> np.ndarray:
    """The whole-table model's log-probabilities over the table's languages, to be weighed by
    `lr_gamma`; zeros where it has no model for the script, or for fewer than `min_words`
    words: on one everyday word that its training text has mostly in another language's web
    text ("Hello" in Northern Sotho's, "Yes" in Asturian's) it is sure and wrong, and would
    overrule the prior. (Holding it within 1.5-2 nats of its best instead kept "Hello" English
    but lost most of its gain on the NTREX sample.)"""
    regression = model.table_model()
    if regression is None or ev.cps is None or ev.group != features.TABLE_SCRIPT:
        return np.zeros(len(ev.codes))
    if _words(ev) < min_words:
        return np.zeros(len(ev.codes))
    ids, values = features.table_features(ev.rerank_ids, len(regression.w))
    z = values @ regression.w[ids] + regression.bias
    z = z - z.max()
    z = z - math.log(np.exp(z).sum())
    where = model.table_positions(ev.group)
    return np.where(where >= 0, z[np.maximum(where, 0)], z.min())


def _words(ev: Evidence) -> int:
    return int((ev.cps == ord(" ")).sum()) - 1  # codepoints() leaves one space between words


def platt_key(ev: Evidence, params: dict) -> str:
    """Which Platt scaling `ev` gets: its script table's, or, when the whole-table model
    sits out because the text is too short, the table's own short-text one: the posterior then
    comes from other models, and one fit across both regimes is off in each."""
    if (ev.group == features.TABLE_SCRIPT and model.table_model() is not None
            and ev.cps is not None and _words(ev) < params.get("lr_min_words", 1)):
        return ev.group + "-short"
    return ev.group


def _rerank(ev: Evidence, logits: np.ndarray, r: dict, split: np.ndarray) -> np.ndarray:
    """The second stage: when the top language belongs to a group of close languages, the
    group's logistic regression redistributes the group's share of the posterior among them
    (mixed with the first stage's own split by `beta`)."""
    rerank = model.reranks().get(ev.codes[int(np.argmax(logits))])
    if rerank is None or ev.cps is None or r["alpha"] == 0:
        return logits
    where, inside = model.members(ev.group, rerank.codes)
    if len(where) < 2:
        return logits
    feats = ev.rerank_ids
    pos = np.minimum(np.searchsorted(rerank.ids, feats), len(rerank.ids) - 1)
    z = rerank.w[pos[rerank.ids[pos] == feats]].sum(axis=0) + rerank.bias
    own = logits[where]
    mass = own.max() + math.log(np.exp(own - own.max()).sum())
    within = r["alpha"] * z[inside] + r["beta"] * split[where]
    within = within - within.max()
    out = logits.copy()
    out[where] = mass + within - math.log(np.exp(within).sum())
    return out


def _confidence(ev: Evidence, top: float, params: dict) -> float:
    """Platt scaling of the top posterior: P(right | posterior, length, script)."""
    key = platt_key(ev, params)
    a, b, c = params["platt"].get(key, params["platt"][ev.group])
    top = min(max(top, 1e-4), 1 - 1e-4)
    z = a + b * math.log(top / (1 - top)) + c * math.log(ev.length)
    return ev.share / (1 + math.exp(-z))


def detect(text: str, hint: str | None = None, locale: str | None = None) -> Detection:
    """The language of `text`: always the best guess when it has letters, with a calibrated
    confidence. `locale` (e.g. locale_hint()) is a weak prior, `hint` (--hint) a strong one;
    both tip short text and fade as the text grows."""
    ev = evidence(text)
    if ev is None:
        return UNKNOWN
    params = model.calibration()
    logits = posterior_logits(ev, params)
    for code, factor in ((locale, LOCALE_PRIOR), (hint, HINT_PRIOR)):
        if code is not None and code in ev.codes:
            logits[ev.codes.index(code)] += math.log(factor)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs)[:3]
    top = float(probs[order[0]])
    confidence = _confidence(ev, top, params)
    # The others are scaled like the top one when calibration lowers it (so none passes it:
    # "„Без" was uk 0.19 ahead of ru 0.31), and share what it leaves when it raises it.
    if confidence < top:
        rest = confidence / top
    else:
        rest = (1 - confidence) / (1 - top) if top < 1 else 0.0
    candidates = tuple((ev.codes[i], round(confidence if k == 0 else float(probs[i]) * rest, 3))
                       for k, i in enumerate(order))
    return Detection(languages.find(ev.codes[order[0]]), round(confidence, 3), candidates)


def _main_script(by_script: dict[str, int], letters: int) -> str:
    if by_script["Kana"] and by_script["Kana"] * 10 >= by_script["Hani"]:
        return "Kana"  # Japanese: kana among the kanji
    other = max((s for s in by_script if s not in ("Latn", "Zyyy")), key=by_script.get)
    if by_script[other] * 10 >= letters * 3:
        return other  # 30% is plenty: Latin in such text is names and loanwords
    return max(by_script, key=by_script.get)


def _cld2_votes(text: str, table: model.Table) -> np.ndarray:
    votes = np.zeros(len(table.codes))
    try:
        # inside the try: without pycld2 (no wheel for the platform) its vote is skipped
        import pycld2

        reliable, _, details = pycld2.detect(CONTROL_CHARACTERS.sub(" ", text), bestEffort=True)
    except Exception:  # pycld2 raises on some inputs; its vote is optional
        return votes
    if not reliable:
        return votes
    _, code, percent, _ = details[0]
    lang = languages.find(_LEGACY_CODES.get(code, code)) if code not in ("un", "xxx") else None
    if lang is not None and lang.code in table.codes:
        votes[table.codes.index(lang.code)] = percent / 100
    return votes


def detectable(code: str) -> bool:
    """Whether detection can ever answer this language."""
    if code in _SINGLE_SCRIPT.values() or code in ("bn", "as"):
        return True
    return any(code in table.codes for table in model.tables().values())


def close_languages(code: str) -> tuple[str, ...]:
    """The languages of `code`'s group of close languages (bs/hr, da/no/sv, ...: the second
    stage's groups), itself included; () when it has none. A single sentence of such a group
    is often surely the wrong member, where a whole document is not."""
    rerank = model.reranks().get(code)
    return rerank.codes if rerank is not None else ()
