"""Which of llama.cpp's CPU matmul kernels run, chosen per model so greedy output stays the
same whatever --parallel is, at the least cost in speed.

llama.cpp multiplies K-quant weights (Q4_K, Q6_K, ...) with "tiled" kernels when 8 or more
rows share a batch, and with per-row dot products below that. The two round differently (on a
7B-shaped Q4_K_M, logits moved by up to 0.01), so a sequence decoded beside 7 others could
get other tokens than alone. Measured on this project's 2-core CPU (BENCHMARKS.md):

- on a 7B-shaped Q4_K_M, the tiled kernels evaluate prompts 3x faster (32 vs 10 tok/s) and
  are no faster for decoding: keep them, and decode in batches of at most 7 rows;
- on a model that is mostly other types (the gemma test model: Q8_0 and Q5_0, 13% K-quants),
  they matter little, while decoding 16-32 rows in one batch is 1.5x faster than in 7-row
  batches: turn them off, and batch every row.

ggml reads its switch, GGML_CPU_TILED_MM, once per process, so the first model decides for
the process; a user who sets it keeps their choice.
"""

from __future__ import annotations

import os
from pathlib import Path

from llamax_cli.engine.gguf_info import tiled_share

SWITCH = "GGML_CPU_TILED_MM"
MOSTLY = 0.5  # share of K-quant weights from which the faster prompts pay for small batches

_process_choice: bool | None = None  # whether ggml's tiled kernels are on in this process


def tiled_kernels_apply(path: str | Path) -> bool:
    """Whether batches of 8+ rows of this model would take the tiled kernels."""
    global _process_choice
    try:
        share = tiled_share(path)
    except (OSError, ValueError):
        share = 1.0  # unreadable header: llama.cpp will refuse it; assume the safe side
    if _process_choice is None:
        if SWITCH not in os.environ:
            os.environ[SWITCH] = "1" if share >= MOSTLY else "0"
        try:
            _process_choice = int(os.environ[SWITCH]) != 0  # ggml reads it with atoi()
        except ValueError:
            _process_choice = False
    return _process_choice and share > 0
