"""A tiny HTTP proxy on 127.0.0.1 in front of a real OpenAI-compatible server, for the fault
cases of the remote engine: answer the first completions with 429 or 503, or run a callback
(kill the real server) once some completions went through. Everything else is forwarded to
the real server as it is."""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import urlsplit


@dataclass
class Faults:
    refuse: list[int] = field(default_factory=list)  # statuses for the first completions
    retry_after: str = "0"
    after_completions: int = 0  # run `then` once this many completions were forwarded
    then: Optional[Callable[[], None]] = None
    seen: list[int] = field(default_factory=list)  # status answered, per completion request
    gate: Optional[threading.Event] = None  # set: requests go through; until then they wait


class Proxy:
    def __init__(self, upstream: str, faults: Faults):
        self.upstream = urlsplit(upstream)
        self.faults = faults
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward(b"")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.endswith("/completions"):
                    with proxy.lock:
                        faults = proxy.faults
                        n = len(faults.seen)
                        status = faults.refuse[n] if n < len(faults.refuse) else 200
                        faults.seen.append(status)
                        forwarded = sum(1 for s in faults.seen if s == 200)
                        trigger = (faults.then is not None and status == 200
                                   and forwarded > faults.after_completions)
                    if trigger:
                        faults.then()
                        faults.then = None
                    if status != 200:
                        payload = b'{"error": {"message": "busy, try later"}}'
                        self.send_response(status)
                        self.send_header("Retry-After", proxy.faults.retry_after)
                        self.send_header("Content-Type", "application/json")
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                self._forward(body)

            def _forward(self, body: bytes):
                if proxy.faults.gate is not None:
                    proxy.faults.gate.wait(300)
                up = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port,
                                                timeout=300)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                try:
                    up.request(self.command, self.path, body=body or None, headers=headers)
                    response = up.getresponse()
                    data = response.read()
                except OSError:
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                finally:
                    up.close()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
