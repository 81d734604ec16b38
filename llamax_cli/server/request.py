"""Reading a request's parameters on `llamax serve`, within its limits.

Bodies are counted as they arrive: a chunked body has no Content-Length to check first, so
reading it whole before checking would let one client fill memory (200 MB in, 413 out). Past
the limit nothing more is kept, and the answer is a 413. Up to `DRAIN_FACTOR` times the limit
the rest is read and dropped first, so that a client that sends its whole body before reading
(urllib, requests) gets the 413 rather than a reset connection; a body larger still is not
read on: the 413 closes the connection. Multipart uploads go through the same count before
the parser sees them. A client that sends nothing for `IDLE_TIMEOUT`
seconds in the middle of a body gets a 408: a slow trickle cannot hold a connection forever.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any, AsyncIterator, Iterable

from fastapi import Request
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from llamax_cli.core import languages
from llamax_cli.core.errors import UsageError
from llamax_cli.core.languages import Language
from llamax_cli.server.errors import ApiError

DRAIN_FACTOR = 8
IDLE_TIMEOUT = 15.0  # seconds without a byte in the middle of a request body
# LibreTranslate's own spellings, besides every spelling `--to` accepts.
_ALIASES = {"zt": "zh-Hant", "pb": "pt-BR", "zh-hant": "zh-Hant", "zh-hans": "zh"}


def _too_large(limit: int, drained: bool) -> ApiError:
    # Not drained: close, or uvicorn would read (and drop) the rest of the body.
    return ApiError(413, f"Invalid request: the body exceeds {limit} bytes",
                    None if drained else {"Connection": "close"})


async def _next_chunk(chunks: AsyncIterator[bytes]) -> bytes | None:
    """The next piece of the body, None at its end."""
    try:
        return await asyncio.wait_for(chunks.__anext__(), IDLE_TIMEOUT)
    except StopAsyncIteration:
        return None
    except asyncio.TimeoutError:
        raise ApiError(408, f"Invalid request: nothing of the body came for "
                            f"{IDLE_TIMEOUT:g} seconds") from None
    except ClientDisconnect:
        raise ApiError(499, "the client went away") from None


async def _drain(chunks: AsyncIterator[bytes], seen: int, limit: int) -> bool:
    """Reads and drops the rest of a body up to DRAIN_FACTOR * limit: whether it ended."""
    while seen <= DRAIN_FACTOR * limit:
        chunk = await _next_chunk(chunks)
        if chunk is None:
            return True
        seen += len(chunk)
    return False


async def limited_stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's pieces as they arrive, raising a 413 once more than `limit` bytes came."""
    chunks = request.stream().__aiter__()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, int(declared) <= DRAIN_FACTOR * limit
                         and await _drain(chunks, 0, limit))
    seen = 0
    while (chunk := await _next_chunk(chunks)) is not None:
        seen += len(chunk)
        if seen > limit:
            raise _too_large(limit, await _drain(chunks, seen, limit))
        yield chunk


async def read_body(request: Request, limit: int) -> bytes:
    return b"".join([chunk async for chunk in limited_stream(request, limit)])


def merge(params: dict, pairs: Iterable[tuple[str, object]]) -> None:
    """Form or query fields into `params`. A repeated `q` is a list of texts (as
    libretranslate-aio sends one), answered with a list; other repeated fields keep the
    last value."""
    texts = []
    for key, value in pairs:
        if key == "q":
            texts.append(value)
        else:
            params[key] = value
    if texts:
        params["q"] = texts if len(texts) > 1 else texts[0]


async def read_params(request: Request, body_limit: int) -> dict:
    """JSON bodies as JSON; anything else as form fields; the query string underneath both."""
    params: dict = {}
    merge(params, request.query_params.multi_items())
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        params.update(_json_object(await read_body(request, body_limit)))
    elif ctype.startswith("multipart/form-data"):
        parser = MultiPartParser(request.headers, limited_stream(request, body_limit),
                                 max_part_size=body_limit)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise ApiError(400, f"Invalid request: {exc.message}") from None
        merge(params, form.multi_items())
    elif request.method == "POST":
        # Form-encoded, parsed here as UTF-8: a client that sends raw UTF-8 bytes instead of
        # %-escapes (curl -d) must not get mojibake.
        raw = await read_body(request, body_limit)
        try:
            merge(params, urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError(400, "Invalid request: the form body is not UTF-8") from None
    return params


def _json_object(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid request: the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid request: the JSON body must be an object")
    try:  # "\ud800" is valid JSON but no text: every later encode would fail on it
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "Invalid request: the JSON body holds a lone surrogate "
                            "(\\ud800-\\udfff), which is not text") from None
    return body


def resolve_code(code: Any, what: str) -> Language:
    if code is not None and not isinstance(code, str):
        raise ApiError(400, f"Invalid request: {what} must be a language code (a string)")
    if code is None or not code.strip():
        raise ApiError(400, f"Invalid request: missing {what} parameter")
    try:
        return languages.resolve(_ALIASES.get(code.strip().lower(), code.strip()), option=what)
    except UsageError as exc:
        raise ApiError(400, f"{what} language {code} is not supported ({exc})") from None
