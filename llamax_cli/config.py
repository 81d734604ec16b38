"""User settings: a TOML file in the platform config dir, overridden by LLAMAX_* variables,
which flags override in turn. `llamax config show|set|unset` edits the file."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from llamax_cli.errors import LlamaxError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UsageError(f"expected a whole number, got {value!r}") from None


def _language(value: Any) -> str:
    from llamax_cli import languages

    return languages.resolve(str(value)).code


def _model(value: Any) -> str:
    return str(value).strip()


@dataclass(frozen=True)
class Setting:
    key: str
    parse: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return f"LLAMAX_{self.key.upper()}"


SETTINGS = {s.key: s for s in [
    Setting("model", _model, "default model: registry name[:quant] or .gguf path"),
    Setting("to", _language, "default target language"),
    Setting("threads", _int, "CPU threads"),
    Setting("gpu_layers", _int, "layers to offload to the GPU (-1: all)"),
    Setting("ctx", _int, "context size in tokens (KV cells shared by parallel units)"),
    Setting("parallel", _int, "units translated at once"),
]}


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("llamax", appauthor=False))


def config_path() -> Path:
    return Path(os.environ.get("LLAMAX_CONFIG") or config_dir() / "config.toml")


def read_file() -> dict[str, Any]:
    path = config_path()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LlamaxError(f"cannot read the config file {path}: {exc}") from None


def get(key: str, flag: Any = None) -> tuple[Any, str]:
    """The effective value of a setting and where it came from: flag > env > file > default."""
    setting = SETTINGS[key]
    if flag is not None:
        return flag, "flag"
    env = os.environ.get(setting.env, "").strip()
    if env:
        try:
            return setting.parse(env), f"env {setting.env}"
        except UsageError as exc:
            raise UsageError(f"{setting.env}: {exc}") from None
    stored = read_file().get(key)
    if stored is not None:
        try:
            return setting.parse(stored), "config file"
        except UsageError as exc:
            raise LlamaxError(f"{config_path()}: {key}: {exc}") from None
    return None, "default"


def value(key: str, flag: Any = None) -> Any:
    return get(key, flag)[0]


def set_value(key: str, raw: str) -> Any:
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    parsed = SETTINGS[key].parse(raw)
    data = read_file()
    data[key] = parsed
    _write(data)
    return parsed


def unset(key: str) -> None:
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    data = read_file()
    data.pop(key, None)
    _write(data)


def _write(data: dict[str, Any]) -> None:
    from llamax_cli.textio import AtomicOutput

    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LlamaxError(f"cannot create {path.parent}: {exc.strerror}") from None
    lines = ["# llamax settings: `llamax config show` lists them; LLAMAX_* variables override."]
    for key, val in data.items():
        lines.append(f"{key} = {_toml_value(val)}")
    with AtomicOutput(path) as out:
        out.write("\n".join(lines) + "\n")


def _toml_value(val: Any) -> str:
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, int):
        return str(val)
    escaped = str(val).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
