"""Cutting a document into units: the names the layers above use, over formats/registry.py.

The document model lives in formats/document.py, each format in its own module (text,
markdown, srt, html, vtt), and the list of formats in formats/registry.py.
"""

from __future__ import annotations

from llamax_cli.formats import registry
from llamax_cli.formats.document import LONG_LINE, CatalogOptions, Document, Unit
from llamax_cli.formats.sentences import split_sentences
from llamax_cli.formats.text import segment_text

__all__ = ["LONG_LINE", "CatalogOptions", "Document", "Unit", "detect_format", "segment",
           "segment_text", "split_sentences"]


def detect_format(text: str, name: str | None = None) -> str:
    """The format's name: by the extension of `name`, then by content."""
    return registry.detect(text, name)


def segment(text: str, fmt: str = "auto", name: str | None = None,
            catalog: CatalogOptions | None = None) -> Document:
    """`text` as a Document of format `fmt` ("auto": by `name`'s extension, then content);
    `catalog`: --overwrite and --no-fuzzy for localization files."""
    return registry.parse(text, fmt, name, catalog)
