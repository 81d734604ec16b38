"""formats/srt.py: each cue's text is a unit wrapped back to its number of lines; indices,
timings and blank lines stay byte for byte."""

from pathlib import Path

import pytest

from llamax_cli.formats.srt import FORMAT, segment_srt, starts_like_srt

DATA = Path(__file__).parent / "data"


def test_srt_translates_cue_text_only_and_keeps_the_count():
    text = (DATA / "sample.srt").read_text(encoding="utf-8")
    doc = segment_srt(text)
    assert [u.source for u in doc.units] == [
        "Hello, and welcome to the show.", "<i>Where are we going?</i>", "We are going home. It is late."]
    assert [u.wrap for u in doc.units] == [2, 1, 2]
    rendered = doc.render(f"T{u.index}" for u in doc.units)
    assert rendered.count("-->") == 3
    assert "1\n00:00:01,000 --> 00:00:03,500\nT0\n\n2\n" in rendered


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_round_trip_byte_for_byte_and_the_cue_newline_is_the_files(newline):
    text = (DATA / "sample.srt").read_text(encoding="utf-8").replace("\n", newline)
    doc = segment_srt(text)
    assert doc.render(u.raw for u in doc.units) == text
    assert {u.newline for u in doc.units} == {newline}


def test_a_malformed_timing_is_kept_with_a_warning_and_its_text_translated():
    doc = segment_srt("1\n00:00:01 -> 00:00:02\nHello there.\n")
    assert [u.source for u in doc.units] == ["Hello there."]
    assert doc.warnings and doc.warnings[0][0] == 2 and "malformed" in doc.warnings[0][1]
    assert doc.render(["X"]) == "1\n00:00:01 -> 00:00:02\nX\n"


def test_prose_without_cues_is_translated_as_text_and_says_so():
    doc = segment_srt("Not a subtitle at all.\nJust prose.\n")
    assert doc.format == "text" and len(doc.units) == 2
    assert "no subtitle cues found" in doc.warnings[-1][1]


@pytest.mark.parametrize("text, expected", [
    ("1\n00:00:01,000 --> 00:00:02,000\nHi\n", True),
    ("\n1\n00:00:01.000 --> 00:00:02.000\nHi\n", True),
    ("1\nnot a timing\n", False), ("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", False),
])
def test_the_srt_signature(text, expected):
    assert starts_like_srt(text) is expected


def test_srt_declares_its_extension_and_signature():
    assert FORMAT.name == "srt" and FORMAT.parse is segment_srt
    assert FORMAT.extensions == (".srt",) and FORMAT.uploads == (".srt",)
    assert FORMAT.signature is starts_like_srt and FORMAT.signs is None
