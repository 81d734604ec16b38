"""ICU MessageFormat syntax (formats/icu_syntax.py): elements and spans, apostrophe quoting as
ICU4J and formatjs read it, and text written back so that it reads as text."""

import random

import pytest

from llamax_cli.formats.icu_syntax import (Arg, Choice, IcuError, Lit, Pound, is_icu, parse,
                                           quote_text)

MESSAGE = ("You have {count, plural, offset:1 =0 {no messages} one {# message from {sender}} "
           "other {{gender, select, female {her # messages} other {their # messages}}}}.")


def test_a_plural_with_exact_branches_an_offset_and_a_nested_select():
    first, choice, last = parse(MESSAGE)
    assert first == Lit(0, 9, "You have ") and last.value == "."
    assert isinstance(choice, Choice) and (choice.name, choice.kind) == ("count", "plural")
    assert [b.selector for b in choice.branches] == ["=0", "one", "other"]
    one = choice.branches[1]
    assert MESSAGE[one.ws_start:one.end] == " one {# message from {sender}}"
    assert [type(e) for e in one.body] == [Pound, Lit, Arg]
    assert one.body[2].name == "sender" and MESSAGE[one.body[2].start:one.body[2].end] == "{sender}"
    select = choice.branches[2].body[0]
    assert select.kind == "select"
    # `#` belongs to the plural's own branches; inside the nested select it is text (ICU4J)
    assert select.branches[0].body == [Lit(select.branches[0].open + 1,
                                           select.branches[0].end - 1, "her # messages")]


def test_simple_arguments_with_types_and_styles_are_one_element():
    message = "On {d, date, ::yyyyMMMd} {n,number,  ::currency/EUR} {t, time, 'at' HH:mm}"
    args = [e for e in parse(message) if isinstance(e, Arg)]
    assert [message[a.start:a.end] for a in args] == [
        "{d, date, ::yyyyMMMd}", "{n,number,  ::currency/EUR}", "{t, time, 'at' HH:mm}"]


@pytest.mark.parametrize("message,text", [
    ("I''m here", "I'm here"),
    ("Don't", "Don't"),  # a lone apostrophe is text (DOUBLE_OPTIONAL)
    ("'{literal}' braces", "{literal} braces"),
    ("'{a''b}'", "{a'b}"),
    ("unpaired '{ to the end", "unpaired { to the end"),
    ("a'|b", "a|b"),
])
def test_apostrophes_quote_as_icu_reads_them(message, text):
    elements = parse(message)
    assert len(elements) == 1 and elements[0].value == text


def test_a_quoted_pound_is_text_in_a_plural_branch():
    branch = parse("{n, plural, other {'#'1 and #}}")[0].branches[0]
    assert [type(e) for e in branch.body] == [Lit, Pound]
    assert branch.body[0].value == "#1 and "


def test_without_quoting_apostrophes_are_text_as_flutter_reads_them():
    assert parse("Don''t '{x}'", quoting=False)[0].value == "Don''t '"
    assert isinstance(parse("Don''t '{x}'", quoting=False)[1], Arg)


@pytest.mark.parametrize("message", [
    "{", "}", "a {b", "{n, plural, one {x}", "{n, plural, one x}", "{n, plural,}",
    "{, plural, other {x}}", "{n, number, {unclosed}", "{n, }", "{n x}",
    "{n, plural, other {" * 60 + "}}" * 60,
])
def test_what_is_not_icu_is_refused(message):
    with pytest.raises(IcuError):
        parse(message)


def test_is_icu_wants_a_plural_select_or_selectordinal():
    assert is_icu("{n, selectordinal, one {#st} other {#th}}")
    assert not is_icu("Hello {name}") and not is_icu("{{count}} items") and not is_icu("plain")


@pytest.mark.parametrize("plural", [False, True])
def test_quoted_text_reads_back_as_the_same_text(plural):
    rng = random.Random(32)
    for _ in range(2000):
        text = "".join(rng.choice("ab {}#'| ") for _ in range(rng.randint(0, 14)))
        quoted = quote_text(text, plural)
        body = (parse("{n, plural, other {" + quoted + "}}")[0].branches[0].body if plural
                else parse(quoted))
        assert all(isinstance(e, Lit) for e in body), (text, quoted)
        assert "".join(e.value for e in body) == text, (text, quoted)


def test_quoting_leaves_ordinary_apostrophes_alone():
    assert quote_text("l'avion d'Air") == "l'avion d'Air"
    assert quote_text("l'") == "l''"  # what follows may be an argument's brace
