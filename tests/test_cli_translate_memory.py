"""`llamax translate` with the translation memory (service/memory.py, service/recall.py),
through the real CLI: reuse, reviewed entries from a TMX, no model load when the memory has
every unit, --no-memory, and runs killed with SIGKILL in a loop that resume where they stopped."""

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from llamax_cli.service.tmx import Pair, write_tmx
from test_engine_openai_http import Answer, StandIn, sse, text_event

ON = {"LLAMAX_MEMORY": "1"}  # conftest turns the memory off for every other test


def records(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def test_a_reviewed_tmx_entry_is_served_without_loading_any_model(llamax, tmp_path):
    write_tmx(tmp_path / "reviewed.tmx", [Pair("en", "fr", "Good morning, my friends.",
                                               "Bonjour, mes amis (relu).")])
    imported = llamax("memory", "import", "reviewed.tmx", env=ON)
    assert imported.returncode == 0, imported.stderr
    # No such model file: had the model been needed, the run would fail loading it.
    proc = llamax("translate", "--from", "en", "--to", "fr", "--model", "missing.gguf",
                  "-t", "Good morning, my friends.", env=ON)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "Bonjour, mes amis (relu).\n"
    as_json = llamax("translate", "--from", "en", "--to", "fr", "--model", "missing.gguf",
                     "--json", "-t", "Good morning, my friends.", env=ON)
    [record] = records(as_json)
    assert record["memory"] == "imported" and record["attempts"] == 0


def test_a_second_run_comes_from_the_memory_and_no_memory_computes_again(llamax, tmp_path):
    (tmp_path / "doc.txt").write_text("The museum opens at nine.\nChildren enter for free.\n")
    args = ("translate", "--from", "en", "--to", "fr", "--max-tokens", "12", "--deterministic",
            "--json", "doc.txt")
    first = llamax(*args, env=ON)
    assert first.returncode in (0, 3), first.stderr
    again = llamax(*args, env=ON)
    computed = [r for r in records(first) if r["status"] == "ok"]
    assert [r["memory"] for r in records(first)] == [None, None]
    assert [r["translation"] for r in records(again)] == [r["translation"]
                                                          for r in records(first)]
    hits = [r for r in records(again) if r["memory"] == "hit"]
    assert len(hits) == len(computed)  # what came out ok is reused; the rest is redone
    fresh = llamax(*args, "--no-memory", env=ON)
    assert all(r["memory"] is None for r in records(fresh))


@pytest.fixture
def engine_server():
    """A scripted OpenAI-compatible engine (--api-base): fast, and every answer comes out ok."""
    server = StandIn()
    server.answers[("GET", "/v1/models")] = Answer(body={"data": [
        {"id": "stub", "max_model_len": 2048}]})
    yield server
    server.close()


def completions(stall=None) -> Answer:
    return Answer(events=[text_event("Une phrase "), text_event("traduite.", "stop"),
                          sse("[DONE]")], stall=stall)


def committed(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0
    finally:
        conn.close()


def integrity(path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def hold_after(server, answered: int) -> threading.Event:
    """The engine answers `answered` more completions, then holds every one until the
    returned event is set."""
    held = threading.Event()
    server.reset()
    server.answers[("GET", "/v1/models")] = Answer(body={"data": [{"id": "stub"}]})
    server.answers[("POST", "/v1/completions")] = [completions()] * answered + \
        [completions(stall=held)]
    return held


def test_runs_killed_with_sigkill_in_a_loop_resume_to_the_uninterrupted_output(
        llamax, cli_env, tmp_path, engine_server):
    lines = [f"Line {i}: the museum opens at {i % 12 + 1} o'clock." for i in range(300)]
    (tmp_path / "doc.txt").write_text("\n".join(lines) + "\n")
    memory = tmp_path / "memory.sqlite3"
    args = ["translate", "--from", "en", "--to", "fr", "--api-base", engine_server.url,
            "--memory", str(memory), "doc.txt", "-o", "doc.fr.txt"]
    engine_server.answers[("POST", "/v1/completions")] = completions()
    reference = llamax(*args[:-1], "reference.txt", "--no-memory", env=ON)
    assert reference.returncode == 0, reference.stderr
    for kill in (1, 2, 3):
        # Each run gets 70 answers, then the engine holds: at least one more batch of 64 is
        # committed (the memory's batch), and the run is killed while it waits for more.
        held = hold_after(engine_server, 70)
        child = subprocess.Popen([sys.executable, "-m", "llamax_cli", *args],
                                 env={**cli_env, **ON}, cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watchdog = threading.Timer(120, child.kill)  # never a hang: the wait below ends
        watchdog.start()
        while committed(memory) < 64 * kill and child.poll() is None:
            time.sleep(0.05)  # polls a count: the kill point is set by it, not by a clock
        watchdog.cancel()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        held.set()
        assert child.returncode == -signal.SIGKILL
        assert integrity(memory) == "ok"
        assert not (tmp_path / "doc.fr.txt").exists()  # nothing half-written in its place
    engine_server.reset()
    engine_server.answers[("GET", "/v1/models")] = Answer(body={"data": [{"id": "stub"}]})
    engine_server.answers[("POST", "/v1/completions")] = completions()
    resumed = llamax(*args, env=ON)
    assert resumed.returncode == 0, resumed.stderr
    # byte for byte an uninterrupted run's output, and no killed run's temporary file left
    assert (tmp_path / "doc.fr.txt").read_bytes() == (tmp_path / "reference.txt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".doc.fr.")) == []
    redone = engine_server.paths().count("/v1/completions")
    assert redone <= 300 - 3 * 64  # what the killed runs committed was not asked again
    assert integrity(memory) == "ok" and committed(memory) == 300
