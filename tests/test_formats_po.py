"""gettext PO/POT files (formats/po.py): byte-identical when nothing is translated, the
target's header and plural forms, fuzzy flags, placeholders, and msgfmt's own check."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.formats import po, registry
from llamax_cli.formats.document import CatalogOptions, Unit, literal_text

DATA = Path(__file__).parent / "data" / "po"
DJANGO = DATA / "django-humanize.en.po"
msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")

HANDMADE = (
    '# Title.\r\n#, fuzzy\r\nmsgid ""\r\nmsgstr ""\r\n"Language: \\n"\r\n'
    '"Content-Type: text/plain; charset=CHARSET\\n"\r\n'
    '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"\r\n\r\n'
    '#: a.c:1\r\n#, c-format\r\nmsgid "Hello, %s!"\r\nmsgstr ""\r\n\r\n'
    'msgid ""\r\n"Two lines of help,\\n"\r\n"wrapped.\\n"\r\nmsgstr ""\r\n\r\n'
    'msgid "Done"\r\nmsgstr "Fait"\r\n\r\n'
    '#~ msgid "Old"\r\n#~ msgstr ""\r\n\r\n'
    'msgid "%d file"\r\nmsgid_plural "%d files"\r\nmsgstr[0] ""\r\nmsgstr[1] ""')  # no final newline


def written(doc, target: str, translate=lambda source: f"T {source}") -> str:
    """The document as the pipeline writes it when every unit comes back as translate()."""
    return "".join(part.encode(translate(part.source), target) if isinstance(part, Unit)
                   else literal_text(part, target) for part in doc.parts)


@pytest.mark.parametrize("text", [DJANGO.read_text(encoding="utf-8"), HANDMADE])
def test_nothing_translated_is_the_input_byte_for_byte(text):
    doc = po.parse_po(text)
    assert doc.render(unit.raw for unit in doc.units) == text


def test_units_are_the_untranslated_messages_only():
    doc = po.parse_po(HANDMADE)
    # the header, "Done" (translated) and the obsolete entry are not units
    assert [u.source for u in doc.units] == ["Hello, %s!", "Two lines of help, wrapped.",
                                             "%d file", "%d files"]
    assert doc.units[0].placeholders == ("%s",) and doc.units[0].line == 9


def test_the_django_sample_keeps_context_and_python_formats():
    doc = po.parse_po(DJANGO.read_text(encoding="utf-8"))
    sources = [u.source for u in doc.units]
    assert sources[:3] == ["Humanize", "{}st", "{}th"]
    assert "%(count)s hours ago" in sources and "an hour ago" in sources
    assert doc.units[1].placeholders == ("{}",)


def test_a_filled_entry_is_fuzzy_and_says_it_is_machine_translated():
    out = written(po.parse_po(HANDMADE), "fr")
    assert ('# Machine translation (llamax).\r\n#: a.c:1\r\n#, fuzzy, c-format\r\n'
            'msgid "Hello, %s!"\r\nmsgstr "T Hello, %s!"\r\n') in out
    # a msgid ending in \n gets a msgstr ending in \n (msgfmt -c checks it)
    assert 'msgstr "T Two lines of help, wrapped.\\n"\r\n' in out
    assert 'msgid "Done"\r\nmsgstr "Fait"\r\n' in out and '#~ msgid "Old"' in out


def test_the_header_is_set_for_the_target_and_loses_its_template_fuzzy():
    out = written(po.parse_po(HANDMADE), "ar")
    header = out.split("\r\n\r\n")[0]
    assert '"Language: ar\\n"' in header and "nplurals=6;" in header
    assert "charset=UTF-8" in header and "fuzzy" not in header


@pytest.mark.parametrize("target,forms", [("ar", 6), ("ja", 1), ("fr", 3), ("sw", 2)])
def test_plural_entries_get_the_targets_forms(target, forms):
    out = written(po.parse_po(HANDMADE), target)
    lines = [line for line in out.splitlines() if line.startswith("msgstr[")]
    assert len(lines) == forms
    count, one = po.plural_slots(target)
    assert count == forms
    for k, line in enumerate(lines):  # the singular where n = 1 falls, the plural elsewhere
        wanted = "T %d file" if forms > 1 and k == one else "T %d files"
        assert line == f'msgstr[{k}] "{wanted}"'
    assert not out.endswith("\n")  # the input had no final newline


def test_an_untranslated_singular_leaves_the_whole_plural_entry_empty():
    doc = po.parse_po(HANDMADE)
    parts = []
    for part in doc.parts:
        if isinstance(part, Unit) and part.source == "%d file":
            parts.append(part.raw)  # the pipeline keeps the source: placeholder-lost
        elif isinstance(part, Unit):
            parts.append(part.encode("T " + part.source, "fr"))
        else:
            parts.append(literal_text(part, "fr"))
    assert 'msgid_plural "%d files"\r\nmsgstr[0] ""\r\nmsgstr[1] ""' in "".join(parts)


@msgfmt
@pytest.mark.parametrize("target", ["fr", "ar", "ja", "pt-BR", "sw"])
@pytest.mark.parametrize("source", [DJANGO, "handmade"])
def test_msgfmt_accepts_every_output(tmp_path, target, source):
    text = HANDMADE if source == "handmade" else source.read_text(encoding="utf-8")
    out = tmp_path / "out.po"
    out.write_bytes(written(po.parse_po(text), target).encode("utf-8"))
    proc = subprocess.run(["msgfmt", "--check-format", "-c", "-o", "/dev/null", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run(["msgfmt", "--use-fuzzy", "-c", "-o", str(tmp_path / "x.mo"),
                           str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_file_gettext_would_refuse_is_refused_in_one_line():
    with pytest.raises(LlamaxError, match="not a valid PO file"):
        po.parse_po('msgid "a"\nmsgstr "b"\nbogus line\n')


def test_po_files_are_found_by_extension_and_content():
    assert registry.detect("", "messages.pot") == "po"
    assert registry.detect(HANDMADE) == "po"
    assert registry.detect("msgid is a word in this sentence.\n") != "po"
    assert registry.by_name("po").code_for("pt-BR") == "pt_BR"


@msgfmt
def test_translate_a_template_into_two_languages_as_a_user_would(llamax, tmp_path):
    shutil.copy(DJANGO, tmp_path / "django.pot")
    proc = llamax("translate", "--from", "en", "--to", "fr,ja", "--max-tokens", "12",
                  "django.pot", "-o", "locale/{lang}/LC_MESSAGES/django.po")
    assert proc.returncode in (0, 3), proc.stderr
    notes = proc.stderr.decode()
    for lang in ("fr", "ja"):
        out = tmp_path / "locale" / lang / "LC_MESSAGES" / "django.po"
        check = subprocess.run(["msgfmt", "--check-format", "-c", "-o", "/dev/null", str(out)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        text = out.read_text(encoding="utf-8")
        assert f'"Language: {lang}\\n"' in text
        filled = text.count("# Machine translation (llamax).")
        kept = notes.count(f"[{lang}] placeholder-lost")
        assert filled > 0 and filled + kept <= 16  # 16 units: 10 entries, 3 of them plurals
    assert not list(tmp_path.rglob("*.part"))


def test_a_rerun_after_adding_entries_translates_only_what_is_new(llamax, tmp_path):
    # The translation memory answers every message it has (the ones that came out ok);
    # the new entries, and only they and the earlier failures, go to the model.
    pot = tmp_path / "django.pot"
    shutil.copy(DJANGO, pot)
    args = ("translate", "--from", "en", "--to", "fr,de", "--max-tokens", "12", "--memory",
            tmp_path / "memory.db", "--json", "django.pot")

    def run():
        proc = llamax(*args, env={"LLAMAX_MEMORY": "1"})
        assert proc.returncode in (0, 3), proc.stderr
        return [json.loads(line) for line in proc.stdout.splitlines()]

    first = run()
    with pot.open("a", encoding="utf-8") as f:
        f.write('\nmsgid "Good evening"\nmsgstr ""\n\nmsgid "See you tomorrow"\nmsgstr ""\n')
    second = run()
    key = lambda r: (r["target_language"], r["source"])  # noqa: E731
    was_ok = {key(r) for r in first if r["status"] == "ok"}
    assert was_ok  # the test model gets some right; else this test would test nothing
    hits = {key(r) for r in second if r.get("memory") == "hit"}
    assert hits == was_ok
    new = [r for r in second if r["source"] in ("Good evening", "See you tomorrow")]
    assert len(new) == 4 and not any(r.get("memory") for r in new)


def test_overwrite_translates_entries_that_have_a_translation_too():
    doc = po.parse_po(HANDMADE, CatalogOptions(overwrite=True))
    assert "Done" in [u.source for u in doc.units]
    assert doc.render(u.raw for u in doc.units) == HANDMADE
    out = written(doc, "fr")
    assert 'msgid "Done"\r\nmsgstr "T Done"\r\n' in out
    again = written(po.parse_po(out, CatalogOptions(overwrite=True)), "fr")
    assert again.count("# Machine translation (llamax).") == out.count(
        "# Machine translation (llamax).")  # said once per entry, however often redone


def test_no_fuzzy_leaves_the_flag_off_and_takes_it_off_a_redone_entry():
    out = written(po.parse_po(HANDMADE, CatalogOptions(fuzzy=False)), "fr")
    assert '#, c-format\r\nmsgid "Hello, %s!"\r\nmsgstr "T Hello, %s!"' in out
    assert "fuzzy" not in out
    fuzzy = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n#, fuzzy\nmsgid "Old"\nmsgstr "Vieux"\n'
    redone = written(po.parse_po(fuzzy, CatalogOptions(overwrite=True, fuzzy=False)), "fr")
    assert redone.endswith('# Machine translation (llamax).\nmsgid "Old"\nmsgstr "T Old"\n')


def test_the_cli_passes_overwrite_and_no_fuzzy_to_the_format(llamax, tmp_path):
    (tmp_path / "fr.po").write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
                                   'msgid "Good morning"\nmsgstr "Bonjour"\n')
    plain = llamax("translate", "--from", "en", "--to", "fr", "--dry-run", "fr.po")
    redo = llamax("translate", "--from", "en", "--to", "fr", "--dry-run", "--overwrite",
                  "--no-fuzzy", "fr.po")
    assert plain.returncode == 0 and redo.returncode == 0, redo.stderr
    assert b"Good morning" not in plain.stdout and b"Good morning" in redo.stdout
