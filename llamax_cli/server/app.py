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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from llamax_cli.core import config, languages
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.languages import Language
from llamax_cli.core.textio import decode, encoder
from llamax_cli.formats import registry
from llamax_cli.formats.segment import segment
from llamax_cli.server.edge import add_edge
from llamax_cli.server.errors import ApiError, add_error_handlers
from llamax_cli.server.files import FileStore
from llamax_cli.server.lifecycle import Lifecycle, api_error, watch_disconnect
from llamax_cli.server.openai_routes import add_openai_routes
from llamax_cli.server.request import read_params, resolve_code
from llamax_cli.server.stream import add_stream_route
from llamax_cli.service import pipeline
from llamax_cli.service.translator import Translator



@dataclass
class Limits:
    char_limit: int = 5000  # characters per text; -1: none
    batch_limit: int = 64  # texts per request; -1: none
    queue: int = 64  # requests admitted at once (running or waiting); more get 429
    body_bytes: int = 2 * 2**20  # request body size
    grace: float = 30.0  # seconds a stop lets requests in flight finish (server/lifecycle.py)
    # The HTTP edge (server/edge.py, server/files.py):
    cors_origins: tuple = ("*",)  # origins whose pages may read the answers; (): no CORS
    public_url: Optional[str] = None  # translatedFileUrl's base; None: a relative URL
    file_ttl: float = 1800.0  # seconds a translated file stays downloadable
    file_store_bytes: int = 256 * 2**20  # translated files kept at most (oldest go first)


def lt_code(lang: Language) -> str:
    return lang.code


class Api:
    """The routes' logic, separate from FastAPI's wiring."""

    def __init__(self, translator: Optional[Translator], limits: Limits,
                 api_keys: Optional[list[str]] = None):
        self.translator = translator
        self.model_name = "llamax"  # the model's name on the OpenAI-compatible routes
        self.beams = 1  # --beams: every request's beam width (alternatives may ask more)
        self.check_language = True  # the check_language setting (service/language_check.py)
        self.glossary = None  # --glossary: applied to every request
        self.limits = limits
        self.api_keys = api_keys or []
        self.lifecycle = Lifecycle(limits.queue)  # admission, loading, stopping
        self.file_store = FileStore(limits.file_ttl, limits.file_store_bytes)
        self.files = self.file_store.folder  # removed when the server stops

    # -- admission -------------------------------------------------------------------------

    def check_key(self, params: dict) -> None:
        if not self.api_keys:
            return
        given = str(params.get("api_key") or "")
        # compare_digest with every key: the time taken says nothing about which matched.
        matched = [hmac.compare_digest(given.encode(), key.encode()) for key in self.api_keys]
        if not any(matched):
            raise ApiError(403, "Invalid API key" if given else "Please provide an API key")

    async def enter(self, params: dict):
        """Check the key, admit the request and wait for the model: its CancelToken, which
        the caller hands back to `release`."""
        self.check_key(params)
        return await self.lifecycle.enter()

    def release(self, token) -> None:
        self.lifecycle.release(token)

    @property
    def admitted(self) -> int:
        return self.lifecycle.admitted

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
        if fmt not in registry.names():  # LibreTranslate's text and html, and every other
            raise ApiError(400, f"Invalid request: format {fmt} is not one of "
                                f"{', '.join(registry.names())}")
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

    def options(self, alternatives: Any, beams: Any = None, **more) -> pipeline.Options:
        """The server's beam width, widened to the request's: beams asked for outright must
        fit (else 400); K alternatives get up to K + 1 beams, as many as there are slots, so
        fewer alternatives or none (a remote engine has no beams), as LibreTranslate answers
        (its web page always asks for 3: a 400 would leave it unable to translate)."""
        try:
            alternatives = int(alternatives or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "Invalid request: alternatives must be a number") from None
        if alternatives < 0:
            raise ApiError(400, "Invalid request: alternatives must be 0 or more")
        try:  # the limits of --beams, LLAMAX_BEAMS and the config file (core/config.py)
            beams = 1 if beams in (None, "") else config.check_value("beams", beams)
        except UsageError as exc:
            raise ApiError(400, f"Invalid request: beams {beams}: {exc}") from None
        beams = max(self.beams, beams)
        engine = getattr(self.translator, "engine", None)
        if engine is None:
            raise ApiError(503, "The model is still loading; try again in a moment")
        local = getattr(engine, "scheduler", None) is not None
        if beams > 1 and not local:
            raise ApiError(400, "Invalid request: this server translates through a remote "
                                "engine, which has no beam search")
        slots = getattr(engine, "max_beams", 1)  # sequences: --parallel, and at least 4
        if beams > slots:
            raise ApiError(400, f"Invalid request: {beams} beams need as many sequences; this "
                                f"server has {slots} (start it with a larger --parallel)")
        if alternatives and local:
            beams = max(beams, min(alternatives + 1, slots))
        more.setdefault("glossary", self.glossary)
        return pipeline.Options(beams=beams, alternatives=alternatives,
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
                "filesTranslation": True, "supportedFilesFormat": list(registry.file_extensions()),
                "language": {"source": {"code": "auto", "name": "Auto Detect"},
                             "target": {"code": "en", "name": "English"}}}


def create_app(api: Api) -> FastAPI:
    app = FastAPI(title="llamax", docs_url=None, redoc_url=None, openapi_url=None)
    add_error_handlers(app)  # server/errors.py: LibreTranslate's shape, OpenAI's under /v1
    add_edge(app, api.limits.cors_origins, api.limits.queue)  # CORS, URL and in-flight limits
    run_admitted = _admission(api)
    _add_api_routes(app, api, run_admitted)
    _add_file_routes(app, api, run_admitted)

    add_stream_route(app, api)
    add_openai_routes(app, api)
    return app


def _admission(api: Api):
    """Runs blocking work for an admitted request in the thread pool, cancelled when the
    client disconnects, with the engine's errors turned into API errors."""

    async def run_admitted(request: Request, params: dict, work) -> Any:
        cancel = await api.enter(params)
        watcher = asyncio.create_task(watch_disconnect(request, cancel))
        try:
            return await run_in_threadpool(work, cancel)
        except (ApiError, LlamaxError) as exc:
            raise api_error(exc, cancel) from None
        finally:
            watcher.cancel()
            api.release(cancel)

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
        """Liveness: 200 while loading ("loading": requests wait for the model) and serving
        ("ok"), 503 once stopping. Beyond LibreTranslate's answer: how busy the engine is."""
        state = api.lifecycle.state
        body = {"status": state}
        if api.translator is not None:
            body.update(api.translator.load())
        body["admitted"] = api.admitted
        return JSONResponse(body, status_code=503 if state == "stopping" else 200)

    @app.get("/ready")
    async def ready_route():
        """Readiness (for load balancers and orchestrators): 200 only while the model is
        loaded and the server is not stopping."""
        state = api.lifecycle.state
        return JSONResponse({"ready": state == "ok", "status": state},
                            status_code=200 if state == "ok" else 503)


def _add_file_routes(app: FastAPI, api: Api, run_admitted) -> None:
    @app.post("/translate_file")
    async def translate_file_route(request: Request):
        params = await read_params(request, api.limits.body_bytes)
        upload = params.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise ApiError(400, "Invalid request: missing file parameter")
        name = Path(upload.filename or "file.txt").name
        if Path(name).suffix.lower() not in registry.file_extensions():
            raise ApiError(400, f"Invalid request: {name} is not one of "
                                f"{', '.join(registry.file_extensions())}")
        data = await upload.read()

        def work(cancel):
            return translate_file(api, data, name, params, cancel)

        link = await run_admitted(request, params, work)
        # Never from the Host header, which the client chooses (server/files.py).
        return {"translatedFileUrl": f"{api.limits.public_url or ''}/download_file/{link}"}

    @app.get("/download_file/{token}/{name}")
    async def download_route(token: str, name: str):
        path = api.file_store.find(token, name)
        if path is None:
            raise ApiError(404, "Not found (translated files are kept "
                                f"{api.limits.file_ttl:g} seconds)")
        return FileResponse(path, filename=name)


def translate_file(api: Api, data: bytes, name: str, params: dict, cancel) -> str:
    """Translates an uploaded file and keeps the result: its link below /download_file/."""
    try:
        text, encoding, bom = decode(data, name)
    except LlamaxError as exc:
        raise ApiError(400, f"Invalid request: {exc}") from None
    limit = api.limits.char_limit
    if limit != -1 and len(text) > limit:  # as /translate's: the file is the request's text
        raise ApiError(400, f"Invalid request: request ({len(text)}) exceeds character limit "
                            f"({limit})")
    source = params.get("source") or "auto"
    tgt = resolve_code(params.get("target"), "target")
    try:
        doc = segment(text, "auto", name)
    except LlamaxError as exc:  # a file its own format refuses (an invalid PO)
        raise ApiError(400, f"Invalid request: {exc}") from None
    named = None if str(source).lower() == "auto" else resolve_code(source, "source")
    choice = Translator.choose_source(doc, named, name, undetected=tgt)  # as the CLI chooses
    pieces = api.translator.translate_document(doc, choice.language or tgt, tgt,
                                               per_unit=choice.per_unit, cancel=cancel)
    out = "".join(p for p in pieces if isinstance(p, str))
    suffix = ".po" if Path(name).suffix.lower() == ".pot" else Path(name).suffix  # a catalog
    return api.file_store.save(f"{Path(name).stem}.{tgt.code}{suffix}",
                               encoder(encoding, bom)(out))
