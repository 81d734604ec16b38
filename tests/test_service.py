"""service.py: the Translator that the CLI and the server call, with a small fake engine."""

import threading
from types import SimpleNamespace

import pytest

from llamax_cli.service import pipeline
from llamax_cli.engine import Event
from llamax_cli.core.languages import resolve
from llamax_cli.formats.segment import segment_text
from llamax_cli.service.translator import Cancelled, TextTranslation, Translator

EN, FR = resolve("en"), resolve("fr")

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
    assert numbers.detection is not None and numbers.detection.language is None
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
