"""service/recall.py: the translation memory as the pipeline and the Translator use it. In
process, with a table engine (tests/test_service_translator.py) and a memory in tmp_path."""

import dataclasses

import pytest

from llamax_cli.core.languages import resolve
from llamax_cli.engine import Sampling
from llamax_cli.service.glossary import Glossary
from llamax_cli.service.memory import Memory
from llamax_cli.service.options import Options
from llamax_cli.service.recall import context_key, open_memory
from llamax_cli.service.translator import Translator
from test_service_translator import TableEngine

EN, FR = resolve("en"), resolve("fr")
TEXT = "Good morning, my friends.\nSee you tomorrow at the station.\n"


class Opened:
    """An engine opener that counts the loads."""

    def __init__(self):
        self.engines = []

    def __call__(self):
        self.engines.append(TableEngine())
        return self.engines[-1]


def translate(translator, text=TEXT, options=Options()):
    return translator.translate_text(text, EN, FR, options=options)


def test_a_second_run_is_answered_by_the_memory_without_loading_the_model(tmp_path):
    opened = Opened()
    first = Translator(opener=opened, memory=Memory(tmp_path / "m.db"), identity="model A")
    before = translate(first)
    first.close()
    assert len(opened.engines) == 1 and len(opened.engines[0].inputs) == 2
    assert [r.memory for r in before.results] == [None, None]

    again = Translator(opener=opened, memory=Memory(tmp_path / "m.db"), identity="model A")
    after = translate(again)
    again.close()
    assert len(opened.engines) == 1  # every unit came from the memory: no load at all
    assert after.text == before.text
    assert [r.memory for r in after.results] == ["hit", "hit"]
    assert all(r.status == "ok" and r.attempts == 0 for r in after.results)


def test_an_edited_unit_alone_goes_to_the_engine(tmp_path):
    opened = Opened()
    with Translator(opener=opened, memory=Memory(tmp_path / "m.db"), identity="A") as t:
        translate(t)
    edited = TEXT.replace("See you tomorrow", "See you today")
    table = {**TableEngine().table, "See you today at the station.": "A aujourd'hui."}
    engine = TableEngine(table)
    with Translator(engine, memory=Memory(tmp_path / "m.db"), identity="A") as t:
        result = translate(t, edited)
    assert engine.inputs == ["See you today at the station."]
    assert [r.memory for r in result.results] == ["hit", None]


class Echo(TableEngine):
    """Answers any input: a translation is its source, marked."""

    def __init__(self):
        super().__init__(table=None)
        self.table = _Marked()


class _Marked(dict):
    def __missing__(self, text):
        return f"[fr] {text}"


def test_a_long_document_half_in_the_memory_is_looked_up_by_blocks(tmp_path, monkeypatch):
    # More units than the pipeline's window: hits are fetched block by block (one query
    # each), and every unit ends in its place, from the memory or the engine.
    from llamax_cli.service import pipeline

    lines = [f"Sentence number {n}." for n in range(3 * pipeline.WINDOW + 5)]
    memory = Memory(tmp_path / "m.db")
    context = context_key("A", Options())
    for line in lines[::2]:
        memory.put(context, "en", "fr", line, f"(memory) {line}", "ok")
    queries = []
    monkeypatch.setattr(memory, "lookup_many", lambda *args, real=memory.lookup_many:
                        queries.append(len(args[3])) or real(*args))
    engine = Echo()
    with Translator(engine, memory=memory, identity="A") as t:
        result = translate(t, "\n".join(lines) + "\n")
    assert engine.inputs == lines[1::2]
    assert [r.translation for r in result.results] == [
        f"(memory) {line}" if n % 2 == 0 else f"[fr] {line}" for n, line in enumerate(lines)]
    assert [r.memory for r in result.results] == ["hit", None] * (len(lines) // 2) + ["hit"]
    assert queries == [pipeline.WINDOW] * 3 + [5]


@pytest.mark.parametrize("change", [
    {"identity": "model B"},
    {"options": Options(max_tokens=7)},
    {"options": Options(beams=2)},
    {"options": Options(sampling=Sampling(0.7, 1))},
    {"options": Options(glossary=Glossary(keep=("station",)))},
    {"options": Options(check_language=False)},
])
def test_whatever_changes_the_output_is_in_the_key(tmp_path, change):
    with Translator(TableEngine(), memory=Memory(tmp_path / "m.db"), identity="model A") as t:
        translate(t)
    engine = TableEngine()
    identity = change.get("identity", "model A")
    with Translator(engine, memory=Memory(tmp_path / "m.db"), identity=identity) as t:
        result = translate(t, options=change.get("options", Options()))
    assert len(engine.inputs) == 2 and all(r.memory is None for r in result.results)


def test_the_seed_counts_only_when_sampling():
    greedy = context_key("A", Options())
    assert context_key("A", Options(sampling=Sampling(0.0, 5))) == greedy
    assert context_key("A", Options(sampling=Sampling(0.5, 5))) != \
        context_key("A", Options(sampling=Sampling(0.5, 6)))


def test_a_unit_that_needs_a_look_is_not_kept(tmp_path):
    class Echo(TableEngine):  # answers the source itself: it needs a look
        def generate(self, requests, sampling, cancel=None):
            for event in super().generate(requests, sampling, cancel):
                yield dataclasses.replace(event, text="Good morning, my friends." if event.text
                                          else "")

    with Translator(Echo(), memory=Memory(tmp_path / "m.db"), identity="A") as t:
        first = t.translate_text("Good morning, my friends.", EN, FR)
    assert first.results[0].status in ("echo", "wrong-language")  # needs a look, either way
    engine = TableEngine()
    with Translator(engine, memory=Memory(tmp_path / "m.db"), identity="A") as t:
        again = t.translate_text("Good morning, my friends.", EN, FR)
    assert engine.inputs and again.results[0].memory is None


def test_no_identity_or_no_memory_means_nothing_is_looked_up(tmp_path):
    memory = Memory(tmp_path / "m.db")
    translator = Translator(TableEngine(), memory=memory)
    assert translator.memory is None
    translator.close()


def test_open_memory_follows_the_setting(tmp_path):
    assert open_memory(False, print) is None
    own = open_memory(str(tmp_path / "project.db"), print)
    assert own is not None and own.path == tmp_path / "project.db"
    own.close()
    (tmp_path / "garbage.db").write_bytes(b"not a database at all" * 100)
    notes = []
    assert open_memory(str(tmp_path / "garbage.db"), notes.append) is None
    assert len(notes) == 1
