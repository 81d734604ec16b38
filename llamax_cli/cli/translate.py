"""`llamax translate`: the command's options and help; cli/translate_job.py runs the job."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from llamax_cli.cli.streams import warn
from llamax_cli.core.errors import UsageError
from llamax_cli.formats import registry


def translate_command(
    files: List[str] = typer.Argument(None, metavar="FILES",
                                      help="Files to translate; '-' or nothing reads stdin."),
    to: Optional[List[str]] = typer.Option(
        None, "--to", help="Target language: name or code (sw, German, zh-TW); several: "
                           "--to fr,de or --to fr --to de (one model load, one batch)."),
    from_: str = typer.Option("auto", "--from", help="Source language, or 'auto' to detect it."),
    text: Optional[str] = typer.Option(None, "-t", "--text", help="Translate this text."),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Write to FILE (one input); '-' is stdout. A pattern "
                                     "may name {lang} (needed with several targets), {stem}, "
                                     "{ext}, {name}: -o 'docs/{stem}.{lang}{ext}'."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out-dir", help="Write each input to DIR/<its name> (several targets: "
                                "DIR/<stem>.<lang><ext>)."),
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
                            help=f"{' | '.join(registry.names())} "
                                 "(auto: by extension and content)."),
    beams: Optional[int] = typer.Option(
        None, "--beams", help="Beam search with N beams (1-16; 1 is greedy): usually better, "
                              "about N times the work [default: 1]."),
    memory: Optional[str] = typer.Option(
        None, "--memory", metavar="PATH",
        help="Translation memory file: a project's own, beside its sources [default: the one "
             "in the cache folder]. Units it has are not translated again."),
    no_memory: bool = typer.Option(False, "--no-memory",
                                   help="Use no translation memory: translate every unit."),
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
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Localization files (PO): translate the entries that "
                                        "have a translation too [default: only empty ones]."),
    no_fuzzy: bool = typer.Option(False, "--no-fuzzy",
                                  help="PO files: do not flag machine translations fuzzy "
                                       "(msgfmt then compiles them)."),
) -> None:
    """Translate files, stdin or --text; the translation streams to stdout.

    \b
    Examples:
      llamax translate --to fr -t "Good morning, my friend."
      cat mail.txt | llamax translate --to de
      llamax translate --to ja README.md -o README.ja.md
      llamax translate --to sw --out-dir sw/ docs/*.md
      llamax translate --to fr,de,sw README.md -o 'README.{lang}.md'
      git log --oneline | llamax translate --from en --to es
      llamax translate --to de --json notes.txt | jq .status

    Exit status: 0 done; 1 an error (a bad input among several is named, the others are
    still translated); 2 a usage error; 3 done, but some units need a look (truncated,
    degenerate, a dropped code span or identifier: the notes on stderr say which);
    130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 141 stdout closed.
    """
    # Loaded when the command runs, not for `llamax --help`: the pipeline pulls in the engine.
    from llamax_cli.cli import translate_job

    if fmt not in registry.names():
        raise UsageError(f"unknown --format {fmt!r}; choose one of "
                         f"{', '.join(registry.names())}")
    job = translate_job.TranslateJob(
        files=files or [], text=text, to=to, from_=from_, output=output, out_dir=out_dir,
        model=model, dry_run=dry_run, as_json=as_json, max_tokens=max_tokens,
        temperature=temperature, seed=seed, threads=threads, gpu_layers=gpu_layers, ctx=ctx,
        quiet=quiet, verbose=verbose, yes=yes, parallel=parallel, format=fmt, server=server,
        no_server=no_server, deterministic=deterministic, api_base=api_base, api_model=api_model,
        remote_parallel=remote_parallel, remote_timeout=remote_timeout, beams=beams,
        alternatives=alternatives, glossary=glossary, in_place=in_place,
        memory=False if no_memory else memory, overwrite=overwrite, fuzzy=not no_fuzzy)
    translate_job.run_translate(job, note=(lambda m: None) if quiet else warn)
