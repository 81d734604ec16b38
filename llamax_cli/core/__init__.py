"""Foundations every layer may use: errors and exit codes, cancellation, the 102-language
table, text input/output (encodings, atomic files), settings (flags, environment, config
file), signal handling and progress display.

May import: the standard library and third-party libraries only; nothing else from
llamax_cli.
"""
