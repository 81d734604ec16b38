"""The llama.cpp engine on a real GGUF (gemma3-270m: a base model, so we assert mechanics)."""

import pytest

from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine
from llamax_cli.core.errors import LlamaxError

PROMPT = "The capital of France is"


def run(engine, prompt=PROMPT, max_tokens=24, **sampling):
    events = list(engine.generate([Request(prompt, max_tokens)], Sampling(**sampling)))
    return events, "".join(e.text for e in events)


def test_streams_one_event_per_token_and_finishes_once(engine):
    events, _ = run(engine, max_tokens=12, ignore_eos=True)
    assert [e.done for e in events] == [False] * 12 + [True]
    assert events[-1].finish_reason == "length"
    assert events[-1].n_tokens == 12
    assert events[-1].n_prompt_tokens == len(engine.tokenize(PROMPT))


def test_incremental_detokenization_matches_whole_detokenization(engine):
    # Multi-byte text: pieces split UTF-8 sequences; the incremental decoder must rejoin them.
    prompt = "Traduis en japonais et en russe : 日本語のテキスト, русский текст,"
    events, text = run(engine, prompt, max_tokens=40, ignore_eos=True)
    assert "\ufffd" not in text
    assert len(text) > 0


def test_greedy_is_deterministic_and_prefix_reuse_changes_nothing(engine):
    _, first = run(engine)
    run(engine, "Something else entirely, to disturb the cache.")
    _, again = run(engine)
    assert first == again



def test_batch_shares_the_prefix_and_matches_one_by_one(gemma_path):
    prompts = [f"{PROMPT} Paris. Question {i}: what is {i} plus {i}? Answer:" for i in range(6)]
    with LlamaEngine(gemma_path, n_ctx=2048, n_parallel=4, deterministic=True) as batched:
        events = list(batched.generate([Request(p, 16) for p in prompts], Sampling()))
        assert len(batched.native.prefix_tokens) >= len(batched.tokenize(PROMPT))
    together = ["".join(e.text for e in events if e.index == i) for i in range(6)]
    with LlamaEngine(gemma_path, n_ctx=2048, deterministic=True) as single:
        alone = ["".join(e.text for e in single.generate([Request(p, 16)], Sampling())) for p in prompts]
    assert together == alone
    assert sum(e.done for e in events) == 6


def texts(path, prompts, max_tokens, parallel, deterministic=True, **sampling):
    with LlamaEngine(path, n_ctx=1024, n_parallel=parallel, n_gpu_layers=0,
                     deterministic=deterministic) as e:
        events = list(e.generate([Request(p, max_tokens) for p in prompts], Sampling(**sampling)))
    assert sum(ev.done for ev in events) == len(prompts)
    return ["".join(ev.text for ev in events if ev.index == i) for i in range(len(prompts))]


def test_deterministic_twelve_rows_in_one_batch_give_the_output_of_one_at_a_time(gemma_path):
    # More than 7 rows: the row count at which llama.cpp's K-quant kernels change path.
    prompts = [f"{PROMPT} Paris. Question {i}: name a city in country number {i}." for i in range(12)]
    assert texts(gemma_path, prompts, 24, 12) == texts(gemma_path, prompts, 24, 1)


def test_fast_kernels_on_this_model_give_the_greedy_text_of_one_at_a_time(gemma_path):
    # Mostly Q8_0/Q5_0 weights: the fast mode's KV stream per sequence keeps each row's
    # numbers whatever shares its batch, with prompts of different lengths joining running
    # decodes (kernels.py). Its shared cache would not (BENCHMARKS.md: 8 of 20 units).
    prompts = [f"{PROMPT} Paris. Question {i}: name {'a big ' * (i % 5)}city number {i}."
               for i in range(12)]
    one = texts(gemma_path, prompts, 24, 1, deterministic=False)
    assert texts(gemma_path, prompts, 24, 12, deterministic=False) == one


def test_units_beyond_n_units_wait_though_sequences_are_free(gemma_path):
    # --parallel 1 keeps sequences for a retry's beam search, not for more units at once:
    # each request runs alone, so every request's events come before the next one's.
    prompts = [f"{PROMPT} Paris. Question {i}: name a city." for i in range(3)]
    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=4, n_units=1, n_gpu_layers=0) as e:
        assert (e.n_parallel, e.n_units, e.max_beams) == (4, 1, 4)
        events = list(e.generate([Request(p, 6) for p in prompts], Sampling(ignore_eos=True)))
    order = [ev.index for ev in events]
    assert order == sorted(order) and set(order) == {0, 1, 2}
    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=4, n_gpu_layers=0) as e:
        events = list(e.generate([Request(p, 6) for p in prompts], Sampling(ignore_eos=True)))
    assert [ev.index for ev in events] != sorted(ev.index for ev in events)  # side by side


@pytest.mark.parametrize("parallel", [1, 8, 16])
@pytest.mark.parametrize("shared", [False, True], ids=["streams", "shared-cache"])
def test_fast_kernels_finish_every_request_at_every_parallel(gemma_path, parallel, shared):
    # Prompts of different lengths join running sequences in mixed batches; every request
    # must still get exactly its tokens, and text that reads as the model's. Repacking asked
    # for (a no-op on this model's types) gives the shared cache of the repacked models.
    prompts = [f"{PROMPT} Paris. Question {i}: name {'a big ' * (i % 5)}city number {i}."
               for i in range(20)]
    with LlamaEngine(gemma_path, n_ctx=512, n_parallel=parallel, n_gpu_layers=0,
                     repack=shared) as e:
        assert not e.plan.deterministic and e.plan.unified_kv == shared and e.max_rows is None
        events = list(e.generate([Request(p, 12) for p in prompts], Sampling(ignore_eos=True)))
    done = {ev.index: ev for ev in events if ev.done}
    assert sorted(done) == list(range(20))
    assert all(ev.n_tokens == 12 and ev.finish_reason == "length" for ev in done.values())
    outputs = ["".join(ev.text for ev in events if ev.index == i) for i in range(20)]
    assert all(text.strip() and "\ufffd" not in text for text in outputs)


def test_fast_kernels_give_the_same_greedy_answer_to_the_same_prompt(gemma_path):
    # Not byte-identical across --parallel, but a plain question gets its plain answer.
    question = f"{PROMPT} Paris. The capital of Italy is"
    alone = texts(gemma_path, [question], 6, 1, deterministic=False)
    crowd = texts(gemma_path, [question] + [f"{PROMPT} Paris. Say {i}." for i in range(9)],
                  6, 10, deterministic=False)
    assert "Rome" in alone[0] and "Rome" in crowd[0]


def logits_of_seq0(engine, cached: int, rows: int):
    """Seq 0's next-token logits with `cached` cells, decoded beside rows - 1 other sequences."""
    import numpy as np

    native = engine.native
    lib, batch = native.lib, native.batch

    def put(i, token, pos, seq):
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
        batch.seq_id[i][0], batch.logits[i] = seq, 1

    for seq in range(rows):
        lib.llama_memory_seq_rm(native.memory, seq, -1, -1)
        for i in range(cached):
            put(i, 100 + (i * 7) % 900, i, seq)
        batch.n_tokens = cached
        assert lib.llama_decode(native.ctx, batch) == 0
    for seq in range(rows):
        put(seq, 777, cached, seq)
    batch.n_tokens = rows
    assert lib.llama_decode(native.ctx, batch) == 0
    return np.ctypeslib.as_array(lib.llama_get_logits_ith(native.ctx, 0), shape=(engine.n_vocab,)).copy()


@pytest.mark.parametrize("cached, rows", [(40, 12), (300, 2)])
def test_a_rows_logits_do_not_depend_on_what_shares_its_batch(gemma_path, cached, rows):
    # 12 rows: past the row count where llama.cpp's K-quant kernels change path. 300 cells:
    # past 256, where a lone sequence took another flash-attention kernel than a batch.
    with LlamaEngine(gemma_path, n_ctx=512, n_parallel=rows, n_gpu_layers=0,
                     deterministic=True) as e:
        alone = logits_of_seq0(e, cached, 1)
        beside = logits_of_seq0(e, cached, rows)
    assert (alone == beside).all()



def test_temperature_sampling_is_reproducible_with_a_seed(engine):
    _, a = run(engine, temperature=0.8, seed=3)
    _, b = run(engine, temperature=0.8, seed=3)
    assert a == b


@pytest.mark.parametrize("content, message", [
    (None, "model file not found"),
    (b"not a model at all", "is not a GGUF model file"),
])
def test_bad_model_files_are_refused_clearly(tmp_path, content, message):
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LlamaxError, match=message):
        LlamaEngine(path)


def test_truncated_model_names_the_cause(tmp_path, gemma_path):
    path = tmp_path / "truncated.gguf"
    with open(gemma_path, "rb") as f:
        path.write_bytes(f.read(50_000_000))
    with pytest.raises(LlamaxError, match="cannot load model .*(corrupted or incomplete|truncated)"):
        LlamaEngine(path)


