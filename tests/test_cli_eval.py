"""cli/eval.py: `llamax eval --hyp/--ref` on tiny files, its report as text and as one JSON
object, and how its files pair up (tests/test_service_evaluate.py checks the scores against
sacrebleu's own, tables, spBLEU and translating --src first). Offline: spBLEU is skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llamax_cli.cli.eval import eval_command
from llamax_cli.core.errors import UsageError

LINES = "The dog barks.\nIt rains today.\nThe museum opens at nine.\n"
OTHER = "A cat sleeps.\nIt snows tomorrow.\nThe shop closes at six.\n"


@pytest.fixture
def files(tmp_path) -> Path:
    (tmp_path / "hyp.txt").write_text(LINES)
    (tmp_path / "ref.txt").write_text(LINES)
    (tmp_path / "other.txt").write_text(OTHER)
    return tmp_path


def test_identical_files_score_100_in_one_json_object(llamax, files):
    proc = llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--json",
                  env={"SACREBLEU": str(files / "empty-sacrebleu")})
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.decode().splitlines()) == 1
    report = json.loads(proc.stdout)
    assert report["pair"] == "hyp" and report["sentences"] == 3
    assert (report["chrf"], report["chrf++"], report["bleu"], report["spbleu"]) == (
        100.0, 100.0, 100.0, None)
    assert set(report["signatures"]) == {"chrf", "chrf++", "bleu"}
    assert proc.stderr.decode().startswith("llamax: spBLEU skipped: ")


def test_the_text_report_has_a_line_per_pair_and_the_mean(llamax, files):
    proc = llamax("eval", "--hyp", "hyp.txt", "--ref", "ref.txt", "--hyp", "other.txt",
                  "--ref", "ref.txt", "-q", env={"SACREBLEU": str(files / "empty-sacrebleu")})
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr  # -q: no spBLEU note
    hyp, other, mean = proc.stdout.decode().splitlines()
    assert hyp == ("hyp               3 sentences  chrf 100.00  chrf++ 100.00  bleu 100.00  "
                   "spbleu -")
    assert other.startswith("other             3 sentences  chrf ")
    assert float(other.split()[4]) < 50  # nothing in common but "It" and "The"
    assert mean.startswith("mean              6 sentences  chrf ")
    assert float(mean.split()[4]) == pytest.approx((100 + float(other.split()[4])) / 2, abs=0.01)


def run_eval(table=None, hyp=(), ref=(), src=(), from_=None, to=None):
    """eval_command called as typer would, with every option at its default."""
    return eval_command(table=table, hyp=list(hyp), ref=list(ref), src=list(src), from_=from_,
                        to=to, model=None, beams=None, spm=None, as_json=False, yes=False,
                        quiet=True)


@pytest.mark.parametrize("args, message", [
    (dict(table=Path("pairs.tsv"), hyp=[Path("hyp.txt")]),
     "give a TABLE or --hyp/--src with --ref, not both"),
    (dict(hyp=[Path("hyp.txt")]), "give --hyp FILE --ref FILE, or --src FILE --ref FILE"),
    (dict(hyp=[Path("hyp.txt")], src=[Path("other.txt")], ref=[Path("ref.txt")]),
     "give --hyp FILE --ref FILE, or --src FILE --ref FILE"),
    (dict(ref=[Path("ref.txt")]), "give --hyp FILE --ref FILE"),
    (dict(hyp=[Path("hyp.txt"), Path("other.txt")], ref=[Path("ref.txt")]),
     "2 --hyp but 1 --ref: give them in pairs"),
    (dict(src=[Path("hyp.txt")], ref=[Path("ref.txt"), Path("ref.txt")]),
     "1 --src but 2 --ref: give them in pairs"),
])
def test_files_that_do_not_pair_up_are_usage_errors(files, monkeypatch, args, message):
    monkeypatch.chdir(files)
    with pytest.raises(UsageError) as caught:
        run_eval(**args)
    assert str(caught.value).startswith(message)

