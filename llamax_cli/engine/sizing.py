"""How many units to decode at once when the user does not say (`--parallel` unset).

From the measurements in BENCHMARKS.md (2-core CPU): with the fast kernels, one decode of 16
rows gives 3-4x the tok/s of one row on the gemma test model, a 1B and an 8B shape alike
(8 rows: 2x), so 16 slots; with --deterministic, where the kernels cap K-quant batches at 7
rows (kernels.py), 4 slots did best, and 16 where every row shares one batch on a small
model. Each slot holds its own KV cache of --ctx cells, so the
choice is also held to a share of the machine's memory and to the document's unit count.

A server (`units` unknown) gets 32 slots with the fast kernels: its load comes in bursts, and a
burst wider than the slots runs in waves whose last one decodes a few rows at a time. 32 rows
cost no throughput against 16 (gemma: 147 against 150 tok/s, BENCHMARKS.md), and 32 clients
at once were served 1.95-2.40x faster than one after another, against 1.75x with 16 slots.
"""

from __future__ import annotations

import os
from pathlib import Path

from llamax_cli.engine.gguf_info import read
from llamax_cli.engine.kernels import tiled_kernels_on

SMALL_MODEL = 2**30  # bytes of weights below which the wider batches pay
KV_SHARE_OF_RAM = 1 / 8


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


SERVER_SLOTS = 32


def auto_parallel(path: str | Path, ctx: int, units: int | None, on_gpu: bool,
                  deterministic: bool = False, kv_scale: float = 1.0) -> int:
    """`units`: the job's unit count; None for a server, whose work is open-ended."""
    if units is None and not deterministic:
        wanted = SERVER_SLOTS
    elif on_gpu:
        wanted = 16
    elif not deterministic:
        wanted = 16
    elif tiled_kernels_on(path):
        wanted = 4
    else:
        wanted = 16 if Path(path).stat().st_size < SMALL_MODEL else 8
    if units is not None:
        wanted = min(wanted, max(units, 1))
    try:
        per_slot = int(read(path).kv_bytes_per_token() * ctx * kv_scale)
    except (OSError, ValueError):
        per_slot = 0
    ram = physical_memory()
    if per_slot and ram:
        # parallel + 1 streams: one more holds the shared prompt prefix
        wanted = min(wanted, max(int(ram * KV_SHARE_OF_RAM // per_slot) - 1, 1))
    return wanted
