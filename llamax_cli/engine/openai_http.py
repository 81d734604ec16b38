"""The HTTP side of a remote engine: one OpenAI-compatible server (vLLM, llama.cpp's
llama-server, llama-cpp-python's server, Ollama, `llamax serve`), its probes and its faults.

Only the portable subset of the completions API is relied on: one string `prompt`, explicit
`max_tokens`, `temperature`, `top_p`, `seed` and `stop`, streamed as server-sent events. The
rest is probed, never assumed: the model name (`/v1/models`), the context size (vLLM's
`max_model_len` there, llama-server's `/props`), and a tokenizer (`/tokenize` on vLLM and
llama-server, `/extras/tokenize/count` on llama-cpp-python's server).

Faults: connection errors, 429 and 5xx are retried with exponential backoff (Retry-After is
honoured) until the server has stayed unavailable for `patience` seconds, on one clock for
every request (outage.py); then one clear error. 401/403 (a bad key), 404 (a wrong URL or
model), a TLS mismatch (tls_check.py) and other refusals are not retried.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

import httpx

from llamax_cli.engine.outage import Outage
from llamax_cli.engine.tls_check import tls_fault
from llamax_cli.core.errors import LlamaxError

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
# Phrases servers use when a prompt does not fit: vLLM ("maximum context length"),
# llama-cpp-python ("exceed context window"), llama-server ("exceeds the available context").
_TOO_LONG = ("context length", "context window", "exceeds the available context", "too long")


class TooLong(Exception):
    """The server says the prompt does not fit its context."""


class Unavailable(Exception):
    """A fault worth retrying: the server is down, overloaded or restarting."""

    def __init__(self, reason: str, retry_after: Optional[float] = None):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass
class Chunk:
    text: str
    finish_reason: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: Optional[int] = None  # the server's own count, in its usage chunk


def api_root(api_base: str) -> str:
    """The server's root, where vLLM and llama-server put /tokenize and /props."""
    base = api_base.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


class OpenAIServer:
    def __init__(self, api_base: str, api_key: Optional[str] = None, *, patience: float = 60.0,
                 note: Callable[[str], None] = lambda m: None):
        self.api_base = api_base.rstrip("/")
        self.root = api_root(self.api_base)
        self.patience = patience
        self.note = note
        self.outage = Outage(patience, note)
        self.answered = False  # whether the server ever answered (then no TLS probes)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Generation can take minutes on a loaded server: no read limit on a stream, but a
        # connection must open within 10 s.
        self.http = httpx.Client(headers=headers, timeout=httpx.Timeout(60.0, connect=10.0),
                                 limits=httpx.Limits(max_connections=256))

    def close(self) -> None:
        self.http.close()

    # -- faults --------------------------------------------------------------------------

    def _check(self, response: httpx.Response, what: str) -> None:
        """Raise what a non-2xx answer means: Unavailable (retry), TooLong, or LlamaxError."""
        code = response.status_code
        if code < 400:
            return
        try:
            body = response.read().decode("utf-8", "replace")
        except httpx.HTTPError:
            body = ""
        detail = _message(body)
        if code in RETRY_STATUS:
            raise Unavailable(f"HTTP {code}{': ' + detail if detail else ''}",
                              _retry_after(response.headers.get("retry-after")))
        if code in (401, 403):
            raise LlamaxError(f"{what} refused the API key (HTTP {code}): set LLAMAX_API_KEY "
                              f"(or OPENAI_API_KEY) to a key that server accepts")
        if code == 404:
            raise LlamaxError(f"{what}: not found (HTTP 404{': ' + detail if detail else ''}); "
                              f"check --api-base (it usually ends in /v1) and --api-model")
        if code in (400, 413, 422) and any(p in detail.lower() for p in _TOO_LONG):
            raise TooLong(detail)
        raise LlamaxError(f"{what} answered HTTP {code}{': ' + detail if detail else ''}")

    def retrying(self, call: Callable[[], object], what: str,
                 abandoned: Callable[[], bool] = lambda: False) -> object:
        """`call()` until it succeeds or the server has been unavailable for `patience` s
        (one clock for all calls: self.outage). Raises Abandoned as soon as `abandoned()`."""
        delay = 0.5
        while True:
            started = time.monotonic()
            try:
                result = call()
            except (httpx.TransportError, Unavailable) as exc:
                fault = tls_fault(exc, self.api_base, probe=not self.answered)
                if fault:
                    raise LlamaxError(fault) from None
                # A connection that never opened was down from the moment it was asked for.
                since = started if isinstance(exc, (httpx.ConnectError,
                                                    httpx.ConnectTimeout)) else None
                left = self.outage.failed(what, _reason(exc), since)
                if left <= 0:
                    raise LlamaxError(
                        f"cannot use {what}: {_reason(exc)} (gave up after "
                        f"{self.outage.waited():.0f} s; is the server running? "
                        f"--remote-timeout to wait longer)") from None
                pause = getattr(exc, "retry_after", None) or delay
                self.outage.pause(min(pause, left), abandoned)
                delay = min(delay * 2, 8.0)
                continue
            self.answered = True
            self.outage.over()
            return result

    def _connect_timeout(self) -> float:
        """At most 10 s to open a connection, and never past the end of an outage's patience
        (a host that drops packets would otherwise stretch --remote-timeout by 10 s)."""
        return min(10.0, max(1.0, self.outage.time_left()))

    # -- probes --------------------------------------------------------------------------

    def models(self) -> list[dict]:
        def call():
            response = self.http.get(f"{self.api_base}/models", timeout=httpx.Timeout(
                60.0, connect=self._connect_timeout()))
            self._check(response, f"{self.api_base}/models")
            try:
                data = response.json()
            except ValueError:
                data = None
            if not isinstance(data, dict):  # a web page, a proxy's status page, ...
                raise LlamaxError(f"{self.api_base}/models did not answer a JSON object: is "
                                  f"it an OpenAI-compatible server? (--api-base usually ends "
                                  f"in /v1)")
            return data.get("data") or []

        return self.retrying(call, self.api_base)

    def context_size(self, model: dict) -> Optional[int]:
        """The context per request, where the server says it."""
        for key in ("max_model_len", "context_length", "n_ctx"):  # vLLM, llamax serve, ...
            if isinstance(model.get(key), int):
                return model[key]
        try:  # llama-server: the slots' context
            response = self.http.get(f"{self.root}/props", timeout=10)
            if response.status_code == 200:
                n_ctx = response.json().get("default_generation_settings", {}).get("n_ctx")
                if isinstance(n_ctx, int) and n_ctx > 0:
                    return n_ctx
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        return None

    def tokenizer(self, model: str) -> Optional[Callable[[str], int]]:
        """A token counter the server offers, or None."""
        probes = [
            # vLLM reads `prompt`, llama-server and llamax serve read `content`.
            (f"{self.root}/tokenize", lambda text: {
                "model": model, "prompt": text, "content": text,
                "add_special_tokens": False, "add_special": False},
             lambda data: len(data["tokens"]) if "tokens" in data else int(data["count"])),
            (f"{self.root}/extras/tokenize/count", lambda text: {"model": model, "input": text},
             lambda data: int(data["count"])),  # llama-cpp-python's server
        ]
        for url, body, read in probes:
            def count(text: str, url=url, body=body, read=read) -> int:
                def call():
                    response = self.http.post(url, json=body(text), timeout=httpx.Timeout(
                        30.0, connect=self._connect_timeout()))
                    self._check(response, url)
                    return read(response.json())
                return self.retrying(call, url)

            try:
                response = self.http.post(url, json=body("Hello world"), timeout=10)
                if response.status_code == 200 and read(response.json()) > 0:
                    return count
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                continue
        return None

    def features(self, model: str) -> dict:
        """Optional features, tried with one-token requests: n-best by beam search (vLLM's
        `use_beam_search` with `n`) and token logprobs (for scores)."""
        probe = {"model": model, "prompt": "Hello", "max_tokens": 1, "temperature": 0}
        found = {}
        for name, extra, works in (
                ("n-best", {"n": 2, "best_of": 2, "use_beam_search": True},
                 lambda data: len(data.get("choices") or []) == 2),
                ("logprobs", {"logprobs": 1},
                 lambda data: bool(((data.get("choices") or [{}])[0].get("logprobs") or {})
                                   .get("token_logprobs")))):
            try:
                response = self.http.post(f"{self.api_base}/completions",
                                          json={**probe, **extra}, timeout=60)
                found[name] = response.status_code == 200 and works(response.json())
            except (httpx.HTTPError, ValueError, AttributeError, TypeError):
                found[name] = False
        return found

    # -- completions ---------------------------------------------------------------------

    def stream(self, body: dict) -> Iterator[Chunk]:
        """One streamed completion. Raises Unavailable, TooLong or LlamaxError; a stream cut
        midway raises httpx.TransportError after the chunks it delivered."""
        url = f"{self.api_base}/completions"
        # A queued request may wait long for its first token on a busy server; ten minutes
        # without a byte is a hung one (then retried, and given up after `patience`).
        # include_usage: vLLM, llama-server and llamax serve then end with the token counts
        # (others ignore it).
        with self.http.stream("POST", url, json={**body, "stream": True,
                                                 "stream_options": {"include_usage": True}},
                              timeout=httpx.Timeout(600.0, connect=self._connect_timeout())
                              ) as response:
            self._check(response, url)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                chunk = _chunk(data, url)
                if chunk is not None:
                    yield chunk


def _chunk(data: str, url: str) -> Optional[Chunk]:
    """One streamed event as a Chunk; None for a line that is not an event of ours (not JSON,
    or JSON of another shape: a proxy's keep-alive, a stray value), which is skipped."""
    try:
        event = json.loads(data)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if "error" in event:  # some servers report failures inside the stream
        raise LlamaxError(f"{url}: {_message(json.dumps(event))}")
    choices = event.get("choices") or [{}]  # none: the closing usage event
    choice = choices[0] if isinstance(choices, list) else None
    if not isinstance(choice, dict):
        return None
    usage = event.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    text = choice.get("text")
    return Chunk(text if isinstance(text, str) else "", choice.get("finish_reason"),
                 usage.get("prompt_tokens") or 0, usage.get("completion_tokens"))


def _message(body: str) -> str:
    """The human part of an error body: OpenAI's {"error": {"message"}}, FastAPI's
    {"detail"}, or the text itself, on one line."""
    try:
        data = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:300]
    if isinstance(data, dict):
        err = data.get("error", data.get("detail", data.get("message", data)))
        if isinstance(err, dict):
            err = err.get("message", err)
        return " ".join(str(err).split())[:300]
    return " ".join(str(data).split())[:300]


def _retry_after(value: Optional[str]) -> Optional[float]:
    try:
        return min(float(value), 60.0) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _reason(exc: Exception) -> str:
    # Words, not exception names: a warning line must not read like an error line.
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without a complete answer"
    if isinstance(exc, httpx.TransportError):
        return "connection lost"
    return str(exc)
