"""How one translation request is run: token limits, sampling, beams, the checks to apply.

Its own module because the pipeline and the part-fitting both read it (service/parts.py sits below
pipeline.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from llamax_cli.engine import Sampling
from llamax_cli.service.glossary import Glossary


@dataclass(frozen=True)
class Options:
    max_tokens: int | None = None  # None: sized from each unit's source length
    sampling: Sampling = field(default_factory=Sampling)
    live: bool = False  # stream the head unit token by token (may be retracted)
    beams: int = 1  # beam search width (engine/beams.py); 1: greedy or sampled
    alternatives: int = 0  # other hypotheses to report per unit (needs beams > alternatives)
    check_language: bool = True  # language_check.py: retry, then flag, wrong-language output
    glossary: Glossary | None = None
