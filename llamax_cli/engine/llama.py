"""llama.cpp in-process, through llama-cpp-python's low-level C API.

We drive llama.cpp directly rather than through `Llama.create_completion`, for three reasons
measured or verified on 0.3.36: the high-level streaming path re-detokenizes the whole
completion at every token (cost grows with output length), its `verbose=False` redirects the
process's fds during load while losing errors, and we need our own decode loop for the batched
engine anyway. Incremental detokenization here costs one cached dict lookup per token.
"""

from __future__ import annotations

import collections
import ctypes
import os
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from llamax_cli.engine import Event, Request, Sampling, drive
from llamax_cli.engine.device_sampling import DeviceGreedy
from llamax_cli.engine.kernels import plan
from llamax_cli.engine.native import Native
from llamax_cli.engine.slots import Client
from llamax_cli.core.errors import LlamaxError

_ALL_LAYERS = 0x7FFFFFFF
# ggml's levels today (llama_cpp._logger's table is older): 1 debug, 2 info, 3 warn, 4 error.
_LOG_LEVEL_ERROR, _LOG_LEVEL_CONT = 4, 5


class _LlamaLog:
    """llama.cpp's own log, routed through one callback: silent unless verbose.

    The last error lines are kept so a failed load can say why in one line.
    """

    def __init__(self) -> None:
        self.verbose = False
        self.errors: collections.deque[str] = collections.deque(maxlen=8)
        self._last_level = 0
        self._callback = None  # a reference must outlive the C side's use of it

    def install(self, lib) -> None:
        if self._callback is None:
            self._callback = lib.llama_log_callback(self._on_log)
        lib.llama_log_set(self._callback, ctypes.c_void_p(0))

    def _on_log(self, level: int, text: bytes, _user_data) -> None:
        level = self._last_level if level == _LOG_LEVEL_CONT else level
        self._last_level = level
        line = text.decode("utf-8", "replace")
        if level == _LOG_LEVEL_ERROR and line.strip():
            self.errors.append(line.strip())
        if self.verbose:
            sys.stderr.write(line)
            sys.stderr.flush()


_LOG = _LlamaLog()


def _lib():
    import llama_cpp.llama_cpp as lib  # heavy import: only when a model is really needed

    _LOG.install(lib)
    return lib


def supports_gpu_offload() -> bool:
    return bool(_lib().llama_supports_gpu_offload())


def default_threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        n = os.cpu_count() or 1
    # Decoding is memory-bound: beyond the physical cores, SMT siblings only add contention.
    return n if n <= 4 else max(n // 2, 1)


def check_gguf(path: Path) -> None:
    """Refuse what llama.cpp would refuse, with a clearer message."""
    if not path.exists():
        raise LlamaxError(f"model file not found: {path}")
    if not path.is_file():
        raise LlamaxError(f"model path is not a file: {path}")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise LlamaxError(f"cannot read model {path}: {exc.strerror}") from None
    if magic != b"GGUF":
        raise LlamaxError(f"{path} is not a GGUF model file")


PREFIXES = 8  # prompt prefixes kept at once in the shared KV cache (native.py)
STREAM_PREFIXES = 4  # the same with a KV stream per sequence, each prefix a whole stream


class LlamaEngine:
    """One model and one context, kept for the whole run so the prompt prefix is reused."""

    def __init__(self, model_path: str | os.PathLike, *, n_ctx: int = 2048,
                 n_threads: int | None = None, n_gpu_layers: int | None = None,
                 n_batch: int = 512, n_parallel: int = 1, verbose: bool = False,
                 max_waiting: int = 1_000_000, deterministic: bool = False,
                 repack: bool | None = None, expected_tokens: int | None = None,
                 flash_attn: bool | None = None, kv_cache: str = "f16",
                 device_sampling: bool | None = None, n_units: int | None = None):
        """`repack` None: repack the weights when `expected_tokens` (what the whole job will
        generate; None: open-ended, as a server) earn the load time back (kernels.py).
        `n_parallel` sequences, of which a beam search takes several; `n_units` (None: as
        many) requests decode at once."""
        path = Path(model_path)
        check_gguf(path)
        lib = _lib()
        _LOG.verbose = verbose
        _LOG.errors.clear()
        lib.llama_backend_init()

        if n_gpu_layers is None:
            n_gpu_layers = -1 if lib.llama_supports_gpu_offload() else 0
        on_cpu = n_gpu_layers == 0 or not lib.llama_supports_gpu_offload()
        # Fast kernels, or batch-invariant ones (--deterministic): see kernels.py.
        self.plan = plan(path, deterministic=deterministic, on_cpu=on_cpu, repack=repack,
                         expected_tokens=expected_tokens, flash_attn=flash_attn,
                         device_sampling=device_sampling)
        self.max_rows = self.plan.max_rows
        started = time.perf_counter()
        model = self._load_model(lib, path, n_gpu_layers)
        threads = n_threads or default_threads()
        # Shared prompt prefixes: one per target language of a run into several, in the one
        # shared KV cache (each costs only its own few cells there); with a KV stream per
        # sequence every prefix costs a whole stream: fewer, and one with --deterministic.
        n_prefixes = (PREFIXES if self.plan.unified_kv else 1 if deterministic
                      else STREAM_PREFIXES)
        cparams = self._context_params(lib, model, n_ctx, n_parallel, n_batch, threads, kv_cache,
                                       n_prefixes)
        ctx = self._create_context(lib, model, cparams, n_parallel)
        # The slots are sequences 0 .. n_parallel - 1; the shared prompt prefixes follow.
        self.native = Native(lib, model, ctx, n_batch=n_batch, prefix_seq=n_parallel,
                             n_prefixes=n_prefixes, shared_cells=self.plan.unified_kv)
        self.n_vocab = self.native.n_vocab
        # per sequence: the context was sized for the slots and one prefix (_context_params)
        self.n_ctx = lib.llama_n_ctx(ctx) // (n_parallel + 1 if self.plan.unified_kv
                                              else cparams.n_seq_max)
        self.load_seconds = time.perf_counter() - started
        self.n_threads = threads
        self.n_gpu_layers = n_gpu_layers
        self.n_batch = n_batch
        self.n_parallel = n_parallel
        self.n_units = min(n_units or n_parallel, n_parallel)
        from llamax_cli.engine.scheduler import Scheduler  # it imports numpy: only when loading

        # From here on only the scheduler's thread decodes; callers submit and read events.
        self.scheduler = Scheduler(self, max_waiting)
        self.scheduler.start()

    def _load_model(self, lib, path: Path, n_gpu_layers: int):
        mparams = lib.llama_model_default_params()
        mparams.n_gpu_layers = _ALL_LAYERS if n_gpu_layers < 0 else n_gpu_layers
        mparams.use_extra_bufts = self.plan.repack
        model = lib.llama_model_load_from_file(str(path).encode(), mparams)
        if not model:
            raise LlamaxError(f"cannot load model {path}: {self._load_error()}")
        return model

    def _create_context(self, lib, model, cparams, n_parallel: int):
        """The context, with the device's greedy chains attached where the plan samples on
        the device; if it cannot be made, the model is freed before the error is raised."""
        self.device_greedy = DeviceGreedy(lib, n_parallel) if self.plan.device_sampling else None
        if self.device_greedy:
            self.device_greedy.attach_to(cparams)
        ctx = lib.llama_init_from_model(model, cparams)
        if self.device_greedy:
            self.device_greedy.bind(ctx)
        if not ctx:
            lib.llama_model_free(model)
            if self.device_greedy:
                self.device_greedy.free()
            raise LlamaxError(f"cannot create a context of {cparams.n_ctx} tokens: "
                              f"{self._load_error('out of memory?')}")
        return ctx

    def _context_params(self, lib, model, n_ctx: int, n_parallel: int, n_batch: int,
                        threads: int, kv_cache: str, n_prefixes: int = 1):
        n_ctx_train = lib.llama_model_n_ctx_train(model)
        cparams = lib.llama_context_default_params()
        per_sequence = min(n_ctx, n_ctx_train) if n_ctx > 0 else n_ctx_train
        # One sequence per parallel slot plus one holding the shared prompt prefix. Fast: one
        # KV cache for all, so any mix of prompts and decode steps is one micro-batch, and a
        # prefix copy only tags cells. Otherwise (--deterministic, and the fast mode where the
        # weights' kernels are batch-invariant: kernels.py) each in its own KV stream, so its
        # cells sit in the same order whatever runs beside it (a shared cache interleaves
        # them, and attention sums come out different in the last bits).
        cparams.n_seq_max = n_parallel + n_prefixes
        cparams.kv_unified = self.plan.unified_kv
        # Shared: room for the slots and one prefix, the other prefixes being a few cells.
        cparams.n_ctx = per_sequence * (n_parallel + 1 if self.plan.unified_kv
                                        else cparams.n_seq_max)
        cparams.n_batch = cparams.n_ubatch = n_batch
        cparams.n_threads = cparams.n_threads_batch = threads
        cparams.no_perf = True
        if kv_cache == "q8_0":
            # Half the KV memory per cell, so more slots fit; llama.cpp needs flash attention
            # for a quantized V cache (its "auto" turns it on; --deterministic refuses q8_0).
            cparams.type_k = cparams.type_v = lib.GGML_TYPE_Q8_0
        if self.plan.flash_attn is not None:
            cparams.flash_attn_type = (lib.LLAMA_FLASH_ATTN_TYPE_ENABLED if self.plan.flash_attn
                                       else lib.LLAMA_FLASH_ATTN_TYPE_DISABLED)
        return cparams

    @staticmethod
    def _load_error(default: str = "the file is corrupt, truncated or not a model") -> str:
        for line in _LOG.errors:  # the first error is the cause; later ones are consequences
            # llama.cpp prefixes its errors with the function name: keep the reason.
            reason = line.split(": ", 1)[-1] if ": " in line else line
            if reason:
                return reason.rstrip(".")
        return default

    # -- tokens ---------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        return self.native.tokenize(text, add_special=add_special)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, add_special=False))

    # -- decoding ------------------------------------------------------------------------

    def generate(self, requests: Sequence[Request], sampling: Sampling,
                 cancel: threading.Event | None = None) -> Iterator[Event]:
        """Events for all requests, decoded in the shared batch with every other caller's.

        `requests` may grow while this runs (a list the caller appends to): each new one is
        submitted before the next event is awaited. Closing the iterator early (an error,
        Ctrl-C, a client gone) or setting `cancel` cancels what is left and frees its slots
        at the scheduler's next step."""
        if not isinstance(requests, list):
            requests = list(requests)
        client = Client(sampling)
        scheduler = self.scheduler
        if scheduler is None:
            raise LlamaxError("the engine is closed")

        def cancel_rest(outstanding: int) -> None:
            if outstanding:  # the scheduler may be stopped already: then nothing is left
                scheduler.cancel(client)

        yield from drive(requests, lambda i, r: scheduler.submit(client, i, r), client.events,
                         cancel_rest, cancel)

    @property
    def max_beams(self) -> int:
        """The widest beam search one request can have: every slot."""
        return self.n_parallel

    def score(self, prompt: str, continuation: str) -> float:
        """The mean log-probability per token of `continuation` after `prompt`."""
        tokens = self.tokenize(continuation, add_special=False)
        if not tokens:
            return 0.0
        events = list(self.generate([Request(prompt, len(tokens), forced=tokens)], Sampling()))
        return events[-1].score

    def close(self) -> None:
        if getattr(self, "scheduler", None) is not None:
            self.scheduler.stop()  # the thread finishes its step; nothing decodes after
            self.scheduler = None
        if getattr(self, "native", None) is not None:
            self.native.free()
            self.native = None
            if self.device_greedy:
                self.device_greedy.free()

    def __enter__(self) -> LlamaEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def system_report() -> dict:
    """What llama.cpp was built with and sees: versions, CPU features, devices and memory."""
    # Heavy imports, only when asked (llamax doctor). llama-cpp-python binds no device
    # queries, so ggml's own library is called through the handle its package keeps.
    import llama_cpp
    from llama_cpp._ggml import libggml

    lib = _lib()
    lib.llama_backend_init()
    g = libggml
    g.ggml_backend_dev_count.restype = ctypes.c_size_t
    g.ggml_backend_dev_get.restype = ctypes.c_void_p
    g.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    for fn in (g.ggml_backend_dev_name, g.ggml_backend_dev_description):
        fn.restype, fn.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    g.ggml_backend_dev_type.restype, g.ggml_backend_dev_type.argtypes = ctypes.c_int, [ctypes.c_void_p]
    g.ggml_backend_dev_memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                                          ctypes.POINTER(ctypes.c_size_t)]
    devices = []
    for i in range(g.ggml_backend_dev_count()):
        dev = g.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        g.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        devices.append({
            "name": g.ggml_backend_dev_name(dev).decode(),
            "description": g.ggml_backend_dev_description(dev).decode(),
            # ggml_backend_dev_type: 0 CPU, 1 GPU, 2 integrated GPU, 3 accelerator
            "kind": {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}.get(g.ggml_backend_dev_type(dev), "?"),
            "free": free.value, "total": total.value,
        })

    def c_string(name: str) -> str:
        fn = getattr(g, name, None)  # absent from older ggml builds
        if fn is None:
            return ""
        fn.restype = ctypes.c_char_p
        return (fn() or b"").decode()

    return {
        "llama_cpp_python": llama_cpp.__version__,
        "ggml_version": c_string("ggml_version"),
        "llama_cpp_commit": c_string("ggml_commit"),
        "system_info": lib.llama_print_system_info().decode().strip(" |"),
        "gpu_offload": bool(lib.llama_supports_gpu_offload()),
        "devices": devices,
    }
