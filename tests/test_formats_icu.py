"""ICU messages as units (formats/icu.py): the structure kept, each branch a unit, a plural's
branches exactly the target's CLDR categories, placeholders and `#` kept, quoting right."""

import pytest

from llamax_cli.formats import icu
from llamax_cli.formats.document import Builder, Unit, literal_text
from llamax_cli.formats.icu_syntax import Choice, parse

ITEMS = "{count, plural, =0 {No items} one {# item} other {# items in {place}}}"
NESTED = ("{gender, select, female {{n, plural, one {She has # cat} other {She has # cats}}} "
          "other {{n, plural, one {They have # cat} other {They have # cats}}}}")


def document(message, dialect=icu.ICU, host=None):
    b = Builder("icu")
    icu.add_message(b, message, host or icu.Host(message, 1), dialect)
    return b.finish()


def written(doc, target, translate=lambda source: f"T {source}", kept=()):
    """As the pipeline writes it; units whose source is in `kept` keep their source."""
    return "".join((part.raw if part.source in kept else part.encode(translate(part.source),
                                                                      target))
                   if isinstance(part, Unit) else literal_text(part, target)
                   for part in doc.parts)


def plural_selectors(message, dialect=icu.ICU):
    """The selectors of every plural in the message, each plural's as a set."""
    found, stack = [], parse(message, dialect.quoting)
    while stack:
        element = stack.pop()
        if isinstance(element, Choice):
            if element.kind != "select":
                found.append({b.selector for b in element.branches})
            stack += [e for b in element.branches for e in b.body]
    return found


@pytest.mark.parametrize("message", [ITEMS, NESTED, "Hi {name}, it''s '{'fine'}'!",
                                     "{n, selectordinal, one {#st} two {#nd} few {#rd} other {#th}}"])
def test_nothing_translated_is_the_message_byte_for_byte(message):
    doc = document(message)
    assert doc.render(unit.raw for unit in doc.units) == message


def test_each_branch_is_a_unit_with_its_placeholders_as_braces():
    doc = document(ITEMS)
    assert [u.source for u in doc.units] == ["No items", "{count} item", "{count} items in {place}"]
    assert doc.units[2].placeholders == ("{count}", "{place}")
    out = written(doc, "en", lambda source: source.replace("items in", "things at"))
    assert out == "{count, plural, =0 {No items} one {# item} other {# things at {place}}}"


@pytest.mark.parametrize("target", ["fr", "ar", "ja", "ru", "pt-BR", "cy"])
@pytest.mark.parametrize("message", [ITEMS, NESTED])
def test_a_plural_has_exactly_the_targets_categories_and_its_exact_branches(message, target):
    out = written(doc := document(message), target)
    wanted = icu.categories(target)
    for selectors in plural_selectors(out):
        assert {s for s in selectors if not s.startswith("=")} == wanted
        assert {s for s in selectors if s.startswith("=")} == (
            {"=0"} if message == ITEMS else set())
    assert len(doc.units) == (3 if message == ITEMS else 4)


def test_missing_categories_take_the_other_branchs_translation():
    out = written(document(ITEMS), "ar")
    assert out == ("{count, plural, =0 {T No items} one {T # item} other {T # items in {place}}"
                   " zero {T # items in {place}} two {T # items in {place}}"
                   " few {T # items in {place}} many {T # items in {place}}}")
    assert written(document(ITEMS), "ja") == (
        "{count, plural, =0 {T No items} other {T # items in {place}}}")


def test_ordinals_follow_the_targets_ordinal_categories():
    message = "{n, selectordinal, one {#st} two {#nd} few {#rd} other {#th}}"
    assert plural_selectors(written(document(message), "fr")) == [{"one", "other"}]
    assert plural_selectors(written(document(message), "en")) == [{"one", "two", "few", "other"}]


def test_a_language_babel_does_not_know_keeps_the_branches_as_they_are():
    assert icu.categories("xx-nonexistent") is None
    assert plural_selectors(written(document(ITEMS), "xx")) == [{"=0", "one", "other"}]


def test_a_branch_that_keeps_its_source_stays_and_the_message_still_parses():
    # Japanese drops `one`; when its unit fails the pipeline writes its raw text, which
    # formatters never select in Japanese: the message stays valid.
    out = written(document(ITEMS), "ja", kept={"{count} item"})
    assert out == "{count, plural, =0 {T No items} one {# item} other {T # items in {place}}}"
    assert plural_selectors(out) == [{"=0", "one", "other"}]
    # `other` kept: no copies of it, the formatter's own fallback does the same
    out = written(document(ITEMS), "ar", kept={"{count} items in {place}"})
    assert plural_selectors(out) == [{"=0", "one", "other"}]


def test_branches_without_words_are_dropped_and_copied_per_target_too():
    doc = document("{n, plural, one {#} other {#+}}")
    assert not doc.units
    assert written(doc, "ja") == "{n, plural, other {#+}}"
    assert written(doc, "ar").count("{#+}") == 5


def test_translations_are_quoted_where_icu_would_read_syntax():
    doc = document("{n, plural, other {# files in {dir}}}")
    out = written(doc, "fr", lambda source: "l'{n} # {x} {dir} d'été'")
    assert out.startswith("{n, plural, other {l''# '#' '{'x'}' {dir} d'été''}")
    branch = parse(out)[0].branches[0]
    # the apostrophes, `#` and braces read back as the text the model wrote
    assert "".join(getattr(e, "value", "|") for e in branch.body) == "l'| # {x} | d'été'"


def test_arguments_with_a_type_reach_the_model_as_plain_braces():
    doc = document("Trainers: {trainersCount, number} since {d, date, full} ({d})")
    unit = doc.units[0]
    assert unit.source == "Trainers: {trainersCount} since {d} ({d2})"
    assert unit.encode("{d2} : {d} — {trainersCount} entraîneurs", "fr") == (
        "{d} : {d, date, full} — {trainersCount, number} entraîneurs")


def test_a_pound_token_never_clashes_with_the_plurals_own_argument():
    doc = document("{count, plural, other {# of {count}}}")
    assert doc.units[0].source == "{count} of {count2}"
    out = written(doc, "fr", lambda source: "{count2} sur {count}")
    assert out == "{count, plural, other {{count} sur #} one {{count} sur #} many {{count} sur #}}"


def test_text_around_a_plural_is_its_own_unit_and_numbered_tags_are_protected():
    doc = document("We invited <0>{n, plural, =0 {no persons} other {# persons}}</0>.")
    assert [u.source for u in doc.units] == ["We invited <0>", "no persons", "{n} persons"]
    assert doc.units[0].protected == ("<0>",)


def test_flutter_reads_apostrophes_as_text_and_its_exact_branches_fill_categories():
    message = "{count, plural, =0{Don't} =1{One item} other{{count} items}}"
    doc = document(message, icu.FLUTTER)
    assert doc.render(u.raw for u in doc.units) == message
    assert doc.units[0].source == "Don't"
    out = written(doc, "ar", lambda source: "l'{count} {x}" if "{count}" in source else "l'{x}")
    # =0 and =1 are Flutter's zero and one: only two, few and many are added; braces that
    # are not placeholders cannot be written in Flutter's default syntax
    assert out == ("{count, plural, =0{l'x} =1{l'x} other{l'{count} x}"
                   " two{l'{count} x} few{l'{count} x} many{l'{count} x}}")
    # Dart's Intl.plural takes `zero` for n == 0 in any language: it stays for French
    flutter_zero = document("{n, plural, zero{None} one{One} other{Many}}", icu.FLUTTER)
    assert plural_selectors(written(flutter_zero, "fr"), icu.FLUTTER) == [
        {"zero", "one", "many", "other"}]
    assert plural_selectors(written(document("{n, plural, zero{None} other{Many}}"), "fr")) == [
        {"one", "many", "other"}]


def test_a_host_maps_the_message_onto_its_escaped_text():
    # the message as a JSON string holds it: "\u0023" is "#", "\"" is '"'
    raw = '{n, plural, one {\\u0023 \\"item\\"} other {# items}}'
    message = '{n, plural, one {# "item"} other {# items}}'
    offsets, pos = [], 0
    for char in message:
        offsets.append(pos)
        pos += 6 if raw.startswith("\\u0023", pos) else 2 if raw.startswith('\\"', pos) else 1
    offsets.append(pos)
    host = icu.Host(raw, 3, offsets, escape=lambda text: text.replace('"', '\\"'))
    doc = document(message, host=host)
    assert doc.render(u.raw for u in doc.units) == raw
    assert doc.units[0].raw == ' one {\\u0023 \\"item\\"}' and doc.units[0].line == 3
    assert written(doc, "ja", lambda source: 'les "{n}"') == (
        '{n, plural, other {les \\"#\\"}}')


def test_plain_messages_are_one_unit_and_need_words():
    b = Builder("icu")
    icu.add_plain(b, "  {{count}} items\n", icu.Host("  {{count}} items\\n", 1,
                                                      escape=lambda t: t.replace("\n", "\\n")))
    icu.add_plain(b, "{{a}} {{b}}", icu.Host("{{a}} {{b}}", 2))
    doc = b.finish()
    assert [u.source for u in doc.units] == ["{{count}} items"]
    assert doc.units[0].encode("{{count}} éléments", "fr") == "  {{count}} éléments\\n"
    assert icu.has_text("{hours}h") and not icu.has_text("{a} {b} <0></0>")
