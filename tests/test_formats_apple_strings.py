"""Apple .strings files (formats/apple_strings.py): byte-identical when nothing is translated
(UTF-8 and UTF-16), every output read back by a strict CoreFoundation-style parser with the same
keys, escapes, placeholders, one-line errors, and the CLI writing fr.lproj/ in UTF-16."""

import codecs
import re
from pathlib import Path

import pytest

from llamax_cli.core import textio
from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import apple_strings, placeholders, registry, spans
from llamax_cli.formats.document import Unit, literal_text

DATA = Path(__file__).parent / "data" / "apple"
NETNEWSWIRE = DATA / "netnewswire-Localizable.strings"

HANDMADE = (
    '/* A header comment, "quoted" and all */\r\n'
    '"greeting" = "Hello, %@!";\r\n'
    '// a line comment\r\n'
    '"escapes" = "Say \\"hi\\" \\\\ tab\\there";\r\n'
    'unquoted_key = "Open %1$@ in %2$@";\r\n'
    '"count"="%lld files in %#@folders@";  /* trailing */\r\n'
    "'single' = 'It\\'s done';\r\n"
    '"paragraphs" = "First line.\\n\\n  Second line with %d items.  ";\r\n'
    '"unicode" = "Caf\\U00E9 \\UD83D\\UDE00 na\\u00EFve \\351t\\351";\r\n'
    '"bare" = value-1;\r\n'
    '"Shortcut";\r\n'
    '"symbols" = "%@ — %@";\r\n'
    '"empty" = "";')  # no final newline


# -- a strict parser, as CoreFoundation's old-style plist parser reads a .strings file ---------
# (plutil -lint on a Mac); written apart from the module, so that the two check each other.

_UNQUOTED = re.compile(r"[A-Za-z0-9_$/:.-]+")
_CF_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


class Cursor:
    def __init__(self, text: str):
        self.text, self.pos = text.removeprefix("\ufeff"), 0

    def more(self) -> bool:
        return self.pos < len(self.text)

    def skip(self) -> None:
        text = self.text
        while self.more():
            if text[self.pos] in "\t\n\v\f\r \u2028\u2029":
                self.pos += 1
            elif text.startswith("//", self.pos):
                while self.more() and text[self.pos] not in "\n\r\u2028\u2029":
                    self.pos += 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                self.pos = len(text) if end < 0 else end + 2
            else:
                return

    def string(self) -> str:
        if not self.more():
            raise ValueError("unexpected end of file")
        quote = self.text[self.pos]
        if quote not in "\"'":
            match = _UNQUOTED.match(self.text, self.pos)
            if match is None:
                raise ValueError(f"invalid string character {quote!r}")
            self.pos = match.end()
            return match.group(0)
        self.pos += 1
        out = []
        while True:
            if not self.more():
                raise ValueError("unterminated quoted string")
            char = self.text[self.pos]
            self.pos += 1
            if char == quote:
                break
            out.append(self.escaped() if char == "\\" else char)
        return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")

    def escaped(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        if char in "01234567":
            digits = re.match(r"[0-7]{0,2}", self.text[self.pos:]).group(0)
            self.pos += len(digits)
            return chr(int(char + digits, 8) & 0xFF)
        if char == "U":
            digits = re.match(r"[0-9A-Fa-f]{0,4}", self.text[self.pos:]).group(0)
            self.pos += len(digits)
            return chr(int(digits or "0", 16))
        return _CF_ESCAPES.get(char, char)


def plist_strings(text: str) -> dict[str, str]:
    cursor = Cursor(text)
    found = {}
    cursor.skip()
    while cursor.more():
        key = cursor.string()
        cursor.skip()
        if cursor.more() and cursor.text[cursor.pos] == "=":
            cursor.pos += 1
            cursor.skip()
            value = cursor.string()
            cursor.skip()
        else:
            value = key
        if not cursor.more() or cursor.text[cursor.pos] != ";":
            raise ValueError("missing ';'")
        cursor.pos += 1
        found[key] = value
        cursor.skip()
    return found


# -- helpers ----------------------------------------------------------------------------------

def written(doc, target: str, translate=lambda source: f"T {source}") -> str:
    """The document as the pipeline writes it when every unit comes back as translate()."""
    return "".join(part.encode(translate(part.source), target) if isinstance(part, Unit)
                   else literal_text(part, target) for part in doc.parts)


def sample() -> str:
    return NETNEWSWIRE.read_text(encoding="utf-8")


# -- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,mark", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])  # as Xcode writes
@pytest.mark.parametrize("name", ["netnewswire", "handmade"])
def test_nothing_translated_is_the_input_byte_for_byte(name, encoding, mark):
    text = sample() if name == "netnewswire" else HANDMADE
    data = mark + text.encode(encoding)
    decoded, found, bom = textio.decode(data, "Localizable.strings")  # what the CLI reads
    assert (found, bom) == (encoding, bool(mark))
    doc = apple_strings.parse_strings(decoded)
    assert textio.encoder(found, bom)(doc.render(u.raw for u in doc.units)) == data


def test_utf16_without_a_mark_is_refused_as_binary_today():
    # Documents the reader's current limit (core/textio.py): a UTF-16 file needs its mark.
    with pytest.raises(LlamaxError, match="binary"):
        textio.decode(sample().encode("utf-16-le"), "Localizable.strings")


# -- units -----------------------------------------------------------------------------------

def test_values_are_units_and_keys_comments_are_not():
    doc = apple_strings.parse_strings(HANDMADE)
    assert [u.source for u in doc.units] == [
        "Hello, %@!", 'Say "hi" \\ tab here', "Open %1$@ in %2$@", "%lld files in %#@folders@",
        "It's done", "First line.", "Second line with %d items.", "Café 😀 naïve été",
        "value-1", "Shortcut"]  # "%@ — %@" and "" have no words: kept as they are
    assert doc.units[0].line == 2 and doc.units[-1].line == 11
    assert doc.units[6].raw == "Second line with %d items."  # the edges' spaces stay literal


def test_the_sample_gives_every_value_and_splits_paragraphs_at_their_breaks():
    text = sample()
    doc = apple_strings.parse_strings(text)
    entries = plist_strings(text)
    twitter = entries["alert.message.twitter-deprecation-message"]
    assert len(doc.units) == len(entries) + twitter.count("\n\n")  # 4 paragraphs: 3 more
    assert doc.units[3].source == "See articles in “%@”" and doc.units[3].line == 11
    paragraphs = [u for u in doc.units if u.line == 105]
    assert [u.source for u in paragraphs] == twitter.split("\n\n")


# -- outputs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["fr", "ar", "ja"])
@pytest.mark.parametrize("name", ["netnewswire", "handmade"])
def test_every_output_parses_back_to_the_same_keys(name, target):
    text = sample() if name == "netnewswire" else HANDMADE
    before = plist_strings(text)
    out = written(apple_strings.parse_strings(text), target,
                  lambda s: f'{target} "{s}" \\ ok')  # quotes and backslashes to escape
    after = plist_strings(out)
    assert list(after) == list(before)
    if name == "netnewswire":
        for key, value in before.items():
            lines = [f'{target} "{" ".join(line.split())}" \\ ok' if line.strip() else line
                     for line in value.split("\n")]
            assert after[key] == "\n".join(lines), key
    else:
        assert after["escapes"] == f'{target} "Say "hi" \\ tab here" \\ ok'
        assert after["paragraphs"] == f'{target} "First line." \\ ok\n\n  ' \
                                      f'{target} "Second line with %d items." \\ ok  '
        assert after["bare"] == f'{target} "value-1" \\ ok'
        assert after["Shortcut"] == f'{target} "Shortcut" \\ ok'
        assert after["symbols"] == "%@ — %@" and after["empty"] == ""


def test_keys_comments_and_spacing_stay_byte_for_byte():
    out = written(apple_strings.parse_strings(HANDMADE), "fr")
    assert out.startswith('/* A header comment, "quoted" and all */\r\n'
                          '"greeting" = "T Hello, %@!";\r\n// a line comment\r\n')
    assert '\r\nunquoted_key = "T Open %1$@ in %2$@";\r\n' in out
    assert '"count"="T %lld files in %#@folders@";  /* trailing */\r\n' in out
    assert "'single' = 'T It\\'s done';" in out
    assert '"bare" = "T value-1";\r\n"Shortcut" = "T Shortcut";\r\n' in out
    assert out.endswith('"empty" = "";')


def test_a_translation_is_escaped_for_its_file():
    assert apple_strings.escape('a "b" \\ c\nd\te\x01') == 'a \\"b\\" \\\\ c\\nd\\te\\U0001'
    assert apple_strings.escape("it's \"x\"", "'") == "it\\'s \"x\""
    value = 'é 😀 %1$@ "q"'
    assert plist_strings('"k" = "' + apple_strings.escape(value) + '";') == {"k": value}


def test_placeholders_are_the_pipelines_to_check():
    doc = apple_strings.parse_strings(HANDMADE)
    by_source = {u.source: u for u in doc.units}
    assert by_source["Hello, %@!"].placeholders == ("%@",)
    assert by_source["Open %1$@ in %2$@"].placeholders == ("%1$@", "%2$@")
    count = by_source["%lld files in %#@folders@"]
    assert count.placeholders == ("%lld", "%#@") and count.protected == ("%#@folders@",)
    # what the pipeline refuses (placeholder-lost, protected-lost: the value kept)
    assert placeholders.damage(count.placeholders, "%lld fichiers dans %#@dossiers@") is None
    assert not spans.survives("%#@folders@", "%lld fichiers dans %#@dossiers@")
    assert placeholders.damage(by_source["Open %1$@ in %2$@"].placeholders,
                               "Ouvrir % 1 $ @ dans %2$@") is not None


# -- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,line", [
    ('"a" = "b";\n"c" = "d"\n"e" = "f";\n', 3),  # a missing ';'
    ('"a" = "b";\n\n"c" = "never ends;\n', 3),
    ('"a" = "b";\n"c" "d";\n', 2),  # no '='
    ('"a" = { "b" = "c"; };\n', 1),  # a dictionary is no string
    ('"a" = "b";\n= "c";\n', 2),
    ('"a" = ;\n', 1),
    ('"a" = "b"', 1),
])
def test_a_malformed_file_is_refused_in_one_line_naming_the_line(text, line):
    with pytest.raises(ValueError):  # the strict parser refuses it too
        plist_strings(text)
    with pytest.raises(LlamaxError) as caught:
        apple_strings.parse_strings(text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("not a valid .strings file: ")
    assert f"line {line}:" in message


# -- registry --------------------------------------------------------------------------------

def test_strings_files_are_found_by_extension_and_content():
    assert registry.detect("", "Localizable.strings") == "strings"
    assert registry.detect(sample()) == "strings"
    assert registry.detect('/* c */\n"key" = "value";\n') == "strings"
    assert registry.detect('He said "yes" = "no" in the end.\n') != "strings"
    fmt = registry.by_name("strings")
    assert [fmt.code_for(c) for c in ("fr", "zh", "zh-Hant", "pt", "pt-BR", "sr-Latn", "no")] \
        == ["fr", "zh-Hans", "zh-Hant", "pt-BR", "pt-BR", "sr-Latn", "nb"]
    assert fmt.layout.format(lang="pt-BR", stem="Localizable") == \
        "pt-BR.lproj/Localizable.strings"


def test_translate_a_utf16_file_into_two_lproj_folders_as_a_user_would(llamax, tmp_path):
    text = ('/* Greeting */\n"greeting" = "Good morning, %@!";\n\n'
            '// Buttons\n"button.cancel" = "Cancel";\n"symbols" = "%@ — %@";\n')
    (tmp_path / "Localizable.strings").write_bytes(codecs.BOM_UTF16_LE
                                                    + text.encode("utf-16-le"))
    proc = llamax("translate", "--from", "en", "--to", "fr,zh", "--max-tokens", "12",
                  "Localizable.strings", "--out-dir", "out")
    assert proc.returncode in (0, 3), proc.stderr
    changed = 0
    for folder in ("fr.lproj", "zh-Hans.lproj"):
        data = (tmp_path / "out" / folder / "Localizable.strings").read_bytes()
        assert data.startswith(codecs.BOM_UTF16_LE)  # the input's encoding and mark
        out = data[2:].decode("utf-16-le")
        values = plist_strings(out)
        assert list(values) == ["greeting", "button.cancel", "symbols"]
        changed += values != plist_strings(text)
        assert out.startswith('/* Greeting */\n"greeting" = "')
        assert '\n\n// Buttons\n"button.cancel" = "' in out
        assert out.endswith('"symbols" = "%@ — %@";\n')
    assert changed  # the test model writes something for "Cancel" at least
    assert not list(tmp_path.rglob("*.part"))
