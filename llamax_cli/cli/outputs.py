"""Where `llamax translate` writes each input's translation, checked before any work.

- An output that is an input itself (`-o note.txt` or `--out-dir .` on `note.txt`, or
  `-o note.txt < note.txt`) is refused, as `cp a a` refuses: the source would be gone.
  `--in-place` asks for it explicitly, and keeps each original as FILE.orig (refused when
  that backup already exists: an earlier original would be lost).
- Every destination is checked up front (an unwritable folder fails before the model
  loads), but an output file is open only while its own translation is written: a batch of
  any size fits within the file-descriptor limit, and an output that fails loses only
  itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable, Optional

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import STDIN, AtomicOutput, Source

BACKUP_SUFFIX = ".orig"  # --in-place keeps note.txt as note.txt.orig
# Extensions a JSON Lines output is expected to have (--json -o out.jsonl).
_JSON_NAMES = (".json", ".jsonl", ".ndjson", ".log", "")


def _same_file(name: str, output: Path) -> bool:
    """Whether writing `output` would replace the input `name` (stdin: the file the shell
    redirected into it)."""
    if name == "--text":
        return False
    try:
        out = os.stat(output)
        source = os.fstat(0) if name == STDIN else os.stat(name)
    except OSError:  # no such output (yet), or an input that is not there: no clash
        return False
    return stat.S_ISREG(source.st_mode) and os.path.samestat(source, out)


def _destinations(job) -> list[tuple[str, Path]]:
    """(input name, output path) for each input that goes to a file."""
    if job.in_place:
        return [(name, Path(name)) for name in job.files]
    if job.out_dir:
        return [(name, job.out_dir / Path(name).name) for name in job.files]
    if job.output:
        return [(name, job.output) for name in
                (job.files or [STDIN] if job.text is None else ["--text"])]
    return []


def check_usage(job) -> None:
    """Usage errors about outputs (exit 2): --in-place's conditions, and an output that would
    replace its own input."""
    if job.in_place:
        if job.output or job.out_dir:
            raise UsageError("--in-place writes each file over itself: leave out -o and --out-dir")
        if job.text is not None or not job.files or STDIN in job.files:
            raise UsageError("--in-place needs named files (stdin and --text have no file)")
        if job.as_json:
            raise UsageError("--in-place with --json would replace the files with JSON Lines")
        for name in job.files:
            backup = Path(name + BACKUP_SUFFIX)
            if backup.exists() or backup.is_symlink():
                raise UsageError(f"{backup} already exists: --in-place would lose that backup; "
                                 f"move it away first")
        return
    for name, output in _destinations(job):
        if _same_file(name, output) and name == STDIN:
            raise UsageError(f"{output} is the file stdin reads: writing it would replace the "
                             f"original; write elsewhere, or name the file and use --in-place")
        if _same_file(name, output):
            raise UsageError(f"{output} is the input {name} itself: writing it would replace "
                             f"the original; use --in-place to do that on purpose "
                             f"(it keeps {name}{BACKUP_SUFFIX})")


def check_destinations(job) -> None:
    """Fail before any work (exit 1) when a destination cannot be written; keeps nothing
    open."""
    if job.out_dir:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LlamaxError(f"cannot create {job.out_dir}: {exc.strerror}") from None
    for _, output in _destinations(job):
        AtomicOutput.check(output)


def open_output(job, source: Source) -> Optional[AtomicOutput]:
    """The file a translation of `source` goes to, opened now; None: stdout."""
    if job.in_place:
        return AtomicOutput(source.name, source.encoding, source.bom,
                            backup=source.name + BACKUP_SUFFIX)
    if job.out_dir:
        return AtomicOutput(job.out_dir / Path(source.name).name, source.encoding, source.bom)
    if job.output:
        return AtomicOutput(job.output, source.encoding, source.bom)
    return None


def note_json_into_documents(job, note: Callable[[str], None]) -> None:
    """--json writes JSON Lines wherever the output goes; say so once when a file's name
    promises a document (`-o page.html`), so the surprise is not found later."""
    if not job.as_json or job.dry_run:
        return
    named = [output for _, output in _destinations(job)
             if output.suffix.lower() not in _JSON_NAMES]
    if named:
        more = f" (and {len(named) - 1} more)" if len(named) > 1 else ""
        note(f"--json: {named[0]}{more} will hold JSON Lines records, not the translated "
             f"document; leave out --json for the document")
