"""Xcode String Catalogs (formats/xcstrings.py): byte-identical when nothing is translated, the
target's localization added in Xcode's own formatting and nothing else changed, plural
categories per CLDR, reviewed translations kept, placeholders, one-line errors, the CLI."""

import copy
import difflib
import json
import re
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import registry, xcstrings
from llamax_cli.formats.document import Unit, literal_text

DATA = Path(__file__).parent / "data" / "apple"
WIDGET = DATA / "netnewswire-Widget.xcstrings"  # NetNewsWire's, whole: English only
SHARED = DATA / "netnewswire-Shared-excerpt.xcstrings"  # keys without values, empty objects
COMMANDBAR = DATA / "coteditor-CommandBar.xcstrings"  # CotEditor's: plurals, 12 languages
SAMPLES = [WIDGET, SHARED, COMMANDBAR]

HANDMADE = """{
  "sourceLanguage" : "en",
  "strings" : {
    "%lld file(s) in %#@folders@" : {
      "localizations" : {
        "en" : {
          "variations" : {
            "plural" : {
              "one" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld file in %#@folders@"
                }
              },
              "other" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld files in %#@folders@"
                }
              }
            }
          }
        }
      }
    },
    "app.name" : {
      "shouldTranslate" : false
    },
    "Done" : {
      "localizations" : {
        "fr" : {
          "stringUnit" : {
            "state" : "translated",
            "value" : "Terminé"
          }
        }
      }
    },
    "Hello, %@!" : {
      "comment" : "A greeting"
    },
    "Open \\"%1$@\\" in %2$@" : {

    },
    "Tap" : {
      "localizations" : {
        "en" : {
          "variations" : {
            "device" : {
              "mac" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "Click"
                }
              },
              "other" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "Tap"
                }
              }
            }
          }
        }
      }
    },
    "welcome" : {
      "localizations" : {
        "en" : {
          "stringUnit" : {
            "state" : "translated",
            "value" : " Welcome\\nback "
          }
        }
      }
    }
  },
  "version" : "1.0"
}"""


def written(doc, target: str, translate=lambda source: f"T {source}") -> str:
    """The document as the pipeline writes it when every unit comes back as translate()."""
    return "".join(part.encode(translate(part.source), target) if isinstance(part, Unit)
                   else literal_text(part, target) for part in doc.parts)


def text_of(source) -> str:
    return HANDMADE if source == "handmade" else source.read_text(encoding="utf-8")


ALL = SAMPLES + ["handmade"]


@pytest.mark.parametrize("source", ALL)
def test_nothing_translated_is_the_input_byte_for_byte(source):
    text = text_of(source)
    doc = xcstrings.parse_xcstrings(text)
    assert doc.render(unit.raw for unit in doc.units) == text


def test_units_are_the_source_values_or_the_keys():
    doc = xcstrings.parse_xcstrings(HANDMADE)
    # app.name: shouldTranslate false; Tap: varies by device (a warning)
    assert [u.source for u in doc.units] == [
        "%lld file in %#@folders@", "%lld files in %#@folders@", "Done", "Hello, %@!",
        'Open "%1$@" in %2$@', "Welcome back"]
    assert doc.units[0].placeholders == ("%lld", "%#@")
    assert doc.units[0].protected == ("%#@folders@",)
    assert doc.units[4].placeholders == ("%1$@", "%2$@")
    assert [line for line, _ in doc.warnings] == [45]


def added(before: dict, after: dict, code: str) -> dict:
    """The localizations for `code` that `after` has and `before` had not, by key."""
    return {key: entry["localizations"][code] for key, entry in after["strings"].items()
            if code in entry.get("localizations", {})
            and code not in before["strings"][key].get("localizations", {})}


def without(after: dict, code: str, keys) -> dict:
    """`after` with `code`'s localization taken out of `keys` (and an emptied
    `localizations` with it)."""
    data = copy.deepcopy(after)
    for key in keys:
        entry = data["strings"][key]
        del entry["localizations"][code]
        if not entry["localizations"]:
            del entry["localizations"]
    return data


@pytest.mark.parametrize("target,code,categories", [
    ("fr", "fr", ["many", "one", "other"]),
    ("ar", "ar", ["few", "many", "one", "other", "two", "zero"]),
    ("ja", "ja", ["other"]),
    ("zh", "zh-Hans", ["other"])])
@pytest.mark.parametrize("source", ALL)
def test_the_target_is_added_with_its_plural_categories_and_nothing_else_changes(
        source, target, code, categories):
    text = text_of(source)
    before = json.loads(text)
    after = json.loads(written(xcstrings.parse_xcstrings(text), target))
    new = added(before, after, code)
    assert without(after, code, new) == before  # the rest: exactly what it was
    for key, entry in before["strings"].items():
        had = entry.get("localizations", {})
        wanted = entry.get("shouldTranslate") is not False and bool(key) and key != "Tap"
        assert (key in new) == (wanted and code not in had), key
        if code in had:  # a translation there already is kept as it is
            assert after["strings"][key]["localizations"][code] == had[code]
    for key, localization in new.items():
        source_value = before["strings"][key].get("localizations", {}).get("en", {})
        if "variations" not in source_value:
            unit = localization["stringUnit"]
            assert unit["state"] == "needs_review"
            expected = source_value.get("stringUnit", {}).get("value", key)
            assert unit["value"].strip() == "T " + " ".join(expected.split())
            continue
        plural = localization["variations"]["plural"]
        assert sorted(plural) == categories
        source_plural = source_value["variations"]["plural"]
        for category, variation in plural.items():
            assert variation["stringUnit"]["state"] == "needs_review"
            origin = source_plural.get(category, source_plural["other"]) \
                if category == "one" else source_plural["other"]
            assert variation["stringUnit"]["value"] == "T " + origin["stringUnit"]["value"]


def sorted_as_xcode(value):
    if isinstance(value, dict):
        return {k: sorted_as_xcode(value[k]) for k in sorted(value, key=str.casefold)}
    return value


@pytest.mark.parametrize("source", ALL)
def test_the_insertions_are_written_as_xcode_writes_them(source):
    text = text_of(source)
    out = written(xcstrings.parse_xcstrings(text), "ar")
    old, new = text.splitlines(), out.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new,
                                                       autojunk=False).get_opcodes():
        assert tag != "delete", old[i1:i2]
        if tag == "replace":  # a member that gains a comma; an empty object's blank line
            assert all(not line.strip() or line + "," in new[j1:j2] for line in old[i1:i2])
    # Each "ar" and "localizations" member (Xcode's own ones too) is as Xcode's JSON writer
    # puts it: keys sorted regardless of case (CotEditor's zh-Hans, zh-Hant, zh-HK), two
    # spaces a level from its line's indentation, " : ", non-ASCII as it is.
    decoder = json.JSONDecoder()
    members = list(re.finditer(r'^( *)"(?:ar|localizations)" : ', out, re.M))
    assert len(members) > len(re.findall(r'^ *"(?:ar|localizations)" : ', text, re.M))
    for member in members:
        value, end = decoder.raw_decode(out, member.end())
        xcode = json.dumps(sorted_as_xcode(value), indent=2, ensure_ascii=False,
                           separators=(",", " : ")).replace("\n", "\n" + member.group(1))
        assert out[member.end():end] == xcode


def test_an_untranslated_singular_leaves_the_plural_string_out():
    doc = xcstrings.parse_xcstrings(HANDMADE)
    parts = []
    for part in doc.parts:
        if isinstance(part, Unit) and part.source == "%lld file in %#@folders@":
            parts.append(part.raw)  # the pipeline keeps the source: placeholder-lost
        elif isinstance(part, Unit):
            parts.append(part.encode("T " + part.source, "fr"))
        else:
            parts.append(literal_text(part, "fr"))
    after = json.loads("".join(parts))
    assert list(after["strings"]["%lld file(s) in %#@folders@"]["localizations"]) == ["en"]
    assert "fr" in after["strings"]["Hello, %@!"]["localizations"]


def test_a_value_keeps_its_edges_and_escapes():
    after = json.loads(written(xcstrings.parse_xcstrings(HANDMADE), "de",
                               lambda s: f'"{s}" \\ /'))
    strings = after["strings"]
    assert strings["welcome"]["localizations"]["de"]["stringUnit"]["value"] == \
        ' "Welcome back" \\ / '
    assert strings['Open "%1$@" in %2$@']["localizations"]["de"]["stringUnit"]["value"] == \
        '"Open "%1$@" in %2$@" \\ /'


def test_no_target_is_added_in_the_source_language():
    text = WIDGET.read_text(encoding="utf-8")
    assert written(xcstrings.parse_xcstrings(text), "en") == text


@pytest.mark.parametrize("text,why", [
    ('{\n  "sourceLanguage" : "en",\n  "strings" : {\n    "a" : {\n  }\n', "line 6"),
    ('{\n  "sourceLanguage" : "en",\n  "strings" : {\n    "a" : {},\n  }\n}', "line 5"),
    ('{"sourceLanguage" : "en", "version" : "1.0"}', 'no "strings" object'),
    ('{"strings" : {}}', 'no "sourceLanguage"'),
    ('["not", "a", "catalog"]', 'no "strings" object'),
])
def test_a_file_that_is_no_catalog_is_refused_in_one_line(text, why):
    with pytest.raises(LlamaxError) as caught:
        xcstrings.parse_xcstrings(text)
    message = str(caught.value)
    assert message.startswith("not a valid String Catalog: ") and "\n" not in message
    assert why in message


def test_catalogs_are_found_by_extension_and_content():
    assert registry.detect("", "Localizable.xcstrings") == "xcstrings"
    assert registry.detect(WIDGET.read_text(encoding="utf-8")) == "xcstrings"
    fmt = registry.by_name("xcstrings")
    assert fmt.layout is None  # --out-dir: DIR/NAME, or DIR/STEM.LANG.xcstrings for several
    assert fmt.code_for("zh-Hant") == "zh-Hant" and fmt.code_for("pt") == "pt-BR"
    assert xcstrings.plural_categories("umb") == ("one", "other")  # CLDR has no rules


def test_translate_a_catalog_into_two_catalogs_as_a_user_would(llamax, tmp_path):
    catalog = json.loads(HANDMADE)
    for key in ("%lld file(s) in %#@folders@", "Open \"%1$@\" in %2$@", "welcome"):
        del catalog["strings"][key]  # four strings: a short run with the test model
    text = xcstrings.xcode_json(catalog)
    (tmp_path / "Localizable.xcstrings").write_text(text, encoding="utf-8")
    assert xcstrings.parse_xcstrings(text).units  # (it has something to translate)
    proc = llamax("translate", "--from", "en", "--to", "fr,ja", "--max-tokens", "12",
                  "Localizable.xcstrings", "--out-dir", "out")
    assert proc.returncode in (0, 3), proc.stderr
    filled = 0
    for code in ("fr", "ja"):
        out = (tmp_path / "out" / f"Localizable.{code}.xcstrings").read_text(encoding="utf-8")
        after = json.loads(out)
        new = added(catalog, after, code)
        assert without(after, code, new) == catalog
        assert set(new) <= ({"Hello, %@!"} if code == "fr" else {"Done", "Hello, %@!"})
        assert all(v["stringUnit"]["state"] == "needs_review" for v in new.values())
        assert out == xcstrings.xcode_json(after)  # Xcode's formatting throughout
        filled += len(new)
    assert filled > 0  # (only a lost placeholder keeps a string out; "Done" has none)
    assert not list(tmp_path.rglob("*.part"))


def test_one_output_for_several_targets_is_refused(llamax, tmp_path):
    # Several targets each write their own catalog; one -o without {lang} is a usage error.
    (tmp_path / "Localizable.xcstrings").write_text(HANDMADE, encoding="utf-8")
    proc = llamax("translate", "--from", "en", "--to", "fr,de", "Localizable.xcstrings",
                  "-o", "same.xcstrings")
    assert proc.returncode == 2 and "-o needs {lang}" in proc.stderr.decode()
