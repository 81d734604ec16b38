"""The records of `llamax translate --json`: one JSON object a line, one per unit, each with
the same keys (README.md lists them), `to` added when there are several targets."""

from __future__ import annotations

import json

from llamax_cli.cli.sources import Task
from llamax_cli.core.languages import Language
from llamax_cli.service.results import UnitResult


def no_text(task: Task, tgt: Language, several: bool) -> str:
    """The one record of an input with nothing to translate."""
    text = task.source.text
    return json.dumps({
        "file": task.source.label, "index": None, "line": 1, "source": text, "translation": text,
        "source_language": task.src.code if task.src else None, "confidence": None,
        "target_language": tgt.code, "status": "no-text",
        "note": "nothing to translate (no words outside code, numbers and symbols)",
        # the keys of every other record (unit), with what is true of no work at all
        "attempts": 0, "prompt_tokens": 0, "tokens": 0, "seconds": 0.0,
        "score": None, "alternatives": [], "memory": None,
        **({"to": tgt.code} if several else {})},
        ensure_ascii=False)


def unit(task: Task, tgt: Language, several: bool, result: UnitResult) -> str:
    """One unit's record."""
    cut = result.alternatives_truncated
    record = {
        "file": task.source.label, "index": result.index, "line": result.line,
        "source": result.source, "translation": result.translation,
        "source_language": result.source_language or (task.src or tgt).code,
        "confidence": task.detection.confidence if task.detection else None,
        "target_language": tgt.code, "status": result.status, "note": result.note,
        "attempts": result.attempts,
        "prompt_tokens": result.prompt_tokens, "tokens": result.tokens,
        "seconds": result.seconds,
        # Every record has every key, whatever path its unit took (null or empty where
        # absent): beam search's score, and the other hypotheses (service/alternatives.py).
        "score": None if result.score is None else round(result.score, 4),
        "alternatives": [{"translation": text, "score": score,
                          "truncated": k < len(cut) and bool(cut[k])}
                         for k, (text, score) in enumerate(result.alternatives)],
        # From the translation memory: "hit" (made before), "imported" (a TMX entry); null:
        # translated in this run.
        "memory": result.memory,
    }
    if several:  # which target, among several (one target's records are as they were)
        record["to"] = tgt.code
    return json.dumps(record, ensure_ascii=False)
