"""A whole document through a running `llamax serve`: `POST /llamax/translate` on the server
(server_client.RemoteTranslator is the CLI's side, which renders it like a local run).

The CLI segments and chooses the source language locally (Translator.choose_source, as the
server), then sends the text, its format and that language (and each unit's, for a mixed
document); a client may send "auto" instead, and the server chooses with the same policy. The
server segments the text the same way, translates it in its shared batch, and streams JSON
lines:
{"text": piece}, {"retract": text}, {"unit": UnitResult fields}, and at the end
{"done": true} or {"error": message, "status": code}.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import queue
import threading

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine import Sampling
from llamax_cli.formats import registry
from llamax_cli.formats.segment import segment
from llamax_cli.server.errors import ApiError
from llamax_cli.server.lifecycle import CLIENT_GONE, api_error, watch_disconnect
from llamax_cli.server.request import read_params, resolve_code
from llamax_cli.service import pipeline
from llamax_cli.service.glossary import Glossary
from llamax_cli.service.translator import Translator

END = object()  # a worker's last item for its response
_END = END


def add_stream_route(app, api) -> None:

    @app.post("/llamax/translate")
    async def stream_route(request: Request):
        params = await read_params(request, api.limits.body_bytes)
        cancel = await api.enter(params)  # the key first; then a place, and the model
        try:
            # off the event loop: segmenting and detecting a long document take a while
            doc, src, tgt, options, per_unit = await run_in_threadpool(_job, api, params)
        except BaseException:
            api.release(cancel)
            raise
        lines: queue.Queue = queue.Queue(maxsize=256)

        def emit(item) -> None:
            hand_over(lines, item, cancel)

        def work():
            try:
                for piece in api.translator.translate_document(doc, src, tgt, options, per_unit,
                                                               cancel=cancel):
                    emit(_line(piece))
                emit(json.dumps({"done": True}) + "\n")
            except LlamaxError as exc:
                error = api_error(exc, cancel)
                emit(json.dumps({"error": str(error), "status": error.status}) + "\n")
            except Exception as exc:  # a bug: the client hears of it rather than a cut stream
                emit(json.dumps({"error": f"internal error: {exc!r}", "status": 500}) + "\n")
                raise
            finally:
                emit(_END)
                api.release(cancel)

        threading.Thread(target=work, name="llamax-stream", daemon=True).start()
        # The next line of a document may be a long unit away: a client that leaves in
        # between is noticed by its disconnect message, not at the next write.
        watcher = asyncio.create_task(watch_disconnect(request, cancel))

        async def body():
            try:
                while True:
                    line = await run_in_threadpool(next_line, lines, cancel)
                    if line is _END:
                        return
                    yield line
            finally:
                # The stream ended, or the client went away (then this runs under
                # cancellation: nothing here may await). The engine drops the rest of the
                # work at its next step, which frees its slots.
                watcher.cancel()
                cancel.cancel(CLIENT_GONE)

        return StreamingResponse(body(), media_type="application/x-ndjson")


def _job(api, params: dict):
    """The request's document, languages, options and per-unit sources, or a 400."""
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Invalid request: missing text parameter")
    tgt = resolve_code(params.get("target"), "target")
    source = params.get("source")
    auto = isinstance(source, str) and source.strip().lower() == "auto"
    src = None if auto else resolve_code(source, "source")
    per_unit = params.get("per_unit") or None
    if per_unit is not None and (auto or not isinstance(per_unit, list)):
        raise ApiError(400, "Invalid request: per_unit must be a list of language codes, "
                            "with a named source")
    per_unit = [resolve_code(code, "source") for code in per_unit] if per_unit else None
    fmt, name = params.get("format") or "auto", params.get("name")
    if fmt not in registry.names() or not (name is None or isinstance(name, str)):
        raise ApiError(400, f"Invalid request: format must be one of "
                            f"{', '.join(registry.names())}, and name a file name")
    doc = segment(text, fmt, name)
    if auto:  # the server chooses, as the CLI would (Translator.choose_source)
        choice = Translator.choose_source(doc, None, name or "the text", undetected=tgt)
        src, per_unit = choice.language or tgt, choice.per_unit
    if per_unit is not None and len(per_unit) != len(doc.units):
        raise ApiError(400, "Invalid request: per_unit does not match the document's units")
    options = api.options(params.get("alternatives"), params.get("beams"),
                          max_tokens=_count(params.get("max_tokens"), "max_tokens"),
                          sampling=_sampling(params), live=bool(params.get("live")),
                          glossary=_glossary(params.get("glossary"), api.glossary))
    return doc, src, tgt, options, per_unit


def _count(value, name: str):
    """A whole number of at least 1, or None (absent)."""

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f"Invalid request: {name} must be a whole number of at least 1")
    return value


def _sampling(params: dict) -> Sampling:

    try:
        temperature, seed = float(params.get("temperature") or 0.0), int(params.get("seed") or 0)
    except (TypeError, ValueError):
        raise ApiError(400, "Invalid request: temperature and seed must be numbers") from None
    if not 0 <= temperature < float("inf"):
        raise ApiError(400, "Invalid request: temperature must be 0 or more")
    return Sampling(temperature, seed)


def _glossary(sent, own):
    """The client's glossary ({keep: [...], pairs: {source: target}}), else the server's."""
    if not sent:
        return own

    if not isinstance(sent, dict):
        raise ApiError(400, "Invalid request: glossary must be {keep: [terms], pairs: "
                            "{source: target}}")
    keep, pairs = sent.get("keep") or [], sent.get("pairs") or {}
    if not (isinstance(keep, list) and isinstance(pairs, dict)
            and all(isinstance(t, str) and t for t in [*keep, *pairs, *pairs.values()])):
        raise ApiError(400, "Invalid request: glossary must be {keep: [terms], pairs: "
                            "{source: target}}")
    return Glossary(tuple(keep), {s.casefold(): t for s, t in pairs.items()})


def next_line(lines: queue.Queue, cancel):
    """The worker's next line, or the end once the client is gone (the worker then drops
    what it would hand over, its end marker included)."""
    while CLIENT_GONE not in cancel.reasons:
        try:
            return lines.get(timeout=0.25)
        except queue.Empty:
            continue
    return _END


def hand_over(lines: queue.Queue, item, cancel) -> None:
    """Hand an item to a response's queue; once the client is gone, drop it instead. (A
    request cancelled because the server stops still gets its last lines: the error.)"""
    while CLIENT_GONE not in cancel.reasons:
        try:
            lines.put(item, timeout=0.5)
            return
        except queue.Full:
            continue


def _line(piece) -> str:
    if isinstance(piece, pipeline.UnitResult):
        return json.dumps({"unit": dataclasses.asdict(piece)}, ensure_ascii=False) + "\n"
    if isinstance(piece, pipeline.Retract):
        return json.dumps({"retract": piece.text}, ensure_ascii=False) + "\n"
    return json.dumps({"text": piece}, ensure_ascii=False) + "\n"


