"""`llamax models …` and model resolution, downloading from a real local HTTP server that
answers like the hub (tests/hubserver.py), through the real huggingface_hub code."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run_in_terminal, assert_finished, signals_as_in_a_terminal
from hubserver import HubServer, Served

REPO = "test-org/Tiny-GGUF"
# Not a loadable model, and larger than huggingface_hub's 10 MiB write chunk, so that a cut
# transfer leaves something to resume from.
PAYLOAD = b"GGUF" + b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(800_000))
MIB = 2**20


@pytest.fixture
def hub():
    server = HubServer().start()
    yield server
    server.stop()


@pytest.fixture
def online(cli_env, hub, tmp_path):
    """Environment for a CLI that sees `hub` as the Hugging Face hub, and a user registry."""
    config = Path(cli_env["XDG_CONFIG_HOME"]) / "llamax"
    config.mkdir(parents=True)
    (config / "models.toml").write_text(f'''
[models.tiny]
description = "a small file served by the test hub"
repo = "{REPO}"
default_quant = "Q4_K_M"
[models.tiny.files]
Q4_K_M = {{ file = "tiny.Q4_K_M.gguf", size = {len(PAYLOAD)} }}
Q8_0 = {{ file = "tiny.Q8_0.gguf", size = {len(PAYLOAD)}, sha256 = "{'0' * 64}" }}
HUGE = {{ file = "huge.gguf", size = 1 }}

[models.gemma-test]
description = "the gemma3-270m test model, served by the test hub"
repo = "{REPO}"
[models.gemma-test.files]
Q4_K_M = {{ file = "gemma.gguf" }}
''')
    return {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "LLAMAX_MODEL": "",
            "HF_HUB_ETAG_TIMEOUT": "5", "HF_HUB_DOWNLOAD_TIMEOUT": "5"}


def serve(hub, name, data=PAYLOAD, **knobs):
    hub.files[f"{REPO}/{name}"] = Served(data, **knobs)


def blobs(cli_env) -> list[Path]:
    return [p for p in Path(cli_env["HF_HOME"]).rglob("blobs/*") if p.is_file()]


def test_fresh_pull_lands_in_the_hf_cache_and_is_found(llamax, hub, online, cli_env):
    serve(hub, "tiny.Q4_K_M.gguf")
    proc = llamax("models", "pull", "tiny", env=online)
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.decode().strip())
    assert path.read_bytes() == PAYLOAD
    assert str(path).startswith(cli_env["HF_HOME"])
    assert "verified sha256" in proc.stderr.decode()
    assert llamax("models", "path", "tiny", env=online).stdout.decode().strip() == str(path)
    # Pulling again is a no-op that says so.
    again = llamax("models", "pull", "tiny", env=online)
    assert "already downloaded" in again.stderr.decode()
    assert len(hub.gets("tiny.Q4_K_M.gguf")) == 1


def test_resume_after_the_server_cuts_the_connection(llamax, hub, online):
    serve(hub, "tiny.Q4_K_M.gguf", cut_after=12 * MIB)
    proc = llamax("models", "pull", "tiny", env=online)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.decode().strip()).read_bytes() == PAYLOAD
    ranges = hub.gets("tiny.Q4_K_M.gguf")
    assert ranges[0] == "" and ranges[-1].startswith("bytes=")
    assert int(ranges[-1][6:-1]) > 0


def test_interrupted_pull_resumes_in_the_next_run(llamax, hub, online, cli_env, tmp_path):
    serve(hub, "tiny.Q4_K_M.gguf", chunk_delay=0.5, slow_after=11 * MIB)
    env = {**cli_env, **online}
    proc = subprocess.Popen([sys.executable, "-m", "llamax_cli", "models", "pull", "tiny"],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=signals_as_in_a_terminal)
    deadline = time.time() + 60
    partial = []
    while time.time() < deadline:
        partial = [p for p in Path(cli_env["HF_HOME"]).rglob("*.incomplete")
                   if p.stat().st_size >= 10 * MIB]
        if partial:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert partial and proc.returncode == 130
    hub.files[f"{REPO}/tiny.Q4_K_M.gguf"].chunk_delay = 0
    done = llamax("models", "pull", "tiny", env=online)
    assert done.returncode == 0, done.stderr
    assert "resuming at" in done.stderr.decode()
    assert Path(done.stdout.decode().strip()).read_bytes() == PAYLOAD
    assert int(hub.gets("tiny.Q4_K_M.gguf")[-1][6:-1]) >= 10 * MIB


def test_sha256_mismatch_with_the_hub_etag_is_refused_and_deleted(llamax, hub, online, cli_env):
    serve(hub, "tiny.Q4_K_M.gguf", etag="ab" * 32)
    err = assert_one_line_error(llamax("models", "pull", "tiny", env=online))
    assert "sha256 mismatch" in err and "deleted" in err
    assert blobs(cli_env) == []
    assert llamax("models", "path", "tiny", env=online).returncode == 1


def test_sha256_pinned_in_the_registry_wins(llamax, hub, online, cli_env):
    serve(hub, "tiny.Q8_0.gguf")  # the hub's ETag is right, the registry pins another hash
    err = assert_one_line_error(llamax("models", "pull", "tiny:q8_0", env=online))
    assert "sha256 mismatch" in err
    assert blobs(cli_env) == []


def test_not_enough_disk_space_is_refused_before_downloading(llamax, hub, online):
    serve(hub, "huge.gguf", head_size=10**16)
    err = assert_one_line_error(llamax("models", "pull", "tiny:huge", env=online))
    assert "not enough disk space" in err
    assert hub.gets("huge.gguf") == []


def test_missing_file_on_the_hub(llamax, hub, online):
    err = assert_one_line_error(llamax("models", "pull", "tiny", env=online))
    assert "not available" in err


def test_unknown_model_or_quant_is_a_usage_error(llamax, online):
    assert "unknown model" in assert_one_line_error(llamax("models", "pull", "nope", env=online), 2)
    assert "no quantization" in assert_one_line_error(llamax("models", "pull", "tiny:q9", env=online), 2)


def test_list_path_and_rm(llamax, hub, online, cli_env):
    serve(hub, "tiny.Q4_K_M.gguf")
    assert llamax("models", "pull", "tiny", "-q", env=online).returncode == 0
    rows = {r["name"]: r for r in map(json.loads, llamax("models", "list", "--json", env=online)
                                      .stdout.decode().splitlines())}
    assert rows["tiny:q4_k_m"]["downloaded"] and not rows["tiny:q8_0"]["downloaded"]
    assert rows["llamax3-8b-alpaca:q4_k_m"]["default"] and rows["llamax3-8b-alpaca:q4_k_m"]["size"] == 4_920_000_000
    assert "llamax2-7b-alpaca:q4_k_m" in rows
    table = llamax("models", "list", env=online).stdout.decode()
    assert "tiny:q4_k_m" in table and "(default)" in table
    removed = llamax("models", "rm", "tiny", env=online)
    assert removed.returncode == 0 and "freed 26 MB" in removed.stderr.decode()
    assert blobs(cli_env) == []
    assert "not downloaded" in assert_one_line_error(llamax("models", "path", "tiny", env=online))
    assert "not downloaded" in assert_one_line_error(llamax("models", "rm", "tiny", env=online))


def test_info_describes_a_model(llamax, online):
    proc = llamax("models", "info", "llamax3-8b-alpaca", env=online)
    out = proc.stdout.decode()
    assert "mradermacher/LLaMAX3-8B-Alpaca-GGUF" in out and "QuantFactory" in out
    assert "q8_0" in out and "8.5 GB" in out and "context: 8192" in out


@pytest.fixture(scope="module")
def gemma_bytes(gemma_path):
    return gemma_path.read_bytes()


def test_cached_model_resolves_offline_with_the_server_stopped(llamax, hub, online, gemma_bytes):
    serve(hub, "gemma.gguf", gemma_bytes)
    assert llamax("models", "pull", "gemma-test", "-q", env=online).returncode == 0
    hub.stop()
    offline = {**online, "HF_HUB_OFFLINE": "1"}
    proc = llamax("translate", "--model", "gemma-test", "--from", "en", "--to", "fr",
                  "--max-tokens", "8", "-t", "Good morning", env=offline)
    assert_finished(proc)
    assert proc.stdout.strip()
    # No network at all, not even with the hub "online" but gone:
    proc = llamax("translate", "--model", "gemma-test", "--from", "en", "--to", "fr",
                  "--max-tokens", "8", "-t", "Good morning", env={**online, "HF_ENDPOINT": "http://127.0.0.1:9"})
    assert_finished(proc)


def test_missing_model_offline_names_the_pull_command(llamax, online):
    err = assert_one_line_error(llamax("translate", "--model", "tiny", "--from", "en", "--to", "fr",
                                       "-t", "Hello", env={**online, "HF_HUB_OFFLINE": "1"}))
    assert "`llamax models pull tiny:q4_k_m`" in err and "HF_HUB_OFFLINE" in err


def test_missing_default_model_offline_names_the_pull_command(llamax):
    err = assert_one_line_error(llamax("translate", "--from", "en", "--to", "fr", "-t", "Hello",
                                       env={"LLAMAX_MODEL": ""}))
    assert "`llamax models pull llamax3-8b-alpaca:q4_k_m`" in err


def test_missing_model_online_without_a_terminal_asks_for_yes(llamax, hub, online):
    serve(hub, "gemma.gguf", b"x")
    err = assert_one_line_error(llamax("translate", "--model", "gemma-test", "--from", "en",
                                       "--to", "fr", "-t", "Hello", env=online))
    assert "--yes" in err
    assert hub.gets("gemma.gguf") == []


def test_yes_downloads_the_missing_model_then_translates(llamax, hub, online, gemma_bytes):
    serve(hub, "gemma.gguf", gemma_bytes)
    proc = llamax("translate", "--model", "gemma-test", "--yes", "--from", "en", "--to", "fr",
                  "--max-tokens", "8", "-t", "Good morning", env=online)
    assert_finished(proc)
    assert "downloading gemma-test:q4_k_m" in proc.stderr.decode()
    assert proc.stdout.strip()


def test_on_a_terminal_a_missing_model_is_offered_for_download(cli_env, online, hub):
    serve(hub, "gemma.gguf", b"x")
    code, output = run_in_terminal(
        ["translate", "--model", "gemma-test", "--from", "en", "--to", "fr", "-t", "Hello"],
        {**cli_env, **online}, answers={b"Download it now?": b"n\n"})
    assert code == 1
    assert b"llamax models pull gemma-test:q4_k_m" in output
    assert hub.gets("gemma.gguf") == []
