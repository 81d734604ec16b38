"""Where `llamax translate` writes each input's translation, checked before any work.

- An output that is an input itself (`-o note.txt` or `--out-dir .` on `note.txt`, or
  `-o note.txt < note.txt`) is refused, as `cp a a` refuses: the source would be gone.
  `--in-place` asks for it explicitly, and keeps each original as FILE.orig (refused when
  that backup already exists: an earlier original would be lost).
- Every destination is checked up front (an unwritable folder fails before the model
  loads), but an output file is open only while its own translation is written: a batch of
  any size fits within the file-descriptor limit, and an output that fails loses only
  itself.
- Several targets (`--to fr,de`) each have their own file: `-o` is a pattern, whose `{lang}`
  is the target's code (and `{stem}`, `{ext}`, `{name}` the input's: `-o 'docs/{stem}.{lang}
  {ext}'` takes several inputs), and `--out-dir DIR` writes `DIR/{stem}.{lang}{ext}`, as Hugo,
  MkDocs and Jellyfin name translations. One target keeps `DIR/<its name>`.
"""

from __future__ import annotations

import os
import stat
import string
from pathlib import Path
from typing import Callable, Optional, Sequence

from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import STDIN, AtomicOutput, Source
from llamax_cli.formats import registry

BACKUP_SUFFIX = ".orig"  # --in-place keeps note.txt as note.txt.orig
# Extensions a JSON Lines output is expected to have (--json -o out.jsonl).
_JSON_NAMES = (".json", ".jsonl", ".ndjson", ".log", "")
# The fields of -o's pattern: the target's code, and the input file's name and its parts.
FIELDS = ("lang", "stem", "ext", "name")
_OF_THE_INPUT = {"stem", "ext", "name"}


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


def pattern_fields(pattern: str) -> set[str]:
    """The fields `-o PATTERN` names (FIELDS); anything else in braces is a usage error."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:  # "a}" or "{a": a lone brace
        raise UsageError(f"-o {pattern}: a lone brace; write {{{{ or }}}} for a brace in a "
                         f"file name") from None
    fields = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise UsageError(f"-o {pattern}: unknown field {{{shown}}}; it may name {{lang}} "
                             f"(the target language), {{stem}}, {{ext}} and {{name}} (the "
                             f"input file's), or {{{{ }}}} for a brace")
        fields.add(name)
    return fields


def names_each_input(pattern: Path) -> bool:
    """Whether `-o PATTERN` gives each input file a name of its own ({stem} or {name})."""
    return bool(pattern_fields(str(pattern)) & {"stem", "name"})


def destination(job, name: str, lang: Optional[str], several: bool) -> Optional[Path]:
    """Where the translation of input `name` into `lang` goes (None: stdout); `several`:
    whether the job has several targets."""
    if job.in_place:
        return Path(name)
    if job.out_dir:
        fmt = registry.by_extension(name)
        if fmt is not None and fmt.layout and lang:  # the ecosystem's own (po: fr/LC_...)
            return job.out_dir / fmt.path_for(Path(name).stem, lang)
        if several:
            return job.out_dir / f"{Path(name).stem}.{lang}{Path(name).suffix}"
        return job.out_dir / Path(name).name
    if job.output:
        path = Path(name)
        fmt = registry.by_extension(name)
        code = fmt.code_for(lang) if fmt is not None and lang else lang  # gettext: pt_BR
        return Path(str(job.output).format(lang=code, stem=path.stem, ext=path.suffix,
                                           name=path.name))
    return None


def _destinations(job, langs: Optional[Sequence[str]] = None) -> list[tuple[str, Path]]:
    """(input name, output path) for each input and target (`langs`, their codes; None: one
    target) that goes to a file."""
    langs = list(langs or [None])
    names = job.files or [STDIN] if job.text is None else ["--text"]
    if not (job.in_place or job.out_dir or job.output):
        return []
    return [(name, destination(job, name, lang, len(langs) > 1))
            for name in names for lang in langs]


def check_usage(job, langs: Optional[Sequence[str]] = None) -> None:
    """Usage errors about outputs (exit 2): --in-place's conditions, -o's pattern, two outputs
    of one name, and an output that would replace its own input. `langs`: the targets' codes
    (None: one target)."""
    several = len(langs or [None]) > 1
    if job.in_place and several:
        raise UsageError("--in-place writes one translation over each file: give one --to, "
                         "or write each target to its own file with --out-dir DIR or "
                         "-o 'name.{lang}.txt'")
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
    if job.output:
        _check_pattern(job, several)
    seen: set[Path] = set()
    for name, output in _destinations(job, langs):
        if output in seen:
            raise UsageError(f"-o {job.output} would write {output} twice: give each input a "
                             f"name of its own with {{stem}} or {{name}}")
        seen.add(output)
        if _same_file(name, output) and name == STDIN:
            raise UsageError(f"{output} is the file stdin reads: writing it would replace the "
                             f"original; write elsewhere, or name the file and use --in-place")
        if _same_file(name, output):
            raise UsageError(f"{output} is the input {name} itself: writing it would replace "
                             f"the original; use --in-place to do that on purpose "
                             f"(it keeps {name}{BACKUP_SUFFIX})")


def _check_pattern(job, several: bool) -> None:
    fields = pattern_fields(str(job.output))
    if several and "lang" not in fields:
        raise UsageError("-o needs {lang} with several targets, e.g. -o 'out.{lang}.txt' "
                         "(or --out-dir DIR)")
    if fields & _OF_THE_INPUT and (job.text is not None or not job.files or STDIN in job.files):
        raise UsageError(f"-o {job.output}: {{stem}}, {{ext}} and {{name}} are an input file's; "
                         f"stdin and --text have no name")


def check_destinations(job, langs: Optional[Sequence[str]] = None) -> None:
    """Fail before any work (exit 1) when a destination cannot be written; keeps nothing
    open."""
    if job.out_dir:
        try:
            job.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LlamaxError(f"cannot create {job.out_dir}: {exc.strerror}") from None
    per_language = job.output is not None and "lang" in pattern_fields(str(job.output))
    for _, output in _destinations(job, langs):
        if per_language or job.out_dir:  # locale/{lang}/LC_MESSAGES/: one folder a language
            try:
                output.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LlamaxError(f"cannot create {output.parent}: {exc.strerror}") from None
        AtomicOutput.check(output)


def open_output(job, source: Source, lang: Optional[str] = None,
                several: bool = False) -> Optional[AtomicOutput]:
    """The file the translation of `source` into `lang` goes to, opened now; None: stdout.
    `several`: whether the job has several targets."""
    path = destination(job, source.name, lang, several)
    if path is None:
        return None
    return AtomicOutput(path, source.encoding, source.bom,
                        backup=source.name + BACKUP_SUFFIX if job.in_place else None)


def note_json_into_documents(job, note: Callable[[str], None],
                             langs: Optional[Sequence[str]] = None) -> None:
    """--json writes JSON Lines wherever the output goes; say so once when a file's name
    promises a document (`-o page.html`), so the surprise is not found later."""
    if not job.as_json or job.dry_run:
        return
    named = [output for _, output in _destinations(job, langs)
             if output.suffix.lower() not in _JSON_NAMES]
    if named:
        more = f" (and {len(named) - 1} more)" if len(named) > 1 else ""
        note(f"--json: {named[0]}{more} will hold JSON Lines records, not the translated "
             f"document; leave out --json for the document")
