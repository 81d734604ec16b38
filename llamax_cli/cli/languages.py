"""`llamax languages`: the 102 languages and their codes, as a table or JSON Lines."""

from __future__ import annotations

import json

import typer

from llamax_cli.core.languages import all_languages, native_name


def languages_command(as_json: bool = typer.Option(False, "--json", help="JSON Lines output.")) -> None:
    """List the 102 languages LLaMAX translates, with their codes."""
    # the detector loads numpy: only when the command runs
    from llamax_cli.lid.detect import detectable

    langs = all_languages()
    if as_json:
        for lang in langs:
            record = {**lang.__dict__, "native_name": native_name(lang),
                      "detectable": detectable(lang.code)}
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    # rich costs ~40-60 ms to import: only when something is drawn
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "name", "ISO 639-1", "ISO 639-3", "Flores-200", "BCP-47", "script",
                  "native", "detect", box=None)
    for lang in langs:
        table.add_row(lang.code, lang.name, lang.iso639_1 or "-", lang.iso639_3, lang.flores200,
                      lang.bcp47, lang.script, native_name(lang) or "-",
                      "yes" if detectable(lang.code) else "no")
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped: never truncate a column
    console.print(table)
