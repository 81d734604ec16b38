"""What `llamax translate` does with its options: check everything that can be checked before
a model loads, then run the pipeline once per input and route its output.

Order matters for the user: usage errors and bad settings first (exit 2), then unreadable
inputs and unwritable outputs (exit 1), then detection, and only then the slow model load.
One bad input among several does not stop the others (as with `cp` and `grep`): the others
are translated, and the run ends with exit 1 naming it. Units that finished with a problem
make the run end with exit 3 ("done, with problems") after a one-line summary.
"""

from __future__ import annotations

import collections
import contextlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO

from llamax_cli.cli import outputs
from llamax_cli.cli.sources import Task, prepare, read_sources
from llamax_cli.cli.streams import (
    download_question,
    erase_on_terminal,
    for_screen,
    stop_when_reader_leaves,
)
from llamax_cli.core import config, languages
from llamax_cli.core.errors import DoneWithProblems, LlamaxError, UsageError
from llamax_cli.core.languages import Language
from llamax_cli.core.progress import UnitProgress
from llamax_cli.core.textio import STDIN, OutputError, stdout_for
from llamax_cli.engine import Sampling
from llamax_cli.formats.pending import refuse_pending
from llamax_cli.models import registry
from llamax_cli.models.factory import open_engine
from llamax_cli.server.client import RemoteTranslator, find_local_server
from llamax_cli.service import pipeline
from llamax_cli.service.glossary import read as read_glossary
from llamax_cli.service.translator import Translator

__all__ = ["TranslateJob", "engine_settings", "expected_tokens", "read_sources", "run_translate"]


@dataclass
class TranslateJob:
    files: list[str]
    to: Optional[str] = None
    text: Optional[str] = None
    from_: str = "auto"
    output: Optional[Path] = None
    out_dir: Optional[Path] = None
    model: Optional[str] = None
    dry_run: bool = False
    as_json: bool = False
    max_tokens: Optional[int] = None
    temperature: float = 0.0
    seed: int = 0
    threads: Optional[int] = None
    gpu_layers: Optional[int] = None
    ctx: Optional[int] = None
    parallel: Optional[int] = None
    format: str = "auto"
    quiet: bool = False
    verbose: bool = False
    yes: bool = False
    server: Optional[str] = None  # a running `llamax serve` to translate with
    no_server: bool = False  # never use a server, not even a local one found running
    deterministic: Optional[bool] = None  # batch-invariant kernels (None: the setting)
    api_base: Optional[str] = None  # an OpenAI-compatible server to translate through
    api_model: Optional[str] = None
    remote_parallel: Optional[int] = None
    remote_timeout: Optional[int] = None
    beams: Optional[int] = None  # beam search width (None: the setting, else 1)
    alternatives: int = 0  # other hypotheses per unit, in --json
    glossary: Optional[Path] = None  # a TSV glossary (service/glossary.py)
    in_place: bool = False  # write each file over itself, keeping FILE.orig (cli/outputs.py)


@dataclass
class _Tally:
    """What happened to the units of the whole run, for the closing summary."""

    units: int = 0
    flagged: int = 0  # units with at least one problem
    problems: collections.Counter = field(default_factory=collections.Counter)
    failed_outputs: list[str] = field(default_factory=list)  # one message per lost output

    def add(self, statuses: list[str]) -> None:
        self.units += 1
        problems = [status for status in statuses if status in pipeline.PROBLEMS]
        self.flagged += bool(problems)
        self.problems.update(problems)


def _check_usage(job: TranslateJob) -> None:
    if job.text is not None and job.files:
        raise UsageError("give either FILES or --text, not both")
    if job.output and job.out_dir:
        raise UsageError("give either -o or --out-dir, not both")
    if job.output and len(job.files) > 1:
        raise UsageError("-o takes one input; use --out-dir for several files")
    if job.out_dir and (job.text is not None or not job.files or STDIN in job.files):
        raise UsageError("--out-dir needs named files (stdin and --text have no name)")
    if job.files.count(STDIN) > 1:
        raise UsageError("stdin ('-') can be read only once")
    if job.out_dir:
        names = [Path(f).name for f in job.files]
        clash = {n for n in names if names.count(n) > 1}
        if clash:
            raise UsageError(f"--out-dir would write {sorted(clash)[0]} twice; "
                             f"translate those files separately")
        if job.out_dir.exists() and not job.out_dir.is_dir():
            raise UsageError(f"--out-dir {job.out_dir} is a file, not a directory")
    outputs.check_usage(job)


def engine_settings(job: TranslateJob) -> dict:
    """Every engine setting, resolved once (flag > env > file > default) and checked: the
    job's field of each setting's name is its flag (repack and kv_cache have none)."""
    return config.engine_settings(**{key: getattr(job, key, None)
                                     for key in config.ENGINE_SETTINGS})


def run_translate(job: TranslateJob, note: Callable[[str], None]) -> None:
    if job.output is not None and str(job.output) == STDIN:
        job.output = None  # `-o -`: stdout, as '-' is stdin among FILES
    _check_usage(job)
    settings = engine_settings(job)
    # K alternatives need K + 1 beams at least: the translation is one of the hypotheses.
    settings["beams"] = max(settings.get("beams") or 1, job.alternatives + 1 if job.alternatives
                            else 1)
    to = config.value("to", job.to)
    if to is None:
        raise UsageError("missing --to: which language should I translate into? "
                         "(or set a default: `llamax config set to de`)")
    tgt = languages.resolve(to, option="target language")
    glossary = read_glossary(job.glossary) if job.glossary else None
    if job.from_.strip().lower() not in ("auto", ""):
        languages.resolve(job.from_, option="source language")  # usage errors before reading
    if job.format == "auto":  # by extension, before reading (a .docx is no text to read)
        for name in job.files:
            refuse_pending(None, name, name)
    sources, failed = read_sources(job, allow_empty=True)
    tasks = prepare(sources, tgt, note, fmt=job.format, from_=job.from_)
    outputs.note_json_into_documents(job, note)
    if job.dry_run:
        _print_prompts(tasks, tgt, job.as_json)
        problems = ""
    else:
        tally = _translate_all(job, tasks, tgt, settings, note, glossary)
        problems = _summary(tally, job.quiet) if tally.problems else ""
        failed += tally.failed_outputs
    if failed:
        if problems:
            note(problems)
        done = len(sources) - (0 if job.dry_run else len(tally.failed_outputs))
        others = "" if job.dry_run or not done else " (the other input was translated)" \
            if done == 1 else f" (the other {done} inputs were translated)"
        raise LlamaxError("; ".join(failed) + others)
    if problems:
        raise DoneWithProblems(problems)


def _summary(tally: _Tally, quiet: bool) -> str:
    n = tally.flagged
    kinds = ", ".join(f"{count} {status}" for status, count in tally.problems.most_common())
    where = "run without -q for the notes, or --json" if quiet else "see the notes above, or --json"
    return (f"done, but {n} of {tally.units} unit{'s' if tally.units != 1 else ''} "
            f"need{'s' if n == 1 else ''} a look ({kinds}): {where}")


def _translate_all(job: TranslateJob, tasks: list[Task], tgt: Language, settings: dict,
                   note, glossary=None) -> _Tally:
    translator, tally = None, _Tally()
    outputs.check_destinations(job)  # before the model loads; nothing is kept open
    to_stdout = not (job.output or job.out_dir or job.in_place)
    try:
        # The reader of stdout leaving (`| head -1`) ends the job at once, not at the next unit.
        with stop_when_reader_leaves(enabled=to_stdout):
            todo = [task for task in tasks if task.needs_engine(tgt)]
            if todo:
                translator = _remote(job, settings, note) or Translator(
                    open_engine(job.model, settings, yes=job.yes, ask=download_question(),
                                note=note,
                                units=sum(len(t.doc.units) for t in todo), verbose=job.verbose,
                                work=expected_tokens(todo, job.max_tokens)))
            for task in tasks:
                _task_to_its_output(task, tgt, translator, settings, job, note, tally, glossary)
    finally:
        if translator is not None:
            translator.close()
    return tally


def _task_to_its_output(task: Task, tgt: Language, translator, settings: dict,
                        job: TranslateJob, note, tally: _Tally, glossary) -> None:
    """Translate one input into its output file, open only meanwhile and committed whole as
    soon as it is done; an output that cannot be written is named at the end, and the other
    inputs are still translated."""
    try:
        task.sink = outputs.open_output(job, task.source)
        live = task.sink is None and not job.as_json and sys.stdout.isatty()
        options = pipeline.Options(job.max_tokens, Sampling(job.temperature, job.seed), live,
                                    settings["beams"], job.alternatives,
                                    config.value("check_language") is not False, glossary)
        _run_task(task, tgt, translator, options, job, note, tally)
        if task.sink:
            task.sink.commit()
    except OutputError as exc:
        tally.failed_outputs.append(str(exc))
    finally:
        if task.sink:
            task.sink.abort()  # a no-op once committed
            task.sink = None


def expected_tokens(tasks: list[Task], max_tokens: Optional[int]) -> int:
    """A rough count of the tokens a job will generate, to decide whether repacking the
    weights at load pays (engine/kernels.py): as many as the source has, at ~4 characters a
    token."""
    chars = sum(len(unit.source) for task in tasks for unit in task.doc.units)
    units = sum(len(task.doc.units) for task in tasks)
    return chars // 4 if max_tokens is None else min(chars // 4, units * max_tokens)


def _remote(job: TranslateJob, settings: dict, note):
    """A running server to translate with: --server (or LLAMAX_SERVER, or the config), else a
    local `llamax serve` found running with the same model, unless --no-server or the engine
    is an OpenAI-compatible server (--api-base)."""
    if job.no_server or settings.get("api_base"):
        return None
    url = config.value("server", job.server)
    if url is None:
        try:
            path = registry.resolve(job.model).path
        except LlamaxError:
            return None
        url = find_local_server(str(path)) if path is not None else None
        if url is None:
            return None
        # Said always (not only with --verbose): its settings, not this command's, load the model.
        note(f"translating with the running `llamax serve` at {url} "
             f"(--no-server to load the model here)")
    return RemoteTranslator(url)


def _run_task(task: Task, tgt: Language, translator: Optional[Translator], options,
              job: TranslateJob, note, tally: _Tally) -> None:
    out: TextIO = task.sink or (sys.stdout if job.as_json else stdout_for(task.source))
    units = len(task.doc.units)
    show = not job.quiet and units > 1 and (task.sink is not None or not sys.stdout.isatty())
    src = task.src or tgt  # nothing to translate: a pass-through
    if job.as_json and not task.doc.units:  # still one record: a reader of the JSON sees the input
        out.write(_no_text_record(task, tgt) + "\n")
        return
    on_screen = out is sys.stdout  # a terminal's line is followed for warnings (cli/streams.py)
    with UnitProgress(task.source.label, units, enabled=show) as progress, \
            contextlib.closing(translator.translate_document(task.doc, src, tgt, options,
                                                             task.per_unit)
                               if translator is not None else
                               pipeline.translate_document(task.doc, src, tgt, None)) as pieces:
        for piece in pieces:
            if isinstance(piece, pipeline.UnitResult):
                progress.advance(piece.tokens)
                statuses = [piece.status, *getattr(piece, "also", ())]  # every one that applies
                tally.add(statuses)
                if piece.status not in ("ok", "same-language"):
                    note(f"{task.source.label}:{piece.line}: {', '.join(statuses)}: {piece.note}")
                if job.as_json:
                    out.write(_json_record(task, tgt, piece) + "\n")
                    out.flush()
            elif isinstance(piece, pipeline.Retract):
                erase_on_terminal(out, piece.text)
            elif not job.as_json:
                out.write(for_screen(piece) if on_screen else piece)
                out.flush()


def _no_text_record(task: Task, tgt: Language) -> str:
    text = task.source.text
    return json.dumps({
        "file": task.source.label, "index": None, "line": 1, "source": text, "translation": text,
        "source_language": task.src.code if task.src else None, "confidence": None,
        "target_language": tgt.code, "status": "no-text",
        "note": "nothing to translate (no words outside code, numbers and symbols)",
        # the keys of every other record (_json_record), with what is true of no work at all
        "attempts": 0, "prompt_tokens": 0, "tokens": 0, "seconds": 0.0,
        "score": None, "alternatives": []},
        ensure_ascii=False)


def _json_record(task: Task, tgt: Language, result: pipeline.UnitResult) -> str:
    cut = result.alternatives_truncated
    record = {
        "file": task.source.label, "index": result.index, "line": result.line,
        "source": result.source, "translation": result.translation,
        "source_language": result.source_language or (task.src or tgt).code,
        "confidence": task.detection.confidence if task.detection else None,
        "target_language": tgt.code, "status": result.status, "note": result.note,
        "attempts": result.attempts,
        "prompt_tokens": result.prompt_tokens, "tokens": result.tokens,
        "seconds": result.seconds,
        # Every record has every key, whatever path its unit took (null or empty where
        # absent): beam search's score, and the other hypotheses (service/alternatives.py).
        "score": None if result.score is None else round(result.score, 4),
        "alternatives": [{"translation": text, "score": score,
                          "truncated": k < len(cut) and bool(cut[k])}
                         for k, (text, score) in enumerate(result.alternatives)],
    }
    return json.dumps(record, ensure_ascii=False)


def _print_prompts(tasks: list[Task], tgt: Language, as_json: bool) -> None:
    """Plain: each prompt followed by a blank line (prompts never contain one)."""
    write = sys.stdout.write
    for task in tasks:
        if not task.needs_engine(tgt):
            continue
        for unit, text in zip(task.doc.units,
                              pipeline.prompts(task.doc, task.src, tgt, task.per_unit)):
            if text is None:  # this unit is already in the target language
                continue
            if as_json:
                write(json.dumps({"file": task.source.label, "index": unit.index,
                                  "line": unit.line, "prompt": text}, ensure_ascii=False) + "\n")
            else:
                write(text + "\n\n")
    sys.stdout.flush()
