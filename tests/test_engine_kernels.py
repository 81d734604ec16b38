"""Kernel choice per model (engine/kernels.py), checked in fresh processes: ggml reads its
switch once per process."""

import json
import os
import subprocess
import sys

PROBE = """
import json, os, sys
from llamax_cli.engine.llama import LlamaEngine
with LlamaEngine(sys.argv[1], n_ctx=256, n_parallel=2, n_gpu_layers=0) as e:
    print(json.dumps({"switch": os.environ.get("GGML_CPU_TILED_MM"), "max_rows": e.max_rows}))
"""


def probe(gemma_path, **env):
    full = {k: v for k, v in os.environ.items() if k != "GGML_CPU_TILED_MM"} | env
    out = subprocess.run([sys.executable, "-c", PROBE, str(gemma_path)], env=full,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_mostly_non_k_quant_model_turns_tiled_kernels_off_and_batches_every_row(gemma_path):
    assert probe(gemma_path) == {"switch": "0", "max_rows": None}


def test_a_users_switch_is_kept_and_then_rows_are_capped(gemma_path):
    assert probe(gemma_path, GGML_CPU_TILED_MM="1") == {"switch": "1", "max_rows": 7}
