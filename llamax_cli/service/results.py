"""What the pipeline yields for a document: its text piece by piece, a UnitResult after each
unit, and a Retract when text streamed live turns out void. Their own module because the
pipeline, the translation memory and every caller read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass
class UnitResult:
    index: int
    line: int
    source: str
    translation: str
    status: str  # ok | same-language | echo | one of PROBLEMS
    prompt_tokens: int = 0
    tokens: int = 0
    seconds: float = 0.0
    attempts: int = 1
    note: str = ""
    source_language: str | None = None  # set when units of one document differ
    # With beam search: the translation's mean log-probability per token, and the other
    # distinct hypotheses, best first, as (translation, score) (service/alternatives.py).
    score: float | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    alternatives_truncated: list[bool] = field(default_factory=list)  # each reached the limit
    also: list[str] = field(default_factory=list)  # other statuses that apply (service/verdict.py)
    memory: str | None = None  # from the translation memory: "hit" (ours) or "imported" (TMX)


@dataclass(frozen=True)
class Retract:
    """The `text` just streamed live for a unit is void; its final text follows."""

    text: str


Output = Union[str, UnitResult, Retract]
