"""`llamax serve`: the LibreTranslate HTTP API over one warm Translator.

Existing clients work unmodified (libretranslatepy, Mastodon, Weblate, Discourse, browser
extensions): parameters come as JSON, form fields or the query string; `q` may be a list
(JSON), and the answer mirrors its shape; errors are `{"error": message}` with LibreTranslate's
statuses (400 bad input or limit, 403 bad key, 429 queue full, 503 not ready). A flood gets
429s, never unbounded memory: at most `queue` requests are admitted at once. Concurrent
requests share the engine's continuous batch. A client that disconnects cancels its work.
Beyond LibreTranslate, `POST /llamax/translate` streams a whole document's pieces and unit
results as JSON lines, which `llamax translate --server URL` renders like a local run.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import tempfile
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from llamax_cli import languages, translate
from llamax_cli.errors import Busy, LlamaxError, UsageError
from llamax_cli.languages import Language
from llamax_cli.service import Cancelled, Translator

# LibreTranslate's own spellings, besides every spelling `--to` accepts.
_ALIASES = {"zt": "zh-Hant", "pb": "pt-BR", "zh-hant": "zh-Hant", "zh-hans": "zh"}
FILE_FORMATS = (".txt", ".md", ".srt", ".html", ".htm")


@dataclass
class Limits:
    char_limit: int = 5000  # characters per text; -1: none
    batch_limit: int = 64  # texts per request; -1: none
    queue: int = 64  # requests admitted at once (running or waiting); more get 429
    body_bytes: int = 2 * 2**20  # request body size


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def resolve_code(code: Any, what: str) -> Language:
    if code is not None and not isinstance(code, str):
        raise ApiError(400, f"Invalid request: {what} must be a language code (a string)")
    if code is None or not code.strip():
        raise ApiError(400, f"Invalid request: missing {what} parameter")
    try:
        return languages.resolve(_ALIASES.get(code.strip().lower(), code.strip()), option=what)
    except UsageError as exc:
        raise ApiError(400, f"{what} language {code} is not supported ({exc})") from None


def lt_code(lang: Language) -> str:
    return lang.code


async def read_params(request: Request, body_limit: int) -> dict:
    """JSON bodies as JSON; anything else as form fields; the query string underneath both."""
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > body_limit:
        if int(size) <= 8 * body_limit:
            # Read what is coming and drop it: a client still sending when the answer comes
            # would see a reset connection instead of the 413. Far larger bodies are not read.
            async for _ in request.stream():
                pass
        raise ApiError(413, f"Invalid request: the body exceeds {body_limit} bytes")
    params: dict = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        raw = await request.body()
        if len(raw) > body_limit:
            raise ApiError(413, f"Invalid request: the body exceeds {body_limit} bytes")
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
        params.update(body)
    elif ctype.startswith("multipart/form-data"):
        form = await request.form()
        for key, value in form.multi_items():
            params[key] = value
    elif request.method == "POST":
        # Form-encoded, parsed here as UTF-8: a client that sends raw UTF-8 bytes instead of
        # %-escapes (curl -d) must not get mojibake.
        raw = await request.body()
        if len(raw) > body_limit:
            raise ApiError(413, f"Invalid request: the body exceeds {body_limit} bytes")
        try:
            params.update(urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError(400, "Invalid request: the form body is not UTF-8") from None
    return params


def files_folder() -> Path:
    """A fresh folder for translated files, named after this process. Folders left by a
    server that was killed (SIGKILL leaves no chance to clean up) are removed first."""
    import os
    import re
    import shutil

    root = Path(tempfile.gettempdir())
    for old in root.glob("llamax-serve-*"):
        match = re.match(r"llamax-serve-(\d+)-", old.name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"llamax-serve-{os.getpid()}-"))


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: not ours to judge
    return True


class Api:
    """The routes' logic, separate from FastAPI's wiring."""

    def __init__(self, translator: Optional[Translator], limits: Limits,
                 api_keys: Optional[list[str]] = None):
        self.translator = translator
        self.model_name = "llamax"  # the model's name on the OpenAI-compatible routes
        self.beams = 1  # --beams: every request's beam width (alternatives may ask more)
        self.check_language = True  # the check_language setting (language_check.py)
        self.glossary = None  # --glossary: applied to every request
        self.limits = limits
        self.api_keys = api_keys or []
        self._admitted = 0
        self._lock = threading.Lock()
        self.files = files_folder()

    # -- admission -------------------------------------------------------------------------

    def check_key(self, params: dict) -> None:
        if not self.api_keys:
            return
        given = str(params.get("api_key") or "")
        # compare_digest with every key: the time taken says nothing about which matched.
        matched = [hmac.compare_digest(given.encode(), key.encode()) for key in self.api_keys]
        if not any(matched):
            raise ApiError(403, "Invalid API key" if given else "Please provide an API key")

    def admit(self) -> None:
        if self.translator is None:
            raise ApiError(503, "The model is still loading; try again in a moment")
        with self._lock:
            if self._admitted >= self.limits.queue:
                raise ApiError(429, f"Slowdown: {self._admitted} requests are already queued")
            self._admitted += 1

    def release(self) -> None:
        with self._lock:
            self._admitted -= 1

    @property
    def admitted(self) -> int:
        return self._admitted

    # -- /translate --------------------------------------------------------------------------

    def texts(self, params: dict) -> tuple[list[str], bool]:
        q = params.get("q")
        if q is None or q == "" or q == []:
            raise ApiError(400, "Invalid request: missing q parameter")
        batch = isinstance(q, list)
        texts = q if batch else [q]
        if not all(isinstance(t, str) for t in texts):
            raise ApiError(400, "Invalid request: q must be a string or a list of strings")
        if batch and self.limits.batch_limit != -1 and len(texts) > self.limits.batch_limit:
            raise ApiError(400, f"Invalid request: request ({len(texts)}) exceeds text limit "
                                f"({self.limits.batch_limit})")
        longest = max(len(t) for t in texts)
        if self.limits.char_limit != -1 and longest > self.limits.char_limit:
            raise ApiError(400, f"Invalid request: request ({longest}) exceeds character limit "
                                f"({self.limits.char_limit})")
        return texts, batch

    def translate(self, params: dict, cancel: threading.Event) -> dict:
        texts, batch = self.texts(params)
        source = params.get("source") or "auto"
        src = None if str(source).lower() == "auto" else resolve_code(source, "source")
        tgt = resolve_code(params.get("target"), "target")
        fmt = str(params.get("format") or "text").lower()
        if fmt not in ("text", "html"):
            raise ApiError(400, f"Invalid request: format {fmt} is not text or html")
        options = self.options(params.get("alternatives"))
        alternatives = options.alternatives
        results = self.translator.translate_texts(texts, src, tgt, fmt=fmt, cancel=cancel,
                                                  options=options)
        answer: dict = {"translatedText": [r.text for r in results] if batch else results[0].text}
        if src is None:
            detected = [{"confidence": round(100 * r.detection.confidence, 1)
                         if r.detection else 0.0, "language": lt_code(r.source)}
                        for r in results]
            answer["detectedLanguage"] = detected if batch else detected[0]
        if alternatives > 0:
            alts = [[a["translation"] for a in r.alternatives[:alternatives]] for r in results]
            answer["alternatives"] = alts if batch else alts[0]
        return answer

    def options(self, alternatives: Any, beams: Any = None, **more) -> translate.Options:
        """Options for a request: the server's beam width, widened to what the request asks
        (its own beams, or K alternatives: K + 1 beams)."""
        try:
            alternatives, beams = int(alternatives or 0), int(beams or 1)
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid request: alternatives and beams must be numbers") \
                from None
        if alternatives < 0 or beams < 1:
            raise ApiError(400, "Invalid request: alternatives must be 0 or more, beams 1 or more")
        beams = max(self.beams, beams, alternatives + 1 if alternatives else 1)
        engine = getattr(self.translator, "engine", None)
        if engine is None:
            raise ApiError(503, "The model is still loading; try again in a moment")
        if beams > 1 and getattr(engine, "scheduler", None) is None:
            raise ApiError(400, "Invalid request: this server translates through a remote "
                                "engine, which has no beam search (alternatives need it)")
        slots = getattr(engine, "n_parallel", 1)
        if beams > slots:
            raise ApiError(400, f"Invalid request: {beams} beams need as many slots; this "
                                f"server has {slots} (start it with a larger --parallel)")
        more.setdefault("glossary", self.glossary)
        return translate.Options(beams=beams, alternatives=alternatives,
                                 check_language=self.check_language, **more)

    # -- /detect, /languages, settings -----------------------------------------------------------

    def detect(self, params: dict) -> list:
        texts, _ = self.texts(params)
        found = Translator.detect(texts[0])
        # The best answer carries the calibrated confidence; the others their probability.
        return [{"confidence": round(100 * (found.confidence if k == 0 else p), 1),
                 "language": code} for k, (code, p) in enumerate(found.candidates[:3])]

    @staticmethod
    def languages() -> list:
        langs = languages.all_languages()
        codes = [lt_code(lang) for lang in langs]
        return [{"code": lt_code(lang), "name": lang.name, "targets": codes} for lang in langs]

    def settings(self) -> dict:
        return {"charLimit": self.limits.char_limit, "batchLimit": self.limits.batch_limit,
                "frontendTimeout": 500, "apiKeys": bool(self.api_keys),
                "keyRequired": bool(self.api_keys), "suggestions": False,
                "filesTranslation": True, "supportedFilesFormat": list(FILE_FORMATS),
                "language": {"source": {"code": "auto", "name": "Auto Detect"},
                             "target": {"code": "en", "name": "English"}}}


def create_app(api: Api) -> FastAPI:
    app = FastAPI(title="llamax", docs_url=None, redoc_url=None, openapi_url=None)
    _add_error_handlers(app)
    run_admitted = _admission(api)
    _add_api_routes(app, api, run_admitted)
    _add_file_routes(app, api, run_admitted)
    from llamax_cli.server_openai import add_openai_routes
    from llamax_cli.server_stream import add_stream_route

    add_stream_route(app, api)
    add_openai_routes(app, api)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _any_error(request, exc):  # never a traceback, never an HTML page
        return JSONResponse({"error": f"internal error: {exc}"}, status_code=500)


def _admission(api: Api):
    """Runs blocking work for an admitted request in the thread pool, cancelled when the
    client disconnects, with the engine's errors turned into API errors."""

    async def run_admitted(request: Request, params: dict, work) -> Any:
        api.check_key(params)
        api.admit()
        cancel = threading.Event()
        watcher = asyncio.create_task(watch_disconnect(request, cancel))
        try:
            return await run_in_threadpool(work, cancel)
        except Busy as exc:
            raise ApiError(429, f"Slowdown: {exc}") from None
        except Cancelled:
            raise ApiError(499, "the client went away") from None
        except LlamaxError as exc:
            raise ApiError(500, str(exc)) from None
        finally:
            watcher.cancel()
            api.release()

    return run_admitted


def _add_api_routes(app: FastAPI, api: Api, run_admitted) -> None:
    @app.api_route("/translate", methods=["POST", "GET"])
    async def translate_route(request: Request):
        params = await read_params(request, api.limits.body_bytes)
        return await run_admitted(request, params, lambda cancel: api.translate(params, cancel))

    @app.api_route("/detect", methods=["POST", "GET"])
    async def detect_route(request: Request):
        params = await read_params(request, api.limits.body_bytes)
        api.check_key(params)
        return await run_in_threadpool(api.detect, params)  # long text: not on the event loop

    @app.get("/languages")
    async def languages_route():
        return api.languages()

    @app.get("/frontend/settings")
    async def settings_route():
        return api.settings()

    @app.get("/health")
    async def health_route():
        ready = api.translator is not None
        body = {"status": "ok" if ready else "loading"}
        if ready:  # beyond LibreTranslate's answer: how busy the engine is
            body.update(api.translator.load(), admitted=api.admitted)
        return JSONResponse(body, status_code=200 if ready else 503)


def _add_file_routes(app: FastAPI, api: Api, run_admitted) -> None:
    @app.post("/translate_file")
    async def translate_file_route(request: Request):
        params = await read_params(request, api.limits.body_bytes)
        upload = params.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise ApiError(400, "Invalid request: missing file parameter")
        name = Path(upload.filename or "file.txt").name
        if Path(name).suffix.lower() not in FILE_FORMATS:
            raise ApiError(400, f"Invalid request: {name} is not one of {', '.join(FILE_FORMATS)}")
        data = await upload.read()

        def work(cancel):
            return translate_file(api, data, name, params, cancel)

        path = await run_admitted(request, params, work)
        base = str(request.base_url).rstrip("/")
        return {"translatedFileUrl": f"{base}/download_file/{path.parent.name}/{path.name}"}

    @app.get("/download_file/{token}/{name}")
    async def download_route(token: str, name: str):
        path = api.files / Path(token).name / Path(name).name
        if not path.is_file():
            raise ApiError(404, "Not found")
        return FileResponse(path, filename=name)


def translate_file(api: Api, data: bytes, name: str, params: dict, cancel) -> Path:
    from llamax_cli.segment import segment
    from llamax_cli.textio import decode, encoder

    try:
        text, encoding, bom = decode(data, name)
    except LlamaxError as exc:
        raise ApiError(400, f"Invalid request: {exc}") from None
    source = params.get("source") or "auto"
    tgt = resolve_code(params.get("target"), "target")
    doc = segment(text, "auto", name)
    if str(source).lower() == "auto":
        found = Translator.detect(" ".join(u.source for u in doc.units)[:10_000])
        src = found.language or tgt
    else:
        src = resolve_code(source, "source")
    pieces = api.translator.translate_document(doc, src, tgt, cancel=cancel)
    out = "".join(p for p in pieces if isinstance(p, str))
    folder = api.files / uuid.uuid4().hex
    folder.mkdir()
    target = folder / f"{Path(name).stem}.{tgt.code}{Path(name).suffix}"
    target.write_bytes(encoder(encoding, bom)(out))
    return target


async def watch_disconnect(request: Request, cancel: threading.Event) -> None:
    while not cancel.is_set():
        if await request.is_disconnected():
            cancel.set()
            return
        await asyncio.sleep(0.25)
