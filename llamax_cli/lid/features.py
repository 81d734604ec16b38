"""Features for language identification, shared by training (tools/train_lid.py) and detection.

Text becomes an array of code points (lower-cased; anything but letters and combining marks
becomes a space), whose character 1-4-grams are hashed into BUCKETS buckets with numpy, in a
handful of vectorized operations: no per-character Python, so a sentence costs microseconds.
Whole words, and the first word as a feature of its own, are hashed into the same buckets:
on held-out lines they raised 2-word accuracy by 1.3 points and 3-word by 0.7 (BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import unicodedata
import zlib

import numpy as np

from llamax_cli.core.languages import all_languages

BITS = 18
BUCKETS = 1 << BITS
_SPACE = 32
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_ORDER_SALT = [np.uint64(0), np.uint64(0x51ED27), np.uint64(0xC0FFEE1), np.uint64(0xBADC0DE5),
               np.uint64(0xDEADBEE7)]

# Unicode blocks -> script, for the scripts of the 102 languages. Anything else is "Zyyy".
_RANGES = [
    (0x0041, 0x024F, "Latn"), (0x0250, 0x02AF, "Latn"), (0x0370, 0x03FF, "Grek"),
    (0x0400, 0x052F, "Cyrl"), (0x0530, 0x058F, "Armn"), (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"),
    (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Laoo"), (0x1000, 0x109F, "Mymr"),
    (0x10A0, 0x10FF, "Geor"), (0x1100, 0x11FF, "Hang"), (0x1200, 0x139F, "Ethi"),
    (0x1780, 0x17FF, "Khmr"), (0x1C90, 0x1CBF, "Geor"), (0x1E00, 0x1EFF, "Latn"),
    (0x1F00, 0x1FFF, "Grek"), (0x2D80, 0x2DDF, "Ethi"), (0x3040, 0x30FF, "Kana"),
    (0x3130, 0x318F, "Hang"), (0x31F0, 0x31FF, "Kana"), (0x3400, 0x4DBF, "Hani"),
    (0x4E00, 0x9FFF, "Hani"), (0xA640, 0xA69F, "Cyrl"), (0xA720, 0xA7FF, "Latn"),
    (0xAB00, 0xAB2F, "Ethi"), (0xAC00, 0xD7AF, "Hang"), (0xF900, 0xFAFF, "Hani"),
    (0xFB1D, 0xFB4F, "Hebr"), (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0xFF66, 0xFF9F, "Kana"),
]
SCRIPTS = sorted({script for _, _, script in _RANGES}) + ["Zyyy"]
_STARTS = np.array([lo for lo, _, _ in _RANGES], dtype=np.uint32)
_ENDS = np.array([hi for _, hi, _ in _RANGES], dtype=np.uint32)
_RANGE_SCRIPT = np.array([SCRIPTS.index(s) for _, _, s in _RANGES])
_ZYYY = SCRIPTS.index("Zyyy")


# Symbols that are words of one language: Sindhi's ۽ ("and") and ۾ ("in"), Unicode "other
# symbols" (So) written as words; as non-letters, "2016 ۾" had no letters to detect by.
_WORD_SYMBOLS = (0x06FD, 0x06FE)


@functools.lru_cache(maxsize=1)
def _letter_table() -> np.ndarray:
    """For each BMP code point: is it a letter or a combining mark (what words are made of)?"""
    table = np.array([unicodedata.category(chr(c))[0] in "LM" for c in range(0x10000)], dtype=bool)
    table[list(_WORD_SYMBOLS)] = True
    return table


def codepoints(text: str) -> np.ndarray:
    """Lower-cased code points, non-letters as single spaces, padded with a space each side."""
    cps = np.frombuffer((" " + text.lower() + " ").encode("utf-32-le"), dtype=np.uint32).copy()
    letters = np.zeros(len(cps), dtype=bool)
    bmp = cps < 0x10000
    letters[bmp] = _letter_table()[cps[bmp]]
    letters |= (cps >= 0x20000) & (cps < 0x30000)  # CJK extension planes
    cps[~letters] = _SPACE
    keep = np.ones(len(cps), dtype=bool)
    keep[1:] = ~((cps[1:] == _SPACE) & (cps[:-1] == _SPACE))
    return cps[keep]


# Combining marks shared by all scripts (Yoruba's tone marks on ọ, ẹ; decomposed accents):
# part of the letter before them, so they are not counted as letters of no script.
_GENERIC_MARKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                  (0xFE20, 0xFE2F))


def scripts(cps: np.ndarray) -> np.ndarray:
    """Letter counts per script, indexed like SCRIPTS (generic combining marks not counted)."""
    keep = cps != _SPACE
    for lo, hi in _GENERIC_MARKS:
        keep &= (cps < lo) | (cps > hi)
    letters = cps[keep]
    idx = np.searchsorted(_STARTS, letters, side="right") - 1
    inside = (idx >= 0) & (letters <= _ENDS[np.clip(idx, 0, None)])
    script_ids = np.where(inside, _RANGE_SCRIPT[np.clip(idx, 0, None)], _ZYYY)
    return np.bincount(script_ids, minlength=len(SCRIPTS))


def buckets(text_or_cps) -> np.ndarray:
    """Hashed bucket ids of all character 1-4-grams (single spaces excluded)."""
    cps = codepoints(text_or_cps) if isinstance(text_or_cps, str) else text_or_cps
    base = cps.astype(np.uint64)
    out = []
    h = base
    shift = np.uint64(64 - BITS)
    with np.errstate(over="ignore"):
        for n in range(1, 5):
            if n > 1:
                if len(h) < 2:
                    break
                h = h[:-1] * _PRIME + base[n - 1:]
            grams = h if n > 1 else h[base != _SPACE]
            out.append(((grams + _ORDER_SALT[n]) * _MIX) >> shift)
        out.append(((_word_hashes(cps) + _ORDER_SALT[0]) * _MIX) >> shift)
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)


def _word_hashes(cps: np.ndarray) -> np.ndarray:
    """A hash per whole word: a word says more than the 4-grams inside it, and short input is
    mostly whole words ("A mancha", "Todo ser")."""
    words = cps.tobytes().decode("utf-32-le").split()
    first = [zlib.crc32(b"^" + words[0].encode("utf-8"))] if words else []
    return np.array(_word_ids(words) + first, dtype=np.uint64)


def _word_ids(words: list[str]) -> list[int]:
    return [zlib.crc32(w.encode("utf-8")) for w in words]


WORD_OFFSET = BUCKETS  # word features of the second stage live above the char-gram buckets


def rerank_features(cps: np.ndarray, grams: np.ndarray | None = None) -> np.ndarray:
    """Feature ids for the second stage (lid/detect.py's discriminative reranker within groups of
    close languages): the char 1-4-gram buckets (`grams`, if already computed), plus hashed
    whole words and word pairs in [BUCKETS, 2 * BUCKETS). Repeated ids count repeatedly."""
    words = cps.tobytes().decode("utf-32-le").split()
    ids = _word_ids(words)
    pairs = [zlib.crc32(b"%d %d" % (a, b)) for a, b in zip(ids, ids[1:])]
    hashed = np.array(ids + pairs, dtype=np.int64) & (BUCKETS - 1)
    return np.concatenate([buckets(cps) if grams is None else grams, hashed + WORD_OFFSET])


TABLE_SCRIPT = "Latn"  # the table with the most languages, and most short-text errors
TABLE_BITS = 17  # the model's rows: lid/detect.py reads them from lid.npz
TABLE_BUCKETS = 1 << TABLE_BITS


def table_features(rerank_ids: np.ndarray, buckets: int = TABLE_BUCKETS
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Feature ids and values for the whole-table logistic regression (tools/train_lid_lr.py):
    the second stage's features (rerank_features) folded into `buckets` (a power of two: the
    model's rows), valued log(1 + count), so that a repeated n-gram counts less than a new one."""
    with np.errstate(over="ignore"):
        folded = (rerank_ids * 0x9E3779B1 >> 7) % buckets
    ids, counts = np.unique(folded, return_counts=True)
    return ids, np.log1p(counts)


# Which naive-Bayes table decides between languages, by the script they are written in.
# Scripts used by one LLaMAX language alone are decided by rule (see lid/detect.py).
DENSE = ("zh", "zh-Hant", "ja", "th", "lo", "km", "my")  # no spaces between words


def prefix(text: str, code: str, words: int | None) -> str:
    """The start of `text` as a short input: its first `words` words, or for languages written
    without spaces (DENSE) its first 2 x `words` characters; None keeps the whole text."""
    text = " ".join(text.split())
    if words is None:
        return text
    return text[:2 * words] if code in DENSE else " ".join(text.split()[:words])
MULTI = {"Latn", "Cyrl", "Arab", "Deva", "Hani"}


@functools.lru_cache(maxsize=1)
def _groups() -> dict[str, str]:
    groups = {}
    for lang in all_languages():
        # Japanese joins the Han table: text of kanji alone has no kana to tell it by.
        script = {"Hans": "Hani", "Hant": "Hani", "Jpan": "Hani"}.get(lang.script, lang.script)
        if script in MULTI:
            groups[lang.code] = script
    return groups


def group_of(code: str) -> str | None:
    """The table (script) a language is told apart in, or None if its script alone decides."""
    return _groups().get(code)
