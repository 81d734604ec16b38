"""Extract the TICO-19 translations for the detector's training text.

    python tools/fetch_lid_tico.py --mirrors DIR --out ../lid-tico

TICO-19 (tico-19.github.io, CC0 1.0) translated the same 2,100 English sentences (COVID-19
texts from PubMed, Wikipedia, Wikinews and doctor-patient dialogues) into 35 languages by
professional translators. Because the content is the same in every language, what differs
between Malay and Indonesian, or Hindi, Marathi and Nepali, is the written standard itself:
"kajian ... diketuai" against "penelitian ... dipimpin", learned from data rather than listed.
It also brings medical and conversational text to languages that had news and the UDHR
(Swahili, Oromo, Somali, Ganda, Lingala, Fulah, Pashto). Read from the copy in
Helsinki-NLP/OPUS-MT-testsets (DIR/Helsinki-NLP+OPUS-MT-testsets, pinned commit; only
datasets/tico19, never the FLORES or NTREX folders of that repository). Writes <code>.txt for
tools/train_lid.py --short (kept beside the capped prose, like the Tatoeba sentences).
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fetch_lid_more import parse_mirrors_and_out, read  # noqa: E402
from fetch_lid_tatoeba import REPO, usable  # noqa: E402

FOLDER = "datasets/tico19/testsets"
# TICO-19 name -> LLaMAX code. Only languages whose close neighbours in the detector's tables
# are covered too (ms/id, hi/mr/ne) or that have none it confuses them with: medical text in
# Zulu but not Xhosa, or Portuguese but not Galician, would pull such text in the neighbour to
# the covered language. So not es, pt, fr, ru, tl, zu, zh (zh-Hant lacks it). Nor Dari (prs, a
# Persian of its own) or Kurmanji (ku: LLaMAX has Sorani, ckb), nor those LLaMAX lacks.
LANGUAGES = {
    "ar": "ar", "ckb": "ckb", "fa": "fa", "fuv": "ff", "ha": "ha", "hi": "hi", "id": "id",
    "lg": "lg", "ln": "ln", "mr": "mr", "ms": "ms", "ne": "ne", "om": "om", "ps": "ps",
    "so": "so", "sw": "sw", "ur": "ur",
}


def clean(line: str) -> str:
    """One sentence: NFC, single spaces, and the CSV quoting some files keep undone
    ("\"... \"\"quoted\"\" ...\"")."""
    line = " ".join(line.split())
    if len(line) > 1 and line[0] == line[-1] == '"' and '""' in line:
        line = line[1:-1].replace('""', '"')
    return unicodedata.normalize("NFC", line)


def collect(mirrors: Path) -> dict[str, list[str]]:
    out = {}
    for name, code in LANGUAGES.items():
        text = read(mirrors, *REPO, f"{FOLDER}/en-{name}/tico19-test.{name}").splitlines()
        seen: set[str] = set()
        lines = []
        for raw in text:
            line = clean(raw)
            if usable(line) and line not in seen:
                seen.add(line)
                lines.append(line)
        out[code] = lines
    return out


def main() -> None:
    args = parse_mirrors_and_out()
    for code, lines in collect(args.mirrors).items():
        (args.out / f"{code}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(code, len(lines))


if __name__ == "__main__":
    main()
