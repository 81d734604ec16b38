"""The translation memory as the pipeline sees it: what a unit's translation depends on (the
memory's key), and the lookups and stores of one document's run.

The key is everything that changes the output for the same source text:
- the model: its identity from models/factory.py (the registry name and quantization, or a
  file's size and the hash of its first megabyte; for a remote engine its base URL and model
  id), and the engine settings that change the numbers (deterministic kernels, repacked
  weights, KV cache type, context size, which decides how long units are split);
- the prompt template and the pipeline's cleaning of answers (PIPELINE_VERSION);
- the request's options: token limit, beams, alternatives, temperature and seed (the seed only
  when sampling), the language check, and the glossary's content;
- the source and target languages, and the unit's source text exactly.
What is not in it: --parallel and the batch a unit shared (greedy output does not depend on
them with --deterministic; with the fast kernels they change rounding only), threads, the
GPU, and the time. Only units whose status is "ok" are stored, so a unit that needed a look
is translated again next time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Iterable, Optional

from llamax_cli.core.languages import Language
from llamax_cli.service import prompt
from llamax_cli.service.memory import Hit, Memory, default_path
from llamax_cli.service.options import Options

# Bump when the pipeline's handling of an answer changes what one prompt yields (cleaning,
# checks, retries): entries made before then are no longer reused.
PIPELINE_VERSION = 1


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def glossary_digest(options: Options) -> Optional[str]:
    glossary = options.glossary
    if not glossary:
        return None
    return _digest({"keep": sorted(glossary.keep), "pairs": sorted(glossary.pairs.items())})


def context_key(identity: str, options: Options) -> str:
    """The memory's key for everything but the languages and the text (see the docstring)."""
    sampling = options.sampling
    return _digest({
        "model": identity,
        "template": _digest([prompt.TEMPLATE, prompt.INSTRUCTION]),
        "pipeline": PIPELINE_VERSION,
        "max_tokens": options.max_tokens,
        "beams": options.beams,
        "alternatives": options.alternatives,
        "temperature": sampling.temperature,
        "seed": sampling.seed if sampling.temperature > 0 else None,
        "check_language": options.check_language,
        "glossary": glossary_digest(options),
    })


def open_memory(setting, note: Callable[[str], None]) -> Optional[Memory]:
    """The memory the `memory` setting names: True or None the one in the cache folder, a
    path a file of one's own, False none. A memory that cannot be used says so in one line
    and the run goes on without it (service/memory.py)."""
    if setting is False:
        return None
    path = default_path() if setting in (None, True) else Path(setting)
    memory = Memory(path, note=note)
    return memory if memory.enabled else None


class Recall:
    """One document's lookups and stores, for one target language and one context. Lookups
    come from blocks fetched ahead (`prefetch`), one query per block of units."""

    def __init__(self, memory: Memory, context: str, tgt: Language):
        self.memory, self.context, self.tgt = memory, context, tgt
        self._ahead: dict[tuple[str, str], Optional[Hit]] = {}

    def prefetch(self, wanted: Iterable[tuple[Language, str]]) -> None:
        """Look up these (source language, text) pairs at once; `lookup` then answers them
        without a query. Replaces the previous block, so memory stays flat on long inputs."""
        by_language: dict[str, list[str]] = {}
        for src, source in wanted:
            by_language.setdefault(src.code, []).append(source)
        self._ahead = {}
        for code, sources in by_language.items():
            hits = self.memory.lookup_many(self.context, code, self.tgt.code, sources)
            self._ahead.update(zip(((code, source) for source in sources), hits))

    def lookup(self, src: Language, source: str) -> Optional[Hit]:
        key = (src.code, source)
        if key in self._ahead:
            return self._ahead[key]
        return self.memory.lookup(self.context, src.code, self.tgt.code, source)

    def store(self, src: Language, result) -> None:
        """Keeps a finished unit for next time, if it came out ok (a UnitResult)."""
        if result.status != "ok" or result.memory is not None:
            return
        self.memory.put(self.context, src.code, self.tgt.code, result.source,
                        result.translation, result.status, result.score,
                        list(result.alternatives))
