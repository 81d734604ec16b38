"""cli/sources.py in-process: read_sources (files, stdin, --text, the errors of each) and
prepare (each input segmented, its source language chosen, a note for each one passed through),
as cli/translate_job.py and cli/detect.py call them. No model: nothing here translates. The
same behaviour through the real CLI is tests/test_cli_translate.py's and test_cli_faults.py's."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass, field
from typing import Optional

import pytest

from llamax_cli.cli.sources import Task, prepare, read_sources
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.languages import resolve
from llamax_cli.core.textio import Source
from llamax_cli.formats.segment import segment

EN, FR = resolve("en"), resolve("fr")
ASS = '[Script Info]\nTitle: Demo\n\n[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Save the file.\n'


@dataclass
class Named:
    """What names the inputs (sources.Inputs), as `detect` and TranslateJob have it."""

    files: list[str] = field(default_factory=list)
    text: Optional[str] = None


class Stdin:
    def __init__(self, data: bytes = b"", tty: bool = False):
        self.buffer = io.BytesIO(data)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture(autouse=True)
def no_settings(tmp_path, monkeypatch):
    """No `from` setting of this machine's user (prepare reads it when detecting)."""
    for name in [n for n in os.environ if n.startswith("LLAMAX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


def stdin(monkeypatch, data: bytes = b"", tty: bool = False) -> None:
    monkeypatch.setattr(sys, "stdin", Stdin(data, tty))


# -- read_sources -----------------------------------------------------------------------------

def test_text_is_the_one_input_and_ends_in_a_newline(monkeypatch):
    stdin(monkeypatch, tty=True)  # not read: --text is the input
    sources, failed = read_sources(Named(text="Good morning"))
    assert sources == [Source("--text", "Good morning\n")] and failed == []
    assert sources[0].label == "--text"


def test_empty_text_is_an_error_even_where_empty_files_pass():
    with pytest.raises(LlamaxError, match="^--text is empty$"):
        read_sources(Named(text=" \n"), allow_empty=True)


def test_files_are_read_in_the_order_named(tmp_path):
    (tmp_path / "b.txt").write_text("Second.\n")
    (tmp_path / "a.txt").write_text("First.\n")
    sources, failed = read_sources(Named(["b.txt", "a.txt"]))
    assert [(s.name, s.text) for s in sources] == [("b.txt", "Second.\n"), ("a.txt", "First.\n")]
    assert failed == []


@pytest.mark.parametrize("files", [[], ["-"]])
def test_no_files_or_a_dash_read_stdin(monkeypatch, files):
    stdin(monkeypatch, "Bonjour à tous\n".encode())
    sources, failed = read_sources(Named(files))
    assert sources == [Source("-", "Bonjour à tous\n")] and failed == []
    assert sources[0].label == "stdin"


@pytest.mark.parametrize("files", [[], ["-"]])
def test_stdin_on_a_terminal_is_a_usage_error_not_a_wait(monkeypatch, files):
    stdin(monkeypatch, b"never read", tty=True)
    with pytest.raises(UsageError, match="no input: pass FILES, --text TEXT, or pipe text in"):
        read_sources(Named(files))


def test_stdin_among_files_is_read_in_its_place_even_from_a_terminal(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("File.\n")
    stdin(monkeypatch, b"Piped.\n", tty=True)  # named among files: the user asked for it
    sources, _ = read_sources(Named(["a.txt", "-"]))
    assert [(s.label, s.text) for s in sources] == [("a.txt", "File.\n"), ("stdin", "Piped.\n")]


def test_a_file_on_its_own_that_cannot_be_read_is_the_error(tmp_path):
    with pytest.raises(LlamaxError, match="^missing.txt: no such file$"):
        read_sources(Named(["missing.txt"]))


def test_a_bad_file_among_others_is_named_and_the_others_are_read(tmp_path):
    (tmp_path / "good.txt").write_text("Fine.\n")
    (tmp_path / "latin1.txt").write_bytes("déjà vu\n".encode("latin-1"))
    (tmp_path / "dir").mkdir()
    sources, failed = read_sources(Named(["missing.txt", "good.txt", "latin1.txt", "dir"]))
    assert [s.name for s in sources] == ["good.txt"]
    assert len(failed) == 3
    assert failed[0] == "missing.txt: no such file"
    assert failed[1].startswith("latin1.txt is not UTF-8 text (byte 0xe9 at offset 1)")
    assert failed[2] == "dir is a directory, not a file"


def test_when_no_file_can_be_read_the_error_names_each(tmp_path):
    with pytest.raises(LlamaxError) as caught:
        read_sources(Named(["a.txt", "b.txt"]))
    assert str(caught.value) == "a.txt: no such file; b.txt: no such file"


def test_an_empty_file_is_an_error_unless_empty_inputs_are_allowed(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(LlamaxError, match="^empty.txt is empty$"):
        read_sources(Named(["empty.txt"]))
    sources, failed = read_sources(Named(["empty.txt"]), allow_empty=True)
    assert sources == [Source("empty.txt", "")] and failed == []


@pytest.mark.parametrize("data, encoding, bom", [
    ("Grüße\n".encode("utf-8"), "utf-8", False),
    (b"\xef\xbb\xbf" + "Grüße\n".encode("utf-8"), "utf-8", True),
    (b"\xff\xfe" + "Grüße\n".encode("utf-16-le"), "utf-16-le", True),
    (b"\xfe\xff" + "Grüße\n".encode("utf-16-be"), "utf-16-be", True),
])
def test_a_files_encoding_and_mark_are_kept_for_its_output(tmp_path, data, encoding, bom):
    (tmp_path / "in.txt").write_bytes(data)
    [source], _ = read_sources(Named(["in.txt"]))
    assert (source.text, source.encoding, source.bom) == ("Grüße\n", encoding, bom)


def test_stdin_in_utf16_is_read_by_its_mark(monkeypatch):
    stdin(monkeypatch, b"\xff\xfe" + "Hallo\n".encode("utf-16-le"))
    [source], _ = read_sources(Named())
    assert (source.name, source.text, source.encoding, source.bom) == (
        "-", "Hallo\n", "utf-16-le", True)


# -- prepare ----------------------------------------------------------------------------------

def prepared(*sources: Source, tgt=FR, fmt="auto", from_="en"):
    notes: list[str] = []
    tasks = prepare(list(sources), tgt, notes.append, fmt=fmt, from_=from_)
    return tasks, notes


def test_a_file_is_segmented_by_its_name_with_the_source_named():
    [task], notes = prepared(Source("doc.md", "# Opening hours\n\nThe museum opens at nine.\n"))
    assert [unit.source for unit in task.doc.units] == ["Opening hours",
                                                        "The museum opens at nine."]
    assert task.src == EN and task.detection is None and task.per_unit is None
    assert task.sink is None and task.needs_engine(FR)
    assert notes == []


def test_text_is_plain_text_where_stdin_is_sniffed():
    markdown = "# Opening hours\n\nThe museum opens at nine.\n"
    [from_text], _ = prepared(Source("--text", markdown))
    [from_stdin], _ = prepared(Source("-", markdown))
    assert from_text.doc.units[0].source == "# Opening hours"
    assert from_stdin.doc.units[0].source == "Opening hours"
    [forced], _ = prepared(Source("--text", markdown), fmt="markdown")  # --format still rules
    assert forced.doc.units[0].source == "Opening hours"


@pytest.mark.parametrize("name, label", [("subs.ass", "subs.ass"), ("catalog", "catalog"),
                                         ("-", "stdin")])
def test_a_format_not_supported_yet_is_refused_by_name_or_content(name, label):
    with pytest.raises(UsageError, match=f"^{label}: ASS/SSA subtitles .*not supported yet"):
        prepared(Source(name, ASS))


def test_such_a_format_is_plain_text_with_format_text_or_as_text():
    [as_file], _ = prepared(Source("subs.ass", ASS), fmt="text")
    [as_text], _ = prepared(Source("--text", ASS))  # typed in: the user's text, as it is
    assert any("Save the file" in unit.source for unit in as_file.doc.units)
    assert [unit.source for unit in as_text.doc.units] == \
        [unit.source for unit in as_file.doc.units]


def test_the_documents_warnings_are_noted_at_their_line():
    [task], notes = prepared(Source("subs.srt", "Good morning, my friend.\n"))
    assert [unit.source for unit in task.doc.units] == ["Good morning, my friend."]
    assert notes == ["subs.srt:1: no subtitle cues found (an index line, then a timing line); "
                     "translating it as plain text"]


@pytest.mark.parametrize("text, said", [
    ("", "a.txt is empty: nothing to translate; passed through unchanged"),
    (" \n\t\n", "a.txt is empty but for whitespace: nothing to translate; passed through "
                "unchanged"),
    ("🙂 42 %\n", "a.txt: nothing to translate (no words outside code, numbers and symbols); "
                 "passed through unchanged"),
])
@pytest.mark.parametrize("from_", ["en", "auto"])
def test_an_input_with_nothing_to_translate_passes_through_with_one_note(text, said, from_):
    [task], notes = prepared(Source("a.txt", text), from_=from_)
    assert notes == [said]
    assert not task.needs_engine(FR) and not task.doc.units


def test_an_input_already_in_the_target_language_passes_through():
    [task], notes = prepared(Source("a.txt", "Bonjour à tous.\n"), from_="French")
    assert task.src == FR and not task.needs_engine(FR)
    assert notes == ["a.txt is already in French: passing it through unchanged"]


def test_auto_detects_each_input_and_says_so():
    english = "The weather is lovely today and we are going for a long walk.\n"
    french = "Il fait très beau aujourd'hui et nous allons faire une longue promenade.\n"
    tasks, notes = prepared(Source("en.txt", english), Source("fr.txt", french), from_="auto")
    assert [task.src for task in tasks] == [EN, FR]
    assert all(task.detection is not None and task.detection.language == task.src
               for task in tasks)
    assert notes[0].startswith("en.txt: detected English (en), confidence ")
    assert notes[1].startswith("fr.txt: detected French (fr)")
    assert notes[2] == "fr.txt is already in French: passing it through unchanged"
    assert [task.needs_engine(FR) for task in tasks] == [True, False]


def test_an_unknown_source_language_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown source language 'xx'"):
        prepared(Source("a.txt", "Hello there.\n"), from_="xx")


# -- Task.needs_engine ------------------------------------------------------------------------

def task(text: str, src, per_unit=None) -> Task:
    return Task(Source("a.txt", text), segment(text, "text"), src, per_unit=per_unit)


@pytest.mark.parametrize("src, per_unit, needed", [
    (EN, None, True),
    (FR, None, False),
    (None, None, False),  # nothing in it needs translating
    (FR, [FR, EN], True),  # mixed: one unit is not in the target language
    (EN, [FR, FR], False),  # every unit is, whatever the document's main language
])
def test_the_engine_is_needed_when_some_unit_is_not_in_the_target_language(src, per_unit,
                                                                           needed):
    assert task("Hello there.\nBonjour.\n", src, per_unit).needs_engine(FR) is needed


def test_no_units_need_no_engine_even_with_a_source():
    assert not task("🙂\n", EN).needs_engine(FR)
