"""cli/outputs.py: where each translation goes, checked before any work. A job here is the
few fields outputs.py reads (a SimpleNamespace), in a folder of the test's own;
tests/test_bad_input.py runs --in-place and an output onto its own input through the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from llamax_cli.cli import outputs
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import Source


def job(**fields) -> SimpleNamespace:
    base = dict(in_place=False, output=None, out_dir=None, files=[], text=None, as_json=False,
                dry_run=False)
    return SimpleNamespace(**{**base, **fields})


@pytest.fixture
def inputs(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("a.txt", "b.txt"):
        Path(name).write_text("Hello.\n")
    return tmp_path


@pytest.mark.parametrize("fields, message", [
    (dict(in_place=True, files=["a.txt"], output=Path("o.txt")), "leave out -o and --out-dir"),
    (dict(in_place=True, files=["a.txt"], out_dir=Path("out")), "leave out -o and --out-dir"),
    (dict(in_place=True, files=["a.txt"], text="Hi"), "--in-place needs named files"),
    (dict(in_place=True, files=[]), "--in-place needs named files"),
    (dict(in_place=True, files=["a.txt", "-"]), "--in-place needs named files"),
    (dict(in_place=True, files=["a.txt"], as_json=True), "--in-place with --json would replace"),
])
def test_in_place_conditions_are_usage_errors(inputs, fields, message):
    with pytest.raises(UsageError, match=message):
        outputs.check_usage(job(**fields))


def test_in_place_refuses_to_lose_an_earlier_backup(inputs):
    outputs.check_usage(job(in_place=True, files=["a.txt", "b.txt"]))  # fine so far
    Path("b.txt.orig").write_text("the first original")
    with pytest.raises(UsageError, match="b.txt.orig already exists: --in-place would lose "
                                         "that backup"):
        outputs.check_usage(job(in_place=True, files=["a.txt", "b.txt"]))


def test_an_output_that_is_its_own_input_is_refused(inputs):
    with pytest.raises(UsageError) as caught:
        outputs.check_usage(job(files=["a.txt"], output=Path("a.txt")))
    assert str(caught.value) == ("a.txt is the input a.txt itself: writing it would replace the "
                                 "original; use --in-place to do that on purpose (it keeps "
                                 "a.txt.orig)")
    os.link("b.txt", "hard-link.txt")  # the same file by another name
    with pytest.raises(UsageError, match="is the input b.txt itself"):
        outputs.check_usage(job(files=["b.txt"], output=Path("hard-link.txt")))
    Path("out").mkdir()
    Path("out/a.txt").write_text("Hi\n")
    with pytest.raises(UsageError, match="out/a.txt is the input out/a.txt itself"):
        outputs.check_usage(job(files=["out/a.txt"], out_dir=Path("out")))


def test_other_outputs_pass(inputs):
    outputs.check_usage(job(files=["a.txt"], output=Path("new.txt")))
    outputs.check_usage(job(files=["a.txt", "b.txt"], out_dir=Path("translated")))
    outputs.check_usage(job(text="Hello", output=Path("a.txt")))  # --text has no file
    outputs.check_usage(job(files=["a.txt"]))  # stdout


def test_destinations_are_checked_before_any_work_and_nothing_stays_open(inputs):
    outputs.check_destinations(job(files=["a.txt"], out_dir=Path("deep/er")))
    assert Path("deep/er").is_dir() and list(Path("deep/er").iterdir()) == []
    outputs.check_destinations(job(files=["a.txt"], output=Path("new.txt")))
    assert not Path("new.txt").exists() and sorted(os.listdir()) == ["a.txt", "b.txt", "deep"]
    with pytest.raises(LlamaxError, match="^cannot write missing/new.txt: .*missing does not "
                                          "exist$"):
        outputs.check_destinations(job(files=["a.txt"], output=Path("missing/new.txt")))
    with pytest.raises(LlamaxError, match="cannot create a.txt/sub"):
        outputs.check_destinations(job(files=["a.txt"], out_dir=Path("a.txt/sub")))


def test_open_output_goes_to_the_right_file(inputs):
    source = Source("a.txt", "Hello.\n", "utf-16-le", True)
    assert outputs.open_output(job(files=["a.txt"]), source) is None  # stdout
    out = outputs.open_output(job(files=["a.txt"], out_dir=Path(".")), source)
    assert out is not None  # (a clash is check_usage's business, not open_output's)
    out.abort()
    out = outputs.open_output(job(files=["a.txt"], output=Path("new.txt")), source)
    out.write("Bonjour.\n")
    out.commit()
    assert Path("new.txt").read_bytes() == "\ufeffBonjour.\n".encode("utf-16-le")  # as it came
    out = outputs.open_output(job(in_place=True, files=["a.txt"]), source)
    out.write("Bonjour.\n")
    out.commit()
    assert Path("a.txt.orig").read_text() == "Hello.\n"
    assert Path("a.txt").read_bytes() == "\ufeffBonjour.\n".encode("utf-16-le")


def test_json_into_a_document_name_is_noted_once(inputs):
    notes = []
    outputs.note_json_into_documents(job(files=["a.txt"], output=Path("page.html"),
                                         as_json=True), notes.append)
    assert notes == ["--json: page.html will hold JSON Lines records, not the translated "
                     "document; leave out --json for the document"]
    notes.clear()
    outputs.note_json_into_documents(job(files=["a.txt", "b.txt"], out_dir=Path("out"),
                                         as_json=True), notes.append)
    assert notes == ["--json: out/a.txt (and 1 more) will hold JSON Lines records, not the "
                     "translated document; leave out --json for the document"]


@pytest.mark.parametrize("fields", [
    dict(output=Path("out.jsonl"), as_json=True), dict(output=Path("OUT.JSON"), as_json=True),
    dict(output=Path("records"), as_json=True), dict(output=Path("page.html")),
    dict(output=Path("page.html"), as_json=True, dry_run=True), dict(as_json=True),
])
def test_no_note_where_json_is_expected_or_not_written(inputs, fields):
    notes = []
    outputs.note_json_into_documents(job(files=["a.txt"], **fields), notes.append)
    assert notes == []
