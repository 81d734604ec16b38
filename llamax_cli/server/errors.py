"""Error answers of `llamax serve`, in the shape each client family reads.

LibreTranslate routes answer `{"error": message}` (LibreTranslate's own shape, which its
clients print). Everything under `/v1` answers OpenAI's `{"error": {"message", "type",
"param", "code"}}`: the openai SDK and other OpenAI clients read the message from there (a bare
string leaves them with "Error code: 400"). The shape follows the path, so 404/405 from the
router, 413/414 from the limits and 500s take the right one too. 429 and 503 carry
`Retry-After`, which well-behaved clients (llamax's remote engine among them) wait for.
"""

from __future__ import annotations

from typing import Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

# Seconds a client should wait before trying again: a queue place frees within a unit's
# decode; a model loads within seconds.
RETRY_AFTER = {429: 1, 503: 2}
_OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                 403: "authentication_error", 404: "not_found_error",
                 405: "invalid_request_error", 408: "timeout_error",
                 413: "invalid_request_error", 414: "invalid_request_error",
                 429: "rate_limit_error", 499: "cancelled_error", 503: "unavailable_error"}
_OPENAI_CODES = {403: "invalid_api_key", 404: "not_found", 405: "method_not_allowed",
                 408: "request_timeout", 413: "request_too_large", 414: "uri_too_long",
                 429: "rate_limit_exceeded", 503: "unavailable"}


class ApiError(Exception):
    """An answer with an error status and extra headers (Retry-After). `param` names the
    offending field (OpenAI's `param`); `code` overrides the OpenAI code the status implies."""

    def __init__(self, status: int, message: str, headers: Optional[dict] = None, *,
                 param: Optional[str] = None, code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.headers = headers
        self.param = param
        self.code = code


def is_openai_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def openai_error(status: int, message: str, param: Optional[str] = None,
                 code: Optional[str] = None) -> dict:
    return {"error": {"message": message,
                      "type": _OPENAI_TYPES.get(status, "server_error" if status >= 500
                                                else "invalid_request_error"),
                      "param": param, "code": code or _OPENAI_CODES.get(status)}}


def error_response(path: str, status: int, message: str, *, param: Optional[str] = None,
                   code: Optional[str] = None, headers: Optional[dict] = None) -> JSONResponse:
    body = (openai_error(status, message, param, code) if is_openai_path(path)
            else {"error": message})
    headers = dict(headers or {})
    if status in RETRY_AFTER:
        headers.setdefault("Retry-After", str(RETRY_AFTER[status]))
    return JSONResponse(body, status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return error_response(request.url.path, exc.status, str(exc), param=exc.param,
                              code=exc.code, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc):
        return error_response(request.url.path, exc.status_code, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _any_error(request, exc):  # never a traceback, never an HTML page
        return error_response(request.url.path, 500, f"internal error: {exc}")
