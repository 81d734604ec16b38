"""cli/translate_job.py in-process, with no model: expected_tokens and engine_settings; the
order of run_translate's checks (usage errors before any input is read); --dry-run; inputs
passed through; and whole jobs through a scripted OpenAI-compatible stand-in as the engine
(--api-base: test_engine_openai_http.StandIn), whose answers are known, so that the routing of
each translation, its JSON record and the closing summary are checked exactly. The real CLI
on real inference is tests/test_cli_translate.py's."""

from __future__ import annotations

import collections
import json
import os
import threading
from pathlib import Path

import pytest
from test_engine_openai_http import Answer, StandIn, sse, text_event

from llamax_cli.cli import translate_job
from llamax_cli.cli.sources import Task, prepare
from llamax_cli.cli.translate_job import (
    TranslateJob,
    engine_settings,
    expected_tokens,
    run_translate,
)
from llamax_cli.core import config
from llamax_cli.core.errors import DoneWithProblems, LlamaxError, UsageError
from llamax_cli.core.languages import resolve
from llamax_cli.core.textio import Source
from llamax_cli.engine import Event
from llamax_cli.service import prompt

EN, FR, DE = resolve("en"), resolve("fr"), resolve("de")
ENGLISH = "The weather is lovely today and we are going for a long walk.\n"
FRENCH = "Il fait très beau aujourd'hui et nous allons faire une longue promenade.\n"
ANSWER = "Bonjour tout le monde."


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No setting of this machine's user, and a model that cannot load: a test that reached
    for a local model would fail, not load one."""
    for name in [n for n in os.environ if n.startswith(("LLAMAX_", "HF_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("LLAMAX_MODEL", str(tmp_path / "no-such-model.gguf"))
    # As in conftest.cli_env: the language check would judge the stand-in's fixed answer.
    monkeypatch.setenv("LLAMAX_CHECK_LANGUAGE", "0")
    monkeypatch.chdir(tmp_path)


def run(notes: list | None = None, **fields) -> list[str]:
    """run_translate on a job of these fields; the notes it gave."""
    notes = [] if notes is None else notes
    run_translate(TranslateJob(**{"files": [], **fields}), notes.append)
    return notes


# -- expected_tokens ----------------------------------------------------------------------------

def tasks_of(*texts: str) -> list[Task]:
    sources = [Source(f"{i}.txt", text) for i, text in enumerate(texts)]
    return prepare(sources, FR, lambda m: None, fmt="text", from_="en")


def test_expected_tokens_are_a_token_per_four_source_characters():
    tasks = tasks_of("a" * 40 + "\n" + "b" * 21 + "\n", "c" * 19 + "\n")
    assert expected_tokens(tasks, None) == 80 // 4
    assert expected_tokens(tasks, 100) == 20  # far from the limit of 3 units x 100 tokens
    assert expected_tokens(tasks, 2) == 3 * 2  # but never more than the units may generate


def test_expected_tokens_count_only_units():
    assert expected_tokens([], None) == 0
    assert expected_tokens(tasks_of("🙂 42\n", "\n\n"), None) == 0  # no units: no work
    assert expected_tokens(tasks_of("Hello.\n\n\n\n"), 8) == len("Hello.") // 4


# -- engine_settings ----------------------------------------------------------------------------

def test_engine_settings_are_every_setting_with_the_jobs_flags():
    settings = engine_settings(TranslateJob([], ctx=512, parallel=3, remote_timeout=5,
                                            api_base="http://127.0.0.1:9/v1"))
    assert set(settings) == set(config.ENGINE_SETTINGS)
    assert (settings["ctx"], settings["parallel"], settings["remote_timeout"],
            settings["api_base"]) == (512, 3, 5, "http://127.0.0.1:9/v1")


def test_engine_settings_take_the_environment_where_no_flag_is_given(monkeypatch):
    monkeypatch.setenv("LLAMAX_CTX", "768")
    monkeypatch.setenv("LLAMAX_REPACK", "1")  # a setting with no flag of its own
    assert engine_settings(TranslateJob([]))["ctx"] == 768
    assert engine_settings(TranslateJob([]))["repack"] is True
    assert engine_settings(TranslateJob([], ctx=2048))["ctx"] == 2048  # the flag wins


def test_a_bad_engine_setting_is_a_usage_error_naming_the_flag():
    with pytest.raises(UsageError, match=r"^--ctx 10: "):
        engine_settings(TranslateJob([], ctx=10))


# -- run_translate: what is refused before any input is read ------------------------------------

@pytest.mark.parametrize("fields, message", [
    (dict(files=["missing.txt"], text="Hi"), "give either FILES or --text, not both"),
    (dict(files=["missing.txt"], output=Path("o.txt"), out_dir=Path("out")),
     "give either -o or --out-dir, not both"),
    (dict(files=["missing.txt", "-"], out_dir=Path("out")),
     "--out-dir needs named files (stdin and --text have no name)"),
    (dict(files=["-", "missing.txt", "-"]), "stdin ('-') can be read only once"),
    (dict(files=["a/x.txt", "b/x.txt"], out_dir=Path("out")),
     "--out-dir would write x.txt twice; translate those files separately"),
    (dict(files=["missing.txt"], out_dir=Path("a-file")),
     "--out-dir a-file is a file, not a directory"),
    (dict(files=["missing.txt"], to=None), "missing --to: which language should I translate "
                                           "into?"),
    (dict(files=["missing.txt"], from_="xx"), "unknown source language 'xx'"),
    (dict(files=["missing.txt"], ctx=10), "--ctx 10: "),
    (dict(files=["missing.ass"]), "missing.ass: ASS/SSA subtitles"),  # by its name alone
])
def test_usage_errors_come_before_any_input_is_read(tmp_path, fields, message):
    (tmp_path / "a-file").write_text("not a directory\n")
    with pytest.raises(UsageError) as caught:
        run(**{"to": "fr", **fields})
    assert str(caught.value).startswith(message) and caught.value.exit_code == 2


def test_the_target_language_may_be_a_setting(monkeypatch, capfd):
    monkeypatch.setenv("LLAMAX_TO", "de")
    run(text="Good morning.", from_="en", dry_run=True)
    assert capfd.readouterr().out == prompt.build(EN, DE, "Good morning.") + "\n\n"


# -- --dry-run ----------------------------------------------------------------------------------

def test_dash_as_the_output_is_stdout(tmp_path, capfd):
    job = TranslateJob([], text="Good morning.", to="fr", from_="en", output=Path("-"),
                       dry_run=True)
    run_translate(job, lambda m: None)
    assert job.output is None and not (tmp_path / "-").exists()
    assert capfd.readouterr().out == prompt.build(EN, FR, "Good morning.") + "\n\n"


def test_dry_run_json_gives_a_record_per_prompt_and_skips_what_passes_through(tmp_path, capfd):
    (tmp_path / "en.txt").write_text("Good morning, my friend.\n\n" + ENGLISH)
    (tmp_path / "fr.txt").write_text(FRENCH)
    notes = run(files=["fr.txt", "en.txt"], to="fr", dry_run=True, as_json=True)
    records = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert records == [
        {"file": "en.txt", "index": 0, "line": 1,
         "prompt": prompt.build(EN, FR, "Good morning, my friend.")},
        {"file": "en.txt", "index": 1, "line": 3, "prompt": prompt.build(EN, FR, ENGLISH.strip())},
    ]
    assert "fr.txt is already in French: passing it through unchanged" in notes


def test_dry_run_with_an_unreadable_input_prints_the_others_then_names_it(tmp_path, capfd):
    (tmp_path / "a.txt").write_text("Good morning.\n")
    with pytest.raises(LlamaxError) as caught:
        run(files=["a.txt", "missing.txt"], to="fr", from_="en", dry_run=True)
    # Nothing was translated, so nothing says "the other input was translated".
    assert str(caught.value) == "missing.txt: no such file"
    assert capfd.readouterr().out == prompt.build(EN, FR, "Good morning.") + "\n\n"


# -- inputs passed through: no engine at all ----------------------------------------------------

def test_an_input_already_in_the_target_language_is_copied_in_its_encoding(tmp_path, capfd):
    data = b"\xff\xfe" + "Bonjour à tous.\n\nÀ bientôt.\n".encode("utf-16-le")
    (tmp_path / "in.txt").write_bytes(data)
    notes = run(files=["in.txt"], to="fr", from_="fr", output=Path("out.txt"))
    assert (tmp_path / "out.txt").read_bytes() == data
    assert capfd.readouterr().out == ""
    assert notes == ["in.txt is already in French: passing it through unchanged"]


def test_json_records_of_inputs_passed_through_have_every_key(tmp_path, capfd):
    (tmp_path / "emoji.txt").write_text("🙂 42\n")
    (tmp_path / "fr.txt").write_text(FRENCH)
    run(files=["emoji.txt", "fr.txt"], to="fr", from_="fr", as_json=True)
    no_text, same = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert set(no_text) == set(same)  # one shape of record, whatever path a unit took
    assert no_text == {
        "file": "emoji.txt", "index": None, "line": 1, "source": "🙂 42\n",
        "translation": "🙂 42\n", "source_language": "fr", "confidence": None,
        "target_language": "fr", "status": "no-text",
        "note": "nothing to translate (no words outside code, numbers and symbols)",
        "attempts": 0, "prompt_tokens": 0, "tokens": 0, "seconds": 0.0, "score": None,
        "alternatives": [], "memory": None}
    assert (same["file"], same["source"], same["translation"]) == (
        "fr.txt", FRENCH.strip(), FRENCH.strip())


# -- whole jobs through a scripted engine -------------------------------------------------------

@pytest.fixture(scope="module")
def engine_server():
    server = StandIn()
    yield server
    server.close()


@pytest.fixture
def scripted(engine_server):
    """The stand-in as an engine that answers ANSWER to every prompt (in two chunks);
    `.finish("length")` makes every answer one cut at the token limit."""
    engine_server.reset()

    def answer(finish: str = "stop"):
        engine_server.answers[("POST", "/v1/completions")] = Answer(events=[
            text_event(ANSWER[:7]), text_event(ANSWER[7:], finish), sse("[DONE]")])

    engine_server.answers[("GET", "/v1/models")] = Answer(body={"data": [
        {"id": "stub", "max_model_len": 2048}]})
    answer()
    engine_server.finish = answer
    return engine_server


def test_a_text_is_translated_to_stdout_through_the_engine(scripted, capfd):
    notes = run(text="Good morning.\n\nSee you soon.", to="fr", from_="en",
                api_base=scripted.url)
    assert capfd.readouterr().out == f"{ANSWER}\n\n{ANSWER}\n"
    assert notes == []
    prompts = [body["prompt"] for method, path, _, body in scripted.requests
               if path == "/v1/completions"]
    assert sorted(prompts) == sorted([prompt.build(EN, FR, "Good morning."),
                                      prompt.build(EN, FR, "See you soon.")])


def test_json_gives_one_record_per_unit(scripted, capfd):
    run(text="Good morning.", to="fr", from_="en", api_base=scripted.url, as_json=True)
    [record] = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert {key: record[key] for key in ("file", "index", "line", "source", "translation",
                                         "source_language", "confidence", "target_language",
                                         "status", "note", "attempts", "score",
                                         "alternatives")} == {
        "file": "--text", "index": 0, "line": 1, "source": "Good morning.",
        "translation": ANSWER, "source_language": "en", "confidence": None,
        "target_language": "fr", "status": "ok", "note": "", "attempts": 1, "score": None,
        "alternatives": []}
    assert record["tokens"] > 0 and record["seconds"] >= 0


def test_each_file_goes_to_its_own_output(scripted, tmp_path, capfd):
    (tmp_path / "a.txt").write_text("Good morning.\n")
    (tmp_path / "b.md").write_text("# Hello\n")
    run(files=["a.txt", "b.md"], to="fr", from_="en", api_base=scripted.url,
        out_dir=Path("out/fr"))
    assert (tmp_path / "out/fr/a.txt").read_text() == f"{ANSWER}\n"
    assert (tmp_path / "out/fr/b.md").read_text() == f"# {ANSWER}\n"
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("names, said", [
    (["a.txt", "missing.txt"], "missing.txt: no such file (the other input was translated)"),
    (["missing.txt", "a.txt", "b.txt"],
     "missing.txt: no such file (the other 2 inputs were translated)"),
])
def test_an_unreadable_input_is_named_after_the_others_are_translated(scripted, tmp_path,
                                                                      names, said):
    (tmp_path / "a.txt").write_text("Good morning.\n")
    (tmp_path / "b.txt").write_text("See you soon.\n")
    with pytest.raises(LlamaxError) as caught:
        run(files=names, to="fr", from_="en", api_base=scripted.url, out_dir=Path("out"))
    assert type(caught.value) is LlamaxError and str(caught.value) == said
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        sorted(n for n in names if n != "missing.txt")


@pytest.mark.parametrize("text, quiet, summary", [
    ("Good morning.", False,
     "done, but 1 of 1 unit needs a look (1 truncated): see the notes above, or --json"),
    ("Good morning.\nSee you soon.", True,
     "done, but 2 of 2 units need a look (2 truncated): run without -q for the notes, or "
     "--json"),
])
def test_units_with_problems_end_the_job_with_a_summary(scripted, capfd, text, quiet,
                                                        summary):
    scripted.finish("length")
    notes = []
    with pytest.raises(DoneWithProblems) as caught:
        run(notes, text=text, to="fr", from_="en", api_base=scripted.url, quiet=quiet)
    assert str(caught.value) == summary and caught.value.exit_code == 3
    assert capfd.readouterr().out.count(ANSWER) == text.count("\n") + 1  # all written
    assert [note.split(": ")[:2] for note in notes] == [
        [f"--text:{line}", "truncated"] for line in range(1, text.count("\n") + 2)]


def test_problems_and_an_unreadable_input_end_with_the_error_after_the_summary(
        scripted, tmp_path):
    (tmp_path / "a.txt").write_text("Good morning.\n")
    scripted.finish("length")
    notes = []
    with pytest.raises(LlamaxError) as caught:
        run(notes, files=["a.txt", "missing.txt"], to="fr", from_="en", api_base=scripted.url,
            out_dir=Path("out"))
    assert type(caught.value) is LlamaxError  # exit 1: the lost input outranks the problems
    assert str(caught.value) == "missing.txt: no such file (the other input was translated)"
    assert notes[-1] == ("done, but 1 of 1 unit needs a look (1 truncated): see the notes "
                         "above, or --json")


# -- several targets ----------------------------------------------------------------------------

class CountingEngine:
    """An engine in-process that answers each prompt with its target language's name, and
    counts the targets whose requests are in flight at once. With `wait_for_another`, a
    request waits (up to WAIT seconds, never when the targets run side by side) for one of
    another target to come."""

    WAIT = 20
    n_ctx = 2048

    def __init__(self):
        self.in_flight: collections.Counter = collections.Counter()
        self.most = 0  # targets in flight at once, at most
        self.changed = threading.Condition()
        self.wait_for_another = False
        self.loads: list[int] = []  # the units each load was sized for
        self.on_request = lambda: None

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def generate(self, requests, sampling, cancel=None):
        done = 0
        while done < len(requests):
            target = requests[done].prompt.split(" to ")[1].split(".")[0]  # "... to German."
            self.on_request()
            with self.changed:
                self.in_flight[target] += 1
                self.most = max(self.most, len(+self.in_flight))
                self.changed.notify_all()
                if self.wait_for_another:
                    self.changed.wait_for(lambda: self.most > 1, timeout=self.WAIT)
            try:
                yield Event(done, target, done=True, finish_reason="stop", n_prompt_tokens=9,
                            n_tokens=1)
            finally:
                with self.changed:
                    self.in_flight[target] -= 1
            done += 1

    def close(self) -> None:
        pass


@pytest.fixture
def counting(monkeypatch):
    engine = CountingEngine()

    def open_engine(model, settings, **kwargs):
        engine.loads.append(kwargs["units"])
        return engine

    monkeypatch.setattr(translate_job, "open_engine", open_engine)
    return engine


def test_the_units_of_every_target_share_one_engine_at_once(counting, capfd):
    counting.wait_for_another = True
    run(text="Good morning.", to=["fr,de", "French"], from_="en", no_server=True, as_json=True)
    records = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert counting.loads == [2]  # one load, for both targets' units
    assert counting.most == 2  # a French unit and a German one were in flight together
    assert [(r["to"], r["target_language"], r["translation"]) for r in records] == [
        ("fr", "fr", "French"), ("de", "de", "German")]  # in the order given, each whole


def test_several_targets_to_stdout_are_one_block_each_after_a_header(counting, tmp_path,
                                                                     capfd):
    (tmp_path / "a.txt").write_text("Good morning.\n\nSee you soon.\n")
    (tmp_path / "b.txt").write_text(FRENCH)
    notes = run(files=["a.txt", "b.txt"], to="de,fr", from_="auto", no_server=True)
    out, err = capfd.readouterr()
    assert out == "German\n\nGerman\nFrench\n\nFrench\n" + "German\n" + FRENCH
    assert err.splitlines() == ["==> a.txt (de) <==", "==> a.txt (fr) <==",
                                "==> b.txt (de) <==", "==> b.txt (fr) <=="]
    assert "b.txt is already in French: passing it through unchanged" in notes
    assert counting.loads == [2 * 2 + 1]  # b.txt into French needs no engine


def test_a_target_whose_output_fails_is_named_and_the_others_are_written(counting, tmp_path):
    for lang in ("fr", "de", "sw"):
        (tmp_path / "out" / lang).mkdir(parents=True)
    # Once the work has begun, German's folder goes away (with the file being written in it).
    counting.on_request = lambda: (tmp_path / "out/de").exists() and \
        (tmp_path / "out/de").rename(tmp_path / "gone")
    with pytest.raises(LlamaxError) as caught:
        run(text="Good morning.", to="fr,de,sw", from_="en", no_server=True,
            output=Path("out/{lang}/note.txt"))
    assert type(caught.value) is LlamaxError and str(caught.value) == (
        "cannot write out/de/note.txt: No such file or directory (the other 2 translations "
        "were written)")
    assert [(tmp_path / f"out/{lang}/note.txt").read_text() for lang in ("fr", "sw")] == [
        "French\n", "Swahili\n"]
    assert not (tmp_path / "out/de").exists()


def test_several_targets_through_a_running_server(engine_server, capfd):
    engine_server.reset()
    engine_server.answers[("POST", "/llamax/translate")] = Answer(body="".join(
        json.dumps(record) + "\n" for record in [
            {"text": ANSWER}, {"unit": {"index": 0, "line": 1, "source": "Good morning.",
                                        "translation": ANSWER, "status": "ok"}},
            {"done": True}]))
    run(text="Good morning.", to="sw,fr", from_="en", server=engine_server.root, as_json=True)
    records = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert [(r["to"], r["translation"]) for r in records] == [("sw", ANSWER), ("fr", ANSWER)]
    bodies = [body for _, path, _, body in engine_server.requests]
    assert sorted(body["target"] for body in bodies) == ["fr", "sw"]  # one request each


def test_dry_run_prints_every_targets_prompts(capfd):
    run(text="Good morning.", to="fr,de", from_="en", dry_run=True)
    out, err = capfd.readouterr()
    assert out == "".join(prompt.build(EN, tgt, "Good morning.") + "\n\n" for tgt in (FR, DE))
    assert err == "==> fr <==\n==> de <==\n"


# -- several inputs -----------------------------------------------------------------------------

class FilesEngine:
    """An engine in-process that counts the documents being translated at once; each waits
    (up to WAIT seconds, never when the inputs run side by side) until `expect` have come."""

    WAIT = 20
    n_ctx = 2048

    def __init__(self, expect: int):
        self.expect, self.now, self.most = expect, 0, 0
        self.changed = threading.Condition()

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def generate(self, requests, sampling, cancel=None):
        with self.changed:
            self.now += 1
            self.most = max(self.most, self.now)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.most >= self.expect, timeout=self.WAIT)
        try:
            for done, request in enumerate(requests):
                source = request.prompt.rsplit("\n", 3)[-2]  # the unit, as the template puts it
                yield Event(done, f"[fr] {source}", done=True, finish_reason="stop",
                            n_prompt_tokens=9, n_tokens=1)
        finally:
            with self.changed:
                self.now -= 1

    def close(self) -> None:
        pass


@pytest.mark.parametrize("as_json", [False, True])
def test_the_units_of_several_files_share_the_engine_at_once(monkeypatch, tmp_path, capfd,
                                                             as_json):
    # 12 one-line files: their translations run together (cli/targets.py Lookahead), and each
    # output is still its own input's, written whole and in order.
    engine = FilesEngine(expect=12)
    monkeypatch.setattr(translate_job, "open_engine", lambda model, settings, **kw: engine)
    names = [f"f{i:02}.txt" for i in range(12)]
    for i, name in enumerate(names):
        (tmp_path / name).write_text(f"Sentence number {i} is here.\n")
    if as_json:
        run(files=names, to="fr", from_="en", no_server=True, as_json=True)
        records = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
        assert [r["file"] for r in records] == names
    else:
        run(files=names, to="fr", from_="en", no_server=True, out_dir=Path("out"))
        for i, name in enumerate(names):
            assert (tmp_path / "out" / name).read_text().startswith("[fr] ")
            assert f"number {i} " in (tmp_path / "out" / name).read_text()
    assert engine.most == 12
