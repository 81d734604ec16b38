import pytest

from llamax_cli.service import guards
from llamax_cli.service.prompt import clean_response


def feed(guard, pieces):
    return any(guard.feed(p) for p in pieces)


def test_a_repeated_phrase_trips_the_guard():
    guard = guards.DegenerationGuard("The cat sleeps on the mat, and the dog sleeps too.")
    assert feed(guard, [" Le", " chat", " dort", "."] * 4)
    assert guard.reason == "repetition loop"


def test_ordinary_text_and_short_repeats_pass():
    guard = guards.DegenerationGuard("Ha ha ha, he said, and the number was 1000000.")
    assert not feed(guard, [" Ha", " ha", " ha", ",", " dit", "-il", ",", " 1", "0", "0", "0", "0", "0", "0"])


def test_runaway_length_trips_the_guard():
    guard = guards.DegenerationGuard("Hi.")
    assert feed(guard, [f"word{i} " for i in range(20)])
    assert guard.reason == "output far longer than the source"


@pytest.mark.parametrize("source, output, echo", [
    ("The weather is lovely today.", "The weather is lovely today!", True),
    ("The weather is lovely today.", "Il fait beau aujourd'hui.", False),
    ("Paris", "Paris", False),  # names come back unchanged legitimately
    ("v1.2.3 (2024)", "v1.2.3 (2024)", False),
])
def test_echo(source, output, echo):
    assert guards.is_echo(source, output) is echo


@pytest.mark.parametrize("raw, clean", [
    ("Here is the translation: Bonjour.", "Bonjour."),
    ("Sure! Here's the French translation:\n\nBonjour le monde", "Bonjour le monde"),
    ("Translation: Hola", "Hola"),
    ("The translation is: Hallo", "Hallo"),
    ("Hereford est une ville.", "Hereford est une ville."),
    ("Sure, I can do that.", "Sure, I can do that."),
])
def test_preambles_are_stripped_and_only_preambles(raw, clean):
    assert clean_response(raw) == clean
