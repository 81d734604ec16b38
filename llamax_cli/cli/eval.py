"""`llamax eval`: score translations with sacrebleu (service/evaluate.py does the work)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer


def eval_command(
    table: Optional[Path] = typer.Argument(
        None, metavar="TABLE", help="A TSV (with a header) or JSONL file with 'source' or "
                                      "'hypothesis', 'reference', and optionally 'from'/'to'."),
    hyp: List[Path] = typer.Option([], "--hyp", help="Hypotheses, one a line (repeatable)."),
    ref: List[Path] = typer.Option([], "--ref", help="References, one a line (repeatable, "
                                                     "paired with --hyp or --src)."),
    src: List[Path] = typer.Option([], "--src", help="Sources to translate first (repeatable)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Source language, with --src."),
    to: Optional[str] = typer.Option(None, "--to", help="Target language, with --src."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model for --src."),
    beams: Optional[int] = typer.Option(None, "--beams", help="Beam search width for --src "
                                                              "(1: greedy) [default: 1]."),
    spm: Optional[Path] = typer.Option(None, "--spm", help="The flores200 SentencePiece model "
                                                           "for spBLEU (offline)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Download the model if missing."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Nothing on stderr but errors."),
) -> None:
    """Score translations: chrF, chrF++, BLEU and spBLEU, from sacrebleu itself.

    \b
    Examples:
      llamax eval --hyp out.de.txt --ref ref.de.txt
      llamax eval --src en.txt --ref de.txt --from en --to de
      llamax eval --src en.txt --ref de.txt --from en --to de --beams 4
      llamax eval pairs.tsv --json      # several language pairs, scored each and as a mean
    """
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.service import evaluate
    from llamax_cli.cli.streams import warn
    from llamax_cli.core.errors import UsageError

    note = (lambda m: None) if quiet else warn
    pairs = _pairs(table, hyp, ref, src, from_, to)
    for pair in pairs:
        evaluate.check(pair)
    spm_home = evaluate.spm_model(spm, note)
    if any(pair.hypotheses is None for pair in pairs):
        _translate(pairs, model, beams, yes, note)
    results = [evaluate.score(pair, spm_home) for pair in pairs]
    report = results[0] if len(results) == 1 else evaluate.mean(results)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    for result in results + ([report] if len(results) > 1 else []):
        name = result.get("pair", "mean")
        scores = "  ".join(f"{m} {result[m]:.2f}" if result[m] is not None else f"{m} -"
                           for m in evaluate.METRICS)
        typer.echo(f"{name:12} {result['sentences']:6} sentences  {scores}")
    if not results:
        raise UsageError("nothing to score")


def _pairs(table, hyp, ref, src, from_, to):
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.service import evaluate
    from llamax_cli.core.errors import UsageError

    if table is not None:
        if hyp or ref or src:
            raise UsageError("give a TABLE or --hyp/--src with --ref, not both")
        return evaluate.read_table(table, from_, to)
    if not ref or (bool(hyp) == bool(src)):
        raise UsageError("give --hyp FILE --ref FILE, or --src FILE --ref FILE --from X --to Y "
                         "(or a TABLE)")
    given = hyp or src
    if len(given) != len(ref):
        raise UsageError(f"{len(given)} --{'hyp' if hyp else 'src'} but {len(ref)} --ref: "
                         f"give them in pairs")
    pairs = []
    for path, ref_path in zip(given, ref):
        lines = evaluate.read_lines(path, "--hyp" if hyp else "--src")
        pair = evaluate.Pair(path.stem, evaluate.read_lines(ref_path, "--ref"), src=from_, tgt=to)
        if hyp:
            pair.hypotheses = lines
        else:
            pair.sources = lines
            pair.name = f"{from_}-{to}" if len(given) == 1 else path.stem
        pairs.append(pair)
    return pairs


def _translate(pairs, model, beams, yes, note) -> None:
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.core import config
    from llamax_cli.service import evaluate
    from llamax_cli.service import pipeline
    from llamax_cli.cli.streams import download_question
    from llamax_cli.models.factory import open_engine
    from llamax_cli.service.translator import Translator

    settings = config.engine_settings(beams=beams)
    todo = [pair for pair in pairs if pair.hypotheses is None]
    translator = Translator(open_engine(model, settings, yes=yes, ask=download_question(),
                                        note=note,
                                        units=sum(len(p.sources) for p in todo)))
    try:
        for pair in todo:
            translate_options = pipeline.Options(
                beams=settings["beams"] or 1,
                check_language=config.value("check_language") is not False)
            evaluate.translate_pair(pair, translator, translate_options)
            note(f"{pair.name}: translated {len(pair.sources)} sentences in "
                 f"{pair.seconds['translation']:.1f} s")
    finally:
        translator.close()
