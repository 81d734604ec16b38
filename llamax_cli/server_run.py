"""Starting and stopping `llamax serve`: bind first (answering 503 while the model loads),
load the model once, serve until SIGTERM or Ctrl-C, then finish what is in flight and free
the engine. A running server leaves a note (URL, PID, model) in the user's cache dir, so
that `llamax translate` on the same machine can use the warm model."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Callable, Optional

from llamax_cli import config
from llamax_cli.errors import LlamaxError, UsageError


def discovery_file() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("LLAMAX_SERVE_FILE") or
                Path(user_cache_dir("llamax", appauthor=False)) / "serve.json")


def read_api_keys(path: Optional[Path]) -> list[str]:
    """One key per line; blank lines and # comments are skipped."""
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LlamaxError(f"cannot read the API keys file {path}: {exc.strerror}") from None
    keys = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not keys:
        raise UsageError(f"the API keys file {path} holds no key")
    return keys


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(*, model: Optional[str], host: str, port: int, settings: dict, limits,
          api_keys: list[str], yes: bool, verbose: bool, note: Callable[[str], None],
          glossary=None) -> None:
    import uvicorn

    from llamax_cli.engine.factory import model_path, open_engine, remote_target
    from llamax_cli.server import Api, create_app
    from llamax_cli.service import Translator

    remote = remote_target(model, settings)
    # A missing model fails before binding; a remote engine is probed once loading.
    path = None if remote else model_path(model, yes=yes, note=note)
    sock = _listen(host, port)  # a port in use fails before the model loads
    api = Api(None, limits, api_keys)
    api.beams = settings.get("beams") or 1
    api.check_language = config.value("check_language") is not False
    api.glossary = glossary
    app = create_app(api)
    uv_config = uvicorn.Config(app, host=host, port=port, log_level="info" if verbose else "warning",
                            timeout_graceful_shutdown=60, lifespan="off")
    server = uvicorn.Server(uv_config)
    failure: list[BaseException] = []

    def load() -> None:
        try:
            engine = open_engine(str(path) if path else model, settings, verbose=verbose,
                                 max_waiting=1_000_000, note=note)
            api.model_name = path.stem if path else engine.model
            api.translator = Translator(engine)
            what = path.name if path else f"{engine.model} from {engine.api_base}"
            note(f"serving {what} on http://{host}:{port} "
                 f"(LibreTranslate API, and OpenAI completions at /v1; Ctrl-C to stop)")
            _announce(f"http://{_client_host(host)}:{port}", path or engine.api_base)
        except BaseException as exc:  # the model would not load: stop serving, say why
            failure.append(exc)
            server.should_exit = True

    if not is_loopback(host):
        note(f"WARNING: listening on {host}, reachable from other machines"
             f"{'' if api_keys else ' with no API key required (--api-keys FILE)'}")
    loader = threading.Thread(target=load, name="llamax-load", daemon=True)
    loader.start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        loader.join()
        _withdraw()
        shutil.rmtree(api.files, ignore_errors=True)  # translated files are served until now
        if api.translator is not None:
            api.translator.close()
    if failure:
        raise failure[0]


def _listen(host: str, port: int):
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise LlamaxError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _announce(url: str, model) -> None:
    path = discovery_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"url": url, "pid": os.getpid(), "model": str(model)}))
    except OSError:
        pass  # only a convenience for `translate`; serving works without it


def _withdraw() -> None:
    path = discovery_file()
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass
