"""The default --parallel: by model, memory and document size."""

from llamax_cli.engine import sizing
from llamax_cli.engine.gguf_info import read


def test_kv_bytes_per_token_from_the_header(gemma_path):
    # gemma3-270m: 18 layers, 1 KV head, keys and values of 256 each, f16.
    assert read(gemma_path).kv_bytes_per_token() == 18 * 1 * (256 + 256) * 2


def test_a_small_model_gets_wide_batches_but_never_more_slots_than_units(gemma_path, monkeypatch):
    monkeypatch.setattr(sizing, "tiled_kernels_on", lambda path: False)
    assert sizing.auto_parallel(gemma_path, 1024, 200, on_gpu=False) == 16
    assert sizing.auto_parallel(gemma_path, 1024, 3, on_gpu=False) == 3
    assert sizing.auto_parallel(gemma_path, 1024, 0, on_gpu=False) == 1


def test_capped_batches_get_four_slots(gemma_path, monkeypatch):
    monkeypatch.setattr(sizing, "tiled_kernels_on", lambda path: True)
    assert sizing.auto_parallel(gemma_path, 1024, 200, on_gpu=False, deterministic=True) == 4
    # The fast kernels never cap the rows: the K-quant kernels change nothing there.
    assert sizing.auto_parallel(gemma_path, 1024, 200, on_gpu=False) == 16


def test_the_kv_cache_is_held_to_an_eighth_of_memory(gemma_path, monkeypatch):
    monkeypatch.setattr(sizing, "tiled_kernels_on", lambda path: False)
    per_slot = read(gemma_path).kv_bytes_per_token() * 1024
    monkeypatch.setattr(sizing, "physical_memory", lambda: 8 * per_slot * 6)  # room for 5 + 1
    assert sizing.auto_parallel(gemma_path, 1024, 200, on_gpu=False) == 5
    monkeypatch.setattr(sizing, "physical_memory", lambda: per_slot)
    assert sizing.auto_parallel(gemma_path, 1024, 200, on_gpu=False) == 1


def test_a_server_gets_room_for_a_burst(gemma_path, monkeypatch):
    monkeypatch.setattr(sizing, "tiled_kernels_on", lambda path: True)
    assert sizing.auto_parallel(gemma_path, 1024, None, on_gpu=False) == sizing.SERVER_SLOTS
    assert sizing.auto_parallel(gemma_path, 1024, None, on_gpu=True) == sizing.SERVER_SLOTS
    # --deterministic keeps its capped batches, server or not
    assert sizing.auto_parallel(gemma_path, 1024, None, on_gpu=False, deterministic=True) == 4
