"""The translation service: `Translator` (translator.py, the one entry point for the CLI,
the server, `eval` and the library), the pipeline that runs a document's units through an
engine (pipeline.py, parts.py, options.py), the prompt, the checks on each answer (guards,
verdict, language_check), glossaries, alternatives, source-language choice and evaluation.

May import: llamax_cli.core, llamax_cli.lid, llamax_cli.formats, llamax_cli.engine,
llamax_cli.models, third-party libraries.
"""
