"""What `llamax translate` does with its options: check everything that can be checked before
a model loads, then run the pipeline once per input and route its output.

Order matters for the user: usage errors first (exit 2), then unreadable inputs and
unwritable outputs (exit 1), then detection, and only then the slow model load.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO

from llamax_cli import config, languages, translate
from llamax_cli.detect import Detection, detect
from llamax_cli.engine import Sampling
from llamax_cli.errors import LlamaxError, UsageError
from llamax_cli.languages import Language
from llamax_cli.segment import Document, segment
from llamax_cli.textio import STDIN, AtomicOutput, Source, read_source, text_source


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
    src: Language
    detection: Optional[Detection] = None
    sink: Optional[AtomicOutput] = None
    results: list = field(default_factory=list)


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


def _read_sources(job: TranslateJob) -> list[Source]:
    if job.text is not None:
        return [text_source(job.text)]
    names = job.files or [STDIN]
    if names == [STDIN] and sys.stdin.isatty():
        raise UsageError("no input: pass FILES, --text TEXT, or pipe text in "
                         "(e.g. `echo Hello | llamax translate --to fr`)")
    return [read_source(name) for name in names]


def _source_language(job: TranslateJob, source: Source, note) -> tuple[Language, Detection | None]:
    if job.from_.strip().lower() not in ("auto", ""):
        return languages.resolve(job.from_, option="source language"), None
    found = detect(source.text[:_DETECT_SAMPLE])
    if not found.reliable:
        guess = f" (best guess {found.language.name}, {found.confidence:.0%})" if found.language else ""
        raise LlamaxError(f"cannot tell the language of {source.label}{guess}; "
                          f"say it with --from, e.g. --from en")
    note(f"{source.label}: detected {found.language.name} ({found.language.code}), "
         f"confidence {found.confidence:.0%}")
    return found.language, found


def _open_sinks(job: TranslateJob, tasks: list[_Task]) -> None:
    if job.out_dir:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LlamaxError(f"cannot create {job.out_dir}: {exc.strerror}") from None
        for task in tasks:
            task.sink = AtomicOutput(job.out_dir / Path(task.source.name).name)
    elif job.output:
        tasks[0].sink = AtomicOutput(job.output)


def run_translate(job: TranslateJob, note: Callable[[str], None]) -> None:
    _check_usage(job)
    to = config.value("to", job.to)
    if to is None:
        raise UsageError("missing --to: which language should I translate into? "
                         "(or set a default: `llamax config set to de`)")
    tgt = languages.resolve(to, option="target language")
    if job.from_.strip().lower() not in ("auto", ""):
        languages.resolve(job.from_, option="source language")  # usage errors before reading
    sources = _read_sources(job)
    tasks = []
    for source in sources:
        src, detection = _source_language(job, source, note)
        fmt = "text" if source.name == "--text" and job.format == "auto" else job.format
        name = source.name if source.name != STDIN else None
        tasks.append(_Task(source, segment(source.text, fmt, name), src, detection))
    for task in tasks:
        if task.src == tgt:
            note(f"{task.source.label} is already in {tgt.name}: passing it through unchanged")

    if job.dry_run:
        _print_prompts(tasks, tgt, job.as_json)
        return

    engine = None
    try:
        _open_sinks(job, tasks)
        if any(task.src != tgt for task in tasks):
            units = sum(len(task.doc.units) for task in tasks if task.src != tgt)
            engine = _load_engine(job, note, units)
        for task in tasks:
            live = task.sink is None and not job.as_json and sys.stdout.isatty()
            options = translate.Options(job.max_tokens, Sampling(job.temperature, job.seed), live)
            _run_task(task, tgt, engine, options, job, note)
            if task.sink:
                task.sink.commit()  # each file whole as soon as it is done
    finally:
        for task in tasks:
            if task.sink:
                task.sink.abort()
        if engine is not None:
            engine.close()


def _load_engine(job: TranslateJob, note, units: int):
    from llamax_cli.engine.llama import LlamaEngine, check_gguf, supports_gpu_offload
    from llamax_cli.engine.sizing import auto_parallel

    path = model_path(job.model, yes=job.yes, note=note)
    ctx = config.value("ctx", job.ctx) or DEFAULT_CTX
    gpu_layers = config.value("gpu_layers", job.gpu_layers)
    parallel = config.value("parallel", job.parallel)
    if parallel is None:
        check_gguf(path)  # a missing or foreign file gets its own message first
        parallel = auto_parallel(path, ctx, units, gpu_layers != 0 and supports_gpu_offload())
    return LlamaEngine(path, n_ctx=ctx, n_threads=config.value("threads", job.threads),
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


def _run_task(task: _Task, tgt: Language, engine, options, job: TranslateJob, note) -> None:
    from llamax_cli.progress import UnitProgress

    out: TextIO = task.sink or sys.stdout
    units = len(task.doc.units)
    show = not job.quiet and units > 1 and (task.sink is not None or not sys.stdout.isatty())
    with UnitProgress(task.source.label, units, enabled=show) as progress:
        for piece in translate.translate_document(task.doc, task.src, tgt, engine, options):
            if isinstance(piece, translate.UnitResult):
                progress.advance(piece.tokens)
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
        "source_language": task.src.code,
        "confidence": task.detection.confidence if task.detection else None,
        "target_language": tgt.code, "status": result.status, "note": result.note,
        "attempts": result.attempts,
        "prompt_tokens": result.prompt_tokens, "tokens": result.tokens,
        "seconds": result.seconds,
    }
    return json.dumps(record, ensure_ascii=False)


def _print_prompts(tasks: list[_Task], tgt: Language, as_json: bool) -> None:
    """Plain: each prompt followed by a blank line (prompts never contain one)."""
    for task in tasks:
        if task.src == tgt:
            continue
        for unit, text in zip(task.doc.units, translate.prompts(task.doc, task.src, tgt)):
            if as_json:
                sys.stdout.write(json.dumps({"file": task.source.label, "index": unit.index,
                                             "line": unit.line, "prompt": text},
                                            ensure_ascii=False) + "\n")
            else:
                sys.stdout.write(text + "\n\n")
    sys.stdout.flush()


_DETECT_SAMPLE = 10_000  # characters: plenty to tell a language, cheap on a whole book


def run_detect(files: list[str], text: Optional[str], *, lines: bool, hint: Optional[str]):
    """Yield one record per input (or per line with `lines`), in input order."""
    if text is not None and files:
        raise UsageError("give either FILES or --text, not both")
    hint_code = languages.resolve(hint, option="hint language").code if hint else None
    sources = _read_sources(TranslateJob(files=files, text=text))
    for source in sources:
        label = source.label if len(sources) > 1 else None
        if lines:
            for number, line in enumerate(source.text.splitlines(), start=1):
                yield _detect_record(detect(line, hint_code) if line.strip() else None, label, number)
        else:
            yield _detect_record(detect(source.text[:_DETECT_SAMPLE], hint_code), label, None)


def _detect_record(found: Optional[Detection], file: Optional[str], line: Optional[int]) -> dict:
    record: dict = {}
    if file is not None:
        record["file"] = file
    if line is not None:
        record["line"] = line
    if found is None or not found.reliable:
        record.update(code="und", name="unknown",
                      confidence=found.confidence if found else 0.0,
                      guess=found.language.code if found and found.language else None)
    else:
        record.update(code=found.language.code, name=found.language.name,
                      confidence=found.confidence)
    record["candidates"] = [{"code": c, "probability": p} for c, p in (found.candidates if found else ())]
    return record


def detect_line(record: dict) -> str:
    """The plain form: [file:][line:] code, name and confidence, tab-separated."""
    where = ":".join(str(record[k]) for k in ("file", "line") if k in record)
    fields = [record["code"], record["name"], f"{record['confidence']:.2f}"]
    return "\t".join(([where] if where else []) + fields)
