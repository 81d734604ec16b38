"""Getting registry models from the Hugging Face hub into its standard cache, and out again.

We use huggingface_hub's metadata request, HTTP transfer (`http_get`, with its retries and
Range resume inside one run) and cache layout (HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE honoured;
files land as blobs/<etag> with a snapshots/<commit>/ link, where `try_to_load_from_cache`
finds them offline). We do not call `hf_hub_download` itself: since huggingface_hub 2.x it
writes each attempt to a process-unique temporary file and deletes it on failure, so a
download cut by Ctrl-C or a dropped connection restarts from zero. Ours keeps one stable
`blobs/<etag>.incomplete` per file and resumes it with a Range request in the next run.
We also check free disk space first, and verify the sha256 (the hub's LFS ETag, or the one
pinned in models.toml) before the file becomes visible: a mismatch is deleted, never cached.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.progress import DownloadBar, stderr_is_tty
from llamax_cli.models.registry import ModelRef, cached_path, size_label

_SHA256 = re.compile(r"[0-9a-f]{64}")
_HEADROOM = 64 * 2**20  # keep some space free beyond the file itself


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_reachable(timeout: float = 3.0) -> bool:
    if offline():
        return False

    try:
        urllib.request.urlopen(urllib.request.Request(endpoint(), method="HEAD"), timeout=timeout)
        return True
    except urllib.error.HTTPError:
        return True  # it answered
    except (OSError, ValueError):
        return False


def cache_dir() -> Path:
    # huggingface_hub's submodules are slow to import: only when the hub is used
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


@dataclass(frozen=True)
class Remote:
    repo: str
    size: int
    etag: str
    commit: str
    location: str  # where the bytes are (the hub redirects LFS files to a CDN)


def _remote(ref: ModelRef) -> Remote:
    """HEAD the file on the hub (the entry's repo, then its mirrors)."""
    # huggingface_hub's submodules are slow to import: only when the hub is used
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError

    failures = []
    for repo in (ref.entry.repo, *ref.entry.mirrors):
        try:
            meta = get_hf_file_metadata(hf_hub_url(repo, ref.file.file))
        except (RepositoryNotFoundError, EntryNotFoundError):
            failures.append(f"{repo}: not found")
            continue
        except HfHubHTTPError as exc:
            failures.append(f"{repo}: {exc}".splitlines()[0])
            continue
        except Exception as exc:  # transport errors: httpx, OSError, timeouts
            raise LlamaxError(f"cannot reach the Hugging Face hub at {endpoint()} "
                              f"({type(exc).__name__}); check the network, or work offline "
                              f"with a model already pulled") from None
        if not meta.etag or not meta.commit_hash:
            failures.append(f"{repo}: the server sent no ETag or commit")
            continue
        return Remote(repo, int(meta.size or ref.file.size or 0), meta.etag, meta.commit_hash,
                      meta.location)
    raise LlamaxError(f"{ref.file.file} is not available: " + "; ".join(failures))


def _repo_dir(repo: str) -> Path:
    # huggingface_hub's submodules are slow to import: only when the hub is used
    from huggingface_hub.file_download import repo_folder_name

    return cache_dir() / repo_folder_name(repo_id=repo, repo_type="model")


def _partial_path(remote: Remote) -> Path:
    return _repo_dir(remote.repo) / "blobs" / f"{remote.etag}.incomplete"


def free_bytes(path: Path) -> int:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_disk(needed: int, where: Path) -> None:
    free = free_bytes(where)
    if needed + _HEADROOM > free:
        raise LlamaxError(f"not enough disk space in {where}: the download needs "
                          f"{size_label(needed)}, {size_label(free)} is free")


def sha256_of(path: Path, on_progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * 2**20):
            digest.update(chunk)
            if on_progress:
                on_progress(len(chunk))
    return digest.hexdigest()


def pull(ref: ModelRef, *, note: Callable[[str], None] = lambda m: None) -> Path:
    """Download (or resume) one registry file, verified; return its path in the cache."""
    if ref.entry.remote:
        raise LlamaxError(f"{ref.label} is served by {ref.entry.api_base}; nothing to pull")
    if ref.entry.local:
        raise LlamaxError(f"{ref.label} is a local file ({ref.file.file}); nothing to pull")
    if offline():
        raise LlamaxError(f"HF_HUB_OFFLINE is set: cannot download {ref.label}; "
                          f"unset it, or pull on a machine that is online")
    existing = cached_path(ref)
    remote = _remote(ref)
    if existing is not None and existing.resolve().name == remote.etag:
        note(f"{ref.label} is already downloaded: {existing}")
        return existing

    # filelock costs ~50 ms to import: only for a download
    from filelock import FileLock, Timeout

    partial = _partial_path(remote)
    partial.parent.mkdir(parents=True, exist_ok=True)
    # Where huggingface_hub keeps its own locks, so the two never write one blob at once.
    lock = cache_dir() / ".locks" / _repo_dir(remote.repo).name / f"{remote.etag}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock), timeout=1):
            return _download(ref, remote, partial, note)
    except Timeout:
        raise LlamaxError(f"another llamax is downloading {ref.label} right now") from None


def _download(ref: ModelRef, remote: Remote, partial: Path, note) -> Path:
    # huggingface_hub's submodules are slow to import: only when the hub is used
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    done = partial.stat().st_size if partial.exists() else 0
    if remote.size and done > remote.size:  # not a prefix of this file: start over
        partial.unlink()
        done = 0
    check_disk(remote.size - done, cache_dir())
    resumed = f", resuming at {size_label(done)}" if done else ""
    note(f"downloading {ref.label} from {remote.repo} ({size_label(remote.size)}{resumed})")
    try:
        with open(partial, "ab") as f:
            http_get(remote.location, f, resume_size=done, headers=build_hf_headers(),
                     expected_size=remote.size or None, displayed_filename=ref.file.file,
                     tqdm_class=DownloadBar)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # HTTP errors, transport errors (many types), OSError
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LlamaxError(f"download of {ref.label} failed ({reason}); run the same command "
                          f"again to resume") from None
    verify(ref, partial, remote.etag, note)
    return _publish(ref, remote, partial)


def _publish(ref: ModelRef, remote: Remote, partial: Path) -> Path:
    """Move a verified file into the cache layout that `try_to_load_from_cache` reads."""
    repo_dir = _repo_dir(remote.repo)
    blob = repo_dir / "blobs" / remote.etag
    os.replace(partial, blob)
    link = repo_dir / "snapshots" / remote.commit / ref.file.file
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    try:
        link.symlink_to(os.path.relpath(blob, link.parent))
    except OSError:  # no symlinks (some Windows setups): the snapshot holds the file itself
        os.replace(blob, link)
    refs = repo_dir / "refs" / "main"
    refs.parent.mkdir(parents=True, exist_ok=True)
    refs.write_text(remote.commit)
    return link


def verify(ref: ModelRef, path: Path, etag: str, note: Callable[[str], None]) -> None:
    expected = (ref.file.sha256 or (etag if _SHA256.fullmatch(etag or "") else "")).lower()
    if not expected:
        note(f"no sha256 known for {ref.label}: integrity not verified")
        return
    actual = _hash_with_progress(path)
    if actual != expected:
        path.unlink(missing_ok=True)
        raise LlamaxError(f"sha256 mismatch for {ref.label}: expected {expected[:16]}…, got "
                          f"{actual[:16]}…; the corrupt file was deleted, pull again")
    note(f"verified sha256 {actual[:16]}…")


def _hash_with_progress(path: Path) -> str:
    if not stderr_is_tty():
        return sha256_of(path)
    bar = DownloadBar(total=path.stat().st_size, desc="verifying")
    try:
        return sha256_of(path, bar.update)
    finally:
        bar.close()


def remove_file(path: Path) -> int:
    """Delete a cached file: its snapshot link and, if nothing else links to it, its blob."""
    path = Path(path)
    blob = path.resolve()
    freed = 0
    if path.is_symlink():
        path.unlink()
        snapshots = blob.parent.parent / "snapshots"
        still_used = snapshots.is_dir() and any(
            p.is_symlink() and p.resolve() == blob for p in snapshots.rglob("*"))
        if not still_used and blob.exists():
            freed = blob.stat().st_size
            blob.unlink()
    elif path.exists():
        freed = path.stat().st_size
        path.unlink()
    return freed


def remove(ref: ModelRef) -> int:
    if ref.entry.remote:
        raise LlamaxError(f"{ref.label} is served by {ref.entry.api_base}; nothing to remove")
    if ref.entry.local:
        raise LlamaxError(f"{ref.label} is a local file ({ref.file.file}); llamax does not "
                          f"delete files it did not download")
    path = cached_path(ref)
    if path is None:
        raise LlamaxError(f"{ref.label} is not downloaded")
    return remove_file(path)
