"""service/memory.py: the translation memory as its users see it (lookups, puts, batches),
and as it must hold up: 0600 files, broken or forbidden files, a full disk, threads, two
processes writing at once, kill -9 while writing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.service import memory
from llamax_cli.service.memory import IMPORTED, Memory, default_path
from llamax_cli.service.memory_tmx import import_tmx

DATA = Path(__file__).parent / "data"
OMEGAT = DATA / "omegat-calc-guide-preface.pt-BR.tmx"


@pytest.fixture
def notes():
    return []


@pytest.fixture
def mem(tmp_path, notes):
    opened = Memory(tmp_path / "memory.sqlite3", note=notes.append)
    yield opened
    opened.close()


def committed(path: Path) -> int:
    """Entries in the file, as another reader sees them."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# -- lookups and puts -------------------------------------------------------------------------

def test_a_put_is_found_before_and_after_its_commit(mem, tmp_path, notes):
    mem.put("ctx", "en", "fr", "Hello", "Bonjour", "ok", 0.5, [("Salut", 0.25)])
    before = mem.lookup("ctx", "en", "fr", "Hello")
    assert committed(mem.path) == 0  # buffered, and already served
    mem.flush()
    assert committed(mem.path) == 1
    after = mem.lookup("ctx", "en", "fr", "Hello")
    assert before == after
    assert (after.translation, after.status, after.score, after.alternatives, after.origin) == \
        ("Bonjour", "ok", 0.5, [("Salut", 0.25)], "mt")
    assert mem.lookup("other-ctx", "en", "fr", "Hello") is None
    assert mem.lookup("ctx", "en", "de", "Hello") is None
    assert mem.lookup("ctx", "en", "fr", "Hello ") is None  # exact source text
    assert notes == []


def test_numpy_scores_are_stored_as_floats(mem):
    np = pytest.importorskip("numpy")
    mem.put("ctx", "en", "fr", "n", "m", "ok", np.float32(0.5), [("o", np.float32(0.25))])
    mem.flush()
    hit = mem.lookup("ctx", "en", "fr", "n")
    assert (hit.score, hit.alternatives) == (0.5, [("o", 0.25)]) and mem.writable


def test_units_that_need_a_look_are_stored_but_never_served(mem):
    mem.put("ctx", "en", "fr", "A", "A?", "truncated")
    assert mem.lookup("ctx", "en", "fr", "A") is None
    mem.flush()
    assert committed(mem.path) == 1 and mem.lookup("ctx", "en", "fr", "A") is None
    mem.put("ctx", "en", "fr", "A", "Un A", "ok")
    mem.put("ctx", "en", "fr", "A", "A??", "wrong-language")  # buffered: keeps the good one
    mem.flush()
    mem.put("ctx", "en", "fr", "A", "A???", "degenerate")  # stored: does not replace it
    mem.flush()
    assert mem.lookup("ctx", "en", "fr", "A").translation == "Un A"


def test_imported_entries_serve_every_context_and_win_over_machine_ones(mem):
    mem.put("model-a", "en", "fr", "Save", "Sauver", "ok")
    mem.flush()
    mem.put(IMPORTED, "en", "fr", "Save", "Enregistrer", "ok")
    mem.put("model-a", "en", "fr", "Save", "Sauvegarder", "ok")  # fresh, buffered: still loses
    for context in ("model-a", "model-b"):
        hit = mem.lookup(context, "en", "fr", "Save")
        assert (hit.translation, hit.origin) == ("Enregistrer", "import")
    mem.flush()
    assert mem.lookup("model-a", "en", "fr", "Save").translation == "Enregistrer"
    assert mem.stats()["imported"] == 1


def test_lookup_many_answers_each_source_in_order_by_blocks(mem, monkeypatch):
    monkeypatch.setattr(memory, "LOOKUP_BLOCK", 3)  # several blocks, and a short last one
    for n in range(0, 10, 2):
        mem.put("ctx", "en", "fr", f"s{n}", f"t{n}", "ok")
    mem.flush()
    mem.put("ctx", "en", "fr", "s1", "t1 (buffered)", "ok")
    mem.put(IMPORTED, "en", "fr", "s4", "t4 (reviewed)", "ok")
    mem.put("ctx", "en", "fr", "s3", "t3", "truncated")
    sources = [f"s{n}" for n in range(10)] + ["s0", "nowhere"]  # a repeat, a miss
    hits = mem.lookup_many("ctx", "en", "fr", sources)
    assert [h and h.translation for h in hits] == [
        "t0", "t1 (buffered)", "t2", None, "t4 (reviewed)", None, "t6", None, "t8", None,
        "t0", None]
    assert hits == [mem.lookup("ctx", "en", "fr", s) for s in sources]
    assert mem.lookup_many("ctx", "en", "fr", []) == []


def test_commits_come_by_batches_of_64_or_each_interval(mem, monkeypatch):
    monkeypatch.setattr(memory, "INTERVAL_S", 3600.0)
    for i in range(63):
        mem.put("ctx", "en", "fr", f"s{i}", f"t{i}", "ok")
    assert committed(mem.path) == 0
    mem.put("ctx", "en", "fr", "s63", "t63", "ok")
    assert committed(mem.path) == 64
    monkeypatch.setattr(memory, "INTERVAL_S", 0.0)  # "a second has passed" at the next put
    mem.put("ctx", "en", "fr", "late", "tard", "ok")
    assert committed(mem.path) == 65


def test_close_commits_and_is_idempotent(tmp_path):
    path = tmp_path / "m.sqlite3"
    opened = Memory(path)
    opened.put("ctx", "en", "fr", "x", "y", "ok")
    opened.close()
    opened.close()
    assert committed(path) == 1
    assert not opened.enabled and opened.lookup("ctx", "en", "fr", "x") is None
    opened.put("ctx", "en", "fr", "z", "w", "ok")  # after close: dropped, no error
    assert committed(path) == 1


def test_long_and_odd_texts_are_keys_like_any_other(mem):
    long = "word " * 40_000
    odd = "nul\x00 emoji 🙂 rtl שלום"
    undecodable = "surrogate-escaped \udcff"  # UTF-8 cannot hold it: not stored, no error
    mem.put("ctx", "en", "fr", long, "mot " * 40_000, "ok")
    mem.put("ctx", "en", "fr", odd, "bizarre", "ok")
    mem.put("ctx", "en", "fr", undecodable, "x", "ok")
    mem.put("ctx", "en", "fr", "fine", undecodable, "ok")
    mem.put("ctx", "en", "fr", "alts", "y", "ok", 0.1, [(undecodable, 0.1)])
    mem.flush()
    assert mem.lookup("ctx", "en", "fr", long).translation == "mot " * 40_000
    assert mem.lookup("ctx", "en", "fr", odd).translation == "bizarre"
    assert [mem.lookup("ctx", "en", "fr", s) for s in (undecodable, "fine", "alts")] == [None] * 3
    assert committed(mem.path) == 2 and mem.writable


def test_default_path_is_in_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if sys.platform.startswith("linux"):
        assert default_path() == tmp_path / "cache" / "llamax" / "memory.sqlite3"
    assert default_path().name == "memory.sqlite3"


# -- the file -------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_the_file_and_its_companions_are_0600_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = tmp_path / "new" / "folder" / "m.sqlite3"
        opened = Memory(path)
        opened.put("ctx", "en", "fr", "secret", "secret", "ok")
        opened.flush()
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
        opened.close()
    finally:
        os.umask(old)
    assert opened.writable is False and modes["m.sqlite3"] == 0o600
    assert modes == {name: 0o600 for name in modes}, modes  # -wal and -shm too
    assert {"m.sqlite3-wal", "m.sqlite3-shm"} <= set(modes)


def test_a_corrupt_file_gives_one_note_and_is_left_alone(tmp_path, notes):
    path = tmp_path / "m.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    opened = Memory(path, note=notes.append)
    assert not opened.enabled and not opened.writable
    assert opened.lookup("ctx", "en", "fr", "x") is None
    opened.put("ctx", "en", "fr", "x", "y", "ok")
    opened.flush()
    opened.close()
    assert len(notes) == 1 and str(path) in notes[0] and "not a translation memory" in notes[0]
    assert path.read_bytes() == garbage
    with pytest.raises(LlamaxError, match="not a translation memory"):
        opened.stats()


def test_a_folder_in_its_place_gives_one_note(tmp_path, notes):
    opened = Memory(tmp_path, note=notes.append)
    assert not opened.enabled and opened.lookup("c", "en", "fr", "x") is None
    assert notes == [f"translation memory {tmp_path}: it is a folder; running without it"]


def test_another_programs_database_is_not_touched(tmp_path, notes):
    path = tmp_path / "theirs.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE accounts (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    opened = Memory(path, note=notes.append)
    assert not opened.enabled and len(notes) == 1 and "no llamax translation memory" in notes[0]
    assert path.read_bytes() == before


def test_a_parent_that_is_a_file_gives_one_note(tmp_path, notes):
    (tmp_path / "file").write_text("x")
    opened = Memory(tmp_path / "file" / "m.sqlite3", note=notes.append)
    assert not opened.enabled and len(notes) == 1 and "cannot create its folder" in notes[0]


# -- permissions: as a user without rights (root runs it in a user namespace, where it
# keeps no power over files that are not its own) --------------------------------------------

UNPRIVILEGED = """
import json, sys
from pathlib import Path
from llamax_cli.service.memory import Memory
notes = []
m = Memory(Path(sys.argv[1]), note=notes.append)
state = {"enabled": m.enabled, "writable": m.writable}
hit = m.lookup("ctx", "en", "fr", "Hello")
m.put("ctx", "en", "fr", "New", "Nouveau", "ok")
m.flush()
new = m.lookup("ctx", "en", "fr", "New")
m.close()
print(json.dumps({**state, "notes": notes, "hit": hit and hit.translation,
                  "new": new and new.translation}))
"""


def run_unprivileged(path: Path) -> dict:
    command = [sys.executable, "-c", UNPRIVILEGED, str(path)]
    if os.geteuid() == 0:
        probe = subprocess.run(["unshare", "--user", "true"], capture_output=True) \
            if Path("/usr/bin/unshare").exists() else None
        if probe is None or probe.returncode != 0:
            pytest.skip("running as root without user namespaces: permissions do not apply")
        command = ["unshare", "--user", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def stored(tmp_path):
    """A memory holding Hello -> Bonjour, closed; permissions put back afterwards."""
    folder = tmp_path / "mem"
    path = folder / "m.sqlite3"
    opened = Memory(path)
    opened.put("ctx", "en", "fr", "Hello", "Bonjour", "ok")
    opened.close()
    yield path
    folder.chmod(0o700)
    path.chmod(0o600)


def test_an_unreadable_file_gives_one_note_and_no_memory(stored):
    stored.chmod(0o000)
    seen = run_unprivileged(stored)
    assert (seen["enabled"], seen["hit"], seen["new"]) == (False, None, None)
    assert len(seen["notes"]) == 1 and "cannot read it" in seen["notes"][0]


def test_a_read_only_file_serves_lookups_and_stores_nothing(stored):
    stored.chmod(0o400)
    seen = run_unprivileged(stored)
    assert (seen["enabled"], seen["writable"], seen["hit"], seen["new"]) == \
        (True, False, "Bonjour", None)
    assert len(seen["notes"]) == 1 and "the file is read-only" in seen["notes"][0]
    assert committed(stored) == 1


def test_a_read_only_folder_serves_lookups_and_stores_nothing(stored):
    stored.parent.chmod(0o500)
    seen = run_unprivileged(stored)
    assert (seen["enabled"], seen["writable"], seen["hit"], seen["new"]) == \
        (True, False, "Bonjour", None)
    assert len(seen["notes"]) == 1 and "its folder is read-only" in seen["notes"][0]


# -- a full disk ----------------------------------------------------------------------------

class FullDisk(sqlite3.Connection):
    """A connection whose commits fail as SQLite's do when the disk is full."""

    full = False

    def execute(self, sql, *args):
        if FullDisk.full and sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def test_a_full_disk_gives_one_note_and_fails_nothing(tmp_path, notes, monkeypatch):
    monkeypatch.setattr(memory, "Connection", FullDisk)
    monkeypatch.setattr(FullDisk, "full", False)
    opened = Memory(tmp_path / "m.sqlite3", note=notes.append)
    opened.put("ctx", "en", "fr", "before", "avant", "ok")
    opened.flush()
    FullDisk.full = True
    for i in range(200):  # several batches: one note, no exception
        opened.put("ctx", "en", "fr", f"s{i}", f"t{i}", "ok")
    opened.flush()
    opened.close()
    assert len(notes) == 1 and "database or disk is full" in notes[0]
    assert "not stored" in notes[0]
    assert committed(tmp_path / "m.sqlite3") == 1
    assert integrity(tmp_path / "m.sqlite3") == "ok"


def test_a_full_disk_stops_writes_but_lookups_go_on(tmp_path, notes, monkeypatch):
    monkeypatch.setattr(memory, "Connection", FullDisk)
    monkeypatch.setattr(FullDisk, "full", False)
    opened = Memory(tmp_path / "m.sqlite3", note=notes.append)
    opened.put("ctx", "en", "fr", "kept", "gardé", "ok")
    opened.flush()
    FullDisk.full = True
    opened.put("ctx", "en", "fr", "lost", "perdu", "ok")
    opened.flush()
    assert opened.enabled and not opened.writable
    assert opened.lookup("ctx", "en", "fr", "kept").translation == "gardé"
    with pytest.raises(LlamaxError, match="disk is full"):
        opened.clear()
    opened.close()


# -- concurrency ------------------------------------------------------------------------------

def test_threads_share_one_memory(mem, notes):
    def work(t):
        for i in range(300):
            mem.put(f"ctx{t % 2}", "en", "fr", f"{t}-{i}", f"t{t}-{i}", "ok")
            assert mem.lookup(f"ctx{t % 2}", "en", "fr", f"{t}-{i // 2}") is not None

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mem.flush()
    assert committed(mem.path) == 2400 and notes == []


WRITER = """
import sys
from pathlib import Path
from llamax_cli.service import memory
memory.BATCH = int(sys.argv[3])  # small batches: as many commits as can be to contend
m = memory.Memory(Path(sys.argv[1]), note=lambda msg: print(msg, file=sys.stderr, flush=True))
tag = sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()
for i in range(2000):
    m.put("ctx", "en", "fr", f"{tag} {i}", f"{tag} t{i}", "ok")
    if i % 50 == 0:
        assert m.lookup("ctx", "en", "fr", f"{tag} {i // 2}") is not None
m.close()
print("done", flush=True)
"""


@pytest.mark.parametrize("batch", [1, 64])
def test_two_processes_write_one_memory_at_once(tmp_path, batch):
    path = tmp_path / "shared.sqlite3"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(batch)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for tag in ("a", "b")]
    for proc in procs:  # both opened the file: now start them together
        assert proc.stdout.readline() == "ready\n"
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert out == "done\n" and err == "" and "locked" not in err
    assert committed(path) == 4000 and integrity(path) == "ok"
    check = Memory(path)
    assert all(check.lookup("ctx", "en", "fr", f"{tag} {i}").translation == f"{tag} t{i}"
               for tag in "ab" for i in range(2000))
    check.close()


KILLED = """
import sys
from pathlib import Path
from llamax_cli.service.memory import Memory
m = Memory(Path(sys.argv[1]), note=lambda msg: print(msg, file=sys.stderr, flush=True))
start = int(sys.argv[2])
i = start
while i < start + 10_000_000:
    m.put("ctx", "en", "fr", f"source {i}", f"traduction {i}", "ok")
    i += 1
    if (i - start) % 37 == 0:
        m.flush()
        print(f"committed {i}", flush=True)
"""


def test_kill_9_while_writing_loses_nothing_committed_and_corrupts_nothing(tmp_path):
    path = tmp_path / "m.sqlite3"
    rounds = []
    for number, lines in enumerate((1, 5, 23, 61, 2)):  # killed at different moments
        start = number * 100_000_000
        proc = subprocess.Popen([sys.executable, "-c", KILLED, str(path), str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(lines):
            line = proc.stdout.readline()
            assert line.startswith("committed "), (line, proc.stderr.read())
        os.kill(proc.pid, signal.SIGKILL)  # it goes on writing until then
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        rounds.append((start, int(line.split()[1])))
        proc.stdout.close()
        proc.stderr.close()
    assert integrity(path) == "ok"
    notes = []
    check = Memory(path, note=notes.append)
    for start, last in rounds:
        missing = [i for i in range(start, last)
                   if check.lookup("ctx", "en", "fr", f"source {i}") is None]
        assert missing == [], (start, last, missing[:5])
    check.close()
    assert notes == []


# -- management ---------------------------------------------------------------------------------

def test_stats_count_pairs_origins_and_ages(mem):
    assert mem.stats() == {"path": str(mem.path), "entries": 0, "imported": 0, "pairs": [],
                           "bytes": mem.stats()["bytes"], "oldest": None, "newest": None}
    mem.put("ctx", "en", "fr", "a", "b", "ok")
    mem.put("ctx", "en", "fr", "c", "d", "ok")
    mem.put(IMPORTED, "en", "sw", "e", "f", "ok")
    stats = mem.stats()  # buffered puts count: stats flush first
    assert (stats["entries"], stats["imported"]) == (3, 1)
    assert stats["pairs"] == [{"from": "en", "to": "fr", "entries": 2},
                              {"from": "en", "to": "sw", "entries": 1}]
    assert stats["bytes"] > 0 and stats["oldest"] <= stats["newest"]


def test_clear_removes_old_or_all_entries_and_gives_space_back(mem):
    for i in range(2000):
        mem.put("ctx", "en", "fr", f"source {i} " * 20, f"t{i}", "ok")
    mem.flush()
    conn = sqlite3.connect(mem.path)
    conn.execute("UPDATE entries SET created = created - 40 * 86400 "  # the odd ones: 40 days old
                 "WHERE CAST(substr(translation, 2) AS INTEGER) % 2 = 1")
    conn.commit()
    conn.close()
    big = mem.stats()["bytes"]
    assert mem.clear(older_than=30 * 86400) == 1000
    assert mem.clear(older_than=30 * 86400) == 0
    assert mem.lookup("ctx", "en", "fr", "source 0 " * 20).translation == "t0"
    assert mem.lookup("ctx", "en", "fr", "source 1 " * 20) is None
    assert mem.clear() == 1000
    assert mem.stats()["entries"] == 0 and mem.stats()["bytes"] < big / 4
    with pytest.raises(ValueError):
        mem.clear(older_than=-1)


def test_a_read_only_memory_reads_and_refuses_commands_that_write(tmp_path, notes):
    path = tmp_path / "m.sqlite3"
    assert not Memory(path, read_only=True, note=notes.append).enabled and not path.exists()
    writer = Memory(path)
    writer.put("ctx", "en", "fr", "a", "b", "ok")
    writer.close()
    reader = Memory(path, read_only=True, note=notes.append)
    assert reader.enabled and not reader.writable
    assert reader.lookup("ctx", "en", "fr", "a").translation == "b"
    assert reader.stats()["entries"] == 1
    with pytest.raises(LlamaxError, match="read-only"):
        import_tmx(reader, OMEGAT)
    reader.close()
