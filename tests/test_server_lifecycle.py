"""`llamax serve` under load, as a real process with real clients: a stop with a full queue,
clients that go away, requests that arrive while the model loads (server_lifecycle.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from openai_proxy import Faults, Proxy
from test_engine_remote import ReferenceServer
from test_server_app import Server, free_port, request, server_env  # noqa: F401 (a fixture)

# Sixty lines of a few words: a minute or more of work per request on the test model.
LONG = "".join(f"Sentence number {i} is here, and it says a little more.\n" for i in range(60))


def wait_for(predicate, what: str, seconds: float = 120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False


def health(srv) -> dict:
    return request(srv.url + "/health")[1]


def raw_request(port: int, method: str, path: str, body: bytes, ctype: str) -> socket.socket:
    """A request sent on a socket the test keeps open (and may close: the client leaves)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return sock


def multipart(name: str, data: bytes, fields: dict) -> tuple[bytes, str]:
    boundary = "llamaxtestboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode() + data
                 + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def loaded_requests(port: int) -> list[socket.socket]:
    """40 long requests on every translating route, in the shapes clients send them."""
    json_body = json.dumps({"q": LONG, "source": "en", "target": "fr"}).encode()
    form_body = urllib.parse.urlencode({"q": LONG, "source": "en", "target": "fr"}).encode()
    stream_body = json.dumps({"text": LONG, "source": "en", "target": "fr"}).encode()
    file_body, file_type = multipart("notes.txt", LONG.encode(), {"source": "en",
                                                                  "target": "fr"})
    socks = [raw_request(port, "POST", "/translate", json_body, "application/json")
             for _ in range(20)]
    socks += [raw_request(port, "POST", "/translate", form_body,
                          "application/x-www-form-urlencoded") for _ in range(10)]
    socks += [raw_request(port, "POST", "/translate_file", file_body, file_type)
              for _ in range(5)]
    socks += [raw_request(port, "POST", "/llamax/translate", stream_body, "application/json")
              for _ in range(5)]
    return socks


def read_answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and the body of the answer on a raw socket (until the server closes it)."""
    sock.settimeout(120)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return int(head.split()[1]), body


def dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size.split(b";")[0] or b"0", 16)
        if n == 0:
            break
        out, data = out + rest[:n], rest[n + 2:]
    return out


def test_clients_that_go_away_free_every_slot_and_place(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2")
    try:
        socks = loaded_requests(srv.port)
        wait_for(lambda: health(srv)["admitted"] == 40, "all 40 requests admitted")
        busy = health(srv)
        assert busy["active"] + busy["waiting"] > 0, busy
        for sock in socks:  # every client goes away; their work would take many minutes
            sock.close()
        idle = wait_for(lambda: (h := health(srv))["admitted"] == 0 and h["active"] == 0
                        and h["waiting"] == 0 and h, "every slot and place freed", 90)
        assert idle == {"status": "ok", "slots": 2, "active": 0, "waiting": 0, "admitted": 0}
        status, body = request(srv.url + "/translate", {"q": "Hi", "source": "en",
                                                        "target": "fr"})
        assert status == 200 and isinstance(body["translatedText"], str)
    finally:
        code, err = srv.stop()
    assert code == 0 and "Traceback" not in err, err


def _answers_during_stop(srv) -> tuple[list, list, float]:
    socks = loaded_requests(srv.port)
    wait_for(lambda: health(srv)["admitted"] == 40, "all 40 requests admitted")
    start = time.time()
    srv.terminate()
    answers = [read_answer(sock) for sock in socks]
    srv.proc.wait(timeout=60)  # grace 2 s: a stop that hangs fails here
    return answers, socks, time.time() - start


def test_sigterm_with_a_full_queue_answers_every_client_and_exits_0(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2", "--grace", "2")
    try:
        answers, socks, _ = _answers_during_stop(srv)
    finally:
        code, err = srv.stop()
    assert code == 0, err
    assert "Traceback" not in err and "timeout graceful shutdown" not in err, err
    assert "stopping: 40 request(s) in flight" in err
    statuses = [status for status, _ in answers]
    # 40 minutes-long requests cannot finish within 2 s: most get the stop's answer.
    assert statuses.count(503) >= 30, statuses
    for (status, body), kind in zip(answers, ["json"] * 30 + ["file"] * 5 + ["stream"] * 5):
        if kind == "stream":  # a 200 stream whose last line is the error, in its own format
            last = json.loads(body.decode().strip().splitlines()[-1])
            assert status == 200 and last.get("status") in (503, None), body[-300:]
            assert last.get("done") or "shutting down" in last["error"], last
        elif status == 503:
            assert "shutting down" in json.loads(body)["error"], body
        else:
            assert status == 200, (status, body[:300])


def test_a_second_signal_stops_at_once(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2", "--grace", "600")
    socks = loaded_requests(srv.port)
    try:
        wait_for(lambda: health(srv)["admitted"] == 40, "all 40 requests admitted")
        srv.terminate()
        # The first signal is handled once the server stops listening (signals sent close
        # together may arrive as one).
        wait_for(lambda: not port_open(srv.port), "the server to stop listening", 60)
        srv.proc.send_signal(15)
        code = srv.proc.wait(timeout=60)  # the grace (600 s) is not waited for
    finally:
        for sock in socks:
            sock.close()
        srv.stop()
    assert code == 128 + 15


def test_requests_wait_for_the_model_while_it_loads(server_env, gemma_path, tmp_path):
    # The "model" is a remote engine that cannot be reached yet: loading waits on it, which
    # gives the test all the time it needs to send requests during loading.
    reference = ReferenceServer(gemma_path)
    gate = threading.Event()
    proxy = Proxy(reference.url.removesuffix("/v1"), Faults(gate=gate))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llamax_cli", "serve", "--port", str(port),
                             "--api-base", proxy.url + "/v1"], env=server_env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    answers: list = []
    try:
        def loading():
            try:
                return request(url + "/health", timeout=5)
            except OSError:
                return None

        assert wait_for(loading, "the server answering") == (200, {"status": "loading",
                                                                    "admitted": 0})
        assert request(url + "/ready")[0] == 503
        client = threading.Thread(target=lambda: answers.append(request(
            url + "/translate", {"q": "Good morning.", "source": "en", "target": "fr"})))
        client.start()
        wait_for(lambda: request(url + "/health")[1]["admitted"] == 1, "the request admitted")
        assert request(url + "/health")[1]["status"] == "loading"
        gate.set()  # the engine is reachable: the model "loads", and the request goes on
        client.join(timeout=300)
        assert request(url + "/ready") == (200, {"ready": True, "status": "ok"})
    finally:
        gate.set()
        proc.terminate()
        _, err = proc.communicate(timeout=120)
        proxy.close()
        reference.kill()
    assert answers and answers[0][0] == 200, answers
    assert isinstance(answers[0][1]["translatedText"], str)
    assert proc.returncode == 0 and "Traceback" not in err.decode(), err.decode()


def test_a_model_that_fails_to_load_answers_the_waiting_requests(server_env, tmp_path):
    gate = threading.Event()
    proxy = Proxy(f"http://127.0.0.1:{free_port()}", Faults(gate=gate))  # nothing behind it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llamax_cli", "serve", "--port", str(port),
                             "--api-base", proxy.url + "/v1", "--remote-timeout", "1"],
                            env=server_env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    answers: list = []
    try:
        wait_for(lambda: port_open(port), "the server answering")
        client = threading.Thread(target=lambda: answers.append(request(
            url + "/translate", {"q": "Good morning.", "source": "en", "target": "fr"})))
        client.start()
        wait_for(lambda: request(url + "/health")[1]["admitted"] == 1, "the request admitted")
        gate.set()  # the engine's probe now fails: the model does not load
        client.join(timeout=120)
        proc.wait(timeout=120)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
        err = proc.communicate()[1].decode()
        proxy.close()
    assert answers and answers[0][0] == 503, answers
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("llamax: error:"), err


def test_a_document_stream_whose_client_leaves_before_its_first_line_is_cancelled(server_env,
                                                                                   tmp_path):
    # One unit of a thousand clauses: minutes before /llamax/translate has a line to send,
    # so only the disconnect message can tell the server that its client has gone.
    text = ", ".join(f"and then clause number {i} came" for i in range(1000)) + ".\n"
    body = json.dumps({"text": text, "source": "en", "target": "fr", "format": "text",
                       "max_tokens": 8000}).encode()
    srv = Server(server_env, tmp_path, "--parallel", "2", "--ctx", "16384")
    try:
        sock = raw_request(srv.port, "POST", "/llamax/translate", body, "application/json")
        wait_for(lambda: health(srv)["active"] > 0, "the unit decoding")
        sock.close()
        wait_for(lambda: (h := health(srv))["admitted"] == 0 and h["active"] == 0,
                 "the stream's work cancelled", 60)
    finally:
        code, err = srv.stop()
    assert code == 0 and "Traceback" not in err, err
