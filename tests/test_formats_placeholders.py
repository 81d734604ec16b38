"""Placeholders a software message's translation must keep (formats/placeholders.py),
with a stress test of 500 generated messages and the ways models break them."""

import random

import pytest

from llamax_cli.formats.placeholders import damage, find

FAMILIES = ["%s", "%d", "%1$s", "%2$d", "%(name)s", "%(count)d", "%-5.2f", "%@", "%lld",
            "{name}", "{0}", "{}", "{0:.2f}", "{{count}}", "%{user}", "${total}", "<b>",
            "</b>", "<br/>", '<a href="x.html">', "&amp;", "&#169;"]


def test_every_family_is_found_in_order():
    text = "Hi %s, {name} has %1$s and {{count}} %{user} ${total} <b>x</b> &amp; {} %@ %%"
    assert find(text) == ("%s", "{name}", "%1$s", "{{count}}", "%{user}", "${total}", "<b>",
                          "</b>", "&amp;", "{}", "%@", "%%")


@pytest.mark.parametrize("prose", ["100% sure", "Save 50 % now", "a {b c} set", "3 < 4 > 2",
                                   "Tom & Jerry"])
def test_prose_that_only_looks_technical_holds_none(prose):
    assert find(prose) == ()


def test_a_translation_keeping_every_placeholder_passes():
    assert damage(("%1$s", "%2$s"), "B %2$s puis %1$s") is None  # positioned: any order
    assert damage(("{name}", "{count}"), "{count} pour {name}") is None
    assert damage(None, "anything") is None  # not checked


@pytest.mark.parametrize("expected,translation,word", [
    (("%1$s",), "Bonjour % 1 $ s", "dropped"),
    (("{cup}",), "Une {tasse}", "dropped"),
    (("{{x}}",), "Valeur {{x}", "dropped"),
    (("%s",), "Bonjour %s %s", "added"),
    (("%s", "%d"), "%d fois %s", "reordered"),
    (("<b>", "</b>"), "<b>gras", "dropped"),
])
def test_a_broken_placeholder_is_named(expected, translation, word):
    assert word in damage(expected, translation)


def _breakages(message: str, rng: random.Random) -> list[str]:
    """The ways models break placeholders: dropped, spaced out, translated, doubled, and
    two unpositioned directives swapped."""
    found = find(message)
    target = rng.choice(found)
    broken = [message.replace(target, "", 1),
              message.replace(target, " ".join(target), 1),
              message.replace(target, target.replace("name", "nom").replace("count", "nombre")
                              if any(w in target for w in ("name", "count")) else target[:-1], 1),
              message + " " + target]
    order = [p for p in found if p in ("%s", "%d")]
    if len(order) == 2 and order[0] != order[1]:
        broken.append(message.replace(order[0], "\0").replace(order[1], order[0])
                      .replace("\0", order[1]))
    return [b for b in broken if b != message]


def test_stress_500_messages_none_broken_is_let_through():
    rng = random.Random(7)
    words = "open save file user message new delete the your item".split()
    checked = broken_caught = 0
    for _ in range(500):
        chosen = rng.sample(FAMILIES, rng.randint(1, 4))
        pieces = rng.sample(words, 4) + chosen
        rng.shuffle(pieces)
        message = " ".join(pieces)
        expected = find(message)
        assert sorted(expected) == sorted(chosen), message  # every placeholder found
        translated = " ".join(p.upper() if p in words else p for p in pieces)  # kept as is
        assert damage(expected, translated) is None, message
        for bad in _breakages(message, rng):
            assert damage(expected, bad) is not None, (message, bad)
            broken_caught += 1
        checked += 1
    assert checked == 500 and broken_caught > 1500


def test_rubys_named_format_is_one_placeholder():
    assert find("%<count>d items, %<price>.2f each") == ("%<count>d", "%<price>.2f")
    assert damage(("%<count>d",), "%<count>d articles") is None
    assert "dropped" in damage(("%<count>d",), "%<nombre>d articles")
