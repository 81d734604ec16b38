"""How a unit is cut to fit the model: parts whose prompt and output fit the context, the
halves a part is retried as when it hits the token limit, and each part's token budget."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from llamax_cli.formats.segment import split_sentences

if TYPE_CHECKING:
    from llamax_cli.engine import Engine
    from llamax_cli.service.options import Options

_PROMPT_OVERHEAD = 100  # tokens of template around the input, with margin


def max_tokens_for(engine: Engine, source: str, options: Options) -> int:
    if options.max_tokens:
        return options.max_tokens
    # Generous: scripts that LLaMA vocabularies cover with byte tokens (Amharic, Burmese, ...)
    # can take 6-8 tokens where English takes one. Loops are caught by the guard, not this.
    return 8 * engine.count_tokens(source) + 64


def split_in_two(text: str, *, characters: bool = False) -> tuple[list[str], str] | None:
    """Two halves of `text` and what joins them again: at a sentence boundary, else at a word
    boundary, else (with `characters`, for a "word" too long for the context) anywhere."""
    sentences = [s for s, is_sentence in split_sentences(text) if is_sentence]
    if len(sentences) >= 2:
        half = len(sentences) // 2
        return [" ".join(sentences[:half]), " ".join(sentences[half:])], " "
    words = text.split()
    if len(words) >= (2 if characters else 4):
        half = len(words) // 2
        return [" ".join(words[:half]), " ".join(words[half:])], " "
    if not characters or len(text) < 2:
        return None
    half = len(text) // 2
    while 1 < half < len(text) - 1 and unicodedata.combining(text[half]):
        half += 1  # never separate a mark from its letter
    return [text[:half], text[half:]], ""


def fit_parts(text: str, engine: Engine) -> tuple[list[str], list[str]]:
    """Parts of `text` whose prompt and output fit the context, and the separator that goes
    before each when they are joined back (sentence, then word, then character boundaries)."""
    budget = max(16, (engine.n_ctx - _PROMPT_OVERHEAD) // 4)
    parts, seps, todo = [], [], [(text, "")]
    while todo:
        piece, sep = todo.pop()
        halves = split_in_two(piece, characters=True) if engine.count_tokens(piece) > budget \
            else None
        if halves is None:
            parts.append(piece)
            seps.append(sep)
        else:
            (first, second), joint = halves
            todo += [(second, joint), (first, sep)]  # a stack: first half comes out first
    return parts, seps
