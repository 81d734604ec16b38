"""The model registry (models.toml) and the resolution of `--model` to a local GGUF file.

Order: an explicit path, else an alias (optionally `alias:quant`) from --model, else
LLAMAX_MODEL, else the registry's default. Cached files are found without any network call:
`Llama.from_pretrained` would list the repo online even for a cached file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from llamax_cli.errors import LlamaxError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class ModelFile:
    quant: str
    file: str
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class ModelEntry:
    alias: str
    repo: str
    description: str
    prompt: str
    context: int
    default_quant: str
    files: dict[str, ModelFile]

    def file_for(self, quant: str | None) -> ModelFile:
        wanted = (quant or self.default_quant).upper()
        if wanted not in self.files:
            raise UsageError(f"{self.alias} has no quantization {quant!r}; "
                             f"known: {', '.join(self.files)}")
        return self.files[wanted]


@dataclass(frozen=True)
class ResolvedModel:
    path: Path
    label: str  # what to call it in messages


def _registry_text() -> str:
    packaged = files("llamax_cli").joinpath("models.toml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install runs from the source tree, where models.toml sits at the top level.
    return (Path(__file__).resolve().parent.parent / "models.toml").read_text(encoding="utf-8")


def load_registry() -> tuple[dict[str, ModelEntry], str]:
    data = tomllib.loads(_registry_text())
    entries = {}
    for alias, raw in data.get("models", {}).items():
        model_files = {q.upper(): ModelFile(q.upper(), **spec) for q, spec in raw["files"].items()}
        entries[alias] = ModelEntry(
            alias=alias, repo=raw["repo"], description=raw.get("description", ""),
            prompt=raw.get("prompt", "llamax-alpaca"), context=int(raw.get("context", 4096)),
            default_quant=raw.get("default_quant", next(iter(model_files))).upper(),
            files=model_files)
    return entries, data.get("default", next(iter(entries), ""))


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith(".gguf") or os.sep in name or name.startswith(".") \
        or Path(name).exists()


def split_name(name: str) -> tuple[str, str | None]:
    alias, _, quant = name.partition(":")
    return alias.strip().lower(), (quant.strip() or None)


def lookup(name: str) -> tuple[ModelEntry, ModelFile]:
    entries, _ = load_registry()
    alias, quant = split_name(name)
    if alias not in entries:
        known = ", ".join(sorted(entries))
        raise UsageError(f"unknown model {name!r}: give a .gguf path or one of: {known}")
    entry = entries[alias]
    return entry, entry.file_for(quant)


def cached_path(entry: ModelEntry, model_file: ModelFile) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(entry.repo, model_file.file)
    return Path(found) if isinstance(found, str) else None


def resolve(name: str | None) -> ResolvedModel:
    name = name or os.environ.get("LLAMAX_MODEL") or load_registry()[1]
    if _looks_like_path(name):
        return ResolvedModel(Path(name).expanduser(), name)
    entry, model_file = lookup(name)
    label = f"{entry.alias}:{model_file.quant}"
    path = cached_path(entry, model_file)
    if path is None:
        size = f", {model_file.size / 1e9:.1f} GB" if model_file.size else ""
        raise LlamaxError(f"model {label} is not downloaded{size}; "
                          f"get it with `llamax models pull {label}`")
    return ResolvedModel(path, label)


def pull(name: str) -> Path:
    """Download a registry model into the HF cache, with huggingface_hub's progress bar."""
    entry, model_file = lookup(name)
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(entry.repo, model_file.file))
    except LocalEntryNotFoundError:
        raise LlamaxError(f"cannot reach the Hugging Face hub to download {entry.repo}/"
                          f"{model_file.file}; check the network or HF_HUB_OFFLINE") from None
    except HfHubHTTPError as exc:
        raise LlamaxError(f"download of {entry.repo}/{model_file.file} failed: {exc}") from None
