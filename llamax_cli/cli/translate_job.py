"""What `llamax translate` does with its options: check everything that can be checked before
a model loads, then run the pipeline once per input and route its output.

Order matters for the user: usage errors and bad settings first (exit 2), then unreadable
inputs and unwritable outputs (exit 1), then detection, and only then the slow model load.
One bad input among several does not stop the others (as with `cp` and `grep`): the others
are translated, and the run ends with exit 1 naming it. Units that finished with a problem
make the run end with exit 3 ("done, with problems") after a one-line summary.

Several targets (`--to fr,de`) share the one engine and its batch: each input's translations
into all of them run at once (cli/targets.py), and are written one target after the other, each
to its own file or as its own block on stdout (a `==> fr <==` line on stderr before it).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO, Union

from llamax_cli.cli import outputs, records, targets
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
from llamax_cli.core.textio import STDIN, AtomicOutput, OutputError, stdout_for
from llamax_cli.engine import Sampling
from llamax_cli.formats.document import CatalogOptions
from llamax_cli.formats.pending import refuse_pending
from llamax_cli.models import registry
from llamax_cli.models.factory import model_identity, open_engine
from llamax_cli.server.client import RemoteTranslator, find_local_server
from llamax_cli.service import pipeline
from llamax_cli.service.glossary import read as read_glossary
from llamax_cli.service.recall import open_memory
from llamax_cli.service.translator import Translator

__all__ = ["TranslateJob", "engine_settings", "expected_tokens", "read_sources", "run_translate"]


@dataclass
class TranslateJob:
    files: list[str]
    to: Union[str, list[str], None] = None  # each item one language or a comma list
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
    memory: Union[bool, str, None] = None  # --memory PATH / --no-memory (None: the setting)
    overwrite: bool = False  # localization files: redo existing translations
    fuzzy: bool = True  # PO: flag machine translations fuzzy


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
    if job.output and len(job.files) > 1 and not outputs.names_each_input(job.output):
        raise UsageError("-o takes one input; use --out-dir for several files (or name each "
                         "one's output with {stem} or {name} in -o)")
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
    """Every engine setting, resolved once (flag > env > file > default) and checked: the
    job's field of each setting's name is its flag (repack and kv_cache have none)."""
    return config.engine_settings(**{key: getattr(job, key, None)
                                     for key in config.ENGINE_SETTINGS})


def run_translate(job: TranslateJob, note: Callable[[str], None]) -> None:
    if job.output is not None and str(job.output) == STDIN:
        job.output = None  # `-o -`: stdout, as '-' is stdin among FILES
    _check_usage(job)
    tgts = targets.wanted(job.to)
    codes = [tgt.code for tgt in tgts]
    outputs.check_usage(job, codes)
    settings = engine_settings(job)
    # K alternatives need K + 1 beams at least: the translation is one of the hypotheses.
    settings["beams"] = max(settings.get("beams") or 1, job.alternatives + 1 if job.alternatives
                            else 1)
    glossary = read_glossary(job.glossary) if job.glossary else None
    if job.from_.strip().lower() not in ("auto", ""):
        languages.resolve(job.from_, option="source language")  # usage errors before reading
    if job.format == "auto":  # by extension, before reading (a .docx is no text to read)
        for name in job.files:
            refuse_pending(None, name, name)
    sources, failed = read_sources(job, allow_empty=True)
    tasks = prepare(sources, tgts, note, fmt=job.format, from_=job.from_,
                    catalog=CatalogOptions(job.overwrite, job.fuzzy))
    outputs.note_json_into_documents(job, note, codes)
    if job.dry_run:
        _print_prompts(tasks, tgts, job)
        problems = ""
    else:
        tally = _translate_all(job, tasks, tgts, settings, note, glossary)
        problems = _summary(tally, job.quiet) if tally.problems else ""
        failed += tally.failed_outputs
    if failed:
        if problems:
            note(problems)
        done = len(sources) * len(tgts) - (0 if job.dry_run else len(tally.failed_outputs))
        what = "input was translated" if len(tgts) == 1 else "translation was written"
        others = "" if job.dry_run or not done else f" (the other {what})" if done == 1 \
            else f" (the other {done} {what.replace(' was', 's were', 1)})"
        raise LlamaxError("; ".join(failed) + others)
    if problems:
        raise DoneWithProblems(problems)


def _summary(tally: _Tally, quiet: bool) -> str:
    n = tally.flagged
    kinds = ", ".join(f"{count} {status}" for status, count in tally.problems.most_common())
    where = "run without -q for the notes, or --json" if quiet else "see the notes above, or --json"
    return (f"done, but {n} of {tally.units} unit{'s' if tally.units != 1 else ''} "
            f"need{'s' if n == 1 else ''} a look ({kinds}): {where}")


def _translate_all(job: TranslateJob, tasks: list[Task], tgts: list[Language], settings: dict,
                   note, glossary=None) -> _Tally:
    translator, tally = None, _Tally()
    # Before the model loads; nothing is kept open.
    outputs.check_destinations(job, [tgt.code for tgt in tgts])
    to_stdout = not (job.output or job.out_dir or job.in_place)
    try:
        # The reader of stdout leaving (`| head -1`) ends the job at once, not at the next unit.
        with stop_when_reader_leaves(enabled=to_stdout):
            # An input counts once per target it is translated into: one engine does them all.
            todo = [task for tgt in tgts for task in tasks if task.needs_engine(tgt)]
            if todo:
                translator = _remote(job, settings, note) or _local(job, settings, todo, note)
            ahead = _lookahead(job, tasks, tgts, translator, settings, glossary)
            try:
                for i, task in enumerate(tasks):
                    _task_to_its_outputs(task, tgts, translator, settings, job, note, tally,
                                         glossary, ahead.take(i) if ahead else None)
            finally:
                if ahead:
                    ahead.close()
    finally:
        if translator is not None:
            translator.close()
    return tally


def _options(job: TranslateJob, settings: dict, glossary, live: bool) -> pipeline.Options:
    return pipeline.Options(job.max_tokens, Sampling(job.temperature, job.seed), live,
                            settings["beams"], job.alternatives,
                            config.value("check_language") is not False, glossary)


def _lookahead(job: TranslateJob, tasks: list[Task], tgts: list[Language], translator,
               settings: dict, glossary) -> Optional[targets.Lookahead]:
    """Several inputs through the local engine: the next inputs' translations start while one
    is written, so that their units share the batch (cli/targets.py). Not on a terminal,
    where the first target's text streams as it is made (its translation runs in this
    thread), nor through a server, whose queue is the server's to fill."""
    if len(tasks) < 2 or not isinstance(translator, Translator) or (
            not (job.output or job.out_dir or job.in_place or job.as_json)
            and sys.stdout.isatty()):
        return None
    options = _options(job, settings, glossary, live=False)

    def start(i: int) -> list[targets.Stream]:
        lanes = [_Lane(tgt, None, options, len(tgts) > 1) for tgt in tgts]
        return [targets.Stream(functools.partial(_pieces, tasks[i], lane, translator))
                for lane in lanes]

    return targets.Lookahead(len(tasks), lambda i: len(tasks[i].doc.units) * len(tgts), start)


def _local(job: TranslateJob, settings: dict, todo: list[Task], note) -> Translator:
    """A Translator on this machine, with the translation memory (the `memory` setting:
    --memory PATH, --no-memory): the model loads on the first unit the memory lacks, so a
    job the memory answers whole loads nothing."""
    def opener():
        return open_engine(job.model, settings, yes=job.yes, ask=download_question(),
                           note=note, units=sum(len(t.doc.units) for t in todo),
                           verbose=job.verbose, work=expected_tokens(todo, job.max_tokens))

    memory = open_memory(config.value("memory", job.memory), note)
    return Translator(opener=opener, memory=memory,
                      identity=model_identity(job.model, settings) if memory else None)


@dataclass
class _Lane:
    """One input's translation into one target, and where it goes."""

    tgt: Language
    sink: Optional[AtomicOutput]  # None: stdout
    options: pipeline.Options
    several: bool  # one of several targets: a header before its block, `to` in its records


def _task_to_its_outputs(task: Task, tgts: list[Language], translator, settings: dict,
                         job: TranslateJob, note, tally: _Tally, glossary,
                         started: Optional[list[targets.Stream]] = None) -> None:
    """Translate one input into each target's output file (or stdout), all targets at once so
    that their units share the engine's batch (or take the translations Lookahead `started`,
    one per target); each output is open only meanwhile, written whole in the order of the
    targets and committed as soon as it is done. An output that cannot be written is named at
    the end, and the others are still written."""
    lanes: list[_Lane] = []
    kept: list[targets.Stream] = []
    try:
        for k, tgt in enumerate(tgts):
            try:
                sink = outputs.open_output(job, task.source, tgt.code, len(tgts) > 1)
            except OutputError as exc:
                tally.failed_outputs.append(str(exc))
                if started:
                    started[k].close()
                continue
            # On a terminal only the first block streams live: the others wait their turn.
            live = sink is None and not job.as_json and not lanes and sys.stdout.isatty()
            lanes.append(_Lane(tgt, sink, _options(job, settings, glossary, live),
                               len(tgts) > 1))
            if started:
                kept.append(started[k])
        makers = [functools.partial(_pieces, task, lane, translator) for lane in lanes]
        with (contextlib.nullcontext(kept) if started else targets.side_by_side(makers)) \
                as streams:
            for lane, pieces in zip(lanes, streams):
                try:
                    _run_task(task, lane, pieces, job, note, tally)
                    if lane.sink:
                        lane.sink.commit()
                except OutputError as exc:
                    tally.failed_outputs.append(str(exc))
                    getattr(pieces, "close", lambda: None)()  # this target's work is lost
    finally:
        for stream in kept:  # ended, or to stop now (an error, Ctrl-C)
            stream.close()
        for lane in lanes:
            if lane.sink:
                lane.sink.abort()  # a no-op once committed


def _pieces(task: Task, lane: _Lane, translator, cancel) -> targets.Pieces:
    """What the translation of `task` into the lane's target yields (service/pipeline.py)."""
    src = task.src or lane.tgt  # nothing to translate: a pass-through
    if translator is None:
        return pipeline.translate_document(task.doc, src, lane.tgt, None)
    return translator.translate_document(task.doc, src, lane.tgt, lane.options, task.per_unit,
                                         cancel=cancel)


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


def _run_task(task: Task, lane: _Lane, pieces: targets.Pieces, job: TranslateJob, note,
              tally: _Tally) -> None:
    tgt = lane.tgt
    out: TextIO = lane.sink or (sys.stdout if job.as_json else stdout_for(task.source))
    units = len(task.doc.units)
    show = not job.quiet and units > 1 and (lane.sink is not None or not sys.stdout.isatty())
    if lane.several and lane.sink is None and not job.as_json and not job.quiet:
        targets.announce(tgt.code, task.source.label if len(job.files) > 1 else None)
    if job.as_json and not task.doc.units:  # still one record: a reader of the JSON sees the input
        out.write(records.no_text(task, lane.tgt, lane.several) + "\n")
        return
    on_screen = out is sys.stdout  # a terminal's line is followed for warnings (cli/streams.py)
    label = task.source.label
    tag = f"[{tgt.code}] " if lane.several else ""  # which target a note is about
    with UnitProgress(f"{label} ({tgt.code})" if lane.several else label, units,
                      enabled=show) as progress:
        for piece in pieces:
            if isinstance(piece, pipeline.UnitResult):
                progress.advance(piece.tokens)
                statuses = [piece.status, *getattr(piece, "also", ())]  # every one that applies
                tally.add(statuses)
                if piece.status not in ("ok", "same-language"):
                    note(f"{label}:{piece.line}: {tag}{', '.join(statuses)}: {piece.note}")
                if job.as_json:
                    out.write(records.unit(task, lane.tgt, lane.several, piece) + "\n")
                    out.flush()
            elif isinstance(piece, pipeline.Retract):
                erase_on_terminal(out, piece.text)
            elif not job.as_json:
                out.write(for_screen(piece) if on_screen else piece)
                out.flush()


def _print_prompts(tasks: list[Task], tgts: list[Language], job: TranslateJob) -> None:
    """Plain: each prompt followed by a blank line (prompts never contain one); with several
    targets, each input's prompts for one target after the other, a header before each."""
    write = sys.stdout.write
    for task in tasks:
        for tgt in tgts:
            if not task.needs_engine(tgt):
                continue
            if len(tgts) > 1 and not job.as_json and not job.quiet:
                targets.announce(tgt.code, task.source.label if len(job.files) > 1 else None)
            for unit, text in zip(task.doc.units,
                                  pipeline.prompts(task.doc, task.src, tgt, task.per_unit)):
                if text is None:  # this unit is already in the target language
                    continue
                if job.as_json:
                    record = {"file": task.source.label, "index": unit.index,
                              "line": unit.line, "prompt": text}
                    if len(tgts) > 1:
                        record["to"] = tgt.code
                    write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    write(text + "\n\n")
    sys.stdout.flush()
