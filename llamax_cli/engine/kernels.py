"""Which of llama.cpp's CPU kernels run: the fastest by default, batch-invariant on request.

**Fast (the default).** llama.cpp's own choices, as llama-server makes them: repacked weight
layouts for the types that have them (Q4_0, Q4_K, Q8_0, ... : its fastest CPU matmul), the
tiled K-quant kernels for batches of 8+ rows on models that are mostly K-quants, flash
attention where llama.cpp enables it, prompts and running sequences in one batch. Where
these kernels change path with the row count (repacked or tiled weights), a sequence's
numbers depend on what shares its batch, in the last bits, as in every batching server, and
greedy output may differ between --parallel 1 and 16; they then get one KV cache that all
sequences share (a prompt and running decodes are one micro-batch). Where they do not (the
gemma test model: 13% K-quants, not repacked), each sequence gets its own KV stream instead:
a shared cache interleaves the sequences' cells, and attention then sums them in an order
that depends on the batch (measured: 8 of 20 NTREX units the same text with --parallel 1 and
16 in a shared cache, 20 of 20 with a stream each; BENCHMARKS.md has the price).

**Deterministic (`--deterministic`).** Greedy output is byte-identical whatever --parallel or
the server's load is. Every row is computed by kernels that do not depend on the batch:
- no repacked layouts (their kernels change path with the row count);
- llama.cpp multiplies K-quant weights with the tiled kernels when 8 or more rows share a
  batch, with per-row dot products below that, and the two round differently (on a 7B-shaped
  Q4_K_M, logits moved by up to 0.01). On a model that is mostly K-quants they evaluate
  prompts 3x faster, so they stay on and decode batches are capped at 7 rows; on one that is
  mostly other types (the gemma test model: 13% K-quants) they are turned off instead;
- no CPU flash-attention kernel (it sums a lone long sequence another way);
- one KV stream per sequence, and prompts batched only where no chunking changes (prefill.py).
The price is measured in BENCHMARKS.md.

ggml reads its tiled-kernel switch, GGML_CPU_TILED_MM, once per process, so the first model
decides for the process; a user who sets it keeps their choice. Repacking costs seconds at
load for a 7B model; `repack_pays()` decides whether a job's expected output earns it back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from llamax_cli.engine.gguf_info import repack_share, tiled_share

SWITCH = "GGML_CPU_TILED_MM"
MOSTLY = 0.5  # share of K-quant weights from which the faster prompts pay for small batches
# When repacking pays, measured on this project's 2-core x86 CPU (BENCHMARKS.md, "Kernels"):
# - on LLaMAX3-8B-shaped Q4_K_M and Q4_0 files it decodes 1.2x faster alone and 1.5-2x
#   faster at 8-16 rows, but loading takes ~11 s more (the weights are converted, where an
#   mmap'ed load takes 0.7 s): earned back after ~230 generated tokens;
# - on a 1B-shaped Q4_K_M it was no faster (llama.cpp's tiled K-quant kernels do as well),
#   nor on the gemma test model (its weights are mostly Q8_0/Q5_0, not repacked on x86).
REPACK_MIN_BYTES = 2 * 2**30  # smaller models: never repacked unless asked
REPACK_BREAK_EVEN = 250  # generated tokens, all units together

_process_choice: bool | None = None  # whether ggml's tiled kernels are on in this process


@dataclass(frozen=True)
class KernelPlan:
    deterministic: bool
    repack: bool  # llama.cpp's repacked CPU weight layouts (use_extra_bufts)
    flash_attn: bool | None  # None: llama.cpp decides (it enables it where supported)
    max_rows: int | None  # most sequences in one decode batch (None: all)
    unified_kv: bool  # one KV cache shared by all sequences (mixed batches) or one per sequence
    tiled: bool  # ggml's tiled K-quant kernels are on and this model has such weights
    device_sampling: bool = False  # greedy picks inside the graph (device_sampling.py)

    def describe(self) -> str:
        mode = "deterministic" if self.deterministic else "fast"
        flash = {None: "auto", True: "on", False: "off"}[self.flash_attn]
        rows = f"at most {self.max_rows} rows per decode" if self.max_rows else "every row in one decode"
        return (f"{mode} kernels: repacked weights {'on' if self.repack else 'off'}, "
                f"tiled K-quant matmul {'on' if self.tiled else 'off'}, flash attention {flash}, "
                f"{'one shared' if self.unified_kv else 'per-sequence'} KV cache, {rows}, "
                f"greedy picks on the {'device' if self.device_sampling else 'host'}")


def tiled_kernels_on(path: str | Path) -> bool:
    """Whether ggml's tiled K-quant kernels are on in this process (the first model decides:
    ggml reads the switch once), and this model has weights they take."""
    global _process_choice
    try:
        share = tiled_share(path)
    except (OSError, ValueError):
        share = 1.0  # unreadable header: llama.cpp will refuse it; assume the safe side
    if _process_choice is None:
        # Both modes: on a model with few K-quant weights the tiled kernels buy little, and
        # without them the fast mode's rows no longer depend on the batch (plan()).
        if SWITCH not in os.environ:
            os.environ[SWITCH] = "1" if share >= MOSTLY else "0"
        try:
            _process_choice = int(os.environ.get(SWITCH, "1")) != 0  # ggml: atoi(), default on
        except ValueError:
            _process_choice = False
    return _process_choice and share > 0


def repack_pays(path: str | Path, expected_tokens: int | None) -> bool:
    """Whether repacking this model's weights at load is earned back by the job: for a model
    big enough that repacking is faster at all and mostly of types that repack, always when
    the work is open-ended (a server), else from the tokens the job will generate."""
    try:
        if Path(path).stat().st_size < REPACK_MIN_BYTES or repack_share(path) < 0.5:
            return False
    except (OSError, ValueError):
        return False
    return expected_tokens is None or expected_tokens >= REPACK_BREAK_EVEN


def plan(path: str | Path, *, deterministic: bool, on_cpu: bool, repack: bool | None = None,
         expected_tokens: int | None = None, flash_attn: bool | None = None,
         device_sampling: bool | None = None) -> KernelPlan:
    """The kernels for this model and job. `repack` None: decide from `expected_tokens` (the
    tokens the job will generate; None: open-ended work, a server). `flash_attn` overrides llama.cpp's choice in fast mode
    (benchmarks measure both). `device_sampling` None: greedy picks on a GPU are made there
    (device_sampling.py); on the CPU the host's one numpy argmax per step is as fast."""
    if device_sampling is None:
        device_sampling = not on_cpu
    if not on_cpu:  # the GPU backends have no repacked layouts nor this rounding issue
        return KernelPlan(deterministic, False, None, None, not deterministic, False,
                          device_sampling)
    tiled = tiled_kernels_on(path)
    if deterministic:
        return KernelPlan(True, False, False, 7 if tiled else None, False, tiled, device_sampling)
    if repack is None:
        repack = repack_pays(path, expected_tokens)
    # A KV stream per sequence makes a row's numbers independent of its batch only where
    # the weights' kernels are too; elsewhere the shared cache's one micro-batch is kept.
    batch_invariant_weights = not repack and not tiled
    return KernelPlan(False, repack, flash_attn, None, not batch_invariant_weights, tiled,
                      device_sampling)


def policy(deterministic: bool, repack: bool | None, on_cpu: bool) -> str:
    """What the kernels will be, for `llamax doctor` (before any model is loaded)."""
    if not on_cpu:
        return ("GPU: llama.cpp's own kernels, greedy picks on the GPU" + (", per-sequence KV cache (--deterministic)"
                                                  if deterministic else ", shared KV cache"))
    user_switch = f" ({SWITCH}={os.environ[SWITCH]} set)" if SWITCH in os.environ else ""
    if deterministic:
        return ("deterministic (batch-invariant): no repacked weights, tiled K-quant matmul "
                f"only for mostly-K-quant models with decodes of at most 7 rows{user_switch}, "
                "no flash attention, per-sequence KV cache")
    when = {True: "always", False: "never",
            None: f"auto (models over {REPACK_MIN_BYTES // 2**30} GiB, for jobs of "
                  f"{REPACK_BREAK_EVEN}+ tokens and in llamax serve)"}[repack]
    return (f"fast (default): repacked weights {when}, tiled K-quant matmul for mostly-K-quant "
            f"models{user_switch}, flash attention as llama.cpp chooses, prompts and decodes "
            "in one batch; a KV stream per sequence where the weights' kernels do not depend "
            "on the batch, else one shared KV cache")
