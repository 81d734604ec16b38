"""Is a translation in the language it was asked for?

LLM translators often answer in the wrong language: the source's, or English. After each unit
the pipeline (service/pipeline.py) detects the output's language; when the detector is confident it
is another language, the unit is retried once, and if it is still wrong it is reported as
`wrong-language`, never as `ok`.

A false alarm costs a retry and a worried user, so the check speaks only when the detector is
sure (calibrated confidence >= CONFIDENT) and gives the target almost no chance (< TARGET_CHANCE),
and never on short output: a name, a number, a code identifier or a two-word answer says little
about its language. On the NTREX-128 sample's true translations (1,760 sentences in 88
languages, benchmarks/bench_language_check.py) this flags 0.11%: one Bosnian and one
Croatian sentence, taken for each other.
"""

from __future__ import annotations

import unicodedata

from llamax_cli.core.languages import Language

CONFIDENT = 0.9
TARGET_CHANCE = 0.01
MIN_WORDS = 3  # in scripts written with spaces
MIN_CHARACTERS = 8  # letters, in scripts written without (Chinese, Japanese, Thai, ...)


def _long_enough(text: str) -> bool:
    letters = [c for c in text if unicodedata.category(c).startswith("L")]
    words = [w for w in text.split() if any(unicodedata.category(c).startswith("L") for c in w)]
    return len(words) >= MIN_WORDS or (len(words) < MIN_WORDS and len(letters) >= MIN_CHARACTERS
                                       and len(letters) > 4 * max(len(words), 1))


def mismatch(output: str, target: Language) -> str | None:
    """A note saying what language `output` is in, when it is confidently not `target`."""
    if not _long_enough(output):
        return None
    from llamax_cli.lid.detect import detect  # numpy and the tables: only when there is output

    found = detect(output)
    if found.language is None or found.language.code == target.code:
        return None
    if found.confidence < CONFIDENT or dict(found.candidates).get(target.code, 0.0) >= TARGET_CHANCE:
        return None
    return (f"the output is in {found.language.name} ({found.confidence:.0%} sure), "
            f"not {target.name}")
