"""The formats llamax translates, listed once: the CLI's `--format` choices, the server's
`format` and /translate_file types, auto-detection and the extensions formats/pending.py
leaves alone all come from FORMATS.

Adding a format is writing its module in this package: parse text into a Document with
document.Builder, and declare FORMAT = document.Format(...). The registry finds it there;
nothing else is edited (pending.py leaves alone whatever a format claims).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Optional

import llamax_cli.formats
from llamax_cli.formats.document import CatalogOptions, Document, Format


def _discover() -> tuple[Format, ...]:
    """The FORMAT of every module of this package that declares one, by rank."""
    found = []
    for info in pkgutil.iter_modules(llamax_cli.formats.__path__):
        module = importlib.import_module(f"llamax_cli.formats.{info.name}")
        if isinstance(getattr(module, "FORMAT", None), Format):
            found.append(module.FORMAT)
    return tuple(sorted(found, key=lambda fmt: (fmt.rank, fmt.name)))


# In the order users see them (--help, errors); auto-detection asks their signatures in this
# order, then their signs. Everything below is derived from FORMATS on each call (a handful of
# entries: nothing worth caching), so a format added to the package is everywhere at once.
FORMATS: tuple[Format, ...] = _discover()
AUTO = "auto"  # by extension, then by content
DEFAULT = "text"  # what a document is when nothing else fits


def names() -> tuple[str, ...]:
    """The choices of --format and of the server's `format`: "auto", then every format."""
    return (AUTO, *(fmt.name for fmt in FORMATS))


def by_name(name: str) -> Format:
    """The format called `name` ("auto" is not one: see detect)."""
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"unknown format {name!r}; choose one of {', '.join(names())}")


def by_extension(name: Optional[str]) -> Optional[Format]:
    """The format a file name's extension says (case-insensitive), if any."""
    suffix = Path(name).suffix.lower() if name else ""
    return next((fmt for fmt in FORMATS if suffix and suffix in fmt.extensions), None)


def extensions() -> frozenset[str]:
    """Every extension some format claims (with the dot, lower case)."""
    return frozenset(ext for fmt in FORMATS for ext in fmt.extensions)


def file_extensions() -> tuple[str, ...]:
    """The extensions the server accepts on /translate_file, in registry order."""
    return tuple(ext for fmt in FORMATS for ext in fmt.uploads)


def detect(text: str, name: Optional[str] = None) -> str:
    """The format of a document: by the extension of `name`, else by a signature its content
    starts with, else by signs in it, else DEFAULT."""
    by_suffix = by_extension(name)
    if by_suffix is not None:
        return by_suffix.name
    for fmt in FORMATS:
        if fmt.signature is not None and fmt.signature(text):
            return fmt.name
    for fmt in FORMATS:
        if fmt.signs is not None and fmt.signs(text):
            return fmt.name
    return DEFAULT


def parse(text: str, fmt: str = AUTO, name: Optional[str] = None,
          catalog: Optional[CatalogOptions] = None) -> Document:
    """`text` as a Document of format `fmt` ("auto": detect(text, name)); `catalog`: how a
    localization file's existing translations are treated (None: the defaults)."""
    chosen = by_name(detect(text, name) if fmt == AUTO else fmt)
    if chosen.catalog:
        return chosen.parse(text, catalog or CatalogOptions())
    return chosen.parse(text)
