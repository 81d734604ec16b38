"""formats/android_values.py: Android's reading of a string value (its escapes, quotes and
whitespace), and translations written so that Android reads them back as they were."""

import pytest
from lxml import etree

from llamax_cli.formats.android_values import Kept, Value, android_text, pieces_of, unshown


def read_back(inner: str) -> str:
    """What Android shows for `<string>inner</string>`: lxml for the XML, then Android's
    own syntax."""
    element = etree.fromstring(f"<string>{inner}</string>".encode("utf-8"))
    return android_text("".join(element.itertext()))


# The examples of Android's documentation ("Handle special characters", string resources)
@pytest.mark.parametrize("inner, shown", [
    ('"This\'ll work"', "This'll work"),
    ("This\\'ll also work", "This'll also work"),
    ('He said \\"hi\\"', 'He said "hi"'),
    ("\n    Hello,\n    world   \n", "Hello, world"),
    ('"  two  spaces  "', "  two  spaces  "),
    ("Line one\\nLine two\\tTab", "Line one\nLine two\tTab"),
    ("Loading\\u2026 \\@home \\?attr", "Loading… @home ?attr"),
    ("A &amp; B &lt;b&gt; &#8230;&#x20AC;", "A & B <b> …€"),
    ("<![CDATA[Can\\'t <b>stop</b>]]>", "Can't <b>stop</b>"),
    ("no&#160;break", "no\u00a0break"),  # a no-break space is not collapsed
])
def test_values_read_as_android_reads_them(inner, shown):
    assert read_back(inner) == shown


@pytest.mark.parametrize("translation", [
    "L'application \"Demo\" est prête", "  Espaces  au bord ", "@ la maison", "?pourquoi",
    "Ligne une\\nLigne deux", "a \\\\ b", "Prix < 5 € & plus", "fin ]]> ici", "x  y",
    "retour\r et \x0b contrôle",  # characters XML 1.0 cannot hold: Android's \u escapes
])
@pytest.mark.parametrize("inner", ["Plain text", "<![CDATA[<b>Bold</b> text]]>"])
def test_a_translation_is_read_back_by_android_as_written(inner, translation):
    value = Value.read(inner)
    written = value.encode(translation)
    assert read_back(written) == unshown(translation)
    assert written.startswith("<![CDATA[") == inner.startswith("<![CDATA[")


def test_the_model_gets_one_line_and_the_markup_as_it_lies_in_the_file():
    value = Value.read('\n    Tap <b>Save</b>,\n    then "<xliff:g id="n" example="3">%d</xliff:g>'
                       ' files\\n"  &custom; \\\'now\\\'\n')
    assert value.core == ('Tap <b>Save</b>, then <xliff:g id="n" example="3">%d</xliff:g> '
                          "files\\n &custom; 'now'")
    assert value.protected == ('<xliff:g id="n" example="3">%d</xliff:g>',)
    written = value.encode('Touchez <b>Enregistrer</b>, puis <xliff:g id="n" example="3">%d'
                           "</xliff:g> fichiers\\n &custom; « maintenant »")
    assert written == ('\n    Touchez <b>Enregistrer</b>, puis <xliff:g id="n" example="3">%d'
                       "</xliff:g> fichiers\\n &custom; « maintenant »\n")


def test_html_in_cdata_is_kept_with_its_quotes_and_stays_text_outside_cdata():
    pieces = pieces_of('<![CDATA[Read <a href="x">this</a>]]> and <i>that</i>')
    assert Kept('<a href="x">', text=True) in pieces and Kept("<i>") in pieces
    value = Value.read('<![CDATA[Read <a href="x">this</a>]]> and <i>that</i>')
    assert not value.cdata  # not one CDATA section: written as XML text, HTML escaped
    assert value.encode('Lis <a href="x">ceci</a> et <i>cela</i>') == \
        'Lis &lt;a href="x"&gt;ceci&lt;/a&gt; et <i>cela</i>'
    assert read_back(value.encode('Lis <a href="x">ceci</a>')) == "Lis <a href=x>ceci</a>"


@pytest.mark.parametrize("inner", ["", "   ", "@string/other", " ?attr/colorPrimary",
                                   "Hi <!-- a comment --> there"])
def test_references_and_what_is_no_message_are_not_values(inner):
    assert Value.read(inner) is None
