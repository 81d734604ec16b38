"""formats/vtt.py: WebVTT subtitles. Each cue's text is a unit, wrapped back to its number
of lines; the header, cue identifiers, timings and cue settings, NOTE, STYLE and REGION
blocks stay byte for byte, with CRLF, LF or CR line endings; cue tags, timestamps and
character references are protected. The blocks are cut as the spec's parser cuts them
(https://www.w3.org/TR/webvtt1/#file-parsing)."""

import re
from pathlib import Path

import pytest
from conftest import assert_finished

from llamax_cli.formats import pending, registry
from llamax_cli.formats.vtt import FORMAT, segment_vtt, starts_like_vtt
from llamax_cli.service.wrapping import shape_like

DATA = Path(__file__).parent / "data"
REAL = "elephantsdream-descriptions.en.vtt"  # a real file: see tests/data/SOURCES.md

SAMPLE = """WEBVTT - Made for the tests
Kind: captions
Language: en

STYLE
::cue(.yellow) { color: yellow; }
::cue(v[voice="Esme"]) { font-style: italic; }

REGION
id:fred
width:40%
lines:3
regionanchor:0%,100%
viewportanchor:10%,90%
scroll:up

NOTE This file was written by hand,
with a comment over two lines.

intro
00:00:01.000 --> 00:00:04.000 align:start position:10% region:fred
<v Esme>Good morning,</v> <c.yellow>everyone</c>.
Welcome to the show.

00:04.500 --> 00:06.000 line:0 size:50%
<i>Where</i> <00:00:05.000>are &amp; <b>we</b> going?

NOTE another comment

3
00:00:07.000 --> 00:00:08.000	vertical:rl
<c.music>♪ ♪</c>

4
00:00:09.000 --> 00:00:10.000
We are going home.
It is late.
"""
LITERAL_BLOCKS = SAMPLE.split("\n\n")[:4] + ["NOTE another comment"]
TIMINGS = re.compile(r"^.*-->.*$", re.M)


def upper_outside_markup(source: str) -> str:
    """A fake translation that keeps every tag and reference, as a good model would."""
    return re.sub(r"(<[^>]*>|&\w+;)|([^<&]+)", lambda m: m.group(1) or m.group(2).upper(), source)


def translate(doc) -> str:
    return doc.render(shape_like(unit, upper_outside_markup(unit.source)) for unit in doc.units)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("text", [SAMPLE, (DATA / REAL).read_text(encoding="utf-8"),
                                  "\ufeff" + SAMPLE, SAMPLE.rstrip("\n"), "WEBVTT", "WEBVTT\n"])
def test_untranslated_units_give_the_file_back_byte_for_byte(text, newline):
    text = text.replace("\n", newline)
    doc = segment_vtt(text)
    assert doc.render(unit.raw for unit in doc.units) == text
    assert doc.format == "vtt" and doc.warnings == []


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_only_cue_text_changes_when_translated(newline):
    text = SAMPLE.replace("\n", newline)
    doc = segment_vtt(text)
    assert [unit.source for unit in doc.units] == [
        "<v Esme>Good morning,</v> <c.yellow>everyone</c>. Welcome to the show.",
        "<i>Where</i> <00:00:05.000>are &amp; <b>we</b> going?",
        "We are going home. It is late."]
    out = translate(doc)
    for block in LITERAL_BLOCKS:  # header, STYLE, REGION, NOTE: byte for byte
        assert block.replace("\n", newline) + newline * 2 in out, block
    assert TIMINGS.findall(out) == TIMINGS.findall(text)  # cue settings included
    assert f"{newline}intro{newline}00:00:01.000" in out and f"{newline}3{newline}" in out
    assert f"<c.music>♪ ♪</c>{newline}" in out  # no words: literal
    # Only cue text lines change, and each cue keeps its number of lines (rebalanced at
    # spaces, as SRT's are).
    source_lines, out_lines = text.split(newline), out.split(newline)
    assert len(out_lines) == len(source_lines)
    changed = [k for k, (a, b) in enumerate(zip(source_lines, out_lines)) if a != b]
    assert changed == [21, 22, 25, 35, 36]
    assert [out_lines[k] for k in changed] == [
        "<v Esme>GOOD MORNING,</v>", "<c.yellow>EVERYONE</c>. WELCOME TO THE SHOW.",
        "<i>WHERE</i> <00:00:05.000>ARE &amp; <b>WE</b> GOING?", "WE ARE GOING",
        "HOME. IT IS LATE."]


def test_a_real_file_keeps_its_header_and_cue_count():
    text = (DATA / REAL).read_text(encoding="utf-8")
    doc = segment_vtt(text)
    assert len(doc.units) == len(TIMINGS.findall(text)) == 12
    assert [unit.wrap for unit in doc.units if unit.wrap > 1] == [3, 2, 2]
    out = translate(doc)
    assert out.startswith("WEBVTT\nLicense: CC BY 4.0 https://creativecommons.org/licenses/by/4.0/"
                          "\nAuthor: Silvia Pfeiffer\n\n1\n00:00:00.000 --> 00:00:05.000\n"
                          "THE ORANGE OPEN MOVIE PROJECT PRESENTS\n\n2\n")
    assert TIMINGS.findall(out) == TIMINGS.findall(text)
    assert ("\n56\n00:09:28.500 --> 00:09:35.000\nORANGE OPEN MOVIE TEAM\n"
            "DIRECTOR: BASSUM KURDALI ART\nDIRECTOR: ANDREAS GORALCZYK\n\n57\n") in out


def test_cue_tags_timestamps_and_references_are_protected_spans():
    [greeting, question, _] = segment_vtt(SAMPLE).units
    assert set(greeting.protected) == {"<v Esme>", "</v>", "<c.yellow>", "</c>"}
    assert set(question.protected) == {"<i>", "</i>", "<b>", "</b>", "<00:00:05.000>", "&amp;"}
    assert len(question.protected) == len(set(question.protected))  # each once
    assert greeting.markup is None  # checked as spans, as SRT's <i> are


def test_a_multi_line_cue_is_one_unit_wrapped_like_srt():
    doc = segment_vtt("WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nOne two\r\nthree four\r\n")
    [unit] = doc.units
    assert (unit.wrap, unit.newline, unit.line) == (2, "\r\n", 4)
    assert shape_like(unit, "un deux trois quatre") == "un deux\r\ntrois quatre"


@pytest.mark.parametrize("payload", [
    "sprite.jpg#xywh=0,0,160,90", "https://cdn.example.com/thumbs/12.png?v=2#xywh=160,0,160,90",
    '{"title": "Chapter one", "image": "a.png"}', "<c.music>♪</c>", "<v Roger>♪ ♪</v>",
    "&nbsp;<00:00:01.000>",
])
def test_cue_text_without_language_is_literal(payload):
    text = f"WEBVTT\n\n00:01.000 --> 00:02.000\n{payload}\n"
    doc = segment_vtt(text)
    assert doc.units == [] and doc.render([]) == text


def test_text_in_brackets_is_still_translated():
    doc = segment_vtt("WEBVTT\n\n00:01.000 --> 00:02.000\n[ Heroic music playing ]\n")
    assert [unit.source for unit in doc.units] == ["[ Heroic music playing ]"]


# -- blocks as the spec's parser cuts them --------------------------------------------------

def sources(text: str) -> list[str]:
    return [unit.source for unit in segment_vtt(text).units]


def test_an_arrow_after_the_second_line_starts_the_next_cue():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nFirst cue\n00:03.000 --> 00:04.000\nSecond cue\n"
    assert sources(text) == ["First cue", "Second cue"]


def test_an_arrow_ends_a_note_and_the_header():
    assert sources("WEBVTT\nNOTE\nsome note\n00:01.000 --> 00:02.000\nHello\n") == ["Hello"]
    assert sources("WEBVTT\n\nNOTE a note\nstill the note\n00:01.000 --> 00:02.000\nHi\n") \
        == ["Hi"]


def test_a_block_whose_second_line_is_a_timing_is_a_cue_whatever_its_first_line():
    # The parser takes "NOTE" for the cue's identifier here: players show the cue.
    assert sources("WEBVTT\n\nNOTE\n00:01.000 --> 00:02.000\nShown text\n") == ["Shown text"]
    assert sources("WEBVTT\n\nSTYLE is a fine id\n00:01.000 --> 00:02.000\nMe too\n") \
        == ["Me too"]


def test_blocks_without_timing_stay_whatever_they_hold():
    text = "WEBVTT\n\nJust some words\nthat no player shows\n\nNOTE\nA comment\n"
    doc = segment_vtt(text)
    assert doc.units == [] and doc.render([]) == text


def test_a_cue_without_text_and_hours_of_more_than_two_digits():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\n\n100:00:01.000 --> 100:00:02.000\nLate cue\n"
    doc = segment_vtt(text)
    assert [unit.source for unit in doc.units] == ["Late cue"] and doc.warnings == []
    assert doc.render(["X"]) == text.replace("Late cue", "X")


def test_a_malformed_timing_is_kept_with_a_warning_and_its_text_translated():
    doc = segment_vtt("WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\nHello there\n")
    assert [unit.source for unit in doc.units] == ["Hello there"]
    assert doc.warnings == [(4, "malformed cue timing '00:00:01,000 --> 00:00:02,000'; "
                                "kept as it is")]


def test_without_the_signature():
    doc = segment_vtt("00:01.000 --> 00:02.000\nHello\n")
    assert [unit.source for unit in doc.units] == ["Hello"]
    assert "no WEBVTT line" in doc.warnings[0][1]
    prose = segment_vtt("Just prose, named .vtt.\nTwo lines.\n")
    assert prose.format == "text" and len(prose.units) == 2
    assert "translating it as plain text" in prose.warnings[0][1]


@pytest.mark.parametrize("text, expected", [
    ("WEBVTT", True), ("WEBVTT\n", True), ("WEBVTT\r\n\r\n", True), ("WEBVTT - Title\n", True),
    ("WEBVTT\tTitle", True), ("\ufeffWEBVTT\n", True), ("WEBVTTX\n", False),
    (" WEBVTT\n", False), ("webvtt\n", False), ("1\n00:00:01,000 --> 00:00:02,000\n", False),
])
def test_the_signature(text, expected):
    assert starts_like_vtt(text) is expected


def test_vtt_is_one_module_in_the_registry_and_no_longer_pending():
    assert FORMAT.name == "vtt" and FORMAT.parse is segment_vtt
    assert FORMAT.extensions == FORMAT.uploads == (".vtt",)
    assert FORMAT.signature is starts_like_vtt and FORMAT in registry.FORMATS
    assert registry.detect("WEBVTT\n\n00:01.000 --> 00:02.000\n# Not a heading\n") == "vtt"
    assert registry.detect("anything", "subs.vtt") == "vtt"
    assert pending.pending_format(SAMPLE, "subs.vtt") is None
    assert pending.pending_format(SAMPLE, None) is None


# -- through the real CLI -----------------------------------------------------------------------

def test_the_cli_translates_a_webvtt_file_and_keeps_its_frame(llamax, tmp_path):
    (tmp_path / "talk.vtt").write_text(SAMPLE, encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr", "--max-tokens", "24", "-q",
                  "--deterministic", "talk.vtt", "-o", "talk.fr.vtt")
    assert_finished(proc)
    out = (tmp_path / "talk.fr.vtt").read_text(encoding="utf-8")
    for block in LITERAL_BLOCKS:
        assert block + "\n\n" in out, block
    assert TIMINGS.findall(out) == TIMINGS.findall(SAMPLE)  # as many cues, settings and all
    assert "\n\nintro\n00:00:01.000" in out and "\n\n3\n00:00:07.000" in out


def test_the_cli_recognises_webvtt_on_stdin(llamax):
    proc = llamax("translate", "--from", "en", "--to", "fr", "--dry-run", "-", input=SAMPLE)
    assert proc.returncode == 0, proc.stderr.decode()
    prompts = proc.stdout.decode()
    assert "We are going home. It is late." in prompts and "Good morning," in prompts
    for literal in ("WEBVTT", "::cue", "regionanchor", "This file was written", "-->"):
        assert literal not in prompts, literal
