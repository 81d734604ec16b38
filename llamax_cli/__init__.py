"""llamax-cli: translate text in 102 languages with LLaMAX models, locally.

As a library (llamax_cli/api.py): `open_translator`, `translate_text`, `translation`, `detect`
and `Translator`. They load on first use, so `llamax --help` stays fast.

The package is built in layers; a module may import its own layer and the layers before it
in LAYERS, never one after it (tests/test_structure.py checks this, and that there are no
import circles). `api.py` and `__main__.py` sit on top of them all.
"""

import importlib

__version__ = "0.1.0"

LAYERS = ("core", "lid", "formats", "engine", "models", "service", "server", "cli")

__all__ = ["Translator", "detect", "open_translator", "translate_text", "translation"]


def __getattr__(name: str):  # PEP 562: the library face loads when first asked for
    if name in __all__:
        return getattr(importlib.import_module("llamax_cli.api"), name)
    raise AttributeError(f"module 'llamax_cli' has no attribute {name!r}")
