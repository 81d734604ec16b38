"""User settings: a TOML file in the platform config dir, overridden by LLAMAX_* variables,
which flags override in turn. `llamax config show|set|unset` edits the file."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from platformdirs import user_config_dir

from llamax_cli.core import languages
from llamax_cli.core.errors import LlamaxError, UsageError
from llamax_cli.core.textio import AtomicOutput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise UsageError(f"expected a whole number, got {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UsageError(f"expected a whole number, got {value!r}") from None


def _language(value: Any) -> str:
    return languages.resolve(str(value)).code


def _targets(value: Any) -> str:
    """One language, or a comma list of them (`fr,de,sw`: several targets in one run)."""
    names = [name.strip() for name in str(value).split(",") if name.strip()]
    if not names:
        raise UsageError(f"expected a language or a comma list of them, got {value!r}")
    return ",".join(_language(name) for name in names)


def _source_default(value: Any) -> str:
    """A language, or "auto" (as --from's default): no fallback, the best guess is used."""
    return "auto" if str(value).strip().lower() == "auto" else _language(value)


def _model(value: Any) -> str:
    return str(value).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"expected true or false (1 or 0), got {value!r}")


def _bool_or_auto(value: Any) -> bool | None:
    """True, False, or None for "auto" (llamax decides)."""
    if str(value).strip().lower() == "auto":
        return None
    try:
        return _bool(value)
    except UsageError:
        raise UsageError(f"expected auto, true or false, got {value!r}") from None


def _kv_cache(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("f16", "q8_0"):
        raise UsageError(f"expected f16 or q8_0, got {value!r}")
    return text


def _memory(value: Any) -> bool | str:
    """True or False, or the path of a memory file of one's own (a project's, beside its
    sources, like a lock file)."""
    try:
        return _bool(value)
    except UsageError:
        text = str(value).strip()
        if not text:
            raise UsageError("expected true, false or a file path, got ''") from None
        return str(Path(text).expanduser())


def _url(value: Any) -> str:
    url = str(value).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"expected an http:// or https:// URL, got {value!r}")
    return url


@dataclass(frozen=True)
class Setting:
    key: str
    parse: Callable[[Any], Any]
    help: str
    low: int | None = None  # inclusive limits of a number, the same whatever its source
    high: int | None = None
    why: str = ""  # why the lower limit, for the message

    @property
    def env(self) -> str:
        return f"LLAMAX_{self.key.upper()}"

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def check(self, raw: Any) -> Any:
        """The parsed value, or a UsageError saying what is wrong with it (no source named)."""
        value = self.parse(raw)
        if self.low is not None and value < self.low:
            raise UsageError(f"must be at least {self.low}{self.why}, got {value}")
        if self.high is not None and value > self.high:
            raise UsageError(f"must be at most {self.high}, got {value}")
        return value


# The smallest context that holds the LLaMAX prompt template (about 60-100 tokens with the
# language names) and still leaves room for a piece of text and its translation.
MIN_CTX = 256
MAX_BEAMS = 16
MAX_PARALLEL = 64  # llama.cpp allows 256 sequences; beyond 64 nothing was ever faster

SETTINGS = {s.key: s for s in [
    Setting("model", _model, "default model: registry name[:quant] or .gguf path"),
    Setting("to", _targets, "default target language, or a comma list of them"),
    Setting("from", _source_default, "source language used when detection is unsure "
            "(auto: none)"),
    Setting("threads", _int, "CPU threads", 1, 1024),
    Setting("gpu_layers", _int, "layers to offload to the GPU (-1: all)", -1, 100_000),
    Setting("ctx", _int, "context per unit in tokens: prompt and translation", MIN_CTX, 1 << 20,
            " (the prompt template alone takes about 100 tokens)"),
    Setting("parallel", _int, "units translated at once", 1, MAX_PARALLEL),
    Setting("beams", _int, "beam search width (1: greedy); each unit then takes this many "
                           "slots", 1, MAX_BEAMS),
    Setting("server", _url, "URL of a running `llamax serve` to translate with"),
    Setting("api_base", _url, "an OpenAI-compatible server to translate with (vLLM, "
                              "llama-server, Ollama), e.g. http://gpu-box:8000/v1"),
    Setting("api_model", _model, "the model name on that server [default: its first]"),
    Setting("remote_parallel", _int, "requests sent to that server at once", 1, 1024),
    Setting("remote_timeout", _int, "seconds to keep retrying an unavailable server", 1,
            86_400),
    Setting("repack", _bool_or_auto, "llama.cpp's repacked CPU weight layouts (auto: when the "
                                     "job is big enough to earn the slower start back)"),
    Setting("kv_cache", _kv_cache, "KV cache type: f16, or q8_0 (half the memory per slot)"),
    Setting("deterministic", _bool, "batch-invariant kernels: greedy output byte-identical "
                                    "whatever --parallel or the server's load, but slower"),
    Setting("check_language", _bool, "detect each translation's language; retry, then flag "
                                     "`wrong-language`, when it is not the target [default: "
                                     "true]"),
    Setting("memory", _memory, "the translation memory: true (in the cache folder), false, "
                               "or a file path [default: true]"),
]}


# The settings that shape the engine (models/factory.py opens one from them): the one list of
# them, in the order they are resolved and checked, whatever sets them (a flag, LLAMAX_*, the
# config file, a library keyword).
ENGINE_SETTINGS = ("ctx", "parallel", "threads", "gpu_layers", "repack", "deterministic",
                   "kv_cache", "api_base", "api_model", "remote_parallel", "remote_timeout",
                   "beams")
# Of those, the ones that change a translation's numbers: part of the translation memory's
# key (service/recall.py). A greedy output does not depend on --parallel with --deterministic,
# and only rounds differently with the fast kernels; threads and the GPU compute the same.
OUTPUT_SETTINGS = ("deterministic", "repack", "kv_cache", "ctx")


def engine_settings(**flags: Any) -> dict[str, Any]:
    """Every engine setting, resolved once (flag > env > file > default; a flag None is not
    given), each checked against its limits and all of them against each other."""
    unknown = sorted(set(flags) - set(ENGINE_SETTINGS))
    if unknown:  # a program's mistake (api.open_translator's keywords), not a user's
        raise TypeError(f"unknown setting(s) {', '.join(unknown)}; known: "
                        f"{', '.join(ENGINE_SETTINGS)}")
    return check_settings({key: value(key, flags.get(key)) for key in ENGINE_SETTINGS})


def check_settings(settings: dict) -> dict:
    """Settings that contradict each other are a usage error before any work starts."""
    if settings.get("deterministic") and settings.get("repack"):
        raise UsageError("--deterministic cannot use repacked weights (their kernels depend "
                         "on the batch): unset repack, or drop --deterministic")
    if settings.get("deterministic") and settings.get("kv_cache") == "q8_0":
        raise UsageError("--deterministic cannot use a q8_0 KV cache (llama.cpp needs flash "
                         "attention for it, which sums differently by batch): use f16")
    return settings


def check_value(key: str, raw: Any) -> Any:
    """A value of setting `key` from elsewhere (a server request), parsed and checked against
    the same limits; a UsageError says what is wrong with it, naming no source."""
    return SETTINGS[key].check(raw)


def config_dir() -> Path:
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
    """The effective value of a setting and where it came from: flag > env > file > default.
    Every source is checked against the same limits, and a bad value names its source."""
    setting = SETTINGS[key]
    if flag is not None:
        try:
            return setting.check(flag), "flag"
        except UsageError as exc:
            raise UsageError(f"{setting.flag} {flag}: {exc}") from None
    env = os.environ.get(setting.env, "").strip()
    if env:
        try:
            return setting.check(env), f"env {setting.env}"
        except UsageError as exc:
            raise UsageError(f"{setting.env}={env}: {exc}") from None
    stored = read_file().get(key)
    if stored is not None:
        try:
            return setting.check(stored), "config file"
        except UsageError as exc:
            raise UsageError(f"{key} = {stored!r} in {config_path()}: {exc} "
                             f"(`llamax config set {key} …` to fix it)") from None
    return None, "default"


def value(key: str, flag: Any = None) -> Any:
    return get(key, flag)[0]


def set_value(key: str, raw: str) -> Any:
    if key not in SETTINGS:
        raise UsageError(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    try:
        parsed = SETTINGS[key].check(raw)
    except UsageError as exc:
        raise UsageError(f"{key} {raw}: {exc}") from None
    data = read_file()
    if parsed is None:  # "auto": the default, which needs no line
        data.pop(key, None)
    else:
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
