"""models/hub.py, function by function: the offline switch and endpoint, reachability (against
tests/hubserver.py on 127.0.0.1, never the real hub), the disk-space check, sha256
verification and removal from a cache laid out as huggingface_hub lays it out. Downloads
themselves run end to end in tests/test_models.py."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import pytest
from hubserver import HubServer

from llamax_cli.core.errors import LlamaxError
from llamax_cli.models import hub
from llamax_cli.models.registry import LOCAL, REMOTE, ModelEntry, ModelFile, ModelRef

DATA = b"GGUF" + bytes(range(256)) * 64
SHA = hashlib.sha256(DATA).hexdigest()


def repo_ref(sha256: str = "") -> ModelRef:
    model_file = ModelFile("Q4_K_M", "tiny.Q4_K_M.gguf", len(DATA), sha256)
    entry = ModelEntry("tiny", "", {"Q4_K_M": model_file}, "Q4_K_M",
                       repo="test-org/Never-Pulled-GGUF")
    return ModelRef(entry, model_file)


def local_ref() -> ModelRef:
    model_file = ModelFile(LOCAL, "/models/mine.gguf")
    return ModelRef(ModelEntry("mine", "", {LOCAL: model_file}, LOCAL), model_file)


def remote_ref() -> ModelRef:
    model_file = ModelFile(REMOTE, "")
    entry = ModelEntry("far", "", {REMOTE: model_file}, REMOTE, api_base="http://gpu-box/v1")
    return ModelRef(entry, model_file)


@pytest.fixture(scope="module")
def hub_server():
    server = HubServer().start()
    yield server
    server.stop()


@pytest.fixture
def no_hub_settings(monkeypatch):
    for name in list(os.environ):
        if name.startswith("HF_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("value, offline", [
    ("1", True), ("ON", True), ("yes", True), (" true ", True),
    ("0", False), ("", False), ("false", False), ("offline", False),
])
def test_offline_reads_hf_hub_offline_as_huggingface_hub_does(no_hub_settings, monkeypatch,
                                                              value, offline):
    monkeypatch.setenv("HF_HUB_OFFLINE", value)
    assert hub.offline() is offline


def test_offline_when_unset_is_online(no_hub_settings):
    assert hub.offline() is False


def test_endpoint_defaults_to_the_hub_and_follows_hf_endpoint(no_hub_settings, monkeypatch):
    assert hub.endpoint() == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "http://mirror.example:8080/")
    assert hub.endpoint() == "http://mirror.example:8080"


def test_a_hub_that_answers_is_reachable_even_with_an_error_status(no_hub_settings,
                                                                   monkeypatch, hub_server):
    hub_server.log.clear()
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    assert hub.hub_reachable(timeout=10) is True  # a 404 for "/" is an answer
    assert hub_server.log == [("HEAD", "/", "")]


def test_a_closed_port_is_unreachable(no_hub_settings, monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago, and now has no one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    assert hub.hub_reachable(timeout=10) is False


def test_offline_is_unreachable_without_asking_anyone(no_hub_settings, monkeypatch,
                                                      hub_server):
    hub_server.log.clear()
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.hub_reachable(timeout=10) is False
    assert hub_server.log == []


def test_free_bytes_of_a_folder_not_made_yet_is_its_disks(tmp_path):
    assert hub.free_bytes(tmp_path / "not" / "yet") == hub.free_bytes(tmp_path) > 0


def test_check_disk_refuses_what_does_not_fit_with_headroom(tmp_path):
    free = hub.free_bytes(tmp_path)
    hub.check_disk(1, tmp_path)
    with pytest.raises(LlamaxError, match=f"not enough disk space in {tmp_path}: the download "
                                          f"needs .* is free"):
        hub.check_disk(free, tmp_path)  # the file alone fits, not with the headroom


def test_sha256_of_reports_progress_by_chunk(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(DATA)
    seen = []
    assert hub.sha256_of(path, seen.append) == SHA
    assert sum(seen) == len(DATA)


@pytest.mark.parametrize("pinned, etag", [(SHA, "not-a-sha"), ("", SHA), (SHA.upper(), "")])
def test_verify_accepts_the_pinned_sha256_or_else_the_etag(tmp_path, pinned, etag):
    path = tmp_path / "model.gguf"
    path.write_bytes(DATA)
    notes = []
    hub.verify(repo_ref(pinned), path, etag, notes.append)
    assert notes == [f"verified sha256 {SHA[:16]}…"] and path.exists()


def test_the_pinned_sha256_wins_over_the_etag_and_a_mismatch_is_deleted(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(DATA)
    with pytest.raises(LlamaxError, match="sha256 mismatch for tiny:q4_k_m: expected 0000"):
        hub.verify(repo_ref("0" * 64), path, SHA, lambda m: None)
    assert not path.exists()


def test_without_any_sha256_verify_says_integrity_is_not_verified(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(DATA)
    notes = []
    hub.verify(repo_ref(), path, '"a-weak-etag"', notes.append)
    assert notes == ["no sha256 known for tiny:q4_k_m: integrity not verified"]
    assert path.exists()


def cached_file(root: Path, commit: str, blob_data: bytes = DATA) -> Path:
    """A file as huggingface_hub caches it: snapshots/<commit>/NAME -> ../../blobs/<etag>."""
    blob = root / "blobs" / SHA
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(blob_data)
    link = root / "snapshots" / commit / "tiny.Q4_K_M.gguf"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    return link


def test_remove_file_deletes_the_link_and_its_blob(tmp_path):
    link = cached_file(tmp_path / "models--test-org--tiny", "c1")
    blob = link.resolve()
    assert hub.remove_file(link) == len(DATA)
    assert not link.is_symlink() and not blob.exists()


def test_remove_file_keeps_a_blob_another_snapshot_still_uses(tmp_path):
    root = tmp_path / "models--test-org--tiny"
    first = cached_file(root, "c1")
    second = root / "snapshots" / "c2" / "tiny.Q4_K_M.gguf"
    second.parent.mkdir(parents=True)
    second.symlink_to(os.path.relpath(first.resolve(), second.parent))
    assert hub.remove_file(first) == 0
    assert not first.is_symlink() and second.resolve().exists()


def test_remove_file_deletes_a_plain_file_and_ignores_a_missing_one(tmp_path):
    plain = tmp_path / "model.gguf"
    plain.write_bytes(DATA)
    assert hub.remove_file(plain) == len(DATA) and not plain.exists()
    assert hub.remove_file(plain) == 0


@pytest.mark.parametrize("action", [hub.pull, hub.remove])
def test_local_and_remote_entries_have_nothing_to_pull_or_remove(action):
    with pytest.raises(LlamaxError, match="mine is a local file"):
        action(local_ref())
    with pytest.raises(LlamaxError, match="far is served by http://gpu-box/v1; nothing to"):
        action(remote_ref())


def test_pull_offline_refuses_before_any_request(no_hub_settings, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LlamaxError, match="HF_HUB_OFFLINE is set: cannot download "
                                          "tiny:q4_k_m"):
        hub.pull(repo_ref())


def test_removing_a_model_never_pulled_says_so():
    with pytest.raises(LlamaxError, match="tiny:q4_k_m is not downloaded"):
        hub.remove(repo_ref())
