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
from conftest import assert_one_line_error
from test_server_app import Server, free_port, request, server_env  # noqa: F401 (a fixture)

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


def exchange(port: int, method: str, path: str, headers=None, body=None, timeout=120):
    """(status, headers as a lower-cased dict, body bytes) of one request on its own
    connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


# -- 5. CORS ---------------------------------------------------------------------------------

def test_cors_is_open_to_every_origin_by_default(edge):
    origin = {"Origin": "https://app.example"}
    status, headers, _ = exchange(edge.port, "OPTIONS", "/translate", {
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200 and headers["access-control-allow-origin"] == "*", headers
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()
    for path in ("/languages", "/frontend/settings"):
        status, headers, _ = exchange(edge.port, "GET", path, origin)
        assert status == 200 and headers["access-control-allow-origin"] == "*", headers
    # A page must be able to read why it was refused, too.
    status, headers, body = exchange(edge.port, "POST", "/translate", {
        **origin, "Content-Type": "application/json"}, json.dumps({"q": "Hi"}))
    assert status == 400 and headers["access-control-allow-origin"] == "*"
    assert "error" in json.loads(body)


def test_cors_origins_can_be_named_or_turned_off(server_env, tmp_path):  # noqa: F811
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    srv = Server(server_env, tmp_path, "--cors-origins", "https://app.example, http://b.test")
    try:
        status, headers, _ = exchange(srv.port, "OPTIONS", "/translate",
                                      {"Origin": "https://app.example", **preflight})
        assert status == 200, headers
        assert headers["access-control-allow-origin"] == "https://app.example"
        status, headers, _ = exchange(srv.port, "GET", "/languages",
                                      {"Origin": "https://evil.example"})
        assert status == 200 and "access-control-allow-origin" not in headers
    finally:
        srv.stop()
    srv = Server(server_env, tmp_path, "--cors-origins", "none")
    try:
        status, headers, _ = exchange(srv.port, "GET", "/languages",
                                      {"Origin": "https://app.example"})
        assert status == 200 and "access-control-allow-origin" not in headers
    finally:
        srv.stop()


def test_a_bad_cors_origin_is_a_usage_error(llamax):
    result = llamax("serve", "--cors-origins", "app.example", "--port", str(free_port()))
    assert "--cors-origins" in assert_one_line_error(result, 2)


# -- 12. limits of the connection -------------------------------------------------------------

def test_a_long_url_gets_a_414_and_the_server_goes_on(edge):
    query = "q=" + "a" * 200_000 + "&source=en&target=fr"
    status, headers, body = exchange(edge.port, "GET", "/translate?" + query)
    assert status == 414 and "POST" in json.loads(body)["error"], body
    status, headers, body = exchange(edge.port, "GET", "/v1/models?x=" + "a" * 200_000)
    assert status == 414 and json.loads(body)["error"]["code"] == "uri_too_long"
    assert request(edge.url + "/health")[0] == 200


def test_slow_clients_are_timed_out(edge):
    def trickle_head():
        with socket.create_connection(("127.0.0.1", edge.port), timeout=120) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the end
            try:
                return sock.recv(1000)  # b"" once the server closes it
            except ConnectionResetError:
                return b""

    def stall_body():
        with socket.create_connection(("127.0.0.1", edge.port), timeout=120) as sock:
            sock.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                         b"json\r\nContent-Length: 100\r\n\r\n{\"q\": ")
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status, json.loads(response.read())

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        head, body = pool.submit(trickle_head), pool.submit(stall_body)
        assert head.result() == b""
        status, answer = body.result()
    assert status == 408 and "nothing of the body" in answer["error"], answer


def test_a_full_queue_says_when_to_retry(server_env, tmp_path):  # noqa: F811
    srv = Server(server_env, tmp_path, "--queue", "1", "--parallel", "1", "--ctx", "16384")
    try:
        # A completion counting on for minutes holds the only place, until it is closed.
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
        conn.request("POST", "/v1/completions", json.dumps(
            {"prompt": "1, 2, 3, 4, 5,", "max_tokens": 16000, "stream": True}),
            {"Content-Type": "application/json"})
        stream = conn.getresponse()
        assert stream.status == 200 and stream.readline().startswith(b"data:")
        status, headers, body = exchange(srv.port, "POST", "/translate", {
            "Content-Type": "application/json"}, json.dumps({"q": "Hi", "target": "fr"}))
        assert status == 429 and int(headers["retry-after"]) >= 1, (status, headers)
        assert json.loads(body)["error"].startswith("Slowdown")
        status, headers, body = exchange(srv.port, "POST", "/v1/completions", {
            "Content-Type": "application/json"}, json.dumps({"prompt": "Hi"}))
        assert status == 429 and int(headers["retry-after"]) >= 1, (status, headers)
        assert json.loads(body)["error"]["type"] == "rate_limit_error"
        conn.close()
    finally:
        srv.stop()


def test_requests_beyond_the_in_flight_limit_get_a_json_503(server_env, tmp_path):  # noqa: F811
    from llamax_cli.server.edge import in_flight_limit

    srv = Server(server_env, tmp_path, "--queue", "1")
    socks = []
    try:
        # Each request's body is promised and not sent: each stays in flight.
        for _ in range(in_flight_limit(1)):
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=120)
            sock.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
                         b"json\r\nContent-Length: 100\r\n\r\n")
            socks.append(sock)
        deadline = time.time() + 10
        while True:  # until the server has taken in every one of them
            status, headers, body = exchange(srv.port, "GET", "/languages")
            if status == 503 or time.time() > deadline:
                break
            time.sleep(0.1)
        assert status == 503 and headers["retry-after"], (status, headers)
        assert json.loads(body)["error"].startswith("Slowdown")
    finally:
        for sock in socks:
            sock.close()
        srv.stop()
    # (once they are gone, the server answers again: the other tests use it on)


# -- 8, 9. translated files: they expire, and their links trust no Host header ----------------

def upload(port: int, name: str, content: bytes, host: str = "127.0.0.1"):
    body = multipart({"source": "en", "target": "fr"}, name, content)
    status, _, answer = exchange(port, "POST", "/translate_file", {
        "Host": host, "Content-Type": "multipart/form-data; boundary=edgeboundary"}, body)
    assert status == 200, answer
    return json.loads(answer)["translatedFileUrl"]


def test_a_file_link_is_relative_whatever_the_host_header_says(edge):
    link = upload(edge.port, "numbers é.txt", b"12345 67890\n", host="evil.example")
    assert link.startswith("/download_file/") and "evil" not in link, link
    status, _, content = exchange(edge.port, "GET", link)
    assert status == 200 and content == b"12345 67890\n"


def test_public_url_and_a_file_store_that_keeps_the_newest(server_env, tmp_path):  # noqa: F811
    # Digits only: nothing to translate, so each file comes back as it went, 24 bytes.
    srv = Server(server_env, tmp_path, "--public-url", "https://lt.example.org/base/",
                 "--file-store", "40")
    try:
        first = upload(srv.port, "a.txt", b"1111 2222 3333 4444 555\n", host="evil.example")
        assert first.startswith("https://lt.example.org/base/download_file/"), first
        path = first[len("https://lt.example.org/base"):]
        status, _, content = exchange(srv.port, "GET", path)
        assert status == 200 and content == b"1111 2222 3333 4444 555\n"
        second = upload(srv.port, "b.txt", b"6666 7777 8888 9999 000\n")
        # Both would take 48 bytes: the older one went.
        assert exchange(srv.port, "GET", path)[0] == 404
        status, _, content = exchange(srv.port, "GET", second[len("https://lt.example.org/base"):])
        assert status == 200 and content == b"6666 7777 8888 9999 000\n"
    finally:
        srv.stop()


def test_translated_files_expire(server_env, tmp_path):  # noqa: F811
    srv = Server(server_env, tmp_path, "--file-ttl", "0")
    try:
        link = upload(srv.port, "a.txt", b"12345 67890\n")
        status, _, body = exchange(srv.port, "GET", link)
        assert status == 404 and "kept 0 seconds" in json.loads(body)["error"], body
    finally:
        srv.stop()


@pytest.mark.parametrize("option, value", [("--public-url", "lt.example.org"),
                                           ("--file-store", "lots")])
def test_bad_edge_options_are_usage_errors(llamax, option, value):
    result = llamax("serve", option, value, "--port", str(free_port()))
    assert option in assert_one_line_error(result, 2)


# -- 10. OpenAI-shaped errors under /v1 ------------------------------------------------------

def openai_error_of(status_body) -> dict:
    """The error object an OpenAI client reads: a message, a type, a param and a code."""
    error = json.loads(status_body)["error"]
    assert isinstance(error, dict) and set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["type"], str), error
    return error


@pytest.mark.parametrize("extra, field", [({"n": 2}, "n"), ({"best_of": 3}, "best_of"),
                                          ({"logprobs": 1}, "logprobs"),
                                          ({"logprobs": 0}, "logprobs"),
                                          ({"echo": True}, "echo"),
                                          ({"max_tokens": "x"}, "max_tokens"),
                                          ({"stop": 5}, "stop")])
def test_what_completions_do_not_do_is_refused_naming_the_field(edge, extra, field):
    status, _, body = exchange(edge.port, "POST", "/v1/completions", {
        "Content-Type": "application/json"}, json.dumps({"prompt": "Hi", **extra}))
    error = openai_error_of(body)
    assert status == 400 and error["param"] == field and field in error["message"], error
    assert error["type"] == "invalid_request_error"


def test_the_served_model_or_none_is_accepted_and_another_is_a_404(edge):
    served = request(edge.url + "/v1/models")[1]["data"][0]["id"]
    for model in (served, None):
        body = {"prompt": "Hi", "max_tokens": 1, "n": 1, "echo": False, "logprobs": None,
                **({"model": model} if model else {})}
        status, answer = request(edge.url + "/v1/completions", body)
        assert status == 200 and answer["model"] == served, answer
    status, _, body = exchange(edge.port, "POST", "/v1/completions", {
        "Content-Type": "application/json"}, json.dumps({"prompt": "Hi", "model": "gpt-4"}))
    error = openai_error_of(body)
    assert status == 404 and error["param"] == "model" and error["code"] == "model_not_found"
    assert "gpt-4" in error["message"] and served in error["message"]


def test_every_error_under_v1_has_the_openai_shape(edge):
    json_type = {"Content-Type": "application/json"}
    for method, path, headers, body, expected in [
            ("GET", "/v1/nothing", {}, None, 404),
            ("GET", "/v1/completions", {}, None, 405),
            ("POST", "/v1/completions", json_type, b"{not json", 400),
            ("POST", "/v1/completions", json_type,
             json.dumps({"prompt": "a" * (3 * LIMIT)}), 413)]:
        status, _, answer = exchange(edge.port, method, path, headers, body)
        assert status == expected, (path, status, answer)
        openai_error_of(answer)
    # A failure inside a stream has the same shape: a prompt far longer than the context.
    status, _, answer = exchange(edge.port, "POST", "/v1/completions", json_type, json.dumps(
        {"prompt": "word " * 40_000, "max_tokens": 4, "stream": True}))
    events = [line[5:].strip() for line in answer.decode().splitlines()
              if line.startswith("data:")]
    assert status == 200 and events[-1] == "[DONE]", answer
    error = openai_error_of(events[-2])
    assert "maximum context length" in error["message"], error
    # LibreTranslate's routes keep LibreTranslate's shape.
    status, _, answer = exchange(edge.port, "GET", "/nothing")
    assert status == 404 and isinstance(json.loads(answer)["error"], str)


# -- 11. usage through a serve-over-remote front ----------------------------------------------

def streamed_usage(url: str, body: dict) -> dict:
    status, _, answer = exchange(int(url.rsplit(":", 1)[1]), "POST", "/v1/completions",
                                 {"Content-Type": "application/json"},
                                 json.dumps({**body, "stream": True}))
    events = [line[5:].strip() for line in answer.decode().splitlines()
              if line.startswith("data:")]
    assert status == 200 and events[-1] == "[DONE]", answer
    return json.loads(events[-2])["usage"]


@pytest.mark.parametrize("upstream_kind", ["llama_cpp.server", "llamax serve"])
def test_usage_through_a_remote_engine_is_the_upstream_servers(
        upstream_kind, edge, gemma_path, server_env, tmp_path):  # noqa: F811
    from test_engine_remote import ReferenceServer

    # llama-cpp-python's streams carry no usage (the front asks its tokenizer); llamax serve's
    # end with a usage chunk after the one with finish_reason.
    reference = ReferenceServer(gemma_path) if upstream_kind == "llama_cpp.server" else None
    upstream = reference.url if reference else edge.url + "/v1"
    front = Server(server_env, tmp_path, "--api-base", upstream)
    try:
        # Counting on: 40 tokens, some streamed merged (through llamax serve, 38 were counted).
        body = {"prompt": "1, 2, 3, 4, 5,", "max_tokens": 40, "temperature": 0}
        status, own = request(upstream + "/completions", body)
        assert status == 200 and own["usage"]["prompt_tokens"] > 0, own
        status, through = request(front.url + "/v1/completions", body)
        assert status == 200, through
        assert through["choices"][0]["text"] == own["choices"][0]["text"]
        assert through["usage"] == own["usage"], (through["usage"], own["usage"])
        assert streamed_usage(front.url, body) == own["usage"]
    finally:
        front.stop()
        if reference:
            reference.kill()
