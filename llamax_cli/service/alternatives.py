"""A unit's other translations, from the beam search of the attempt that was kept.

`--alternatives K` (and LibreTranslate's `alternatives`) asks for the K next-best distinct
hypotheses. They come from the final event of the attempt whose text became the translation,
whatever that attempt's status and however many attempts came before it: a truncated or
wrong-language unit is where a reader most wants another candidate. A hypothesis cut at the
token limit is offered all the same, marked truncated: with a tight `--max-tokens` every
hypothesis may reach it, and a marked partial candidate says more than none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llamax_cli.formats import markup
from llamax_cli.service import prompt
from llamax_cli.formats import spans
from llamax_cli.service.wrapping import shape_like

if TYPE_CHECKING:
    from llamax_cli.engine import Event
    from llamax_cli.formats.segment import Unit


@dataclass(frozen=True)
class Candidate:
    text: str  # cleaned like a translation
    score: float  # mean log-probability per token
    truncated: bool  # it reached the token limit


def candidates(event: Event, restore_hashes: bool) -> list[Candidate]:
    """The final event's hypotheses after the first (the translation itself), cleaned."""
    # engine/beams.py's Ranked pairs say why each ended; a pair without it was not cut.
    return [Candidate(prompt.clean_response(ranked[0], restore_hashes=restore_hashes),
                      ranked[1], getattr(ranked, "reason", None) == "length")
            for ranked in event.hypotheses[1:]]


def offered(unit: Unit, translation: str, found: list[Candidate],
            wanted: int) -> tuple[list[tuple[str, float]], list[bool]]:
    """The alternatives worth showing, as (text, score) pairs, and whether each is truncated:
    distinct, non-empty, keeping every protected span and the inline markup, shaped like the
    translation; at most `wanted` of them."""
    seen, out, truncated = {translation}, [], []
    for candidate in found:
        text = candidate.text
        if not text or any(not spans.survives(span, text) for span in unit.protected) \
                or markup.damage(unit.source, unit.markup, text):
            continue
        text = shape_like(unit, text)
        if text not in seen:
            seen.add(text)
            out.append((text, round(candidate.score, 4)))
            truncated.append(candidate.truncated)
    return out[:wanted], truncated[:wanted]
