"""`llamax memory …`: the translation memory's statistics, clearing, TMX export and import.

Rendering only: the memory itself is service/memory.py. Every command takes `--memory PATH`
(on the group or on the command) for another file than the user's default one.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Optional

import typer

memory_app = typer.Typer(help="The translation memory: stats, clear, export and import (TMX).",
                         no_args_is_help=True)

_MEMORY_HELP = "The memory file [default: memory.sqlite3 in your user cache folder]."
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", re.IGNORECASE)


def _note(message: str) -> None:
    sys.stderr.write(f"llamax: {message}\n")
    sys.stderr.flush()


def parse_age(text: str) -> float:
    """`90m`, `12h`, `30d`, `2w` (also `45s`) -> seconds; a UsageError (exit 2) otherwise."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core.errors import UsageError

    found = _AGE.fullmatch(text)
    if found is None:
        raise UsageError(f"--older-than {text!r}: give a number and a unit, as in 90m, 12h, "
                         f"30d or 2w (s, m, h, d, w)")
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


@memory_app.callback()
def _group(ctx: typer.Context,
           memory: Optional[Path] = typer.Option(None, "--memory", metavar="PATH",
                                                 help=_MEMORY_HELP)) -> None:
    ctx.obj = {"memory": memory}


def _path(ctx: typer.Context, memory: Optional[Path]) -> Path:
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core import config
    from llamax_cli.service.memory import default_path

    group = (ctx.obj or {}).get("memory") if isinstance(ctx.obj, dict) else None
    setting = config.value("memory")  # a path there is the memory `translate` uses
    return memory or group or (Path(setting) if isinstance(setting, str) else default_path())


def _open(path: Path, *, read_only: bool = False, writing: bool = False):
    """(the memory at `path`, the notes it gives while working), or a one-line error saying
    why it cannot be used (what it noted on opening is in that error)."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core.errors import LlamaxError
    from llamax_cli.service.memory import Memory

    notes: list[str] = []
    opened = Memory(path, note=notes.append, read_only=read_only)
    if not opened.enabled or (writing and not opened.writable):
        opened.close()
        raise LlamaxError(f"translation memory {path}: {opened.problem or 'opened read-only'}")
    notes.clear()
    return opened, notes


def _run(opened, notes: list[str], work):
    """work(opened), then close it and pass on what it noted."""
    try:
        return work(opened)
    finally:
        opened.close()
        for message in notes:
            _note(message)


def _size(count: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return ""  # not reached


def _when(stamp: Optional[float]) -> str:
    return "-" if stamp is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


@memory_app.command("stats")
def memory_stats(ctx: typer.Context,
                 as_json: bool = typer.Option(False, "--json", help="One JSON object."),
                 memory: Optional[Path] = typer.Option(None, "--memory", metavar="PATH",
                                                       help=_MEMORY_HELP)) -> None:
    """Entries, language pairs, size and age of the translation memory."""
    path = _path(ctx, memory)
    if path.exists():
        # stats write nothing: a read-only file will do
        stats = _run(*_open(path, read_only=True), lambda opened: opened.stats())
    else:  # no memory yet: nothing stored, and nothing created by asking
        stats = {"path": str(path), "entries": 0, "imported": 0, "pairs": [], "bytes": 0,
                 "oldest": None, "newest": None}
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False))
        return
    lines = [f"memory   {stats['path']} ({_size(stats['bytes'])})",
             f"entries  {stats['entries']} ({stats['imported']} imported)",
             f"oldest   {_when(stats['oldest'])}", f"newest   {_when(stats['newest'])}"]
    lines += [f"{row['from']} -> {row['to']}".ljust(16) + f" {row['entries']}"
              for row in stats["pairs"]]
    typer.echo("\n".join(lines))


@memory_app.command("clear")
def memory_clear(ctx: typer.Context,
                 older_than: Optional[str] = typer.Option(
                     None, "--older-than", metavar="AGE",
                     help="Only entries stored more than AGE ago: 90m, 12h, 30d, 2w."),
                 memory: Optional[Path] = typer.Option(None, "--memory", metavar="PATH",
                                                       help=_MEMORY_HELP)) -> None:
    """Remove every entry (or the old ones) and give the space back."""
    seconds = parse_age(older_than) if older_than is not None else None
    path = _path(ctx, memory)
    if not path.exists():
        _note(f"nothing to clear: {path} does not exist")
        return
    removed = _run(*_open(path, writing=True), lambda opened: opened.clear(seconds))
    _note(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {path}")


@memory_app.command("export")
def memory_export(ctx: typer.Context,
                  out: Path = typer.Argument(..., metavar="FILE.tmx",
                                             help="The TMX 1.4b file to write."),
                  memory: Optional[Path] = typer.Option(None, "--memory", metavar="PATH",
                                                        help=_MEMORY_HELP)) -> None:
    """Write the memory's good translations as TMX 1.4b, for CAT tools (OmegaT, Trados, ...)."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core.errors import LlamaxError
    from llamax_cli.service.memory_tmx import export_tmx

    path = _path(ctx, memory)
    if not path.exists():
        raise LlamaxError(f"translation memory {path} does not exist: nothing to export")
    written = _run(*_open(path, read_only=True), lambda opened: export_tmx(opened, out))
    _note(f"exported {written} translation unit{'' if written == 1 else 's'} to {out}")


@memory_app.command("import")
def memory_import(ctx: typer.Context,
                  source: Path = typer.Argument(..., metavar="FILE.tmx",
                                                help="A TMX file (1.1 to 1.4b) from a CAT tool."),
                  memory: Optional[Path] = typer.Option(None, "--memory", metavar="PATH",
                                                        help=_MEMORY_HELP)) -> None:
    """Store a TMX file's translations as reviewed ones: they win over machine translations,
    for every model and setting."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.service.memory_tmx import import_tmx

    path = _path(ctx, memory)
    stored = _run(*_open(path, writing=True), lambda opened: import_tmx(opened, source))
    _note(f"imported {stored} entr{'y' if stored == 1 else 'ies'} from {source} into {path}")
