"""The `llamax` command line: parse, call the pipeline, render. No translation logic here."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import List, Optional

import typer

from llamax_cli import __version__
from llamax_cli.core.errors import (DoneWithProblems, Interrupted, LlamaxError, OutputClosed,
                               UsageError)
from llamax_cli.cli import streams

app = typer.Typer(
    name="llamax",
    help="Translate text between 102 languages with LLaMAX models, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help renderer alone costs ~90 ms at start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


def guarded(command):
    """Keep broken pipes and Ctrl-C away from click, which would misreport them."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            raise OutputClosed() from None
        except KeyboardInterrupt:
            raise Interrupted() from None
        except OSError as exc:  # stdout on a full disk; anything no command turned into a message
            raise _os_error(exc) from None

    return wrapper


def _os_error(exc: OSError) -> LlamaxError:
    if exc.filename:
        return LlamaxError(f"{exc.filename}: {exc.strerror}")
    return LlamaxError(f"cannot write stdout: {exc.strerror or exc}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llamax {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    # LLAMAX_DEBUG is read by main(): any value but "" and "0" (click would refuse "yes").
    debug: bool = typer.Option(False, "--debug",
                               help="Show tracebacks on errors (or LLAMAX_DEBUG=1)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    _state["debug"] = debug or os.environ.get("LLAMAX_DEBUG", "") not in ("", "0")


def warn(message: str) -> None:
    # On a terminal, not glued to the end of a translated line.
    sys.stderr.write(f"{streams.fresh_line_for_stderr()}llamax: {message}\n")
    sys.stderr.flush()


@app.command(short_help="Translate files, stdin or --text (streams to stdout).")
@guarded
def translate(
    files: List[str] = typer.Argument(None, metavar="FILES",
                                      help="Files to translate; '-' or nothing reads stdin."),
    to: Optional[str] = typer.Option(None, "--to",
                                     help="Target language: name or code (sw, German, zh-TW)."),
    from_: str = typer.Option("auto", "--from", help="Source language, or 'auto' to detect it."),
    text: Optional[str] = typer.Option(None, "-t", "--text", help="Translate this text."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Write to FILE (one input); '-' is stdout."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir",
                                           help="Write each input to DIR/<its name>."),
    in_place: bool = typer.Option(False, "--in-place", help="Replace each FILE with its "
                                  "translation, keeping the original as FILE.orig."),
    model: Optional[str] = typer.Option(None, "--model", "-m",
                                        help="GGUF path, or registry name[:quant]."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Print the exact prompts; load no model."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per unit (JSON Lines)."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", min=1,
                                             help="Token limit per unit [default: auto]."),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0,
                                      help="0 is greedy (deterministic)."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed, when --temperature > 0."),
    threads: Optional[int] = typer.Option(None, "--threads",
                                          help="CPU threads [default: physical cores]."),
    gpu_layers: Optional[int] = typer.Option(
        None, "--gpu-layers", help="Layers to offload; -1 all [default: all if a GPU backend]."),
    # Limits of numbers that are also settings are checked in config, whatever their source.
    ctx: Optional[int] = typer.Option(None, "--ctx",
                                      help="Context per unit in tokens: prompt and translation "
                                           "(256 or more) [default: 1024]."),
    parallel: Optional[int] = typer.Option(
        None, "--parallel", "-p",
        help="Units decoded at once in one batch, 1-64 [default: by model, memory and "
             "document size, at most 16]."),
    deterministic: Optional[bool] = typer.Option(
        None, "--deterministic", show_default=False,
        help="Batch-invariant kernels: greedy output byte-identical whatever --parallel is; "
             "slower [default: fastest kernels]."),
    fmt: str = typer.Option("auto", "--format", "-f",
                            help="auto | text | markdown | html | srt "
                                 "(auto: by extension and content)."),
    beams: Optional[int] = typer.Option(
        None, "--beams", help="Beam search with N beams (1-16; 1 is greedy): usually better, "
                              "about N times the work [default: 1]."),
    glossary: Optional[Path] = typer.Option(
        None, "--glossary", help="TSV of `source term<TAB>target term` (a term alone: keep it "
                                 "as is); missing target terms are retried, then flagged."),
    alternatives: int = typer.Option(
        0, "--alternatives", min=0, max=15,
        help="Also give the K next-best distinct translations with their scores, in --json "
             "(uses at least K+1 beams)."),
    yes: bool = typer.Option(False, "-y", "--yes",
                             help="Download the model if it is missing, without asking."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Nothing on stderr but errors."),
    verbose: bool = typer.Option(False, "--verbose", help="Show llama.cpp's own log."),
    server: Optional[str] = typer.Option(
        None, "--server", help="Translate with a running `llamax serve` at this URL "
                               "[default: a local one with the same model, if running]."),
    api_base: Optional[str] = typer.Option(
        None, "--api-base", help="Translate through an OpenAI-compatible server (vLLM, "
                                 "llama-server, Ollama, llamax serve), e.g. http://host:8000/v1."),
    api_model: Optional[str] = typer.Option(None, "--api-model",
                                            help="Model name on that server [default: its first]."),
    remote_parallel: Optional[int] = typer.Option(
        None, "--remote-parallel", help="Requests sent to that server at once [default: 8]."),
    remote_timeout: Optional[int] = typer.Option(
        None, "--remote-timeout", help="Seconds to keep retrying an unavailable server "
                                       "[default: 60]."),
    no_server: bool = typer.Option(False, "--no-server",
                                   help="Load the model here even if a server is running."),
) -> None:
    """Translate files, stdin or --text; the translation streams to stdout.

    \b
    Examples:
      llamax translate --to fr -t "Good morning, my friend."
      cat mail.txt | llamax translate --to de
      llamax translate --to ja README.md -o README.ja.md
      llamax translate --to sw --out-dir sw/ docs/*.md
      git log --oneline | llamax translate --from en --to es
      llamax translate --to de --json notes.txt | jq .status

    Exit status: 0 done; 1 an error (a bad input among several is named, the others are
    still translated); 2 a usage error; 3 done, but some units need a look (truncated,
    degenerate, a dropped code span or identifier: the notes on stderr say which);
    130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 stdout closed.
    """
    from llamax_cli.cli import translate_job
    from llamax_cli.formats.segment import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    job = translate_job.TranslateJob(
        files=files or [], text=text, to=to, from_=from_, output=output, out_dir=out_dir,
        model=model, dry_run=dry_run, as_json=as_json, max_tokens=max_tokens,
        temperature=temperature, seed=seed, threads=threads, gpu_layers=gpu_layers, ctx=ctx,
        quiet=quiet, verbose=verbose, yes=yes, parallel=parallel, format=fmt, server=server,
        no_server=no_server, deterministic=deterministic, api_base=api_base, api_model=api_model,
        remote_parallel=remote_parallel, remote_timeout=remote_timeout, beams=beams,
        alternatives=alternatives, glossary=glossary, in_place=in_place)
    translate_job.run_translate(job, note=(lambda m: None) if quiet else warn)


@app.command(short_help="Detect the language of text ('und' when unsure).")
@guarded
def detect(
    files: List[str] = typer.Argument(None, metavar="FILES",
                                      help="Files to examine; '-' or nothing reads stdin."),
    text: Optional[str] = typer.Option(None, "-t", "--text", help="Examine this text."),
    lines: bool = typer.Option(False, "--lines", help="One result per input line."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines output."),
    hint: Optional[str] = typer.Option(None, "--hint",
                                       help="Likely language: tips the balance in close calls."),
) -> None:
    """Detect the language of text: code, name and confidence ('und' when unsure)."""
    from llamax_cli.cli import detect as detect_command

    for record in detect_command.run_detect(files or [], text, lines=lines, hint=hint):
        typer.echo(json.dumps(record, ensure_ascii=False) if as_json
                   else detect_command.detect_line(record))


@app.command(short_help="List the 102 languages and their codes.")
@guarded
def languages(as_json: bool = typer.Option(False, "--json", help="JSON Lines output.")) -> None:
    """List the 102 languages LLaMAX translates, with their codes."""
    from llamax_cli.lid.detect import detectable
    from llamax_cli.core.languages import all_languages, native_name

    langs = all_languages()
    if as_json:
        for lang in langs:
            record = {**lang.__dict__, "native_name": native_name(lang),
                      "detectable": detectable(lang.code)}
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("code", "name", "ISO 639-1", "ISO 639-3", "Flores-200", "BCP-47", "script",
                  "native", "detect", box=None)
    for lang in langs:
        table.add_row(lang.code, lang.name, lang.iso639_1 or "-", lang.iso639_3, lang.flores200,
                      lang.bcp47, lang.script, native_name(lang) or "-",
                      "yes" if detectable(lang.code) else "no")
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)  # piped: never truncate a column
    console.print(table)


@app.command(short_help="Serve the LibreTranslate API on a warm model.")
@guarded
def serve(
    model: Optional[str] = typer.Option(None, "--model", "-m",
                                        help="GGUF path, or registry name[:quant]."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(5000, "--port", min=1, max=65535, help="Port to listen on."),
    api_keys: Optional[Path] = typer.Option(None, "--api-keys",
                                            help="File of API keys, one a line: then required."),
    char_limit: int = typer.Option(5000, "--char-limit", min=-1,
                                   help="Characters per text; -1 for none."),
    batch_limit: int = typer.Option(64, "--batch-limit", min=-1,
                                    help="Texts per request; -1 for none."),
    queue: int = typer.Option(64, "--queue", min=1,
                              help="Requests admitted at once; more get 429."),
    grace: float = typer.Option(30.0, "--grace", min=0,
                                help="Seconds a stop (SIGTERM, Ctrl-C) lets requests in flight "
                                     "finish; the rest then get 503. A second signal: at once."),
    cors_origins: str = typer.Option("*", "--cors-origins", help="Origins whose web pages may "
                                     "call the API: *, a comma-separated list, or none."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="This server's URL as "
                                             "clients reach it, for file links [default: relative]."),
    file_ttl: int = typer.Option(1800, "--file-ttl", min=0,
                                 help="Seconds a translated file stays downloadable."),
    file_store: str = typer.Option("256M", "--file-store",
                                   help="Room for translated files; the oldest go first."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Layers to offload."),
    ctx: Optional[int] = typer.Option(None, "--ctx", help="Context per unit in tokens."),
    parallel: Optional[int] = typer.Option(None, "--parallel", "-p",
                                           help="Units decoded at once, for all clients "
                                                "[default: 32, as memory allows; "
                                                "--deterministic: as translate]."),
    beams: Optional[int] = typer.Option(
        None, "--beams", help="Beam search width for every request (1: greedy); a request "
                              "asking for K alternatives uses K+1 at least [default: 1]."),
    glossary: Optional[Path] = typer.Option(
        None, "--glossary", help="TSV glossary applied to every request (see translate)."),
    deterministic: Optional[bool] = typer.Option(
        None, "--deterministic", show_default=False,
        help="Batch-invariant kernels: a text's greedy translation does not depend on what "
             "else is being translated; slower."),
    api_base: Optional[str] = typer.Option(
        None, "--api-base", help="Serve through an OpenAI-compatible server (e.g. a vLLM "
                                 "cluster) instead of a local model."),
    api_model: Optional[str] = typer.Option(None, "--api-model", help="Model name on that server."),
    remote_parallel: Optional[int] = typer.Option(None, "--remote-parallel",
                                                  help="Requests sent to that server at once."),
    remote_timeout: Optional[int] = typer.Option(None, "--remote-timeout",
                                                 help="Seconds to retry an unavailable server."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Download the model if it is missing."),
    verbose: bool = typer.Option(False, "--verbose", help="Log requests and llama.cpp."),
) -> None:
    """Serve the LibreTranslate API (translate, detect, languages, files) on a warm model.

    \b
    Examples:
      llamax serve                            # http://127.0.0.1:5000
      llamax serve --port 8080 --api-keys keys.txt
      curl -s localhost:5000/translate -H 'Content-Type: application/json' \\
           -d '{"q": "Good morning", "source": "auto", "target": "fr"}'
    """
    from llamax_cli.core import config
    from llamax_cli.server.app import Limits
    from llamax_cli.server.edge import parse_origins
    from llamax_cli.server.files import parse_public_url, parse_size
    from llamax_cli.server.run import read_api_keys
    from llamax_cli.server.run import serve as run_server

    from llamax_cli.models.factory import check_settings

    settings = check_settings({key: config.value(key, flag) for key, flag in
                               (("ctx", ctx), ("parallel", parallel), ("threads", threads),
                                ("gpu_layers", gpu_layers), ("repack", None),
                                ("deterministic", deterministic), ("kv_cache", None),
                                ("api_base", api_base), ("api_model", api_model),
                                ("remote_parallel", remote_parallel),
                                ("remote_timeout", remote_timeout), ("beams", beams))})
    from llamax_cli.service.glossary import read as read_glossary

    run_server(model=model or config.value("model"), host=host, port=port, settings=settings,
               glossary=read_glossary(glossary) if glossary else None,
               limits=Limits(char_limit, batch_limit, queue, grace=grace,
                             cors_origins=parse_origins(cors_origins),
                             public_url=parse_public_url(public_url), file_ttl=file_ttl,
                             file_store_bytes=parse_size(file_store)),
               api_keys=read_api_keys(api_keys),
               yes=yes, verbose=verbose, note=warn)


from llamax_cli.cli import admin  # noqa: E402  (after `app` and `guarded` exist)

app.add_typer(admin.models_app, name="models")
app.add_typer(admin.config_app, name="config")
app.command(short_help="Check versions, backends, devices, memory and models.")(
    guarded(admin.doctor))
from llamax_cli.cli import eval  # noqa: E402

app.command("eval", short_help="Score translations: chrF, chrF++, BLEU, spBLEU (sacrebleu).")(
    guarded(eval.eval_command))
for _group in (admin.models_app, admin.config_app):
    for _command in _group.registered_commands:
        _command.callback = guarded(_command.callback)


def main() -> None:
    """Entry point: map every failure to its exit code and one line on stderr.

    typer handles usage errors itself (exit 2, with the usage line); everything else that
    can go wrong arrives here as one of our exceptions.
    """
    debug = os.environ.get("LLAMAX_DEBUG", "") not in ("", "0") or "--debug" in sys.argv
    streams.use_utf8()  # whatever the locale says: a translation is no ASCII
    from llamax_cli.core.interrupts import unwind_on_termination_signals

    unwind_on_termination_signals()
    try:
        app(prog_name="llamax")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        _flush_or_silence()
        _exit(code)
    except (Interrupted, KeyboardInterrupt) as exc:
        if debug:
            raise
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        warn("interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}")
        _exit(128 + signum)
    except (OutputClosed, BrokenPipeError):
        # The reader went away (`| head -1`): stop quietly, as a Unix filter does.
        streams.silence_stdout()
        _exit(141)
    except DoneWithProblems as exc:
        streams.silence_stdout_if_broken()
        warn(str(exc))
        _exit(exc.exit_code)
    except LlamaxError as exc:
        if debug:
            raise
        streams.silence_stdout_if_broken()
        warn(f"error: {exc}")
        _exit(exc.exit_code)


def _exit(code: int) -> None:
    sys.exit(code)


def _flush_or_silence() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        streams.silence_stdout()
        _exit(141)
    except OSError as exc:
        streams.silence_stdout()
        warn(f"error: {_os_error(exc)}")
        _exit(1)


if __name__ == "__main__":
    main()
