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


# -- several targets: -o's pattern and --out-dir's names ----------------------------------------

@pytest.mark.parametrize("pattern, fields", [
    ("out.txt", set()), ("out.{lang}.txt", {"lang"}), ("{stem}.{lang}{ext}", {"stem", "lang",
                                                                              "ext"}),
    ("po/{lang}/{name}", {"lang", "name"}), ("{{literal}}.{lang}", {"lang"}),
])
def test_pattern_fields(pattern, fields):
    assert outputs.pattern_fields(pattern) == fields


@pytest.mark.parametrize("pattern, message", [
    ("out.{language}.txt", "-o out.{language}.txt: unknown field {language}; it may name "
                           "{lang} (the target language), {stem}, {ext} and {name}"),
    ("out.{}.txt", "unknown field {}"),
    ("out.{lang!r}.txt", "unknown field {lang!r}"),
    ("out.{lang:>4}.txt", "unknown field {lang:>4}"),
    ("out.{lang.upper}.txt", "unknown field {lang.upper}"),
    ("out}.txt", "-o out}.txt: a lone brace; write {{ or }} for a brace in a file name"),
    ("out.{lang", "a lone brace"),
])
def test_an_unknown_field_or_a_lone_brace_is_a_usage_error(pattern, message):
    with pytest.raises(UsageError) as caught:
        outputs.pattern_fields(pattern)
    assert str(caught.value).startswith(f"-o {pattern}: ") and message in str(caught.value)


def test_destinations_of_several_targets():
    several = job(files=["docs/guide.md"], out_dir=Path("site"))
    assert outputs.destination(several, "docs/guide.md", "zh-Hant", True) == \
        Path("site/guide.zh-Hant.md")
    assert outputs.destination(several, "docs/guide.md", "fr", False) == Path("site/guide.md")
    assert outputs.destination(job(out_dir=Path("o")), "README", "de", True) == Path("o/README.de")
    pattern = job(files=["docs/guide.md"], output=Path("out/{lang}/{stem}{ext}.{{x}}"))
    assert outputs.destination(pattern, "docs/guide.md", "sw", True) == Path("out/sw/guide.md.{x}")
    assert outputs.destination(job(output=Path("{name}.{lang}")), "a.txt", "fr", False) == \
        Path("a.txt.fr")
    assert outputs.destination(job(output=Path("plain.txt")), "a.txt", "fr", True) == \
        Path("plain.txt")  # (a pattern without {lang} is check_usage's business)
    assert outputs.destination(job(), "a.txt", "fr", True) is None  # stdout


@pytest.mark.parametrize("fields, langs, message", [
    (dict(files=["a.txt"], output=Path("out.txt")), ["fr", "de"],
     "-o needs {lang} with several targets, e.g. -o 'out.{lang}.txt'"),
    (dict(files=["a.txt"], in_place=True), ["fr", "de"],
     "--in-place writes one translation over each file: give one --to"),
    (dict(text="Hi", output=Path("{stem}.{lang}")), ["fr"],
     "-o {stem}.{lang}: {stem}, {ext} and {name} are an input file's; stdin and --text have "
     "no name"),
    (dict(files=["-"], output=Path("x{ext}")), ["fr"], "-o x{ext}: {stem}, {ext} and {name}"),
    (dict(files=["a.txt", "b/a.txt"], output=Path("{stem}.{lang}")), ["fr"],
     "-o {stem}.{lang} would write a.fr twice: give each input a name of its own with {stem} "
     "or {name}"),
    (dict(files=["a.txt"], output=Path("{stem}.txt")), ["fr", "de"], "-o needs {lang}"),
    (dict(files=["a.txt"], output=Path("{name}")), ["fr"], "a.txt is the input a.txt itself"),
])
def test_usage_errors_of_several_targets(inputs, fields, langs, message):
    with pytest.raises(UsageError) as caught:
        outputs.check_usage(job(**fields), langs)
    assert str(caught.value).startswith(message)


def test_several_targets_outputs_are_checked_and_opened_each(inputs):
    several = job(files=["a.txt", "b.txt"], output=Path("out/{stem}.{lang}.txt"))
    outputs.check_usage(several, ["fr", "de"])
    Path("out").mkdir()
    outputs.check_destinations(several, ["fr", "de"])
    assert list(Path("out").iterdir()) == []  # checked, nothing left behind
    notes = []
    outputs.note_json_into_documents(job(files=["a.txt"], out_dir=Path("o"), as_json=True),
                                     notes.append, ["fr", "de"])
    assert notes[0].startswith("--json: o/a.fr.txt (and 1 more) will hold JSON Lines")
    source = Source("a.txt", "Hello.\n")
    for lang in ("fr", "de"):
        out = outputs.open_output(several, source, lang, True)
        out.write(f"{lang}\n")
        out.commit()
    assert sorted(os.listdir("out")) == ["a.de.txt", "a.fr.txt"]
    assert Path("out/a.de.txt").read_text() == "de\n"
    outputs.check_usage(job(files=["a.txt"], output=Path("one.txt")), ["fr"])  # one target
