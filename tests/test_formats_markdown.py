"""formats/markdown.py: headings, paragraphs, list items, quotes and table cells are units;
front matter, code, HTML blocks, rules and link definitions stay byte for byte."""

from pathlib import Path

import pytest

from llamax_cli.formats.markdown import FORMAT, has_markdown_signs, segment_markdown

DATA = Path(__file__).parent / "data"


def test_markdown_keeps_code_front_matter_and_markup_out_of_units():
    text = (DATA / "sample.md").read_text(encoding="utf-8")
    doc = segment_markdown(text)
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
    units = segment_markdown(text).units
    spans = {span for unit in units for span in unit.protected}
    assert {"`pip install llamax-cli`", '](https://example.com/install "Install")',
            "<https://example.com/faq>", "{name}", "%d", "%(count)s", "<b>", "</b>"} <= spans


@pytest.mark.parametrize("name", ["sample.md", "rust-book-publishing.md"])
def test_real_documents_round_trip_byte_for_byte(name):
    text = (DATA / name).read_text(encoding="utf-8")
    for newline in ("\n", "\r\n"):
        doc = segment_markdown(text.replace("\n", newline))
        assert doc.render(unit.raw for unit in doc.units) == text.replace("\n", newline)


def test_units_record_their_inline_markup_and_a_wrapped_paragraph_its_width():
    doc = segment_markdown("Read [the docs](https://x.org) and\nthen `run` it, please.\n")
    [unit] = doc.units
    assert unit.markup == ("[", "](https://x.org)", "`run`")
    assert unit.wrap == 1 and unit.width == len("Read [the docs](https://x.org) and") and unit.indent == ""


def test_setext_heading_keeps_its_underline_and_atx_its_closing_hashes():
    doc = segment_markdown("Title here\n==========\n\n## Part two ##\n")
    assert [u.source for u in doc.units] == ["Title here", "Part two"]
    assert doc.render(["T", "P"]) == "T\n==========\n\n## P ##\n"


@pytest.mark.parametrize("text, expected", [
    ("# Title", True), ("```\ncode\n```", True), ("| a | b |", True), ("See [x](http://y)", True),
    ("Just a line.\nAnother.", False), ("#hashtag is not a heading", False),
])
def test_signs_of_markdown(text, expected):
    assert has_markdown_signs(text) is expected


def test_markdown_declares_signs_not_a_signature():
    # Signs are found anywhere (a subtitle may hold a link): auto-detection asks them last.
    assert FORMAT.name == "markdown" and FORMAT.parse is segment_markdown
    assert FORMAT.signature is None and FORMAT.signs is has_markdown_signs
    assert ".md" in FORMAT.extensions and FORMAT.uploads == (".md",)
