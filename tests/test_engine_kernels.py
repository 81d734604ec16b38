"""Kernel choice per model and mode (engine/kernels.py), checked in fresh processes: ggml
reads its tiled-kernel switch once per process."""

import json
import os
import subprocess
import sys

from llamax_cli.engine import kernels

PROBE = """
import json, os, sys
from llamax_cli.engine.llama import LlamaEngine
with LlamaEngine(sys.argv[1], n_ctx=256, n_parallel=2, n_gpu_layers=0,
                 deterministic=sys.argv[2] == "det") as e:
    print(json.dumps({"switch": os.environ.get("GGML_CPU_TILED_MM"), "max_rows": e.max_rows,
                      "unified": e.plan.unified_kv, "flash": e.plan.flash_attn}))
"""


def probe(gemma_path, mode, **env):
    full = {k: v for k, v in os.environ.items() if k != "GGML_CPU_TILED_MM"} | env
    out = subprocess.run([sys.executable, "-c", PROBE, str(gemma_path), mode], env=full,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_deterministic_turns_tiled_kernels_off_for_a_mostly_non_k_quant_model(gemma_path):
    assert probe(gemma_path, "det") == {"switch": "0", "max_rows": None, "unified": False,
                                        "flash": False}


def test_deterministic_keeps_a_users_switch_and_then_caps_the_rows(gemma_path):
    assert probe(gemma_path, "det", GGML_CPU_TILED_MM="1")["max_rows"] == 7


def test_fast_kernels_give_a_mostly_non_k_quant_model_a_kv_stream_per_sequence(gemma_path):
    # Its weights' kernels do not depend on the batch once the tiled ones are off; flash
    # attention stays llama.cpp's choice, and no row cap.
    assert probe(gemma_path, "fast") == {"switch": "0", "max_rows": None, "unified": False,
                                         "flash": None}


def test_fast_kernels_keep_one_shared_kv_cache_where_the_weights_depend_on_the_batch(gemma_path):
    # With the tiled K-quant kernels on, a stream per sequence would buy no invariance.
    assert probe(gemma_path, "fast", GGML_CPU_TILED_MM="1") == {
        "switch": "1", "max_rows": None, "unified": True, "flash": None}


def test_plan_shares_the_kv_cache_when_the_weights_are_repacked(gemma_path, monkeypatch):
    monkeypatch.setattr(kernels, "tiled_kernels_on", lambda path: False)
    assert not kernels.plan(gemma_path, deterministic=False, on_cpu=True, repack=False).unified_kv
    assert kernels.plan(gemma_path, deterministic=False, on_cpu=True, repack=True).unified_kv
    monkeypatch.setattr(kernels, "tiled_kernels_on", lambda path: True)
    assert kernels.plan(gemma_path, deterministic=False, on_cpu=True, repack=False).unified_kv


def test_repacking_is_paid_for_only_by_big_enough_jobs(gemma_path, monkeypatch):
    assert not kernels.repack_pays(gemma_path, None)  # 250 MB: repacking is no faster
    monkeypatch.setattr(kernels, "REPACK_MIN_BYTES", 0)
    monkeypatch.setattr(kernels, "repack_share", lambda path: 1.0)
    assert not kernels.repack_pays(gemma_path, kernels.REPACK_BREAK_EVEN - 1)
    assert kernels.repack_pays(gemma_path, kernels.REPACK_BREAK_EVEN)
    assert kernels.repack_pays(gemma_path, None)  # open-ended: a server
    monkeypatch.setattr(kernels, "repack_share", lambda path: 0.0)
    assert not kernels.repack_pays(gemma_path, None)  # nothing to repack


def test_verbose_shows_the_load_time_and_every_kernel_choice(llamax):
    proc = llamax("translate", "--from", "en", "--to", "fr", "-t", "Hello", "--max-tokens", "4",
                  "--verbose", "--no-server")
    line = next(row for row in proc.stderr.decode().splitlines()
                if row.startswith("llamax: loaded "))
    assert " s; fast kernels: repacked weights off" in line and "--parallel 1" in line
    proc = llamax("translate", "--from", "en", "--to", "fr", "-t", "Hello", "--max-tokens", "4",
                  "--verbose", "--no-server", "--deterministic")
    line = next(row for row in proc.stderr.decode().splitlines()
                if row.startswith("llamax: loaded "))
    assert "deterministic kernels" in line and "per-sequence KV cache" in line
