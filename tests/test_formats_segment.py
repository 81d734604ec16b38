"""formats/segment.py: the entry point the layers above use (segment, detect_format and the
names they import), over formats/registry.py."""

import subprocess
import sys
from pathlib import Path

import pytest

from llamax_cli.formats.segment import detect_format, segment

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["sample.md", "sample.srt", "rust-book-publishing.html",
                                  "elephantsdream-descriptions.en.vtt"])
def test_real_looking_documents_round_trip_byte_for_byte(name):
    text = (DATA / name).read_text(encoding="utf-8")
    doc = segment(text, "auto", name)
    assert doc.render(unit.raw for unit in doc.units) == text


@pytest.mark.parametrize("text, fmt", [
    ("# Title\n\nText", "markdown"), ("See [x](http://y)", "markdown"), ("```\ncode\n```", "markdown"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHi\n", "srt"), ("Just a line.\nAnother.", "text"),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", "vtt"),
])
def test_format_is_sniffed_from_content(text, fmt):
    assert detect_format(text) == fmt


def test_format_follows_the_extension():
    assert detect_format("plain", "notes.md") == "markdown"
    assert detect_format("# not a heading", "notes.txt") == "text"
    assert detect_format("x", "movie.srt") == "srt"
    assert detect_format("x", "movie.VTT") == "vtt"


# -- html ------------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><title>My page</title><style>p { color: red; }</style></head>
<body>
<h1>Welcome to <b>llamax</b></h1>
<p>Read <a href="https://example.com/docs?x=1&amp;y=2">the docs</a> &amp; enjoy.
It is wrapped.</p>
<pre>code stays</pre>
<!-- a comment -->
<ul><li>One item</li><li>Two <code>items</code></li></ul>
<script>var x = "not text";</script>
<img src="a.png" alt="An image">
<p>Broken <b>markup
"""


def test_html_units_are_block_texts_and_the_markup_stays():
    doc = segment(HTML, "auto", "page.html")
    assert doc.format == "html"
    assert doc.render(u.raw for u in doc.units) == HTML
    assert [u.source for u in doc.units] == [
        "My page", "Welcome to <b>llamax</b>",
        'Read <a href="https://example.com/docs?x=1&amp;y=2">the docs</a> &amp; enjoy. '
        "It is wrapped.", "One item", "Two <code>items</code>", "Broken <b>markup"]
    link = doc.units[2]
    assert '<a href="https://example.com/docs?x=1&amp;y=2">' in link.protected
    assert "&amp;" in link.protected and "</a>" in link.protected
    rendered = doc.render(f"[{u.index}]" for u in doc.units)
    for literal in ("<style>p { color: red; }</style>", "<pre>code stays</pre>",
                    "<!-- a comment -->", '<script>var x = "not text";</script>',
                    '<img src="a.png" alt="An image">'):
        assert literal in rendered


def test_html_is_recognised_by_its_content():
    assert detect_format("<!doctype html>\n<p>Hi</p>") == "html"
    assert detect_format("<html><body>Hi</body></html>") == "html"


def test_the_names_the_layers_above_import_stay_importable():
    # service/, server/ and cli/ import these from formats.segment: they must not move away.
    import llamax_cli.formats.segment as facade

    for name in ("Document", "Unit", "segment", "segment_text", "detect_format",
                 "split_sentences"):
        assert hasattr(facade, name), name


def test_a_format_given_by_name_is_parsed_as_that_format():
    doc = segment("# Not a heading\n", "text", "notes.md")
    assert doc.format == "text" and doc.units[0].source == "# Not a heading"
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        segment("Hello", "docx")


def test_importing_segment_loads_no_markdown_parser():
    # markdown-it is imported when a Markdown document is parsed, not before: `llamax --help`
    # and the server's start stay fast.
    code = ("import sys, llamax_cli.formats.segment; "
            "print('markdown_it' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
