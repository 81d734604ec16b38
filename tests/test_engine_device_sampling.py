"""Greedy picks made inside llama.cpp's graph (device_sampling.py), forced on for the CPU here:
on a GPU they are the default, and the same code runs on either backend."""

from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.llama import LlamaEngine

PROMPTS = [f"Question {i}: what is {i} plus {i + 1}? Answer:" for i in range(6)]


def outputs(path, requests, sampling, device):
    with LlamaEngine(path, n_ctx=512, n_parallel=4, n_gpu_layers=0,
                     device_sampling=device) as engine:
        assert engine.plan.device_sampling is device
        assert ("on the device" if device else "on the host") in engine.plan.describe()
        rounds = []
        for make in requests:
            reqs = make()
            texts = [""] * len(reqs)
            finished = 0
            for event in engine.generate(reqs, sampling):
                texts[event.index] += event.text
                finished += event.done
            assert finished == len(texts)
            rounds.append(texts)
        return rounds


def greedy():
    return [Request(p, 16) for p in PROMPTS]


def mixed():
    # one request samples on the host (a repeat penalty): its slot detaches its device chain
    return [Request(p, 16, repeat_penalty=1.3 if i == 2 else 1.0) for i, p in enumerate(PROMPTS)]


def test_device_picks_equal_the_host_argmax_also_beside_host_sampled_rows(gemma_path):
    # greedy, then mixed, then greedy again: the detached slot's chain comes back
    plan = [greedy, mixed, greedy]
    on_device = outputs(gemma_path, plan, Sampling(), True)
    on_host = outputs(gemma_path, plan, Sampling(), False)
    assert on_device == on_host
    assert on_device[0] == on_device[2]
    assert on_device[1][2] != on_device[0][2]  # the penalty did change that one
    assert all(text for texts in on_device for text in texts)


def test_temperature_sampling_runs_on_the_host_beside_device_chains(gemma_path):
    sampling = Sampling(temperature=0.8, seed=7)
    on_device = outputs(gemma_path, [greedy], sampling, True)
    on_host = outputs(gemma_path, [greedy], sampling, False)
    assert on_device == on_host
