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
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO

from llamax_cli import config, languages, translate
from llamax_cli.detect import Detection, detect
from llamax_cli.engine import Sampling
from llamax_cli.errors import DoneWithProblems, LlamaxError, UsageError
from llamax_cli.languages import Language
from llamax_cli.segment import Document, segment
from llamax_cli.textio import STDIN, AtomicOutput, Source, read_source, stdout_for, text_source


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


@dataclass
class _Task:
    source: Source
    doc: Document
    src: Optional[Language]  # None: nothing in it needs translating
    detection: Optional[Detection] = None
    sink: Optional[AtomicOutput] = None


@dataclass
class _Tally:
    """What happened to the units of the whole run, for the closing summary."""

    units: int = 0
    problems: collections.Counter = field(default_factory=collections.Counter)

    def add(self, status: str) -> None:
        self.units += 1
        if status in translate.PROBLEMS:
            self.problems[status] += 1


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


def engine_settings(job: TranslateJob) -> dict:
    """Every engine setting, resolved once (flag > env > file > default) and checked."""
    return {key: config.value(key, getattr(job, key))
            for key in ("ctx", "parallel", "threads", "gpu_layers")}


def read_sources(job: TranslateJob) -> tuple[list[Source], list[str]]:
    """The readable inputs, and one message per input that could not be read."""
    if job.text is not None:
        return [text_source(job.text)], []
    names = job.files or [STDIN]
    if names == [STDIN] and sys.stdin.isatty():
        raise UsageError("no input: pass FILES, --text TEXT, or pipe text in "
                         "(e.g. `echo Hello | llamax translate --to fr`)")
    sources, failed = [], []
    for name in names:
        try:
            sources.append(read_source(name))
        except LlamaxError as exc:
            if len(names) == 1:
                raise
            failed.append(str(exc))
    if not sources:
        raise LlamaxError("; ".join(failed))
    return sources, failed


_DETECT_SAMPLE = 10_000  # characters: plenty to tell a language, cheap on a whole book


def _source_language(job: TranslateJob, source: Source, doc: Document,
                     note) -> tuple[Optional[Language], Optional[Detection]]:
    if job.from_.strip().lower() not in ("auto", ""):
        return languages.resolve(job.from_, option="source language"), None
    if not doc.units:
        return None, None  # nothing to translate, so nothing to detect
    sample, size = [], 0
    for unit in doc.units:  # the translatable text only: not code, markup or timings
        sample.append(unit.source)
        size += len(unit.source) + 1
        if size >= _DETECT_SAMPLE:
            break
    found = detect("\n".join(sample))
    if found.language is None:
        raise LlamaxError(f"cannot tell the language of {source.label}; name it with --from")
    if found.reliable:
        note(f"{source.label}: detected {found.language.name} ({found.language.code}), "
             f"confidence {found.confidence:.0%}")
        return found.language, found
    default = config.value("from")
    if default is not None:
        lang = languages.resolve(default)
        note(f"{source.label}: detection unsure (best guess {found.language.name}, "
             f"{found.confidence:.0%}); using your default source language {lang.name}")
        return lang, found
    note(f"{source.label}: detected {found.language.name} ({found.language.code}) "
         f"(low confidence; --from to be sure)")
    return found.language, found


def _open_sinks(job: TranslateJob, tasks: list[_Task]) -> None:
    if job.out_dir:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LlamaxError(f"cannot create {job.out_dir}: {exc.strerror}") from None
        for task in tasks:
            task.sink = AtomicOutput(job.out_dir / Path(task.source.name).name,
                                     task.source.encoding, task.source.bom)
    elif job.output:
        tasks[0].sink = AtomicOutput(job.output, tasks[0].source.encoding, tasks[0].source.bom)


def _prepare(job: TranslateJob, sources: list[Source], tgt: Language, note) -> list[_Task]:
    tasks = []
    for source in sources:
        fmt = "text" if source.name == "--text" and job.format == "auto" else job.format
        doc = segment(source.text, fmt, source.name if source.name != STDIN else None)
        for line, message in doc.warnings:
            note(f"{source.label}:{line}: {message}")
        src, detection = _source_language(job, source, doc, note)
        if src is None:
            note(f"{source.label}: nothing to translate (no words outside code, numbers and "
                 f"symbols); passed through unchanged")
        elif src == tgt:
            note(f"{source.label} is already in {tgt.name}: passing it through unchanged")
        tasks.append(_Task(source, doc, src, detection))
    return tasks


def run_translate(job: TranslateJob, note: Callable[[str], None]) -> None:
    _check_usage(job)
    settings = engine_settings(job)
    to = config.value("to", job.to)
    if to is None:
        raise UsageError("missing --to: which language should I translate into? "
                         "(or set a default: `llamax config set to de`)")
    tgt = languages.resolve(to, option="target language")
    if job.from_.strip().lower() not in ("auto", ""):
        languages.resolve(job.from_, option="source language")  # usage errors before reading
    sources, failed = read_sources(job)
    tasks = _prepare(job, sources, tgt, note)
    if job.dry_run:
        _print_prompts(tasks, tgt, job.as_json)
        problems = ""
    else:
        tally = _translate_all(job, tasks, tgt, settings, note)
        problems = _summary(tally) if tally.problems else ""
    if failed:
        if problems:
            note(problems)
        others = "" if job.dry_run else " (the other input was translated)" if len(sources) == 1 \
            else f" (the other {len(sources)} inputs were translated)"
        raise LlamaxError("; ".join(failed) + others)
    if problems:
        raise DoneWithProblems(problems)


def _summary(tally: _Tally) -> str:
    n = sum(tally.problems.values())
    kinds = ", ".join(f"{count} {status}" for status, count in tally.problems.most_common())
    return (f"done, but {n} of {tally.units} unit{'s' if tally.units != 1 else ''} "
            f"need{'s' if n == 1 else ''} a look ({kinds}): see the notes above, or --json")


def _translate_all(job: TranslateJob, tasks: list[_Task], tgt: Language, settings: dict,
                   note) -> _Tally:
    engine, tally = None, _Tally()
    try:
        _open_sinks(job, tasks)
        todo = [task for task in tasks if task.src is not None and task.src != tgt]
        if todo:
            engine = _load_engine(job, settings, note, sum(len(t.doc.units) for t in todo))
        for task in tasks:
            live = task.sink is None and not job.as_json and sys.stdout.isatty()
            options = translate.Options(job.max_tokens, Sampling(job.temperature, job.seed), live)
            _run_task(task, tgt, engine, options, job, note, tally)
            if task.sink:
                task.sink.commit()  # each file whole as soon as it is done
    finally:
        for task in tasks:
            if task.sink:
                task.sink.abort()
        if engine is not None:
            engine.close()
    return tally


def _load_engine(job: TranslateJob, settings: dict, note, units: int):
    from llamax_cli.engine.llama import LlamaEngine, check_gguf, supports_gpu_offload
    from llamax_cli.engine.sizing import auto_parallel

    path = model_path(job.model, yes=job.yes, note=note)
    ctx = settings["ctx"] or DEFAULT_CTX
    gpu_layers = settings["gpu_layers"]
    parallel = settings["parallel"]
    if parallel is None:
        check_gguf(path)  # a missing or foreign file gets its own message first
        parallel = auto_parallel(path, ctx, units, gpu_layers != 0 and supports_gpu_offload())
    return LlamaEngine(path, n_ctx=ctx, n_threads=settings["threads"],
                       n_gpu_layers=gpu_layers, n_parallel=parallel, verbose=job.verbose)


# Tokens per unit (prompt and translation): a line needs a few hundred, and longer units are
# split to fit. Memory grows with ctx x (parallel + 1).
DEFAULT_CTX = 1024


def model_path(flag: Optional[str], *, yes: bool, note) -> Path:
    """The model file to load, downloading a missing registry model when allowed."""
    from llamax_cli import hub, registry

    resolved = registry.resolve(flag)
    if resolved.path is not None:
        return resolved.path
    ref = resolved.ref
    if hub.offline():
        raise registry.not_downloaded_error(ref, " and HF_HUB_OFFLINE is set")
    if not yes:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise registry.not_downloaded_error(ref, " (pass --yes to download it now)")
        import typer

        if not typer.confirm(f"llamax: {ref.label} ({registry.size_label(ref.file.size)}) is "
                             f"not downloaded. Download it now?", default=True, err=True):
            raise registry.not_downloaded_error(ref)
    if not hub.hub_reachable():
        raise registry.not_downloaded_error(ref, f" and {hub.endpoint()} is not reachable")
    return hub.pull(ref, note=note)


def _run_task(task: _Task, tgt: Language, engine, options, job: TranslateJob, note,
              tally: _Tally) -> None:
    from llamax_cli.progress import UnitProgress

    out: TextIO = task.sink or (sys.stdout if job.as_json else stdout_for(task.source))
    units = len(task.doc.units)
    show = not job.quiet and units > 1 and (task.sink is not None or not sys.stdout.isatty())
    src = task.src or tgt  # nothing to translate: a pass-through
    with UnitProgress(task.source.label, units, enabled=show) as progress:
        for piece in translate.translate_document(task.doc, src, tgt, engine, options):
            if isinstance(piece, translate.UnitResult):
                progress.advance(piece.tokens)
                tally.add(piece.status)
                if piece.status not in ("ok", "same-language"):
                    note(f"{task.source.label}:{piece.line}: {piece.status}: {piece.note}")
                if job.as_json:
                    out.write(_json_record(task, tgt, piece) + "\n")
                    out.flush()
            elif isinstance(piece, translate.Retract):
                _erase(out, piece.text)
            elif not job.as_json:
                out.write(piece)
                out.flush()


def _erase(out: TextIO, text: str) -> None:
    """Take back text streamed to a terminal (only ever done on a TTY)."""
    import shutil

    width = max(shutil.get_terminal_size().columns, 1)
    rows = max(len(text) - 1, 0) // width
    out.write("\r" + ("\x1b[1A" * rows) + "\x1b[J")


def _json_record(task: _Task, tgt: Language, result: translate.UnitResult) -> str:
    record = {
        "file": task.source.label, "index": result.index, "line": result.line,
        "source": result.source, "translation": result.translation,
        "source_language": (task.src or tgt).code,
        "confidence": task.detection.confidence if task.detection else None,
        "target_language": tgt.code, "status": result.status, "note": result.note,
        "attempts": result.attempts,
        "prompt_tokens": result.prompt_tokens, "tokens": result.tokens,
        "seconds": result.seconds,
    }
    return json.dumps(record, ensure_ascii=False)


def _print_prompts(tasks: list[_Task], tgt: Language, as_json: bool) -> None:
    """Plain: each prompt followed by a blank line (prompts never contain one)."""
    write = sys.stdout.write
    for task in tasks:
        if task.src is None or task.src == tgt:
            continue
        for unit, text in zip(task.doc.units, translate.prompts(task.doc, task.src, tgt)):
            if as_json:
                write(json.dumps({"file": task.source.label, "index": unit.index,
                                  "line": unit.line, "prompt": text}, ensure_ascii=False) + "\n")
            else:
                write(text + "\n\n")
    sys.stdout.flush()
