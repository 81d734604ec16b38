"""server/run.py's pieces that need no server: where the discovery note lives and its life
(announced, withdrawn only by its own process), the API keys file, and which hosts are this
machine's alone. Starting and stopping servers runs in tests/test_server*.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.server import run


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("LLAMAX_SERVE_FILE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_discovery_file_is_in_the_cache_dir_or_where_the_environment_says(cache_home,
                                                                               monkeypatch,
                                                                               tmp_path):
    assert run.discovery_file() == cache_home / "llamax" / "serve.json"
    monkeypatch.setenv("LLAMAX_SERVE_FILE", str(tmp_path / "elsewhere.json"))
    assert run.discovery_file() == tmp_path / "elsewhere.json"


def test_a_server_announces_itself_and_withdraws_only_its_own_note(cache_home):
    run._announce("http://127.0.0.1:5000", Path("/models/m.gguf"))
    note = run.discovery_file()
    assert json.loads(note.read_text()) == {"url": "http://127.0.0.1:5000", "pid": os.getpid(),
                                            "model": "/models/m.gguf"}
    run._withdraw()
    assert not note.exists()
    note.write_text(json.dumps({"url": "http://127.0.0.1:5001", "pid": os.getpid() + 1}))
    run._withdraw()  # another server's note stays
    assert note.exists()
    note.write_text("not json")
    run._withdraw()  # and a broken one is no failure
    note.unlink()
    run._withdraw()


def test_an_unwritable_discovery_file_is_no_failure(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("LLAMAX_SERVE_FILE", str(tmp_path / "file" / "serve.json"))
    run._announce("http://127.0.0.1:5000", "model")


@pytest.mark.parametrize("host, client", [
    ("0.0.0.0", "127.0.0.1"), ("::", "127.0.0.1"), ("", "127.0.0.1"),
    ("127.0.0.1", "127.0.0.1"), ("192.168.1.5", "192.168.1.5"), ("localhost", "localhost"),
])
def test_a_wildcard_host_is_reached_at_the_loopback(host, client):
    assert run._client_host(host) == client


def test_read_api_keys_skips_blank_lines_and_comments(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("# team keys\n\n  alpha  \n   # retired: beta\ngamma\n")
    assert run.read_api_keys(keys) == ["alpha", "gamma"]
    assert run.read_api_keys(None) == []


def test_an_empty_or_missing_keys_file_is_refused(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n")
    with pytest.raises(UsageError, match=f"the API keys file {empty} holds no key"):
        run.read_api_keys(empty)
    missing = tmp_path / "missing.txt"
    with pytest.raises(LlamaxError) as caught:
        run.read_api_keys(missing)
    assert not isinstance(caught.value, UsageError)
    assert str(caught.value) == (f"cannot read the API keys file {missing}: "
                                 f"No such file or directory")


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("10.0.0.1", False),
    ("example.org", False), ("", False),
])
def test_is_loopback(host, loopback):
    assert run.is_loopback(host) is loopback
