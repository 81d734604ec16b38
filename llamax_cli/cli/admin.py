"""`llamax models …`, `llamax config …` and `llamax doctor`: rendering only."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

models_app = typer.Typer(help="List, download and remove models.", no_args_is_help=True)
config_app = typer.Typer(help="Show and change your default settings.", no_args_is_help=True)


def _note(message: str) -> None:
    sys.stderr.write(f"llamax: {message}\n")
    sys.stderr.flush()


def _console(stderr: bool = False):
    # rich costs ~40-60 ms to import: only when something is drawn
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _dim_line(text: str) -> None:
    """One line on stderr, dim on a terminal: never wrapped (a path cut in two cannot be
    pasted), and never read as rich markup (a path may hold brackets)."""
    # rich costs ~40-60 ms to import: only when something is drawn
    from rich.markup import escape

    _console(stderr=True).print(f"[dim]{escape(text)}[/]", soft_wrap=True)


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json", help="JSON Lines output.")) -> None:
    """Every model and quantization: size, and where it is if downloaded."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.models import registry

    reg = registry.load()
    rows = []
    for entry in reg.entries.values():
        for model_file in entry.files.values():
            ref = registry.ModelRef(entry, model_file)
            path = registry.cached_path(ref)
            present = path is not None and path.exists()
            rows.append({"name": ref.label, "default": ref.label == registry.lookup(reg.default).label,
                         "size": model_file.size, "downloaded": present,
                         "path": str(path) if present else None, "repo": entry.repo or None,
                         "api_base": entry.api_base or None,
                         "description": entry.description})
    for problem in reg.problems:
        _note(problem)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    # rich costs ~40-60 ms to import: only when something is drawn
    from rich.table import Table

    table = Table("name", "size", "downloaded", box=None, pad_edge=False)
    for row in rows:
        mark = "[green]yes[/]  " + row["path"] if row["downloaded"] else \
            f"remote: {row['api_base']}" if row["api_base"] else "-"
        name = row["name"] + (" [bold](default)[/]" if row["default"] else "")
        table.add_row(name, "-" if row["api_base"] else registry.size_label(row["size"]), mark)
    _console().print(table)
    _dim_line(f"your own entries: {registry.user_registry_path()}")


@models_app.command("pull")
def models_pull(name: str = typer.Argument(..., help="Model name[:quant], e.g. llamax3-8b-alpaca:q8_0"),
                quiet: bool = typer.Option(False, "-q", "--quiet")) -> None:
    """Download a model into the Hugging Face cache: resumable, verified."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.models import hub
    from llamax_cli.models import registry

    path = hub.pull(registry.lookup(name), note=(lambda m: None) if quiet else _note)
    typer.echo(str(path))


@models_app.command("rm")
def models_rm(name: str = typer.Argument(..., help="Model name[:quant]")) -> None:
    """Delete a downloaded model file and free its space."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.models import hub
    from llamax_cli.models import registry

    ref = registry.lookup(name)
    freed = hub.remove(ref)
    _note(f"removed {ref.label}, freed {registry.size_label(freed)}")


@models_app.command("path")
def models_path(name: Optional[str] = typer.Argument(None, help="Model name[:quant] [default: yours]")) -> None:
    """Print the local file of a model, for scripts (exit 1 if not downloaded)."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.models import registry

    resolved = registry.resolve(name)
    if resolved.path is None:
        raise registry.not_downloaded_error(resolved.ref)
    typer.echo(str(resolved.path))


@models_app.command("info")
def models_info(name: Optional[str] = typer.Argument(None, help="Model name [default: yours]")) -> None:
    """Details of one model: source, prompt family, context, quantizations."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.models import registry

    ref = registry.lookup(name or registry.chosen_name())
    entry = ref.entry
    out = _console()
    out.print(f"[bold]{entry.alias}[/]  {entry.description}")
    source = entry.repo or (f"server {entry.api_base} (model {entry.api_model or 'its first'})"
                            if entry.remote else f"local file {ref.file.file}")
    if entry.mirrors:
        source += f" (mirrors: {', '.join(entry.mirrors)})"
    out.print(f"source: {source}\nprompt: {entry.prompt}\ncontext: {entry.context} tokens")
    for model_file in entry.files.values():
        path = registry.cached_path(registry.ModelRef(entry, model_file))
        where = str(path) if path is not None and path.exists() else "not downloaded"
        default = " (default)" if model_file.quant == entry.default_quant else ""
        sha = f" sha256 {model_file.sha256[:12]}…" if model_file.sha256 else ""
        out.print(f"  {model_file.quant.lower():8} {registry.size_label(model_file.size):>9}"
                  f"{default}{sha}  {where}")


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json")) -> None:
    """Each setting, its effective value, and where that value comes from."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core import config
    from llamax_cli.core.errors import LlamaxError

    config.read_file()  # a broken file is one error, naming it
    rows = []
    for key, setting in config.SETTINGS.items():
        try:
            value, source = config.get(key)
        except LlamaxError as exc:  # a bad LLAMAX_FROM must not hide the other settings
            value, source = None, f"invalid: {exc}"
        rows.append({"key": key, "value": value, "source": source, "env": setting.env})
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    width = max(len(row["key"]) for row in rows)
    for row in rows:
        shown = ("auto" if row["key"] == "repack" else "-") if row["value"] is None else row["value"]
        typer.echo(f"{row['key']:{width}} {shown!s:24} ({row['source']})")
    _dim_line(f"file: {config.config_path()}")


# `config set gpu_layers -1`: a negative number is a value here, not an unknown option.
@config_app.command("set", context_settings={"ignore_unknown_options": True})
def config_set(key: str, value: str) -> None:
    """Store a default (`llamax config show` lists the settings)."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core import config

    stored = config.set_value(key, value)
    _note(f"{key} = {'auto' if stored is None else stored} (in {config.config_path()})")


@config_app.command("unset")
def config_unset(key: str) -> None:
    """Remove a stored default."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core import config

    config.unset(key)


def doctor(offline: bool = typer.Option(False, "--offline", help="Skip the hub check.")) -> None:
    """Versions, compiled backends, devices, memory, models, and what to fix."""
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.cli.doctor import diagnose

    report = diagnose(check_hub=not offline)
    out = _console()
    for key, value in report.facts:
        out.print(f"[bold]{key:18}[/] {value}", soft_wrap=True)
    out.print("[bold]models[/]" + ("" if report.models else "             none downloaded"))
    for label, size, path in report.models:
        out.print(f"  {label:28} {size:>9}  {path}", soft_wrap=True)
    for line in report.advice:
        out.print(f"[yellow]→[/] {line}", soft_wrap=True)
