"""When `llamax serve` takes requests: admission, loading, readiness, and a stop that stops.

- Loading: requests are admitted (up to the queue limit) and wait for the model, for at most
  `load_timeout` seconds, instead of a 503 that most clients would not retry. `/health`
  says "loading"; `/ready` answers 503 until the model is loaded.
- Ready: at most `queue` requests are admitted at once (running or waiting); more get 429.
- Stopping (the first SIGTERM or Ctrl-C): nothing new is admitted (503); requests in flight
  have `grace` seconds to finish, then each is cancelled (`cancel_all`) and answered with a
  503 in its route's own format. The engine then stops, and it tells every caller still
  waiting on it (EngineStopped), so no thread waits forever.

Each admitted request holds a CancelToken: its client going away or the stop sets it, and
the engine drops the request's work at its next step.
"""

from __future__ import annotations

import asyncio
import threading

from llamax_cli.core.cancel import CancelToken
from llamax_cli.core.errors import Busy, Cancelled, EngineStopped, LlamaxError
from llamax_cli.server.errors import ApiError

SHUTDOWN = "shutdown"  # a CancelToken's reason when the server stops
CLIENT_GONE = "client"


class Lifecycle:
    def __init__(self, queue: int, load_timeout: float = 300.0):
        self.queue = queue  # requests admitted at once; -1: no limit
        self.load_timeout = load_timeout
        self.state = "loading"  # then "ok"; "stopping" once a stop began
        self._lock = threading.Lock()
        self._tokens: set[CancelToken] = set()
        self._loaded = threading.Event()

    @property
    def admitted(self) -> int:
        return len(self._tokens)

    @property
    def ready(self) -> bool:
        return self.state == "ok"

    # -- admission -------------------------------------------------------------------------

    def admit(self) -> CancelToken:
        """A place for one request, or a 503 (stopping) or 429 (full) answer."""
        with self._lock:
            if self.state == "stopping":
                raise ApiError(503, "the server is shutting down")
            if self.queue != -1 and len(self._tokens) >= self.queue:
                raise ApiError(429, f"Slowdown: {len(self._tokens)} requests are already "
                                    f"queued", {"Retry-After": "1"})
            token = CancelToken()
            self._tokens.add(token)
        return token

    def release(self, token: CancelToken) -> None:
        with self._lock:
            self._tokens.discard(token)

    async def wait_until_loaded(self, token: CancelToken) -> None:
        """Wait (without a thread) for the model, as long as the request is wanted."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.load_timeout
        while not self._loaded.is_set():
            if token.is_set() or self.state == "stopping":
                raise ApiError(503, "the server is shutting down")
            if loop.time() > deadline:
                raise ApiError(503, f"the model is still loading after {self.load_timeout:g} s; "
                                    f"try again later", {"Retry-After": "10"})
            await asyncio.sleep(0.05)

    async def enter(self) -> CancelToken:
        """Admit a request and wait for the model; released again if the wait fails."""
        token = self.admit()
        try:
            await self.wait_until_loaded(token)
        except BaseException:
            self.release(token)
            raise
        return token

    # -- the server's states ---------------------------------------------------------------

    def loaded(self) -> None:
        with self._lock:
            if self.state == "loading":
                self.state = "ok"
        self._loaded.set()

    def begin_stop(self) -> None:
        with self._lock:
            self.state = "stopping"

    def cancel_all(self) -> int:
        """Cancel every admitted request (the grace period is over); how many there were."""
        with self._lock:
            tokens = list(self._tokens)
        for token in tokens:
            token.cancel(SHUTDOWN)
        return len(tokens)


def api_error(exc: BaseException, token: CancelToken | None) -> ApiError:
    """The answer for an exception that ended an admitted request's work."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, Busy):
        return ApiError(429, f"Slowdown: {exc}", {"Retry-After": "1"})
    stopping = token is not None and token.is_set() and token.reason == SHUTDOWN
    if isinstance(exc, EngineStopped) or (isinstance(exc, Cancelled) and stopping):
        return ApiError(503, "the server is shutting down; the request was not finished")
    if isinstance(exc, Cancelled):
        return ApiError(499, "the client went away")
    if isinstance(exc, LlamaxError):
        return ApiError(500, str(exc))
    return ApiError(500, f"internal error: {exc!r}")


async def watch_disconnect(request, cancel: CancelToken) -> None:
    """Set `cancel` as soon as the client goes away: the server learns of it from uvicorn's
    disconnect message, which this awaits rather than polls. (Only where nothing else reads
    the request: its body has been read whole.)"""
    while not cancel.is_set():
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.cancel(CLIENT_GONE)
            return
