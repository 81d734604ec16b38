"""`llamax translate` with the translation memory (service/memory.py, service/recall.py),
through the real CLI: reuse, reviewed entries from a TMX, no model load when the memory has
every unit, --no-memory, and a run killed with SIGKILL that resumes where it stopped."""

import json
import signal
import subprocess
import sys
import threading

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


def test_a_run_killed_with_sigkill_resumes_and_gives_the_uninterrupted_output(
        llamax, cli_env, tmp_path, engine_server):
    lines = [f"Line {i}: the museum opens at {i % 12 + 1} o'clock." for i in range(100)]
    (tmp_path / "doc.txt").write_text("\n".join(lines) + "\n")
    args = ["translate", "--from", "en", "--to", "fr", "--api-base", engine_server.url,
            "doc.txt"]
    engine_server.answers[("POST", "/v1/completions")] = completions()
    reference = llamax(*args, "--no-memory", env=ON)
    assert reference.returncode == 0, reference.stderr
    # The engine answers 90 requests, then holds every one: the run is killed mid-document.
    # (At most 8 requests are in flight, so units 0-63 are among the first 90 to arrive.)
    held = threading.Event()
    engine_server.reset()
    engine_server.answers[("GET", "/v1/models")] = Answer(body={"data": [{"id": "stub"}]})
    engine_server.answers[("POST", "/v1/completions")] = [completions()] * 90 + \
        [completions(stall=held)]
    child = subprocess.Popen([sys.executable, "-m", "llamax_cli", *args, "--json"],
                             env={**cli_env, **ON}, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    watchdog = threading.Timer(120, child.kill)  # never a hang: the reads below end
    watchdog.start()
    seen = [json.loads(child.stdout.readline() or "null") for _ in range(64)]
    watchdog.cancel()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    held.set()
    assert child.returncode == -signal.SIGKILL
    assert all(r is not None and r["status"] == "ok" for r in seen), seen
    engine_server.answers[("POST", "/v1/completions")] = completions()
    calls = len(engine_server.requests)
    resumed = llamax(*args, env=ON)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == reference.stdout  # byte for byte an uninterrupted run's output
    redone = sum(path == "/v1/completions" for _, path, _, _ in engine_server.requests[calls:])
    assert redone <= 100 - 64  # the 64 units seen finished were kept (64 entries: a commit)
