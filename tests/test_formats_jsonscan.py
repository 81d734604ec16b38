"""The JSON scanner (formats/jsonscan.py): positions of every value, decoded strings with the
offset of each character, the file's string style, and one-line refusals."""

import json
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import jsonscan

DATA = Path(__file__).parent / "data"
SAMPLES = sorted((DATA / "json").glob("*.json")) + sorted((DATA / "arb").glob("*.arb"))

ESCAPES = ('{\r\n\t"k\\u00e9y": "a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00 \\uD834",\r\n'
           '\t"list": [1, -2.5e3, true, false, null, {}, [], "x"]\r\n}')


def strings_of(node):
    if node.kind == "string":
        yield node
    for member in node.members:
        yield member.key
        yield from strings_of(member.value)
    for item in node.items:
        yield from strings_of(item)


@pytest.mark.parametrize("text", [ESCAPES] + [p.read_text(encoding="utf-8") for p in SAMPLES])
def test_every_string_is_decoded_as_json_decodes_it_and_spans_its_quotes(text):
    root = jsonscan.scan(text)
    for node in strings_of(root):
        token = text[node.start:node.end]
        assert token.startswith('"') and token.endswith('"')
        assert node.value == json.loads(token)
        assert len(node.offsets) == len(node.value) + 1 and node.offsets[-1] == node.end - 1
        for k, char in enumerate(node.value):  # each character's own bytes in the file
            piece = text[node.offsets[k]:node.offsets[k + 1]]
            assert json.loads(f'"{piece}"') == char


def test_objects_keep_their_members_in_order_and_scalars_their_spans():
    root = jsonscan.scan(ESCAPES)
    assert [m.key.value for m in root.members] == ["kéy", "list"]
    items = root.members[1].value.items
    assert [i.kind for i in items] == ["number", "number", "true", "false", "null", "object",
                                       "array", "string"]
    assert [ESCAPES[i.start:i.end] for i in items[:5]] == ["1", "-2.5e3", "true", "false",
                                                           "null"]
    assert root.start == 0 and root.end == len(ESCAPES)
    # a surrogate pair is one character, a lone surrogate stays one
    assert root.members[0].value.value.endswith("é\U0001F600 \ud834")


def test_a_byte_order_mark_is_left_before_the_document():
    root = jsonscan.scan('\ufeff {"a": "b"}')
    assert root.start == 2 and root.members[0].value.value == "b"


@pytest.mark.parametrize("text,why", [
    ('{"a": "b",}', "Expecting property name"),
    ('{"a": NaN}', "NaN is not a JSON value"),
    ('{"a": "b"} {"c": 1}', "Extra data"),
    ("", "Expecting value"),
    ('{"a": "tab\there"}', "Invalid control character"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_what_json_refuses_is_refused_in_one_line(text, why):
    with pytest.raises(LlamaxError) as caught:
        jsonscan.scan(text, "i18next JSON")
    message = str(caught.value)
    assert message.startswith("not a valid i18next JSON file: ") and why in message
    assert "\n" not in message


def test_the_string_style_follows_the_file():
    plain = jsonscan.style_of('{"a": "é/"}')
    assert plain == jsonscan.Style() and plain.quote('é "x"/\n') == 'é \\"x\\"/\\n'
    escaped = jsonscan.style_of('{"a": "\\u00e9\\/"}')
    assert escaped.ascii_only and escaped.escaped_slash
    assert escaped.quote("né/😀") == "n\\u00e9\\/\\ud83d\\ude00"
    # \\u escapes of ASCII alone say nothing about how to write "é"
    assert not jsonscan.style_of('{"a": "\\u0041"}').ascii_only


def test_line_numbers_count_every_kind_of_line_break():
    index = jsonscan.LineIndex("a\nb\r\nc\rd")
    assert [index.line(k) for k in (0, 2, 5, 7)] == [1, 2, 3, 4]
