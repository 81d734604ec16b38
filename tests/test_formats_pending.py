"""formats/pending.py: formats llamax knows of but does not translate yet are refused by
extension or unmistakable content; a format of the registry never is."""

import pytest

from llamax_cli.core.errors import UsageError
from llamax_cli.formats import registry
from llamax_cli.formats.pending import PENDING, pending_format, refuse_pending

PO = 'msgid ""\nmsgstr ""\n\nmsgid "Save"\nmsgstr ""\n'


@pytest.mark.parametrize("text, name, what", [
    (None, "app.po", "gettext catalogs are"), (None, "subs.ASS", "ASS/SSA subtitles are"),
    (PO, None, "gettext catalogs are"), (PO, "catalog", "gettext catalogs are"),
    ("[Script Info]\nTitle: x\n", None, "ASS/SSA subtitles are"),
    ('{"a": "b"}', "data.unknown", "JSON files are"), ("#!/bin/sh\necho hi\n", None,
                                                     "source code files are"),
])
def test_pending_formats_are_found_by_extension_or_content(text, name, what):
    assert pending_format(text, name).what == what


@pytest.mark.parametrize("text, name", [
    (PO, "notes.txt"), ('{"a": 1}', "page.md"), ("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", None),
    ("Just text.", None), (None, "movie.srt"), ("[not json", None),
])
def test_text_and_the_registry_formats_are_left_alone(text, name):
    assert pending_format(text, name) is None


def test_no_pending_format_claims_an_extension_of_the_registry():
    claimed = {ext for fmt in PENDING.values() for ext in fmt.extensions}
    assert claimed.isdisjoint(registry.extensions())


def test_refusing_names_the_input_and_the_way_out():
    with pytest.raises(UsageError, match="^app.po: gettext catalogs are not supported yet; "
                                         "use --format text"):
        refuse_pending(None, "app.po", "app.po")
    refuse_pending("Hello", "hello.txt", "hello.txt")  # nothing raised
