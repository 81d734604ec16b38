"""The HTTP edge of `llamax serve`: CORS, and the limits of the connection itself.

- **CORS** as LibreTranslate answers: `Access-Control-Allow-Origin: *` by default, so that web
  pages and browser extensions on other origins can call the API (a JSON POST needs its
  preflight answered); `--cors-origins` names the origins allowed, or `none`.
- **URLs** up to `URL_LIMIT` bytes; a longer one gets a 414 (parameters belong in a POST body
  then). A request head over `HEAD_LIMIT` bytes gets a 400 and the connection closes.
- **Slow clients:** a request head must arrive whole within `HEAD_TIMEOUT` seconds of the
  connection (or of the previous answer on a kept-alive one), else the connection closes; a
  kept-alive connection idle for `KEEP_ALIVE` seconds closes; a body that stalls is
  server/request.py's 408.
- **In flight:** at most `in_flight_limit(queue)` requests at once (reading their bodies,
  waiting or running); beyond that a 503 with Retry-After, before any body is read. The
  listening socket queues `BACKLOG` connections not yet accepted.
"""

from __future__ import annotations

import h11
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from uvicorn.protocols.http.h11_impl import H11Protocol

from llamax_cli.core.errors import UsageError
from llamax_cli.server.errors import error_response

URL_LIMIT = 64 * 1024  # path and query string: --char-limit 5000 %-encoded CJK is ~45 KB
HEAD_LIMIT = 256 * 1024  # request line and headers, as h11 buffers them
HEAD_TIMEOUT = 15.0
KEEP_ALIVE = 5
BACKLOG = 512


def in_flight_limit(queue: int) -> int:
    """Room for `queue` admitted requests, the 429s refused beyond them, and quick calls."""
    return 4 * queue + 256


def parse_origins(value: str) -> tuple[str, ...]:
    """`--cors-origins`: `*` (any origin), a comma-separated list, or `none` (no CORS)."""
    value = value.strip()
    if value.lower() in ("", "none"):
        return ()
    origins = tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise UsageError(f"--cors-origins: {origin} is no origin (http://host[:port], "
                             f"https://…, * or none)")
    return origins


def add_edge(app: FastAPI, cors_origins: tuple[str, ...], queue: int) -> None:
    """CORS outermost, so that error answers (413, 414, 503) carry its headers too: a page
    must be able to read why it was refused."""
    app.add_middleware(_InFlightLimit, limit=in_flight_limit(queue))
    app.add_middleware(_UrlLimit, limit=URL_LIMIT)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["*"], allow_headers=["*"],
                           expose_headers=["Retry-After"], max_age=600)


def uvicorn_limits(queue: int) -> dict:
    """The keyword arguments of uvicorn.Config that bound connections."""
    return {"http": _TimedH11, "h11_max_incomplete_event_size": HEAD_LIMIT,
            "timeout_keep_alive": KEEP_ALIVE, "backlog": BACKLOG,
            # uvicorn's own cap answers text/plain: ours (_InFlightLimit) answers JSON.
            "limit_concurrency": None}


class _UrlLimit:
    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if size > self.limit:
                response = error_response(
                    scope["path"], 414, f"Invalid request: the URL has {size} bytes, more than "
                                        f"{self.limit}; send the parameters in a POST body")
                return await response(scope, receive, send)
        await self.app(scope, receive, send)


class _InFlightLimit:
    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit
        self.active = 0  # one event loop: no lock needed

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.active >= self.limit:
            response = error_response(scope["path"], 503, f"Slowdown: {self.active} requests "
                                                          f"are in flight; try again shortly")
            return await response(scope, receive, send)
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class _TimedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request head: uvicorn times out
    only a kept-alive connection that sends nothing, so a client that connects and sends a
    byte now and then would hold its connection forever. Also: a head that h11 refuses (too
    long, malformed) is answered in JSON."""

    _head_timer = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self.conn.our_state is not h11.DONE:
            self._disarm_head_timer()  # a request is being answered: its own limits apply

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()  # the next head, or the rest of a refused body

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_late)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        waiting = self.conn.their_state is h11.IDLE or self.conn.our_state is h11.DONE
        if waiting and not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        body = (b'{"error": "Invalid request: the request line or headers are malformed or '
                b'longer than %d bytes"}' % HEAD_LIMIT)
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        try:
            output = self.conn.send(h11.Response(status_code=400, headers=headers,
                                                 reason=b"Bad Request"))
            output += self.conn.send(h11.Data(data=body))
            output += self.conn.send(h11.EndOfMessage())
            self.transport.write(output)
        except h11.LocalProtocolError:
            pass  # already answering: nothing more can be said on this connection
        self.transport.close()
