"""The scheduler (engine/scheduler.py): one thread that owns the llama.cpp context and runs
every caller's requests in one continuous batch: the shared prefix, slot reuse, admission
order, stopping, and requests that fail alone. On a real GGUF (gemma3-270m)."""

import pytest

from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine
from test_engine_llama import PROMPT, run


def test_shared_prefix_is_not_evaluated_again(engine):
    run(engine, PROMPT + " Paris. The capital of Spain is")
    run(engine, PROMPT + " Paris. The capital of Italy is")
    assert 0 < engine.native.prefix_decoded <= 4  # only the tokens after "...of"


def test_a_reused_slot_keeps_the_prefix_instead_of_copying_it(gemma_path):
    prompts = [f"{PROMPT} Paris. Question {i}: what is {i} plus {i}? Answer:" for i in range(5)]
    with LlamaEngine(gemma_path, n_ctx=1024, n_parallel=2) as e:
        list(e.generate([Request(p, 8) for p in prompts], Sampling()))
        native = e.native
        assert set(native.held) == {0, 1}
        assert all(held == native.prefix_tokens and held for held in native.held.values())
        # Nothing but the prefix is left in a slot between requests.
        lib = native.lib
        assert all(lib.llama_memory_seq_pos_max(native.memory, seq)
                   == len(native.prefix_tokens) - 1 for seq in native.held)


def test_should_stop_ends_the_sequence(engine):
    # Asked after each token, on the engine's thread: the third time, it says stop.
    asked = []
    request = Request(PROMPT, 50, should_stop=lambda: asked.append(1) or len(asked) >= 3)
    seen = list(engine.generate([request], Sampling(ignore_eos=True)))
    assert seen[-1].done and seen[-1].finish_reason == "stop"
    assert seen[-1].n_tokens == 3


def test_a_prompt_too_long_for_the_context_ends_alone_and_the_others_run(engine):
    requests = [Request(PROMPT, 4), Request("word " * 2000, 4), Request(PROMPT, 4)]
    events = list(engine.generate(requests, Sampling(ignore_eos=True)))
    done = {e.index: e for e in events if e.done}
    assert done[1].finish_reason == "too-long" and done[1].n_tokens == 0
    assert done[1].n_prompt_tokens >= engine.n_ctx
    assert done[0].finish_reason == done[2].finish_reason == "length"


def test_an_urgent_request_is_admitted_before_those_waiting(gemma_path):
    """A retry submitted while others wait must take the next free slot: output waits on it."""
    from llamax_cli.engine.scheduler import Client

    with LlamaEngine(gemma_path, n_ctx=256, n_parallel=2) as engine:
        scheduler, client = engine.scheduler, Client(Sampling(ignore_eos=True))
        tokens_of_0 = []

        def submit_urgent_on_second_token():
            # Runs on the scheduler's thread after each token of request 0, while 2..7 wait:
            # no race with the caller's thread decides the order.
            tokens_of_0.append(1)
            if len(tokens_of_0) == 2:
                scheduler.submit(client, 8, Request(f"{PROMPT} again", 3, urgent=True))
            return False

        scheduler.submit(client, 0, Request(f"{PROMPT} number 0", 3,
                                             should_stop=submit_urgent_on_second_token))
        for i in range(1, 8):
            scheduler.submit(client, i, Request(f"{PROMPT} number {i}", 3))
        first_seen: list[int] = []
        done = 0
        while done < 9:
            event = client.events.get(timeout=120)
            if event.index not in first_seen:
                first_seen.append(event.index)
            done += event.done
        # Request 0's slot went to the urgent one, ahead of requests 2..7.
        assert first_seen.index(8) < first_seen.index(2)
        assert sorted(first_seen) == list(range(9))


@pytest.mark.parametrize("request_", [Request("Hi \ud800", 4), Request(PROMPT, "x"),
                                      Request(PROMPT, 0)])
def test_a_bad_request_is_refused_and_the_engine_runs_on(engine, request_):
    # A lone surrogate (from JSON "\ud800") or a max_tokens that is no count used to fail
    # inside the engine's thread: that client waited forever and every later one was told
    # "the engine is shutting down".
    with pytest.raises(LlamaxError):
        list(engine.generate([request_], Sampling()))
    _, text = run(engine, max_tokens=4, ignore_eos=True)
    assert text


def test_a_request_failing_to_start_fails_alone(engine, monkeypatch):
    # Whatever else goes wrong while one request is admitted (a rare case, so faked here)
    # is that request's error; the others in the same step are translated.
    scheduler_tokens = type(engine.scheduler)._tokens

    def tokens(self, waiting):
        if "poison" in waiting.request.prompt:
            raise RuntimeError("cannot tokenize this one")
        return scheduler_tokens(self, waiting)

    monkeypatch.setattr(type(engine.scheduler), "_tokens", tokens)
    with pytest.raises(LlamaxError, match="cannot tokenize this one"):
        list(engine.generate([Request("poison " + PROMPT, 4)], Sampling()))
    _, text = run(engine, max_tokens=4, ignore_eos=True)
    assert text
