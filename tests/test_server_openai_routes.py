"""server/openai_routes.py's helpers, without a server: stop strings cut across streamed
pieces, a completion request's parameters read and checked, what is not supported refused,
and the API key taken from `Authorization: Bearer`. The routes run end to end in
tests/test_server_edge.py (refusals over HTTP) and tests/test_server_app.py."""

from __future__ import annotations

import pytest

from llamax_cli.engine import Sampling
from llamax_cli.server import openai_routes
from llamax_cli.server.errors import ApiError
from llamax_cli.server.openai_routes import StopScanner


def scan(stops, pieces) -> tuple[str, list[str], bool]:
    scanner = StopScanner(stops)
    out = [scanner.feed(piece) for piece in pieces]
    return "".join(out) + scanner.finish(), out, scanner.hit


def test_without_stops_every_piece_passes_at_once():
    text, out, hit = scan([], ["Hel", "lo", " world"])
    assert out == ["Hel", "lo", " world"] and text == "Hello world" and not hit


def test_a_stop_inside_a_piece_cuts_there_and_ends_the_text():
    text, out, hit = scan(["\n\n"], ["Bonjour.\n\nTranslate", " more"])
    assert text == "Bonjour." and hit and out[1] == ""


def test_a_stop_split_across_pieces_is_held_back_then_cut():
    text, out, hit = scan(["###"], ["Hallo #", "#", "# rest"])
    assert text == "Hallo " and hit
    assert out[0] == "Hallo"  # its last len("###") - 1 characters could begin the stop: held


def test_a_tail_that_never_becomes_a_stop_comes_out_in_the_end():
    text, out, hit = scan(["###"], ["a ##", "b", " #"])
    assert text == "a ##b #" and not hit
    assert "".join(out) == "a ##b"  # the last " #" waited for finish()


def test_the_earliest_of_several_stops_wins_and_empty_stops_are_ignored():
    text, _, hit = scan(["", "END", "\n"], ["one\ntwo END"])
    assert text == "one" and hit


def args(params: dict, n_ctx: int = 512):
    return openai_routes._completion_args(params, n_ctx)


def test_completion_defaults_are_openais():
    prompt, max_tokens, stops, sampling, penalty = args({"prompt": "Hi"})
    assert (prompt, max_tokens, stops, sampling, penalty) == ("Hi", 16, [], Sampling(1.0, 0), 1.0)


def test_completion_parameters_are_read_and_max_tokens_fits_the_context():
    prompt, max_tokens, stops, sampling, penalty = args(
        {"prompt": ["Only one"], "max_tokens": "5000", "stop": "\n", "temperature": "0",
         "seed": 42, "repetition_penalty": 1.1})
    assert (prompt, max_tokens, stops) == ("Only one", 512, ["\n"])
    assert sampling == Sampling(0.0, 42) and penalty == pytest.approx(1.1)
    assert args({"prompt": "x", "repeat_penalty": 1.3, "repetition_penalty": 1.1})[4] == 1.3


@pytest.mark.parametrize("params, field", [
    ({"prompt": ["one", "two"]}, "prompt"), ({"prompt": 5}, "prompt"), ({}, "prompt"),
    ({"prompt": "x", "stop": 5}, "stop"), ({"prompt": "x", "stop": ["a", 1]}, "stop"),
    ({"prompt": "x", "max_tokens": "many"}, "max_tokens"),
    ({"prompt": "x", "max_tokens": 0}, "max_tokens"),
    ({"prompt": "x", "temperature": -1}, "temperature"),
    ({"prompt": "x", "temperature": "nan"}, "temperature"),
    ({"prompt": "x", "seed": "s"}, "seed"),
])
def test_bad_completion_parameters_are_400s_naming_the_field(params, field):
    with pytest.raises(ApiError) as caught:
        args(params)
    assert caught.value.status == 400 and caught.value.param == field
    assert field in str(caught.value)


@pytest.mark.parametrize("params", [
    {}, {"model": "gemma"}, {"model": ""}, {"n": 1}, {"best_of": 1}, {"logprobs": None},
    {"logprobs": False}, {"echo": False}, {"suffix": ""}, {"suffix": None},
])
def test_what_this_server_does_is_accepted(params):
    openai_routes._refuse_unsupported(params, "gemma")


@pytest.mark.parametrize("params, field", [
    ({"n": 2}, "n"), ({"n": True}, "n"), ({"n": 1.0}, "n"), ({"best_of": 2}, "best_of"),
    ({"logprobs": 0}, "logprobs"), ({"logprobs": True}, "logprobs"), ({"echo": True}, "echo"),
    ({"suffix": "!"}, "suffix"),
])
def test_what_it_does_not_do_is_refused_naming_the_field(params, field):
    with pytest.raises(ApiError) as caught:
        openai_routes._refuse_unsupported(params, "gemma")
    exc = caught.value
    assert (exc.status, exc.param, exc.code) == (400, field, "unsupported_parameter")
    assert str(exc).startswith(f"{field}=")


def test_another_model_is_a_404_naming_the_served_one():
    with pytest.raises(ApiError) as caught:
        openai_routes._refuse_unsupported({"model": "gpt-4"}, "gemma")
    exc = caught.value
    assert (exc.status, exc.param, exc.code) == (404, "model", "model_not_found")
    assert str(exc) == "The model `gpt-4` does not exist; this server serves `gemma`"


class FakeRequest:
    def __init__(self, headers: dict):
        self.headers = headers


def test_a_bearer_token_is_the_api_key_unless_one_is_sent():
    bearer = FakeRequest({"authorization": "Bearer  sk-123 "})
    assert openai_routes._bearer(bearer, {"prompt": "x"}) == {"prompt": "x", "api_key": "sk-123"}
    assert openai_routes._bearer(FakeRequest({"authorization": "bearer k"}), {})["api_key"] == "k"
    assert openai_routes._bearer(bearer, {"api_key": "own"}) == {"api_key": "own"}
    assert openai_routes._bearer(FakeRequest({"authorization": "Basic abc"}), {}) == {}
    params = {"prompt": "x"}
    openai_routes._bearer(bearer, params)
    assert params == {"prompt": "x"}  # the caller's dict is left as it was
