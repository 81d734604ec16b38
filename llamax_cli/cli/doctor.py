"""`llamax doctor`: what this machine can run, and the concrete fix for each gap."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass, field

from llamax_cli import __version__
from llamax_cli.core import config
from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine.kernels import policy
from llamax_cli.engine.llama import default_threads, system_report
from llamax_cli.engine.remote import RemoteEngine
from llamax_cli.models import hub, registry

# Beyond the weights: KV cache at the default context, compute buffers, the process itself.
_RUNTIME_OVERHEAD = 1_200_000_000

CUDA_FIX = ('CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir '
            '--no-deps llama-cpp-python')
METAL_FIX = ('CMAKE_ARGS="-DGGML_METAL=on" pip install --force-reinstall --no-cache-dir '
             '--no-deps llama-cpp-python')
VULKAN_FIX = ('CMAKE_ARGS="-DGGML_VULKAN=on" pip install --force-reinstall --no-cache-dir '
              '--no-deps llama-cpp-python')


@dataclass
class Report:
    facts: list[tuple[str, str]] = field(default_factory=list)
    models: list[tuple[str, str, str]] = field(default_factory=list)  # label, size, path
    advice: list[str] = field(default_factory=list)


def available_ram() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def recommend_quant(budget: int, entry: registry.ModelEntry, *,
                    gpu: bool) -> registry.ModelFile | None:
    """The quantization to use with this much memory.

    On a GPU: the largest up to Q8_0 (near-lossless) that fits. On a CPU, decoding is bound by
    memory bandwidth, so bigger files are proportionally slower: the default (Q4_K_M) when it
    fits, else the largest that does. f16 is never worth it for inference here.
    """
    cap = entry.files.get("Q8_0") if gpu else entry.files.get(entry.default_quant)
    limit = cap.size if cap and cap.size else float("inf")
    fitting = [f for f in entry.files.values()
               if f.size and f.size <= limit and f.size + _RUNTIME_OVERHEAD <= budget]
    return max(fitting, key=lambda f: f.size, default=None)


def _gpu_hint() -> str | None:
    if shutil.which("nvidia-smi"):
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "metal"
    if shutil.which("vulkaninfo"):
        return "vulkan"
    return None


def _devices(system: dict) -> list[tuple[str, str]]:
    facts = []
    for dev in system["devices"]:
        memory = f", {dev['free'] / 2**30:.1f} of {dev['total'] / 2**30:.1f} GiB free" \
            if dev["kind"] != "cpu" and dev["total"] else ""
        facts.append((f"device {dev['name']}", f"{dev['description']} ({dev['kind']}{memory})"))
    return facts


def _kernels(system: dict) -> str:
    deterministic, source = config.get("deterministic")
    gpu_layers, _ = config.get("gpu_layers")
    return (policy(bool(deterministic), config.get("repack")[0],
                   not system["gpu_offload"] or gpu_layers == 0)
            + ("" if source == "default" else f" ({source})"))


def diagnose(check_hub: bool = True) -> Report:
    report = Report()
    system = system_report()
    gpus = [d for d in system["devices"] if d["kind"] in ("gpu", "igpu", "accel")]
    report.facts += [
        ("llamax", __version__),
        ("llama-cpp-python", system["llama_cpp_python"]),
        ("llama.cpp (ggml)", f"{system['ggml_version']} ({system['llama_cpp_commit']})"),
        ("python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"),
        ("backend", "GPU offload: " + ("yes" if system["gpu_offload"] else "no (CPU only)")),
        ("CPU features", system["system_info"]),
    ]
    report.facts += _devices(system)
    ram = available_ram()
    threads, source = config.get("threads")
    report.facts.append(("kernels", _kernels(system)))
    report.facts += [
        ("memory", f"{ram / 2**30:.1f} GiB available"),
        ("threads", f"{threads or default_threads()} ({source}; {os.cpu_count()} logical CPUs)"),
        ("cache dir", str(hub.cache_dir())),
        ("config file", str(config.config_path())),
    ]
    if check_hub:
        reachable = hub.hub_reachable()
        report.facts.append(("hub", f"{hub.endpoint()} " + (
            "reachable" if reachable else "offline (HF_HUB_OFFLINE)" if hub.offline()
            else "not reachable")))

    api_base = config.value("api_base")
    if api_base:
        report.facts.append(("remote engine", _probe_remote(api_base, report)))

    reg = registry.load()
    report.advice += reg.problems
    report.models += _downloaded(reg)
    hint = _gpu_hint()
    if not system["gpu_offload"] and hint:
        fix = {"cuda": CUDA_FIX, "metal": METAL_FIX, "vulkan": VULKAN_FIX}[hint]
        report.advice.append(f"a {hint.upper()} GPU is present but llama-cpp-python was built "
                             f"for the CPU only; rebuild it: {fix}")
    default = reg.entries.get(reg.default)
    if default is not None and not default.local:
        vram = max((d["free"] for d in gpus), default=0) if system["gpu_offload"] else 0
        report.advice.append(_quant_advice(default, vram, ram))
    if not report.models:
        report.advice.append(f"no model downloaded yet: `llamax models pull {reg.default}`")
    return report


def _downloaded(reg) -> list[tuple[str, str, str]]:
    """(label, size, path) of every registry model in the cache."""
    found = []
    for entry in reg.entries.values():
        for model_file in entry.files.values():
            ref = registry.ModelRef(entry, model_file)
            path = registry.cached_path(ref)
            if path is not None and path.exists():
                found.append((ref.label, registry.size_label(path.stat().st_size), str(path)))
    return found


def _quant_advice(default, vram: int, ram: int) -> str:
    """Which quantization of the default model fits the free GPU memory, else the RAM."""
    budget, where = (vram, "free GPU memory") if vram else (ram, "available RAM")
    pick = recommend_quant(budget, default, gpu=bool(vram))
    if pick is None:
        return (f"{registry.size_label(budget)} of {where} is too little for "
                f"any {default.alias} quantization")
    return (f"for {registry.size_label(budget)} of {where}, use "
            f"{default.alias}:{pick.quant.lower()} ({registry.size_label(pick.size)}): "
            f"`llamax models pull {default.alias}:{pick.quant.lower()}`")


def _probe_remote(api_base: str, report: Report) -> str:
    """The configured OpenAI-compatible server: reachable, model, context, tokenizer."""
    key = os.environ.get("LLAMAX_API_KEY") or os.environ.get("OPENAI_API_KEY") or None
    try:
        engine = RemoteEngine(api_base, model=config.value("api_model"), api_key=key,
                              parallel=1, patience=3.0)
    except LlamaxError as exc:
        report.advice.append(f"the remote engine is not usable: {exc}")
        return f"{api_base}: not usable"
    try:
        ctx = f"context {engine.n_ctx}" + ("" if engine.server_ctx else " (not reported; "
                                           "llamax assumes --ctx or 2048)")
        features = engine.probe_features()
        return (f"{api_base}: reachable, model {engine.model}, {ctx}, "
                f"{'tokenizes' if engine.tokenizes else 'no tokenizer (token counts estimated)'}"
                + "".join(f", {name}: {'yes' if ok else 'no'}" for name, ok in features.items())
                + (", API key set" if key else ""))
    finally:
        engine.close()
