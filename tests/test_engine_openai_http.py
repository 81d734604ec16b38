"""engine/openai_http.py: the HTTP client of a remote engine, against a scripted stand-in for
an OpenAI-compatible server on 127.0.0.1 (StandIn, below: no model behind it), with the fault
proxy of openai_proxy.py in front of it for the retried statuses. The real servers (llama-cpp-
python's, `llamax serve`) and the CLI around this client are tests/test_engine_remote.py's."""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Union

import httpx
import pytest
from openai_proxy import Faults, Proxy
from test_server_app import free_port

from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine.openai_http import Chunk, OpenAIServer, TooLong, Unavailable, api_root
from llamax_cli.engine.outage import Abandoned


@dataclass
class Answer:
    status: int = 200
    body: Union[dict, list, str, None] = None  # JSON, or text as it is
    headers: dict = field(default_factory=dict)
    events: Optional[list[str]] = None  # a server-sent event stream, one string a chunk
    cut: bool = False  # the stream stops without its last chunk (the connection drops)
    hang_up: bool = False  # the connection closes before any answer
    stall: Optional[threading.Event] = None  # the answer waits until this is set


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client closing its kept-alive connection is no error of the server's; anything
        # else is printed, as socketserver does.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StandIn:
    """A scripted OpenAI-compatible server: `answers[(method, path)]` says what each route
    answers (a list: one answer per request, the last one repeated); others get FastAPI's 404.
    Every request is kept in `requests` as (method, path, headers, JSON body)."""

    def __init__(self):
        self.answers: dict[tuple[str, str], Union[Answer, list[Answer]]] = {}
        self.requests: list[tuple[str, str, dict, object]] = []
        self.lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.root = f"http://127.0.0.1:{self.port}"
        self.url = self.root + "/v1"
        # serve_forever's default poll of half a second would be half a second per test
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]

    def reset(self) -> None:
        with self.lock:
            self.answers.clear()
            self.requests.clear()

    def _next(self, method: str, path: str) -> Answer:
        """What this request gets (the caller holds the lock and has just recorded it)."""
        answer = self.answers.get((method, path), Answer(404, {"detail": "Not Found"}))
        if isinstance(answer, list):  # the n-th request to this route gets the n-th answer
            n = sum(1 for m, p, _, _ in self.requests if (m, p) == (method, path))
            return answer[min(n, len(answer)) - 1]
        return answer

    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and
                # the client's delayed ACK hold the body back 40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self._answer(None)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(json.loads(raw) if raw else None)

            def _answer(self, body):
                with stand_in.lock:
                    stand_in.requests.append((self.command, self.path, dict(self.headers), body))
                    answer = stand_in._next(self.command, self.path)
                if answer.stall is not None:
                    answer.stall.wait(timeout=300)
                if answer.hang_up:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                if answer.events is not None:
                    self._stream(answer)
                    return
                data = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                data = data.encode()
                if not isinstance(answer.body, str):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, answer: Answer):
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in answer.events:
                    data = event.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                if answer.cut:
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")

        return Handler


@pytest.fixture(scope="module")
def running_stand_in():
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def stand_in(running_stand_in):
    running_stand_in.reset()
    return running_stand_in


@pytest.fixture(scope="module")
def shared_client(running_stand_in):
    server = client(running_stand_in.url)
    yield server
    server.close()


@pytest.fixture
def server(stand_in, shared_client):
    """The client most tests share (making one costs about 50 ms: its TLS context)."""
    return shared_client


def client(url: str, notes: Optional[list] = None, **kw) -> OpenAIServer:
    return OpenAIServer(url, note=(notes.append if notes is not None else lambda m: None), **kw)


def sse(event) -> str:
    return f"data: {event if isinstance(event, str) else json.dumps(event)}\n\n"


def text_event(text: str, finish: Optional[str] = None) -> str:
    return sse({"choices": [{"text": text, "finish_reason": finish}]})


BODY = {"model": "m", "prompt": "Hello", "max_tokens": 8, "temperature": 0}


# -- addresses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("base, root", [
    ("http://host:8000/v1", "http://host:8000"),
    ("http://host:8000/v1/", "http://host:8000"),
    ("https://host/api/v1", "https://host/api"),
    ("http://host:11434", "http://host:11434"),  # no /v1: the base is the root
    ("http://host/v2", "http://host/v2"),
])
def test_the_root_is_the_base_without_its_v1(base, root):
    assert api_root(base) == root


def test_a_base_with_a_trailing_slash_is_asked_without_it(stand_in):
    stand_in.answers[("GET", "/v1/models")] = Answer(body={"data": [{"id": "m"}]})
    server = client(stand_in.url + "/")
    try:
        assert server.models() == [{"id": "m"}]
    finally:
        server.close()
    assert stand_in.paths() == ["/v1/models"]


# -- /models and the status of an answer --------------------------------------------------------

def test_models_lists_the_data_and_sends_the_key_as_a_bearer_token(stand_in):
    stand_in.answers[("GET", "/v1/models")] = Answer(body={"object": "list", "data": [
        {"id": "a", "max_model_len": 4096}, {"id": "b"}]})
    server = client(stand_in.url, api_key="s3cret")
    try:
        assert [m["id"] for m in server.models()] == ["a", "b"]
        assert server.answered
    finally:
        server.close()
    assert stand_in.requests[0][2]["Authorization"] == "Bearer s3cret"


def test_no_key_sends_no_authorization(stand_in, server):
    stand_in.answers[("GET", "/v1/models")] = Answer(body={})
    assert server.models() == []  # no `data`: no models, not a crash
    assert "Authorization" not in stand_in.requests[0][2]


@pytest.mark.parametrize("answer", [
    Answer(body="<html><body>It works!</body></html>", headers={"Content-Type": "text/html"}),
    Answer(body=["not", "an", "object"]),
])
def test_models_that_are_not_a_json_object_say_what_the_url_should_be(stand_in, server,
                                                                      answer):
    stand_in.answers[("GET", "/v1/models")] = answer
    with pytest.raises(LlamaxError) as caught:
        server.models()
    assert str(caught.value) == (f"{stand_in.url}/models did not answer a JSON object: is it "
                                 f"an OpenAI-compatible server? (--api-base usually ends in /v1)")


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_said_at_once_without_the_key(stand_in, status):
    stand_in.answers[("GET", "/v1/models")] = Answer(status, {"error": {"message": "bad key"}})
    notes = []
    server = client(stand_in.url, notes, api_key="wrong-key", patience=60)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    message = str(caught.value)
    assert message == (f"{stand_in.url}/models refused the API key (HTTP {status}): set "
                       f"LLAMAX_API_KEY (or OPENAI_API_KEY) to a key that server accepts")
    assert "wrong-key" not in message
    assert len(stand_in.requests) == 1 and notes == []  # not retried


def test_a_404_names_the_options_to_check_and_the_servers_detail(stand_in):
    server = client(stand_in.url.replace("/v1", "/v2"), patience=60)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    assert str(caught.value) == (f"{stand_in.root}/v2/models: not found (HTTP 404: Not Found); "
                                 f"check --api-base (it usually ends in /v1) and --api-model")
    assert len(stand_in.requests) == 1


@pytest.mark.parametrize("body, said", [
    ({"error": {"message": "I'm\n  a   teapot", "type": "x"}}, ": I'm a teapot"),  # OpenAI's
    ({"detail": "Unprocessable"}, ": Unprocessable"),  # FastAPI's
    ({"message": "no such thing"}, ": no such thing"),
    ("Gateway\n\tsays no", ": Gateway says no"),  # text, on one line
    ("x" * 1000, ": " + "x" * 300),  # cut at 300 characters
    ("", ""),
])
def test_another_refusal_is_one_line_with_the_servers_words(stand_in, server, body, said):
    stand_in.answers[("GET", "/v1/models")] = Answer(418, body)
    with pytest.raises(LlamaxError) as caught:
        server.models()
    assert str(caught.value) == f"{stand_in.url}/models answered HTTP 418{said}"


# -- streamed completions -----------------------------------------------------------------------

def test_a_stream_yields_its_chunks_and_the_usage_and_stops_at_done(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        ": keep-alive comment\n\n",
        text_event(""),  # a first chunk with no text (a role, a heartbeat)
        text_event("Bon"),
        "event: message\n" + text_event("jour"),
        sse("not json at all"),  # skipped, not fatal
        text_event("", "stop"),
        sse({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2}}),
        sse("[DONE]"),
        text_event("after the end"),  # never read
    ])
    chunks = list(server.stream(BODY))
    assert chunks == [Chunk(""), Chunk("Bon"), Chunk("jour"), Chunk("", "stop"),
                      Chunk("", None, 7, 2)]
    method, path, headers, sent = stand_in.requests[0]
    assert (method, path) == ("POST", "/v1/completions")
    assert sent == {**BODY, "stream": True, "stream_options": {"include_usage": True}}


def test_a_stream_without_done_ends_with_its_last_chunk(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        text_event("Hola", "length")])
    assert list(server.stream(BODY)) == [Chunk("Hola", "length")]


def test_an_error_inside_the_stream_is_a_one_line_error(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        text_event("Bon"), sse({"error": {"message": "out of\nmemory", "code": 500}})])
    chunks = []
    with pytest.raises(LlamaxError) as caught:
        for chunk in server.stream(BODY):
            chunks.append(chunk)
    assert chunks == [Chunk("Bon")]
    assert str(caught.value) == f"{stand_in.url}/completions: out of memory"


def test_a_stream_cut_midway_raises_after_the_chunks_it_delivered(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        text_event("Bon"), text_event("jour")], cut=True)
    chunks = []
    with pytest.raises(httpx.TransportError):
        for chunk in server.stream(BODY):
            chunks.append(chunk)
    assert chunks == [Chunk("Bon"), Chunk("jour")]


# Found by writing this test: such an event escaped stream() as TypeError/AttributeError,
# and the CLI ended with "the remote engine failed: argument of type 'int' is not iterable".
@pytest.mark.parametrize("odd", ["5", "null", "[1, 2]", '"text"', '{"choices": ["x"]}'])
def test_an_event_that_is_no_object_is_skipped_or_said_as_the_servers_fault(stand_in, server,
                                                                            odd):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        text_event("Bon"), sse(odd), text_event("jour", "stop"), sse("[DONE]")])
    try:
        chunks = list(server.stream(BODY))
    except LlamaxError:
        return  # an error of the server's, in one line: as good as skipping the event
    assert chunks == [Chunk("Bon"), Chunk("jour", "stop")]


@pytest.mark.parametrize("status, detail", [
    (400, "This model's maximum context length is 2048 tokens. However, you requested 3000"),
    (400, "Requested tokens (3000) exceed context window of 2048"),
    (400, "the request exceeds the available context size"),
    (413, "Prompt too long"),
    (422, "input is too long"),
])
def test_a_prompt_that_does_not_fit_is_too_long_not_an_error(stand_in, server, status,
                                                             detail):
    stand_in.answers[("POST", "/v1/completions")] = Answer(status, {"error": {"message": detail}})
    with pytest.raises(TooLong) as caught:
        next(server.stream(BODY))
    assert str(caught.value) == detail


def test_another_400_is_an_error_not_too_long(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = Answer(400, {"detail": "bad temperature"})
    with pytest.raises(LlamaxError, match=r"/v1/completions answered HTTP 400: bad "
                                          r"temperature$"):
        next(server.stream(BODY))


def busy_answer(stand_in, server, status: int, retry_after: Optional[str]) -> Unavailable:
    headers = {"Retry-After": retry_after} if retry_after else {}
    stand_in.answers[("POST", "/v1/completions")] = Answer(status, {"error": {
        "message": "busy, try later"}}, headers)
    with pytest.raises(Unavailable) as caught:
        next(server.stream(BODY))
    return caught.value


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503, 504])
def test_a_busy_or_failing_server_is_unavailable(stand_in, server, status):
    assert str(busy_answer(stand_in, server, status, "2")) == f"HTTP {status}: busy, try later"


@pytest.mark.parametrize("header, waits", [
    ("2", 2.0), ("0.25", 0.25), ("3600", 60.0),  # at most a minute, whatever it asks
    ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # a date: our own backoff
    (None, None)])
def test_unavailable_carries_the_retry_after(stand_in, server, header, waits):
    assert busy_answer(stand_in, server, 503, header).retry_after == waits


# -- probes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, size", [
    ({"id": "m", "max_model_len": 4096}, 4096),  # vLLM
    ({"id": "m", "context_length": 2048}, 2048),
    ({"id": "m", "n_ctx": 1024}, 1024),
    ({"id": "m", "max_model_len": 4096, "n_ctx": 512}, 4096),  # vLLM's word first
])
def test_the_context_size_a_model_entry_gives_needs_no_request(stand_in, server, model,
                                                               size):
    assert server.context_size(model) == size
    assert stand_in.requests == []


@pytest.mark.parametrize("answer, size", [
    (Answer(body={"default_generation_settings": {"n_ctx": 8192}}), 8192),  # llama-server
    (Answer(body={"default_generation_settings": {"n_ctx": 0}}), None),
    (Answer(body={"default_generation_settings": {"n_ctx": "8192"}}), None),
    (Answer(body={}), None),
    (Answer(body=[1, 2]), None),
    (Answer(body="not json"), None),
    (Answer(500, {"detail": "boom"}), None),
    (None, None),  # no /props: FastAPI's 404
])
def test_otherwise_the_context_size_is_llama_servers_props_or_unknown(stand_in, server,
                                                                     answer, size):
    if answer is not None:
        stand_in.answers[("GET", "/props")] = answer
    assert server.context_size({"id": "m", "max_model_len": "4096"}) == size
    assert stand_in.paths() == ["/props"]  # at the root, not under /v1


def test_a_props_probe_to_a_closed_port_is_unknown_not_an_error():
    server = client(f"http://127.0.0.1:{free_port()}/v1")
    try:
        assert server.context_size({"id": "m"}) is None
    finally:
        server.close()


def test_the_tokenizer_of_vllm_or_llama_server_counts_tokens(stand_in, server):
    stand_in.answers[("POST", "/tokenize")] = Answer(body={"tokens": [1, 2, 3]})
    count = server.tokenizer("m")
    assert count is not None and count("Good morning, my friend.") == 3
    assert stand_in.paths() == ["/tokenize", "/tokenize"]
    sent = stand_in.requests[1][3]
    # vLLM reads `prompt`, llama-server `content`: both, and no special tokens in either.
    assert sent == {"model": "m", "prompt": "Good morning, my friend.",
                    "content": "Good morning, my friend.", "add_special_tokens": False,
                    "add_special": False}


def test_a_tokenizer_answering_a_count_is_read_too(stand_in, server):
    stand_in.answers[("POST", "/tokenize")] = Answer(body={"count": 5})
    assert server.tokenizer("m")("Hello world") == 5


def test_llama_cpp_pythons_tokenizer_is_the_second_probe(stand_in, server):
    stand_in.answers[("POST", "/extras/tokenize/count")] = Answer(body={"count": 4})
    count = server.tokenizer("m")
    assert count is not None and count("Bonjour") == 4
    assert stand_in.paths() == ["/tokenize", "/extras/tokenize/count", "/extras/tokenize/count"]
    assert stand_in.requests[-1][3] == {"model": "m", "input": "Bonjour"}


@pytest.mark.parametrize("answer", [
    Answer(body={"tokens": []}),  # counts nothing: no tokenizer to trust
    Answer(body={"something": "else"}),
    Answer(body="plain text"),
    Answer(404, {"detail": "Not Found"}),
])
def test_no_usable_tokenizer_is_none(stand_in, server, answer):
    stand_in.answers[("POST", "/tokenize")] = answer
    assert server.tokenizer("m") is None
    assert stand_in.paths() == ["/tokenize", "/extras/tokenize/count"]


def test_a_tokenizer_that_fails_later_is_an_error_not_a_zero(stand_in, server):
    stand_in.answers[("POST", "/tokenize")] = [Answer(body={"tokens": [1, 2]}),
                                               Answer(401, {"detail": "expired"})]
    count = server.tokenizer("m")
    with pytest.raises(LlamaxError, match="refused the API key"):
        count("Hello")


def test_features_probe_n_best_and_logprobs_with_one_token_requests(stand_in, server):
    stand_in.answers[("POST", "/v1/completions")] = [
        Answer(body={"choices": [{"text": "a"}, {"text": "b"}]}),
        Answer(body={"choices": [{"text": "a", "logprobs": {"token_logprobs": [-0.1]}}]})]
    assert server.features("m") == {"n-best": True, "logprobs": True}
    n_best, logprobs = (body for _, _, _, body in stand_in.requests)
    assert n_best["max_tokens"] == 1 and n_best["use_beam_search"] and n_best["n"] == 2
    assert logprobs["max_tokens"] == 1 and logprobs["logprobs"] == 1


@pytest.mark.parametrize("answers", [
    [Answer(body={"choices": [{"text": "a"}]}),  # one choice: beams ignored
     Answer(body={"choices": [{"text": "a", "logprobs": None}]})],
    [Answer(body={"choices": [{"text": "a"}]}),
     Answer(body={"choices": [{"text": "a", "logprobs": {"token_logprobs": []}}]})],
    [Answer(400, {"detail": "no beams here"}), Answer(body={"choices": []})],
    [Answer(body="not json"), Answer(body=[1])],
])
def test_features_a_server_lacks_are_false(stand_in, server, answers):
    stand_in.answers[("POST", "/v1/completions")] = answers
    assert server.features("m") == {"n-best": False, "logprobs": False}


# -- retries and patience -----------------------------------------------------------------------

def test_busy_answers_are_retried_on_one_clock_with_one_warning(stand_in):
    stand_in.answers[("POST", "/v1/completions")] = Answer(events=[
        text_event("Hallo", "stop"), sse("[DONE]")])
    faults = Faults(refuse=[429, 503, 502], retry_after="0.01")
    proxy = Proxy(stand_in.root, faults)
    notes = []
    server = client(proxy.url + "/v1", notes, patience=60)
    try:
        chunks = server.retrying(lambda: list(server.stream(BODY)), "the server")
    finally:
        server.close()
        proxy.close()
    assert chunks == [Chunk("Hallo", "stop")]
    assert faults.seen == [429, 503, 502, 200]
    assert notes == ["the server: HTTP 429: busy, try later; retrying for up to 60 s"]
    assert server.outage.waited() == 0.0 and server.answered  # the success ended the outage


def test_a_server_that_stays_busy_is_given_up_after_the_patience(stand_in):
    stand_in.answers[("GET", "/v1/models")] = Answer(503, {"error": {"message": "loading"}},
                                                     {"Retry-After": "0.05"})
    notes = []
    server = client(stand_in.url, notes, patience=0.3)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    assert re.fullmatch(
        rf"cannot use {re.escape(stand_in.url)}: HTTP 503: loading \(gave up after \d+ s; is "
        r"the server running\? --remote-timeout to wait longer\)", str(caught.value))
    assert len(stand_in.requests) >= 2 and len(notes) == 1


def test_a_closed_port_is_given_up_in_words_not_exception_names():
    url = f"http://127.0.0.1:{free_port()}/v1"
    notes = []
    server = client(url, notes, patience=0.3)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    message = str(caught.value)
    assert message.startswith(f"cannot use {url}: connection refused or host unreachable "
                              f"(gave up after ")
    assert notes == [f"{url}: connection refused or host unreachable; retrying for up to 0.3 s"]
    assert not server.answered


def test_a_server_that_hangs_up_without_answering_is_said_so(stand_in):
    stand_in.answers[("GET", "/v1/models")] = Answer(hang_up=True)
    notes = []
    server = client(stand_in.url, notes, patience=0.3)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    assert str(caught.value).startswith(
        f"cannot use {stand_in.url}: the server closed the connection without a complete "
        f"answer (gave up after ")


def test_a_caller_that_leaves_stops_the_retries_at_once():
    server = client(f"http://127.0.0.1:{free_port()}/v1", patience=3600)
    calls, asked = [], []

    def call():
        calls.append(1)
        raise Unavailable("HTTP 503", retry_after=60.0)

    def abandoned():  # the caller leaves during the first backoff
        asked.append(1)
        return len(asked) >= 3

    try:
        with pytest.raises(Abandoned):
            server.retrying(call, "srv", abandoned=abandoned)
    finally:
        server.close()
    assert calls == [1]  # no retry after the caller left, and not a minute of backoff


def test_a_refusal_that_is_no_outage_is_raised_as_it_is():
    server = client(f"http://127.0.0.1:{free_port()}/v1", patience=3600)
    calls = []

    def call():
        calls.append(1)
        raise TooLong("context length")

    try:
        with pytest.raises(TooLong):
            server.retrying(call, "srv")
    finally:
        server.close()
    assert calls == [1]


def test_https_to_a_plain_http_server_is_said_at_once_not_retried(stand_in):
    url = stand_in.url.replace("http://", "https://")
    notes = []
    server = client(url, notes, patience=3600)
    try:
        with pytest.raises(LlamaxError) as caught:
            server.models()
    finally:
        server.close()
    assert str(caught.value) == f"{url} answered in plain HTTP, not TLS; use {stand_in.url}"
    assert notes == []
