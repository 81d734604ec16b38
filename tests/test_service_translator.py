"""service.py: the Translator that the CLI and the server call, with a small fake engine."""

import threading
from types import SimpleNamespace

import pytest

from llamax_cli.service import pipeline
from llamax_cli.engine import Event
from llamax_cli.core.errors import LlamaxError
from llamax_cli.core.languages import resolve
from llamax_cli.formats.segment import segment, segment_text
from llamax_cli.service.translator import Cancelled, Choice, TextTranslation, Translator

EN, FR, RU, DE = resolve("en"), resolve("fr"), resolve("ru"), resolve("de")


@pytest.fixture(autouse=True)
def no_user_settings(monkeypatch, tmp_path):
    """The source policy reads the user's `from` setting: none here, whatever the machine's."""
    monkeypatch.delenv("LLAMAX_FROM", raising=False)
    monkeypatch.setenv("LLAMAX_CONFIG", str(tmp_path / "no-config.toml"))

TABLE = {
    "Good morning, my friends.": "Bonjour, mes amis.",
    "The cat sleeps on the sofa all day.": "Le chat dort sur le canapé toute la journée.",
    "See you tomorrow at the station.": "À demain à la gare.",
    "Run `make` first.": "Lancez `make` d'abord.",
}


def input_of(request) -> str:
    return request.prompt.split("### Input:\n")[1].split("\n")[0]


class TableEngine:
    """Answers each input from a table, one event per answer: no state shared between calls,
    so several threads may run it at once."""

    n_ctx = 2048

    def __init__(self, table=TABLE):
        self.table = table
        self.inputs = []
        self.closed = False

    def count_tokens(self, text):
        return len(text.split())

    def generate(self, requests, sampling, cancel=None):
        index = 0
        while index < len(requests):  # the pipeline may append retries while we run
            if cancel is not None and cancel.is_set():  # as the real engines do
                raise Cancelled("the request was cancelled")
            text = input_of(requests[index])
            self.inputs.append(text)
            yield Event(index, self.table[text], n_tokens=3)
            yield Event(index, "", True, "eog", 5, 3)
            index += 1

    def close(self):
        self.closed = True


def test_translate_text_keeps_the_layout_and_reports_each_unit():
    translator = Translator(TableEngine())
    source = "Good morning, my friends.\n\n  The cat sleeps on the sofa all day.\n"
    result = translator.translate_text(source, EN, FR)
    assert isinstance(result, TextTranslation)
    assert result.text == ("Bonjour, mes amis.\n\n"
                           "  Le chat dort sur le canapé toute la journée.\n")
    assert result.source == EN and result.detection is None
    assert [(r.index, r.line, r.status) for r in result.results] == [(0, 1, "ok"), (1, 3, "ok")]


def test_translate_text_detects_the_source_when_not_given():
    result = Translator(TableEngine()).translate_text("The cat sleeps on the sofa all day.",
                                                      None, FR)
    assert result.source == EN
    assert result.detection is not None and result.detection.language == EN
    assert result.text == "Le chat dort sur le canapé toute la journée."


def test_text_already_in_the_target_or_without_letters_comes_back_unchanged():
    translator = Translator(None)  # never reaches an engine
    french = "Le chat dort sur le canapé toute la journée, comme toujours."
    result = translator.translate_text(french, None, FR)
    assert result.text == french and result.source == FR
    assert [r.status for r in result.results] == ["same-language"]
    numbers = translator.translate_text("12 345 — 678\n", None, FR)
    assert numbers.text == "12 345 — 678\n" and numbers.results == []
    assert numbers.detection is None  # no units: nothing was detected (the server says 0.0)
    assert translator.translate_text("", EN, FR).text == ""


def test_protected_spans_survive_a_translation():
    engine = TableEngine()
    result = Translator(engine).translate_text("Run `make` first.", EN, FR,
                                               options=pipeline.Options(check_language=False))
    assert engine.inputs == ["Run `make` first."]
    assert result.text == "Lancez `make` d'abord." and result.results[0].status == "ok"


def test_a_translation_that_loses_a_protected_span_keeps_the_source():
    engine = TableEngine({"Run `make` first.": "Lancez make d'abord."})
    result = Translator(engine).translate_text("Run `make` first.", EN, FR,
                                               options=pipeline.Options(check_language=False))
    assert result.text == "Run `make` first."
    assert result.results[0].status == "protected-lost"


def test_translate_texts_keeps_the_order_and_detects_each_text_on_its_own():
    engine = TableEngine()
    texts = ["Good morning, my friends.", "Le chat dort sur le canapé toute la journée.",
             "See you tomorrow at the station.", "The cat sleeps on the sofa all day."]
    results = Translator(engine).translate_texts(texts, None, FR)
    assert [r.text for r in results] == ["Bonjour, mes amis.",
                                         "Le chat dort sur le canapé toute la journée.",
                                         "À demain à la gare.",
                                         "Le chat dort sur le canapé toute la journée."]
    assert [r.source for r in results] == [EN, FR, EN, EN]
    assert [r.results[0].status for r in results] == ["ok", "same-language", "ok", "ok"]
    # the French text never reached the engine
    assert sorted(engine.inputs) == sorted(t for t in texts if not t.startswith("Le "))


def test_translate_texts_of_one_text_is_translate_text():
    (one,) = Translator(TableEngine()).translate_texts(["See you tomorrow at the station."],
                                                       EN, FR)
    assert one.text == "À demain à la gare." and one.source == EN


class CancelsAfterTheFirstUnit(TableEngine):
    """Sets the caller's cancel flag as the first unit ends (a client going away), and
    notes whether its generator was closed (which frees the engine's slots)."""

    def __init__(self, cancel, honour_cancel):
        super().__init__()
        self.cancel, self.honour_cancel, self.closed_generator = cancel, honour_cancel, False

    def generate(self, requests, sampling, cancel=None):
        try:
            for event in super().generate(requests, sampling,
                                          cancel if self.honour_cancel else None):
                yield event
                if event.done:
                    self.cancel.set()
        finally:
            self.closed_generator = True


SOURCE = ("Good morning, my friends.\nSee you tomorrow at the station.\n"
          "The cat sleeps on the sofa all day.\n")


def test_setting_cancel_stops_the_work():
    cancel = threading.Event()
    engine = CancelsAfterTheFirstUnit(cancel, honour_cancel=True)
    with pytest.raises(Cancelled):
        Translator(engine).translate_text(SOURCE, EN, FR, cancel=cancel)
    assert engine.inputs == ["Good morning, my friends."]
    assert engine.closed_generator


def test_cancel_stops_within_one_engine_step_even_if_the_engine_does_not_look():
    cancel = threading.Event()
    engine = CancelsAfterTheFirstUnit(cancel, honour_cancel=False)
    with pytest.raises(Cancelled):
        Translator(engine).translate_text(SOURCE, EN, FR, cancel=cancel)
    # the step under way when the flag was set finishes; the third unit never starts
    assert engine.inputs == ["Good morning, my friends.", "See you tomorrow at the station."]
    assert engine.closed_generator


def test_a_cancel_set_before_the_call_translates_nothing():
    cancel = threading.Event()
    cancel.set()
    engine = TableEngine()
    pieces = Translator(engine).translate_document(segment_text("Good morning, my friends.\n"),
                                                   EN, FR, cancel=cancel)
    with pytest.raises(Cancelled):
        list(pieces)
    assert engine.inputs == []


def test_alternatives_of_a_one_unit_text_only():
    def result(*alternatives):
        return pipeline.UnitResult(0, 1, "Hi.", "Salut.", "ok",
                                    alternatives=list(alternatives))

    one = TextTranslation("Salut.", EN, results=[result(("Bonjour.", -0.5), ("Coucou.", -0.9))])
    assert one.alternatives == [{"translation": "Bonjour.", "score": -0.5},
                                {"translation": "Coucou.", "score": -0.9}]
    assert TextTranslation("a\nb", EN, results=[result(("x", -1.0))] * 2).alternatives == []
    assert TextTranslation("", EN).alternatives == []


def test_load_close_and_the_context_manager():
    engine = TableEngine()
    assert Translator(engine).load() == {}  # an engine without a scheduler
    engine.scheduler = SimpleNamespace(active=[1, 2], waiting=5)
    engine.n_parallel = 4
    with Translator(engine) as translator:
        assert translator.load() == {"slots": 4, "active": 2, "waiting": 5}
        assert not engine.closed
    assert engine.closed


def test_the_real_test_model_through_the_translator(engine):
    translator = Translator(engine)  # not closed: the engine is the session's
    source = "  Good morning.\n"
    result = translator.translate_text(source, EN, FR, options=pipeline.Options(max_tokens=8))
    assert len(result.results) == 1 and result.results[0].tokens <= 8
    assert result.text.startswith("  ") and result.text.endswith("\n")
    assert result.text.count("\n") == 1 and result.text.strip()
    assert result.text == segment_text(source).render(r.translation for r in result.results)


# -- the source language: one policy (Translator.choose_source) ------------------------------

MIXED = ("The committee will publish its final report in the spring.\n"
         "Комитет опубликует свой окончательный доклад весной.\n"
         "Please send your comments to the secretary before Friday.\n")
MIXED_TABLE = {
    "The committee will publish its final report in the spring.":
        "Le comité publiera son rapport final au printemps.",
    "Комитет опубликует свой окончательный доклад весной.":
        "Le comité publiera son rapport définitif au printemps.",
    "Please send your comments to the secretary before Friday.":
        "Veuillez envoyer vos commentaires au secrétaire avant vendredi.",
}


def test_a_named_source_is_taken_in_any_spelling_and_auto_detects():
    doc = segment(MIXED, "text")
    assert Translator.choose_source(doc, RU) == Choice(RU)
    assert Translator.choose_source(doc, "German") == Choice(DE)  # as --from spells it
    assert Translator.choose_source(doc, " Auto ").per_unit == [EN, RU, EN]
    with pytest.raises(LlamaxError, match="unknown source language"):
        Translator.choose_source(doc, "Elvish")


def test_a_mixed_document_is_chosen_unit_by_unit_with_a_note():
    notes = []
    choice = Translator.choose_source(segment(MIXED, "text"), None, "mixed.txt", notes.append)
    # The document as a whole reads as Russian (its Cyrillic outweighs), but each unit is sure.
    assert choice.detection.language == RU
    assert choice.per_unit == [EN, RU, EN] and choice.language == EN  # the most units'
    assert notes == ["mixed.txt: mixed languages, detected unit by unit (English 2, Russian 1)"]


def test_translate_text_of_a_mixed_text_asks_each_unit_in_its_own_language():
    engine = TableEngine(MIXED_TABLE)
    prompts = []
    generate = engine.generate

    def recording(requests, sampling, cancel=None):
        prompts.extend(request.prompt for request in requests)
        return generate(requests, sampling, cancel)

    engine.generate = recording
    result = Translator(engine).translate_text(
        MIXED, None, FR, options=pipeline.Options(check_language=False))
    assert result.text == "".join(line + "\n" for line in MIXED_TABLE.values())
    assert result.per_unit == [EN, RU, EN] and result.source == EN
    assert [r.source_language for r in result.results] == ["en", "ru", "en"]
    assert ["Russian" in prompt for prompt in prompts] == [False, True, False]


def test_an_unsure_detection_takes_the_users_default_source(monkeypatch):
    doc = segment("Hallo\n", "text")
    notes = []
    assert Translator.choose_source(doc, None, "-", notes.append).language == EN  # a weak guess
    assert "low confidence" in notes[-1]
    monkeypatch.setenv("LLAMAX_FROM", "de")
    choice = Translator.choose_source(doc, None, "-", notes.append)
    assert choice.language == DE and choice.detection.language == EN
    assert "using your default source language German" in notes[-1]
    monkeypatch.setenv("LLAMAX_FROM", "auto")  # as --from auto: the guess again
    assert Translator.choose_source(doc, None, "-", notes.append).language == EN


def test_a_script_detection_cannot_tell_is_an_error_unless_the_caller_says_what_to_assume():
    cherokee = "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᏣᎳᎩ\n"
    doc = segment(cherokee, "text")
    with pytest.raises(LlamaxError, match="cannot tell the language of notes.txt"):
        Translator.choose_source(doc, None, "notes.txt")
    assert Translator.choose_source(doc, None, undetected=FR).language == FR
    # The HTTP API's texts: what cannot be told comes back unchanged, from no engine.
    result = Translator(None).translate_text(cherokee, None, FR)
    assert result.text == cherokee and result.source == FR
