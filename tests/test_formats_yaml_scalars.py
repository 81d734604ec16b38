"""YAML scalars as translations are written (formats/yaml_scalars.py): the original style
where it reads back as the same string in YAML 1.1 (Psych) and 1.2, else double quotes."""

import pytest
from ruamel.yaml import YAML

from llamax_cli.formats.yaml_scalars import clean, plain_ok, reads_as_string, write_scalar


def read_back(scalar: str, version=None, in_flow: bool = False):
    yaml = YAML(typ="safe", pure=True)
    if version:
        yaml.version = version
    tree = yaml.load(f"k: [{scalar}]\n" if in_flow else f"k: {scalar}\n")
    return tree["k"][0] if in_flow else tree["k"]


@pytest.mark.parametrize("value", ["yes", "No", "off", "y", "12", "0x1F", "1_000", "1:30",
                                   "3.5", ".inf", "~", "null", "2024-01-01", "<<", "="])
def test_values_that_are_not_strings_in_yaml_1_1_or_1_2_are_quoted(value):
    assert not reads_as_string(value) and not plain_ok(value)
    assert write_scalar(value, None) == f'"{value}"'
    for version in (None, (1, 1)):
        assert read_back(write_scalar(value, None), version) == value


@pytest.mark.parametrize("value,plain", [
    ("Bonjour le monde", True), ("C# and 50%", True), ("a:b", True), ("it's", True),
    ("Note: x", False), ("a #b", False), ("ends:", False), ("- dash", False),
    ("%{count} first", False), ("'quoted'", False), ('"quoted"', False), ("@at", False),
    (" padded", False), ("tab\there", False), ("", False), ("[x]", False), ("!x", False)])
def test_plain_is_kept_only_where_it_reads_back(value, plain):
    assert plain_ok(value) is plain
    for version in (None, (1, 1)):
        assert read_back(write_scalar(value, None), version) == value


def test_inside_a_flow_collection_commas_and_brackets_need_quotes():
    assert plain_ok("a, b") and not plain_ok("a, b", in_flow=True)
    for value in ("a, b", "x]", "{y}"):
        assert read_back(write_scalar(value, None, in_flow=True), in_flow=True) == value


def test_single_quotes_stay_single_and_double_quotes_escape():
    assert write_scalar("d'accord", "'") == "'d''accord'"
    assert write_scalar(" padded ", "'") == "' padded '"
    assert write_scalar('say "hi" \\ bye', '"') == '"say \\"hi\\" \\\\ bye"'
    assert write_scalar("two\nlines", "'") == '"two\\nlines"'  # a break: double quotes
    assert write_scalar("ok", '"') == '"ok"'  # a double-quoted value stays double-quoted
    assert read_back(write_scalar("a\u2028b\x85c", '"')) == "a\u2028b\x85c"


def test_the_models_control_characters_and_line_breaks_are_cleaned():
    assert clean("bell\x07 and\x00 nul\nnext\u2029para") == "bell and nul next para"
    assert write_scalar("x\x1by", None) == "xy"
