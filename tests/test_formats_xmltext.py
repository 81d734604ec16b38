"""XML elements found again in their text (formats/xmltext.py): exact spans, attributes set
in place, new elements laid out like their neighbours, and inline markup to the model and
back."""

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import placeholders
from llamax_cli.formats.xmltext import (Inline, apply_edits, escape, line_break_before, scan,
                                        set_attributes)

TEXT = ('\ufeff<?xml version="1.0"?>\r\n<!-- a <fake> tag -->\r\n<r a=\'x > y\'>\r\n'
        '  <s>One <b  id="1"\r\n  >two</b> &amp; <x/><![CDATA[<i>]]></s>\r\n  <t/>\r\n</r>')


def test_every_element_is_found_at_its_exact_place():
    root = scan(TEXT)
    assert root.qname == "r" and root.get("a") == "x > y"
    s, t = root.children
    assert TEXT[s.start:s.end].startswith("<s>One") and TEXT[s.start:s.end].endswith("</s>")
    b, x = s.children
    assert TEXT[b.start:b.open_end] == '<b  id="1"\r\n  >'
    assert TEXT[b.open_end:b.close_start] == "two"
    assert TEXT[x.start:x.end] == "<x/>" and x.close_start == x.end
    assert TEXT[t.start:t.end] == "<t/>" and s.child("b") is b and b.parent is s
    assert root.end == len(TEXT)


@pytest.mark.parametrize("bad", ["", "<r>", "<r></s>", "<r>&undefined;</r>", "<r a='1' a='2'/>"])
def test_text_that_is_not_well_formed_is_refused_in_one_line(bad):
    with pytest.raises(LlamaxError, match="^not a valid XML file: ") as caught:
        scan(bad)
    assert "\n" not in str(caught.value) and "<string>" not in str(caught.value)


def test_inline_markup_is_shown_on_one_line_and_written_back_exactly():
    root = scan(TEXT)
    inline = Inline.of(TEXT, root.children[0], opaque=lambda node: False)
    # entities resolved, CDATA opened, the tag's line break made a space (what the model sees)
    assert inline.source == 'One <b id="1" >two</b> & <x/><i>'
    assert placeholders.find(inline.source) == ('<b id="1" >', "</b>", "<x/>", "<i>")
    back = inline.content('Un <b id="1" >deux</b> & <x/><i>')
    # the tags as they were written (line break included); the text escaped, <i> too: it was text
    assert back == 'Un <b  id="1"\r\n  >deux</b> &amp; <x/>&lt;i&gt;'


def test_an_opaque_element_is_one_empty_tag_written_back_whole():
    text = '<s>Press <bpt id="1">&lt;b&gt;</bpt>here<ept id="1">&lt;/b&gt;</ept>.</s>'
    inline = Inline.of(text, scan(text), opaque=lambda node: node.local in ("bpt", "ept"))
    assert inline.source == 'Press <bpt id="1"/>here<ept id="1"/>.'
    assert inline.content('<bpt id="1"/>Ici<ept id="1"/> appuyez.') == (
        '<bpt id="1">&lt;b&gt;</bpt>Ici<ept id="1">&lt;/b&gt;</ept> appuyez.')


def test_a_tag_the_model_repeats_beyond_the_source_is_escaped_as_text():
    text = "<s>a <x/> b</s>"
    inline = Inline.of(text, scan(text), opaque=lambda node: False)
    assert inline.content("<x/> <x/>") == "<x/> &lt;x/&gt;"


def test_leading_and_trailing_whitespace_of_the_source_is_kept():
    text = "<s>\n  Hello\n</s>"
    inline = Inline.of(text, scan(text), opaque=lambda node: False)
    assert inline.source == "Hello" and inline.content("Bonjour") == "\n  Bonjour\n"


def test_attributes_are_replaced_in_place_or_added_at_the_end():
    assert set_attributes("<t a='1' state='new'/>", {"state": "x\"'"}) == (
        "<t a='1' state='x&quot;&apos;'/>")
    assert set_attributes('<file a="1"\n>', {"b": "2"}) == '<file a="1" b="2"\n>'
    assert set_attributes("<t/>", {"s": "<&>"}) == '<t s="&lt;&amp;&gt;"/>'
    # an attribute's name inside another's value is not the attribute
    assert set_attributes('<t note=" state=1">', {"state": "2"}) == '<t note=" state=1" state="2">'


def test_a_new_element_gets_its_neighbours_line_break_and_indentation():
    text = "<a>\r\n    <s/>\r\n</a>"
    assert line_break_before(text, text.index("<s")) == "\r\n    "
    assert line_break_before("<a><s/></a>", 3) == ""  # not alone on its line: no layout


def test_escape_drops_what_xml_forbids():
    assert escape('a\x00b\x1b<c> & "d"') == 'ab&lt;c&gt; &amp; "d"'
    assert escape('"', attribute=True) == "&quot;"
    assert apply_edits("0123456789", 2, 8, [(5, 6, "X"), (3, 3, "+")]) == "2+34X67"
