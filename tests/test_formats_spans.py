"""spans.py: what must come back from the model byte for byte, and runs that are not language."""

import pytest

from llamax_cli.formats.spans import (OPAQUE_RUN, opaque_runs, protected_spans, split_protected,
                              survives)


@pytest.mark.parametrize("text, expected", [
    # inline code, with one or more backticks
    ("Run `pip install llamax` now.", ("`pip install llamax`",)),
    ("Type ``a ` b`` here.", ("``a ` b``",)),
    # URLs: the sentence's closing punctuation is not part of them
    ("See https://example.com/a?b=1. Then go.", ("https://example.com/a?b=1",)),
    ("Visit www.example.com/docs, then rest.", ("www.example.com/docs",)),
    ("Fetch ftp://files.example.org/pub/x.tar.gz!", ("ftp://files.example.org/pub/x.tar.gz",)),
    # Markdown link targets, autolinks and HTML tags
    ("See [the docs](https://x.org/a_(b)) today.", ("](https://x.org/a_(b))",)),
    ("Write to <mailto:bob@example.org> or <https://y.org>.",
     ("<mailto:bob@example.org>", "<https://y.org>")),
    ('Click <a href="x">here</a> please.', ('<a href="x">', "</a>")),
    # e-mail addresses
    ("Mail bob.smith+tag@example.co.uk, please.", ("bob.smith+tag@example.co.uk",)),
    # placeholders of the common template languages
    ("Hello {name}, you have %d items, %(count)s new, {{ user }} and ${HOME}.",
     ("{name}", "%d", "%(count)s", "{{ user }}", "${HOME}")),
    # file paths
    ("Edit ~/.config/llamax/config.toml and src/main.py today.",
     ("~/.config/llamax/config.toml", "src/main.py")),
    ("Open C:\\Users\\bob\\notes.txt now.", ("C:\\Users\\bob\\notes.txt",)),
    ("Read ../README.md first.", ("../README.md",)),
    # hashes and versions
    ("Commit a1b2c3d fixed it.", ("a1b2c3d",)),
    ("Upgrade to v1.2.3 or 0.3.36-rc1 now.", ("v1.2.3", "0.3.36-rc1")),
    # technical units
    ("It uses 512 MB and answers in 10ms at 60Hz.", ("512 MB", "10ms", "60Hz")),
])
def test_protected_spans_of_each_family(text, expected):
    assert protected_spans(text) == expected


@pytest.mark.parametrize("text", [
    "A plain sentence with nothing special.",
    "The price is 3.5 euros, a decimal that languages rewrite.",
    "It takes 5 min, weighs 3 kg and is 10 % off.",  # everyday units are translated
    "The word deadbeef has no digit, and 1234567 has no letter.",  # not hashes
    "Words and/or slashes are not paths.",
    "An @ sign alone, a { brace and 100% effort.",
])
def test_ordinary_language_is_not_protected(text):
    assert protected_spans(text) == ()
    assert split_protected(text) == ((), text)


def test_split_protected_leaves_the_words_around_the_spans():
    spans, rest = split_protected("Run `make` then open https://x.org/a now.")
    assert spans == ("`make`", "https://x.org/a")
    assert rest == "Run   then open   now."
    # the spans and the rest together are the text: nothing is lost or invented
    assert sorted("".join(spans + (rest,)).replace(" ", "")) == \
        sorted("Run `make` then open https://x.org/a now.".replace(" ", ""))


def test_a_text_of_nothing_but_spans_has_no_words_left():
    spans, rest = split_protected("`ls -la` https://x.org {name}")
    assert spans == ("`ls -la`", "https://x.org", "{name}")
    assert rest.strip() == ""


def test_families_combine_whatever_mix_a_text_holds():
    # the regex is built from the families a text could hold; one text with all of them
    text = ("`code` [l](http://a.b/c) <b> https://u.v/w www.x.org me@x.org {p} "
            "/etc/hosts C:\\x\\y abc1234 v2.0 8 GB")
    assert protected_spans(text) == (
        "`code`", "](http://a.b/c)", "<b>", "https://u.v/w", "www.x.org", "me@x.org", "{p}",
        "/etc/hosts", "C:\\x\\y", "abc1234", "v2.0", "8 GB")


@pytest.mark.parametrize("span, translation, expected", [
    ("{name}", "Bonjour {name} !", True),
    ("{name}", "Bonjour {nom} !", False),
    ("10%", "Il est à 10 % aujourd'hui", True),  # French spacing is not damage
    ("512 MB", "512\u00a0MB libres", True),  # a no-break space for a space
    ("https://x.org/a", "Voir https://x.org/b.", False),
    ("`make`", "Lancez make", False),  # the backticks are part of the span
])
def test_survives(span, translation, expected):
    assert survives(span, translation) is expected


def test_opaque_runs_are_long_unbroken_printable_ascii():
    blob = "a" * OPAQUE_RUN
    text = f"See {blob} and {'b' * (OPAQUE_RUN - 1)} here."
    assert opaque_runs(text) == [(4, 4 + OPAQUE_RUN)]
    assert opaque_runs("short words only") == []
    # letters beyond ASCII (a long word in a language) never make a run
    assert opaque_runs("ж" * 500) == []
    two = "x" * 150 + " " + "y" * 120
    assert opaque_runs(two) == [(0, 150), (151, 271)]
