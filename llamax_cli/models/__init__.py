"""Which model runs: the registry of known models (models.toml), downloads from the
Hugging Face hub, and `factory`, which turns a model reference and settings into a started
engine (local llama.cpp or a remote OpenAI-compatible server). Asking the user before a
download is the caller's business: `factory` takes an `ask` callback.

May import: llamax_cli.core, llamax_cli.engine, third-party libraries.
"""
