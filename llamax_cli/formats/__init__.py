"""Documents: a text cut into translation units and the literal skeleton around them, and
put back together from the translations byte for byte.

- document.py: the model (`Unit`, `Document`), the `Builder` every format parses with, and
  `Format`, how a format declares itself;
- one module per format: text.py, markdown.py, srt.py, html.py, vtt.py, and the
  localization files po.py, xliff.py, android.py, yaml_locale.py, i18next.py, arb.py,
  apple_strings.py, xcstrings.py (each declares its name, extensions, content signature and,
  for localization files, its --out-dir layout and language codes as FORMAT, and parses text
  into a Document); their helpers: xmltext.py (exact spans of XML elements),
  android_values.py, yaml_scalars.py, jsonscan.py (exact spans of JSON strings), icu.py and
  icu_syntax.py (ICU MessageFormat), placeholders.py (what a message's translation must
  keep);
- registry.py: the list of formats, and everything derived from it (the --format choices,
  the server's file types, auto-detection); segment.py, the entry point the layers above use;
- what no format may lose: protected spans (spans.py), inline markup (markup.py), sentences
  of long lines (sentences.py); formats refused until supported (pending.py).

May import: llamax_cli.core, the standard library and third-party libraries.
"""
