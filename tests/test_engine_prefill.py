"""Prompts evaluated together (engine/prefill.py): the chunking model, and on the real model
that the chosen company changes no logit."""

import numpy as np
import pytest

from llamax_cli.engine.llama import LlamaEngine
from llamax_cli.engine.prefill import chunks, together


def test_chunks_follow_llamas_equal_split():
    assert chunks({0: 25, 1: 24}, 512) == {0: [24, 1], 1: [24]}
    # A run of consecutive ids shares a micro-batch; a gap starts another.
    assert chunks({0: 25, 1: 10, 2: 24}, 512) == {0: [10, 15], 1: [10], 2: [10, 14]}
    assert chunks({0: 25, 2: 24}, 512) == {0: [25], 2: [24]}
    assert chunks({0: 300, 1: 300}, 512) == {0: [256, 44], 1: [256, 44]}


def test_together_never_leaves_a_one_token_chunk():
    assert together({0: 25, 1: 24, 2: 23, 3: 30}, 512) == [0, 2, 3]
    assert together({0: 25, 1: 25, 2: 25}, 512) == [0, 1, 2]
    for group in ([0, 2, 3],):
        sizes = chunks({s: {0: 25, 2: 23, 3: 30}[s] for s in group}, 512)
        assert min(min(v) for v in sizes.values()) >= 2


def test_together_keeps_one_micro_batch_and_sends_odd_prompts_alone():
    assert together({0: 300, 1: 300}, 512) == [0]
    assert together({0: 1, 1: 25}, 512) == [0]
    assert together({0: 600, 1: 25}, 512) == [0]
    assert together({0: 25, 1: 1, 2: 30}, 512) == [0, 2]


PREFIX = 40  # cells each sequence holds first: the kernels differ past 64 summed cells


def put(batch, n, token, pos, seq, logits):
    batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, pos, 1
    batch.seq_id[n][0], batch.logits[n] = seq, logits


def last_logits(engine, lengths):
    """Seq 0's logits after its prompt is evaluated in one batch with the others'."""
    native = engine.native
    lib, batch = native.lib, native.batch
    for seq in range(len(lengths)):
        lib.llama_memory_seq_rm(native.memory, seq, -1, -1)
        for i in range(PREFIX):
            put(batch, i, 100 + i, i, seq, False)
        batch.n_tokens = PREFIX
        assert lib.llama_decode(native.ctx, batch) == 0
    n = row = 0
    for seq, length in enumerate(lengths):
        for i in range(length):
            put(batch, n, 500 + (13 * i + 7 * seq) % 900, PREFIX + i, seq, i == length - 1)
            if seq == 0 and i == length - 1:
                row = n
            n += 1
    batch.n_tokens = n
    assert lib.llama_decode(native.ctx, batch) == 0
    return np.ctypeslib.as_array(lib.llama_get_logits_ith(native.ctx, row),
                                 shape=(engine.n_vocab,)).copy()


@pytest.fixture(scope="module")
def cpu_engine(gemma_path):
    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=3, n_gpu_layers=0,
                     deterministic=True) as e:
        yield e


@pytest.mark.parametrize("company", [[23], [25], [10, 24], [2]])
def test_a_prompt_beside_the_company_together_allows_keeps_its_logits(cpu_engine, company):
    assert together({s: n for s, n in enumerate([25] + company)}, 512) == list(range(1 + len(company)))
    assert (last_logits(cpu_engine, [25] + company) == last_logits(cpu_engine, [25])).all()


def test_the_company_together_refuses_would_change_them(cpu_engine):
    # Why the rule exists: beside 24 tokens, the 25th is evaluated as a chunk of one.
    assert together({0: 25, 1: 24}, 512) == [0]
    assert not (last_logits(cpu_engine, [25, 24]) == last_logits(cpu_engine, [25])).all()
