"""Which engine serves a model reference: a local GGUF file or a registry entry (downloaded
on demand) runs in-process on llama.cpp. Nothing else needs to know."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

# Tokens per unit (prompt and translation): a line needs a few hundred, and longer units are
# split to fit. Memory grows with ctx x (parallel + 1).
DEFAULT_CTX = 1024


def model_path(ref: Optional[str], *, yes: bool, note: Callable[[str], None]) -> Path:
    """The model file to load, downloading a missing registry model when allowed."""
    from llamax_cli import hub, registry

    resolved = registry.resolve(ref)
    if resolved.path is not None:
        return resolved.path
    model = resolved.ref
    if hub.offline():
        raise registry.not_downloaded_error(model, " and HF_HUB_OFFLINE is set")
    if not yes:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise registry.not_downloaded_error(model, " (pass --yes to download it now)")
        import typer

        if not typer.confirm(f"llamax: {model.label} ({registry.size_label(model.file.size)}) is "
                             f"not downloaded. Download it now?", default=True, err=True):
            raise registry.not_downloaded_error(model)
    if not hub.hub_reachable():
        raise registry.not_downloaded_error(model, f" and {hub.endpoint()} is not reachable")
    return hub.pull(model, note=note)


def check_settings(settings: dict) -> dict:
    """Settings that contradict each other are a usage error before any work starts."""
    from llamax_cli.errors import UsageError

    if settings.get("deterministic") and settings.get("repack"):
        raise UsageError("--deterministic cannot use repacked weights (their kernels depend "
                         "on the batch): unset repack, or drop --deterministic")
    return settings


def open_engine(ref: Optional[str], settings: dict, *, yes: bool = False,
                note: Callable[[str], None] = lambda m: None, units: Optional[int] = None,
                verbose: bool = False, max_waiting: int = 1_000_000, work: Optional[int] = None):
    """A started engine for `ref` (None: the configured default model). `settings` holds
    ctx, parallel, threads, gpu_layers, repack and deterministic, already resolved and checked
    (config.py); `units` sizes the default --parallel to the work when it is known, and `work`
    (the tokens the job will evaluate; None: open-ended, a server) decides whether repacking
    the weights at load pays."""
    from llamax_cli.engine.llama import LlamaEngine, check_gguf, supports_gpu_offload
    from llamax_cli.engine.sizing import auto_parallel

    deterministic = bool(check_settings(settings).get("deterministic"))
    path = model_path(ref, yes=yes, note=note)
    ctx = settings.get("ctx") or DEFAULT_CTX
    gpu_layers = settings.get("gpu_layers")
    parallel = settings.get("parallel")
    if parallel is None:
        check_gguf(path)  # a missing or foreign file gets its own message first
        parallel = auto_parallel(path, ctx, units if units is not None else 1 << 20,
                                 gpu_layers != 0 and supports_gpu_offload(), deterministic)
    engine = LlamaEngine(path, n_ctx=ctx, n_threads=settings.get("threads"),
                         n_gpu_layers=gpu_layers, n_parallel=parallel, verbose=verbose,
                         max_waiting=max_waiting, deterministic=deterministic,
                         repack=settings.get("repack"), expected_tokens=work)
    if verbose:
        note(f"loaded {path.name} in {engine.load_seconds:.2f} s; {engine.plan.describe()}; "
             f"--parallel {parallel}")
    return engine
