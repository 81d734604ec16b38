"""The model registry: models.toml as data, plus the user's own entries.

A user adds entries (another repo, or a local GGUF) in `<config dir>/models.toml`, in the
same format, without touching the package. `--model` resolves in this order: an explicit
path, else a name (`alias` or `alias:quant`) from the flag, LLAMAX_MODEL, the config file,
and finally the registry's default.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from llamax_cli.core import config
from llamax_cli.core.errors import LlamaxError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LOCAL = "LOCAL"  # the one "quantization" of a user entry that points at a file on disk
REMOTE = "REMOTE"  # ... and of one that names a server


@dataclass(frozen=True)
class ModelFile:
    quant: str
    file: str
    size: int = 0  # bytes, as the hub lists them; 0 when unknown
    sha256: str = ""


@dataclass(frozen=True)
class ModelEntry:
    alias: str
    description: str
    files: dict[str, ModelFile]
    default_quant: str
    repo: str = ""
    mirrors: tuple[str, ...] = ()
    prompt: str = "llamax-alpaca"
    context: int = 4096
    user: bool = False  # defined in the user's registry file
    api_base: str = ""  # an OpenAI-compatible server that serves this model (no file)
    api_model: str = ""

    @property
    def local(self) -> bool:
        return not self.repo and not self.api_base

    @property
    def remote(self) -> bool:
        return bool(self.api_base)

    def file_for(self, quant: str | None) -> ModelFile:
        wanted = (quant or self.default_quant).upper()
        if wanted not in self.files:
            raise UsageError(f"{self.alias} has no quantization {quant!r}; "
                             f"known: {', '.join(q.lower() for q in self.files)}")
        return self.files[wanted]


@dataclass(frozen=True)
class ModelRef:
    """A registry name resolved to one file of one entry."""

    entry: ModelEntry
    file: ModelFile

    @property
    def label(self) -> str:
        if self.entry.local or self.entry.remote:
            return self.entry.alias
        return f"{self.entry.alias}:{self.file.quant.lower()}"


@dataclass(frozen=True)
class Registry:
    entries: dict[str, ModelEntry]
    default: str
    problems: list[str] = field(default_factory=list)


def user_registry_path() -> Path:
    return config.config_dir() / "models.toml"


def _packaged_text() -> str:
    packaged = files("llamax_cli").joinpath("models.toml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install runs from the source tree, where models.toml sits at the top level.
    return (Path(__file__).resolve().parents[2] / "models.toml").read_text(encoding="utf-8")


def _parse_entry(alias: str, raw: dict, *, user: bool) -> ModelEntry:
    common = dict(alias=alias, description=raw.get("description", ""),
                  prompt=raw.get("prompt", "llamax-alpaca"), context=int(raw.get("context", 4096)),
                  user=user)
    if "api_base" in raw:
        return ModelEntry(files={REMOTE: ModelFile(REMOTE, "")}, default_quant=REMOTE,
                          api_base=str(raw["api_base"]).rstrip("/"),
                          api_model=str(raw.get("api_model", "")), **common)
    if "path" in raw:
        path = str(Path(os.path.expandvars(raw["path"])).expanduser())
        return ModelEntry(files={LOCAL: ModelFile(LOCAL, path)}, default_quant=LOCAL, **common)
    model_files = {q.upper(): ModelFile(q.upper(), **spec) for q, spec in raw["files"].items()}
    return ModelEntry(files=model_files, repo=raw["repo"], mirrors=tuple(raw.get("mirrors", ())),
                      default_quant=raw.get("default_quant", next(iter(model_files))).upper(),
                      **common)


def load() -> Registry:
    data = tomllib.loads(_packaged_text())
    entries = {alias: _parse_entry(alias, raw, user=False)
               for alias, raw in data.get("models", {}).items()}
    default = data.get("default", "")
    problems = []
    user_path = user_registry_path()
    if user_path.is_file():
        try:
            user = tomllib.loads(user_path.read_text(encoding="utf-8"))
            for alias, raw in user.get("models", {}).items():
                entries[alias.lower()] = _parse_entry(alias.lower(), raw, user=True)
            default = user.get("default", default)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
            problems.append(f"{user_path}: ignored ({exc})")
    return Registry(entries, default, problems)


def looks_like_path(name: str) -> bool:
    return name.lower().endswith(".gguf") or "/" in name or os.sep in name \
        or name.startswith(("~", "."))


def lookup(name: str, registry: Registry | None = None) -> ModelRef:
    registry = registry or load()
    alias, _, quant = name.strip().partition(":")
    entry = registry.entries.get(alias.lower())
    if entry is None:
        known = ", ".join(sorted(registry.entries))
        if name.strip().lower().endswith(".gguf"):  # `models pull/rm/info` take registry names
            raise UsageError(f"{name!r} is a file, not a registry name; `llamax models` "
                             f"manages these: {known}")
        raise UsageError(f"unknown model {name!r}: give a .gguf path or one of: {known}")
    return ModelRef(entry, entry.file_for(quant or None))


def chosen_name(flag: str | None = None) -> str:
    """The model the user asked for, through flag > LLAMAX_MODEL > config > default."""
    name = config.value("model", flag)
    return name or load().default


def cached_path(ref: ModelRef) -> Path | None:
    """The file in the HF cache, found without any network call; None if absent."""
    if ref.entry.remote:
        return None
    if ref.entry.local:
        return Path(ref.file.file)
    # huggingface_hub's submodules are slow to import: only when the hub is used
    from huggingface_hub import try_to_load_from_cache

    for repo in (ref.entry.repo, *ref.entry.mirrors):
        found = try_to_load_from_cache(repo, ref.file.file)
        if isinstance(found, str) and Path(found).is_file():
            return Path(found)
    return None


@dataclass(frozen=True)
class Resolved:
    path: Path | None  # None: a registry model that is not downloaded yet
    label: str
    ref: ModelRef | None = None


def resolve(flag: str | None = None) -> Resolved:
    name = chosen_name(flag)
    if looks_like_path(name) and ":" not in Path(name).name:
        return Resolved(Path(name).expanduser(), name)
    ref = lookup(name)
    return Resolved(cached_path(ref), ref.label, ref)


def size_label(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.0f} MB" if size else "size unknown"


def not_downloaded_error(ref: ModelRef, why: str = "") -> LlamaxError:
    return LlamaxError(f"model {ref.label} ({size_label(ref.file.size)}) is not downloaded"
                       f"{why}; get it with `llamax models pull {ref.label}`")
