"""server/stream.py's helpers, without a server: handing lines between the worker and the
response (which must never block once the client is gone), and reading a document request
into its parts, or a 400. The route itself streams end to end in tests/test_server_app.py."""

from __future__ import annotations

import json
import queue
import threading

import pytest

from llamax_cli.core.cancel import CancelToken
from llamax_cli.engine import Sampling
from llamax_cli.formats import registry
from llamax_cli.server import stream
from llamax_cli.server.errors import ApiError
from llamax_cli.server.lifecycle import CLIENT_GONE, SHUTDOWN
from llamax_cli.service import pipeline
from llamax_cli.service.glossary import Glossary


def in_thread(target, *args) -> tuple[list, threading.Thread]:
    """Start target(*args) on a thread: a list that will hold its result, and the thread (a
    test joins it with a timeout, so a call that would block forever fails, not hangs)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(target(*args)), daemon=True)
    thread.start()
    return result, thread


def test_hand_over_then_next_line_pass_items_in_order():
    lines, cancel = queue.Queue(maxsize=4), CancelToken()
    for item in ("a", "b", stream.END):
        stream.hand_over(lines, item, cancel)
    assert [stream.next_line(lines, cancel) for _ in range(3)] == ["a", "b", stream.END]


def test_a_full_queue_stops_blocking_the_worker_once_the_client_is_gone():
    lines, cancel = queue.Queue(maxsize=1), CancelToken()
    stream.hand_over(lines, "first", cancel)
    result, worker = in_thread(stream.hand_over, lines, "second", cancel)
    cancel.cancel(CLIENT_GONE)
    worker.join(timeout=30)
    assert not worker.is_alive() and result == [None]
    assert list(lines.queue) == ["first"]  # the second was dropped, not queued
    stream.hand_over(lines, "third", cancel)  # nothing blocks any more
    assert list(lines.queue) == ["first"]


def test_a_server_stop_still_delivers_the_last_lines():
    lines, cancel = queue.Queue(maxsize=4), CancelToken()
    cancel.cancel(SHUTDOWN)  # not the client: its error line must reach it
    stream.hand_over(lines, "error line", cancel)
    assert stream.next_line(lines, cancel) == "error line"


def test_the_reader_ends_when_the_client_is_gone_even_while_waiting():
    lines, cancel = queue.Queue(maxsize=4), CancelToken()
    result, reader = in_thread(stream.next_line, lines, cancel)
    cancel.cancel(CLIENT_GONE)
    reader.join(timeout=30)
    assert not reader.is_alive() and result == [stream.END]
    lines.put("late")
    assert stream.next_line(lines, cancel) is stream.END  # nobody reads it any more


class FakeApi:
    """What _job asks of the server: its options (recorded) and its glossary."""

    def __init__(self, glossary=None):
        self.glossary = glossary
        self.asked = None

    def options(self, alternatives, beams, **more):
        self.asked = dict(alternatives=alternatives, beams=beams, **more)
        return pipeline.Options()


def job(params: dict, api: FakeApi | None = None):
    return stream._job(api or FakeApi(), params)


def test_a_document_request_is_segmented_with_its_languages_and_options():
    api = FakeApi()
    params = {"text": "Hello.\n\nGood bye.\n", "source": "en", "target": "fr",
              "format": "text", "per_unit": ["en", "de"], "max_tokens": 64,
              "temperature": 0.5, "seed": 7, "live": 1, "alternatives": 2, "beams": 3}
    doc, src, tgt, options, per_unit = job(params, api)
    assert [unit.source for unit in doc.units] == ["Hello.", "Good bye."]
    assert (src.code, tgt.code) == ("en", "fr")
    assert [lang.code for lang in per_unit] == ["en", "de"]
    assert isinstance(options, pipeline.Options)
    assert api.asked == {"alternatives": 2, "beams": 3, "max_tokens": 64,
                         "sampling": Sampling(0.5, 7), "live": True, "glossary": None}


def test_a_request_without_a_glossary_gets_the_servers_and_a_sent_one_is_casefolded():
    own = Glossary(("llamax",), {})
    api = FakeApi(own)
    job({"text": "Hi", "source": "en", "target": "fr"}, api)
    assert api.asked["glossary"] is own
    job({"text": "Hi", "source": "en", "target": "fr",
         "glossary": {"keep": ["GGUF"], "pairs": {"Queue": "file"}}}, api)
    assert api.asked["glossary"] == Glossary(("GGUF",), {"queue": "file"})


@pytest.mark.parametrize("change, message", [
    ({"text": ""}, "missing text parameter"),
    ({"text": None}, "missing text parameter"),
    ({"text": ["a"]}, "missing text parameter"),
    ({"target": None}, "missing target parameter"),
    ({"source": "xx"}, "source language xx is not supported"),
    ({"source": "auto", "per_unit": ["en"]}, "per_unit must be a list of language codes"),
    ({"per_unit": "en"}, "per_unit must be a list of language codes"),
    ({"per_unit": ["en", "de"]}, "per_unit does not match the document's units"),
    ({"format": "pdf"}, f"format must be one of {', '.join(registry.names())}"),
    ({"name": 5}, f"format must be one of {', '.join(registry.names())}, and name a file name"),
    ({"max_tokens": 0}, "max_tokens must be a whole number of at least 1"),
    ({"max_tokens": True}, "max_tokens must be a whole number of at least 1"),
    ({"max_tokens": "64"}, "max_tokens must be a whole number of at least 1"),
    ({"temperature": "hot"}, "temperature and seed must be numbers"),
    ({"seed": [1]}, "temperature and seed must be numbers"),
    ({"temperature": -0.1}, "temperature must be 0 or more"),
    ({"temperature": "inf"}, "temperature must be 0 or more"),
    ({"glossary": ["GGUF"]}, "glossary must be {keep: [terms], pairs: {source: target}}"),
    ({"glossary": {"keep": "GGUF"}}, "glossary must be"),
    ({"glossary": {"pairs": {"a": ""}}}, "glossary must be"),
])
def test_bad_document_requests_are_400s_saying_what_is_wrong(change, message):
    params = {"text": "Hello there.", "source": "en", "target": "fr", **change}
    with pytest.raises(ApiError) as caught:
        job(params)
    assert caught.value.status == 400 and message in str(caught.value)


def test_a_line_is_one_json_record_per_piece():
    assert json.loads(stream._line("Grüße")) == {"text": "Grüße"}
    assert "Grüße" in stream._line("Grüße")  # UTF-8 as it is, not \\u escapes
    assert json.loads(stream._line(pipeline.Retract("Hal"))) == {"retract": "Hal"}
    assert stream._line("x").endswith("\n") and stream._line("x").count("\n") == 1
