"""OpenAI-compatible completions on `llamax serve`: `/v1/models`, `/v1/completions` (streamed
or not) and `/tokenize`, so that another llamax (`--api-base http://host:5000/v1`) or any
OpenAI client can use this server's warm model as a remote engine.

Prompts are completed as sent (no template), in the engine's shared batch with every other
caller's units. `stop` strings are honoured here (held back while a piece could still become
one). A client that disconnects cancels its request and frees its slot. API keys, when the
server has them, come as `Authorization: Bearer KEY` (or `api_key`, as LibreTranslate's).
Errors are OpenAI's `{"error": {"message", "type", "param", "code"}}` (server/errors.py); what
this server does not do (`n` > 1, `best_of`, `logprobs`, `echo`, `suffix`) is a 400 naming
the field, and a model other than the one served a 404, as OpenAI and vLLM answer.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from llamax_cli.engine import Request as EngineRequest
from llamax_cli.engine import Sampling
from llamax_cli.core.errors import LlamaxError
from llamax_cli.server.errors import ApiError, error_response, openai_error
from llamax_cli.server.lifecycle import CLIENT_GONE, api_error, watch_disconnect
from llamax_cli.server.request import read_params
from llamax_cli.server.stream import END as _END
from llamax_cli.server.stream import hand_over

_FINISH = {"eog": "stop", "stop": "stop", "length": "length"}


class StopScanner:
    """Cuts generated text at the first stop string, holding back a tail that could still
    become one."""

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.buffer = ""
        self.hit = False

    def feed(self, piece: str) -> str:
        if self.hit:
            return ""
        self.buffer += piece
        found = [i for i in (self.buffer.find(s) for s in self.stops) if i >= 0]
        if found:
            self.hit = True
            out, self.buffer = self.buffer[:min(found)], ""
            return out
        cut = max(len(self.buffer) - self.hold, 0)
        out, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return out

    def finish(self) -> str:
        out, self.buffer = ("" if self.hit else self.buffer), ""
        return out


def _bearer(request: Request, params: dict) -> dict:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and not params.get("api_key"):
        params = {**params, "api_key": auth[7:].strip()}
    return params


def _refuse_unsupported(params: dict, served: str) -> None:
    """What this server does not do is refused, naming the field, rather than ignored: a
    client asking for 3 completions or for logprobs must not take one without them for an
    answer. An unknown model is OpenAI's and vLLM's 404."""
    model = params.get("model")
    if model and model != served:
        raise ApiError(404, f"The model `{model}` does not exist; this server serves "
                            f"`{served}`", param="model", code="model_not_found")
    for field, fine in (("n", (None, 1)), ("best_of", (None, 1)), ("logprobs", (None, False)),
                        ("echo", (None, False)), ("suffix", (None, ""))):
        value = params.get(field)
        if not any(value is ok or (value == ok and type(value) is type(ok)) for ok in fine):
            raise ApiError(400, f"{field}={json.dumps(value)} is not supported by this server "
                                f"(one completion per request, no logprobs, no echo, no "
                                f"suffix)", param=field, code="unsupported_parameter")


def _number(params: dict, field: str, kind, default):
    value = params.get(field)
    try:
        return default if value is None else kind(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{field} must be a number", param=field) from None


def _completion_args(params: dict, n_ctx: int):
    prompt = params.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ApiError(400, "prompt must be a string (one prompt per request)", param="prompt")
    stop = params.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not (isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        raise ApiError(400, "stop must be a string or a list of strings", param="stop")
    max_tokens = _number(params, "max_tokens", int, 16)
    temperature = _number(params, "temperature", float, 1.0)
    seed = _number(params, "seed", int, 0)
    penalty = (_number(params, "repeat_penalty", float, None)
               or _number(params, "repetition_penalty", float, None) or 1.0)
    if max_tokens < 1:
        raise ApiError(400, "max_tokens must be at least 1", param="max_tokens")
    if not 0 <= temperature < float("inf"):
        raise ApiError(400, "temperature must be at least 0", param="temperature")
    return prompt, min(max_tokens, n_ctx), stop, Sampling(temperature, seed), penalty


def add_openai_routes(app, api) -> None:
    def engine():
        if api.translator is None:
            raise ApiError(503, "The model is still loading; try again in a moment")
        return api.translator.engine

    @app.get("/v1/models")
    async def models_route(request: Request):
        api.check_key(_bearer(request, dict(request.query_params)))
        e = engine()
        return {"object": "list", "data": [{
            "id": api.model_name, "object": "model", "owned_by": "llamax",
            "max_model_len": e.n_ctx}]}

    @app.post("/tokenize")
    async def tokenize_route(request: Request):
        params = _bearer(request, await read_params(request, api.limits.body_bytes))
        api.check_key(params)
        text = params.get("content", params.get("prompt"))
        if not isinstance(text, str):
            raise ApiError(400, "content must be a string")
        e = engine()
        if hasattr(e, "tokenize"):
            return {"tokens": await run_in_threadpool(e.tokenize, text, add_special=False)}
        return {"count": await run_in_threadpool(e.count_tokens, text)}

    @app.post("/v1/completions")
    async def completions_route(request: Request):
        params = _bearer(request, await read_params(request, api.limits.body_bytes))
        cancel = await api.enter(params)  # the key, a place, the model; released on every path
        try:
            _refuse_unsupported(params, api.model_name)
            prompt, max_tokens, stops, sampling, penalty = _completion_args(params,
                                                                            engine().n_ctx)
            stream = params.get("stream", False)
            if not isinstance(stream, bool):
                raise ApiError(400, "stream must be true or false", param="stream")
        except BaseException:
            api.release(cancel)
            raise
        lines = _Lines(asyncio.get_running_loop(), cancel) if stream else queue.Queue(maxsize=256)
        meta = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion",
                "created": int(time.time()), "model": api.model_name}
        threading.Thread(target=_generate, name="llamax-openai", daemon=True,
                         args=(api, prompt, max_tokens, stops, sampling, penalty, cancel, lines,
                               meta, stream)).start()
        if stream:
            watcher = asyncio.create_task(watch_disconnect(request, cancel))
            return StreamingResponse(_sse(lines.queue, cancel, watcher),
                                     media_type="text/event-stream")
        watcher = asyncio.create_task(watch_disconnect(request, cancel))  # it cancels too
        try:
            result = await run_in_threadpool(_last, lines, cancel)
        finally:
            cancel.cancel(CLIENT_GONE)  # the answer is out, or the client gone: stop
            watcher.cancel()
        if "error" in result:
            return error_response(request.url.path, result["status"], result["error"])
        return result


def _generate(api, prompt, max_tokens, stops, sampling, penalty, cancel, lines, meta, stream):
    """Runs one completion on a worker thread, handing SSE lines (or the whole answer) over."""
    scanner = StopScanner(stops)
    request = EngineRequest(prompt, max_tokens, repeat_penalty=penalty,
                            should_stop=lambda: scanner.hit or cancel.is_set())
    text, reason, usage = [], "stop", {}

    def put(item) -> None:
        if isinstance(lines, _Lines):
            lines.put(item)
        else:
            hand_over(lines, item, cancel)

    def chunk(piece: str, finish=None) -> None:
        text.append(piece)
        if stream and (piece or finish):
            put({**meta, "choices": [{"text": piece, "index": 0, "logprobs": None,
                                      "finish_reason": finish}]})

    try:
        events = api.translator.engine.generate([request], sampling, cancel=cancel)
        try:
            for event in events:  # a set `cancel` ends this with Cancelled
                if event.done:
                    if event.finish_reason == "too-long":
                        raise _TooLong(event.n_prompt_tokens, api.translator.engine.n_ctx)
                    reason = "stop" if scanner.hit else _FINISH.get(event.finish_reason, "stop")
                    usage = _usage(api.translator.engine, prompt, event)
                else:
                    chunk(scanner.feed(event.text))
        finally:
            events.close()
        chunk(scanner.finish(), reason)
        put({**meta, "choices": [{"text": "".join(text), "index": 0, "logprobs": None,
                                  "finish_reason": reason}], "usage": usage}
            if not stream else {"usage": usage, **meta, "choices": []})
    except _TooLong as exc:
        put({"error": str(exc), "status": 400})
    except LlamaxError as exc:
        error = api_error(exc, cancel)
        put({"error": str(error), "status": error.status})
    finally:
        put(_END)
        api.release(cancel)


def _usage(engine, prompt: str, event) -> dict:
    """The engine's token counts. A remote engine whose server does not say how long the
    prompt was (llama-cpp-python's streams carry no usage) asks that server's tokenizer."""
    n_prompt = event.n_prompt_tokens
    if not n_prompt and getattr(engine, "tokenizes", False):
        n_prompt = engine.count_tokens(prompt)
    return {"prompt_tokens": n_prompt, "completion_tokens": event.n_tokens,
            "total_tokens": n_prompt + event.n_tokens}


class _TooLong(Exception):
    def __init__(self, n_prompt: int, n_ctx: int):
        # vLLM's wording, which clients (llamax's remote engine among them) recognise.
        super().__init__(f"This model's maximum context length is {n_ctx} tokens; the prompt "
                         f"has {n_prompt}")


def _last(lines: queue.Queue, cancel: threading.Event) -> dict:
    """The worker's last item. Once cancelled, the worker drops what it would hand over (its
    end marker too): stop waiting then, or this thread would wait forever."""
    result = {}
    while True:
        try:
            item = lines.get(timeout=0.25)
        except queue.Empty:
            if CLIENT_GONE in cancel.reasons:
                return {"error": "the client went away", "status": 499}
            continue
        if item is _END:
            return result
        result = item


class _Lines:
    """A stream's SSE items, handed from the worker thread straight to the event loop: no
    thread-pool hop per token (each one woke a thread beside llama.cpp's on the same cores).
    Once the client is gone, only the end marker still goes through."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cancel):
        self.loop, self.cancel = loop, cancel
        self.queue: asyncio.Queue = asyncio.Queue()  # at most max_tokens items: bounded

    def put(self, item) -> None:
        if item is not _END and CLIENT_GONE in self.cancel.reasons:
            return
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: the server has stopped
            pass


def _sse_line(item) -> str:
    if "error" in item:
        return f"data: {json.dumps(openai_error(item['status'], item['error']))}\n\n"
    return f"data: {json.dumps(item, ensure_ascii=False)}\n\n"


async def _sse(lines: asyncio.Queue, cancel, watcher: asyncio.Task):
    try:
        while True:
            ready = [await lines.get()]
            while not lines.empty():  # what came meanwhile goes out in one write
                ready.append(lines.get_nowait())
            end = _END in ready
            text = "".join(_sse_line(item) for item in ready if item is not _END)
            yield text + ("data: [DONE]\n\n" if end else "")
            if end:
                return
    finally:
        watcher.cancel()
        cancel.cancel(CLIENT_GONE)  # the stream ended or the client went away: stop generating
