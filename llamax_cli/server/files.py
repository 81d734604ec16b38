"""Translated files of `llamax serve`: what /translate_file writes and /download_file serves.

Each file lives in a folder named by a random token (its download link is unguessable) under
one folder per server process, removed when the server stops. A file expires `ttl` seconds
after it was written (LibreTranslate keeps them 30 minutes), and the files together stay under
`max_bytes`, the oldest going first (the file just written always stays). The sweep runs on
every upload and download: an expired file is never served, and nothing grows between
requests.

The link is relative (`/download_file/TOKEN/NAME`) unless the server is told its public URL
(`--public-url`): the `Host` header is the client's to choose, so a URL built from it could
point anywhere. LibreTranslate's web page follows a relative link as it is; a script joins
it with the URL it posted to.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Optional

from llamax_cli.core.errors import UsageError

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def parse_size(value: str, option: str = "--file-store") -> int:
    """`256M`, `1G`, `500K` or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:I?B)?\s*", value, re.IGNORECASE)
    if not match:
        raise UsageError(f"{option}: {value!r} is no size (e.g. 256M, 1G, 500K)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def parse_public_url(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    parts = urllib.parse.urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise UsageError(f"--public-url: {value!r} is no base URL (e.g. https://lt.example.org "
                         f"or http://host:5000/prefix)")
    return value.strip().rstrip("/")


def files_folder() -> Path:
    """A fresh folder for translated files, named after this process. Folders left by a
    server that was killed (SIGKILL leaves no chance to clean up) are removed first."""
    root = Path(tempfile.gettempdir())
    for old in root.glob("llamax-serve-*"):
        match = re.match(r"llamax-serve-(\d+)-", old.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"llamax-serve-{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: not ours to judge
    return True


_TOKEN = re.compile(r"[0-9a-f]{32}")


class FileStore:
    def __init__(self, ttl: float = 1800.0, max_bytes: int = 256 * 2**20):
        self.folder = files_folder()
        self.ttl, self.max_bytes = ttl, max_bytes
        self._lock = threading.Lock()

    def save(self, name: str, data: bytes) -> str:
        """Keeps `data` under `name`; its link below /download_file/ (token/name, quoted)."""
        token = uuid.uuid4().hex
        folder = self.folder / token
        folder.mkdir()
        (folder / name).write_bytes(data)
        self.sweep(keep=token)
        return f"{token}/{urllib.parse.quote(name)}"

    def find(self, token: str, name: str) -> Optional[Path]:
        self.sweep()
        # A token is what save() made (32 hex digits), and a name one plain file name: "..",
        # "." or a path in either would reach outside the store (the system temp folder).
        if not _TOKEN.fullmatch(token) or name in ("", ".", "..") or Path(name).name != name:
            return None
        path = self.folder / token / name
        return path if path.is_file() else None

    def sweep(self, keep: Optional[str] = None) -> None:
        """Removes expired files, then the oldest while the rest is over `max_bytes`."""
        with self._lock:
            entries = []
            for folder in self.folder.iterdir():
                try:
                    files = [f.stat() for f in folder.iterdir()]
                except OSError:
                    continue
                written = max((f.st_mtime for f in files), default=0.0)
                entries.append((written, folder.name, sum(f.st_size for f in files), folder))
            entries.sort()  # oldest first
            total = sum(size for _, _, size, _ in entries)
            now = time.time()
            for written, token, size, folder in entries:
                if token != keep and (now - written >= self.ttl or total > self.max_bytes):
                    shutil.rmtree(folder, ignore_errors=True)
                    total -= size
