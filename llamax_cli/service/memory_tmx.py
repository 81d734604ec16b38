"""The translation memory to and from TMX files (`llamax memory export | import`).

Export writes every good entry once per source and language pair: the one a lookup would
prefer (imported, else the newest). Import stores a CAT tool's pairs as reviewed
translations: they serve every model and setting and win over machine ones.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Iterator

from llamax_cli.core.errors import LlamaxError
from llamax_cli.service import tmx
from llamax_cli.service.memory import IMPORTED, UPSERT, Memory, digest_of, reason


def _export_pairs(memory: Memory) -> Iterator[tmx.Pair]:
    """Read on a connection of its own, so that the memory's other users are not held up."""
    conn = memory.reader()
    try:
        yield from tmx.first_of_each(conn.execute(
            "SELECT src, tgt, digest, source, translation, created FROM entries WHERE "
            "status = 'ok' ORDER BY src, tgt, digest, origin = 'import' DESC, created DESC"))
    finally:
        conn.close()


def export_tmx(memory: Memory, out: Path) -> int:
    """Write every good entry to `out` as TMX 1.4b (atomically). Returns the units written."""
    memory.command(lambda conn: None)  # usable, and what is buffered is stored
    try:
        return tmx.write_tmx(Path(out), _export_pairs(memory), note=memory.note)
    except sqlite3.Error as exc:
        raise LlamaxError(f"translation memory {memory.path}: {reason(exc)}") from None


def import_tmx(memory: Memory, path: Path) -> int:
    """Store a TMX file's pairs as reviewed translations, for every model and setting; all or
    nothing. Returns the entries stored (one per source and pair: the file's last)."""
    report, now = tmx.read_tmx(Path(path)), time.time()
    rows = {(IMPORTED, p.src, p.tgt, digest_of(p.source)): (p.source, p.translation)
            for p in report.pairs}
    rows = [(*key, *texts, "ok", None, None, now, "import") for key, texts in rows.items()]
    memory.command(lambda conn: conn.executemany(UPSERT, rows), True)
    if report.summary():
        memory.note(f"{path}: left out {report.summary()}")
    return len(rows)
