"""A glossary (`--glossary FILE`): terms to keep as they are, and terms with a fixed translation.

The file is a TSV, one term a line: `source term<TAB>target term`, or just `term` for "keep as
is". Blank lines and lines starting with `#` are skipped.

- A keep-as-is term found in a unit is protected like inline code: the translation must hold
  it byte for byte, or the unit keeps its source text (`protected-lost`).
- For a term pair found in a unit, the translation must hold the target term (any case). A
  unit that lacks it is retried once with the term given to the model (`hint`), and is
  flagged `glossary-miss` if it still lacks it.

Terms match whole words: `art` is not found in `start`. Keep-as-is terms match with their
case (they are names: `Go` the language, not `go`); term pairs match in any case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.textio import read_source


def _pattern(terms: list[str], flags: int = 0) -> re.Pattern | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)


@dataclass(frozen=True)
class Glossary:
    keep: tuple[str, ...] = ()
    pairs: dict[str, str] = field(default_factory=dict)  # casefolded source term -> target

    def __post_init__(self):
        object.__setattr__(self, "_keep_re", _pattern(list(self.keep)))
        object.__setattr__(self, "_pair_re", _pattern(list(self.pairs), re.IGNORECASE))

    def __bool__(self) -> bool:
        return bool(self.keep or self.pairs)

    def kept_in(self, source: str) -> tuple[str, ...]:
        """The keep-as-is terms in `source`, each once, as written there."""
        if self._keep_re is None:
            return ()
        return tuple(dict.fromkeys(self._keep_re.findall(source)))

    def pairs_in(self, source: str) -> list[tuple[str, str]]:
        """(source term as written, target term) for each term pair in `source`, once."""
        if self._pair_re is None:
            return []
        found = dict.fromkeys(m.group(0) for m in self._pair_re.finditer(source))
        seen, out = set(), []
        for term in found:
            key = term.casefold()
            if key not in seen:
                seen.add(key)
                out.append((term, self.pairs[key]))
        return out

    def missing(self, source: str, translation: str) -> list[tuple[str, str]]:
        """The term pairs of `source` whose target term the translation lacks."""
        folded = translation.casefold()
        return [(s, t) for s, t in self.pairs_in(source) if t.casefold() not in folded]


def hint(text: str, pairs: list[tuple[str, str]]) -> str:
    """The input for a retry that must use these target terms: each source term replaced by
    its target term in place, so the model has it where it belongs and copies it (measured
    on the test model against naming the terms in the instruction: BENCHMARKS.md). The
    prompt template itself is unchanged."""
    for source_term, target_term in pairs:
        text = re.sub(rf"(?<!\w){re.escape(source_term)}(?!\w)",
                      lambda m, t=target_term: t, text)
    return text


def read(path: str | Path) -> Glossary:
    """Read a glossary TSV; a malformed line is an error naming the file and line."""
    path = Path(path)
    try:  # as any input file: its encoding detected, binary refused
        lines = read_source(str(path)).text.splitlines()
    except LlamaxError as exc:
        raise LlamaxError(f"glossary {exc}") from None
    keep, pairs = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = [c.strip() for c in line.split("\t")]
        if len(columns) > 2 or not columns[0] or (len(columns) == 2 and not columns[1]):
            raise LlamaxError(f"glossary {path}:{number}: expected `term` or "
                              f"`source term<TAB>target term`, got {line[:60]!r}")
        if len(columns) == 1:
            keep.append(columns[0])
        else:
            pairs[columns[0].casefold()] = columns[1]
    return Glossary(tuple(dict.fromkeys(keep)), pairs)
