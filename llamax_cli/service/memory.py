"""The translation memory: finished units in one SQLite file (WAL), so that no run pays twice.

One `Memory` serves every thread of a process; several processes may write one file at once.
Puts are committed in batches (64 entries or 1 s): kill -9 loses at most the last second and
corrupts nothing. The memory never fails a translation: a file it cannot use gives one note
and the run goes on without it; one it may not write serves lookups only; a failed write (a
full disk) gives one note, then nothing more is stored. Imported entries (from TMX: reviewed
work) serve every model and setting and win over machine translations.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from platformdirs import user_cache_dir

from llamax_cli.core.errors import LlamaxError

IMPORTED = "import"  # the context of imported entries
BATCH = 64  # entries per commit at most ...
INTERVAL_S = 1.0  # ... or this long since the last commit, whichever comes first
BUSY_TIMEOUT_S = 5.0  # how long one attempt waits for another process's write lock
WRITE_ATTEMPTS = 6  # attempts before a batch is given up as "locked for too long"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x6C6C6D78  # "llmx": marks the file as ours (PRAGMA application_id)

# The connection class; a test swaps in one whose writes fail as on a full disk.
Connection = sqlite3.Connection
_SURROGATE = re.compile("[\ud800-\udfff]")

# The key holds sha256(source), not the text: the index stays small however long the units
# are (the text is stored beside it, and compared on every hit).
_SCHEMA = """
CREATE TABLE entries (
    context TEXT NOT NULL, src TEXT NOT NULL, tgt TEXT NOT NULL, digest BLOB NOT NULL,
    source TEXT NOT NULL, translation TEXT NOT NULL, status TEXT NOT NULL, score REAL,
    alternatives TEXT, created REAL NOT NULL, origin TEXT NOT NULL,
    PRIMARY KEY (context, src, tgt, digest))"""
# A unit that needs a look never replaces a good one of the same key.
UPSERT = """
INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (context, src, tgt, digest) DO UPDATE SET """ + ", ".join(
    f"{c} = excluded.{c}" for c in ("source", "translation", "status", "score", "alternatives",
                                    "created", "origin")) + """
WHERE excluded.status = 'ok' OR entries.status <> 'ok'"""
# One query answers a block of units (LOOKUP_BLOCK digests): a lookup per unit would make a
# 100k-line document fully in the memory cost seconds of per-statement overhead.
_LOOKUP = """
SELECT context, source, translation, status, score, alternatives, created, origin, digest
FROM entries WHERE context IN (?, ?) AND src = ? AND tgt = ? AND status = 'ok'
AND digest IN ({marks})"""
LOOKUP_BLOCK = 500


@dataclass(frozen=True)
class Hit:
    translation: str
    status: str  # always "ok": stored units of any other status are never returned
    score: float | None
    alternatives: list[tuple[str, float]]
    created: float  # unix time
    origin: str  # "mt" (made by llamax) | "import" (from a TMX file: a reviewed translation)


def default_path() -> Path:
    """The memory of a user who names no other: in the user cache folder."""
    return Path(user_cache_dir("llamax", appauthor=False)) / "memory.sqlite3"


class _Off(Exception):  # the memory file cannot be used at all; the message says why
    pass


def digest_of(source: str) -> bytes:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).digest()


def _storable(*texts: str) -> bool:
    """False for text SQLite cannot hold (lone surrogates, from undecodable input)."""
    return not any(_SURROGATE.search(text) for text in texts)


def reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return "it is not a translation memory (not an SQLite database, or damaged)"
    if "locked" in text or "busy" in text:
        return "another process kept it locked for too long"
    return text


def _busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _hit(row: tuple) -> Hit:
    _, _, translation, status, score, alternatives, created, origin = row
    alts = [(text, float(value)) for text, value in json.loads(alternatives)] if alternatives else []
    return Hit(translation, status, score, alts, created, origin)


class Memory:
    """A translation memory in one SQLite file (WAL). Thread-safe: one instance is shared by
    every thread of a process."""

    def __init__(self, path: Path, *, note: Callable[[str], None] = lambda m: None,
                 read_only: bool = False):
        self.path = Path(path)
        self.note = note  # one line to the user (the CLI's warn)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._writable = False
        self._pending: dict[tuple, tuple] = {}
        self._last_commit = time.monotonic()
        self.problem: str | None = None  # why the memory is off, or read-only; None: neither
        try:
            self._open(read_only)
        except _Off as off:
            self._give_up(str(off))

    def _give_up(self, why: str) -> None:
        self._close_connection()
        self.problem = why
        self.note(f"translation memory {self.path}: {why}; running without it")

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    @property
    def writable(self) -> bool:
        return self._writable

    # -- opening ----------------------------------------------------------------------------

    def _open(self, read_only: bool) -> None:
        path = self.path
        if path.is_dir():
            raise _Off("it is a folder")
        if path.exists() and not os.access(path, os.R_OK):
            raise _Off("cannot read it (permission denied)")
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _Off(f"cannot create its folder ({exc.strerror or exc})") from None
        refusal = "opened read-only" if read_only else \
            "the file is read-only" if path.exists() and not os.access(path, os.W_OK) else \
            "its folder is read-only" if not os.access(path.parent, os.W_OK) else None
        try:
            if refusal is None:
                self._open_for_writing()
                return
            if not self.path.exists():
                raise _Off("it does not exist" if read_only else f"cannot create it ({refusal})")
            self._conn = self.reader()
        except sqlite3.Error as exc:
            raise _Off(reason(exc)) from None
        if not read_only:
            self.problem = f"used for lookups only: {refusal}"
            self.note(f"translation memory {self.path}: {refusal}; used for lookups only, "
                       f"nothing new is stored")

    def _connect(self, target: str, uri: bool = False) -> sqlite3.Connection:
        return sqlite3.connect(target, uri=uri, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False, factory=Connection)

    def _open_for_writing(self) -> None:
        try:  # created 0600 whatever the umask: the memory holds the user's texts
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            os.fchmod(fd, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise _Off(f"cannot create it ({exc.strerror or exc})") from None
        self._conn = self._connect(str(self.path))
        for attempt in range(WRITE_ATTEMPTS):
            try:  # another program's database is left as it is: no WAL switch either
                self._check_schema(self._conn, fresh_ok=True)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable on kill -9
                self._transaction(self._prepare_schema)
                break
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                    raise
        self._writable = True

    def _prepare_schema(self, conn: sqlite3.Connection) -> None:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return self._check_schema(conn)
        conn.execute(_SCHEMA)
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _check_schema(self, conn: sqlite3.Connection, fresh_ok: bool = False) -> None:
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            if fresh_ok and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                return  # a new, empty file
            raise _Off("it is an SQLite database, but no llamax translation memory")
        if conn.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_VERSION:
            raise _Off("it was written by a newer llamax")

    def reader(self) -> sqlite3.Connection:
        """A reading connection; where the folder forbids WAL's shared-memory file, the file
        is read as immutable (nothing is written next to it)."""
        uri = self.path.absolute().as_uri() + "?mode=ro"
        conn = self._connect(uri, uri=True)
        try:
            self._check_schema(conn)
            return conn
        except sqlite3.OperationalError:  # "unable to open", "attempt to write a readonly ..."
            conn.close()
        conn = self._connect(uri + "&immutable=1", uri=True)
        self._check_schema(conn)
        return conn

    def _transaction(self, work: Callable[[sqlite3.Connection], object]) -> object:
        """Run `work` in one write transaction, waiting for other writers, then retrying."""
        conn = self._conn
        for attempt in range(WRITE_ATTEMPTS):
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _busy(exc) and attempt < WRITE_ATTEMPTS - 1:
                    continue
                raise
            try:
                result = work(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        raise sqlite3.OperationalError("database is locked")  # not reached

    def put(self, context: str, src: str, tgt: str, source: str, translation: str,
            status: str, score=None, alternatives=()) -> None:
        """Store a unit (buffered: committed by 64 entries or each second, and by flush)."""
        if not self._writable or not _storable(context, source, translation,
                                                 *(text for text, _ in alternatives)):
            return
        alts = json.dumps([[text, float(value)] for text, value in alternatives],  # numpy's too
                          ensure_ascii=False) if alternatives else None
        origin = "import" if context == IMPORTED else "mt"
        key = (context, src, tgt, digest_of(source))
        score = None if score is None else float(score)
        row = (*key, source, translation, status, score, alts, time.time(), origin)
        with self._lock:
            held = self._pending.get(key)
            if held is None or status == "ok" or held[6] != "ok":
                self._pending[key] = row
            if len(self._pending) >= BATCH or time.monotonic() - self._last_commit >= INTERVAL_S:
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:  # commit what put() has buffered
            self._flush_locked()

    def _flush_locked(self) -> None:
        rows = list(self._pending.values())
        self._pending.clear()
        self._last_commit = time.monotonic()
        if not rows or not self._writable:
            return
        try:
            self._transaction(lambda conn: conn.executemany(UPSERT, rows))
        except sqlite3.Error as exc:
            self._writable = False
            self.problem = f"cannot write: {reason(exc)}"
            self.note(f"translation memory {self.path}: cannot write ({reason(exc)}); "
                       f"the rest of this run is not stored")
            if not isinstance(exc, sqlite3.OperationalError):  # damaged: reads fail too
                self._close_connection()

    def close(self) -> None:
        """Flush and close; idempotent."""
        with self._lock:
            if self._conn is not None:
                self._flush_locked()
            self._close_connection()

    def _close_connection(self) -> None:
        conn, self._conn, self._writable = self._conn, None, False
        if conn is not None:
            with suppress(sqlite3.Error):  # a damaged file: there is nothing left to save
                conn.close()

    def lookup(self, context: str, src: str, tgt: str, source: str) -> Hit | None:
        """The stored translation of `source` (status ok): an imported one for the pair if
        there is one, else this context's own; None when there is none."""
        return self.lookup_many(context, src, tgt, [source])[0]

    def lookup_many(self, context: str, src: str, tgt: str,
                    sources: list[str]) -> list[Hit | None]:
        """`lookup` for each of `sources`, in a query per LOOKUP_BLOCK of them."""
        digests = [digest_of(source) for source in sources]
        with self._lock:
            if self._conn is None:
                return [None] * len(sources)
            rows: dict[tuple, tuple] = {}
            unique = list(dict.fromkeys(digests))
            try:
                for at in range(0, len(unique), LOOKUP_BLOCK):
                    block = unique[at:at + LOOKUP_BLOCK]
                    query = _LOOKUP.format(marks=", ".join("?" * len(block)))
                    for row in self._conn.execute(query, (IMPORTED, context, src, tgt, *block)):
                        rows[row[0], row[8]] = row[:8]
            except sqlite3.Error as exc:
                self._give_up(reason(exc))
                return [None] * len(sources)
            return [self._best(rows, (context, src, tgt, digest), source)
                    for source, digest in zip(sources, digests)]

    def _best(self, rows: dict, key: tuple, source: str) -> Hit | None:
        """Imported first; within a context, what is buffered is newer than what is stored.
        The text is compared too: the digest only finds the row."""
        for context in (IMPORTED, key[0]):
            full = (context,) + key[1:]
            held = self._pending.get(full)
            if held is not None and held[6] == "ok" and held[4] == source:
                return _hit(held[:1] + held[4:6] + held[6:])
            found = rows.get((context, key[3]))
            if found is not None and found[1] == source:
                return _hit(found)
        return None

    # -- management (llamax memory ...) -----------------------------------------------------

    def command(self, work: Callable[[sqlite3.Connection], object], writing: bool = False):
        """work(connection), in a write transaction if `writing`; else a one-line LlamaxError."""
        with self._lock:
            if self._conn is None or (writing and not self._writable):
                why = self.problem or ("closed" if self._conn is None else "opened read-only")
                raise LlamaxError(f"translation memory {self.path}: {why}")
            self._flush_locked()
            try:
                return self._transaction(work) if writing else work(self._conn)
            except sqlite3.Error as exc:
                raise LlamaxError(f"translation memory {self.path}: {reason(exc)}") from None

    def stats(self) -> dict:
        """path, entries, imported, pairs [{from, to, entries}], bytes, oldest, newest."""
        def read(conn):
            totals = conn.execute("SELECT count(*), count(*) FILTER (WHERE origin = 'import'), "
                                  "min(created), max(created) FROM entries").fetchone()
            pairs = conn.execute("SELECT src, tgt, count(*) FROM entries GROUP BY src, tgt "
                                 "ORDER BY count(*) DESC, src, tgt").fetchall()
            return totals, pairs

        (entries, imported, oldest, newest), pairs = self.command(read)
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return {"path": str(self.path), "entries": entries, "imported": imported,
                "pairs": [{"from": s, "to": t, "entries": n} for s, t, n in pairs],
                "bytes": size, "oldest": oldest, "newest": newest}

    def clear(self, older_than: float | None = None) -> int:
        """Remove every entry (or those stored more than `older_than` seconds ago), then
        give the space back (VACUUM). Returns how many were removed."""
        if older_than is not None and older_than < 0:
            raise ValueError("older_than must be >= 0")
        cutoff = float("inf") if older_than is None else time.time() - older_than
        removed = self.command(
            lambda c: c.execute("DELETE FROM entries WHERE created < ?", (cutoff,)).rowcount, True)
        with self._lock:
            try:
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:  # the entries are gone; only the space is not back
                self.note(f"translation memory {self.path}: could not compact it ({reason(exc)})")
        return removed
