"""server/request.py: language codes as LibreTranslate clients spell them, and a request's
parameters from the query string, JSON, form and multipart bodies, within the body limit.
read_params runs in a one-route app in-process (no model); tests/test_server_edge.py sends
huge and slow bodies to a real server."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from llamax_cli.server.errors import ApiError, add_error_handlers
from llamax_cli.server.request import merge, read_params, resolve_code

LIMIT = 1000


@pytest.mark.parametrize("code, expected", [
    ("zt", "zh-Hant"), ("pb", "pt"), ("ZT", "zh-Hant"), ("zh-hans", "zh"), ("ZH-HANT", "zh-Hant"),
    ("en", "en"), (" fr ", "fr"), ("French", "fr"), ("pt-BR", "pt"), ("zh-TW", "zh-Hant"),
])
def test_resolve_code_takes_libretranslates_spellings_and_ours(code, expected):
    assert resolve_code(code, "target").code == expected


@pytest.mark.parametrize("code, message", [
    (None, "Invalid request: missing source parameter"),
    ("", "Invalid request: missing source parameter"),
    ("   ", "Invalid request: missing source parameter"),
    (5, "Invalid request: source must be a language code (a string)"),
    (["en"], "Invalid request: source must be a language code (a string)"),
    ("xx", "source language xx is not supported (unknown source 'xx'; see `llamax languages`)"),
])
def test_bad_codes_are_400s_naming_the_parameter(code, message):
    with pytest.raises(ApiError) as caught:
        resolve_code(code, "source")
    assert caught.value.status == 400 and str(caught.value) == message


def test_merge_makes_a_repeated_q_a_list_and_keeps_the_last_of_other_fields():
    params = {"source": "auto"}
    merge(params, [("q", "one"), ("target", "de"), ("q", "two"), ("target", "fr")])
    assert params == {"source": "auto", "q": ["one", "two"], "target": "fr"}
    single = {}
    merge(single, [("q", "only")])
    assert single == {"q": "only"}
    untouched = {"q": "kept"}
    merge(untouched, [("format", "text")])
    assert untouched == {"q": "kept", "format": "text"}


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    add_error_handlers(app)

    @app.api_route("/params", methods=["GET", "POST"])
    async def params_route(request: Request):
        return await read_params(request, LIMIT)

    with TestClient(app) as test_client:
        yield test_client


def test_query_string_alone_and_under_a_json_body(client):
    assert client.get("/params?q=a&q=b&target=de").json() == {"q": ["a", "b"], "target": "de"}
    answer = client.post("/params?target=de&source=en",
                         json={"q": ["Hallo"], "target": "fr", "alternatives": 2}).json()
    assert answer == {"q": ["Hallo"], "target": "fr", "source": "en", "alternatives": 2}


def test_a_form_body_is_read_as_utf8_even_unescaped(client):
    raw = "q=Grüße aus Köln&q=Tschüss&source=de&empty=".encode()
    answer = client.post("/params", content=raw,
                         headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
    assert answer == {"q": ["Grüße aus Köln", "Tschüss"], "source": "de", "empty": ""}


def test_multipart_fields_are_params(client):
    answer = client.post("/params", data={"source": "en", "target": "fr"},
                         files={"file": ("a.txt", b"Hello", "text/plain")}).json()
    assert answer["source"] == "en" and answer["target"] == "fr" and "file" in answer


@pytest.mark.parametrize("body, content_type, message", [
    (b"{not json", "application/json", "Invalid request: the body is not valid JSON"),
    (b"\xff\xfe", "application/json", "Invalid request: the body is not valid JSON"),
    (b'["a", "b"]', "application/json", "Invalid request: the JSON body must be an object"),
    (b'{"q": "\\ud800"}', "application/json", "Invalid request: the JSON body holds a lone "
                                               "surrogate (\\ud800-\\udfff), which is not text"),
    (b"q=\xff", "application/x-www-form-urlencoded",
     "Invalid request: the form body is not UTF-8"),
])
def test_bodies_that_are_not_what_they_claim_are_400s(client, body, content_type, message):
    response = client.post("/params", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400 and response.json() == {"error": message}


def test_an_empty_json_body_is_no_parameters(client):
    response = client.post("/params?target=de", content=b"",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {"target": "de"}


def test_a_body_over_the_limit_is_a_413_with_or_without_a_length(client):
    big = json.dumps({"q": "x" * LIMIT}).encode()
    declared = client.post("/params", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json() == {"error": f"Invalid request: the body exceeds {LIMIT} bytes"}

    def pieces():  # no Content-Length: the body is counted as it comes
        for i in range(0, len(big), 100):
            yield big[i:i + 100]

    chunked = client.post("/params", content=pieces(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    at_limit = json.dumps({"q": "x" * (LIMIT - 9)}).encode()
    assert len(at_limit) == LIMIT
    assert client.post("/params", content=at_limit,
                       headers={"Content-Type": "application/json"}).status_code == 200
