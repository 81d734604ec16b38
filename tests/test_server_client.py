"""server/client.py against a stand-in for `llamax serve` on 127.0.0.1 (a few lines of
http.server, no model): finding a local server through its discovery note, and the streamed
JSON lines of POST /llamax/translate turned back into the pipeline's outputs and errors.
A real server and CLI run it end to end in tests/test_server_app.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llamax_cli.core import languages
from llamax_cli.core.errors import Busy, LlamaxError
from llamax_cli.formats.segment import segment
from llamax_cli.server.client import RemoteTranslator, find_local_server
from llamax_cli.service import pipeline


class StandIn:
    """Answers /health with `health`, and POST /llamax/translate with `status` and `lines`;
    keeps the bodies posted."""

    def __init__(self):
        self.health, self.status, self.lines, self.posted = 200, 200, [], []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(stand_in.health if self.path == "/health" else 404)
                self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                stand_in.posted.append(json.loads(self.rfile.read(length)))
                self.send_response(stand_in.status)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                for line in stand_in.lines:
                    self.wfile.write(line.encode() if isinstance(line, str)
                                     else (json.dumps(line) + "\n").encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stand_in():
    server = StandIn()
    yield server
    server.stop()


@pytest.fixture
def served(stand_in):
    stand_in.health, stand_in.status, stand_in.lines = 200, 200, []
    stand_in.posted.clear()
    return stand_in


# -- find_local_server -------------------------------------------------------------------------

@pytest.fixture
def note(tmp_path, monkeypatch):
    """Writes the discovery note a server leaves (LLAMAX_SERVE_FILE points at the test's)."""
    path = tmp_path / "serve.json"
    monkeypatch.setenv("LLAMAX_SERVE_FILE", str(path))

    def write(content):
        path.write_text(content if isinstance(content, str) else json.dumps(content))

    return write


def test_no_note_means_no_server(note):
    assert find_local_server("/models/m.gguf") is None


def test_a_live_server_with_the_same_model_is_found(note, served, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    (tmp_path / "link.gguf").symlink_to(model)
    note({"url": served.url, "pid": os.getpid(), "model": str(tmp_path / "link.gguf")})
    assert find_local_server(str(model)) == served.url  # the same file by another path


def test_another_model_a_dead_process_or_an_unhealthy_server_is_no_server(note, served,
                                                                          tmp_path):
    note({"url": served.url, "pid": os.getpid(), "model": "/models/other.gguf"})
    assert find_local_server("/models/m.gguf") is None
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    note({"url": served.url, "pid": gone.pid, "model": "/models/m.gguf"})
    assert find_local_server("/models/m.gguf") is None
    note({"url": served.url, "pid": os.getpid(), "model": "/models/m.gguf"})
    served.health = 503
    assert find_local_server("/models/m.gguf") is None


@pytest.mark.parametrize("content", ["not json", "[]", '{"url": "x"}', '{"pid": "abc"}'])
def test_a_broken_note_is_no_server(note, content):
    note(content)
    assert find_local_server("/models/m.gguf") is None


def test_a_note_whose_port_has_no_one_is_no_server(note):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    note({"url": url, "pid": os.getpid(), "model": "/models/m.gguf"})
    assert find_local_server("/models/m.gguf") is None


# -- RemoteTranslator ---------------------------------------------------------------------------

EN, FR, DE = (languages.resolve(code) for code in ("en", "fr", "de"))


def translate(url: str, **options) -> list:
    doc = segment("Hello.\n\nGood bye.\n", "text", None)
    return list(RemoteTranslator(url + "/").translate_document(
        doc, EN, FR, pipeline.Options(**options), per_unit=[EN, DE]))


def test_the_request_says_everything_the_server_needs(served):
    served.lines = [{"done": True}]
    translate(served.url, max_tokens=64, live=True)
    body = served.posted[0]
    assert body["text"] == "Hello.\n\nGood bye.\n" and body["format"] == "text"
    assert (body["source"], body["target"], body["per_unit"]) == ("en", "fr", ["en", "de"])
    assert (body["max_tokens"], body["live"], body["beams"], body["glossary"]) == (
        64, True, 1, None)
    assert (body["temperature"], body["seed"], body["alternatives"]) == (0.0, 0, 0)


def test_streamed_lines_come_back_as_the_pipelines_outputs(served):
    unit = {"index": 0, "line": 1, "source": "Hello.", "translation": "Bonjour.",
            "status": "ok"}
    served.lines = [{"text": "Bonj"}, {"retract": "Bonj"}, {"text": "Bonjour."},
                    {"unit": unit}, {"done": True}, {"text": "after the end"}]
    assert translate(served.url) == ["Bonj", pipeline.Retract("Bonj"), "Bonjour.",
                                     pipeline.UnitResult(**unit)]


@pytest.mark.parametrize("record, error", [
    ({"error": "the queue is full", "status": 429}, Busy),
    ({"error": "the model failed", "status": 500}, LlamaxError),
])
def test_an_error_line_is_raised_busy_for_a_429(served, record, error):
    served.lines = [{"text": "Bonjour."}, record]
    with pytest.raises(error) as caught:
        translate(served.url)
    assert str(caught.value) == f"the server at {served.url}: {record['error']}"
    assert isinstance(caught.value, Busy) is (error is Busy)


def test_a_stream_cut_before_its_end_is_an_error(served):
    served.lines = [{"text": "Bonjour."}]
    with pytest.raises(LlamaxError, match="closed the stream before the end"):
        translate(served.url)


@pytest.mark.parametrize("status, error", [(429, Busy), (400, LlamaxError)])
def test_an_error_status_is_raised_with_the_servers_message(served, status, error):
    served.status = status
    served.lines = [{"error": "Invalid request: missing text parameter"}]
    with pytest.raises(error) as caught:
        translate(served.url)
    assert str(caught.value) == (f"the server at {served.url} answered {status}: "
                                 f"Invalid request: missing text parameter")
    assert isinstance(caught.value, Busy) is (error is Busy)


def test_an_unreachable_server_is_one_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(LlamaxError, match=f"^cannot reach the server at {url}: "):
        translate(url)
