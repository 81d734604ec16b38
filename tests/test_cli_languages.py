"""cli/languages.py: `llamax languages --json` through the real CLI, record by record against
core/languages.py, and the table it prints when piped (tests/test_cli_detect.py checks a few
languages and the table's words)."""

from __future__ import annotations

import dataclasses
import io
import json
import sys

from llamax_cli.cli.languages import languages_command
from llamax_cli.core.languages import Language, all_languages, native_name
from llamax_cli.lid.detect import detectable

FIELDS = [f.name for f in dataclasses.fields(Language)] + ["native_name", "detectable"]


def test_json_lines_are_the_102_languages_in_order_with_every_field(llamax):
    proc = llamax("languages", "--json")
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 102
    records = [json.loads(line) for line in lines]
    assert all(list(record) == FIELDS for record in records)
    for record, lang in zip(records, all_languages()):
        assert record == {**dataclasses.asdict(lang), "native_name": native_name(lang),
                          "detectable": detectable(lang.code)}
    assert "አማርኛ" in proc.stdout.decode()  # native names as they are, not \\u escapes


def test_the_table_has_a_header_and_a_row_per_language_never_truncated(monkeypatch):
    # In-process (a second CLI start costs seconds), into a pipe-like stdout.
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", piped)
    languages_command(as_json=False)
    header, *rows = piped.getvalue().strip("\n").splitlines()
    assert header.split() == ["code", "name", "ISO", "639-1", "ISO", "639-3", "Flores-200",
                              "BCP-47", "script", "native", "detect"]
    assert len(rows) == 102
    for row, lang in zip(rows, all_languages()):
        cells = row.split()
        assert cells[0] == lang.code and lang.flores200 in cells, row
        assert cells[-1] == ("yes" if detectable(lang.code) else "no"), row
        assert "…" not in row  # piped: the table is wide enough for every column
