"""The HTTP edge of `llamax serve`, through a real server process and real clients (raw
sockets, http.client, urllib): body limits counted as bytes arrive, CORS, repeated fields,
expiring files, download URLs, OpenAI-shaped errors, usage through a remote engine, and
uvicorn's limits."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
from test_server import Server, free_port, request, server_env  # noqa: F401 (a fixture)

LIMIT = 2 * 2**20  # the server's body limit (Limits.body_bytes)


@pytest.fixture(scope="module")
def edge(server_env, tmp_path_factory):  # noqa: F811
    srv = Server(server_env, tmp_path_factory.mktemp("edge"), "--queue", "8",
                 "--char-limit", "400", "--batch-limit", "4")
    yield srv
    srv.stop()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def send_chunked(port: int, path: str, ctype: str, pieces, timeout: float = 120):
    """POST `pieces` as a chunked body on a raw socket, as far as the server reads it:
    (bytes sent, status or None, parsed JSON body or None)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sent = 0
    try:
        sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n"
                      f"Transfer-Encoding: chunked\r\n\r\n").encode())
        try:
            for piece in pieces:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer may still be there
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            body = response.read()
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return sent, None, None
        return sent, response.status, json.loads(body) if body else None
    finally:
        sock.close()


def multipart(fields: dict, name: str, content: bytes, boundary: str = "edgeboundary") -> bytes:
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
             .encode() for k, v in fields.items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                 f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n".encode()
                 + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


# -- 3. bodies are counted as they arrive ----------------------------------------------------

def test_a_huge_chunked_json_body_is_not_read_into_memory(edge):
    before = rss_kib(edge.proc.pid)
    total = 100 * 2**20
    piece = b"a" * 2**16

    def body():
        yield b'{"q": "'
        for _ in range(total // len(piece)):
            yield piece
        yield b'", "source": "en", "target": "fr"}'

    sent, status, answer = send_chunked(edge.port, "/translate", "application/json", body())
    # The server stopped reading well before the end (it read 100 MB before answering 413).
    assert sent < total // 2, sent
    assert status in (None, 413), (status, answer)
    assert rss_kib(edge.proc.pid) - before < 50 * 1024  # far less than the body
    assert request(edge.url + "/health")[0] == 200


def test_a_chunked_json_body_a_few_times_the_limit_gets_a_clean_413(edge):
    piece = b"b" * 2**16
    pieces = [b'{"q": "'] + [piece] * (3 * LIMIT // len(piece)) + [b'"}']
    sent, status, answer = send_chunked(edge.port, "/translate", "application/json", pieces)
    assert status == 413 and "exceeds" in answer["error"], (status, answer)


def test_a_chunked_upload_over_the_limit_is_refused_before_anything_else(edge):
    # An unknown target would be a 400, but only once the whole upload was taken in: the
    # upload's size is refused first, as it arrives.
    content = b"Hello there. " * (3 * LIMIT // 13)
    body = multipart({"source": "en", "target": "zz"}, "big.txt", content)
    pieces = [body[i:i + 2**16] for i in range(0, len(body), 2**16)]
    sent, status, answer = send_chunked(edge.port, "/translate_file",
                                        "multipart/form-data; boundary=edgeboundary", pieces)
    assert status == 413 and "exceeds" in answer["error"], (status, answer)


def test_an_uploaded_file_has_the_character_limit_of_translate(edge):
    body = multipart({"source": "en", "target": "fr"}, "long.txt", b"Hello there. " * 40)
    status, answer = request(edge.url + "/translate_file", body,
                             {"Content-Type": "multipart/form-data; boundary=edgeboundary"})
    assert status == 400 and "character limit (400)" in answer["error"], (status, answer)


# -- 7. a repeated q is a list ---------------------------------------------------------------

def test_a_repeated_q_in_a_form_or_the_query_string_is_a_list(edge):
    # Texts with nothing to translate come back as they are: every one must be there.
    status, body = request(edge.url + "/translate", "q=12345&q=%F0%9F%98%80+678&source=en"
                                                    "&target=fr")
    assert status == 200 and body["translatedText"] == ["12345", "\U0001F600 678"], body
    status, body = request(edge.url + "/translate?q=1&q=2&q=3&source=auto&target=fr")
    assert status == 200 and body["translatedText"] == ["1", "2", "3"], body
    assert len(body["detectedLanguage"]) == 3
    status, body = request(edge.url + "/translate", "q=12345&source=en&target=fr")
    assert status == 200 and body["translatedText"] == "12345", body
    status, body = request(edge.url + "/translate", "q=1&q=2&q=3&q=4&q=5&source=en&target=fr")
    assert status == 400 and "text limit" in body["error"], body
