"""Formats llamax knows of but does not translate yet, refused rather than mangled.

Read as plain text, a gettext catalog has its msgids translated, an ASS subtitle file its
style lines, a JSON file its keys, a Python file its code (it no longer compiles). Until a
format has a module of its own (formats/registry.py), `--format auto` refuses a file that is
plainly one of these, by its extension or, for stdin and unknown extensions, by content that
cannot be anything else; `--format text` translates it as plain text all the same.

PENDING is data: the module that adds a format removes its entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from llamax_cli.core.errors import UsageError
from llamax_cli.formats import registry
from llamax_cli.formats.document import is_json_value


@dataclass(frozen=True)
class Pending:
    what: str  # the subject of "... not supported yet", with its verb
    extensions: tuple[str, ...] = ()
    sniff: Optional[Callable[[str], bool]] = None  # content that can only be this format
    advice: str = "use --format text to translate it as plain text"


def _starts(pattern: str, flags: int = 0) -> Callable[[str], bool]:
    regex = re.compile(pattern, flags)
    return lambda text: regex.match(text) is not None


def _json_document(text: str) -> bool:
    return is_json_value(text)


_CONVERT = "convert it to text, Markdown or HTML first (e.g. with pandoc)"  # not text at all
_CODE = (".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx", ".java", ".kt", ".kts",
         ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".swift",
         ".m", ".mm", ".scala", ".lua", ".pl", ".pm", ".r", ".jl", ".dart", ".sh", ".bash",
         ".zsh", ".fish", ".ps1", ".bat", ".sql", ".css", ".scss", ".sass", ".less", ".vue",
         ".svelte")

PENDING: dict[str, Pending] = {
    "ass": Pending("ASS/SSA subtitles are", (".ass", ".ssa"),
                   _starts(r"\[Script Info\][ \t]*\r?\n")),
    # JSON documents are translated by name (.json: i18next, .arb, .xcstrings); one whose
    # kind no name tells (stdin, an unknown extension) must be named.
    "json": Pending("JSON documents without a telling extension are", (), _json_document,
                    advice="name the format: --format json (i18next), arb or xcstrings, or "
                           "--format text to translate it as plain text"),
    "jsonl": Pending("JSON Lines files are", (".jsonl", ".ndjson")),
    "toml": Pending("TOML files are", (".toml",)),
    "csv": Pending("CSV and TSV tables are", (".csv", ".tsv")),
    "resx": Pending(".NET .resx files are", (".resx",)),
    "properties": Pending("Java .properties files are", (".properties",)),
    "stringsdict": Pending("Apple .stringsdict files are", (".stringsdict",)),
    "office": Pending("Office documents are", (".docx", ".pptx", ".xlsx", ".doc", ".ppt",
                                                ".xls", ".rtf"), advice=_CONVERT),
    "opendocument": Pending("OpenDocument files are", (".odt", ".odp", ".ods"), advice=_CONVERT),
    "epub": Pending("EPUB books are", (".epub",), advice=_CONVERT),
    "pdf": Pending("PDF files are", (".pdf",), advice=_CONVERT),
    "parquet": Pending("Parquet tables are", (".parquet",), advice=_CONVERT),
    "code": Pending("source code files are", _CODE,
                    _starts(r"#![ \t]*/\S")),  # a shebang
}


def pending_format(text: Optional[str], name: Optional[str]) -> Optional[Pending]:
    """The pending format `name` (by extension) or `text` (by content, when the extension
    says nothing) is plainly in, if any. `text` None: the extension alone."""
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in registry.extensions():  # a format we translate: content never second-guessed
        return None
    for pending in PENDING.values():
        if suffix and suffix in pending.extensions:
            return pending
    if text is None:
        return None
    for pending in PENDING.values():
        if pending.sniff is not None and pending.sniff(text):
            return pending
    return None


def refuse_pending(text: Optional[str], name: Optional[str], label: str) -> None:
    """A usage error (exit 2) for input in a format that is not supported yet."""
    pending = pending_format(text, name)
    if pending is not None:
        raise UsageError(f"{label}: {pending.what} not supported yet; {pending.advice}")
