"""server/errors.py: an error's shape follows its path (LibreTranslate's {"error": message};
OpenAI's {"error": {message, type, param, code}} under /v1), 429 and 503 say when to retry,
and the handlers give every failure that shape. A small app in-process, no model."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from llamax_cli.server.errors import (
    RETRY_AFTER,
    ApiError,
    add_error_handlers,
    error_response,
    is_openai_path,
    openai_error,
)


@pytest.mark.parametrize("path, openai", [
    ("/v1", True), ("/v1/", True), ("/v1/completions", True), ("/v1/models", True),
    ("/v10", False), ("/v1x/models", False), ("/translate", False), ("/", False),
    ("/llamax/v1", False),
])
def test_is_openai_path(path, openai):
    assert is_openai_path(path) is openai


@pytest.mark.parametrize("status, kind, code", [
    (400, "invalid_request_error", None), (401, "authentication_error", None),
    (403, "authentication_error", "invalid_api_key"), (404, "not_found_error", "not_found"),
    (413, "invalid_request_error", "request_too_large"),
    (429, "rate_limit_error", "rate_limit_exceeded"), (499, "cancelled_error", None),
    (503, "unavailable_error", "unavailable"), (500, "server_error", None),
    (502, "server_error", None), (422, "invalid_request_error", None),
])
def test_openai_error_type_and_code_follow_the_status(status, kind, code):
    assert openai_error(status, "went wrong") == {"error": {
        "message": "went wrong", "type": kind, "param": None, "code": code}}


def test_openai_error_names_the_param_and_a_code_overrides_the_status():
    error = openai_error(404, "no such model", param="model", code="model_not_found")["error"]
    assert (error["param"], error["code"], error["type"]) == (
        "model", "model_not_found", "not_found_error")


def test_error_response_is_libretranslates_shape_outside_v1():
    response = error_response("/translate", 400, "Invalid request: missing q parameter")
    assert response.status_code == 400
    assert json.loads(response.body) == {"error": "Invalid request: missing q parameter"}
    assert "retry-after" not in response.headers


def test_error_response_is_openais_shape_under_v1():
    response = error_response("/v1/completions", 400, "n=2 is not supported", param="n",
                              code="unsupported_parameter")
    assert json.loads(response.body)["error"] == {
        "message": "n=2 is not supported", "type": "invalid_request_error", "param": "n",
        "code": "unsupported_parameter"}


@pytest.mark.parametrize("status", sorted(RETRY_AFTER))
def test_busy_and_unavailable_say_when_to_retry(status):
    response = error_response("/translate", status, "busy")
    assert response.headers["retry-after"] == str(RETRY_AFTER[status])
    assert RETRY_AFTER == {429: 1, 503: 2}
    # A Retry-After the caller chose is kept, and other headers pass through.
    response = error_response("/v1/models", status, "busy",
                              headers={"Retry-After": "9", "Connection": "close"})
    assert response.headers["retry-after"] == "9" and response.headers["connection"] == "close"


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    add_error_handlers(app)

    @app.get("/translate")
    async def translate():
        raise ApiError(429, "the queue is full")

    @app.get("/v1/models")
    async def models():
        raise ApiError(400, "bad field", param="field", code="unsupported_parameter")

    @app.get("/crash")
    async def crash():
        raise RuntimeError("boom")

    @app.get("/v1/crash")
    async def crash_v1():
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_api_error_is_answered_in_the_shape_of_its_path(client):
    response = client.get("/translate")
    assert response.status_code == 429 and response.json() == {"error": "the queue is full"}
    assert response.headers["retry-after"] == "1"
    response = client.get("/v1/models")
    assert response.status_code == 400
    assert response.json()["error"] == {"message": "bad field", "type": "invalid_request_error",
                                        "param": "field", "code": "unsupported_parameter"}


def test_router_errors_take_the_shape_too(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.json() == {"error": "Not Found"}
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"
    assert response.json()["error"]["code"] == "not_found"
    response = client.post("/v1/models")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_bug_is_a_json_500_never_a_traceback(client):
    response = client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"error": "internal error: boom"}
    response = client.get("/v1/crash")
    assert response.status_code == 500 and response.json()["error"]["type"] == "server_error"
