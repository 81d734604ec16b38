"""What a finished attempt at a part means: keep it, retry it once, split it, or flag it.

The checks, in order: a prompt that did not fit; a loop or runaway output (retry greedily with
a repetition penalty); the token limit (retry as two halves); an answer in another language
than the target (service/language_check.py: retry with beams where the engine has them); a glossary
term pair whose target term is missing (service/glossary.py: retry with the term in the input). Each
part gets one retry; what a retry does not fix is flagged with a status and a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llamax_cli.service import language_check
from llamax_cli.service.glossary import Glossary
from llamax_cli.core.languages import Language

FIRST, PENALTY, LANGUAGE, GLOSSARY = 0, 1, 2, 3  # what an attempt is: a first try, or a retry


@dataclass
class Verdict:
    retry: int | None = None  # submit the part again, as this kind of retry
    split: bool = False  # submit it again as two halves, if it can be split
    status: str | None = None  # else, when not None: the problem to report
    note: str = ""
    terms: list[tuple[str, str]] = field(default_factory=list)  # for a GLOSSARY retry


def judge(*, text: str, source: str, finish_reason: str | None, n_tokens: int,
          stopped: bool, loop: str | None, retry: int, target: Language,
          check_language: bool, glossary: Glossary | None) -> Verdict:
    """`text`: the cleaned output; `source`: the part's text; `stopped`: the output ended at
    the template's end marker; `loop`: the degeneration guard's reason, if it tripped."""
    first = retry == FIRST
    if finish_reason == "too-long":  # cannot happen after fit_parts; never fatal
        return Verdict(status="too-long", note="the prompt does not fit the context; "
                                                "kept the source text")
    if loop is not None and not stopped:
        return Verdict(retry=PENALTY) if first else \
            Verdict(status="degenerate", note=f"{loop}, even with a repetition penalty")
    if finish_reason == "length" and not stopped:
        return Verdict(split=True, status="truncated",
                       note=f"reached the token limit ({n_tokens}) and cannot be split")
    wrong = language_check.mismatch(text, target) if check_language else None
    if wrong is not None:
        return Verdict(retry=LANGUAGE) if first else \
            Verdict(status="wrong-language",
                    note=wrong + (", even after a retry" if retry == LANGUAGE else ""))
    missing = glossary.missing(source, text) if glossary else []
    if missing:
        if first:
            return Verdict(retry=GLOSSARY, terms=missing)
        terms = ", ".join(f"{t!r} for {s!r}" for s, t in missing)
        return Verdict(status="glossary-miss", note=f"the translation lacks {terms}")
    return Verdict()


def other_problems(status: str, first: str, source: str, output: str, lost: list[str],
                   glossary: Glossary | None) -> tuple[list[str], list[str]]:
    """The problems besides `status`, which names one, and the notes they add: the status
    (`first`) that a markup check replaced, spans lost when another problem won, and glossary
    terms missing from a translation that ended otherwise (`judge` checks the glossary only
    when nothing else went wrong)."""
    also = [first] if first not in ("ok", "same-language", status) else []
    notes = []
    if lost and first != "too-long" and status != "protected-lost":
        also.append("protected-lost")
    if glossary and first not in ("ok", "glossary-miss", "same-language", "too-long"):
        missing = glossary.missing(source, output)
        if missing:
            also.append("glossary-miss")
            notes.append("the translation lacks " +
                         ", ".join(f"{t!r} for {s!r}" for s, t in missing))
    return also, notes


def notes_line(notes: list[str]) -> str:
    """Each distinct note once (a unit split in 100 parts may hit one limit 100 times)."""
    counts: dict[str, int] = {}
    for note in notes:
        counts[note] = counts.get(note, 0) + 1
    return "; ".join(note if n == 1 else f"{note} (x{n})" for note, n in counts.items())
