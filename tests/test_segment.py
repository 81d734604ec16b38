import pytest

from llamax_cli.formats.segment import segment_text

CASES = [
    "one line",
    "trailing newline\n",
    "a\n\nb\n\n\n",
    "  indented\r\n\ttabbed  \r\n",
    "\n\nleading blank lines\n",
    "mixed 中文。\nसंस्कृत।\nعربي؟\n",
    "line\u2028separator\x0cform feed\n",
]


@pytest.mark.parametrize("text", CASES)
def test_identity_translation_reproduces_the_input_byte_for_byte(text):
    doc = segment_text(text)
    assert doc.render(unit.source for unit in doc.units) == text


def test_each_non_empty_line_is_one_unit_and_blank_lines_stay():
    doc = segment_text("first\n\n  second  \n")
    assert [u.source for u in doc.units] == ["first", "second"]
    assert [u.line for u in doc.units] == [1, 3]
    assert doc.render(["1", "2"]) == "1\n\n  2  \n"


# -- formats ------------------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from llamax_cli.formats.segment import detect_format, segment, split_sentences  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["sample.md", "sample.srt"])
def test_real_looking_documents_round_trip_byte_for_byte(name):
    text = (DATA / name).read_text(encoding="utf-8")
    doc = segment(text, "auto", name)
    assert doc.render(unit.raw for unit in doc.units) == text


def test_markdown_keeps_code_front_matter_and_markup_out_of_units():
    text = (DATA / "sample.md").read_text(encoding="utf-8")
    doc = segment(text, "markdown")
    sources = [u.source for u in doc.units]
    joined = "\n".join(sources)
    for literal in ("title:", "llamax translate --to fr", "comments in code", "indented code",
                    "<div align", "[ref]:", "|---", "***"):
        assert literal not in joined, literal
    assert "Getting started with `llamax`" in sources  # heading text, `#` kept outside
    assert "Option" in sources and "The target language" in sources  # table cells
    assert "`--to`" not in sources  # a cell of nothing but code stays as it is
    # A paragraph wrapped over two lines (inside a list item) is one unit.
    assert "Run `pip install llamax-cli` in a terminal. It takes a few minutes the first time." in sources
    rendered = doc.render("X" for _ in doc.units)
    assert "```bash\nllamax translate --to fr README.md -o README.fr.md\n" in rendered
    assert rendered.startswith('---\ntitle: "Getting started"')
    assert "\n# X\n" in rendered and "| X | X |" in rendered and "\n1. X\n" in rendered


def test_markdown_protected_spans_are_recorded():
    text = (DATA / "sample.md").read_text(encoding="utf-8")
    units = segment(text, "markdown").units
    spans = {span for unit in units for span in unit.protected}
    assert {"`pip install llamax-cli`", '](https://example.com/install "Install")',
            "<https://example.com/faq>", "{name}", "%d", "%(count)s", "<b>", "</b>"} <= spans


def test_srt_translates_cue_text_only_and_keeps_the_count():
    text = (DATA / "sample.srt").read_text(encoding="utf-8")
    doc = segment(text, "srt")
    assert [u.source for u in doc.units] == [
        "Hello, and welcome to the show.", "<i>Where are we going?</i>", "We are going home. It is late."]
    assert [u.wrap for u in doc.units] == [2, 1, 2]
    rendered = doc.render(f"T{u.index}" for u in doc.units)
    assert rendered.count("-->") == 3
    assert "1\n00:00:01,000 --> 00:00:03,500\nT0\n\n2\n" in rendered


@pytest.mark.parametrize("text, fmt", [
    ("# Title\n\nText", "markdown"), ("See [x](http://y)", "markdown"), ("```\ncode\n```", "markdown"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHi\n", "srt"), ("Just a line.\nAnother.", "text"),
])
def test_format_is_sniffed_from_content(text, fmt):
    assert detect_format(text) == fmt


def test_format_follows_the_extension():
    assert detect_format("plain", "notes.md") == "markdown"
    assert detect_format("# not a heading", "notes.txt") == "text"
    assert detect_format("x", "movie.srt") == "srt"


@pytest.mark.parametrize("text, expected", [
    ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
    ("पहला वाक्य। दूसरा वाक्य।", ["पहला वाक्य।", "दूसरा वाक्य।"]),
    ("جملة أولى؟ جملة ثانية.", ["جملة أولى؟", "جملة ثانية."]),
    ("He paid 3.50 dollars. Then left.", ["He paid 3.50 dollars.", "Then left."]),
])
def test_sentences_split_across_scripts(text, expected):
    pieces = split_sentences(text)
    assert [p for p, is_sentence in pieces if is_sentence] == expected
    assert "".join(p for p, _ in pieces) == text


def test_long_lines_become_sentence_units_with_the_spacing_kept():
    line = "This is a sentence that goes on for a while. " * 10
    doc = segment(line.strip() + "\n", "text")
    assert len(doc.units) == 10
    assert doc.render(u.raw for u in doc.units) == line.strip() + "\n"


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
