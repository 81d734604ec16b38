"""llamax-cli: translate text in 102 languages with LLaMAX models, locally.

As a library (llamax_cli/api.py): `open_translator`, `translate_text`, `translation`, `detect`
and `Translator`. They load on first use, so `llamax --help` stays fast.
"""

__version__ = "0.1.0"

__all__ = ["Translator", "detect", "open_translator", "translate_text", "translation"]


def __getattr__(name: str):  # PEP 562: the library face loads when first asked for
    if name in __all__:
        import importlib

        return getattr(importlib.import_module("llamax_cli.api"), name)
    raise AttributeError(f"module 'llamax_cli' has no attribute {name!r}")
