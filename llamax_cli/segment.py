"""Documents as a skeleton of literal text with translation units in between.

For now every non-empty line is one unit; its indentation, trailing spaces and line ending
stay in the skeleton, so line structure survives exactly (a blank line in, a blank line out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union


@dataclass(frozen=True)
class Unit:
    index: int
    source: str  # stripped text sent to the model
    line: int  # 1-based line number in the document, for messages


Part = Union[str, Unit]


@dataclass
class Document:
    parts: list[Part]

    @property
    def units(self) -> list[Unit]:
        return [part for part in self.parts if isinstance(part, Unit)]

    def render(self, translations: Iterable[str]) -> str:
        """Put translations (in unit order) back into the skeleton."""
        it = iter(translations)
        return "".join(part if isinstance(part, str) else next(it) for part in self.parts)


def segment_text(text: str) -> Document:
    parts: list[Part] = []
    n_units = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        core = body.strip()
        if not core:
            parts.append(line)
            continue
        lead = body[:len(body) - len(body.lstrip())]
        trail = body[len(body.rstrip()):]
        if lead:
            parts.append(lead)
        parts.append(Unit(n_units, core, number))
        n_units += 1
        if trail or ending:
            parts.append(trail + ending)
    return Document(parts)
