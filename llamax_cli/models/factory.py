"""Which engine serves a model reference: a local GGUF file or a registry entry (downloaded
on demand) runs in-process on llama.cpp; an OpenAI-compatible server (--api-base, or a
registry entry with `api_base`) is a remote engine. Nothing else needs to know."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Optional

from llamax_cli.core.config import OUTPUT_SETTINGS, check_settings
from llamax_cli.core.errors import UsageError
from llamax_cli.engine import RETRY_BEAMS
from llamax_cli.engine.llama import LlamaEngine, check_gguf, supports_gpu_offload
from llamax_cli.engine.sizing import auto_parallel
from llamax_cli.models import hub, registry

# Tokens per unit (prompt and translation): a line needs a few hundred, and longer units are
# split to fit. Memory grows with ctx x (parallel + 1).
DEFAULT_CTX = 1024
KV_SCALE = {"f16": 1.0, "q8_0": 34 / 64}  # bytes per cached element against f16's 2


def model_path(ref: Optional[str], *, yes: bool, note: Callable[[str], None],
               ask: Optional[Callable[[str], bool]] = None) -> Path:
    """The model file to load, downloading a missing registry model when allowed: with `yes`,
    or when `ask` (the caller's yes/no question; None where no one can answer) says so."""
    resolved = registry.resolve(ref)
    if resolved.path is not None:
        return resolved.path
    model = resolved.ref
    if hub.offline():
        raise registry.not_downloaded_error(model, " and HF_HUB_OFFLINE is set")
    if not yes:
        if ask is None:
            raise registry.not_downloaded_error(model, " (pass --yes to download it now)")
        if not ask(f"{model.label} ({registry.size_label(model.file.size)}) is not downloaded. "
                   "Download it now?"):
            raise registry.not_downloaded_error(model)
    if not hub.hub_reachable():
        raise registry.not_downloaded_error(model, f" and {hub.endpoint()} is not reachable")
    return hub.pull(model, note=note)



def model_identity(ref: Optional[str], settings: dict) -> str:
    """Who translates, for the translation memory, known without loading anything: the
    registry model (name and quantization), else a GGUF file by its size and the hash of its
    first MiB (its header and first tensors), else the remote server's base URL and model;
    with the engine settings that change the output."""
    target = remote_target(ref, settings)
    if target is not None:
        who = f"remote {target[0]} {target[1] or '(its first model)'}"
    else:
        resolved = registry.resolve(ref)
        who = f"registry {resolved.label}" if resolved.ref is not None and \
            not resolved.ref.entry.local else f"file {_file_identity(resolved.path)}"
    return json.dumps([who, {key: settings.get(key) for key in OUTPUT_SETTINGS}],
                      sort_keys=True)


def _file_identity(path: Optional[Path]) -> str:
    if path is None:
        return "missing"
    try:
        with open(path, "rb") as f:
            head = hashlib.sha256(f.read(1 << 20)).hexdigest()
        return f"{path.stat().st_size}:{head}"
    except OSError:  # the load that follows says what is wrong with the file
        return f"unreadable {path}"


def remote_target(ref: Optional[str], settings: dict) -> Optional[tuple[str, Optional[str]]]:
    """(api_base, api_model) when the engine is a remote server: --api-base (or its env and
    config key), else a registry entry that names one."""
    if settings.get("api_base"):
        return settings["api_base"], settings.get("api_model")

    if ref is not None and registry.looks_like_path(ref):
        return None
    try:
        resolved = registry.resolve(ref)
    except Exception:  # an unknown name: the local path reports it
        return None
    entry = resolved.ref.entry if resolved.ref else None
    if entry is not None and entry.api_base:
        return entry.api_base, settings.get("api_model") or entry.api_model or None
    return None


def open_remote(target: tuple[str, Optional[str]], settings: dict, *, note, verbose: bool,
                max_waiting: int):
    # here: httpx costs every local run a tenth of a second at start-up
    from llamax_cli.engine.remote import RemoteEngine

    api_base, api_model = target
    key = os.environ.get("LLAMAX_API_KEY") or os.environ.get("OPENAI_API_KEY") or None
    engine = RemoteEngine(api_base, model=api_model, api_key=key,
                          parallel=settings.get("remote_parallel") or 8,
                          patience=float(settings.get("remote_timeout") or 60),
                          n_ctx=settings.get("ctx"), max_waiting=max_waiting, note=note)
    if verbose:
        engine.probe_features()
        note(engine.describe())
    return engine


def open_engine(ref: Optional[str], settings: dict, *, yes: bool = False,
                ask: Optional[Callable[[str], bool]] = None,
                note: Callable[[str], None] = lambda m: None, units: Optional[int] = None,
                verbose: bool = False, max_waiting: int = 1_000_000, work: Optional[int] = None):
    """A started engine for `ref` (None: the configured default model). `settings` holds
    ctx, parallel, threads, gpu_layers, repack and deterministic, already resolved and checked
    (core/config.py); `units` sizes the default --parallel to the work when it is known, and `work`
    (the tokens the job will evaluate; None: open-ended, a server) decides whether repacking
    the weights at load pays."""
    deterministic = bool(check_settings(settings).get("deterministic"))
    beams = settings.get("beams") or 1
    target = remote_target(ref, settings)
    if target is not None and beams > 1:
        raise UsageError("beam search (--beams, --alternatives) needs a local model: "
                         "OpenAI-compatible servers do not offer it the same way")
    if target is not None:
        return open_remote(target, settings, note=note, verbose=verbose, max_waiting=max_waiting)
    kv_cache = settings.get("kv_cache") or "f16"
    path = model_path(ref, yes=yes, note=note, ask=ask)
    ctx = settings.get("ctx") or DEFAULT_CTX
    gpu_layers = settings.get("gpu_layers")
    parallel = settings.get("parallel")
    if parallel is None:
        check_gguf(path)  # a missing or foreign file gets its own message first
        parallel = auto_parallel(path, ctx, units,
                                 gpu_layers != 0 and supports_gpu_offload(), deterministic,
                                 kv_scale=KV_SCALE[kv_cache])
        parallel = max(1, parallel // beams)  # the same KV budget, shared by each unit's beams
    # --parallel units at once, each with its beams; and room for a retry's beam search
    # even with --parallel 1, so that a unit's text does not depend on --parallel.
    engine = LlamaEngine(path, n_ctx=ctx, n_threads=settings.get("threads"),
                         n_gpu_layers=gpu_layers, n_parallel=max(parallel * beams, RETRY_BEAMS),
                         n_units=parallel, verbose=verbose,
                         max_waiting=max_waiting, deterministic=deterministic,
                         repack=settings.get("repack"), expected_tokens=work,
                         kv_cache=kv_cache)
    if verbose:
        note(f"loaded {path.name} in {engine.load_seconds:.2f} s; {engine.plan.describe()}; "
             f"--parallel {parallel}" + (f" x {beams} beams" if beams > 1 else ""))
    return engine
