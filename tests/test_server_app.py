"""`llamax serve` as a real process on 127.0.0.1, with real clients: libretranslatepy, plain
HTTP in the shapes Mastodon, Weblate and query-string clients send, and the CLI's --server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import assert_finished

from llamax_cli.formats import registry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict, cwd, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llamax_cli", "serve", "--port", str(self.port), *args],
            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            try:
                if request(self.url + "/ready")[0] == 200:  # the model is loaded
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not become healthy")

    def terminate(self) -> None:
        """SIGTERM, once: a second one would mean "stop at once"."""
        if self.proc.poll() is None and not getattr(self, "terminated", False):
            self.terminated = True
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> tuple[int, str]:
        self.terminate()
        _, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err.decode()


def request(url: str, data=None, headers=None, method=None, timeout=300):
    """(status, parsed JSON body) for any answer, error statuses included."""
    if isinstance(data, dict):
        data = json.dumps(data).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    elif isinstance(data, str):
        data = data.encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body else None


@pytest.fixture(scope="module")
def server_env(tmp_path_factory, gemma_path):
    home = tmp_path_factory.mktemp("serve-home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LLAMAX_", "HF_")) and k != "GGML_CPU_TILED_MM"}
    env.update({"LLAMAX_MODEL": str(gemma_path), "HF_HUB_OFFLINE": "1",
                "HF_HOME": str(home / "hf"), "XDG_CONFIG_HOME": str(home / "config"),
                "XDG_CACHE_HOME": str(home / "cache"), "PYTHONUNBUFFERED": "1",
                "LLAMAX_CHECK_LANGUAGE": "0", "LLAMAX_MEMORY": "0"})  # as in conftest.cli_env
    return env


@pytest.fixture(scope="module")
def server(server_env, tmp_path_factory):
    # --deterministic: a CLI run through it must give the bytes of a local run (below).
    srv = Server(server_env, tmp_path_factory.mktemp("serve"), "--queue", "8",
                 "--char-limit", "400", "--batch-limit", "4", "--deterministic")
    yield srv
    srv.stop()


# -- real clients ----------------------------------------------------------------------------

def test_libretranslatepy_translates_detects_and_lists(server):
    from libretranslatepy import LibreTranslateAPI

    lt = LibreTranslateAPI(server.url)
    assert lt.translate("Good morning, my friend.", "en", "fr").strip()
    best = lt.detect("Der Ausschuss wird seinen Abschlussbericht im Frühjahr veröffentlichen.")
    assert best[0]["language"] == "de" and 50 < best[0]["confidence"] <= 100
    assert len(best) <= 3
    langs = lt.languages()
    assert len(langs) == 102 and {"code", "name", "targets"} <= set(langs[0])


def test_mastodon_shape_json_array_html_and_auto_source(server):
    status, body = request(server.url + "/translate", {
        "q": ["<p>Good morning, <b>my friend</b>.</p>", "<p>Wie geht es dir?</p>"],
        "source": "auto", "target": "fr", "format": "html"})
    assert status == 200, body
    assert isinstance(body["translatedText"], list) and len(body["translatedText"]) == 2
    first = body["translatedText"][0]
    assert first.startswith("<p>") and first.endswith("</p>")
    # Each item is detected on its own.
    assert [d["language"] for d in body["detectedLanguage"]] == ["en", "de"]


def test_weblate_shape_and_a_string_q_gives_a_string(server):
    status, body = request(server.url + "/translate",
                           {"q": "Save changes", "source": "en", "target": "de"})
    assert status == 200 and isinstance(body["translatedText"], str)
    assert "detectedLanguage" not in body


def test_alternatives_come_from_beam_search_in_the_shape_of_q(server):
    status, body = request(server.url + "/translate", {
        "q": "The cat sleeps on the warm roof.", "source": "en", "target": "fr",
        "alternatives": 2})
    assert status == 200, body
    alternatives = body["alternatives"]
    assert isinstance(alternatives, list) and 1 <= len(alternatives) <= 2
    assert all(isinstance(a, str) and a and a != body["translatedText"] for a in alternatives)
    assert len(set(alternatives)) == len(alternatives)
    status, body = request(server.url + "/translate", {
        "q": ["Where is the station?", "Good morning, my friend."], "source": "en",
        "target": "fr", "alternatives": "1"})
    assert status == 200, body
    assert [len(a) <= 1 for a in body["alternatives"]] == [True, True]


def test_a_startup_glossary_applies_to_every_request(server_env, tmp_path):
    (tmp_path / "terms.tsv").write_text("railway\tchemin de fer\n")
    srv = Server(server_env, tmp_path, "--glossary", "terms.tsv")
    try:
        req = urllib.request.Request(srv.url + "/llamax/translate", json.dumps(
            {"text": "The new railway opens next spring.", "source": "en", "target": "fr"}
        ).encode(), {"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=300) as response:
            records = [json.loads(line) for line in response]
        unit = next(r["unit"] for r in records if "unit" in r)
        if "chemin de fer" in unit["translation"].lower():
            assert unit["status"] == "ok", unit
        else:
            assert unit["status"] in ("glossary-miss", "degenerate", "truncated"), unit
            assert unit["attempts"] == 2 or unit["status"] != "glossary-miss"
        assert records[-1] == {"done": True}
    finally:
        srv.stop()
    bad = subprocess.run([sys.executable, "-m", "llamax_cli", "serve", "--port",
                          str(free_port()), "--glossary", "none.tsv"], env=server_env,
                         cwd=tmp_path, capture_output=True, timeout=120)
    assert bad.returncode == 1 and b"glossary none.tsv: no such file" in bad.stderr


def test_every_parameter_in_the_query_string(server):
    query = urllib.parse.urlencode({"q": "Hello world", "source": "en", "target": "es"})
    status, body = request(f"{server.url}/translate?{query}", data=b"", method="POST")
    assert status == 200 and isinstance(body["translatedText"], str)


def test_libretranslate_aliases_are_accepted(server):
    for code in ("zt", "pb", "zh-Hant", "pt-BR", "German"):
        status, body = request(server.url + "/translate",
                               {"q": "Hello", "source": "en", "target": code})
        assert status == 200, (code, body)


def test_frontend_settings_and_health(server):
    status, settings = request(server.url + "/frontend/settings")
    assert status == 200 and settings["charLimit"] == 400 and settings["keyRequired"] is False
    status, health = request(server.url + "/health")
    assert status == 200 and health["status"] == "ok"


def upload(server, name: str, content: str) -> tuple[int, dict]:
    boundary = "llamaxboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nen\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nfr\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n{content}\r\n"
            f"--{boundary}--\r\n").encode()
    return request(server.url + "/translate_file", body,
                   {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def download(server, answer: dict) -> str:
    # A relative link unless the server is given --public-url (test_server_edge.py)
    url = urllib.parse.urljoin(server.url + "/translate_file", answer["translatedFileUrl"])
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


def test_translate_file_gives_a_download_url(server):
    status, answer = upload(server, "movie.srt", "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n")
    assert status == 200, answer
    assert download(server, answer).startswith("1\n00:00:01,000 --> 00:00:02,000\n")


def test_the_file_types_are_the_registrys_webvtt_included(server):
    # formats/registry.py decides what /translate_file takes and what the settings announce.
    status, settings = request(server.url + "/frontend/settings")
    assert status == 200 and settings["supportedFilesFormat"] == list(registry.file_extensions())
    assert {".txt", ".md", ".srt", ".html", ".htm", ".vtt", ".po", ".pot"} <= set(
        settings["supportedFilesFormat"])
    vtt = ("WEBVTT - demo\n\nNOTE kept as it is\n\n"
           "00:00:01.000 --> 00:00:02.000 align:start\nHello there.\n")
    status, answer = upload(server, "movie.vtt", vtt)
    assert status == 200, answer
    out = download(server, answer)
    assert out.startswith("WEBVTT - demo\n\nNOTE kept as it is\n\n"
                          "00:00:01.000 --> 00:00:02.000 align:start\n"), out
    status, answer = upload(server, "movie.ass", "[Script Info]\n")
    assert status == 400 and ".vtt" in answer["error"], answer
    pot = ('msgid ""\nmsgstr ""\n"Language: \\n"\n\n#: app.py:1\nmsgid "Hello there."\n'
           'msgstr ""\n')
    status, answer = upload(server, "app.pot", pot)
    assert status == 200 and answer["translatedFileUrl"].endswith("/app.fr.po"), answer
    out = download(server, answer)
    assert out.startswith('msgid ""\nmsgstr ""\n"Language: fr\\n"\n') and "Plural-Forms" in out
    assert '#: app.py:1' in out and 'msgid "Hello there."' in out
    status, answer = upload(server, "bad.po", 'msgid "a"\nmsgstr "b"\nbogus\n')
    assert status == 400 and "not a valid PO file" in answer["error"], answer


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("payload, status, message", [
    ({"source": "en", "target": "fr"}, 400, "missing q"),
    ({"q": "Hi", "source": "en", "target": "xx"}, 400, "not supported"),
    ({"q": "Hi", "source": "en"}, 400, "missing target"),
    ({"q": "x" * 401, "source": "en", "target": "fr"}, 400, "character limit"),
    ({"q": ["a", "b", "c", "d", "e"], "source": "en", "target": "fr"}, 400, "text limit"),
    ({"q": "Hi", "source": "en", "target": "fr", "format": "pdf"}, 400, "format"),
    ({"q": 5, "source": "en", "target": "fr"}, 400, "string"),
    ({"q": "Hi", "source": "en", "target": "fr", "alternatives": "two"}, 400, "a number"),
    ({"q": "Hi", "source": "en", "target": "fr", "alternatives": -1}, 400, "0 or more"),
])
def test_error_statuses_and_bodies(server, payload, status, message):
    got, body = request(server.url + "/translate", payload)
    assert got == status and set(body) == {"error"} and message in body["error"], body


def test_bad_json_and_unknown_routes_are_json_errors(server):
    status, body = request(server.url + "/translate", b"{not json",
                           {"Content-Type": "application/json"})
    assert status == 400 and "JSON" in body["error"]
    status, body = request(server.url + "/no/such/route")
    assert status == 404 and "error" in body


@pytest.mark.parametrize("route, body", [
    ("/v1/completions", {"prompt": "Hi \ud800", "max_tokens": 2}),
    ("/translate", {"q": "\ud800", "source": "en", "target": "fr"}),
    ("/detect", {"q": "a\ud800b"}),
    ("/llamax/translate", {"text": "Hello.", "source": "en", "target": "fr", "max_tokens": "x"}),
    ("/llamax/translate", {"text": "Hello.", "source": "en", "target": "fr", "temperature": "x"}),
    ("/llamax/translate", {"text": "Hello.", "source": "en", "target": "fr", "glossary": ["a"]}),
    ("/llamax/translate", {"text": "Hello.", "source": "en", "target": "fr", "per_unit": 5}),
    ("/llamax/translate", {"text": "Hello.", "source": "en", "target": "fr", "format": "pdf"}),
    ("/v1/completions", {"prompt": "Hi", "stop": 5}),
    ("/v1/completions", {"prompt": "Hi", "max_tokens": 0}),  # was silently 16
    ("/v1/completions", {"prompt": "Hi", "stream": "false"}),  # was a stream
])
def test_bad_fields_are_400s_and_the_engine_runs_on(server, route, body):
    # A lone surrogate or a max_tokens of "x" used to reach the engine's thread and stop it
    # for good: that request hung and every later one was told "the engine is shutting down".
    status, answer = request(server.url + route, body)
    # LibreTranslate's shape, and OpenAI's under /v1 (server_errors.py)
    error = answer["error"]["message"] if route.startswith("/v1") else answer["error"]
    assert status == 400 and isinstance(error, str), (status, answer)
    status, answer = request(server.url + "/translate", {"q": "Hi", "source": "en", "target": "fr"})
    assert status == 200 and isinstance(answer["translatedText"], str)
    assert request(server.url + "/health")[1]["admitted"] == 0  # the refused one holds no place


# -- load ------------------------------------------------------------------------------------

def test_200_concurrent_requests_get_a_translation_or_a_clean_429(server):
    def one(i):
        return request(server.url + "/translate",
                       {"q": f"Sentence number {i}.", "source": "en", "target": "fr"})

    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(one, range(200)))
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 8, statuses
    for status, body in answers:
        if status == 200:
            assert isinstance(body["translatedText"], str)
        else:
            assert body["error"].startswith("Slowdown")
    status, health = request(server.url + "/health")
    assert status == 200 and health["status"] == "ok"
    assert request(server.url + "/translate", {"q": "Hi", "source": "en", "target": "fr"})[0] == 200


# -- keys --------------------------------------------------------------------------------------

def test_api_keys_are_required_when_given(server_env, tmp_path):
    (tmp_path / "keys.txt").write_text("# team keys\nsecret-one\nsecret-two\n")
    srv = Server(server_env, tmp_path, "--api-keys", "keys.txt")
    try:
        ask = {"q": "Hello", "source": "en", "target": "fr"}
        assert request(srv.url + "/translate", ask)[0] == 403
        assert request(srv.url + "/translate", {**ask, "api_key": "wrong"})[0] == 403
        assert request(srv.url + "/translate", {**ask, "api_key": "secret-two"})[0] == 200
        form = urllib.parse.urlencode({**ask, "api_key": "secret-one"})
        assert request(srv.url + "/translate", form)[0] == 200
        assert request(srv.url + "/frontend/settings")[1]["keyRequired"] is True
    finally:
        srv.stop()


# -- the CLI on a warm server ------------------------------------------------------------------

def test_cli_with_server_matches_a_local_run(server, llamax, tmp_path):
    (tmp_path / "doc.md").write_text("# A title\n\nGood morning, my friend.\n\n"
                                     "- The weather is lovely today.\n- See you `soon`.\n")
    # Byte-identical needs batch-invariant kernels on both sides (the server's too).
    args = ("translate", "--from", "en", "--to", "fr", "--max-tokens", "16", "--deterministic")
    local = llamax(*args, "--json", "--no-server", "doc.md")
    remote = llamax(*args, "--json", "--server", server.url, "doc.md")
    assert_finished(local)
    assert_finished(remote)
    strip = [{k: v for k, v in json.loads(line).items() if k != "seconds"}
             for line in local.stdout.decode().splitlines()]
    assert strip == [{k: v for k, v in json.loads(line).items() if k != "seconds"}
                     for line in remote.stdout.decode().splitlines()]
    assert local.returncode == remote.returncode
    out_local = llamax(*args, "--no-server", "doc.md", "-o", "local.md")
    out_remote = llamax(*args, "--server", server.url, "doc.md", "-o", "remote.md")
    assert out_local.returncode == out_remote.returncode
    assert (tmp_path / "local.md").read_bytes() == (tmp_path / "remote.md").read_bytes()


def test_cli_with_an_unreachable_server_is_one_clear_error(llamax):
    port = free_port()
    proc = llamax("translate", "--from", "en", "--to", "fr", "--server",
                  f"http://127.0.0.1:{port}", "-t", "Hello")
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 1 and err[-1].startswith("llamax: error: cannot reach the server")


# -- shutdown ----------------------------------------------------------------------------------

def test_sigterm_mid_request_answers_it_then_exits(server_env, tmp_path):
    srv = Server(server_env, tmp_path)
    text = "".join(f"Sentence number {i} is here.\n" for i in range(60))
    req = urllib.request.Request(srv.url + "/llamax/translate", json.dumps(
        {"text": text, "source": "en", "target": "fr", "max_tokens": 8}).encode(),
        {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=300) as response:
        first = json.loads(response.readline())  # the request is in flight now
        srv.terminate()
        rest = [json.loads(line) for line in response]
    records = [first] + rest
    assert records[-1] == {"done": True}  # finished, not cut
    assert sum(1 for r in records if "unit" in r) == 60
    code, err = srv.stop()
    assert code == 0 and "Traceback" not in err, err
    assert not (tmp_path / "serve.json").exists()


# -- awkward inputs to the server ------------------------------------------------------------

def test_a_port_in_use_is_one_clear_error_before_the_model_loads(server, llamax):
    proc = llamax("serve", "--port", str(server.port))
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 1 and err == [f"llamax: error: cannot listen on 127.0.0.1:"
                                            f"{server.port}: Address already in use"]


def test_missing_or_empty_api_keys_file(llamax, tmp_path):
    proc = llamax("serve", "--port", str(free_port()), "--api-keys", "none.txt")
    assert proc.returncode == 1 and b"cannot read the API keys file none.txt" in proc.stderr
    (tmp_path / "empty.txt").write_text("# no keys yet\n")
    proc = llamax("serve", "--port", str(free_port()), "--api-keys", "empty.txt")
    assert proc.returncode == 2 and b"holds no key" in proc.stderr


def test_a_form_body_with_raw_utf8_is_read_as_utf8(server):
    raw = "q=Grüße aus Köln&source=de&target=en&format=text".encode()
    status, body = request(server.url + "/translate", raw,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    status, body = request(server.url + "/translate", b"q=\xff\xfe&target=en",
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "UTF-8" in body["error"]


def test_an_oversized_body_is_refused_with_413(server):
    status, body = request(server.url + "/translate",
                           {"q": "a" * (3 * 2**20), "source": "en", "target": "fr"})
    assert status == 413 and "exceeds" in body["error"]


def test_nothing_to_translate_comes_back_unchanged(server):
    status, body = request(server.url + "/translate", {"q": "😀 12345", "source": "auto",
                                                       "target": "fr"})
    assert status == 200 and body["translatedText"] == "😀 12345"


def test_a_client_that_disconnects_frees_its_slots(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2")
    try:
        # Thousands of units: minutes of work, unless the disconnect cancels it.
        text = "".join(f"Sentence number {i} is here.\n" for i in range(3000))
        req = urllib.request.Request(srv.url + "/llamax/translate", json.dumps(
            {"text": text, "source": "en", "target": "fr", "max_tokens": 8}).encode(),
            {"Content-Type": "application/json"}, method="POST")
        response = urllib.request.urlopen(req, timeout=300)
        json.loads(response.readline())  # in flight now
        busy = request(srv.url + "/health")[1]
        # Between two steps both slots can be free (units of the same length end together):
        # the units queued behind them are still there.
        assert busy["active"] + busy["waiting"] > 0, busy
        response.close()  # the client goes away
        deadline = time.time() + 120
        while time.time() < deadline:
            health = request(srv.url + "/health")[1]
            if health["active"] == 0 and health["waiting"] == 0 and health["admitted"] == 0:
                break
            time.sleep(0.2)
        assert health == {"status": "ok", "slots": 2, "active": 0, "waiting": 0, "admitted": 0}, \
            health
        assert request(srv.url + "/translate", {"q": "Hi", "source": "en", "target": "fr"})[0] == 200
    finally:
        srv.stop()


def slots_freed(srv) -> None:
    """Wait (polling /health, up to 120 s) until no slot is active or admitted."""
    deadline = time.time() + 120
    while time.time() < deadline:
        health = request(srv.url + "/health")[1]
        if health["active"] == 0 and health["admitted"] == 0:
            break
        time.sleep(0.2)
    assert health["active"] == 0 and health["admitted"] == 0, health


def test_a_plain_completion_whose_client_disconnects_is_cancelled(server_env, tmp_path):
    # Not streamed: the answer would come whole at the end, so only a watcher can notice the
    # client leaving. Counting on to 16k tokens takes minutes here; the slot frees at once.
    srv = Server(server_env, tmp_path, "--parallel", "1", "--ctx", "16384")
    try:
        body = json.dumps({"prompt": "1, 2, 3, 4, 5,", "max_tokens": 16000, "temperature": 0})
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          f"application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
                          ).encode())
            deadline = time.time() + 120
            while request(srv.url + "/health")[1]["active"] == 0 and time.time() < deadline:
                time.sleep(0.1)
        slots_freed(srv)
    finally:
        code, err = srv.stop()
    assert code == 0 and "Traceback" not in err, err  # a stop by SIGTERM is a clean exit


def test_a_streamed_completion_whose_client_disconnects_is_cancelled(server_env, tmp_path):
    # Streamed: tokens go out as they come (several in one write when they wait); the
    # client reads two lines and leaves, and the slot frees at once.
    srv = Server(server_env, tmp_path, "--parallel", "1", "--ctx", "16384")
    try:
        body = json.dumps({"prompt": "1, 2, 3, 4, 5,", "max_tokens": 16000, "temperature": 0,
                           "stream": True})
        with socket.create_connection(("127.0.0.1", srv.port)) as sock:
            sock.sendall((f"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          f"application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}"
                          ).encode())
            received = b""
            while received.count(b"data: ") < 2:
                chunk = sock.recv(4096)
                assert chunk, received
                received += chunk
            assert b'"text"' in received
        slots_freed(srv)
        streamed = urllib.request.urlopen(urllib.request.Request(
            srv.url + "/v1/completions", json.dumps({"prompt": "1, 2, 3,", "max_tokens": 4,
                                                     "temperature": 0, "stream": True}).encode(),
            {"Content-Type": "application/json"}, method="POST"), timeout=120).read().decode()
        events = [line[6:] for line in streamed.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]" and json.loads(events[-2])["usage"]["completion_tokens"] <= 4
    finally:
        code, err = srv.stop()
    assert code == 0 and "Traceback" not in err, err


def test_translated_file_folders_of_killed_servers_are_removed(tmp_path, monkeypatch):
    import tempfile

    from llamax_cli.server.files import files_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"llamax-serve-{dead.pid}-abc"
    (stale / "token").mkdir(parents=True)
    live = tmp_path / f"llamax-serve-{os.getpid()}-def"
    live.mkdir()
    fresh = files_folder()
    assert not stale.exists() and live.exists() and fresh.is_dir()
    assert fresh.name.startswith(f"llamax-serve-{os.getpid()}-")


# -- the source language: one policy for the CLI and the server -------------------------------

MIXED = ("The committee will publish its final report in the spring.\n"
         "Комитет опубликует свой окончательный доклад весной.\n"
         "Please send your comments to the secretary before Friday.\n")


def stream_records(url: str, body: dict) -> list[dict]:
    req = urllib.request.Request(url + "/llamax/translate", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=300) as response:
        return [json.loads(line) for line in response]


def test_the_cli_and_the_server_choose_the_same_sources_for_a_mixed_text(server, llamax):
    # Lines in English and Russian: as a whole the text reads as Russian (its Cyrillic
    # outweighs), but each line is surely its own language. The server used to translate it
    # all from Russian; the CLI goes unit by unit. Now both ask Translator.choose_source.
    # (--deterministic on both sides: the same source gives the same bytes.)
    local = llamax("translate", "--to", "fr", "--json", "--no-server", "--deterministic",
                   "--max-tokens", "16", "-t", MIXED)
    assert_finished(local)
    chosen = [(r["source_language"], r["translation"])
              for r in map(json.loads, local.stdout.decode().splitlines())]
    assert [code for code, _ in chosen] == ["en", "ru", "en"]
    streamed = stream_records(server.url, {"text": MIXED, "format": "text", "source": "auto",
                                           "target": "fr", "max_tokens": 16})
    assert streamed[-1] == {"done": True}, streamed[-1]
    assert [(r["unit"]["source_language"], r["unit"]["translation"])
            for r in streamed if "unit" in r] == chosen
    # LibreTranslate's /translate: the same choice, its language the one most units are in.
    status, body = request(server.url + "/translate", {"q": MIXED, "source": "auto",
                                                      "target": "fr"})
    assert status == 200, body
    assert body["detectedLanguage"]["language"] == "en"
    assert 0 < body["detectedLanguage"]["confidence"] <= 100


def test_a_request_s_beams_get_the_limits_of_the_setting(server):
    body = {"text": "Hello.", "source": "en", "target": "fr", "beams": 17}
    status, answer = request(server.url + "/llamax/translate", body)
    assert status == 400 and answer["error"] == ("Invalid request: beams 17: must be at most "
                                                 "16, got 17"), answer
    status, answer = request(server.url + "/llamax/translate", {**body, "beams": 0})
    assert status == 400 and "beams 0: must be at least 1" in answer["error"], answer
    status, answer = request(server.url + "/llamax/translate",
                             {**body, "beams": None, "source": "auto", "per_unit": ["en"]})
    assert status == 400 and "with a named source" in answer["error"], answer


# -- the translation memory ------------------------------------------------------------------

def test_the_server_answers_from_the_translation_memory(server_env, tmp_path):
    # A reviewed translation imported from a CAT tool's TMX is served as an exact match,
    # whatever the model would have said; a text the memory lacks is translated and kept.
    from llamax_cli.service.memory import Memory
    from llamax_cli.service.memory_tmx import import_tmx
    from llamax_cli.service.tmx import Pair, write_tmx

    write_tmx(tmp_path / "reviewed.tmx", [Pair("en", "fr", "Good morning, my friends.",
                                               "Bonjour, mes amis (relu).")])
    memory = Memory(tmp_path / "memory.db")
    assert import_tmx(memory, tmp_path / "reviewed.tmx") == 1
    memory.close()
    srv = Server(server_env, tmp_path, "--memory", str(tmp_path / "memory.db"))
    try:
        status, body = request(srv.url + "/translate", {
            "q": ["Good morning, my friends.", "The museum opens at nine."],
            "source": "en", "target": "fr"})
        assert status == 200, body
        assert body["translatedText"][0] == "Bonjour, mes amis (relu)."
    finally:
        code, err = srv.stop()
    assert code == 0, err
    stats = Memory(tmp_path / "memory.db").stats()
    assert stats["imported"] == 1  # the second text, computed, is kept only if it came out ok


def test_serve_no_memory_leaves_the_memory_alone(server_env, tmp_path):
    srv = Server({**server_env, "LLAMAX_MEMORY": str(tmp_path / "never.db")}, tmp_path,
                 "--no-memory")
    try:
        status, _ = request(srv.url + "/translate", {"q": "Hello there.", "source": "en",
                                                     "target": "fr"})
        assert status == 200
    finally:
        code, err = srv.stop()
    assert code == 0, err
    assert not (tmp_path / "never.db").exists()
