"""Reading inputs strictly and writing outputs atomically.

An input is refused up front (before any model loads) when it is missing, a directory,
binary, not UTF-8 or empty. An output file appears whole or not at all: we write a hidden
temporary file beside it and rename it into place only when the translation is complete.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llamax_cli.errors import LlamaxError

STDIN = "-"


@dataclass
class Source:
    name: str  # the path as given, or "-" for stdin, or "--text"
    text: str

    @property
    def label(self) -> str:
        return {"-": "stdin", "--text": "--text"}.get(self.name, self.name)


def decode(data: bytes, label: str) -> str:
    if b"\0" in data:
        raise LlamaxError(f"{label} looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LlamaxError(
            f"{label} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            f"convert it first, e.g. `iconv -f LATIN1 -t UTF-8`") from None
    if not text.strip():
        raise LlamaxError(f"{label} is empty: there is nothing to translate")
    return text


def read_source(name: str) -> Source:
    if name == STDIN:
        return Source(STDIN, decode(sys.stdin.buffer.read(), "stdin"))
    path = Path(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LlamaxError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise LlamaxError(f"{name} is a directory, not a file") from None
    except PermissionError:
        raise LlamaxError(f"{name}: permission denied") from None
    except OSError as exc:
        raise LlamaxError(f"{name}: cannot read ({exc.strerror})") from None
    return Source(name, decode(data, name))


def text_source(text: str) -> Source:
    if not text.strip():
        raise LlamaxError("--text is empty: there is nothing to translate")
    # A shell argument never carries its final newline; the output should end in one.
    return Source("--text", text if text.endswith("\n") else text + "\n")


class AtomicOutput:
    """A text file that replaces its target only on commit().

    The temporary file is created at once, so an unwritable destination fails before any
    work is done, and abort() (or an exception) leaves the target untouched.
    """

    def __init__(self, target: str | os.PathLike):
        self.target = Path(target)
        if self.target.is_dir():
            raise LlamaxError(f"{self.target} is a directory; use --out-dir for a folder")
        parent = self.target.parent
        try:
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{self.target.name}.", suffix=".part")
        except OSError as exc:
            if not parent.is_dir():
                raise LlamaxError(f"cannot write {self.target}: {parent} does not exist") from None
            raise LlamaxError(f"cannot write {self.target}: {exc.strerror}") from None
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self.finished = False

    def write(self, text: str) -> None:
        self._file.write(text)

    def flush(self) -> None:
        pass  # nobody watches a file being written; rename makes it visible at once

    def commit(self) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if self.target.exists():
                os.chmod(self._tmp, self.target.stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self._tmp, 0o666 & ~umask)
            os.replace(self._tmp, self.target)
        except OSError as exc:
            self.abort()
            raise LlamaxError(f"cannot write {self.target}: {exc.strerror}") from None

    def abort(self) -> None:
        """Drop the temporary file; a no-op once committed."""
        if self.finished and not self._tmp.exists():
            return
        self.finished = True
        try:
            self._file.close()
        finally:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
