"""Reading inputs strictly and writing outputs atomically.

An input is refused up front (before any model loads) when it is missing, a directory,
binary, not text or empty. UTF-8 is read with or without a byte-order mark, and UTF-16/32
by their mark; the output is written in the input's encoding, mark included. An output file
appears whole or not at all: we write a hidden temporary file beside it and rename it into
place only when the translation is complete.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llamax_cli.core.errors import LlamaxError

STDIN = "-"
# An endless stream (`< /dev/zero`, a device) must end in an error, not in the OOM killer;
# a gibibyte of text is months of translation.
MAX_INPUT_BYTES = 1 << 30


def _read_bounded(stream, label: str) -> bytes:
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise LlamaxError(f"{label}: more than {MAX_INPUT_BYTES >> 20} MiB of input; "
                          "split it into smaller parts")
    return data


@dataclass
class Source:
    name: str  # the path as given, or "-" for stdin, or "--text"
    text: str
    encoding: str = "utf-8"  # a codec without a BOM of its own: utf-8, utf-16-le, ...
    bom: bool = False  # the input began with a byte-order mark

    @property
    def label(self) -> str:
        return {"-": "stdin", "--text": "--text"}.get(self.name, self.name)


# Longest marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_NAMES = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 (little-endian)",
          "utf-16-be": "UTF-16 (big-endian)", "utf-32-le": "UTF-32 (little-endian)",
          "utf-32-be": "UTF-32 (big-endian)"}


def decode(data: bytes, label: str, allow_empty: bool = False) -> tuple[str, str, bool]:
    """The text, its encoding and whether it had a byte-order mark. Empty or blank text is
    an error unless `allow_empty` (a file to translate: it passes through unchanged)."""
    encoding, bom = "utf-8", b""
    for mark, name in _BOMS:
        if data.startswith(mark):
            encoding, bom = name, mark
            break
    body = data[len(bom):]
    if encoding == "utf-8" and b"\0" in body:
        raise LlamaxError(f"{label} looks like a binary file, not text")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        where = f"byte 0x{body[exc.start]:02x} at offset {exc.start + len(bom)}"
        if encoding != "utf-8":
            raise LlamaxError(f"{label} starts with a {_NAMES[encoding]} byte-order mark but is "
                              f"not valid {_NAMES[encoding]} ({where})") from None
        raise LlamaxError(
            f"{label} is not UTF-8 text ({where}); "
            f"convert it first, e.g. `iconv -f LATIN1 -t UTF-8`") from None
    if "\0" in text:
        raise LlamaxError(f"{label} looks like a binary file, not text")
    if not text.strip() and not allow_empty:
        raise LlamaxError(f"{label} is empty")
    return text, encoding, bool(bom)


def encoder(encoding: str, bom: bool):
    """A function from text to bytes in `encoding`; the first call adds the mark if `bom`."""
    pending = [_mark(encoding)] if bom else []

    def encode(text: str) -> bytes:
        data = text.encode(encoding, "surrogateescape" if encoding == "utf-8" else "strict")
        return pending.pop() + data if pending else data

    return encode


def _mark(encoding: str) -> bytes:
    return next(mark for mark, name in _BOMS if name == encoding)


class StdoutSink:
    """Stdout in the input's encoding (a terminal always gets its own: UTF-8, no mark)."""

    def __init__(self, encoding: str = "utf-8", bom: bool = False):
        self._encode = encoder(encoding, bom)

    def write(self, text: str) -> None:
        sys.stdout.flush()
        sys.stdout.buffer.write(self._encode(text))

    def flush(self) -> None:
        sys.stdout.buffer.flush()


def stdout_for(source: Source):
    """Where a translation of `source` goes when it goes to stdout."""
    plain = source.encoding == "utf-8" and not source.bom
    if plain or sys.stdout.isatty():
        return sys.stdout
    return StdoutSink(source.encoding, source.bom)


def read_source(name: str, allow_empty: bool = False) -> Source:
    if name == STDIN:
        data = _read_bounded(sys.stdin.buffer, "stdin")
        return Source(STDIN, *decode(data, "stdin", allow_empty))
    path = Path(name)
    try:
        with path.open("rb") as f:
            data = _read_bounded(f, name)
    except FileNotFoundError:
        raise LlamaxError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise LlamaxError(f"{name} is a directory, not a file") from None
    except PermissionError:
        raise LlamaxError(f"{name}: permission denied") from None
    except OSError as exc:
        raise LlamaxError(f"{name}: cannot read ({exc.strerror})") from None
    return Source(name, *decode(data, name, allow_empty))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def lines_of(text: str) -> list[str]:
    """Lines as `wc -l` and editors count them: split at \\n, \\r\\n and \\r only, not at the
    form feeds, U+2028 and U+0085 that str.splitlines() also splits at (a line-aligned corpus
    would lose its alignment)."""
    parts = _LINE_BREAK.split(text)
    return parts[:-1] if parts and parts[-1] == "" else parts


def text_source(text: str) -> Source:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates
        decode(text.encode("utf-8", "surrogateescape"), "--text")  # raises, naming the byte
    if not text.strip():
        raise LlamaxError("--text is empty")
    # A shell argument never carries its final newline; the output should end in one.
    return Source("--text", text if text.endswith("\n") else text + "\n")


_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/self/fd)/(\d+)")
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _descriptor(path: Path) -> int | None:
    """The open descriptor a path names (/dev/stdout, /dev/fd/3), or None. Such a path can
    lead to the very file the shell redirected to, which must be written as it is: reopened
    and replaced, it would lose what is already there."""
    name = os.path.abspath(path)
    match = _DESCRIPTOR.fullmatch(name)
    return int(match.group(1)) if match else _STD_NAMES.get(name)


def _is_special(path: Path) -> bool:
    """Whether `path` names a descriptor, or exists (through links) as something other than
    a regular file (a device, a named pipe)."""
    if _descriptor(path) is not None:
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # absent, or a dangling link: a new file is created


class OutputError(LlamaxError):
    """An output file could not be written: that one output is lost, not the others."""


def _remove_dead_parts(final: Path) -> None:
    """Remove the temporary files of earlier writers of `final` that were killed (SIGKILL,
    power loss: no handler ran). Another live process's file is left alone."""
    prefix = f".{final.name}."
    try:
        leftovers = [p for p in final.parent.iterdir()
                     if p.name.startswith(prefix) and p.name.endswith(".part")]
    except OSError:
        return
    for part in leftovers:
        pid = part.name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            part.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True


class AtomicOutput:
    """A text file that replaces its target only on commit().

    The temporary file is created at once (check() does so without keeping it), so an
    unwritable destination fails before any work is done, and abort() (or an exception)
    leaves the target untouched. A symlink is written through (its file is replaced, the
    link kept); a target that is no regular file (/dev/stdout, /dev/null, a named pipe) has
    nothing to replace and is written straight. With `backup`, the file being replaced is
    kept under that name (a hard link where the file system has them, else a copy).
    """

    def __init__(self, target: str | os.PathLike, encoding: str = "utf-8", bom: bool = False,
                 backup: str | os.PathLike | None = None):
        self.target = Path(target)
        if self.target.is_dir():
            raise OutputError(f"{self.target} is a directory; use --out-dir for a folder")
        self._encode = encoder(encoding, bom)
        self.finished = False
        self._tmp: Path | None = None
        self._backup = Path(backup) if backup is not None else None
        if _is_special(self.target):
            own = _descriptor(self.target)
            try:  # a descriptor is written as it is, not reopened over what it has
                self._file = os.fdopen(os.dup(own), "wb") if own is not None \
                    else open(self.target, "wb")
            except OSError as exc:
                raise OutputError(f"cannot write {self.target}: {exc.strerror}") from None
            return
        self._final = Path(os.path.realpath(self.target))
        parent = self._final.parent
        _remove_dead_parts(self._final)
        try:  # the pid in the name lets a later run tell a dead writer's leftover (kill -9)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{self._final.name}.{os.getpid()}.",
                                       suffix=".part")
        except OSError as exc:
            if not parent.is_dir():
                why = "is not a folder" if parent.exists() else "does not exist"
                raise OutputError(f"cannot write {self.target}: {parent} {why}") from None
            raise OutputError(f"cannot write {self.target}: {exc.strerror}") from None
        self._tmp = Path(tmp)
        self._file = os.fdopen(fd, "wb")

    @classmethod
    def check(cls, target: str | os.PathLike) -> None:
        """Fail now if `target` cannot be written, holding nothing open afterwards (a job
        with 300 outputs opens each only while writing it). A device or named pipe is not
        opened: opening and closing a pipe would end its reader's input."""
        if not _is_special(Path(target)):
            cls(target).abort()

    def write(self, text: str) -> None:
        try:
            self._file.write(self._encode(text))
        except OSError as exc:  # a full disk, a device gone
            raise OutputError(f"cannot write {self.target}: {exc.strerror}") from None

    def flush(self) -> None:
        if self._tmp is None:  # a pipe or terminal: its reader is waiting
            try:
                self._file.flush()
            except BrokenPipeError:
                raise  # the reader left: the CLI stops quietly (141)
            except OSError as exc:  # a device that takes nothing (/dev/full), gone
                raise OutputError(f"cannot write {self.target}: {exc.strerror}") from None
        # a file: nobody watches it being written; rename makes it visible at once

    def commit(self) -> None:
        if self.finished:
            return
        self.finished = True
        try:
            if self._tmp is None:
                self._file.close()
                return
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            if self._final.exists():
                os.chmod(self._tmp, self._final.stat().st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self._tmp, 0o666 & ~umask)
            self._replace()
        except FileExistsError:
            self.abort()
            raise OutputError(f"cannot replace {self.target}: its backup {self._backup} "
                              f"already exists") from None
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write {self.target}: {exc.strerror}") from None

    def _replace(self) -> None:
        if self._backup is None:
            os.replace(self._tmp, self._final)
            return
        _keep_backup(self._final, self._backup)
        try:
            os.replace(self._tmp, self._final)
        except OSError:
            self._backup.unlink(missing_ok=True)  # the original is still in place
            raise

    def abort(self) -> None:
        """Drop the temporary file; a no-op once committed."""
        if self.finished and (self._tmp is None or not self._tmp.exists()):
            return
        self.finished = True
        try:
            self._file.close()
        except OSError:
            pass  # closing flushes: a full disk fails again, and the file is dropped anyway
        finally:
            if self._tmp is not None:
                self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def _keep_backup(original: Path, backup: Path) -> None:
    """`backup` becomes the file `original` is now, never replacing an existing file: a hard
    link keeps the very inode (contents, permissions, times); a copy where links fail."""
    try:
        os.link(original, backup)
        return
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network and FAT file systems): copy it
        pass
    with open(original, "rb") as src, open(backup, "xb") as dst:
        shutil.copyfileobj(src, dst)
    shutil.copystat(original, backup)
