"""A real HTTP server on 127.0.0.1 that answers like the Hugging Face hub's resolve endpoint:
`/{repo}/resolve/{revision}/{filename}` with ETag (the sha256, as for LFS files),
X-Repo-Commit, Content-Length, Accept-Ranges and Range requests. huggingface_hub's own code
runs against it through HF_ENDPOINT; nothing is patched.

Knobs for failure cases: lie about a file's sha256 or size, cut the connection midway once,
or slow the transfer down so a test can interrupt it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Served:
    data: bytes
    etag: str = ""  # default: the true sha256
    head_size: int | None = None  # announce another size on HEAD (disk-space tests)
    cut_after: int | None = None  # close the connection after this many bytes, once
    chunk_delay: float = 0.0  # seconds between 64 KiB chunks...
    slow_after: int = 0  # ...once this many bytes of the file have been sent

    def __post_init__(self):
        self.etag = self.etag or hashlib.sha256(self.data).hexdigest()


@dataclass
class HubServer:
    files: dict[str, Served] = field(default_factory=dict)  # "org/name/filename" -> file
    log: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Range

    def start(self) -> HubServer:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _lookup(self):
                match = re.fullmatch(r"/(?:models/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self.path)
                hub.log.append((self.command, self.path, self.headers.get("Range", "")))
                if not match:
                    return None
                return hub.files.get(f"{match.group(1)}/{match.group(3)}")

            def _headers(self, served: Served, length: int, status: int = 200, extra=()):
                self.send_response(status)
                self.send_header("ETag", f'"{served.etag}"')
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(length))
                self.send_header("Content-Type", "application/octet-stream")
                for key, value in extra:
                    self.send_header(key, value)
                self.end_headers()

            def do_HEAD(self):
                served = self._lookup()
                if served is None:
                    return self._not_found()
                size = served.head_size if served.head_size is not None else len(served.data)
                self._headers(served, size)

            def do_GET(self):
                served = self._lookup()
                if served is None:
                    return self._not_found()
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
                if match:
                    start = int(match.group(1))
                    body = served.data[start:]
                    self._headers(served, len(body), 206, [
                        ("Content-Range", f"bytes {start}-{len(served.data) - 1}/{len(served.data)}")])
                else:
                    body = served.data
                    self._headers(served, len(body))
                cut = served.cut_after
                if cut is not None and cut > start:
                    served.cut_after = None  # only once
                    self.wfile.write(body[:cut - start])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                for i in range(0, len(body), 65536):
                    try:
                        self.wfile.write(body[i:i + 65536])
                    except (BrokenPipeError, ConnectionResetError):
                        return
                    if served.chunk_delay and start + i >= served.slow_after:
                        time.sleep(served.chunk_delay)

            def _not_found(self):
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def gets(self, name: str) -> list[str]:
        """The Range headers of the GET requests for a file ('' for a whole-file GET)."""
        return [rng for method, path, rng in self.log if method == "GET" and path.endswith(name)]
