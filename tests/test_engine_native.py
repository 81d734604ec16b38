"""engine/native.py: the llama.cpp state behind public names, on the real test model.

The engine's scheduler thread is idle throughout (no request is submitted), so the test
thread may drive the context, as the scheduler would."""

import numpy as np
import pytest

from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import PREFIXES, STREAM_PREFIXES, LlamaEngine

TEXT = "The capital of France is Paris, café 日本"


@pytest.fixture(scope="module")
def native(gemma_path):
    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=2, n_gpu_layers=0) as engine:
        yield engine.native


def pos_max(native, seq: int) -> int:
    return native.lib.llama_memory_seq_pos_max(native.memory, seq)


def test_the_pieces_of_the_tokens_are_the_text(native):
    tokens = native.tokenize(TEXT, add_special=False)
    assert len(tokens) > 4
    assert b"".join(native.piece(token) for token in tokens).decode("utf-8") == TEXT
    assert native.tokenize(TEXT)[1:] == tokens  # add_special: the BOS token first
    assert native.piece(tokens[0]) is native.piece(tokens[0])  # cached


def test_end_of_generation_tokens(native):
    eos = native.lib.llama_vocab_eos(native.vocab)
    assert native.is_eog(eos)
    assert not native.is_eog(native.tokenize("Paris", add_special=False)[0])


def test_ensure_prefix_decodes_only_what_the_prefix_sequence_lacks(native):
    first = native.tokenize("Below is an instruction that describes a task.")
    more = native.tokenize(" Translate the following sentences.", add_special=False)
    home = native.ensure_prefix(first)
    assert home in native.prefixes and native.prefix_decoded == len(first)
    assert native.ensure_prefix(first + more) == home  # it extends what that one holds
    assert native.prefix_decoded == len(more)
    assert native.prefix_tokens == first + more == native.prefixes[home]
    assert pos_max(native, home) == len(first + more) - 1
    assert native.ensure_prefix(first + more) == home and native.prefix_decoded == 0
    # Under 4 tokens is no prefix worth keeping: nothing is decoded, nothing is dropped.
    assert native.ensure_prefix(first[:3]) is None
    assert native.prefix_tokens == [] and pos_max(native, home) == len(first + more) - 1


@pytest.mark.parametrize("shared", [True, False], ids=["shared-cache", "streams"])
def test_prefixes_of_several_targets_are_kept_side_by_side(gemma_path, shared):
    # One per target language: requests into French and German, interleaved, evaluate each
    # template once; past the room for them, the least recently used one is replaced. In a
    # shared cache cells are tagged; with a stream each, the whole stream is copied and its
    # tail dropped (llama.cpp aborts on a partial copy between streams).
    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=2, n_gpu_layers=0,
                     repack=shared) as engine:  # repacking (a no-op here) shares the cache
        native = engine.native
        room = PREFIXES if shared else STREAM_PREFIXES
        assert len(native.prefixes) == room and min(native.prefixes) == native.prefix_seq == 2
        stem = "Translate the following sentences from English to"
        templates = [native.tokenize(f"{stem} {lang}.") for lang in
                     ("French", "German", "Swahili", "Yoruba", "Hausa", "Zulu", "Thai", "Lao",
                      "Khmer")[:room + 1]]
        homes = [native.ensure_prefix(t) for t in templates[:2]]
        assert len(set(homes)) == 2
        for _ in range(3):
            assert [native.ensure_prefix(t) for t in templates[:2]] == homes
            assert native.prefix_decoded == 0
        for t in templates[2:room]:
            native.ensure_prefix(t)
        assert sorted(map(len, native.prefixes.values())) == sorted(map(len, templates[:room]))
        native.ensure_prefix(templates[0])  # used again: French is not the oldest now
        last = native.ensure_prefix(templates[room])
        assert last == homes[1]  # German's sequence, the least recently used
        assert native.prefixes[last] == templates[room]
        assert pos_max(native, last) == len(templates[room]) - 1
        assert native.prefix_decoded < len(templates[room])  # only from where they differ
        if not shared:
            with pytest.raises(ValueError):
                native.copy(homes[0], 0, 0, 3)


def test_copy_and_forget_a_sequences_cells(native):
    prefix = native.tokenize("Below is an instruction that describes a task.")
    home = native.ensure_prefix(prefix)
    native.copy(home, 0)
    assert pos_max(native, 0) == len(prefix) - 1
    native.forget(0, 2)
    assert pos_max(native, 0) == 1
    native.forget(0)
    assert pos_max(native, 0) == -1
    assert pos_max(native, home) == len(prefix) - 1  # its own cells stay


def test_put_and_decode_give_one_logits_row_per_output(native):
    tokens = native.tokenize(TEXT)
    wanted = [3, len(tokens) - 1]  # the rows whose logits are asked for
    native.forget(1)
    for i, token in enumerate(tokens):
        native.put(i, token, i, 1, output=i in wanted)
    native.batch.n_tokens = len(tokens)
    assert native.decode() == 0
    rows = native.logits(len(wanted))
    assert rows.shape == (2, native.n_vocab)
    for out, row in enumerate(wanted):  # output k is the k-th row put with output=True
        ith = np.ctypeslib.as_array(native.lib.llama_get_logits_ith(native.ctx, row),
                                    shape=(native.n_vocab,))
        assert (rows[out] == ith).all()
    assert not (rows[0] == rows[1]).all()
    native.forget(1)


def test_a_sampler_chain_only_where_plain_greedy_will_not_do(native):
    assert native.sampler(Sampling(), Request("x", 1), 0) is None
    for sampling, request in [(Sampling(temperature=0.7), Request("x", 1)),
                              (Sampling(), Request("x", 1, repeat_penalty=1.2))]:
        chain = native.sampler(sampling, request, 0)
        assert chain is not None
        native.free_sampler(chain)


def test_close_frees_the_native_state_once(gemma_path):
    engine = LlamaEngine(gemma_path, n_ctx=128, n_gpu_layers=0)
    native = engine.native
    engine.close()
    assert engine.native is None and native.ctx is None
    engine.close()  # a second close frees nothing twice
    native.free()
