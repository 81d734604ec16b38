"""Starting and stopping `llamax serve`: bind first (requests wait while the model loads),
load the model once, serve until SIGTERM or Ctrl-C, then finish what is in flight within the
grace period, answer the rest, and free the engine. A running server leaves a note (URL, PID, model) in the user's cache dir, so
that `llamax translate` on the same machine can use the warm model."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import threading
from pathlib import Path
from typing import Callable, Optional

import uvicorn

from llamax_cli.core import config
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.models.factory import model_identity, model_path, open_engine, remote_target
from llamax_cli.server.app import Api, create_app
from llamax_cli.server.client import discovery_file
from llamax_cli.server.edge import uvicorn_limits
from llamax_cli.service.recall import open_memory
from llamax_cli.service.translator import Translator


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
          glossary=None, ask: Optional[Callable[[str], bool]] = None,
          memory=None) -> None:
    config.value("from")  # requests that ask for "auto" use it: a bad one fails here, not each
    remote = remote_target(model, settings)
    # A missing model fails before binding; a remote engine is probed once loading.
    path = None if remote else model_path(model, yes=yes, note=note, ask=ask)
    sock = _listen(host, port)  # a port in use fails before the model loads
    api = Api(None, limits, api_keys)
    api.beams = settings.get("beams") or 1
    api.check_language = config.value("check_language") is not False
    api.glossary = glossary
    server = GracefulServer(create_app(api), api, host=host, port=port, verbose=verbose,
                            note=note)
    failure: list[BaseException] = []
    if not is_loopback(host):
        note(f"WARNING: listening on {host}, reachable from other machines"
             f"{'' if api_keys else ' with no API key required (--api-keys FILE)'}")
    loader = threading.Thread(target=_load, name="llamax-load", daemon=True,
                              args=(api, server, path, model, settings, memory, host, port,
                                    verbose, note, failure))
    loader.start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        api.lifecycle.begin_stop()
        api.lifecycle.cancel_all()  # what uvicorn's own deadline left: nobody answers it now
        if loader.is_alive() and server.stopped_by is not None:
            # Stopped while the model loads: llama.cpp cannot be interrupted, and a stop must
            # not wait minutes for a model nobody will use.
            server.clean_up()
            os._exit(0)
        loader.join()
        server.clean_up()
        if api.translator is not None:
            api.translator.close()  # the engine tells whoever still waits on it (EngineStopped)
    if failure:
        raise failure[0]


def _load(api, server, path, model, settings, memory, host, port, verbose, note,
          failure) -> None:
    """Load the model (or reach the remote engine) while the server already answers."""
    try:
        engine = open_engine(str(path) if path else model, settings, verbose=verbose,
                             max_waiting=1_000_000, note=note)
        api.model_name = path.stem if path else engine.model
        # The memory answers a text it has without queueing for the engine (service/recall.py).
        api.translator = Translator(engine, memory=open_memory(memory, note),
                                    identity=model_identity(model, settings))
        api.lifecycle.loaded()
        what = path.name if path else f"{engine.model} from {engine.api_base}"
        note(f"serving {what} on http://{host}:{port} "
             f"(LibreTranslate API, and OpenAI completions at /v1; Ctrl-C to stop)")
        _announce(f"http://{_client_host(host)}:{port}", path or engine.api_base)
    except BaseException as exc:  # the model would not load: stop serving, say why
        failure.append(exc)
        api.lifecycle.begin_stop()  # requests waiting for the model get their 503 now
        server.should_exit = True


class GracefulServer(uvicorn.Server):
    """uvicorn's server, with a stop that stops (server/lifecycle.py): the first SIGTERM or
    Ctrl-C stops admitting and gives requests in flight `limits.grace` seconds, then cancels
    them (each gets a 503); a second signal exits at once. A stop ends with exit 0 (uvicorn
    would re-raise the signal, which reads as a failure to service managers)."""

    def __init__(self, app, api, *, host: str, port: int, verbose: bool, note):
        grace = api.limits.grace
        # uvicorn's own deadline comes after ours: by then every request has its answer.
        super().__init__(uvicorn.Config(app, host=host, port=port,
                                        log_level="info" if verbose else "warning",
                                        timeout_graceful_shutdown=int(grace) + 2,
                                        lifespan="off", **uvicorn_limits(api.limits.queue)))
        self.api, self.note = api, note
        self.stopped_by: Optional[int] = None

    def handle_exit(self, sig: int, frame) -> None:
        if self.stopped_by is not None:  # the second signal: out now
            self.clean_up()
            os._exit(128 + sig)
        self.stopped_by = sig
        self.should_exit = True
        lifecycle, grace = self.api.lifecycle, self.api.limits.grace
        lifecycle.begin_stop()
        if lifecycle.admitted:
            self.note(f"stopping: {lifecycle.admitted} request(s) in flight get up to "
                      f"{grace:g} s (a second signal stops at once)")
        _after(grace, lifecycle.cancel_all)
        _after(grace + 4, lambda: self.give_up(grace + 4))

    def give_up(self, seconds: float) -> None:
        """The last resort, if something still holds the process after the grace."""
        self.note(f"error: could not stop cleanly within {seconds:g} s; exiting")
        self.clean_up()
        os._exit(1)

    def clean_up(self) -> None:
        _withdraw()
        shutil.rmtree(self.api.files, ignore_errors=True)  # served until now


def _after(seconds: float, action: Callable[[], object]) -> None:
    timer = threading.Timer(seconds, action)
    timer.daemon = True
    timer.start()


def _listen(host: str, port: int):
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
