"""formats/pending.py: formats llamax knows of but does not translate yet are refused by
extension or unmistakable content; a format of the registry never is."""

import pytest

from llamax_cli.core.errors import UsageError
from llamax_cli.formats import registry
from llamax_cli.formats.pending import PENDING, pending_format, refuse_pending

XLF = '<xliff version="1.2"><file><body><trans-unit id="1"><source>Save the file</source></trans-unit></body></file></xliff>\n'


@pytest.mark.parametrize("text, name, what", [
    (None, "app.toml", "TOML files are"), (None, "subs.ASS", "ASS/SSA subtitles are"),
    ('[{"a": "b"}]', None, "JSON documents without a telling extension are"),
    ('{"a": "b"}', "catalog", "JSON documents without a telling extension are"),
    ("[Script Info]\nTitle: x\n", None, "ASS/SSA subtitles are"),
    ('{"a": "b"}', "data.unknown", "JSON documents without a telling extension are"), ("#!/bin/sh\necho hi\n", None,
                                                     "source code files are"),
])
def test_pending_formats_are_found_by_extension_or_content(text, name, what):
    assert pending_format(text, name).what == what


@pytest.mark.parametrize("text, name", [
    (XLF, "notes.txt"), (XLF, None), ('{"a": "b"}', "app.json"), ('msgid "Save"\nmsgstr ""\n', None), ('{"a": 1}', "page.md"), ("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", None),
    ("Just text.", None), (None, "movie.srt"), ("[not json", None),
])
def test_text_and_the_registry_formats_are_left_alone(text, name):
    assert pending_format(text, name) is None


def test_no_pending_format_claims_an_extension_of_the_registry():
    claimed = {ext for fmt in PENDING.values() for ext in fmt.extensions}
    assert claimed.isdisjoint(registry.extensions())


def test_refusing_names_the_input_and_the_way_out():
    with pytest.raises(UsageError, match="^app.toml: TOML files are not supported yet; "
                                         "use --format text"):
        refuse_pending(None, "app.toml", "app.toml")
    refuse_pending("Hello", "hello.txt", "hello.txt")  # nothing raised
