"""`llamax detect`: one record per input, or per line with --lines, in input order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, List, Optional

import typer

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import lines_of

if TYPE_CHECKING:
    from llamax_cli.lid.detect import Detection

_DETECT_SAMPLE = 10_000  # characters: plenty to tell a language, cheap on a whole book


def run_detect(files: list[str], text: Optional[str], *, lines: bool, hint: Optional[str]):
    """Yield one record per input (or per line with `lines`), in input order."""
    if text is not None and files:
        raise UsageError("give either FILES or --text, not both")
    # Loaded when the command runs, not for `llamax --help`: the detector loads numpy.
    from llamax_cli.cli.translate_job import TranslateJob, read_sources
    from llamax_cli.lid.detect import detect

    hint_code = languages.resolve(hint, option="hint language").code if hint else None
    sources, failed = read_sources(TranslateJob(files=files, text=text))
    several = len(sources) + len(failed) > 1  # a file that failed still makes them several
    for source in sources:
        label = source.label if several else None
        if lines:
            for number, line in enumerate(lines_of(source.text), start=1):
                yield _detect_record(detect(line, hint_code) if line.strip() else None, label, number)
        else:
            yield _detect_record(detect(source.text[:_DETECT_SAMPLE], hint_code), label, None)
    if failed:  # the others were answered; this run still failed
        raise LlamaxError("; ".join(failed))


def _detect_record(found: Optional[Detection], file: Optional[str], line: Optional[int]) -> dict:
    record: dict = {}
    if file is not None:
        record["file"] = file
    if line is not None:
        record["line"] = line
    if found is None or not found.reliable:
        record.update(code="und", name="unknown",
                      confidence=found.confidence if found else 0.0,
                      guess=found.language.code if found and found.language else None)
    else:
        record.update(code=found.language.code, name=found.language.name,
                      confidence=found.confidence)
    record["candidates"] = [{"code": c, "probability": p} for c, p in (found.candidates if found else ())]
    return record


def detect_line(record: dict) -> str:
    """The plain form: [file:][line:] code, name and confidence, tab-separated."""
    where = ":".join(str(record[k]) for k in ("file", "line") if k in record)
    fields = [record["code"], record["name"], f"{record['confidence']:.2f}"]
    return "\t".join(([where] if where else []) + fields)


def detect_command(
    files: List[str] = typer.Argument(None, metavar="FILES",
                                      help="Files to examine; '-' or nothing reads stdin."),
    text: Optional[str] = typer.Option(None, "-t", "--text", help="Examine this text."),
    lines: bool = typer.Option(False, "--lines", help="One result per input line."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines output."),
    hint: Optional[str] = typer.Option(None, "--hint",
                                       help="Likely language: tips the balance in close calls."),
) -> None:
    """Detect the language of text: code, name and confidence ('und' when unsure)."""
    for record in run_detect(files or [], text, lines=lines, hint=hint):
        typer.echo(json.dumps(record, ensure_ascii=False) if as_json
                   else detect_line(record))
