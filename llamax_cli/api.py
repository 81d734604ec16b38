"""llamax as a Python library: the few names a program needs.

    from llamax_cli import open_translator, translate_text, detect

    with open_translator("model.gguf") as translator:     # or a registry name; None: default
        print(translate_text("Good morning, my friend.", to="fr", translator=translator))
    print(detect("Habari za asubuhi").language.code)        # "sw"

Settings not given here come from the environment and the config file, as for the CLI
(`LLAMAX_PARALLEL`, `llamax config set ctx 4096`, ...). A Translator is safe to share between
threads: every caller's units join one continuous batch.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from llamax_cli.core import config, languages
from llamax_cli.models.factory import model_identity, open_engine
from llamax_cli.service.pipeline import Options
from llamax_cli.service.recall import open_memory
from llamax_cli.service.translator import TextTranslation, Translator


def open_translator(model: Optional[str] = None, *, download: bool = False,
                    memory: Union[bool, str] = False, **settings: Any) -> Translator:
    """A Translator on `model` (a GGUF path, a registry name[:quant], or None for the
    configured default), its engine loaded once. `download` fetches a missing registry model
    from the hub. `memory`: True uses the translation memory of the CLI and the server (the
    `memory` setting's file), a path a memory file of one's own, False (the default for a
    program) none. `settings`: any of config.ENGINE_SETTINGS (ctx, parallel, beams, ...), as
    the CLI's flags of the same names. Close it when done (or use it in a `with` block)."""
    resolved = config.engine_settings(**settings)  # a TypeError names an unknown keyword
    ref = model or config.value("model")
    engine = open_engine(ref, resolved, yes=download)
    if memory is False:
        return Translator(engine)
    chosen = config.value("memory") if memory is True else memory
    return Translator(engine, memory=open_memory(chosen, lambda message: None),
                      identity=model_identity(ref, resolved))


def translate_text(text: str, to: str, *, source: Optional[str] = None,
                   translator: Optional[Translator] = None, fmt: str = "text",
                   max_tokens: Optional[int] = None) -> str:
    """`text` translated into `to` (any spelling `--to` takes); `source` None detects it;
    `fmt` "text" or "html"; `max_tokens` caps each unit (None: sized from its source).
    Without a `translator`, one is opened on the default model for this call and closed."""
    return translation(text, to, source=source, translator=translator, fmt=fmt,
                       max_tokens=max_tokens).text


def translation(text: str, to: str, *, source: Optional[str] = None,
                translator: Optional[Translator] = None, fmt: str = "text",
                max_tokens: Optional[int] = None) -> TextTranslation:
    """As translate_text, with the details: the source language (and its detection), and
    each unit's result (status, score, alternatives)."""
    tgt = languages.resolve(to, option="target")
    src = None if source in (None, "auto") else languages.resolve(source, option="source")
    options = Options(max_tokens=max_tokens,
                      check_language=config.value("check_language") is not False)
    if translator is not None:
        return translator.translate_text(text, src, tgt, fmt=fmt, options=options)
    with open_translator() as own:
        return own.translate_text(text, src, tgt, fmt=fmt, options=options)


def detect(text: str, hint: Optional[str] = None):
    """The language of `text`: a Detection with `language` (None when there is nothing to
    go by), a calibrated `confidence` (0-1) and the `candidates`, best first."""
    return Translator.detect(text, hint=hint)
